"""Opening the SQLite state store safely: every way the file can be wrong is named.

A state store path can be missing, under ``/proc``, below a regular file, a directory, a
device, a FIFO, a text file, a truncated or corrupt database, a database of something else, a
newer schema, or read-only.  Each becomes a :class:`~storplan.errors.StateStoreError` naming
the path and saying what to do; nothing here overwrites a file that is not an intact store.

Writing opens create the directory 0700 and the file 0600 (SQLite gives its ``-wal`` and
``-shm`` files the database's mode).  Reading opens never create anything: a missing store
reads as empty, and a read-only file (or file system) is opened read-only.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time

from ..errors import StateStoreError
from .schema import SCHEMA_VERSION, too_new

__all__ = ["SCHEMA_VERSION", "open_database"]

_HEADER = b"SQLite format 3\x00"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS owned(array_key TEXT NOT NULL, key TEXT NOT NULL, "
    "protect INTEGER NOT NULL DEFAULT 0, recorded_at REAL NOT NULL, "
    "token INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(array_key, key))",
    "CREATE TABLE IF NOT EXISTS applies(id TEXT PRIMARY KEY, started_at REAL NOT NULL, "
    "finished_at REAL, status TEXT NOT NULL, manifest TEXT NOT NULL, pid INTEGER NOT NULL "
    "DEFAULT 0, host TEXT NOT NULL DEFAULT '', command TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS apply_arrays(apply_id TEXT NOT NULL, name TEXT NOT NULL, "
    "array_key TEXT NOT NULL, PRIMARY KEY(apply_id, name))",
    "CREATE TABLE IF NOT EXISTS journal(apply_id TEXT NOT NULL, seq INTEGER NOT NULL, "
    "at REAL NOT NULL, action_id TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL, "
    "array_key TEXT NOT NULL DEFAULT '', owns TEXT NOT NULL DEFAULT '', "
    "token INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(apply_id, seq))",
    "CREATE TABLE IF NOT EXISTS locks(lock_key TEXT PRIMARY KEY, lock_id TEXT NOT NULL, "
    "pid INTEGER NOT NULL, host TEXT NOT NULL, acquired_at REAL NOT NULL, "
    "apply_id TEXT NOT NULL DEFAULT '', command TEXT NOT NULL DEFAULT '', "
    "token INTEGER NOT NULL DEFAULT 0, plan TEXT NOT NULL DEFAULT '')",
    "CREATE TABLE IF NOT EXISTS chap_digests(array_key TEXT NOT NULL, initiator TEXT NOT NULL, "
    "digest TEXT NOT NULL, recorded_at REAL NOT NULL, PRIMARY KEY(array_key, initiator))",
)
# Schema 1 (storplan 0.1): owned, applies, journal and locks without the newer columns, locks
# keyed by URI text.  Its ownership rows are kept (keyed by URI text, adopted by the first
# apply that reaches the array: docs/plan-apply.md); its locks are dropped (a lock of an older
# storplan cannot be told apart from a stale one).
_UPGRADE_1 = (
    "ALTER TABLE applies ADD COLUMN pid INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE applies ADD COLUMN host TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE applies ADD COLUMN command TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE journal ADD COLUMN array_key TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE journal ADD COLUMN owns TEXT NOT NULL DEFAULT ''",
    "DROP TABLE locks",
)
# Schema 2 -> 3: steps and ownership records carry the fencing token they were written under;
# a lock's holder row the digest of its plan.
_TOKENS = (
    "ALTER TABLE owned ADD COLUMN token INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE journal ADD COLUMN token INTEGER NOT NULL DEFAULT 0",
)
_UPGRADE_2 = (*_TOKENS, "ALTER TABLE locks ADD COLUMN plan TEXT NOT NULL DEFAULT ''")


def _refuse(path: str, what: str, hint: str) -> StateStoreError:
    return StateStoreError(f"state store {path}: {what}", hint=hint)


def _check_path(path: str, write: bool) -> bool:
    """Raise for a path that cannot be a state store; True if the file exists (a write
    creates it)."""
    real = os.path.realpath(path)
    if real == "/proc" or real.startswith(("/proc/", "/sys/", "/dev/")):
        raise _refuse(path, "is under /proc, /sys or /dev", "give a path on a real file system")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except NotADirectoryError:
        raise _refuse(
            path, "a part of the path is a file, not a directory", "fix --state"
        ) from None
    except OSError as exc:
        raise _refuse(path, exc.strerror or "cannot be read", "check the path") from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise _refuse(path, "is a directory", "give the path of a file (e.g. DIR/state.db)")
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, "is not a regular file (a device, FIFO or socket)", "fix --state")
        return True
    parent = os.path.dirname(os.path.abspath(path))
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise _refuse(path, f"{parent} is a file, not a directory", "fix --state")
    if write:
        try:
            os.makedirs(parent, mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
        except FileExistsError:
            pass  # another process made it meanwhile
        except OSError as exc:
            raise _refuse(
                path, f"cannot be created: {exc.strerror}", "check the directory"
            ) from None
        return True
    return False


def _check_header(path: str) -> None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(_HEADER))
    except OSError as exc:
        raise _refuse(path, f"cannot be read: {exc.strerror}", "check its permissions") from None
    if head and head != _HEADER:
        raise _refuse(
            path,
            "is not a state store (not an SQLite database)",
            "point --state at a state store, or at a path that does not exist yet",
        )


def open_database(path: str, *, write: bool, timeout: float = 30.0) -> sqlite3.Connection | None:
    """A connection to the store at ``path`` with its schema current, or ``None`` when a read
    finds no store (it reads as empty).

    Raises:
        StateStoreError: the path cannot hold a store, the file is not one (or is corrupt, or
            of a newer storplan), or a write was asked of a read-only file.
    """
    exists = _check_path(path, write)
    if not exists:
        return None
    _check_header(path)
    if write and (not os.access(path, os.W_OK) or _ro_fs(path)):
        raise _refuse(path, "is read-only", "apply needs a writable state store")
    try:
        conn = _connect(path, write, timeout)
        _schema(conn, path, write)
    except sqlite3.DatabaseError as exc:
        raise _database_error(path, exc) from None
    return conn


def _connect(path: str, write: bool, timeout: float) -> sqlite3.Connection:
    if not write:
        base = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro"
        try:
            return _read_only(base, timeout)
        except sqlite3.OperationalError:
            if os.access(os.path.dirname(os.path.abspath(path)), os.W_OK) and not _ro_fs(path):
                raise
            # A read-only file system (or directory): SQLite cannot make the WAL index it
            # would share with writers, and there can be no writers here, so read the file as
            # immutable.
            return _read_only(base + "&immutable=1", timeout)
    from ..sqlitefile import open_shared

    return open_shared(path, timeout)


def _read_only(uri: str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(
        uri, uri=True, timeout=timeout, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _ro_fs(path: str) -> bool:
    """True if ``path`` is on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _schema(conn: sqlite3.Connection, path: str, write: bool) -> None:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        if write:
            _create(conn)
        return
    if "owned" not in tables:
        raise _refuse(path, "is an SQLite database but not a state store", "fix --state")
    version = _version(conn)
    if version > SCHEMA_VERSION:
        raise too_new(path, version)
    if version < 1:
        raise _refuse(path, f"has an invalid schema version ({version})", "restore a backup")
    if version < SCHEMA_VERSION and write:
        _upgrade(conn)


def _version(conn: sqlite3.Connection) -> int:
    """The schema version (1: no ``meta`` table yet; 0: unreadable)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() is None:
        return 1
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else 0


def _create(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _upgrade(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _version(conn)  # again: another process may have upgraded it meanwhile
        if version == 1:
            for statement in _UPGRADE_1:
                conn.execute(statement)
            for statement in _SCHEMA:  # the tables schema 1 lacked, as schema 3 has them
                conn.execute(statement)
            for statement in _TOKENS:  # the tables schema 1 had
                conn.execute(statement)
            version = 3
        if version == 2:
            for statement in _UPGRADE_2:
                conn.execute(statement)
            version = 3
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (version,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _database_error(path: str, exc: sqlite3.DatabaseError) -> StateStoreError:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return _refuse(path, "stayed locked by another process", "try again when it is done")
    if "readonly" in text or "read-only" in text:
        return _refuse(path, "is read-only", "apply needs a writable state store")
    return _refuse(
        path,
        f"is damaged ({text})",
        "move it aside (nothing overwrites it) and run again, or restore it from a backup",
    )


def now() -> float:
    """The current time (one place, for the tests' and the journal's clock)."""
    return time.time()
