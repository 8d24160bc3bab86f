"""The storplan CLI through ``main(argv)`` against a real simulator file, plus real processes.

Real: the SQLite simulator file in tmp_path, the entry-point registry, argparse, rendering, and
(for the ``subprocess`` tests) the installed ``storplan`` console script.  The only stand-in is a
tiny third-party provider registered through a real ``entry_points.txt`` to make the internal-bug
and interrupt exit codes reachable.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from storplan.cli import main
from storplan.cli.show import DERIVED, KINDS
from storplan.model import Kind, Volume

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sim://{tmp_path}/array.db"


@pytest.fixture
def run(uri: str, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run ``storplan --uri <fresh sim> ARGS``; returns (exit code, stdout, stderr)."""

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(["--uri", uri, *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _populate(run: Run) -> None:
    """One object of every kind, made through the CLI itself."""
    steps = [
        ("volume", "create", "v1", "--pool", "ssd", "--size", "1GiB"),
        (
            "host",
            "create",
            "h1",
            "--system",
            "sim-array-1",
            "--initiator",
            "iqn.2024-01.com.example:h1",
        ),
        ("mask", "v1", "h1"),
        ("snapshot", "create", "v1", "s1"),
        ("replica", "create", "v1", "v1-clone"),
        ("fs", "create", "share", "--pool", "nas", "--size", "1TiB"),
        ("fs-snapshot", "create", "share", "daily"),
        ("export", "create", "share", "/share", "--client", "10.0.0.0/24"),
    ]
    for step in steps:
        code, _, err = run(*step)
        assert code == 0, (step, err)


@pytest.mark.parametrize("kind", [*KINDS, *DERIVED])
def test_every_kind_lists_as_table_json_and_yaml(run: Run, kind: str) -> None:
    _populate(run)
    code, table, _ = run("show", kind)
    assert code == 0
    code, out, _ = run("show", kind, "-o", "json")
    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list) and records, kind
    header = table.splitlines()[0].split()
    assert header == [k.upper() for k in records[0] if k != "conditions"]
    assert len(table.splitlines()) == len(records) + 1
    code, out, _ = run("show", kind, "-o", "yaml")
    assert code == 0 and yaml.safe_load(out) == records


def test_json_fields_are_the_model_fields(run: Run) -> None:
    run("volume", "create", "v1", "--pool", "ssd", "--size", "10GiB", "--thick")
    code, out, _ = run("show", "volumes", "-o", "json")
    assert code == 0
    (volume,) = json.loads(out)
    assert list(volume) == [f.name for f in dataclasses.fields(Volume)]
    assert volume["size"] == 10 * 2**30 and volume["thin"] is False
    assert volume["wwn"].startswith("naa.6")


def test_table_sizes_human_unless_bytes(run: Run) -> None:
    run("volume", "create", "v1", "--pool", "ssd", "--size", "10GiB")
    assert "10.00 GiB" in run("show", "volumes")[1]
    assert str(10 * 2**30) in run("show", "volumes", "--bytes")[1]


def test_show_one_by_name_and_missing(run: Run) -> None:
    run("volume", "create", "v1", "--pool", "ssd", "--size", "1GiB")
    code, out, _ = run("show", "volumes", "v1", "-o", "json")
    assert code == 0 and json.loads(out)["name"] == "v1"
    code, _, err = run("show", "volumes", "nope")
    assert code == 1 and "no volume with id or name 'nope'" in err and "hint:" in err


def test_volume_lifecycle_and_safety(run: Run, uri: str) -> None:
    code, out, _ = run("volume", "create", "db", "--pool", "ssd", "--size", "10GiB", "-o", "json")
    assert code == 0 and json.loads(out)["size"] == 10 * 2**30
    code, _, err = run("volume", "create", "db", "--pool", "ssd", "--size", "20GiB")
    assert code == 1 and "already exists with a different specification" in err
    assert "size is 10GiB (requested 20GiB)" in err
    code, _, err = run("volume", "resize", "db", "5GiB")
    assert code == 1 and "--allow-shrink" in err
    assert run("volume", "resize", "db", "20GiB")[0] == 0
    code, _, err = run("volume", "delete", "db")
    assert code == 1 and "--yes" in err
    assert [v["name"] for v in json.loads(run("show", "volumes", "-o", "json")[1])] == ["db"]
    assert run("volume", "delete", "db", "--yes")[0] == 0
    assert json.loads(run("show", "volumes", "-o", "json")[1]) == []


def test_masking_flow(run: Run) -> None:
    run("volume", "create", "db", "--pool", "ssd", "--size", "1GiB")
    code, _, err = run("host", "create", "h1", "--initiator", "iqn.2024-01.com.example:h1")
    assert code == 1 and "--system" in err  # the default seed has two systems
    code, out, _ = run(
        "host",
        "create",
        "h1",
        "--system",
        "sim-array-1",
        "--initiator",
        "IQN.2024-01.com.Example:H1",
        "-o",
        "json",
    )
    assert code == 0
    assert json.loads(out)["initiators"][0]["id"] == "iqn.2024-01.com.example:h1"
    assert run("mask", "db", "h1", "--lun", "7")[0] == 0
    mappings = json.loads(run("show", "mappings", "-o", "json")[1])
    assert [m["lun"] for m in mappings] == [7]
    code, _, err = run("unmask", "db", "h1")
    assert code == 1 and "--yes" in err
    assert run("unmask", "db", "h1", "--yes")[0] == 0
    assert json.loads(run("show", "mappings", "-o", "json")[1]) == []


def test_bad_input_is_an_error_not_a_crash(run: Run) -> None:
    code, _, err = run("volume", "create", "v", "--pool", "ssd", "--size", "10G")
    assert code == 1 and "ambiguous" in err and "10GiB" in err and "10GB" in err
    code, _, err = run("volume", "create", "bad name", "--pool", "ssd", "--size", "1GiB")
    assert code == 1 and "not allowed" in err
    assert run("show", "no-such-kind")[0] == 1


def test_uri_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--uri", "nosuch://x", "show", "systems"]) == 1
    assert "no provider is registered for scheme 'nosuch'" in capsys.readouterr().err
    assert main(["--uri", "smis+https://admin:hunter2@array:5989", "show", "systems"]) == 1
    out, err = capsys.readouterr()
    assert "contains a password" in err and "hunter2" not in out + err


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("storplan ")
    assert main(["--help"]) == 0
    assert "show" in capsys.readouterr().out


def test_async_job_no_wait_then_wait(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"sim://{tmp_path}/a.db?jobs=async&job_seconds=0.2"
    assert (
        main(
            [
                "--uri",
                uri,
                "volume",
                "create",
                "v",
                "--pool",
                "ssd",
                "--size",
                "1GiB",
                "--no-wait",
                "-o",
                "json",
            ]
        )
        == 0
    )
    job = json.loads(capsys.readouterr().out)
    assert job["state"] == "running" and job["result"] is None
    assert main(["--uri", uri, "job", "wait", job["id"], "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "v"
    assert main(["--uri", uri, "job", "show", job["id"], "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["state"] == "succeeded"


def test_job_timeout_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"sim://{tmp_path}/a.db?faults=create_volume:hang"
    code = main(
        [
            "--uri",
            uri,
            "volume",
            "create",
            "v",
            "--pool",
            "ssd",
            "--size",
            "1GiB",
            "--timeout",
            "0.3",
        ]
    )
    assert code == 1
    assert "did not finish within 0.3 s" in capsys.readouterr().err


def _register_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, body: str
) -> None:
    """Install a real (tiny) distribution providing scheme ``broken`` from ``module``."""
    dist = tmp_path / "brokenvendor-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text(f"[storplan.providers]\nbroken = {module}:Broken\n")
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.mark.parametrize(
    ("raised", "expected"), [("RuntimeError('boom')", 3), ("KeyboardInterrupt()", 130)]
)
def test_internal_bug_and_interrupt_exit_codes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    raised: str,
    expected: int,
) -> None:
    _register_provider(
        tmp_path,
        monkeypatch,
        f"brokenmod{expected}",
        f"""
        class Broken:
            name = "broken"
            def __init__(self, uri, password):
                pass
            def observe(self, kinds=None):
                raise {raised}
            def close(self):
                pass
    """,
    )
    assert main(["--uri", "broken://x", "show", "systems"]) == expected
    err = capsys.readouterr().err
    assert ("this is a bug in storplan" in err) == (expected == 3)


@pytest.mark.subprocess
def test_real_process_json_output_without_rich(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("storplan")
    env = dict(os.environ, STORPLAN_URI=f"sim://{tmp_path}/p.db", NO_COLOR="1")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", str(exe), "show", "systems", "-o", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [s["name"] for s in json.loads(done.stdout)] == ["sim-array-1", "sim-array-2"]
    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert not [m for m in imported if m.startswith("rich")]
    assert "storplan.model.block" not in imported  # volumes' classes are not needed here


@pytest.mark.subprocess
def test_real_process_exit_code_on_error(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("storplan")
    done = subprocess.run(
        [str(exe), "--uri", f"sim://{tmp_path}/p.db", "volume", "delete", "nope", "--yes"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == "" and done.stderr.startswith("error: no volume")


def test_kind_names_cover_every_state_kind() -> None:
    assert {Kind(v) for v in KINDS.values()} == set(Kind)
