"""The PostgreSQL store's tables, their version and their migrations.

The tables live in one schema (``state.schema``, default ``storplan``).  ``schema_version``
holds one row per migration applied; :func:`prepare` applies the missing ones in one
transaction under a transaction-level advisory lock (two processes starting at once do not
both migrate) and refuses a schema newer than this storplan (:func:`.schema.too_new`).
"""

from __future__ import annotations

from typing import Any

from .schema import SCHEMA_VERSION, too_new

__all__ = ["MIGRATIONS", "prepare"]

_TABLES = (
    "CREATE TABLE meta(key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE owned(array_key text NOT NULL, key text NOT NULL, protect boolean NOT NULL "
    "DEFAULT false, recorded_at double precision NOT NULL, token bigint NOT NULL DEFAULT 0, "
    "PRIMARY KEY(array_key, key))",
    "CREATE TABLE applies(id text PRIMARY KEY, started_at double precision NOT NULL, "
    "finished_at double precision, status text NOT NULL, manifest text NOT NULL, pid integer "
    "NOT NULL DEFAULT 0, host text NOT NULL DEFAULT '', command text NOT NULL DEFAULT '')",
    "CREATE TABLE apply_arrays(apply_id text NOT NULL, name text NOT NULL, array_key text NOT "
    "NULL, PRIMARY KEY(apply_id, name))",
    "CREATE TABLE journal(apply_id text NOT NULL, seq integer NOT NULL, at double precision "
    "NOT NULL, action_id text NOT NULL, state text NOT NULL, message text NOT NULL, array_key "
    "text NOT NULL DEFAULT '', owns text NOT NULL DEFAULT '', token bigint NOT NULL DEFAULT 0, "
    "PRIMARY KEY(apply_id, seq))",
    "CREATE TABLE locks(lock_key text PRIMARY KEY, lock_id text NOT NULL UNIQUE, pid integer "
    "NOT NULL, host text NOT NULL, acquired_at double precision NOT NULL, apply_id text NOT "
    "NULL DEFAULT '', command text NOT NULL DEFAULT '', token bigint NOT NULL, backend_pid "
    "integer NOT NULL, classid bigint NOT NULL, objid bigint NOT NULL, heartbeat_at double "
    "precision NOT NULL, plan text NOT NULL DEFAULT '')",
    "CREATE TABLE chap_digests(array_key text NOT NULL, initiator text NOT NULL, digest text "
    "NOT NULL, recorded_at double precision NOT NULL, PRIMARY KEY(array_key, initiator))",
    "CREATE SEQUENCE lock_tokens",
    "CREATE INDEX journal_array ON journal(array_key) WHERE owns != ''",
)

MIGRATIONS: dict[int, tuple[str, ...]] = {3: _TABLES}
"""Each schema version's statements (PostgreSQL stores start at version 3, the SQLite
store's version when they were added: the same records)."""


def _version(conn: Any, schema: str) -> int | None:
    """The schema's version, or None when storplan never created its tables there."""
    found = conn.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = "
        "'schema_version'",
        (schema,),
    ).fetchone()
    if found is None:
        return None
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def prepare(conn: Any, schema: str, location: str, *, write: bool) -> bool:
    """Check (and for a write, create or migrate) the store's tables; True when they exist.

    Raises:
        StateStoreError: the schema is newer than this storplan.
    """
    version = _version(conn, schema)
    conn.commit()
    if version is not None and version > SCHEMA_VERSION:
        raise too_new(location, version)
    if not write or version == SCHEMA_VERSION:
        return version is not None
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('storplan-schema', 0))")
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        version = _version(conn, schema) or 0  # again, under the lock
        if version > SCHEMA_VERSION:
            raise too_new(location, version)
        if version == 0:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version(version integer PRIMARY KEY, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
        for number in sorted(MIGRATIONS):
            if number > version:
                for statement in MIGRATIONS[number]:
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_version(version) VALUES (%s)", (number,))
    return True
