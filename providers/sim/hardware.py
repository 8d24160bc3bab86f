"""Simulated hardware: injected hardware faults, and I/O counters that advance.

Hardware faults share the ``faults=`` option with operation faults (:mod:`.config`):
``NAME:TARGET[=VALUE][@N[-M]]``, e.g. ``faults=disk-fail:disk3,raid-rebuild:ssd@2-6``.
``TARGET`` is the id or name of the object (``SYSTEM[/COMPONENT]`` for fans, batteries and
caches); ``@N-M`` limits the fault to observes N..M of the connection (counted as
``observe:fail@N`` counts them), so a test sees a condition raised and then cleared without
waiting for a clock.  Faults and what they report:

==================== ============== ===========================================================
name                 target         condition (and what else changes)
==================== ============== ===========================================================
disk-fail            disk           ``disk.failed`` (health error)
disk-predict         disk           ``disk.predictive_failure``
fan                  system         ``fan.failed`` on component ``fan1`` (health degraded)
battery              system         ``battery.failed`` and ``cache.write_through``
cache-write-through  system         ``cache.write_through``
port-down            target port    ``port.down`` (link down)
replication-broken   replica        ``replication.broken`` (state broken)
raid-degraded        pool           ``raid.degraded`` (health degraded)
raid-rebuild         pool           ``raid.rebuilding`` with a percentage rising from VALUE
                                    (default 0) to 100 over the window (10 per observe when
                                    it has no end); past its end the rebuild is complete
pool-fill            pool           the pool reports VALUE percent used (default 95)
thin-metadata        pool           the pool reports VALUE percent of metadata used (90)
==================== ============== ===========================================================

Pool figures are judged by storplan's thresholds (``pool.capacity``, ``pool.thin.data``,
``pool.thin.metadata``), as for a real array, so the simulator reports them as figures.

Counters: every ``statistics()`` call of a connection simulates one interval of I/O on every
volume mapped to a host (a steady load derived from the volume's id), summed per target port
(spread over the system's ports that are up) and per disk (spread over its pool's disks).
Counters count from the connection's start, as an array's do from its boot.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storplan.errors import InvalidArgument
from storplan.model.enums import Kind

if TYPE_CHECKING:
    from storplan.model import Condition, Counters, State

    from .db import Tx

__all__ = ["HARDWARE", "HardwareFault", "inject", "parse_hardware", "simulated_io"]

# fault name -> the kind of object it targets
HARDWARE: dict[str, Kind] = {
    "disk-fail": Kind.DISKS,
    "disk-predict": Kind.DISKS,
    "fan": Kind.SYSTEMS,
    "battery": Kind.SYSTEMS,
    "cache-write-through": Kind.SYSTEMS,
    "port-down": Kind.TARGET_PORTS,
    "replication-broken": Kind.REPLICAS,
    "raid-degraded": Kind.POOLS,
    "raid-rebuild": Kind.POOLS,
    "pool-fill": Kind.POOLS,
    "thin-metadata": Kind.POOLS,
}
_DEFAULT_VALUE = {"raid-rebuild": 0.0, "pool-fill": 95.0, "thin-metadata": 90.0}
_STEP = 10  # rebuild percent per observe when the window has no end


@dataclass(frozen=True, slots=True)
class HardwareFault:
    """One injected hardware fault, active on observes ``first``..``last`` (1-based)."""

    name: str
    target: str
    component: str = ""
    value: float | None = None
    first: int = 1
    last: int | None = None

    def active(self, observe: int) -> bool:
        return observe >= self.first and (self.last is None or observe <= self.last)

    def percent(self, observe: int) -> int:
        """Rebuild progress at the ``observe``-th observe."""
        start = self.value or 0.0
        done = observe - self.first
        if self.last is None:
            return int(min(99.0, start + _STEP * done))
        span = self.last - self.first + 1
        return int(min(99.0, start + (100.0 - start) * done / span))


def parse_hardware(item: str) -> HardwareFault:
    """``NAME:TARGET[=VALUE][@N[-M]]`` (see the module docstring)."""
    name, _, rest = item.partition(":")
    rest, _, calls = rest.partition("@")
    target, _, value = rest.partition("=")
    target, _, component = target.partition("/")
    example = "e.g. faults=disk-fail:disk3 or faults=raid-rebuild:ssd@2-6"
    if name not in HARDWARE or not target:
        raise InvalidArgument(f"sim hardware fault {item!r} is not NAME:TARGET", hint=example)
    number: float | None = None
    if value:
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not 0.0 <= number <= 100.0:
            raise InvalidArgument(f"sim hardware fault {item!r}: VALUE is a percentage 0-100")
    first, _, last = calls.partition("-")
    if calls and (not first.isdigit() or int(first) < 1 or (last and not last.isdigit())):
        raise InvalidArgument(f"sim hardware fault {item!r}: observes are N or N-M, N >= 1")
    start = int(first) if calls else 1
    end = (int(last) if last else start) if calls else None
    return HardwareFault(
        name, target, component, number if value else _DEFAULT_VALUE.get(name), start, end
    )


def inject(state: State, faults: tuple[HardwareFault, ...], observe: int) -> State:
    """``state`` as the faulty hardware reports it at the ``observe``-th observe."""
    active = [f for f in faults if f.active(observe)]
    changes: dict[Kind, dict[str, Any]] = defaultdict(dict)  # kind -> id -> changed object
    for fault in active:
        kind = HARDWARE[fault.name]
        objects = {o.id: o for o in state.of(kind)}
        if not objects:
            continue  # the kind was not observed
        found = _target(fault, kind, list(objects.values()))
        current = changes[kind].get(found.id, found)
        changes[kind][found.id] = _apply(fault, current, observe)
    if not changes:
        return state
    replaced = {
        kind.value: tuple(changed.get(o.id, o) for o in state.of(kind))
        for kind, changed in changes.items()
    }
    return dataclasses.replace(state, **replaced)


def _target(fault: HardwareFault, kind: Kind, objects: list[Any]) -> Any:
    for obj in objects:
        if fault.target in (obj.id, getattr(obj, "name", None), getattr(obj, "portal", None)):
            return obj
    raise InvalidArgument(
        f"sim hardware fault {fault.name}:{fault.target}: no {kind.value} has that id or name",
        hint=f"list them with `storplan show {kind.value.replace('_', '-')}`",
    )


def _condition(code: str, message: str, **fields: Any) -> Condition:
    from storplan.model.base import Condition

    return Condition(code, f"simulated: {message}", **fields)


def _apply(fault: HardwareFault, obj: Any, observe: int) -> Any:
    from storplan.model import Health, LinkState, ReplicaState, Size

    def add(*conditions: Condition, **fields: Any) -> Any:
        return dataclasses.replace(obj, conditions=obj.conditions + conditions, **fields)

    name, part = fault.name, fault.component
    if name == "disk-fail":
        return add(_condition("disk.failed", f"disk {obj.name} failed"), health=Health.ERROR)
    if name == "disk-predict":
        return add(_condition("disk.predictive_failure", f"disk {obj.name} predicts failure"))
    if name == "fan":
        part = part or "fan1"
        return add(
            _condition("fan.failed", f"{part} stopped", component=part), health=Health.DEGRADED
        )
    if name == "battery":
        part = part or "battery1"
        return add(
            _condition("battery.failed", f"{part} failed", component=part),
            _condition("cache.write_through", "cache is write-through: no battery"),
            health=Health.DEGRADED,
        )
    if name == "cache-write-through":
        return add(_condition("cache.write_through", "cache switched to write-through"))
    if name == "port-down":
        return add(_condition("port.down", f"port {obj.id} link down"), link=LinkState.DOWN)
    if name == "replication-broken":
        return add(
            _condition("replication.broken", f"replica {obj.id} stopped"),
            state=ReplicaState.BROKEN,
        )
    if name == "raid-degraded":
        return add(
            _condition("raid.degraded", f"pool {obj.name} lost redundancy"),
            health=Health.DEGRADED,
        )
    if name == "raid-rebuild":
        percent = fault.percent(observe)
        message = f"pool {obj.name} rebuilding ({percent} %)"
        return add(_condition("raid.rebuilding", message, percent=percent))
    level = fault.value or 0.0
    if name == "pool-fill":
        return dataclasses.replace(obj, free=Size(int(obj.total * (100.0 - level) / 100)))
    return dataclasses.replace(obj, metadata_percent=level)  # thin-metadata


def _load(volume_id: int) -> tuple[int, int]:
    """One interval's read and write operations of a volume (steady, varied by volume)."""
    return 100 + volume_id * 37 % 400, 50 + volume_id * 53 % 200


