"""The embedded state store: one SQLite file (WAL; one transaction per change).

Locks are rows: a lock whose holder died on this host is taken over (its apply marked
``abandoned``); any other is removed with ``storplan unlock``.  Such locks only coordinate
processes that share the file: two machines with two files hold two locks for one array
(docs/plan-apply.md, "State and locks for teams").
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..errors import LockHeld, NotFound, StateStoreError
from .base import (
    ABANDONED,
    RUNNING,
    ApplyRecord,
    Lock,
    LockInfo,
    Ownership,
    StateStore,
    Step,
    Unfinished,
)
from .sqlite_file import _database_error, open_database

__all__ = ["SqliteStateStore"]

_PID_MAX = 1 << 22  # Linux's pid_max ceiling


class SqliteStateStore(StateStore):
    """A state store in one SQLite file (see the module docstring).  Safe to share between
    processes; one instance serves every thread of a process."""

    def __init__(self, path: str, *, write: bool = True) -> None:
        self.location = path
        self.read_only = not write
        self.conn = open_database(path, write=write)
        self._lock = threading.RLock()

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

    # ------------------------------------------------------------------ ownership
    def owned(self, array_key: str) -> dict[str, bool]:
        rows = self._rows("SELECT key, protect FROM owned WHERE array_key = ?", array_key)
        return {key: bool(protect) for key, protect in rows}

    def record_owned(self, array_key: str, key: str, protect: bool = False) -> None:
        with self._tx() as conn:
            _own(conn, array_key, key, protect)

    def forget_owned(self, array_key: str, key: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM owned WHERE array_key = ? AND key = ?", (array_key, key))

    def set_protected(self, array_key: str, protected: Iterable[str]) -> None:
        wanted = set(protected)
        with self._tx() as conn:
            for key, flag in conn.execute(
                "SELECT key, protect FROM owned WHERE array_key = ?", (array_key,)
            ).fetchall():
                if bool(flag) != (key in wanted):
                    conn.execute(
                        "UPDATE owned SET protect = ? WHERE array_key = ? AND key = ?",
                        (int(key in wanted), array_key, key),
                    )

    def adopt_legacy(self, legacy_key: str, array_key: str) -> int:
        with self._tx() as conn:
            has = conn.execute("SELECT 1 FROM owned WHERE array_key = ?", (array_key,)).fetchone()
            if has is not None or legacy_key == array_key:
                return 0
            moved = conn.execute(
                "UPDATE owned SET array_key = ? WHERE array_key = ?", (array_key, legacy_key)
            ).rowcount
        return int(moved)

    # ------------------------------------------------------------------ journal
    def begin_apply(self, manifest: str, arrays: Sequence[tuple[str, str]], command: str) -> str:
        apply_id = time.strftime("%Y%m%dT%H%M%S") + "-" + _token(6)
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO applies(id, started_at, finished_at, status, manifest, pid, host, "
                "command) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                (apply_id, time.time(), RUNNING, manifest, os.getpid(), _host(), command),
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
        with self._tx() as conn:
            seq = conn.execute(
                "SELECT coalesce(max(seq), 0) + 1 FROM journal WHERE apply_id = ?", (apply_id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (apply_id, seq, time.time(), action_id, state, message, array_key, owns),
            )
            if ownership is not None:
                _change(conn, array_key, ownership)

    def end_apply(self, apply_id: str, status: str) -> None:
        with self._tx() as conn:
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

    # ------------------------------------------------------------------ locks
    def acquire(
        self, lock_key: str, *, timeout: float = 0.0, command: str = "", label: str = ""
    ) -> Lock:
        lock_id, host = _token(12), _host()
        deadline = time.monotonic() + timeout
        while True:
            granted, holder = self._try_lock(lock_key, lock_id, host, command)
            if granted is not None:
                return granted
            assert holder is not None
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"{label or lock_key} is locked by pid {holder.pid} on {holder.host} "
                    f"({holder.command or 'an apply'}; lock {holder.lock_id}, taken "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.localtime(holder.acquired_at))})",
                    hint="wait for it, pass --lock-timeout SECONDS, or if that apply is gone: "
                    f"storplan unlock {holder.lock_id}",
                )
            time.sleep(0.1)

    def _try_lock(
        self, lock_key: str, lock_id: str, host: str, command: str
    ) -> tuple[Lock | None, LockInfo | None]:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT lock_key, lock_id, pid, host, acquired_at, apply_id, command FROM locks "
                "WHERE lock_key = ?",
                (lock_key,),
            ).fetchone()
            if row is not None:
                holder = self._holder(row)
                if not (holder.host == host and not _alive(holder.pid)):
                    return None, holder  # a live holder (or one on another host)
                _abandon(conn, holder.apply_id)
            token = int(
                conn.execute(
                    "SELECT coalesce(max(CAST(value AS INTEGER)), 0) + 1 FROM meta "
                    "WHERE key = 'lock_token'"
                ).fetchone()[0]
            )
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('lock_token', ?)", (str(token),))
            conn.execute(
                "INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?, '', ?, ?)",
                (lock_key, lock_id, os.getpid(), host, time.time(), command, token),
            )
        return Lock(lock_key, lock_id, token), None

    def _holder(self, row: Any) -> LockInfo:
        pid, acquired = row[2], row[4]
        if (
            not isinstance(pid, int)
            or not 0 < pid < _PID_MAX
            or not isinstance(acquired, int | float)
        ):
            raise StateStoreError(
                f"state store {self.location}: the lock {row[1]!r} of {row[0]} holds an "
                f"invalid process id {pid!r}",
                hint=f"if no apply is running: storplan unlock {row[1]}",
            )
        return LockInfo(row[0], row[1], pid, str(row[3]), float(acquired), row[5], row[6])

    def attach(self, lock: Lock, apply_id: str) -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE locks SET apply_id = ? WHERE lock_id = ?", (apply_id, lock.lock_id)
            )

    def release(self, lock: Lock) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM locks WHERE lock_id = ?", (lock.lock_id,))

    def unlock(self, lock_id: str) -> str:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT lock_key, apply_id FROM locks WHERE lock_id = ?", (lock_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no lock {lock_id!r} in {self.location}")
            _abandon(conn, row[1])
            conn.execute("DELETE FROM locks WHERE lock_id = ?", (lock_id,))
        return str(row[0])

    def locks(self) -> list[LockInfo]:
        rows = self._rows(
            "SELECT lock_key, lock_id, pid, host, acquired_at, apply_id, command FROM locks"
        )
        return [LockInfo(r[0], r[1], int(r[2]) if str(r[2]).isdigit() else 0, *r[3:]) for r in rows]

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
        with self._tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO chap_digests VALUES (?, ?, ?, ?)",
                (array_key, initiator, digest, time.time()),
            )


def _own(conn: sqlite3.Connection, array_key: str, key: str, protect: bool) -> None:
    conn.execute(
        "INSERT INTO owned VALUES (?, ?, ?, ?) ON CONFLICT(array_key, key) DO UPDATE SET "
        "protect = excluded.protect",
        (array_key, key, int(protect), time.time()),
    )


def _change(conn: sqlite3.Connection, array_key: str, change: Ownership) -> None:
    if change.change == "add":
        conn.execute(
            "INSERT OR IGNORE INTO owned VALUES (?, ?, 0, ?)", (array_key, change.key, time.time())
        )
    elif change.change == "forget":
        conn.execute("DELETE FROM owned WHERE array_key = ? AND key = ?", (array_key, change.key))
    elif change.change == "rename":
        conn.execute(
            "UPDATE OR REPLACE owned SET key = ? WHERE array_key = ? AND key = ?",
            (change.new, array_key, change.key),
        )


def _abandon(conn: sqlite3.Connection, apply_id: str) -> None:
    """Mark a dead holder's apply (if it was still running) as abandoned."""
    if apply_id:
        conn.execute(
            "UPDATE applies SET status = ?, finished_at = ? WHERE id = ? AND status = ?",
            (ABANDONED, time.time(), apply_id, RUNNING),
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def _host() -> str:
    import socket  # only when a lock is taken: plan and show never need it

    return socket.gethostname()


def _token(length: int) -> str:
    """A random hexadecimal id of ``length`` digits (apply and lock ids)."""
    return os.urandom((length + 1) // 2).hex()[:length]
