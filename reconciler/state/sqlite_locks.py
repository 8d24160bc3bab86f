"""The SQLite store's locks: one row per array identity, with its holder and fencing token.

A lock whose holder died on this host is taken over (its apply marked ``abandoned``); any
other is removed with ``storplan unlock``.  Such locks only coordinate processes that share
the file: two machines with two files hold two locks for one array (docs/plan-apply.md,
"State and locks for teams").  A mixin of :class:`.sqlite.SqliteStateStore`.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from ..errors import NotFound, StateStoreError
from .base import ABANDONED, RUNNING, Lock, LockInfo
from .fencing import Fence, alive, held_error, host_name, new_id, unlock_note

__all__ = ["SqliteLocks"]

_PID_MAX = 1 << 22  # Linux's pid_max ceiling


class SqliteLocks:
    """Lock methods of the SQLite store (see the module docstring)."""

    location: str
    fence: Fence
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _rows: Callable[..., list[Any]]
    step: Callable[..., None]

    def acquire(
        self, lock_key: str, *, timeout: float = 0.0, command: str = "", label: str = ""
    ) -> Lock:
        lock_id, host = new_id(12), host_name()
        deadline = time.monotonic() + timeout
        while True:
            granted, holder = self._try_lock(lock_key, lock_id, host, command)
            if granted is not None:
                self.fence.granted(granted)
                return granted
            assert holder is not None
            if time.monotonic() >= deadline:
                raise held_error(label, holder)
            time.sleep(0.1)

    def _try_lock(
        self, lock_key: str, lock_id: str, host: str, command: str
    ) -> tuple[Lock | None, LockInfo | None]:
        with self._tx() as conn:
            row = conn.execute(
                "SELECT lock_key, lock_id, pid, host, acquired_at, apply_id, command, plan FROM "
                "locks WHERE lock_key = ?",
                (lock_key,),
            ).fetchone()
            if row is not None:
                holder = self._holder(row)
                if not (holder.host == host and not alive(holder.pid)):
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
                "INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?, '', ?, ?, '')",
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
        return LockInfo(row[0], row[1], pid, str(row[3]), float(acquired), *row[5:8])

    def attach(self, lock: Lock, apply_id: str, plan: str = "") -> None:
        with self._tx() as conn:
            conn.execute(
                "UPDATE locks SET apply_id = ?, plan = ? WHERE lock_id = ?",
                (apply_id, plan, lock.lock_id),
            )

    def release(self, lock: Lock) -> None:
        self.fence.released(lock)
        with self._tx() as conn:
            conn.execute("DELETE FROM locks WHERE lock_id = ?", (lock.lock_id,))

    def unlock(self, lock_id: str, *, terminate: bool = False) -> str:
        if terminate:
            raise StateStoreError(
                f"state store {self.location}: --terminate ends a PostgreSQL session; an "
                "SQLite store's lock holder is a process (stop it, then unlock)",
                hint=f"storplan unlock {lock_id}",
            )
        with self._tx() as conn:
            row = conn.execute(
                "SELECT lock_key, apply_id FROM locks WHERE lock_id = ?", (lock_id,)
            ).fetchone()
            if row is None:
                raise NotFound(f"no lock {lock_id!r} in {self.location}")
            _abandon(conn, row[1])
            conn.execute("DELETE FROM locks WHERE lock_id = ?", (lock_id,))
        if row[1]:
            self.step(row[1], "unlock", "abandoned", unlock_note(lock_id, 0))
        return str(row[0])

    def locks(self) -> list[LockInfo]:
        rows = self._rows(
            "SELECT lock_key, lock_id, pid, host, acquired_at, apply_id, command, plan FROM locks"
        )
        return [LockInfo(r[0], r[1], int(r[2]) if str(r[2]).isdigit() else 0, *r[3:]) for r in rows]


def _abandon(conn: sqlite3.Connection, apply_id: str) -> None:
    """Mark a dead holder's apply (if it was still running) as abandoned."""
    if apply_id:
        conn.execute(
            "UPDATE applies SET status = ?, finished_at = ? WHERE id = ? AND status = ?",
            (ABANDONED, time.time(), apply_id, RUNNING),
        )
