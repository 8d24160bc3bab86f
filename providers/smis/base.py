"""State every operation module shares, and loaders of single objects.

The operation mixins (:mod:`.ops_volumes`, :mod:`.ops_group`, :mod:`.ops_spc`,
:mod:`.ops_replication`) inherit from :class:`SmisBase`; the loaders read one object the way
the bulk observation reads all of them, so an operation's result equals what ``observe()``
reports afterwards.
"""

from __future__ import annotations

from typing import Any

from storplan.errors import Busy, InvalidArgument, NotFound
from storplan.model.block import Pool, Volume
from storplan.model.capabilities import Limits
from storplan.providers.kit import ProviderBase

from . import cim, convert
from .cim import pkey, prop
from .client import WbemClient
from .discovery import ArrayInfo
from .ids import PREFIX_LABELS, Resolver, object_id, system_id_of
from .jobs import JobBook
from .reader import CLASSES

__all__ = ["SmisBase"]

VOLUME_PROPS = CLASSES["volumes"][1]
POOL_PROPS = CLASSES["pools"][1]
_SYNC_PROPS = ["SystemElement", "SyncedElement", "SyncType", "Mode", "CopyState", "PercentSynced"]


class SmisBase(ProviderBase):
    """Connection state and single-object helpers (see the module docstring)."""

    name = "smis"
    client: WbemClient
    info: ArrayInfo
    resolver: Resolver
    book: JobBook

    def limits(self) -> Limits:  # implemented by the provider
        raise NotImplementedError

    # ------------------------------------------------------------------ look-ups
    def _path(self, obj_id: str) -> Any:
        return self.resolver.path(obj_id)

    def _require(self, obj_id: str, props: list[str]) -> Any:
        """The instance behind ``obj_id`` (:class:`NotFound` if it has gone)."""
        path = self._path(obj_id)
        found = self.client.get(path, props)
        if found is None:
            self.resolver.forget(obj_id)
            label = PREFIX_LABELS.get(obj_id.partition(":")[0], "object")
            raise NotFound(f"{label} {obj_id} does not exist")
        return found

    def _service(self, path_or_system: Any, role: str) -> Any:
        system_id = (
            path_or_system if isinstance(path_or_system, str) else system_id_of(path_or_system)
        )
        return self.info.service(system_id, role)

    def _aligned(self, size: int) -> int:
        return int(self.limits().align(size))

    def _syncs(self, path: Any, role: str) -> list[Any]:
        """``CIM_StorageSynchronized`` instances where ``path`` plays ``role``."""
        return self.client.references(path, "CIM_StorageSynchronized", _SYNC_PROPS, role=role)

    # ------------------------------------------------------------------ loaders
    def _load_volume(self, path: Any) -> Volume:
        """One volume, exactly as :meth:`observe` reports it."""
        instance = self.client.require(path, VOLUME_PROPS, "the volume")
        links = self.client.references(
            path, "CIM_AllocatedFromStoragePool", ["Antecedent", "SpaceConsumed"], "Dependent"
        )
        pool_id = object_id("pool", links[0]["Antecedent"]) if links else ""
        used = prop(links[0], "SpaceConsumed") if links else None
        self.resolver.remember("vol", instance.path)
        return convert.volume(instance, pool_id, None if used is None else int(used))

    def _pool_state(self, pool_path: Any) -> tuple[Pool, frozenset[int]]:
        """The pool model (with subscribed space) and the element types it accepts."""
        instance = self.client.require(pool_path, POOL_PROPS, "the pool")
        if convert.hidden_pool(instance):
            raise InvalidArgument(f"pool {object_id('pool', pool_path)} cannot hold volumes")
        members = self.client.associators(
            pool_path,
            "CIM_AllocatedFromStoragePool",
            "CIM_StorageVolume",
            ["BlockSize", "NumberOfBlocks"],
            role="Antecedent",
        )
        subscribed = sum(convert.volume_size(m) for m in members)
        caps = self.client.associators(
            pool_path,
            "CIM_ElementCapabilities",
            "CIM_StorageConfigurationCapabilities",
            ["SupportedStorageElementTypes"],
        )
        types = (
            frozenset(int(t) for c in caps for t in prop(c, "SupportedStorageElementTypes", []))
            or self.info.features.element_types
        )
        hosted = self.client.references(pool_path, "CIM_HostedStoragePool", ["GroupComponent"])
        if not hosted:
            raise NotFound(f"pool {object_id('pool', pool_path)} belongs to no system")
        system_id = "sys:" + next(
            str(v)
            for k, v in hosted[0]["GroupComponent"].keybindings.items()
            if k.lower() == "name"
        )
        return convert.pool(instance, system_id, types, subscribed), types

    def _volumes_named(self, system_id: str, name: str) -> list[Any]:
        """Paths of the volumes of a system called ``name`` (one paged request)."""
        system_name = system_id.partition(":")[2]
        return [
            v.path
            for v in self.client.enumerate("CIM_StorageVolume", ["ElementName"])
            if prop(v, "ElementName") == name
            and str(v.path.keybindings.get("SystemName", "")) == system_name
        ]

    def _mapped_units(self, volume_path: Any) -> list[Any]:
        """``CIM_ProtocolControllerForUnit`` links of a volume."""
        return self.client.references(
            volume_path,
            "CIM_ProtocolControllerForUnit",
            ["Antecedent", "Dependent", "DeviceNumber"],
            "Dependent",
        )

    def _check_deletable(self, volume_path: Any, label: str) -> None:
        """Refuse (:class:`Busy`) to delete a mapped volume or one in a copy relationship."""
        units = self._mapped_units(volume_path)
        if units:
            raise Busy(f"{label} is mapped to {len(units)} host(s)", hint="unmap it first")
        as_source = self._syncs(volume_path, "SystemElement")
        snaps = [s for s in as_source if int(prop(s, "SyncType", 0)) == cim.SYNC_SNAPSHOT]
        if snaps:
            raise Busy(f"{label} has {len(snaps)} snapshot(s)", hint="delete them first")
        as_target = self._syncs(volume_path, "SyncedElement")
        if len(as_source) + len(as_target) > len(snaps):
            raise Busy(
                f"{label} is part of a replica relationship",
                hint="delete the replica relationship first",
            )

    @staticmethod
    def _same(one: Any, other: Any) -> bool:
        return pkey(one) == pkey(other)
