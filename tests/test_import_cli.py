"""``storplan import`` on the command line: output, files, secrets, adoption, refusals.

Real: the installed ``storplan`` script as a process for the end-to-end case (import, then
plan of what it wrote), ``storplan.cli.main`` in this process for the others; a simulator
file seeded through the Session API (CHAP set with a real secret), a state store file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from planhelpers import IQN, SYSTEM, cli_env, made, run_cli, system_session
from storplan.cli import main
from storplan.credentials import Secret
from storplan.export import chap_variable
from storplan.state import open_store

SECRET = "Never-Print-This-1"


@pytest.fixture
def seeded(tmp_path: Path) -> str:
    """A simulator with a CHAP host, two mapped volumes (one with a snapshot), a clone."""
    uri = f"sim://{tmp_path / 'array.db'}"
    session, system = system_session(uri)
    with session:
        ssd = next(p for p in session.pools() if p.name == "ssd" and p.system_id == system)
        data = made(session.create_volume(ssd, "db01-data", "2GiB"))
        logs = made(session.create_volume(ssd, "db01-logs", "1GiB"))
        web = made(session.create_volume(ssd, "web-data", "1GiB"))
        host = made(session.create_access_group(system, "db01", [IQN + "db01"]))
        session.set_chap(host, IQN + "db01", "db01", Secret(SECRET))
        session.map_volume(data, host, 3)
        session.map_volume(logs, host, 4)
        session.create_snapshot(data, "nightly")
        session.create_replica(web, "web-clone")
    return uri


def test_import_then_plan_reports_no_changes(seeded: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path / "state.db")
    out = tmp_path / "array1.yaml"
    done = run_cli("--uri", seeded, "import", "--system", SYSTEM, "--name", "array1",
                   "--out", str(out), env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    variable = chap_variable("array1", "db01", IQN + "db01")
    assert f"variables the manifest needs:\n  {variable}: CHAP secret" in done.stdout
    assert "not managed by the manifest:" in done.stdout and "disks (" in done.stdout
    text = out.read_text()
    assert f"#   {variable}: CHAP secret" in text  # the header says it too
    assert SECRET not in done.stdout + done.stderr + text
    assert not (tmp_path / "state.db").exists(), "import without --adopt wrote the state store"
    planned = run_cli("plan", str(out), env={**env, variable: SECRET})
    assert planned.returncode == 0, planned.stdout + planned.stderr
    assert "no change" in planned.stdout


def test_stdout_manifest_and_notes_on_stderr(
    seeded: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "--uri", seeded, "--system", SYSTEM, "--select", "volume=web*"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Written by storplan import") and "- name: web-clone" in out
    assert "db01" not in out.split("arrays:")[1]  # only the selected volume and its pool
    assert "volumes not selected: db01-data, db01-logs" in err
    assert "hosts not selected: db01" in err


def test_adopt_records_exactly_what_it_reports(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = str(tmp_path / "state.db")
    argv = ["import", "--uri", seeded, "--system", SYSTEM, "--select", "volume=db01-*"]
    assert main([*argv, "--out", str(tmp_path / "m.yaml"), "--adopt", "--state", state]) == 0
    out = capsys.readouterr().out
    reported = [line.strip()[2:] for line in out.splitlines() if line.startswith("  + ")]
    expected = [
        "host:db01",
        "snapshot:db01-data/nightly",
        "volume:db01-data",
        "volume:db01-logs",
    ]
    assert reported == expected
    with open_store(state) as store:
        [(key, owned)] = [(k, store.owned(k)) for k in _array_keys(state)]
    assert sorted(owned) == expected and "pool:ssd" not in owned
    assert key.endswith("#" + _system_id(seeded))
    again = [*argv, "--out", str(tmp_path / "m.yaml"), "--force", "--adopt", "--state", state]
    assert main(again) == 0
    assert "adopted 0 object(s)" in capsys.readouterr().out  # 4 already owned


def test_directory_layout_and_no_silent_overwrite(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "gitops"
    argv = ["import", "--uri", seeded, "--system", SYSTEM, "--out", f"{target}/"]
    assert main(argv) == 0
    assert sorted(p.name for p in target.iterdir()) == ["array.yaml", "hosts.yaml", "volumes.yaml"]
    capsys.readouterr()
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "array.yaml exists" in err and "--force" in err
    assert main([*argv, "--force"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--select", "lun=1"], "expected KIND=GLOB"),
        ([], "the array has 2 systems"),
        (["--system", "nope"], "no system 'nope'"),
        (["--system", "sim-array-1", "--name", "a b"], "--name 'a b' is not a valid"),
    ],
)
def test_refusals(
    seeded: str, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", "--uri", seeded, *argv]) == 1
    assert message in capsys.readouterr().err


def _array_keys(state: str) -> list[str]:
    import sqlite3

    with sqlite3.connect(state) as conn:
        return [row[0] for row in conn.execute("SELECT DISTINCT array_key FROM owned")]


def _system_id(uri: str) -> str:
    session, system = system_session(uri)
    session.close()
    return system


def test_show_output_manifest_is_the_import_writer(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--uri", seeded, "show", "volumes", "db01-data", "-o", "manifest"]
    assert main([*argv, "--system", SYSTEM]) == 0
    shown = capsys.readouterr().out
    assert (
        main(["import", "--uri", seeded, "--system", SYSTEM, "--select", "volume=db01-data"]) == 0
    )
    imported = capsys.readouterr().out
    assert shown == imported and "- name: db01-data" in shown
    assert "db01-logs" not in shown.split("arrays:")[1]
    (tmp_path / "one.yaml").write_text(shown)
    assert main(["plan", str(tmp_path / "one.yaml"), "--state", str(tmp_path / "s.db")]) == 0
    assert main(["--uri", seeded, "show", "disks", "-o", "manifest", "--system", SYSTEM]) == 1
    assert "not disks" in capsys.readouterr().err
