"""File storage: file systems, their snapshots and NFS exports."""

from __future__ import annotations

from dataclasses import dataclass

from ..size import Size
from .base import Condition, status_field
from .enums import Access, Health

__all__ = ["FileSystem", "FsSnapshot", "NfsExport"]


@dataclass(frozen=True, slots=True)
class FileSystem:
    """A file system carved from a pool."""

    id: str
    system_id: str
    pool_id: str
    name: str
    size: Size
    used: Size = status_field(Size(0))
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())


@dataclass(frozen=True, slots=True)
class FsSnapshot:
    """A point-in-time snapshot of a file system."""

    id: str
    filesystem_id: str
    name: str
    created_at: str = status_field("")


@dataclass(frozen=True, slots=True)
class NfsExport:
    """An NFS export of a file system.

    ``clients`` (host names, addresses, CIDR networks or ``*``) and ``security`` flavours are
    sets, kept sorted.  ``anon_uid``/``anon_gid`` are the ids squashed users map to (``None``:
    the server's default).
    """

    id: str
    filesystem_id: str
    path: str
    clients: tuple[str, ...] = ("*",)
    access: Access = Access.RW
    root_squash: bool = True
    anon_uid: int | None = None
    anon_gid: int | None = None
    security: tuple[str, ...] = ("sys",)
