"""Moving a state store to another backend (``storplan state migrate``) without losing a
record: ownership with protect flags and fencing tokens, every apply with its arrays and
every journal step, the secret key (saved plans stay valid), CHAP digests.

Locks are not moved (they belong to running applies): a source with a held lock is refused,
and so is a target that already holds records (nothing is merged or overwritten).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import StateStoreError
from .base import StateStore

__all__ = ["COLUMNS", "Moved", "Records", "dump_tables", "load_tables", "migrate", "top_token"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "owned": ("array_key", "key", "protect", "recorded_at", "token"),
    "applies": ("id", "started_at", "finished_at", "status", "manifest", "pid", "host", "command"),
    "apply_arrays": ("apply_id", "name", "array_key"),
    "journal": (
        "apply_id", "seq", "at", "action_id", "state", "message", "array_key", "owns", "token",
    ),
    "chap_digests": ("array_key", "initiator", "digest", "recorded_at"),
}  # fmt: skip
"""Every table that holds records, with its columns in one order for both backends."""
_META = ("secret_key", "lock_token")
"""The meta records that move: the plan-signing key and the last fencing token granted (kept
in PostgreSQL as a sequence, which its store reports and sets as this row)."""

Records = dict[str, list[tuple[Any, ...]]]


def dump_tables(conn: Any) -> Records:
    """Every record of a store, through its DB-API connection (sqlite3 or psycopg)."""
    records: Records = {}
    for table, columns in COLUMNS.items():
        rows = conn.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
        if table == "meta":
            rows = [r for r in rows if r[0] in _META]
        if table == "owned":
            rows = [(*r[:2], bool(r[2]), *r[3:]) for r in rows]
        records[table] = sorted(tuple(r) for r in rows)
    return records


def load_tables(conn: Any, records: Mapping[str, Sequence[tuple[Any, ...]]], mark: str) -> None:
    """Insert ``records`` through ``conn`` inside the caller's transaction (``mark`` is the
    driver's placeholder: ``?`` or ``%s``)."""
    for table, columns in COLUMNS.items():
        rows = list(records.get(table, ()))
        if not rows:
            continue
        values = ", ".join([mark] * len(columns))
        cursor = conn.cursor()
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values})", rows)


def top_token(records: Mapping[str, Sequence[tuple[Any, ...]]]) -> int:
    """The largest fencing token of the records (the target's next grant must exceed it)."""
    tokens = [r[-1] for table in ("owned", "journal") for r in records.get(table, ())]
    tokens += [r[1] for r in records.get("meta", ()) if r[0] == "lock_token"]
    return max((int(t) for t in tokens), default=0)


@dataclass(frozen=True, slots=True)
class Moved:
    """How many records of each table were moved."""

    counts: dict[str, int]

    def summary(self) -> str:
        return ", ".join(f"{n} {table}" for table, n in self.counts.items())


def migrate(source: StateStore, target: StateStore) -> Moved:
    """Copy every record of ``source`` into the empty ``target`` in one transaction.

    Raises:
        StateStoreError: the source has a held lock (an apply runs), or the target already
            holds records.
    """
    held = source.locks()
    if held:
        raise StateStoreError(
            f"state store {source.location} has {len(held)} held lock(s) (an apply runs, "
            f"e.g. lock {held[0].lock_id} of {held[0].lock_key})",
            hint="migrate when no apply runs (or storplan unlock a stale lock first)",
        )
    records = source.dump()
    existing = target.dump()
    if any(existing.values()):
        raise StateStoreError(
            f"state store {target.location} already holds records; nothing was copied",
            hint="migrate into a new, empty store (a new database or schema)",
        )
    target.load(records)
    return Moved({table: len(rows) for table, rows in records.items()})
