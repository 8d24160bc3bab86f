"""The simulator's SQLite store: schema, connections and transactions.

One file holds a whole simulated installation (several systems).  WAL mode lets readers run
beside one writer; every operation is one ``BEGIN IMMEDIATE`` transaction, so several processes
(parallel applies, a CLI next to a test) can share a file safely.  ``synchronous=NORMAL`` keeps
each commit cheap: in WAL mode it never corrupts the file, it can only lose the last commits on
power loss, which is the right trade for a simulator.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storplan.errors import InvalidArgument, NotFound, PermissionDenied, TransientError
from storplan.sqlitefile import open_shared

__all__ = [
    "FORMAT",
    "FORMAT_1",
    "FORMAT_2",
    "Store",
    "Tx",
    "file_identity",
    "format_id",
    "parse_id",
]

FORMAT = "storplan-sim/3"
FORMAT_1, FORMAT_2 = "storplan-sim/1", "storplan-sim/2"
OLD_FORMATS = (FORMAT_1, FORMAT_2)
"""Formats this version reads as they are and upgrades on its first write (never on a read:
``plan`` and ``show`` never write)."""

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE systems(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, vendor TEXT NOT NULL,
    model TEXT NOT NULL, firmware TEXT NOT NULL, health TEXT NOT NULL DEFAULT 'ok');
CREATE TABLE pools(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL, name TEXT NOT NULL,
    element_types TEXT NOT NULL, total INTEGER NOT NULL, consumed INTEGER NOT NULL DEFAULT 0,
    subscribed INTEGER NOT NULL DEFAULT 0, oversub REAL, health TEXT NOT NULL DEFAULT 'ok',
    UNIQUE(system_id, name));
CREATE TABLE disks(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL, name TEXT NOT NULL,
    kind TEXT NOT NULL, size INTEGER NOT NULL, pool_id INTEGER, serial TEXT NOT NULL,
    health TEXT NOT NULL DEFAULT 'ok', condition TEXT);
CREATE TABLE volumes(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    pool_id INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL, thin INTEGER NOT NULL,
    wwn TEXT NOT NULL UNIQUE, used INTEGER NOT NULL DEFAULT 0, UNIQUE(system_id, name));
CREATE INDEX volumes_by_pool ON volumes(pool_id);
CREATE TABLE access_groups(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    name TEXT NOT NULL, UNIQUE(system_id, name));
CREATE TABLE initiators(system_id INTEGER NOT NULL, ag_id INTEGER NOT NULL,
    initiator TEXT NOT NULL, kind TEXT NOT NULL, chap_user TEXT, chap_digest TEXT,
    mutual_user TEXT, mutual_digest TEXT, PRIMARY KEY(system_id, initiator));
CREATE INDEX initiators_by_group ON initiators(ag_id);
CREATE TABLE mappings(volume_id INTEGER NOT NULL, ag_id INTEGER NOT NULL, lun INTEGER NOT NULL,
    PRIMARY KEY(volume_id, ag_id), UNIQUE(ag_id, lun));
CREATE INDEX mappings_by_group ON mappings(ag_id);
CREATE TABLE snapshots(id INTEGER PRIMARY KEY, volume_id INTEGER NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL, size INTEGER NOT NULL, UNIQUE(volume_id, name));
CREATE TABLE replicas(id INTEGER PRIMARY KEY, source_id INTEGER NOT NULL,
    target_id INTEGER NOT NULL UNIQUE, kind TEXT NOT NULL, state TEXT NOT NULL);
CREATE INDEX replicas_by_source ON replicas(source_id);
CREATE TABLE filesystems(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    pool_id INTEGER NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, clone_of INTEGER, UNIQUE(system_id, name));
CREATE TABLE fs_snapshots(id INTEGER PRIMARY KEY, fs_id INTEGER NOT NULL, name TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE(fs_id, name));
CREATE TABLE exports(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    fs_id INTEGER NOT NULL, path TEXT NOT NULL, clients TEXT NOT NULL, anon_uid INTEGER,
    anon_gid INTEGER, security TEXT NOT NULL, sync INTEGER NOT NULL DEFAULT 1,
    nfs_versions TEXT NOT NULL DEFAULT '[]', UNIQUE(system_id, path));
CREATE TABLE target_ports(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    kind TEXT NOT NULL, address TEXT NOT NULL, portal TEXT NOT NULL, link TEXT NOT NULL,
    speed REAL NOT NULL);
CREATE TABLE jobs(id INTEGER PRIMARY KEY, operation TEXT NOT NULL, args TEXT NOT NULL,
    state TEXT NOT NULL, started REAL NOT NULL, duration REAL NOT NULL,
    hang INTEGER NOT NULL DEFAULT 0, fail INTEGER NOT NULL DEFAULT 0, result_kind TEXT,
    result_key TEXT, error_code TEXT, error_message TEXT);
"""

