"""What a provider declares about the management endpoint a URI reaches: which arrays share it,
and how many requests it takes at once.

Several arrays are often managed through one server (an SMI-S provider, a vendor's management
station).  storplan works on arrays concurrently; a provider that knows its server has a limit
declares it with a class method ``endpoint(uri) -> Endpoint`` on its factory, and every call of
every session reaching that endpoint in one process (connect, observe, operations, job polls)
then waits its turn: at most ``max_requests`` are in flight.  ``max_requests == 0`` means no
limit (the default for a provider that declares nothing).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Endpoint"]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A management endpoint: ``key`` is the same for every URI reaching the same server
    (e.g. ``smis:host:5989``); ``max_requests`` is how many requests it takes at once (0: no
    limit)."""

    key: str
    max_requests: int = 0
