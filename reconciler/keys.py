"""Object keys: the one grammar for naming managed objects by name.

Plans, the state store (ownership, protection), fingerprints and the name index all refer to
objects the same way, by the names a manifest uses, never by array ids::

    pool:ssd   host:db01   volume:db01-data   replica:db01-clone   filesystem:home
    snapshot:db01-data/nightly   fs_snapshot:home/daily   mapping:db01-data@db01
    initiator:db01/iqn.1994-05.com.example:db01   export:/export/home

A key is ``kind:target``; the target joins the parts with the kind's separator.  Object names
cannot contain ``/``, ``@`` or ``:`` (every provider's name rule refuses them), so keys parse
back unambiguously; an export's path and an initiator's identifier are always the last part.

Besides object keys, the planner orders actions with a few *edge keys* that name no object
(``release:<initiator>``, ``lun:<host>/<n>``, ``fixed-luns:<host>``, ``chap:<host>``); they are
built here too, so no module spells a key by hand.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple

from .model.enums import Kind

__all__ = [
    "Key",
    "ObjectKind",
    "chap_key",
    "fixed_luns_key",
    "lun_key",
    "release_key",
]


class ObjectKind(StrEnum):
    """Kinds of managed objects, as plans, keys and the state store name them."""

    POOL = "pool"
    HOST = "host"
    INITIATOR = "initiator"
    VOLUME = "volume"
    MAPPING = "mapping"
    SNAPSHOT = "snapshot"
    REPLICA = "replica"
    FILESYSTEM = "filesystem"
    FS_SNAPSHOT = "fs_snapshot"
    EXPORT = "export"
    DISK = "disk"

    @property
    def state_kind(self) -> Kind:
        """The :class:`~storplan.model.Kind` (``State`` attribute) holding such objects."""
        return _STATE_KIND[self]

    @property
    def label(self) -> str:
        """How messages name the kind (``file system``, ``fs snapshot``)."""
        return _LABELS.get(self, self.value)


_STATE_KIND = {
    ObjectKind.POOL: Kind.POOLS,
    ObjectKind.HOST: Kind.ACCESS_GROUPS,
    ObjectKind.INITIATOR: Kind.ACCESS_GROUPS,
    ObjectKind.VOLUME: Kind.VOLUMES,
    ObjectKind.MAPPING: Kind.MAPPINGS,
    ObjectKind.SNAPSHOT: Kind.SNAPSHOTS,
    ObjectKind.REPLICA: Kind.REPLICAS,
    ObjectKind.FILESYSTEM: Kind.FILESYSTEMS,
    ObjectKind.FS_SNAPSHOT: Kind.FS_SNAPSHOTS,
    ObjectKind.EXPORT: Kind.EXPORTS,
    ObjectKind.DISK: Kind.DISKS,
}
_LABELS = {ObjectKind.FILESYSTEM: "file system", ObjectKind.FS_SNAPSHOT: "fs snapshot"}
_SEPARATOR = {
    ObjectKind.SNAPSHOT: "/",
    ObjectKind.FS_SNAPSHOT: "/",
    ObjectKind.INITIATOR: "/",
    ObjectKind.MAPPING: "@",
}
_ARITY = {kind: 2 for kind in _SEPARATOR}


class Key(NamedTuple):
    """A managed object's key: its kind and the names that identify it."""

    kind: ObjectKind
    parts: tuple[str, ...]

    @classmethod
    def of(cls, kind: ObjectKind | str, *parts: str) -> Key:
        """The key of an object of ``kind`` identified by ``parts`` (one name, or owner and
        name for snapshots, host and identifier for initiators, volume and host for
        mappings)."""
        resolved = ObjectKind(kind)
        if len(parts) != _ARITY.get(resolved, 1):
            raise ValueError(f"a {resolved.value} key has {_ARITY.get(resolved, 1)} part(s)")
        return cls(resolved, tuple(str(p) for p in parts))

    @classmethod
    def parse(cls, text: str) -> Key:
        """The key written as ``kind:target``.

        Raises:
            ValueError: not a key of a known kind.
        """
        kind_text, sep, target = text.partition(":")
        if not sep or kind_text not in ObjectKind.__members__.values():
            raise ValueError(f"{text!r} is not an object key")
        kind = ObjectKind(kind_text)
        separator = _SEPARATOR.get(kind)
        if separator is None:
            return cls(kind, (target,))
        first, found, rest = target.partition(separator)
        if not found:
            raise ValueError(f"{text!r} is not a {kind.value} key (owner{separator}name)")
        return cls(kind, (first, rest))

    @property
    def target(self) -> str:
        """The key without its kind (``db01-data/nightly``), as plans show it."""
        return _SEPARATOR.get(self.kind, "").join(self.parts)

    @property
    def name(self) -> str:
        """The last part: the object's own name (or path, or identifier)."""
        return self.parts[-1]

    @property
    def owner(self) -> str:
        """The first part: the owning volume, file system or host (or the name itself)."""
        return self.parts[0]

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.target}"


def release_key(initiator: str) -> str:
    """Edge key: the removal of ``initiator`` from whichever host holds it now."""
    return f"release:{initiator}"


def lun_key(host: str, lun: int) -> str:
    """Edge key: LUN ``lun`` of ``host`` becomes free (its mapping is removed)."""
    return f"lun:{host}/{lun}"


def fixed_luns_key(host: str) -> str:
    """Edge key: every explicitly numbered mapping of ``host`` (array-chosen LUNs wait)."""
    return f"fixed-luns:{host}"


def chap_key(host: str) -> str:
    """Edge key: the CHAP settings of ``host``'s initiators (no mapping before them)."""
    return f"chap:{host}"
