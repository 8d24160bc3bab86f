"""Statistics: I/O counters an array keeps per volume, target port and disk.

Counters only ever grow (until the array restarts them); rates are the difference of two
samples divided by the difference of their ``time``.  A figure the array does not keep is
``None``, never 0: "no cache hits" and "no cache-hit counter" are different answers.
Providers that keep counters declare ``Capability.STATISTICS`` and return them from
``statistics()``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Counters", "Statistics"]

COUNTER_KINDS = ("volume", "target_port", "disk")
"""The objects counters are kept for (``Counters.kind``)."""


@dataclass(frozen=True, slots=True)
class Counters:
    """The cumulative counters of one object (``kind`` is one of :data:`COUNTER_KINDS`)."""

    kind: str
    object_id: str
    read_ops: int | None = 0
    write_ops: int | None = 0
    read_bytes: int = 0
    write_bytes: int = 0
    busy_seconds: float | None = None
    """Time the object spent serving I/O (its latency sum where the array keeps that)."""
    cache_read_hits: int | None = None
    """Reads served from the array's cache (a hit ratio is this over ``read_ops``)."""
    ops: int | None = None
    """Commands of any kind, where the array counts them but not reads and writes apart
    (LIO); ``read_ops`` and ``write_ops`` are ``None`` then."""


@dataclass(frozen=True, slots=True)
class Statistics:
    """One sample of every counter of an array, taken at ``time`` (seconds since the epoch)."""

    time: float
    counters: tuple[Counters, ...] = ()

    def of(self, kind: str) -> tuple[Counters, ...]:
        """The counters of one kind of object."""
        return tuple(c for c in self.counters if c.kind == kind)
