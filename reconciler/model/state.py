"""The observed state of an array: every kind of object, fetched in bulk."""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any

from .enums import Kind

if TYPE_CHECKING:
    from .block import AccessGroup, Mapping, Pool, Replica, Snapshot, Volume
    from .nas import FileSystem, FsSnapshot, NfsExport
    from .system import Disk, System, TargetPort

__all__ = ["State"]


@dataclass(frozen=True)
class State:
    """A consistent snapshot of everything a provider reported in one ``observe()`` call.

    Kinds that were not requested are empty tuples.  ``by_id`` indexes are built lazily.
    """

    systems: tuple[System, ...] = ()
    pools: tuple[Pool, ...] = ()
    disks: tuple[Disk, ...] = ()
    volumes: tuple[Volume, ...] = ()
    access_groups: tuple[AccessGroup, ...] = ()
    mappings: tuple[Mapping, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    replicas: tuple[Replica, ...] = ()
    filesystems: tuple[FileSystem, ...] = ()
    fs_snapshots: tuple[FsSnapshot, ...] = ()
    exports: tuple[NfsExport, ...] = ()
    target_ports: tuple[TargetPort, ...] = ()

    def of(self, kind: Kind) -> tuple[Any, ...]:
        """All objects of one kind."""
        result: tuple[Any, ...] = getattr(self, kind.value)
        return result

    @cached_property
    def by_id(self) -> dict[str, Any]:
        """Every object with an ``id``, indexed by it (ids are unique within one provider)."""
        index: dict[str, Any] = {}
        for f in fields(self):
            for obj in getattr(self, f.name):
                index[obj.id] = obj
        return index

    def find(self, kind: Kind, name: str, system_id: str | None = None) -> list[Any]:
        """Objects of ``kind`` called ``name`` (optionally only on one system)."""
        return [
            obj
            for obj in self.of(kind)
            if getattr(obj, "name", None) == name
            and (system_id is None or getattr(obj, "system_id", system_id) == system_id)
        ]
