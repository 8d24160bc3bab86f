"""The state store: ownership, the apply journal, locks and keys (see :mod:`.base`).

``open_store(location, write=...)`` opens the store a command resolved with
:func:`.config.resolve` (``--state`` > ``$STORPLAN_STATE`` > ``.storplan.yaml`` > the default
``$XDG_STATE_HOME/storplan/state.db``).  Two kinds: an SQLite file (a path, or
``sqlite:PATH``: one machine) and PostgreSQL (``postgresql://user@host/db``: a team); a
location that looks like a URL of another scheme is refused with the list of supported kinds,
never taken for a relative path.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..errors import StateStoreError
from .base import (
    ABANDONED,
    FAILED,
    INTERRUPTED,
    OK,
    RUNNING,
    ApplyRecord,
    Lock,
    LockInfo,
    Ownership,
    StateStore,
    Step,
    Unfinished,
)

if TYPE_CHECKING:
    from .config import StateConfig

__all__ = [
    "ABANDONED",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "RUNNING",
    "SUPPORTED",
    "ApplyRecord",
    "Lock",
    "LockInfo",
    "Ownership",
    "StateStore",
    "Step",
    "Unfinished",
    "default_location",
    "is_url",
    "open_store",
]

SUPPORTED = (
    "a file path or sqlite:PATH (an SQLite file)",
    "postgresql://user@host/database (PostgreSQL; storplan[postgresql])",
)
POSTGRES_SCHEMES = ("postgresql", "postgres")
_URL = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):(//)?")


def is_url(location: str) -> bool:
    """True if ``location`` names its kind of store (``postgresql://...``, ``sqlite:PATH``),
    false for a plain file path (a drive letter is not a scheme)."""
    match = _URL.match(location)
    return match is not None and len(match.group("scheme")) > 1


def default_location() -> str:
    """``$STORPLAN_STATE``, else ``$XDG_STATE_HOME/storplan/state.db``."""
    from ..paths import xdg_path

    return xdg_path("state", "state.db", override="STORPLAN_STATE")


def open_store(location: str | StateConfig | None = None, *, write: bool = True) -> StateStore:
    """The state store at ``location`` (a location, or what :func:`.config.resolve` chose;
    default: :func:`default_location`).

    ``write=False`` opens it for reading (``plan``, ``journal``): nothing is created, a
    missing store reads as empty and a read-only one works.

    Raises:
        StateStoreError: an unsupported kind of location, or a store that cannot be used
            (the message names it, never a password).
    """
    from .config import StateConfig

    config = location if isinstance(location, StateConfig) else None
    chosen = config.location if config else (location or default_location())
    assert isinstance(chosen, str)
    match = _URL.match(chosen)
    if match is not None and is_url(chosen):
        scheme = match.group("scheme").lower()
        if scheme in POSTGRES_SCHEMES:
            from .postgres import PostgresStateStore

            return PostgresStateStore(config or StateConfig(chosen), write=write)
        if scheme != "sqlite":
            raise StateStoreError(
                f"state store {chosen.split('@')[-1]!r}: {scheme} is not a kind of state store "
                "this storplan supports",
                hint="use " + "; ".join(SUPPORTED),
            )
        chosen = chosen[match.end() :]
        if not chosen:
            raise StateStoreError("sqlite: needs a path", hint="write sqlite:/path/to/state.db")
    from .sqlite import SqliteStateStore

    return SqliteStateStore(chosen, write=write)
