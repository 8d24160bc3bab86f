"""The state-store contract, run on both backends (``state_location``: an SQLite file, and a
database of a real PostgreSQL 15 cluster this session owns, tests/pgserver.py).

Real: the SQLite files, the PostgreSQL server and its advisory locks, two store instances
(two connections, as two processes would have).  Nothing is faked.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from storplan.errors import LockHeld, LockLost, NotFound, StateStoreError
from storplan.state import ABANDONED, Ownership, open_store
from storplan.state.migrate import migrate
from storplan.state.schema import SCHEMA_VERSION

ARRAY = "array-1#sys"


def test_ownership_and_protection(state_location: str) -> None:
    with open_store(state_location) as store:
        store.record_owned(ARRAY, "volume:a")
        store.record_owned(ARRAY, "volume:b", protect=True)
        store.set_protected(ARRAY, ["volume:a"])
        assert store.owned(ARRAY) == {"volume:a": True, "volume:b": False}
        store.forget_owned(ARRAY, "volume:b")
        assert store.owned(ARRAY) == {"volume:a": True}
        assert store.owned("other#sys") == {}
        assert store.adopt_legacy(ARRAY, "array-uuid#sys") == 1
        assert store.owned("array-uuid#sys") == {"volume:a": True}


def test_steps_carry_their_ownership_change(state_location: str) -> None:
    with open_store(state_location) as store:
        lock = store.acquire("array-1", command="storplan apply m.yaml")
        apply_id = store.begin_apply("m.yaml", [("a", ARRAY)], "storplan apply m.yaml")
        store.attach(lock, apply_id)
        store.step(apply_id, "a/volume/v/create_volume", "started", array_key=ARRAY,
                   owns="volume:v")  # fmt: skip
        store.step(apply_id, "a/volume/v/create_volume", "done", array_key=ARRAY,
                   ownership=Ownership("add", "volume:v"))  # fmt: skip
        store.step(apply_id, "a/volume/v/rename_volume", "done", array_key=ARRAY,
                   ownership=Ownership("rename", "volume:v", "volume:w"))  # fmt: skip
        store.end_apply(apply_id, "ok")
        store.release(lock)
        assert store.owned(ARRAY) == {"volume:w": False}
        [record] = store.applies()
        assert (record.id, record.status, record.arrays, record.pid) == (
            apply_id, "ok", ("a",), os.getpid()
        )  # fmt: skip
        assert [s.state for s in store.steps(apply_id)] == ["started", "done", "done"]
        assert [s.seq for s in store.steps(apply_id)] == [1, 2, 3]
        with pytest.raises(NotFound):
            store.steps("no-such-apply")
        assert store.locks() == []


def test_the_holder_is_named_not_the_requester(state_location: str) -> None:
    with open_store(state_location) as first, open_store(state_location) as second:
        lock = first.acquire("array-1", command="storplan apply first.yaml")
        first.attach(lock, "apply-1", "0123456789ab")
        with pytest.raises(LockHeld):  # not re-entrant, even in its own store (a session's
            first.acquire("array-1")  # advisory locks are)
        with pytest.raises(LockHeld) as held:
            second.acquire("array-1", command="storplan apply second.yaml", label="array a")
        message = held.value.message
        assert "first.yaml" in message and "second.yaml" not in message
        assert f"pid {os.getpid()}" in message and lock.lock_id in message
        assert "plan 0123456789ab" in message
        [info] = second.locks()
        assert (info.lock_id, info.command, info.apply_id, info.plan) == (
            lock.lock_id, "storplan apply first.yaml", "apply-1", "0123456789ab"
        )  # fmt: skip
        first.release(lock)
        again = second.acquire("array-1")
        assert again.token > lock.token
        second.release(again)


def test_a_stale_writer_is_fenced(state_location: str) -> None:
    """The lock is removed (``storplan unlock``, as for a paused holder) and granted to
    another apply: every later write of the first holder is refused."""
    with open_store(state_location) as stale, open_store(state_location) as other:
        lock = stale.acquire("array-1", command="stale")
        apply_id = stale.begin_apply("m", [("a", ARRAY)], "stale")
        stale.attach(lock, apply_id)
        stale.step(apply_id, "a/volume/v/create_volume", "started", array_key=ARRAY)
        terminate = state_location.startswith("postgresql:")
        assert other.unlock(lock.lock_id, terminate=terminate) == "array-1"
        newer = other.acquire("array-1", command="newer")
        assert newer.token > lock.token
        for write in (
            lambda: stale.step(apply_id, "a/volume/v/create_volume", "done", array_key=ARRAY,
                               ownership=Ownership("add", "volume:v")),
            lambda: stale.record_owned(ARRAY, "volume:v"),
            lambda: stale.set_protected(ARRAY, ["volume:v"]),
            lambda: stale.end_apply(apply_id, "ok"),
        ):  # fmt: skip
            with pytest.raises(LockLost) as lost:
                write()
            assert lost.value.code == "lock_lost" and "array-1" in lost.value.message
        assert other.owned(ARRAY) == {}
        [record] = other.applies()
        assert record.status == ABANDONED
        steps = other.steps(apply_id)
        assert [s.state for s in steps] == ["started", "abandoned"]
        assert "removed by storplan unlock" in steps[-1].message
        other.record_owned(ARRAY, "volume:x")  # the new holder writes
        other.release(newer)


def test_keys_and_chap_digests(state_location: str) -> None:
    with open_store(state_location) as store:
        assert store.secret_key(create=False) is None
        key = store.secret_key(create=True)
        assert key is not None and len(key) == 32
        assert store.secret_key(create=True) == key
        store.record_chap_digest(ARRAY, "initiator:h/iqn", "d1")
        store.record_chap_digest(ARRAY, "initiator:h/iqn", "d2")
        assert store.chap_digest(ARRAY, "initiator:h/iqn") == "d2"
        assert store.chap_digest(ARRAY, "initiator:h/other") is None


def test_a_missing_store_reads_as_empty(state_location: str) -> None:
    with open_store(state_location, write=False) as store:
        assert store.owned(ARRAY) == {} and store.applies() == [] and store.locks() == []
        assert store.secret_key(create=False) is None
        assert store.dump() == {}
    with open_store(state_location, write=False) as store:  # still nothing was created
        assert store.dump() == {}


def _newer(location: str, pg_server: object) -> None:
    if location.startswith("postgresql:"):
        with open_store(location) as store:
            store.record_owned(ARRAY, "volume:a")
            conn = store.conn
            assert conn is not None
            conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (SCHEMA_VERSION + 1,))
            conn.commit()
    else:
        with open_store(location) as store:
            store.record_owned(ARRAY, "volume:a")
        conn = sqlite3.connect(location)
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'",
                     (str(SCHEMA_VERSION + 1),))  # fmt: skip
        conn.commit()
        conn.close()


def test_a_store_newer_than_this_storplan_is_refused(state_location: str) -> None:
    _newer(state_location, None)
    for write in (True, False):
        with pytest.raises(StateStoreError, match="newer storplan") as refused:
            open_store(state_location, write=write)
        assert f"schema version {SCHEMA_VERSION + 1}" in refused.value.message


def _fill(location: str) -> None:
    with open_store(location) as store:
        lock = store.acquire("array-1")
        for n in range(3):
            apply_id = store.begin_apply(f"m{n}.yaml", [("a", ARRAY), ("b", "b#s")], "cmd")
            store.attach(lock, apply_id)
            for m in range(4):
                store.step(apply_id, f"a/volume/v{n}{m}/create_volume", "done",
                           f"note {m}", array_key=ARRAY, owns=f"volume:v{n}{m}",
                           ownership=Ownership("add", f"volume:v{n}{m}"))  # fmt: skip
            store.end_apply(apply_id, "ok" if n else "failed")
        store.set_protected(ARRAY, ["volume:v00", "volume:v11"])
        store.secret_key(create=True)
        store.record_chap_digest(ARRAY, "initiator:h/iqn", "digest")
        store.release(lock)


@pytest.mark.parametrize("target_kind", ["sqlite", "postgresql"])
def test_migration_preserves_every_record(
    state_location: str, target_kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    _fill(state_location)
    if target_kind == "sqlite":
        target = str(tmp_path / "target.db")
    else:
        server = request.getfixturevalue("pg_server")
        target = server.url(server.create_database("target"))
    with open_store(state_location, write=False) as source, open_store(target) as moved:
        before = source.dump()
        done = migrate(source, moved)
        assert done.counts["journal"] == 12 and done.counts["owned"] == 12
        assert moved.dump() == before
        assert moved.secret_key(create=False) == source.secret_key(create=False)
        lock = moved.acquire("array-1")  # the next grant outranks every migrated token
        assert lock.token > max(row[-1] for row in before["journal"])
        moved.release(lock)
        with pytest.raises(StateStoreError, match="already holds records"):
            migrate(source, moved)


def test_migration_refuses_a_source_with_a_held_lock(state_location: str, tmp_path: Path) -> None:
    with open_store(state_location) as source, open_store(str(tmp_path / "t.db")) as target:
        source.acquire("array-1", command="running apply")
        with pytest.raises(StateStoreError, match="held lock"):
            migrate(source, target)
        assert target.dump()["owned"] == []
