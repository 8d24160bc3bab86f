"""The bulk observation: every kind built from per-class reads (see :mod:`.reader`).

Read-only by construction (only enumerations), and tolerant where it is safe to be: a failure
to read disks or target ports (status-only kinds) becomes a condition on the systems instead
of failing the whole observation; failures of kinds a plan depends on are raised.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from storplan.errors import StorplanError
from storplan.model.base import Condition
from storplan.model.block import AccessGroup, Mapping
from storplan.model.enums import Kind
from storplan.model.state import State

from . import cim, convert, hardware
from .cim import lun_of, pkey, prop
from .discovery import ArrayInfo
from .ids import Resolver, object_id, system_id_of, system_id_of_system
from .ports import iscsi_ports
from .reader import Reader

__all__ = ["BLOCK_KINDS", "observe"]

log = logging.getLogger("storplan.providers.smis")

BLOCK_KINDS = frozenset(Kind) - {Kind.FILESYSTEMS, Kind.FS_SNAPSHOTS, Kind.EXPORTS}
_TOLERATED = {Kind.DISKS, Kind.TARGET_PORTS}


class Observation:
    """Builds model objects from one :class:`Reader`; shared indexes are memoized."""

    def __init__(self, reader: Reader, info: ArrayInfo, resolver: Resolver) -> None:
        self.r = reader
        self.info = info
        self.resolver = resolver
        self.root_names = {sid.partition(":")[2] for sid in info.systems}

    def _mine(self, path: Any) -> bool:
        return system_id_of(path).partition(":")[2] in self.root_names

    # ------------------------------------------------------------------ systems
    def systems(self) -> list[Any]:
        result = []
        for instance in self.r.all("systems"):
            if pkey(instance.path) not in {pkey(p) for p in self.info.systems.values()}:
                continue
            software = self._linked_instance("installed_software", instance.path, "software")
            package = self._linked_instance("system_packaging", instance.path, "packages")
            result.append(convert.system(instance, software, package))
        enclosure = hardware.enclosure_conditions(self.r)
        return [
            dataclasses.replace(s, conditions=s.conditions + enclosure[s.id])
            if s.id in enclosure
            else s
            for s in result
        ]

    def _linked_instance(self, link: str, path: Any, name: str) -> Any | None:
        other = self.r.first_linked(link, path)
        return None if other is None else self.r.by_key(name).get(pkey(other))

    # ------------------------------------------------------------------ pools
    def visible_pools(self) -> dict[tuple[Any, ...], tuple[Any, str]]:
        """pool key -> (instance, system id) for every storplan-visible pool."""

        def compute() -> dict[tuple[Any, ...], tuple[Any, str]]:
            hosted = {
                pkey(link["PartComponent"]): link["GroupComponent"]
                for link in self.r.links("hosted_pools")
            }
            result = {}
            for instance in self.r.all("pools"):
                system = hosted.get(pkey(instance.path))
                if system is None or convert.hidden_pool(instance):
                    continue
                system_id = system_id_of_system(system)
                if system_id in self.info.systems:
                    result[pkey(instance.path)] = (instance, system_id)
            return result

        return self.r.memo("visible_pools", compute)  # type: ignore[no-any-return]

    def pools(self) -> list[Any]:
        caps = self.r.by_key("config_caps")
        subscribed: dict[tuple[Any, ...], int] = {}
        volumes = self.r.by_key("volumes")
        for link in self.r.links("allocations"):
            member = volumes.get(pkey(link["Dependent"]))
            if member is not None:
                key = pkey(link["Antecedent"])
                subscribed[key] = subscribed.get(key, 0) + convert.volume_size(member)
        result = []
        for key, (instance, system_id) in self.visible_pools().items():
            types: set[int] = set()
            for link in self.r.linked("element_caps").get(key, []):
                found = caps.get(pkey(link["Capabilities"]))
                if found is not None:
                    types |= {int(t) for t in prop(found, "SupportedStorageElementTypes", [])}
            result.append(
                convert.pool(
                    instance,
                    system_id,
                    frozenset(types) or self.info.features.element_types,
                    subscribed.get(key, 0),
                )
            )
            self.resolver.remember("pool", instance.path)
        return result

    # ------------------------------------------------------------------ volumes
    def snapshot_targets(self) -> dict[tuple[Any, ...], Any]:
        """target volume key -> its ``SyncType`` 7 synchronization."""
        return self.r.memo(  # type: ignore[no-any-return]
            "snapshot_targets",
            lambda: {
                pkey(s["SyncedElement"]): s
                for s in self.r.links("syncs")
                if int(prop(s, "SyncType", 0)) == cim.SYNC_SNAPSHOT
            },
        )

    def pool_of(self) -> dict[tuple[Any, ...], Any]:
        """volume key -> its allocation (``Antecedent`` pool, ``SpaceConsumed``)."""
        return self.r.memo(  # type: ignore[no-any-return]
            "pool_of", lambda: {pkey(a["Dependent"]): a for a in self.r.links("allocations")}
        )

    def visible_volumes(self) -> dict[tuple[Any, ...], Any]:
        """volume key -> model volume for every storplan-visible volume."""

        def compute() -> dict[tuple[Any, ...], Any]:
            pools, allocation, snaps = self.visible_pools(), self.pool_of(), self.snapshot_targets()
            result = {}
            for instance in self.r.all("volumes"):
                key = pkey(instance.path)
                link = allocation.get(key)
                if link is None or key in snaps or convert.hidden_volume(instance):
                    continue
                if pkey(link["Antecedent"]) not in pools or not self._mine(instance.path):
                    continue
                used = prop(link, "SpaceConsumed")
                pool_id = object_id("pool", link["Antecedent"])
                result[key] = convert.volume(instance, pool_id, None if used is None else int(used))
                self.resolver.remember("vol", instance.path)
            return result

        return self.r.memo("visible_volumes", compute)  # type: ignore[no-any-return]

    def volumes(self) -> list[Any]:
        return list(self.visible_volumes().values())

    def snapshots(self) -> list[Any]:
        visible, volumes, allocation = (
            self.visible_volumes(),
            self.r.by_key("volumes"),
            (self.pool_of()),
        )
        result = []
        for key, sync in self.snapshot_targets().items():
            target = volumes.get(key)
            if target is None or pkey(sync["SystemElement"]) not in visible:
                continue
            link = allocation.get(key)
            used = int(prop(link, "SpaceConsumed", 0)) if link is not None else 0
            result.append(convert.snapshot(target, sync["SystemElement"], used))
            self.resolver.remember("snap", target.path)
        return result

    def replicas(self) -> list[Any]:
        visible = self.visible_volumes()
        result = []
        for sync in self.r.links("syncs"):
            kind = convert.replica_kind(sync)
            source, target = pkey(sync["SystemElement"]), pkey(sync["SyncedElement"])
            if kind is None or source not in visible or target not in visible:
                continue
            result.append(convert.replica(sync, kind))
        return result

    # ------------------------------------------------------------------ hosts and masking
    def groups(self) -> dict[tuple[Any, ...], AccessGroup]:
        """group key (initiator group or SPC) -> access group."""
        return self.r.memo("groups", self._groups)  # type: ignore[no-any-return]

    def _groups(self) -> dict[tuple[Any, ...], AccessGroup]:
        if self.info.masking is None:
            return {}
        hwids = self.r.by_key("hardware_ids")

        def initiators(paths: list[Any]) -> tuple[Any, ...]:
            found = [convert.initiator(hwids[pkey(p)]) for p in paths if pkey(p) in hwids]
            return tuple(sorted({i for i in found if i is not None}))

        result: dict[tuple[Any, ...], AccessGroup] = {}
        if self.info.masking == "group":
            hosted = {
                pkey(h["Dependent"]): h["Antecedent"] for h in self.r.links("hosted_collections")
            }
            members = self.r.linked("members")
            for group in self.r.all("initiator_groups"):
                key = pkey(group.path)
                system = hosted.get(key)
                system_id = system_id_of_system(system) if system is not None else ""
                if system_id not in self.info.systems:
                    continue
                paths = [m["Member"] for m in members.get(key, [])]
                group_id = self.resolver.remember("host", group.path)
                result[key] = AccessGroup(
                    group_id, system_id, str(prop(group, "ElementName", "")), initiators(paths)
                )
            return result
        subjects = self.r.linked("authorized_subjects")
        by_spc: dict[tuple[Any, ...], list[Any]] = {}
        for target in self.r.links("authorized_targets"):
            privilege = pkey(target["Privilege"])
            paths = [s["PrivilegedElement"] for s in subjects.get(privilege, [])]
            by_spc.setdefault(pkey(target["TargetElement"]), []).extend(paths)
        for spc in self.r.all("spcs"):
            if not self._mine(spc.path):
                continue
            health, _ = cim.health_of(spc)
            group_id = self.resolver.remember("host", spc.path)
            result[pkey(spc.path)] = AccessGroup(
                group_id,
                system_id_of(spc),
                str(prop(spc, "ElementName", "")),
                initiators(by_spc.get(pkey(spc.path), [])),
                health if health is not cim.Health.UNKNOWN else cim.Health.OK,
            )
        return result

    def access_groups(self) -> list[Any]:
        return list(self.groups().values())

    def mappings(self) -> list[Any]:
        groups, visible = self.groups(), self.visible_volumes()
        views: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        if self.info.masking == "group":
            for link in self.r.links("view_initiator_groups"):
                views.setdefault(pkey(link["Antecedent"]), []).append(pkey(link["Dependent"]))
        result = []
        for unit in self.r.links("units"):
            volume = visible.get(pkey(unit["Dependent"]))
            spc = pkey(unit["Antecedent"])
            owners = views.get(spc, []) if self.info.masking == "group" else [spc]
            lun = lun_of(unit)
            for owner in owners:
                group = groups.get(owner)
                if volume is not None and group is not None and lun is not None:
                    result.append(Mapping(volume.id, group.id, lun))
        return sorted(set(result), key=lambda m: (m.volume_id, m.access_group_id))

    # ------------------------------------------------------------------ hardware
    def disks(self) -> list[Any]:
        pools = self.visible_pools()
        extents = self._disk_extents()
        pool_of_extent = {}
        for link in self.r.links("components"):
            if pkey(link["GroupComponent"]) in pools:
                pool_of_extent[pkey(link["PartComponent"])] = link["GroupComponent"]
        result = []
        for drive in self.r.all("disks"):
            if not self._mine(drive.path):
                continue
            extent_path = self.r.first_linked("media", drive.path)
            size, pool_id = 0, None
            if extent_path is not None:
                extent = extents.get(pkey(extent_path))
                size = convert.volume_size(extent) if extent is not None else 0
                owner = pool_of_extent.get(pkey(extent_path))
                pool_id = object_id("pool", owner) if owner is not None else None
            result.append(convert.disk(drive, size, pool_id))
        return result

    def _disk_extents(self) -> dict[tuple[Any, ...], Any]:
        """Disk extents, read from each primordial pool (never all storage extents, which
        would include every volume)."""
        extents: dict[tuple[Any, ...], Any] = {}
        for instance in self.r.all("pools"):
            if prop(instance, "Primordial", False):
                for extent in self.r.client.associators(
                    instance.path,
                    "CIM_ConcreteComponent",
                    "CIM_StorageExtent",
                    ["BlockSize", "NumberOfBlocks", "Primordial"],
                ):
                    extents[pkey(extent.path)] = extent
        return extents

    def target_ports(self) -> list[Any]:
        ports = [p for p in map(convert.fc_port, self.r.all("fc_ports")) if p is not None]
        ports = [p for p in ports if p.system_id in self.info.systems]
        return ports + [p for p in iscsi_ports(self.r) if p.system_id in self.info.systems]


def _by_id(obj: Any) -> str:
    return str(obj.id)


_BUILDERS: dict[Kind, Callable[[Observation], list[Any]]] = {
    Kind.SYSTEMS: Observation.systems,
    Kind.POOLS: Observation.pools,
    Kind.DISKS: Observation.disks,
    Kind.VOLUMES: Observation.volumes,
    Kind.ACCESS_GROUPS: Observation.access_groups,
    Kind.MAPPINGS: Observation.mappings,
    Kind.SNAPSHOTS: Observation.snapshots,
    Kind.REPLICAS: Observation.replicas,
    Kind.TARGET_PORTS: Observation.target_ports,
}


def observe(
    reader: Reader,
    info: ArrayInfo,
    resolver: Resolver,
    kinds: frozenset[Kind] | None,
    available: frozenset[Kind],
) -> State:
    """The live state of ``kinds`` (all when ``None``), each kind built from bulk reads and
    sorted by id, so two observations of an unchanged array are equal."""
    wanted = [k for k in (Kind if kinds is None else kinds) if k in _BUILDERS and k in available]
    observation = Observation(reader, info, resolver)
    built: dict[str, tuple[Any, ...]] = {}
    problems: list[Condition] = []
    for kind in wanted:
        try:
            built[kind.value] = tuple(sorted(_BUILDERS[kind](observation), key=_by_id))
        except StorplanError as exc:
            # tolerated only where the problem can be reported: as a condition on the systems
            if kind not in _TOLERATED or Kind.SYSTEMS not in wanted:
                raise
            log.warning("could not observe %s: %s", kind.value, exc)
            problems.append(Condition(f"observe_{kind.value}", exc.message))
            built[kind.value] = ()
    if problems and Kind.SYSTEMS.value in built:
        built[Kind.SYSTEMS.value] = tuple(
            dataclasses.replace(s, conditions=s.conditions + tuple(problems))
            for s in built[Kind.SYSTEMS.value]
        )
    return State(**built)