# Provider-visible ids are "<prefix><rowid>", unique per kind within one simulator file.
PREFIXES = {
    "systems": "sys",
    "pools": "pool",
    "disks": "disk",
    "volumes": "vol",
    "access_groups": "ag",
    "snapshots": "snap",
    "replicas": "rep",
    "filesystems": "fs",
    "fs_snapshots": "fss",
    "exports": "exp",
    "target_ports": "tp",
    "jobs": "job",
}


def format_id(table: str, rowid: int) -> str:
    """The provider id of row ``rowid`` of ``table``."""
    return f"{PREFIXES[table]}{rowid}"


def parse_id(table: str, ref: str) -> int:
    """The row id behind a provider id; :class:`NotFound` if it is not an id of that kind."""
    prefix = PREFIXES[table]
    digits = ref[len(prefix) :] if isinstance(ref, str) and ref.startswith(prefix) else ""
    if not digits.isdigit():
        label = table.rstrip("s").replace("_", " ")
        raise NotFound(
            f"{ref!r} is not a {label} id of this simulator",
            hint=f"{label} ids look like {prefix}12",
        )
    return int(digits)


# Upgrades from storplan-sim/1: mutual CHAP columns; export client rules (clients becomes a
# list of {match, access, squash}), sync and NFS versions; a stable identity for the file.
_UPGRADE_1 = (
    "ALTER TABLE initiators ADD COLUMN mutual_user TEXT",
    "ALTER TABLE initiators ADD COLUMN mutual_digest TEXT",
    "ALTER TABLE exports RENAME TO exports_v1",
    """CREATE TABLE exports(id INTEGER PRIMARY KEY, system_id INTEGER NOT NULL,
    fs_id INTEGER NOT NULL, path TEXT NOT NULL, clients TEXT NOT NULL, anon_uid INTEGER,
    anon_gid INTEGER, security TEXT NOT NULL, sync INTEGER NOT NULL DEFAULT 1,
    nfs_versions TEXT NOT NULL DEFAULT '[]', UNIQUE(system_id, path))""",
    "INSERT INTO exports(id, system_id, fs_id, path, clients, anon_uid, anon_gid, security) "
    "SELECT id, system_id, fs_id, path, (SELECT json_group_array(json_object('match', c.value, "
    "'access', e.access, 'squash', CASE e.root_squash WHEN 1 THEN 'root' ELSE 'none' END)) "
    "FROM json_each(e.clients) AS c), anon_uid, anon_gid, security FROM exports_v1 AS e",
    "DROP TABLE exports_v1",
)
# Upgrades from storplan-sim/2: file-system clones remember the snapshot they came from.
_UPGRADE_2 = ("ALTER TABLE filesystems ADD COLUMN clone_of INTEGER",)
_UPGRADES = {FORMAT_1: _UPGRADE_1, FORMAT_2: _UPGRADE_2}


def file_identity(tx: Tx) -> str:
    """The identity of a simulator file: its UUID (files of format 1 had none; theirs is
    derived from the random WWN salt every file has, and recorded on upgrade)."""
    row = tx.one("SELECT value FROM meta WHERE key = 'identity'")
    if row is not None:
        return str(row[0])
    salt = tx.one("SELECT value FROM meta WHERE key = 'wwn_salt'")
    return f"sim-salt-{salt[0] if salt else 'none'}"


class Tx:
    """A transaction: small helpers over one sqlite3 connection."""

    __slots__ = ("conn", "format")

    def __init__(self, conn: sqlite3.Connection, format: str = FORMAT) -> None:
        self.conn = conn
        self.format = format  # the file's format: readers of older formats differ

    def one(self, sql: str, *args: Any) -> Any:
        return self.conn.execute(sql, args).fetchone()

    def all(self, sql: str, *args: Any) -> list[Any]:
        return self.conn.execute(sql, args).fetchall()

    def run(self, sql: str, *args: Any) -> int:
        """Execute a write; returns the last inserted row id."""
        return self.conn.execute(sql, args).lastrowid or 0

    def require(self, table: str, ref: str, columns: str = "*") -> Any:
        """Fetch the row behind a provider id, or raise :class:`NotFound`."""
        row = self.one(f"SELECT {columns} FROM {table} WHERE id = ?", parse_id(table, ref))
        if row is None:
            raise NotFound(f"{table.rstrip('s').replace('_', ' ')} {ref} does not exist")
        return row


