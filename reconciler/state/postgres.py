"""The shared state store: PostgreSQL (``postgresql://user@host/db``, psycopg 3).

The same records as the SQLite store (:mod:`.base`), in one schema of one database that
every machine of a team reaches.  Locks are session-level advisory locks with a holder row
(:mod:`.postgres_locks`); each journal step and ownership change is one transaction that
first checks this process's fencing token (:mod:`.fencing`).  The tables are created and
migrated by :mod:`.postgres_schema`; a database newer than this storplan is refused.

A connection lost mid-apply (the server stopped, the network went) fails every later write
with :class:`~storplan.errors.StateStoreError` naming the store; the apply's report says
what was done.  Nothing reconnects behind the caller's back.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, StateStoreError
from .base import RUNNING, ApplyRecord, Lock, LockInfo, Ownership, StateStore, Step, Unfinished
from .fencing import Fence, host_name, new_id, unlock_note
from .postgres_connect import (
    connect,
    display,
    one_row,
    psycopg_module,
    read_password,
    unreachable,
)
from .postgres_locks import PgLocks
from .postgres_schema import prepare

if TYPE_CHECKING:
    import psycopg

    from .config import StateConfig

__all__ = ["PostgresStateStore"]


class PostgresStateStore(StateStore):
    """A state store in a PostgreSQL schema (see the module docstring).  One instance serves
    every thread of a process."""

    def __init__(self, config: StateConfig, *, write: bool = True) -> None:
        self.location = display(config.location)
        self.read_only = not write
        self.config = config
        self._psycopg = psycopg_module()
        self._lock = threading.RLock()
        self.fence = Fence()
        password = read_password(config)
        self.conn: psycopg.Connection[Any] | None = connect(
            config, password, autocommit=False, purpose="state"
        )
        try:
            # A process paused inside a transaction must not hold row locks for ever.
            milliseconds = int(config.session_timeout * 1000)
            self.conn.execute(f"SET idle_in_transaction_session_timeout = {milliseconds}")
            if not write:  # plan and journal: the server refuses any write too
                self.conn.execute("SET default_transaction_read_only = on")
            self.present = prepare(self.conn, config.schema, self.location, write=write)
        except self._psycopg.Error as exc:
            self.conn.close()
            raise unreachable(self.location, exc) from None
        except BaseException:
            self.conn.close()
            raise
        self.locking = PgLocks(
            lambda: connect(config, password, autocommit=True, purpose="locks"),
            self._data,
            location=self.location,
            schema=config.schema,
            fence=self.fence,
            session_timeout=config.session_timeout,
            mutex=self._lock,
        )
        if write:
            try:
                self.locking.session()  # refuses a transaction-mode pooler before anything
            except self._psycopg.Error as exc:
                self.close()
                raise unreachable(self.location, exc) from None
            except BaseException:
                self.close()
                raise

    def _data(self) -> psycopg.Connection[Any]:
        if self.conn is None:
            raise StateStoreError(f"state store {self.location} is closed")
        return self.conn

    def close(self) -> None:
        self.locking.close()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # ------------------------------------------------------------------ plumbing
    def _rows(self, sql: str, *args: Any) -> list[Any]:
        if not self.present:
            return []  # a read of a database storplan never wrote to: empty
        with self._lock:
            conn = self._data()
            try:
                rows = conn.execute(sql, args).fetchall()
                conn.commit()
            except self._psycopg.Error as exc:
                self._rollback()
                raise unreachable(self.location, exc) from None
            return rows

    def _rollback(self) -> None:
        if self.conn is not None and not self.conn.closed:
            with suppress(self._psycopg.Error):
                self.conn.rollback()

    @contextmanager
    def _tx(self, array_key: str | None) -> Iterator[tuple[Any, int]]:
        """A write transaction; unless ``array_key`` is None it first checks the fencing
        tokens of the locks covering that array (every lock for ``""``) and yields the token
        to record with the write."""
        if self.read_only:
            raise StateStoreError(
                f"state store {self.location} was opened for reading",
                hint="this is a bug in storplan; please report it",
            )
        with self._lock:
            conn = self._data()
            try:
                with conn.transaction():
                    covering = [] if array_key is None else self.fence.covering(array_key)
                    tokens = self.locking.current_tokens(conn, covering)
                    self.fence.check_all(covering, tokens, self.location)
                    yield conn, max((lock.token for lock in covering), default=0)
            except self._psycopg.Error as exc:
                self._rollback()
                raise unreachable(self.location, exc) from None

    # ------------------------------------------------------------------ ownership
    def owned(self, array_key: str) -> dict[str, bool]:
        rows = self._rows("SELECT key, protect FROM owned WHERE array_key = %s", array_key)
        return {key: bool(protect) for key, protect in rows}

    def record_owned(self, array_key: str, key: str, protect: bool = False) -> None:
        with self._tx(array_key) as (conn, token):
            conn.execute(
                "INSERT INTO owned VALUES (%s, %s, %s, %s, %s) ON CONFLICT (array_key, key) "
                "DO UPDATE SET protect = excluded.protect",
                (array_key, key, protect, time.time(), token),
            )

    def forget_owned(self, array_key: str, key: str) -> None:
        with self._tx(array_key) as (conn, _token):
            conn.execute("DELETE FROM owned WHERE array_key = %s AND key = %s", (array_key, key))

    def set_protected(self, array_key: str, protected: Iterable[str]) -> None:
        with self._tx(array_key) as (conn, _token):
            conn.execute(
                "UPDATE owned SET protect = (key = ANY(%s)) WHERE array_key = %s AND "
                "protect IS DISTINCT FROM (key = ANY(%s))",
                (sorted(set(protected)), array_key, sorted(set(protected))),
            )

    def adopt_legacy(self, legacy_key: str, array_key: str) -> int:
        with self._tx(array_key) as (conn, _token):
            has = conn.execute("SELECT 1 FROM owned WHERE array_key = %s", (array_key,))
            if has.fetchone() is not None or legacy_key == array_key:
                return 0
            moved = conn.execute(
                "UPDATE owned SET array_key = %s WHERE array_key = %s", (array_key, legacy_key)
            ).rowcount
        return int(moved)

    # ------------------------------------------------------------------ journal
    def begin_apply(self, manifest: str, arrays: Sequence[tuple[str, str]], command: str) -> str:
        apply_id = time.strftime("%Y%m%dT%H%M%S") + "-" + new_id(6)
        with self._tx("") as (conn, _token):
            conn.execute(
                "INSERT INTO applies VALUES (%s, %s, NULL, %s, %s, %s, %s, %s)",
                (apply_id, time.time(), RUNNING, manifest, os.getpid(), host_name(), command),
            )
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO apply_arrays VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
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
        with self._tx(array_key) as (conn, token):
            conn.execute(
                "INSERT INTO journal SELECT %s, coalesce(max(seq), 0) + 1, %s, %s, %s, %s, %s, "
                "%s, %s FROM journal WHERE apply_id = %s",
                (apply_id, time.time(), action_id, state, message, array_key, owns, token,
                 apply_id),
            )  # fmt: skip
            if ownership is not None:
                _change(conn, array_key, ownership, token)

    def end_apply(self, apply_id: str, status: str) -> None:
        with self._tx("") as (conn, _token):
            conn.execute(
                "UPDATE applies SET finished_at = %s, status = %s WHERE id = %s",
                (time.time(), status, apply_id),
            )

    def applies(self, limit: int = 20) -> list[ApplyRecord]:
        rows = self._rows(
            "SELECT id, started_at, finished_at, status, manifest, coalesce((SELECT "
            "array_agg(name ORDER BY name) FROM apply_arrays WHERE apply_id = id), '{}'), "
            "host, pid, command FROM applies ORDER BY started_at DESC LIMIT %s",
            limit,
        )
        return [
            ApplyRecord(r[0], r[1], r[2], r[3], r[4], tuple(r[5]), r[6], int(r[7]), r[8])
            for r in rows
        ]

    def steps(self, apply_id: str) -> list[Step]:
        rows = self._rows(
            "SELECT seq, at, action_id, state, message FROM journal WHERE apply_id = %s "
            "ORDER BY seq",
            apply_id,
        )
        if not rows and not self._rows("SELECT 1 FROM applies WHERE id = %s", apply_id):
            raise NotFound(f"no apply {apply_id!r} in {self.location}")
        return [Step(*r) for r in rows]

    def unfinished_creates(self, array_key: str) -> list[Unfinished]:
        rows = self._rows(
            "SELECT j.apply_id, j.action_id, j.owns FROM journal j JOIN applies a "
            "ON a.id = j.apply_id WHERE a.status = 'abandoned' AND j.array_key = %s AND "
            "j.owns != '' AND j.state = 'started' AND NOT EXISTS (SELECT 1 FROM journal k "
            "WHERE k.apply_id = j.apply_id AND k.action_id = j.action_id AND k.seq > j.seq)",
            array_key,
        )
        return [Unfinished(*r) for r in rows]

    # ------------------------------------------------------------------ locks
    def acquire(
        self, lock_key: str, *, timeout: float = 0.0, command: str = "", label: str = ""
    ) -> Lock:
        try:
            return self.locking.acquire(lock_key, timeout=timeout, command=command, label=label)
        except self._psycopg.Error as exc:
            raise unreachable(self.location, exc) from None

    def attach(self, lock: Lock, apply_id: str, plan: str = "") -> None:
        with self._tx(lock.lock_key) as (conn, _token):
            conn.execute(
                "UPDATE locks SET apply_id = %s, plan = %s WHERE lock_id = %s",
                (apply_id, plan, lock.lock_id),
            )

    def release(self, lock: Lock) -> None:
        self.locking.release(lock)

    def unlock(self, lock_id: str, *, terminate: bool = False) -> str:
        try:
            lock_key, apply_id, ended = self.locking.unlock(lock_id, terminate=terminate)
        except self._psycopg.Error as exc:
            self._rollback()
            raise unreachable(self.location, exc) from None
        if apply_id:
            self.step(apply_id, "unlock", "abandoned", unlock_note(lock_id, ended))
            with self._tx(None) as (conn, _token):
                conn.execute(
                    "UPDATE applies SET status = 'abandoned', finished_at = %s WHERE id = %s "
                    "AND status = %s",
                    (time.time(), apply_id, RUNNING),
                )
        return lock_key

    def locks(self) -> list[LockInfo]:
        return self.locking.locks() if self.present else []

    # ------------------------------------------------------------------ migration
    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        from .migrate import dump_tables

        if not self.present:
            return {}
        with self._lock:
            try:
                records = dump_tables(self._data())
                last, called = one_row(self._data().execute(
                    "SELECT last_value, is_called FROM lock_tokens"
                ))  # fmt: skip
            finally:
                self._rollback()
        if called:
            records["meta"] = sorted([*records["meta"], ("lock_token", str(last))])
        return records

    def load(self, records: dict[str, list[tuple[Any, ...]]]) -> None:
        from .migrate import load_tables, top_token

        top = top_token(records)
        meta = [r for r in records.get("meta", ()) if r[0] != "lock_token"]  # the sequence's
        with self._tx(None) as (conn, _token):
            load_tables(conn, {**records, "meta": meta}, "%s")
            if top:
                conn.execute("SELECT setval('lock_tokens', %s)", (top,))

    # ------------------------------------------------------------------ keys
    def secret_key(self, *, create: bool) -> bytes | None:
        rows = self._rows("SELECT value FROM meta WHERE key = 'secret_key'")
        if rows:
            return bytes.fromhex(rows[0][0])
        if not create:
            return None
        with self._tx(None) as (conn, _token):
            conn.execute(
                "INSERT INTO meta VALUES ('secret_key', %s) ON CONFLICT DO NOTHING",
                (os.urandom(32).hex(),),
            )
            value = conn.execute("SELECT value FROM meta WHERE key = 'secret_key'").fetchone()
        return bytes.fromhex(value[0])

    def chap_digest(self, array_key: str, initiator: str) -> str | None:
        rows = self._rows(
            "SELECT digest FROM chap_digests WHERE array_key = %s AND initiator = %s",
            array_key,
            initiator,
        )
        return str(rows[0][0]) if rows else None

    def record_chap_digest(self, array_key: str, initiator: str, digest: str) -> None:
        with self._tx(array_key) as (conn, _token):
            conn.execute(
                "INSERT INTO chap_digests VALUES (%s, %s, %s, %s) ON CONFLICT (array_key, "
                "initiator) DO UPDATE SET digest = excluded.digest, recorded_at = "
                "excluded.recorded_at",
                (array_key, initiator, digest, time.time()),
            )


def _change(conn: Any, array_key: str, change: Ownership, token: int) -> None:
    if change.change == "add":
        conn.execute(
            "INSERT INTO owned VALUES (%s, %s, false, %s, %s) ON CONFLICT DO NOTHING",
            (array_key, change.key, time.time(), token),
        )
    elif change.change == "forget":
        conn.execute("DELETE FROM owned WHERE array_key = %s AND key = %s", (array_key, change.key))
    elif change.change == "rename":
        conn.execute("DELETE FROM owned WHERE array_key = %s AND key = %s", (array_key, change.new))
        conn.execute(
            "UPDATE owned SET key = %s, token = %s WHERE array_key = %s AND key = %s",
            (change.new, token, array_key, change.key),
        )
