"""Block Services: create, delete, resize and rename volumes.

``CIM_StorageConfigurationService.CreateOrModifyElementFromStoragePool`` creates (``InPool``)
and modifies (``TheElement``: ``Size`` to resize, ``ElementName`` to rename);
``ReturnToStoragePool`` deletes.  Thin or thick is the ``ElementType`` (5 thinly provisioned,
7 fully provisioned, or 2 when the pool lists only the generic type), checked against the
pool's own ``CIM_StorageConfigurationCapabilities``.
"""

from __future__ import annotations

from typing import Any

from pywbem import Uint16, Uint64
from storplan.errors import AlreadyExists, CapacityExceeded, InvalidArgument
from storplan.model.job import Job
from storplan.size import Size

from . import cim
from .base import SmisBase
from .cim import prop
from .ids import object_id

__all__ = ["VolumeOps"]

_CREATE = "CreateOrModifyElementFromStoragePool"


def _volume_path(out: Any, affected: list[Any]) -> Any:
    """The volume a create call produced: the ``TheElement`` OUT parameter, else the affected
    element of its job that is a logical device."""
    element = out.get("TheElement") if out is not None else None
    if element is not None:
        return element
    for path in affected:
        if any(k.lower() == "deviceid" for k in path.keybindings):
            return path
    raise InvalidArgument("the array did not say which volume it created")


class VolumeOps(SmisBase):
    """Volume operations (mixed into :class:`~.provider.SmisProvider`)."""

    def create_volume(self, pool_id: str, name: str, size: int, thin: bool) -> Job[Any]:
        """Create a volume; an existing one with the same name and specification is returned."""
        pool_path = self._path(pool_id)
        size = self._aligned(size)
        pool, types = self._pool_state(pool_path)
        for path in self._volumes_named(pool.system_id, name):
            existing = self._load_volume(path)
            differences = {
                key: (have, want)
                for key, have, want in (
                    ("pool", existing.pool_id, pool.id),
                    ("size", int(existing.size), size),
                    ("thin", existing.thin, thin),
                )
                if have != want
            }
            if self._syncs(path, "SyncedElement"):
                differences["kind"] = ("a snapshot or replica target", "a volume")
            if differences:
                detail = ", ".join(
                    f"{k} is {h} (requested {w})" for k, (h, w) in differences.items()
                )
                raise AlreadyExists(
                    f"volume {name!r} already exists with a different specification: {detail}",
                    hint="choose another name or change the existing volume",
                )
            return self.book.finished("create_volume", existing)
        element_type = self._element_type(pool.name, types, thin)
        self._check_room(pool, size, thin)
        params = {
            "ElementName": name,
            "ElementType": Uint16(element_type),
            "Size": Uint64(size),
            "InPool": pool_path,
        }
        return self.book.invoke(
            "create_volume",
            _CREATE,
            self._service(pool.system_id, "config"),
            params,
            lambda out, affected: self._load_volume(_volume_path(out, affected)),
        )

    @staticmethod
    def _element_type(pool_name: str, types: frozenset[int], thin: bool) -> int:
        if thin:
            if cim.ELEMENT_THIN_VOLUME not in types:
                raise InvalidArgument(
                    f"pool {pool_name!r} cannot hold thin volumes",
                    hint="create the volume thick, or use a thin-capable pool",
                )
            return cim.ELEMENT_THIN_VOLUME
        if cim.ELEMENT_THICK_VOLUME in types:
            return cim.ELEMENT_THICK_VOLUME
        if cim.ELEMENT_VOLUME in types:
            return cim.ELEMENT_VOLUME
        raise InvalidArgument(
            f"pool {pool_name!r} cannot hold thick volumes",
            hint="create the volume thin, or use another pool",
        )

    @staticmethod
    def _check_room(pool: Any, size: int, thin: bool) -> None:
        """Refuse before the array does, with a precise message (the array checks too)."""
        if thin and pool.oversubscription_limit is not None:
            limit = int(pool.total * pool.oversubscription_limit)
            if pool.subscribed + size > limit:
                raise CapacityExceeded(
                    f"pool {pool.name!r} would be over-subscribed: "
                    f"{Size(pool.subscribed + size).human()} promised, limit "
                    f"{pool.oversubscription_limit:g} x {Size(pool.total).human()}",
                    hint="use a smaller size or another pool",
                )
        elif not thin and size > pool.free:
            raise CapacityExceeded(
                f"pool {pool.name!r} has {Size(pool.free).human()} free, "
                f"{Size(size).human()} requested",
                hint="use a smaller size, a thin volume or another pool",
            )

    def delete_volume(self, volume_id: str) -> Job[Any]:
        """Return a volume to its pool (refused while mapped or in a copy relationship)."""
        instance = self._require(volume_id, ["ElementName"])
        self._check_deletable(instance.path, f"volume {prop(instance, 'ElementName', volume_id)!r}")

        def finish(_out: Any, _affected: list[Any]) -> None:
            self.resolver.forget(volume_id)

        return self.book.invoke(
            "delete_volume",
            "ReturnToStoragePool",
            self._service(instance.path, "config"),
            {"TheElement": instance.path},
            finish,
        )

    def resize_volume(self, volume_id: str, size: int) -> Job[Any]:
        """Grow or shrink a volume (``Size`` on ``TheElement``)."""
        path = self._path(volume_id)
        current = self._load_volume(path)
        size = self._aligned(size)
        if size == current.size:
            return self.book.finished("resize_volume", current)
        if size > current.size:
            pool, _ = self._pool_state(self._path(current.pool_id))
            self._check_room(pool, int(size - current.size), current.thin)
        return self.book.invoke(
            "resize_volume",
            _CREATE,
            self._service(path, "config"),
            {"TheElement": path, "Size": Uint64(size)},
            lambda _out, _affected: self._load_volume(path),
        )

    def rename_volume(self, volume_id: str, name: str) -> Job[Any]:
        """Rename a volume (``ElementName`` on ``TheElement``); names stay unique."""
        path = self._path(volume_id)
        current = self._load_volume(path)
        if current.name == name:
            return self.book.finished("rename_volume", current)
        clash = [p for p in self._volumes_named(current.system_id, name) if not self._same(p, path)]
        if clash:
            raise AlreadyExists(
                f"volume {name!r} already exists ({object_id('vol', clash[0])})",
                hint="choose another name",
            )
        return self.book.invoke(
            "rename_volume",
            _CREATE,
            self._service(path, "config"),
            {"TheElement": path, "ElementName": name},
            lambda _out, _affected: self._load_volume(path),
        )
