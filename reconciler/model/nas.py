"""NAS storage: file systems, their snapshots and NFS exports.

:class:`ExportOptions` is the one definition of what an NFS export can be told (who may mount
it and how, squashing, anonymous ids, security flavours, sync, protocol versions).  The
manifest's export spec, the JSON Schema check, the plan's parameters, the CLI options and every
provider derive from it (a test checks the schema against it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..size import Size
from .base import Condition, status_field
from .enums import Access, Health

__all__ = [
    "EXPORT_OPTION_FIELDS",
    "NFS_VERSIONS",
    "ExportClient",
    "ExportOptions",
    "FileSystem",
    "FsSnapshot",
    "NfsExport",
    "Squash",
]


class Squash(StrEnum):
    """Which client users an NFS server maps to the anonymous user."""

    ROOT = "root"  # root only (root_squash, the servers' default)
    ALL = "all"  # every user (all_squash)
    NONE = "none"  # nobody (no_root_squash)


@dataclass(frozen=True, slots=True)
class FileSystem:
    """A file system carved from a pool; ``clone_of`` is the id of the snapshot it was cloned
    from (``None``: not a clone, or that snapshot is gone and the clone stands alone)."""

    id: str
    system_id: str
    pool_id: str
    name: str
    size: Size
    used: Size = status_field(Size(0))
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())
    clone_of: str | None = None


@dataclass(frozen=True, slots=True)
class FsSnapshot:
    """A point-in-time snapshot of a file system."""

    id: str
    filesystem_id: str
    name: str
    created_at: str = status_field("")


@dataclass(frozen=True, slots=True, order=True)
class ExportClient:
    """One client rule of an export: who (``match``) may mount it, and how.

    ``match`` is ``*``, a host name, a wildcard (``*.example.com``), an IPv4 or IPv6 address,
    a CIDR network or an ``@netgroup`` (checked by :func:`storplan.identifiers.check_client`).
    """

    match: str
    access: Access = Access.RW
    squash: Squash = Squash.ROOT

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form (plan parameters, provider job records)."""
        return {"match": self.match, "access": self.access.value, "squash": self.squash.value}


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOptions:
    """Everything an export can be told besides its path and file system.

    ``clients`` are kept sorted by ``match`` (one rule per match); ``security`` is a sorted set
    of ``sys``, ``krb5``, ``krb5i``, ``krb5p``; ``anon_uid``/``anon_gid`` are the ids squashed
    users map to (``None``: the server's default); ``nfs_versions`` empty means the server's
    default versions.  Build from loose values with :meth:`canonical`.
    """

    clients: tuple[ExportClient, ...] = (ExportClient("*"),)
    anon_uid: int | None = None
    anon_gid: int | None = None
    security: tuple[str, ...] = ("sys",)
    sync: bool = True
    nfs_versions: tuple[str, ...] = ()

    @classmethod
    def canonical(
        cls,
        *,
        clients: Any = (ExportClient("*"),),
        anon_uid: int | None = None,
        anon_gid: int | None = None,
        security: Any = ("sys",),
        sync: bool = True,
        nfs_versions: Any = (),
    ) -> ExportOptions:
        """Options with sets sorted and de-duplicated; clients may be :class:`ExportClient`,
        mappings (``match``, ``access``, ``squash``) or bare match strings (defaults)."""
        rules: dict[str, ExportClient] = {}
        for item in clients:
            rule = _client(item)
            rules.setdefault(rule.match, rule)
        return cls(
            clients=tuple(sorted(rules.values())),
            anon_uid=anon_uid,
            anon_gid=anon_gid,
            security=tuple(sorted(set(security))),
            sync=bool(sync),
            nfs_versions=tuple(sorted(set(nfs_versions), key=_version_key)),
        )

    def problems(self) -> list[tuple[str, str, str]]:
        """What NFS servers would refuse in these options: ``(field, message, hint)``."""
        from ..errors import InvalidArgument
        from ..identifiers import check_client
        from .enums import NFS_SECURITY_FLAVOURS

        found: list[tuple[str, str, str]] = []
        if not self.clients:
            found.append(("clients", "an export needs at least one client", 'e.g. ["*"]'))
        for rule in self.clients:
            try:
                check_client(rule.match)
            except InvalidArgument as exc:
                found.append(("clients", exc.message, exc.hint))
        unknown = [f for f in self.security if f not in NFS_SECURITY_FLAVOURS]
        if unknown or not self.security:
            found.append(
                (
                    "security",
                    f"unknown NFS security flavour(s) {unknown}" if unknown else "no flavour",
                    f"choose from {', '.join(NFS_SECURITY_FLAVOURS)}",
                )
            )
        for name in ("anon_uid", "anon_gid"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32
            ):
                found.append((name, f"{name} {value!r} is outside 0..4294967295", ""))
        bad = [v for v in self.nfs_versions if v not in NFS_VERSIONS]
        if bad:
            found.append(
                ("nfs_versions", f"unknown NFS version(s) {bad}", f"choose from {NFS_VERSIONS}")
            )
        return found

    def options(self) -> ExportOptions:
        """Just the options (drops the identity of an :class:`NfsExport`)."""
        return ExportOptions(**{name: getattr(self, name) for name in EXPORT_OPTION_FIELDS})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (plan parameters, provider job records)."""
        return {
            "clients": [c.to_dict() for c in self.clients],
            "anon_uid": self.anon_uid,
            "anon_gid": self.anon_gid,
            "security": list(self.security),
            "sync": self.sync,
            "nfs_versions": list(self.nfs_versions),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExportOptions:
        """Inverse of :meth:`to_dict` (canonicalized)."""
        return cls.canonical(**{k: data[k] for k in EXPORT_OPTION_FIELDS if k in data})


NFS_VERSIONS = ("3", "4", "4.0", "4.1", "4.2")
"""NFS protocol versions an export may be limited to (``4`` is every 4.x minor version)."""

EXPORT_OPTION_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ExportOptions))
"""The names of the export options, in declaration order."""


@dataclass(frozen=True, slots=True)
class NfsExport(ExportOptions):
    """An NFS export of a file system: ``path`` is what clients mount."""

    id: str
    filesystem_id: str
    path: str


def _client(item: Any) -> ExportClient:
    """One client rule; a malformed one (data from a saved plan or a request) is refused."""
    if isinstance(item, ExportClient):
        return item
    if isinstance(item, str):
        return ExportClient(item)
    try:
        if not isinstance(item, dict) or not isinstance(item.get("match"), str):
            raise ValueError
        return ExportClient(
            item["match"],
            Access(item.get("access", Access.RW)),
            Squash(item.get("squash", Squash.ROOT)),
        )
    except ValueError:
        from ..errors import InvalidArgument

        raise InvalidArgument(
            f"export client {item!r} is not a match or {{match, access, squash}}",
            hint="e.g. {match: 10.0.0.0/24, access: rw, squash: root}",
        ) from None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in str(version).split("."))
