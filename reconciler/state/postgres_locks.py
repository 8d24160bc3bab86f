"""Locks of the PostgreSQL state store: session-level advisory locks plus a holder row.

* **Keys.** The 64-bit advisory key is derived from the database's oid, the store's schema
  and the array identity, so two stores (two schemas, two databases) never share a key.
* **Holding.** A dedicated *lock session* takes ``pg_try_advisory_lock`` and, in the same
  session, writes the holder row (who, host, pid, command, apply, token, heartbeat).  When
  the holder's process dies, its session ends and PostgreSQL releases the lock; a holder that
  stops heartbeating (paused) is disconnected by the server after ``session_timeout``
  (``idle_session_timeout``), which releases it too.
* **The holder** named in a refusal is looked up through ``pg_locks`` joined with
  ``pg_stat_activity`` and the holder row of *that* backend: the real holder, never the
  requester.
* **Fencing.** Each grant takes a token from a sequence; writes check it
  (:meth:`PgLocks.current_tokens`, inside the write's transaction).
* **Poolers.** Behind a transaction-mode pooler (PgBouncer ``pool_mode=transaction``) a
  session lock silently stops meaning anything; :func:`refuse_pooler` detects it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, StateStoreError
from .base import ABANDONED, RUNNING, Lock, LockInfo
from .fencing import Fence, held_error, host_name, new_id
from .postgres_connect import one_row

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgLocks", "advisory_key", "refuse_pooler"]

_HOLDER = (
    "SELECT l.pid, a.client_addr::text, a.backend_start, h.lock_id, h.pid, h.host, "
    "h.acquired_at, h.apply_id, h.command, h.plan FROM pg_locks l JOIN pg_stat_activity a ON "
    "a.pid = l.pid LEFT JOIN locks h ON h.lock_key = %s AND h.backend_pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = %s "
    "AND l.objid = %s AND l.database = (SELECT oid FROM pg_database WHERE datname = "
    "current_database())"
)
_LIVE = (
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND "
    "l.pid = h.backend_pid AND l.classid = h.classid AND l.objid = h.objid AND l.objsubid = 1)"
)


def advisory_key(database_oid: int, schema: str, identity: str) -> int:
    """The signed 64-bit advisory lock key of an array identity in one store."""
    digest = hashlib.sha256(f"{database_oid}/{schema}/{identity}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _halves(key: int) -> tuple[int, int]:
    """``pg_locks``' (classid, objid) of a bigint advisory key."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


def refuse_pooler(
    first: psycopg.Connection[Any], second: psycopg.Connection[Any], url: str
) -> None:
    """Refuse a connection pooler that does not give each client its own server session.

    Two client connections of one process must be two backends, and one connection must stay
    one backend across transactions; a transaction-mode pooler breaks both (it hands the
    idle server connection to whichever client speaks next).
    """
    pids = [one_row(c.execute("SELECT pg_backend_pid()"))[0] for c in (first, second, first)]
    for conn in (first, second):
        if not conn.autocommit:
            conn.commit()
    if pids[0] != pids[2] or pids[0] == pids[1]:
        raise StateStoreError(
            f"state store {url}: the connection goes through a pooler in transaction mode "
            "(one client's statements ran on different server sessions, or two clients on "
            "one): session locks would silently not lock",
            hint="connect to PostgreSQL directly, or through PgBouncer with pool_mode = session",
        )


