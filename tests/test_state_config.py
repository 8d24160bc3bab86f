"""Where the state store is: ``--state`` > ``$STORPLAN_STATE`` > ``.storplan.yaml`` next to
the manifests > the default file, the same for every command (plan, apply, journal, unlock,
import --adopt, plan --out), and ``storplan state migrate``.

Real: ``storplan.cli.main`` in this process and the installed command as a process, SQLite
files, a simulator file, and (for the migration and the PostgreSQL case) a PostgreSQL 15
cluster this session owns (tests/pgserver.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from planhelpers import SYSTEM, cli_env, run_cli, write_manifest
from storplan.cli import main
from storplan.errors import StateStoreError
from storplan.state import open_store
from storplan.state.config import resolve

VOLUME = {"name": "v1", "pool": "ssd", "size": "1GiB"}


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working tree with a manifest; no $STORPLAN_STATE, HOME of its own."""
    work = tmp_path / "work"
    work.mkdir()
    entry = {"name": "a", "provider": f"sim://{tmp_path / 'array.db'}", "system": SYSTEM,
             "pools": [{"name": "ssd"}], "volumes": [VOLUME]}  # fmt: skip
    write_manifest(work / "arrays.yaml", [entry])
    monkeypatch.delenv("STORPLAN_STATE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / "state"))
    return work


def _config(tree: Path, url: str) -> None:
    (tree / ".storplan.yaml").write_text(f"state:\n  url: '{url}'\n")


def test_precedence(tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifests = [str(tree / "arrays.yaml")]
    assert resolve(None, manifests).location == str(tmp_path / "home/state/storplan/state.db")
    _config(tree, f"sqlite:{tmp_path / 'team.db'}")
    assert resolve(None, manifests).source == str(tree / ".storplan.yaml")
    assert resolve(None, [str(tree)]).location == f"sqlite:{tmp_path / 'team.db'}"
    monkeypatch.setenv("STORPLAN_STATE", str(tmp_path / "env.db"))
    assert resolve(None, manifests).location == str(tmp_path / "env.db")
    assert resolve(str(tmp_path / "flag.db"), manifests).location == str(tmp_path / "flag.db")
    monkeypatch.chdir(tree)  # with no manifest path, the current directory's file counts
    monkeypatch.delenv("STORPLAN_STATE")
    assert resolve(None, []).location == f"sqlite:{tmp_path / 'team.db'}"


@pytest.mark.parametrize(
    ("block", "complaint"),
    [
        ("state:\n  url: x.db\n  colour: blue\n", "unknown setting(s) colour"),
        ("state:\n  url: x.db\n  session_timeout: -1\n", "session_timeout"),
        ("state:\n  url: x.db\n  password: hunter2\n", "state.password"),
        ("state: [1, 2]\n", "must be a mapping"),
        ("state: {url: [unclosed\n", "cannot be read"),
    ],
)
def test_a_bad_config_is_named(tree: Path, block: str, complaint: str) -> None:
    (tree / ".storplan.yaml").write_text(block)
    with pytest.raises(StateStoreError, match=r"\.storplan\.yaml") as refused:
        resolve(None, [str(tree / "arrays.yaml")])
    assert complaint in str(refused.value)
    assert "hunter2" not in str(refused.value)


def test_every_command_uses_the_config(
    tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    team = tmp_path / "team.db"
    _config(tree, f"sqlite:{team}")
    monkeypatch.chdir(tree)
    assert main(["plan", "arrays.yaml", "--out", str(tmp_path / "plan.json")]) == 2
    with open_store(str(team), write=False) as store:
        assert store.secret_key(create=False) is not None  # plan --out signed with its key
    assert main(["apply", "--yes", "."]) == 0  # a directory: .storplan.yaml is no manifest
    assert main(["journal", "-o", "json"]) == 0
    assert '"status": "ok"' in capsys.readouterr().out
    with open_store(str(team)) as store:
        assert len(store.applies()) == 1
        lock = store.acquire("stale-array")
    assert main(["unlock", lock.lock_id]) == 0
    uri = f"sim://{tmp_path / 'array.db'}"
    out = tree / "imported.yaml"
    assert main(["import", "--uri", uri, "--system", SYSTEM, "--out", str(out), "--adopt"]) == 0
    with open_store(str(team), write=False) as store:
        assert store.locks() == []
        owned = {row[1] for row in store.dump()["owned"]}
    assert "volume:v1" in owned and "pool:ssd" not in owned
    assert not (tmp_path / "home").exists(), "a command used the default store"


def test_import_adopt_reads_a_postgresql_config(
    tree: Path, tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _config(tree, pg_url)
    monkeypatch.chdir(tree)
    assert main(["apply", "--yes", "arrays.yaml"]) == 0
    uri = f"sim://{tmp_path / 'array.db'}"
    out = tree / "imported.yaml"
    assert main(["import", "--uri", uri, "--system", SYSTEM, "--out", str(out), "--adopt"]) == 0
    with open_store(pg_url, write=False) as store:
        assert [r.status for r in store.applies()] == ["ok"]
        assert {row[1] for row in store.dump()["owned"]} == {"volume:v1"}
    assert not (tmp_path / "home").exists()


@pytest.mark.subprocess
def test_state_migrate_command(tmp_path: Path, pg_url: str) -> None:
    source = tmp_path / "state.db"
    entry = {"name": "a", "provider": f"sim://{tmp_path / 'array.db'}", "system": SYSTEM,
             "pools": [{"name": "ssd"}], "volumes": [VOLUME]}  # fmt: skip
    manifest = write_manifest(tmp_path / "m.yaml", [entry])
    env = cli_env(source)
    assert run_cli("apply", "--yes", str(manifest), env=env).returncode == 0
    moved = run_cli("state", "migrate", "--from", f"sqlite:{source}", "--to", pg_url, env=env)
    assert moved.returncode == 0, moved.stderr
    assert "1 owned" in moved.stdout and "1 applies" in moved.stdout
    with open_store(str(source), write=False) as old, open_store(pg_url, write=False) as new:
        assert new.dump() == old.dump()
    again = run_cli("state", "migrate", "--from", f"sqlite:{source}", "--to", pg_url, env=env)
    assert again.returncode == 1 and "already holds records" in again.stderr
    planned = run_cli("plan", str(manifest), "--state", pg_url, env=env)
    assert planned.returncode == 0, planned.stdout + planned.stderr  # ownership came along
    assert os.path.exists(source)  # the source is left as it was
    back = tmp_path / "back.db"  # and back again, to a new SQLite file
    returned = run_cli("state", "migrate", "--from", pg_url, "--to", str(back), env=env)
    assert returned.returncode == 0, returned.stderr
    with open_store(str(source), write=False) as old, open_store(str(back), write=False) as new:
        assert new.dump() == old.dump()


def test_import_adopt_never_runs_during_an_apply(
    tree: Path,
    tmp_path: Path,
    state_location: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Adoption writes ownership under the array's lock, like an apply (both backends)."""
    from storplan.session import connect

    monkeypatch.chdir(tree)
    uri = f"sim://{tmp_path / 'array.db'}"
    assert main(["apply", "--yes", "arrays.yaml", "--state", state_location]) == 0
    with connect(uri) as session:
        identity = session.provider.identity()
    argv = ["import", "--uri", uri, "--system", SYSTEM, "--out", str(tree / "i.yaml"), "--adopt",
            "--force", "--state", state_location]  # fmt: skip
    with open_store(state_location) as holder:
        lock = holder.acquire(identity, command="storplan apply elsewhere")
        before = holder.dump()
        assert main(argv) == 1
        assert "locked by" in capsys.readouterr().err
        assert holder.dump() == before  # nothing adopted meanwhile
        holder.release(lock)
    assert main(argv) == 0
    with open_store(state_location, write=False) as store:
        assert store.locks() == []
