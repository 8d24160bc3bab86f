"""The state store's schema version, shared by both backends.

Both backends keep the same records, so one number names the schema of either: an SQLite file
keeps it in its ``meta`` table, a PostgreSQL schema in its ``schema_version`` table (one row
per migration applied).  A store written by a newer storplan is refused, never guessed at.

History: 1 (storplan 0.1: locks keyed by URI text); 2 (applies record pid, host and command;
the journal records the key a create would own; identity-keyed locks with fencing tokens);
3 (every journal step and ownership record carries the fencing token it was written under;
PostgreSQL stores start here).
"""

from __future__ import annotations

from ..errors import StateStoreError

__all__ = ["SCHEMA_VERSION", "too_new"]

SCHEMA_VERSION = 3


def too_new(location: str, found: int) -> StateStoreError:
    """The error of a store whose schema this storplan does not know."""
    return StateStoreError(
        f"state store {location}: has schema version {found}; this storplan knows "
        f"{SCHEMA_VERSION} (it was written by a newer storplan)",
        hint="use the storplan that wrote it, or a newer one; nothing was changed",
    )