class PgLocks:
    """The locks one store instance takes (see the module docstring)."""

    def __init__(
        self,
        open_session: Callable[[], psycopg.Connection[Any]],
        data: Callable[[], psycopg.Connection[Any]],
        *,
        location: str,
        schema: str,
        fence: Fence,
        session_timeout: float,
        mutex: threading.RLock,
    ) -> None:
        self._open_session = open_session
        self._data = data
        self.location = location
        self.schema = schema
        self.fence = fence
        self.session_timeout = session_timeout
        self._session: psycopg.Connection[Any] | None = None
        self._mutex = mutex  # the store's: the data connection is shared with it
        self._beating = threading.Event()
        self._database_oid: int | None = None

    # ------------------------------------------------------------------ the session
    def session(self) -> psycopg.Connection[Any]:
        """The lock session (opened on first use, with the idle timeout that frees a silent
        holder's locks)."""
        with self._mutex:
            if self._session is None or self._session.closed:
                conn = self._open_session()
                milliseconds = int(self.session_timeout * 1000)
                try:
                    conn.execute(f"SET idle_session_timeout = {milliseconds}")
                    refuse_pooler(conn, self._data(), self.location)
                except BaseException:
                    conn.close()
                    raise
                self._session = conn
                self._heartbeat()
            return self._session

    def key(self, lock_key: str) -> int:
        """The advisory key of an array identity in this store."""
        with self._mutex:
            return self._key(lock_key)

    def _key(self, lock_key: str) -> int:
        if self._database_oid is None:
            row = (
                self._data()
                .execute("SELECT oid FROM pg_database WHERE datname = current_database()")
                .fetchone()
            )
            self._data().commit()
            assert row is not None
            self._database_oid = int(row[0])
        return advisory_key(self._database_oid, self.schema, lock_key)

    def close(self) -> None:
        """End the lock session (PostgreSQL releases every lock it holds)."""
        self._beating.set()
        with self._mutex:
            if self._session is not None:
                self._session.close()
                self._session = None

    # ------------------------------------------------------------------ taking and giving
    def acquire(self, lock_key: str, *, timeout: float, command: str, label: str) -> Lock:
        """Take the lock of ``lock_key`` (see :meth:`StateStore.acquire`)."""
        key = self.key(lock_key)
        deadline = time.monotonic() + timeout
        while True:
            with self._mutex:
                session = self.session()
                # A session's advisory locks are re-entrant: another apply of this process
                # must not take a lock this store already holds.
                got = not self.fence.holds(lock_key) and bool(
                    one_row(session.execute("SELECT pg_try_advisory_lock(%s)", (key,)))[0]
                )
                if got:
                    try:
                        lock = self._record(session, lock_key, key, command)
                    except BaseException:  # no holder row: do not keep a lock nobody can see
                        with suppress(_psycopg().Error):
                            session.execute("SELECT pg_advisory_unlock(%s)", (key,))
                        raise
                    self.fence.granted(lock)
                    return lock
            holder = self.holder(lock_key)
            late = time.monotonic() - deadline
            if holder is not None and late >= 0:
                raise held_error(label, holder[0], f"; database session {holder[1]}")
            if late > 5:  # granted to nobody we can see, yet never to us
                unknown = LockInfo(lock_key, "?", 0, "a session this role cannot see", 0.0)
                raise held_error(label, unknown)
            time.sleep(0.1)

    def _record(self, session: Any, lock_key: str, key: int, command: str) -> Lock:
        """Write the holder row in the lock session; mark a dead holder's apply abandoned."""
        classid, objid = _halves(key)
        lock_id = new_id(12)
        with session.transaction():
            old = session.execute(
                "SELECT apply_id FROM locks WHERE lock_key = %s FOR UPDATE", (lock_key,)
            ).fetchone()
            if old is not None and old[0]:
                session.execute(
                    "UPDATE applies SET status = %s, finished_at = %s WHERE id = %s AND "
                    "status = %s",
                    (ABANDONED, time.time(), old[0], RUNNING),
                )
            token = session.execute("SELECT nextval('lock_tokens')").fetchone()[0]
            now = time.time()
            session.execute(
                "INSERT INTO locks VALUES (%s, %s, %s, %s, %s, '', %s, %s, pg_backend_pid(), "
                "%s, %s, %s, '') ON CONFLICT (lock_key) DO UPDATE SET lock_id = excluded.lock_id, "
                "pid = excluded.pid, host = excluded.host, acquired_at = excluded.acquired_at, "
                "apply_id = '', command = excluded.command, token = excluded.token, "
                "backend_pid = excluded.backend_pid, classid = excluded.classid, "
                "objid = excluded.objid, heartbeat_at = excluded.heartbeat_at, plan = ''",
                (lock_key, lock_id, os.getpid(), host_name(), now, command, token, classid,
                 objid, now),
            )  # fmt: skip
        return Lock(lock_key, lock_id, int(token))

    def release(self, lock: Lock) -> None:
        """Give a lock back (a session that already ended gave it back itself)."""
        self.fence.released(lock)
        psycopg = _psycopg()
        with self._mutex:
            if self._session is None or self._session.closed:
                return
            try:
                with self._session.transaction():
                    self._session.execute(
                        "DELETE FROM locks WHERE lock_id = %s AND backend_pid = pg_backend_pid()",
                        (lock.lock_id,),
                    )
                self._session.execute("SELECT pg_advisory_unlock(%s)", (self.key(lock.lock_key),))
            except psycopg.Error:
                self._session.close()  # the session is gone, and with it the lock

    def _heartbeat(self) -> None:
        """Start the thread that keeps the lock session from looking idle (also before the
        first lock: an apply may spend minutes connecting to its arrays)."""
        if getattr(self, "_thread", None) is not None:
            return
        self._thread = threading.Thread(target=self._beat, name="storplan-lock", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        psycopg = _psycopg()
        while not self._beating.wait(self.session_timeout / 3):
            with self._mutex:
                if self._session is None or self._session.closed:
                    continue
                try:
                    self._session.execute(
                        "UPDATE locks SET heartbeat_at = %s WHERE backend_pid = pg_backend_pid()",
                        (time.time(),),
                    )
                except psycopg.Error:
                    self._session.close()  # lost: the next write finds out (LockLost)

    # ------------------------------------------------------------------ looking
    def holder(self, lock_key: str) -> tuple[LockInfo, int] | None:
        """Who holds ``lock_key`` now, from ``pg_locks`` (and its backend's pid), or None."""
        classid, objid = _halves(self.key(lock_key))
        with self._mutex:
            conn = self._data()
            row = conn.execute(_HOLDER, (lock_key, classid, objid)).fetchone()
            conn.commit()
        if row is None:
            return None
        backend, client, started, lock_id, pid, host, acquired, apply_id, command, plan = row
        if lock_id is None:  # granted, its row not yet written: name the session
            info = LockInfo(lock_key, "?", 0, client or "a local client", started.timestamp())
        else:
            info = LockInfo(lock_key, lock_id, pid, host, acquired, apply_id, command, plan)
        return info, int(backend)

    def current_tokens(self, cursor: Any, locks: Sequence[Lock]) -> dict[str, int]:
        """Inside a write's transaction: the token of each lock whose holder session still
        holds it (rows locked against a new grant until the write commits)."""
        if not locks:
            return {}
        rows = cursor.execute(
            f"SELECT h.lock_key, h.token FROM locks h WHERE h.lock_key = ANY(%s) AND {_LIVE} "
            "FOR SHARE OF h",
            ([lock.lock_key for lock in locks],),
        ).fetchall()
        return {str(k): int(t) for k, t in rows}

    def locks(self) -> list[LockInfo]:
        """Every lock whose holder session still holds it."""
        with self._mutex:
            conn = self._data()
            rows = conn.execute(
                "SELECT lock_key, lock_id, pid, host, acquired_at, apply_id, command, plan FROM "
                f"locks h WHERE {_LIVE} ORDER BY lock_key"
            ).fetchall()
            conn.commit()
        return [LockInfo(*row) for row in rows]

    def unlock(self, lock_id: str, *, terminate: bool) -> tuple[str, str, int]:
        """Remove a lock row; with ``terminate``, end the holder's session first (that is
        what frees a live session's lock).  Returns (lock key, its apply, session ended or 0).

        Raises:
            NotFound: no such lock.
            StateStoreError: the holder's session is alive and ``terminate`` was not given.
        """
        with self._mutex:
            conn = self._data()
            row = conn.execute(
                f"SELECT lock_key, apply_id, backend_pid, {_LIVE} FROM locks h WHERE lock_id = %s",
                (lock_id,),
            ).fetchone()
            conn.commit()
            if row is None:
                raise NotFound(f"no lock {lock_id!r} in {self.location}")
            lock_key, apply_id, backend, live = row
            ended = 0
            if live:
                if not terminate:
                    raise StateStoreError(
                        f"lock {lock_id} of {lock_key} is held by a live database session "
                        f"({backend}): removing its row would not free it",
                        hint=f"storplan unlock --terminate {lock_id} ends that session (its "
                        "apply is then refused any further write)",
                    )
                conn.execute("SELECT pg_terminate_backend(%s, 5000)", (backend,))
                ended = int(backend)
            conn.execute("DELETE FROM locks WHERE lock_id = %s", (lock_id,))
            conn.commit()
        return str(lock_key), str(apply_id), ended


def _psycopg() -> Any:
    import psycopg

    return psycopg
