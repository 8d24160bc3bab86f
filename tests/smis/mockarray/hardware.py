"""The mock array's enclosure and performance data: fans and a battery (both flavours), and,
for flavours with the Block Server Performance profile, a ``BlockStorageStatisticalData``
per volume, front-end FC port and pool disk, linked by ``CIM_ElementStatisticalData``.

Tests change them as hardware would: :func:`set_status` (a failed fan, a broken disk) and
:func:`do_io` (counters that advance with I/O).
"""

from __future__ import annotations

from typing import Any

from pywbem import Uint16, Uint64

__all__ = ["add_statistics", "do_io", "populate_hardware", "remove_statistics", "set_status"]

# CIM_BlockStorageStatisticalData.ElementType
VOLUME, FRONT_END_PORT, DISK = 8, 6, 10


def keeps_statistics(array: Any) -> bool:
    return any(name == "Block Server Performance" for name, _ in array.f.profiles)


def populate_hardware(array: Any) -> None:
    """Two fans and a battery; statistics for the disks and front-end ports there are."""
    repo = array.repo
    for base, names in (("CIM_Fan", ("fan-a", "fan-b")), ("CIM_Battery", ("battery-a",))):
        for name in names:
            device = repo.device_path(base, name.upper())
            repo.add(device, ElementName=name, OperationalStatus=[Uint16(2)], HealthState=Uint16(5))
    if not keeps_statistics(array):
        return
    for instance in list(repo.each("CIM_DiskDrive")):
        add_statistics(array, instance.path, DISK)
    for instance in list(repo.each("CIM_FCPort")):
        if int(instance["UsageRestriction"]) != 3:  # front-end only
            add_statistics(array, instance.path, FRONT_END_PORT)


def _stats_path(array: Any, element: Any) -> Any:
    device = element.keybindings.get("DeviceID") or element.keybindings.get("InstanceID")
    return array.repo.path(
        array.f.cls("CIM_BlockStorageStatisticalData"), InstanceID=f"STAT-{device}"
    )


def add_statistics(array: Any, element: Any, element_type: int) -> None:
    """Zeroed counters for ``element``."""
    if not keeps_statistics(array):
        return
    path = _stats_path(array, element)
    zero = Uint64(0)
    array.repo.add(
        path,
        ElementType=Uint16(element_type),
        TotalIOs=zero,
        KBytesTransferred=zero,
        ReadIOs=zero,
        ReadHitIOs=zero,
        KBytesRead=zero,
        WriteIOs=zero,
        KBytesWritten=zero,
        IOTimeCounter=zero,
    )
    array.repo.link("CIM_ElementStatisticalData", ManagedElement=element, Stats=path)


def remove_statistics(array: Any, element: Any) -> None:
    """Drop the counters of a deleted element."""
    if not keeps_statistics(array):
        return
    path = _stats_path(array, element)
    array.repo.unlink("CIM_ElementStatisticalData", Stats=path)
    array.repo.delete(path)


def do_io(array: Any, element: Any, reads: int, writes: int, kib: int = 8) -> None:
    """``reads`` and ``writes`` of ``kib`` KiB each on ``element`` (three quarters of the
    reads hit the cache; each I/O takes half a millisecond)."""
    stats = array.repo.get(_stats_path(array, element))
    for name, add in (
        ("ReadIOs", reads),
        ("WriteIOs", writes),
        ("TotalIOs", reads + writes),
        ("ReadHitIOs", reads * 3 // 4),
        ("KBytesRead", reads * kib),
        ("KBytesWritten", writes * kib),
        ("KBytesTransferred", (reads + writes) * kib),
        ("IOTimeCounter", (reads + writes) // 2),
    ):
        stats[name] = Uint64(int(stats[name]) + add)
    array.repo.put(stats)


def set_status(array: Any, base: str, name: str, *statuses: int) -> Any:
    """Give the ``base`` instance called ``name`` (ElementName) new OperationalStatus values;
    returns its path."""
    for instance in array.repo.each(base):
        if instance["ElementName"] == name:
            instance = array.repo.get(instance.path)
            instance["OperationalStatus"] = [Uint16(s) for s in statuses]
            array.repo.put(instance)
            return instance.path
    raise LookupError(f"no {base} called {name}")
