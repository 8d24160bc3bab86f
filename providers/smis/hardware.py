"""Enclosure hardware and I/O statistics: fans and batteries as conditions of their system
(the Fan and Battery profiles), and ``CIM_BlockStorageStatisticalData`` as counters (the
Block Server Performance profile).

Both are read in bulk like everything else (one enumeration per class, the statistics joined
to their elements through one enumeration of ``CIM_ElementStatisticalData``).  An array
without the classes reports no fan, battery or counter: that is not an error.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from storplan.errors import StorplanError

from .cim import health_of, pkey, prop
from .ids import device_key, object_id

if TYPE_CHECKING:
    from storplan.model.base import Condition
    from storplan.model.stats import Counters, Statistics

    from .reader import Reader

__all__ = ["enclosure_conditions", "statistics"]

log = logging.getLogger("storplan.providers.smis")

# CIM_BlockStorageStatisticalData.ElementType -> the storplan counter kind
_ELEMENT_KINDS = {8: "volume", 6: "target_port", 10: "disk"}


def _optional(reader: Reader, name: str) -> list[Any]:
    """Every instance of an optional class (none when the array does not implement it)."""
    try:
        return reader.all(name)
    except StorplanError as exc:
        log.debug("no %s: %s", name, exc.message)
        return []


def enclosure_conditions(reader: Reader) -> dict[str, tuple[Condition, ...]]:
    """Conditions of failed fans and batteries, by the id of the system they belong to."""
    found: dict[str, list[Condition]] = defaultdict(list)
    for name, role in (("fans", "fan"), ("batteries", "battery")):
        for device in _optional(reader, name):
            _, conditions = health_of(device, role)
            found[f"sys:{prop(device, 'SystemName', '')}"] += conditions
    return {system: tuple(conditions) for system, conditions in found.items()}


def _object_id(kind: str, path: Any) -> str:
    if kind == "volume":
        return object_id("vol", path)
    if kind == "disk":
        return object_id("disk", path)
    return f"port:{device_key(path)}"


def statistics(reader: Reader) -> Statistics:
    """One sample of every block statistic the array keeps, with storplan ids."""
    from storplan.model.stats import Counters, Statistics

    now = time.time()
    element_of = {pkey(link["Stats"]): link["ManagedElement"] for link in _links(reader)}
    counters: list[Counters] = []
    for data in _optional(reader, "block_stats"):
        kind = _ELEMENT_KINDS.get(int(prop(data, "ElementType", 0)))
        element = element_of.get(pkey(data.path))
        if kind is None or element is None:
            continue
        hits = prop(data, "ReadHitIOs")
        busy = prop(data, "IOTimeCounter")
        counters.append(
            Counters(
                kind,
                _object_id(kind, element),
                int(prop(data, "ReadIOs", 0)),
                int(prop(data, "WriteIOs", 0)),
                int(prop(data, "KBytesRead", 0)) * 1024,
                int(prop(data, "KBytesWritten", 0)) * 1024,
                None if busy is None else int(busy) / 1000,  # milliseconds
                None if hits is None else int(hits),
            )
        )
    return Statistics(now, tuple(sorted(counters, key=lambda c: (c.kind, c.object_id))))


def _links(reader: Reader) -> list[Any]:
    try:
        return reader.links("element_stats")
    except StorplanError as exc:
        log.debug("no element statistics: %s", exc.message)
        return []
