"""The state store in a broken environment, and what it keeps.

Real: SQLite files, directories, a FIFO, /dev/null, /proc, chmod'ed (read-only) files, text
and truncated files, and real ``storplan`` processes where the exit code matters.  Every
failure must name the store and exit 1 (never 3), and a corrupt store is never overwritten.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from planhelpers import cli_env, run_cli, write_manifest
from storplan.errors import LockHeld, StateStoreError
from storplan.state import Ownership, open_store

IQN = "iqn.2024-01.com.example:"


def _manifest(tmp_path: Path) -> Path:
    uri = f"sim://{tmp_path / 'array.db'}"
    volume = {"name": "v1", "pool": "ssd", "size": "1GiB"}
    return write_manifest(
        tmp_path / "m.yaml",
        [{"name": "a", "provider": uri, "system": "sim-array-1", "pools": [{"name": "ssd"}],
          "volumes": [volume]}],
    )  # fmt: skip


BROKEN = {
    "under-proc": lambda tmp: "/proc/self/storplan-state.db",
    "below-a-file": lambda tmp: str(_file(tmp / "plain", "x") / "state.db"),
    "a-directory": lambda tmp: str(_dir(tmp / "dir")),
    "dev-null": lambda tmp: "/dev/null",
    "a-fifo": lambda tmp: str(_fifo(tmp / "fifo")),
    "a-text-file": lambda tmp: str(_file(tmp / "notes.db", "these are my notes\n")),
    "truncated": lambda tmp: str(_truncated(tmp / "cut.db")),
}


def _file(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _dir(path: Path) -> Path:
    path.mkdir()
    return path


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _truncated(path: Path) -> Path:
    with open_store(str(path)) as store:
        for n in range(200):
            store.record_owned("array#sys", f"volume:v{n}")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3 + 5])
    for extra in ("-wal", "-shm"):
        Path(f"{path}{extra}").unlink(missing_ok=True)
    return path


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_store_is_named_and_never_overwritten(tmp_path: Path, case: str) -> None:
    location = BROKEN[case](tmp_path)
    before = Path(location).read_bytes() if Path(location).is_file() else None
    for write in (True, False):
        with pytest.raises(StateStoreError) as refused:
            open_store(location, write=write).owned("x")
        assert location in refused.value.message, refused.value.message
    if before is not None:
        assert Path(location).read_bytes() == before  # untouched


@pytest.mark.subprocess
@pytest.mark.parametrize("case", ["a-directory", "a-text-file", "truncated", "dev-null"])
def test_broken_store_exits_1_naming_it(tmp_path: Path, case: str) -> None:
    location = BROKEN[case](tmp_path)
    manifest = _manifest(tmp_path)
    for command in (["plan", str(manifest)], ["apply", "--yes", str(manifest)], ["journal"]):
        done = run_cli(*command, "--state", location, env=cli_env(tmp_path / "unused.db"))
        assert done.returncode == 1, (command, done.stderr)
        assert location in done.stderr and "internal error" not in done.stderr


def test_state_location_that_looks_like_a_url_is_refused(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    for url in ("mysql://user@x/y", "https://a/b"):
        with pytest.raises(StateStoreError, match="supports") as refused:
            open_store(url)
        assert "user@" not in refused.value.message
    for url in ("postgresql://user:s3cret@db.example.com/storplan",
                "postgresql://user@db.example.com/storplan?password=s3cret"):  # fmt: skip
        with pytest.raises(StateStoreError, match="password") as refused:
            open_store(url)
        assert "s3cret" not in str(refused.value)
    assert list(tmp_path.iterdir()) == []  # no directory tree named 'postgresql:'
    with open_store(f"sqlite:{tmp_path / 's.db'}") as store:
        store.record_owned("a#b", "volume:x")
    assert (tmp_path / "s.db").exists()


def test_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.db"
    with open_store(str(path)) as store:
        store.record_owned("a#b", "volume:x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in ("-wal", "-shm"):
        side = Path(f"{path}{extra}")
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0, extra


@contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    """``directory`` as a read-only file system (a read-only bind mount, as root), else made
    read-only with chmod (which binds other users)."""
    view = directory.parent / f"{directory.name}-ro"
    view.mkdir()
    mounted = False
    if os.geteuid() == 0:
        bind = subprocess.run(["mount", "--bind", str(directory), str(view)], check=False)
        remount = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(view)], check=False, capture_output=True
        )
        mounted = bind.returncode == 0 and remount.returncode == 0
    try:
        if not mounted:
            if os.geteuid() == 0:
                pytest.skip("root, and no read-only bind mount: cannot make a read-only store")
            for entry in directory.iterdir():
                entry.chmod(0o400)
            directory.chmod(0o500)
            yield directory
        else:
            yield view
    finally:
        if mounted and subprocess.run(["umount", str(view)], check=False).returncode:
            subprocess.run(["umount", "-l", str(view)], check=False)  # busy: detach it
        directory.chmod(0o700)


def test_read_only_store_serves_plan_and_journal(tmp_path: Path) -> None:
    """A store on a read-only file system (a real read-only mount): plan and journal read it;
    apply refuses with the path; nothing is written."""
    data = tmp_path / "data"
    data.mkdir()
    path = data / "state.db"
    with open_store(str(path)) as store:
        apply_id = store.begin_apply("m", [("a", "id#sys")], "test")
        store.step(apply_id, "a/volume/v/create_volume", "done", array_key="id#sys",
                   ownership=Ownership("add", "volume:v"))  # fmt: skip
        store.end_apply(apply_id, "ok")
    with read_only(data) as view:
        ro = view / "state.db"
        with open_store(str(ro), write=False) as store:
            assert store.owned("id#sys") == {"volume:v": False}
            assert [a.status for a in store.applies()] == ["ok"]
        with pytest.raises(StateStoreError, match="read-only") as refused:
            open_store(str(ro), write=True)
        assert str(ro) in refused.value.message
        journal = run_cli("journal", "--state", str(ro), env=cli_env(ro))
        assert journal.returncode == 0 and " ok " in journal.stdout, journal.stderr
        manifest = _manifest(tmp_path)
        plan = run_cli("plan", str(manifest), "--state", str(ro), env=cli_env(ro))
        assert plan.returncode == 2, plan.stderr


def test_a_missing_store_reads_as_empty_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nothing" / "state.db"
    with open_store(str(path), write=False) as store:
        assert store.owned("a#b") == {} and store.applies() == [] and store.locks() == []
        assert store.secret_key(create=False) is None
    assert not path.parent.exists()


@pytest.mark.parametrize("pid", ["'forty-two'", str(2**32 + 1), "-5"])
def test_a_lock_row_with_an_invalid_pid_is_named(tmp_path: Path, pid: str) -> None:
    path = tmp_path / "state.db"
    with open_store(str(path)) as store:
        store.acquire("array-1").lock_id  # noqa: B018  (creates the row)
    conn = sqlite3.connect(path)
    conn.execute(f"UPDATE locks SET pid = {pid}")
    conn.commit()
    conn.close()
    with open_store(str(path)) as store, pytest.raises(StateStoreError) as refused:
        store.acquire("array-1")
    assert str(path) in refused.value.message and "storplan unlock" in refused.value.hint


def test_a_dead_holders_lock_is_taken_over_and_its_apply_abandoned(tmp_path: Path) -> None:
    path = str(tmp_path / "state.db")
    with open_store(path) as store:
        lock = store.acquire("array-1")
        apply_id = store.begin_apply("m", [("a", "array-1#sys")], "test")
        store.attach(lock, apply_id)
        store.step(apply_id, "a/volume/v/create_volume", "started", array_key="array-1#sys",
                   owns="volume:v")  # fmt: skip
    conn = sqlite3.connect(path)
    conn.execute("UPDATE locks SET pid = 4194000")  # a pid that is not running
    conn.commit()
    conn.close()
    with open_store(path) as store:
        again = store.acquire("array-1")
        assert again.token > lock.token  # fencing: every grant has a newer token
        assert store.applies()[0].status == "abandoned"
        [unfinished] = store.unfinished_creates("array-1#sys")
        assert (unfinished.apply_id, unfinished.key) == (apply_id, "volume:v")
        store.settle_unfinished(unfinished, "checked")
        assert store.unfinished_creates("array-1#sys") == []
        with pytest.raises(LockHeld, match="pid"):
            open_store(path).acquire("array-1")


def test_a_schema_1_store_is_read_as_it_is_and_upgraded_by_a_write(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE owned(array_key TEXT NOT NULL, key TEXT NOT NULL, protect INTEGER NOT NULL"
        " DEFAULT 0, recorded_at REAL NOT NULL, PRIMARY KEY(array_key, key));"
        "CREATE TABLE applies(id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL,"
        " status TEXT NOT NULL, manifest TEXT NOT NULL);"
        "CREATE TABLE journal(apply_id TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,"
        " action_id TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL,"
        " PRIMARY KEY(apply_id, seq));"
        "CREATE TABLE locks(array_key TEXT PRIMARY KEY, lock_id TEXT NOT NULL, pid INTEGER"
        " NOT NULL, host TEXT NOT NULL, acquired_at REAL NOT NULL);"
        "INSERT INTO owned VALUES ('sim:///x.db#sys1', 'volume:old', 1, 0);"
        "INSERT INTO applies VALUES ('a1', 1, 2, 'ok', 'm');"
    )
    conn.commit()
    conn.close()
    digest = path.read_bytes()
    with open_store(str(path), write=False) as store:
        assert store.owned("sim:///x.db#sys1") == {"volume:old": True}
        assert [a.id for a in store.applies()] == ["a1"]
    assert path.read_bytes() == digest  # reading changed nothing
    with open_store(str(path)) as store:
        assert store.adopt_legacy("sim:///x.db#sys1", "sim-uuid#sys1") == 1
        assert store.owned("sim-uuid#sys1") == {"volume:old": True}
        assert store.adopt_legacy("sim:///x.db#sys1", "sim-uuid#sys1") == 0


def _schema_2_store(path: Path) -> Path:
    """A store as storplan wrote it before fencing tokens were recorded (schema 2)."""
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE owned(array_key TEXT NOT NULL, key TEXT NOT NULL, protect INTEGER NOT NULL"
        " DEFAULT 0, recorded_at REAL NOT NULL, PRIMARY KEY(array_key, key));"
        "CREATE TABLE applies(id TEXT PRIMARY KEY, started_at REAL NOT NULL, finished_at REAL,"
        " status TEXT NOT NULL, manifest TEXT NOT NULL, pid INTEGER NOT NULL DEFAULT 0,"
        " host TEXT NOT NULL DEFAULT '', command TEXT NOT NULL DEFAULT '');"
        "CREATE TABLE apply_arrays(apply_id TEXT NOT NULL, name TEXT NOT NULL,"
        " array_key TEXT NOT NULL, PRIMARY KEY(apply_id, name));"
        "CREATE TABLE journal(apply_id TEXT NOT NULL, seq INTEGER NOT NULL, at REAL NOT NULL,"
        " action_id TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, array_key TEXT"
        " NOT NULL DEFAULT '', owns TEXT NOT NULL DEFAULT '', PRIMARY KEY(apply_id, seq));"
        "CREATE TABLE locks(lock_key TEXT PRIMARY KEY, lock_id TEXT NOT NULL, pid INTEGER NOT"
        " NULL, host TEXT NOT NULL, acquired_at REAL NOT NULL, apply_id TEXT NOT NULL DEFAULT"
        " '', command TEXT NOT NULL DEFAULT '', token INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE chap_digests(array_key TEXT NOT NULL, initiator TEXT NOT NULL, digest"
        " TEXT NOT NULL, recorded_at REAL NOT NULL, PRIMARY KEY(array_key, initiator));"
        "INSERT INTO meta VALUES ('schema_version', '2'), ('lock_token', '7'),"
        " ('secret_key', '" + "ab" * 32 + "');"
        "INSERT INTO owned VALUES ('id#sys', 'volume:v', 1, 5);"
        "INSERT INTO applies VALUES ('a1', 1, 2, 'ok', 'm', 42, 'h', 'storplan apply m');"
        "INSERT INTO apply_arrays VALUES ('a1', 'a', 'id#sys');"
        "INSERT INTO journal VALUES ('a1', 1, 1.5, 'a/volume/v/create_volume', 'done', '',"
        " 'id#sys', 'volume:v');"
    )
    conn.commit()
    conn.close()
    return path


def test_a_schema_2_store_is_upgraded_to_3_keeping_every_record(tmp_path: Path) -> None:
    """A store as storplan wrote it before fencing tokens were recorded (schema 2)."""
    path = _schema_2_store(tmp_path / "v2.db")
    with open_store(str(path), write=False) as store:  # read as it is
        assert store.owned("id#sys") == {"volume:v": True}
    with open_store(str(path)) as store:
        assert store.owned("id#sys") == {"volume:v": True}
        assert [s.action for s in store.steps("a1")] == ["a/volume/v/create_volume"]
        assert store.secret_key(create=False) == bytes.fromhex("ab" * 32)
        lock = store.acquire("id")
        assert lock.token == 8  # tokens go on from the old store's
        store.attach(lock, "a2", "digest")
        store.step("a2", "a/volume/w/create_volume", "done", array_key="id#sys",
                   ownership=Ownership("add", "volume:w"))  # fmt: skip
        store.release(lock)
    conn = sqlite3.connect(path)
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    tokens = conn.execute("SELECT key, token FROM owned ORDER BY key").fetchall()
    conn.close()
    assert version == ("3",) and tokens == [("volume:v", 0), ("volume:w", 8)]


def test_a_schema_2_store_migrates_with_every_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storplan.cli import main

    source = _schema_2_store(tmp_path / "v2.db")
    target = tmp_path / "new.db"
    assert main(["state", "migrate", "--from", f"sqlite:{source}", "--to", str(target)]) == 0
    assert "1 owned, 1 applies, 1 apply_arrays, 1 journal" in capsys.readouterr().out
    with open_store(str(source), write=False) as old, open_store(str(target)) as new:
        assert new.dump() == old.dump() and new.owned("id#sys") == {"volume:v": True}
        assert new.acquire("id").token == 8  # above every token of the old store