class Store:
    """One simulator file, through one connection that every thread of the provider shares.

    A transaction holds the connection's lock from ``BEGIN`` to its end, so threads take
    turns (the simulator's work is short; its latency is slept outside).  One connection per
    thread cost an open, a ``PRAGMA`` and a close (a WAL checkpoint) for every thread that
    touched the file — with a fleet apply's threads, most of its time.
    """

    def __init__(self, path: str, lock_timeout: float = 30.0) -> None:
        self.path = path
        self.lock_timeout = lock_timeout  # how long to wait for another process's write lock
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()
        self.format = FORMAT

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            try:
                self._conn = open_shared(self.path, self.lock_timeout)
            except sqlite3.OperationalError as exc:
                raise PermissionDenied(
                    f"cannot open simulator file {self.path}: {exc}",
                    hint="check the path and its permissions",
                ) from None
        return self._conn

    @contextmanager
    def write(self) -> Iterator[Tx]:
        """A write transaction (taken immediately, so concurrent writers queue, never fail)."""
        with self._lock:
            conn = self._connect()
            self._begin(conn, "BEGIN IMMEDIATE")
            try:
                if self.format in OLD_FORMATS:
                    self._upgrade(Tx(conn))
                yield Tx(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def trial(self) -> Iterator[Tx]:
        """A write transaction that is always rolled back (used to validate a request)."""
        with self._lock:
            conn = self._connect()
            self._begin(conn, "BEGIN IMMEDIATE")
            try:
                if self.format in OLD_FORMATS:
                    self._upgrade(Tx(conn), remember=False)
                yield Tx(conn)
            finally:
                conn.execute("ROLLBACK")

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A read transaction: every query inside sees one consistent snapshot."""
        with self._lock:
            conn = self._connect()
            self._begin(conn, "BEGIN")
            try:
                yield Tx(conn, self.format)
            finally:
                conn.execute("COMMIT")

    def _begin(self, conn: sqlite3.Connection, statement: str) -> None:
        """Start a transaction; a file another process keeps locked is a transient error
        (apply retries it), never an internal one."""
        try:
            conn.execute(statement)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise TransientError(
                    f"simulator file {self.path} stayed locked by another process",
                    hint="retry when that process is done",
                ) from None
            raise PermissionDenied(
                f"simulator file {self.path}: {exc}", hint="check the file and its permissions"
            ) from None

    def initialize(self, seed: Any) -> None:
        """Create the schema and call ``seed(tx)`` if the file is new; check its format if not
        (an older format is read as it is and upgraded by the first write)."""
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        with self.read() as tx:
            found = self._format(tx)
        if found is None:
            with self.write() as tx:
                found = self._format(tx)
                if found is None:  # still new: no other process seeded it meanwhile
                    for statement in SCHEMA.split(";"):  # executescript() would COMMIT early
                        if statement.strip():
                            tx.run(statement)
                    tx.run("INSERT INTO meta VALUES ('format', ?)", FORMAT)
                    import uuid

                    tx.run("INSERT INTO meta VALUES ('identity', ?)", f"sim-{uuid.uuid4()}")
                    seed(tx)
                    found = FORMAT
        if found != FORMAT and found not in OLD_FORMATS:
            raise InvalidArgument(
                f"{self.path} has simulator format {found}, expected {FORMAT}",
                hint="this storplan cannot read it; use the storplan that made it",
            )
        self.format = found

    def _format(self, tx: Tx) -> str | None:
        if tx.one("SELECT 1 FROM sqlite_master WHERE name = 'meta'") is None:
            if tx.one("SELECT 1 FROM sqlite_master LIMIT 1") is not None:
                raise InvalidArgument(
                    f"{self.path} is an SQLite file but not a simulator",
                    hint="point sim:// at a new or simulator file",
                )
            return None
        row = tx.one("SELECT value FROM meta WHERE key = 'format'")
        return str(row[0]) if row else "unknown"

    def _upgrade(self, tx: Tx, *, remember: bool = True) -> None:
        """Bring a file of an older format up to :data:`FORMAT` (inside a write)."""
        found = tx.one("SELECT value FROM meta WHERE key = 'format'")[0]
        if found in OLD_FORMATS:
            identity = file_identity(tx)
            for old in OLD_FORMATS[OLD_FORMATS.index(found) :]:
                for statement in _UPGRADES[old]:
                    tx.run(statement)
            tx.run("INSERT OR IGNORE INTO meta VALUES ('identity', ?)", identity)
            tx.run("UPDATE meta SET value = ? WHERE key = 'format'", FORMAT)
        if remember:
            self.format = FORMAT

    def close(self) -> None:
        """Close the connection (it is opened again if the store is used again)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