def simulated_io(tx: Tx, ticks: int, down: frozenset[str] = frozenset()) -> list[Counters]:
    """Counters after ``ticks`` intervals of I/O (``down``: ports that carry none)."""

    mapped = tx.all(
        "SELECT v.id, v.system_id, v.pool_id FROM volumes AS v "
        "WHERE EXISTS (SELECT 1 FROM mappings AS m WHERE m.volume_id = v.id) ORDER BY v.id"
    )
    busy = {v[0] for v in mapped}
    found: list[Counters] = []
    per_system: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_pool: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for (volume,) in tx.all("SELECT id FROM volumes ORDER BY id"):
        reads, writes = _load(volume) if volume in busy else (0, 0)
        found.append(_counters("volume", f"vol{volume}", reads * ticks, writes * ticks, True))
    for volume, system, pool in mapped:
        reads, writes = _load(volume)
        for total in (per_system[system], per_pool[pool]):
            total[0] += reads * ticks
            total[1] += writes * ticks
    ports = tx.all("SELECT id, system_id FROM target_ports ORDER BY id")
    for port, system in ports:
        up = [p for p, s in ports if s == system and f"tp{p}" not in down]
        reads, writes = per_system.get(system, [0, 0]) if port in up else (0, 0)
        n = max(len(up), 1)
        found.append(_counters("target_port", f"tp{port}", reads // n, writes // n, False))
    disks = tx.all("SELECT id, pool_id FROM disks WHERE pool_id IS NOT NULL ORDER BY id")
    members: dict[int, int] = defaultdict(int)
    for _, pool in disks:
        members[pool] += 1
    for disk, pool in disks:
        reads, writes = per_pool.get(pool, [0, 0])
        n = members[pool]
        found.append(_counters("disk", f"disk{disk}", reads // n, writes // n, False))
    return found


def _counters(kind: str, object_id: str, reads: int, writes: int, cache: bool) -> Counters:
    from storplan.model import Counters

    return Counters(
        kind,
        object_id,
        reads,
        writes,
        reads * 8192,
        writes * 16384,
        (reads + writes) * 2.5e-4,
        reads * 3 // 4 if cache else None,
    )
