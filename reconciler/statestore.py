"""The state store: what storplan owns, what each apply did, and who is applying now.

Live state is the source of truth; the store keeps only

* ownership records (which objects storplan created on which system, and whether the manifest
  protected them), so pruning never touches what storplan did not create;
* the journal of every apply, one row per step, so an interrupted or killed apply can be
  inspected (``storplan journal``);
* locks, one per system, so two applies never interleave; a lock whose process died on this
  host is stale and taken over, any other can be removed with ``storplan unlock ID``.

Default: an SQLite file at ``$STORPLAN_STATE`` or ``$XDG_STATE_HOME/storplan/state.db``
(``~/.local/state/storplan/state.db``), WAL mode, one transaction per change.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import NotFound, StorplanError
from .sqlitefile import open_shared

__all__ = ["LockHeld", "StateStore", "default_state_path"]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS owned(array_key TEXT NOT NULL, key TEXT NOT NULL, "
    "protect INTEGER NOT NULL DEFAULT 0, recorded_at REAL NOT NULL, PRIMARY KEY(array_key, key))",
    "CREATE TABLE IF NOT EXISTS applies(id TEXT PRIMARY KEY, started_at REAL NOT NULL, "
    "finished_at REAL, status TEXT NOT NULL, manifest TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS journal(apply_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "at REAL NOT NULL, action_id TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, "
    "PRIMARY KEY(apply_id, seq))",
    "CREATE TABLE IF NOT EXISTS locks(array_key TEXT PRIMARY KEY, lock_id TEXT NOT NULL, "
    "pid INTEGER NOT NULL, host TEXT NOT NULL, acquired_at REAL NOT NULL)",
)


def default_state_path() -> str:
    """``$STORPLAN_STATE``, else ``$XDG_STATE_HOME/storplan/state.db``."""
    from .paths import xdg_path

    return xdg_path("state", "state.db", override="STORPLAN_STATE")


class LockHeld(StorplanError):
    """Another apply holds the lock of a system."""

    code = "locked"


@dataclass(frozen=True, slots=True)
class LockInfo:
    array_key: str
    lock_id: str
    pid: int
    host: str
    acquired_at: float


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class StateStore:
    """One state file. Safe to share between processes; use one instance per thread."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path or default_state_path()
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        self.conn = open_shared(self.path)
        for statement in _SCHEMA:
            self.conn.execute(statement)
        # One connection serves every thread of an apply; transactions must not interleave.
        self.lock = threading.RLock()
        self._seq: dict[str, int] = {}  # journal sequence per apply (one process per apply)

    def close(self) -> None:
        self.conn.close()

    def _write(self, sql: str, *args: Any) -> None:
        with self.lock:
            self.conn.execute(sql, args)

    # ------------------------------------------------------------------ ownership
    def owned(self, array_key: str) -> dict[str, bool]:
        """Keys storplan owns on a system, with their protect flag."""
        with self.lock:
            rows = self.conn.execute(
                "SELECT key, protect FROM owned WHERE array_key = ?", (array_key,)
            ).fetchall()
        return {key: bool(protect) for key, protect in rows}

    def record_owned(self, array_key: str, key: str, protect: bool = False) -> None:
        self._write(
            "INSERT INTO owned VALUES (?, ?, ?, ?) ON CONFLICT(array_key, key) DO "
            "UPDATE SET protect = excluded.protect",
            array_key,
            key,
            int(protect),
            time.time(),
        )

    def set_protected(self, array_key: str, protected: Iterable[str]) -> None:
        """Make the protect flags of owned objects match the manifest's."""
        wanted = set(protected)
        with self.lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            for key, flag in self.owned(array_key).items():
                if flag != (key in wanted):
                    self.conn.execute(
                        "UPDATE owned SET protect = ? WHERE array_key = ? AND key = ?",
                        (int(key in wanted), array_key, key),
                    )

    def forget_owned(self, array_key: str, key: str) -> None:
        self._write("DELETE FROM owned WHERE array_key = ? AND key = ?", array_key, key)

    # ------------------------------------------------------------------ journal
    def begin_apply(self, manifest: str) -> str:
        apply_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
        self._write(
            "INSERT INTO applies VALUES (?, ?, NULL, 'running', ?)", apply_id, time.time(), manifest
        )
        return apply_id

    def end_apply(self, apply_id: str, status: str) -> None:
        self._write(
            "UPDATE applies SET finished_at = ?, status = ? WHERE id = ?",
            time.time(),
            status,
            apply_id,
        )

    def journal(
        self,
        apply_id: str,
        action_id: str,
        state: str,
        message: str = "",
        owned: tuple[str, str] | None = None,
    ) -> None:
        """Append one step to an apply's journal; ``owned`` = (array key, object key) is
        recorded as owned in the same transaction (before a create runs)."""
        with self.lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            self._seq[apply_id] = self._seq.get(apply_id, 0) + 1
            self.conn.execute(
                "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?)",
                (apply_id, self._seq[apply_id], time.time(), action_id, state, message),
            )
            if owned is not None:
                self.conn.execute(
                    "INSERT OR IGNORE INTO owned VALUES (?, ?, 0, ?)", (*owned, time.time())
                )

    def applies(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, started_at, finished_at, status, manifest FROM "
            "applies ORDER BY started_at DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            {"id": r[0], "started_at": r[1], "finished_at": r[2], "status": r[3], "manifest": r[4]}
            for r in rows
        ]

    def steps(self, apply_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT seq, at, action_id, state, message FROM journal "
            "WHERE apply_id = ? ORDER BY seq",
            (apply_id,),
        ).fetchall()
        if (
            not rows
            and not self.conn.execute("SELECT 1 FROM applies WHERE id = ?", (apply_id,)).fetchone()
        ):
            raise NotFound(f"no apply {apply_id!r} in {self.path}")
        return [
            {"seq": r[0], "at": r[1], "action": r[2], "state": r[3], "message": r[4]} for r in rows
        ]

    # ------------------------------------------------------------------ locks
    def acquire(self, array_key: str, timeout: float = 0.0) -> str:
        """Take the lock of one system, waiting up to ``timeout`` seconds.

        Raises:
            LockHeld: another live apply holds it (the message names it and its lock id).
        """
        lock_id = uuid.uuid4().hex[:12]
        host = socket.gethostname()
        deadline = time.monotonic() + timeout
        while True:
            holder = self._try_lock(array_key, lock_id, host)
            if holder is None:
                return lock_id
            if time.monotonic() >= deadline:
                raise LockHeld(
                    f"{array_key} is locked by pid {holder.pid} on {holder.host} "
                    f"(lock {holder.lock_id}, taken {time.ctime(holder.acquired_at)})",
                    hint=f"wait for it, pass --lock-timeout, or if that apply is gone: "
                    f"storplan unlock {holder.lock_id}",
                )
            time.sleep(0.1)

    def _try_lock(self, array_key: str, lock_id: str, host: str) -> LockInfo | None:
        with self.lock, self.conn:
            self.conn.execute("BEGIN IMMEDIATE")
            row = self.conn.execute(
                "SELECT array_key, lock_id, pid, host, acquired_at FROM locks WHERE array_key = ?",
                (array_key,),
            ).fetchone()
            if row is not None:
                holder = LockInfo(*row)
                if not (holder.host == host and not _alive(holder.pid)):
                    return holder  # held by a live process (or one we cannot check)
            self.conn.execute(
                "INSERT OR REPLACE INTO locks VALUES (?, ?, ?, ?, ?)",
                (array_key, lock_id, os.getpid(), host, time.time()),
            )
        return None

    def release(self, lock_id: str) -> None:
        self._write("DELETE FROM locks WHERE lock_id = ?", lock_id)

    def unlock(self, lock_id: str) -> str:
        """Remove a lock by id (manual recovery); returns the system it locked."""
        row = self.conn.execute(
            "SELECT array_key FROM locks WHERE lock_id = ?", (lock_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no lock {lock_id!r} in {self.path}")
        self.release(lock_id)
        return str(row[0])

    def locks(self) -> list[LockInfo]:
        return [
            LockInfo(*r)
            for r in self.conn.execute(
                "SELECT array_key, lock_id, pid, host, acquired_at FROM locks"
            ).fetchall()
        ]
