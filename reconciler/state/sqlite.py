"""The embedded state store: one SQLite file (WAL; one transaction per change).

Locks are rows (:mod:`.sqlite_locks`); every write about an array first checks this
process's fencing token for it (:mod:`.fencing`), in the write's own transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import NotFound, StateStoreError
from .base import (
    ABANDONED,
    RUNNING,
    ApplyRecord,
    Ownership,
    StateStore,
    Step,
    Unfinished,
)
from .fencing import Fence, host_name, new_id
from .sqlite_file import _database_error, open_database
from .sqlite_locks import SqliteLocks

__all__ = ["SqliteStateStore"]


class SqliteStateStore(SqliteLocks, StateStore):
    """A state store in one SQLite file (see the module docstring).  Safe to share between
    processes; one instance serves every thread of a process."""

    def __init__(self, path: str, *, write: bool = True) -> None:
        self.location = path
        self.read_only = not write
        self.conn = open_database(path, write=write)
        self._lock = threading.RLock()
        self.fence = Fence()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------------ plumbing
    def _rows(self, sql: str, *args: Any) -> list[Any]:
        if self.conn is None:
            return []
        with self._lock:
            try:
                return self.conn.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc) or "no such column" in str(exc):
                    return []  # an older store read as it is (schema 1 lacks newer tables)
                raise _database_error(self.location, exc) from None
            except sqlite3.DatabaseError as exc:
                raise _database_error(self.location, exc) from None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        if self.read_only or self.conn is None:
            raise StateStoreError(
                f"state store {self.location} was opened for reading",
                hint="this is a bug in storplan; please report it",
            )
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise _database_error(self.location, exc) from None
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self.conn.execute("ROLLBACK")
                raise _database_error(self.location, exc) from None

    @contextmanager
    def _fenced(self, array_key: str) -> Iterator[tuple[sqlite3.Connection, int]]:
        """A write transaction about ``array_key`` that first checks the fencing tokens of
        the locks this store holds for it (:mod:`.fencing`); yields the token to record."""
        with self._tx() as conn:
            covering = self.fence.covering(array_key)
            tokens: dict[str, int] = {}
            if covering:
                marks = ",".join("?" * len(covering))
                tokens = dict(
                    conn.execute(
                        f"SELECT lock_key, token FROM locks WHERE lock_key IN ({marks})",
                        [lock.lock_key for lock in covering],
                    ).fetchall()
                )
            self.fence.check_all(covering, tokens, self.location)
            yield conn, max((lock.token for lock in covering), default=0)

    # ------------------------------------------------------------------ ownership
    def owned(self, array_key: str) -> dict[str, bool]:
        rows = self._rows("SELECT key, protect FROM owned WHERE array_key = ?", array_key)
        return {key: bool(protect) for key, protect in rows}

    def record_owned(self, array_key: str, key: str, protect: bool = False) -> None:
        with self._fenced(array_key) as (conn, token):
            _own(conn, array_key, key, protect, token)

    def forget_owned(self, array_key: str, key: str) -> None:
        with self._fenced(array_key) as (conn, _token):
            conn.execute("DELETE FROM owned WHERE array_key = ? AND key = ?", (array_key, key))

    def set_protected(self, array_key: str, protected: Iterable[str]) -> None:
        wanted = set(protected)
        with self._fenced(array_key) as (conn, _token):
            for key, flag in conn.execute(
                "SELECT key, protect FROM owned WHERE array_key = ?", (array_key,)
            ).fetchall():
                if bool(flag) != (key in wanted):
                    conn.execute(
                        "UPDATE owned SET protect = ? WHERE array_key = ? AND key = ?",
                        (int(key in wanted), array_key, key),
                    )

    def adopt_legacy(self, legacy_key: str, array_key: str) -> int:
        with self._fenced(array_key) as (conn, _token):
            has = conn.execute("SELECT 1 FROM owned WHERE array_key = ?", (array_key,)).fetchone()
            if has is not None or legacy_key == array_key:
                return 0
            moved = conn.execute(
                "UPDATE owned SET array_key = ? WHERE array_key = ?", (array_key, legacy_key)
            ).rowcount
        return int(moved)

    # ------------------------------------------------------------------ journal
    def begin_apply(self, manifest: str, arrays: Sequence[tuple[str, str]], command: str) -> str:
        apply_id = time.strftime("%Y%m%dT%H%M%S") + "-" + new_id(6)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO applies(id, started_at, finished_at, status, manifest, pid, host, "
                "command) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                (apply_id, time.time(), RUNNING, manifest, os.getpid(), host_name(), command),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO apply_arrays VALUES (?, ?, ?)",
                [(apply_id, name, key) for name, key in arrays],
            )
        return apply_id

    def step(
        self,
        apply_id: str,
        action_id: str,
        state: str,
        message: str = "",
        *,
        array_key: str = "",
        ownership: Ownership | None = None,
        owns: str = "",
    ) -> None:
        with self._fenced(array_key) as (conn, token):
            seq = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM journal WHERE apply_id = ?", (apply_id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (apply_id, seq, time.time(), action_id, state, message, array_key, owns, token),
            )
            if ownership is not None:
                _change(conn, array_key, ownership, token)

    def end_apply(self, apply_id: str, status: str) -> None:
        with self._fenced("") as (conn, _token):
            conn.execute(
                "UPDATE applies SET finished_at = ?, status = ? WHERE id = ?",
                (time.time(), status, apply_id),
            )

    def applies(self, limit: int = 20) -> list[ApplyRecord]:
        rows = self._rows(
            "SELECT id, started_at, finished_at, status, manifest FROM applies "
            "ORDER BY started_at DESC LIMIT ?",
            limit,
        )
        extra = {
            r[0]: r[1:]
            for r in self._rows(
                "SELECT id, pid, host, command, (SELECT group_concat(name, ',') FROM "
                "apply_arrays WHERE apply_id = id) FROM applies ORDER BY started_at DESC "
                "LIMIT ?",
                limit,
            )
        }
        found = []
        for r in rows:
            pid, host, command, arrays = extra.get(r[0], (0, "", "", None))
            names = tuple(sorted(arrays.split(","))) if arrays else ()
            apply_id, started, finished, status, manifest = r
            found.append(
                ApplyRecord(
                    apply_id,
                    started,
                    finished,
                    status,
                    manifest,
                    names,
                    host,
                    int(pid or 0),
                    command,
                )
            )
        return found

    def steps(self, apply_id: str) -> list[Step]:
        rows = self._rows(
            "SELECT seq, at, action_id, state, message FROM journal WHERE apply_id = ? "
            "ORDER BY seq",
            apply_id,
        )
        if not rows and not self._rows("SELECT 1 FROM applies WHERE id = ?", apply_id):
            raise NotFound(f"no apply {apply_id!r} in {self.location}")
        return [Step(*r) for r in rows]

    def unfinished_creates(self, array_key: str) -> list[Unfinished]:
        rows = self._rows(
            "SELECT j.apply_id, j.action_id, j.owns FROM journal j JOIN applies a "
            "ON a.id = j.apply_id WHERE a.status = ? AND j.array_key = ? AND j.owns != '' "
            "AND j.state = 'started' AND NOT EXISTS (SELECT 1 FROM journal k WHERE "
            "k.apply_id = j.apply_id AND k.action_id = j.action_id AND k.seq > j.seq)",
            ABANDONED,
            array_key,
        )
        return [Unfinished(*r) for r in rows]

    # ------------------------------------------------------------------ migration
    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        from .migrate import dump_tables

        if self.conn is None:
            return {}
        with self._lock:
            return dump_tables(self.conn)

    def load(self, records: dict[str, list[tuple[Any, ...]]]) -> None:
        from .migrate import load_tables, top_token

        top = top_token(records)
        with self._tx() as conn:
            load_tables(conn, records, "?")
            if top:
                conn.execute("INSERT OR REPLACE INTO meta VALUES ('lock_token', ?)", (str(top),))

    # ------------------------------------------------------------------ keys
    def secret_key(self, *, create: bool) -> bytes | None:
        rows = self._rows("SELECT value FROM meta WHERE key = 'secret_key'")
        if rows:
            return bytes.fromhex(rows[0][0])
        if not create:
            return None
        with self._tx() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta VALUES ('secret_key', ?)", (os.urandom(32).hex(),)
            )
            value = conn.execute("SELECT value FROM meta WHERE key = 'secret_key'").fetchone()
        return bytes.fromhex(value[0])

    def chap_digest(self, array_key: str, initiator: str) -> str | None:
        rows = self._rows(
            "SELECT digest FROM chap_digests WHERE array_key = ? AND initiator = ?",
            array_key,
            initiator,
        )
        return str(rows[0][0]) if rows else None

    def record_chap_digest(self, array_key: str, initiator: str, digest: str) -> None:
        with self._fenced(array_key) as (conn, _token):
            conn.execute(
                "INSERT OR REPLACE INTO chap_digests VALUES (?, ?, ?, ?)",
                (array_key, initiator, digest, time.time()),
            )


def _own(conn: sqlite3.Connection, array_key: str, key: str, protect: bool, token: int) -> None:
    conn.execute(
        "INSERT INTO owned VALUES (?, ?, ?, ?, ?) ON CONFLICT(array_key, key) DO UPDATE SET "
        "protect = excluded.protect",
        (array_key, key, int(protect), time.time(), token),
    )


def _change(conn: sqlite3.Connection, array_key: str, change: Ownership, token: int) -> None:
    if change.change == "add":
        conn.execute(
            "INSERT OR IGNORE INTO owned VALUES (?, ?, 0, ?, ?)",
            (array_key, change.key, time.time(), token),
        )
    elif change.change == "forget":
        conn.execute("DELETE FROM owned WHERE array_key = ? AND key = ?", (array_key, change.key))
    elif change.change == "rename":
        conn.execute(
            "UPDATE OR REPLACE owned SET key = ?, token = ? WHERE array_key = ? AND key = ?",
            (change.new, token, array_key, change.key),
        )
