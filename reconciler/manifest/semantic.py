"""Checks across a whole manifest: references, uniqueness, LUNs, initiators, provider limits.

Runs on the typed specs after every document was built and arrays were merged.  With
:class:`ProviderFacts` (what a reachable provider declared) it also checks names, sizes and the
capabilities the manifest needs; without them (``--offline``) only what needs no provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidArgument
from ..identifiers import InitiatorKind
from ..model.capabilities import Capabilities, Limits
from ..model.enums import Capability, ReplicaKind
from ..size import Size
from .diagnostics import Diagnostics, Mark
from .spec import ArraySpec, ExportSpec, FileSystemSpec, Manifest, Source, VolumeSpec, where

__all__ = ["ProviderFacts", "check_manifest", "check_providers", "required_capabilities"]


@dataclass(frozen=True, slots=True)
class ProviderFacts:
    """What the provider behind one array entry declared."""

    capabilities: Capabilities
    limits: Limits


def _alias_copy(spec: object) -> Mark | None:
    """Where the alias is through which ``spec`` was copied, if it was."""
    source: Source | None = getattr(spec, "source", None)
    return source.doc.alias_mark(source.path) if source is not None else None


def _unique(
    items: Iterable[tuple[str, object, str]],
    what: str,
    diagnostics: Diagnostics,
    code: str = "name.duplicate",
) -> None:
    """Report names given twice; ``items`` are (name, spec, field) and positions are looked up
    only for the duplicates (a valid manifest never needs one)."""
    seen: dict[str, tuple[object, str]] = {}
    for name, spec, field in items:
        if name not in seen:
            seen[name] = (spec, field)
            continue
        first = where(*seen[name])
        mark = where(spec, field)
        alias = _alias_copy(spec) if mark == first else None
        if alias is not None:  # an alias copied the whole entry: point at the alias
            diagnostics.add(
                code,
                f"{what} {name!r} is declared twice: an alias repeats the entry at {first}",
                alias,
                "names are keys: remove the alias, or merge the anchor and give a new name "
                "(<<: *anchor, then name: ...)",
            )
        else:
            diagnostics.add(
                code,
                f"{what} {name!r} is declared twice",
                mark,
                f"the first is at {first}; names are keys: keep one",
            )


def _check_references(array: ArraySpec, diagnostics: Diagnostics) -> None:
    pools = {p.name for p in array.pools}
    hosts = {h.name for h in array.hosts}
    declared = f"declare it under arrays[{array.name}].pools"
    owners: list[VolumeSpec | FileSystemSpec] = [*array.volumes, *array.filesystems]
    for owner in owners:
        if owner.pool not in pools:
            diagnostics.add(
                "ref.pool",
                f"pool {owner.pool!r} is not declared in this array",
                where(owner, "pool"),
                declared,
            )
    for volume in array.volumes:
        for replica in volume.replicas:
            if replica.pool is not None and replica.pool not in pools:
                diagnostics.add(
                    "ref.pool",
                    f"pool {replica.pool!r} is not declared in this array",
                    where(replica, "pool"),
                    declared,
                )
        for mapping in volume.mappings:
            if mapping.host not in hosts:
                diagnostics.add(
                    "ref.host",
                    f"host {mapping.host!r} is not declared in this array",
                    where(mapping, "host"),
                    f"declare it under arrays[{array.name}].hosts",
                )


def _check_names(array: ArraySpec, diagnostics: Diagnostics) -> None:
    _unique(((p.name, p, "") for p in array.pools), "pool", diagnostics)
    _unique(((h.name, h, "") for h in array.hosts), "host", diagnostics)
    volume_names: list[tuple[str, object, str]] = [(v.name, v, "") for v in array.volumes]
    volume_names += [(r.name, r, "") for v in array.volumes for r in v.replicas]
    _unique(volume_names, "volume (or replica)", diagnostics)
    _unique(((f.name, f, "") for f in array.filesystems), "file system", diagnostics)
    _unique(
        ((e.path, e, "") for f in array.filesystems for e in f.exports),
        "export path",
        diagnostics,
    )
    owners: list[VolumeSpec | FileSystemSpec] = [*array.volumes, *array.filesystems]
    for owner in owners:
        _unique(
            ((s.name, s, "") for s in owner.snapshots),
            f"snapshot of {owner.name!r}",
            diagnostics,
        )
    current = {n for n, _, _ in volume_names}
    for volume in array.volumes:
        for old in volume.previous_names:
            if old in current:
                diagnostics.add(
                    "name.previous",
                    f"previous name {old!r} of volume {volume.name!r} is also a current name",
                    where(volume, "previous_names"),
                    "remove it from one place",
                )


def _check_masking(array: ArraySpec, diagnostics: Diagnostics) -> None:
    luns: dict[tuple[str, int], str] = {}
    for volume in array.volumes:
        _unique(
            ((m.host, m, "") for m in volume.mappings),
            f"mapping of {volume.name!r} to host",
            diagnostics,
            "mapping.duplicate",
        )
        for mapping in volume.mappings:
            if mapping.lun is None:
                continue
            holder = luns.setdefault((mapping.host, mapping.lun), volume.name)
            if holder != volume.name:
                diagnostics.add(
                    "mapping.lun_conflict",
                    f"volume {volume.name!r} is given LUN {mapping.lun} of host "
                    f"{mapping.host!r}, which is also given to volume {holder!r}",
                    where(mapping, "lun"),
                    "give each volume its own LUN",
                )
    owners: dict[str, str] = {}
    for host in array.hosts:
        _unique(
            ((i.id, i, "") for i in host.initiators),
            f"initiator of {host.name!r}",
            diagnostics,
            "initiator.duplicate",
        )
        for initiator in host.initiators:
            owner = owners.setdefault(initiator.id, host.name)
            if owner != host.name:
                diagnostics.add(
                    "initiator.shared",
                    f"initiator {initiator.id} is in hosts {owner!r} and {host.name!r}",
                    where(initiator),
                    "an initiator belongs to one host per array",
                )


def _check_exports(fs: FileSystemSpec, diagnostics: Diagnostics) -> None:
    for export in fs.exports:
        _unique(
            ((c, export, "clients") for c in export.clients),
            f"client of export {export.path!r}",
            diagnostics,
            "export.duplicate_client",
        )


def required_capabilities(array: ArraySpec) -> list[tuple[Capability, Mark]]:
    """Every capability the array entry needs, with the position that needs it."""
    kinds = {
        InitiatorKind.ISCSI: Capability.INITIATOR_ISCSI,
        InitiatorKind.FC: Capability.INITIATOR_FC,
        InitiatorKind.NVME: Capability.INITIATOR_NVME,
    }
    replicas = {
        ReplicaKind.CLONE: Capability.CLONES,
        ReplicaKind.COPY: Capability.COPIES,
        ReplicaKind.MIRROR_SYNC: Capability.MIRROR_SYNC,
        ReplicaKind.MIRROR_ASYNC: Capability.MIRROR_ASYNC,
    }
    needs: list[tuple[Capability, Mark]] = []
    needs += [(Capability.POOL_CREATE, where(p, "disks")) for p in array.pools if p.disks]
    for host in array.hosts:
        needs.append((Capability.ACCESS_GROUPS, where(host)))
        for i in host.initiators:
            needs.append((kinds[i.kind], where(i)))
            if i.chap is not None:
                needs.append((Capability.CHAP, where(i)))
    for v in array.volumes:
        needs.append(
            (Capability.VOLUME_THIN if v.thin else Capability.VOLUME_THICK, where(v, "thin"))
        )
        needs += [(Capability.MASKING, where(m)) for m in v.mappings]
        needs += [
            (Capability.MASKING_LUN_CHOICE, where(m, "lun"))
            for m in v.mappings
            if m.lun is not None
        ]
        needs += [(Capability.SNAPSHOTS, where(s)) for s in v.snapshots]
        needs += [(replicas[r.kind], where(r)) for r in v.replicas]
    for fs in array.filesystems:
        needs.append((Capability.FILESYSTEMS, where(fs)))
        needs += [(Capability.FS_SNAPSHOTS, where(s)) for s in fs.snapshots]
        for e in fs.exports:
            needs += _export_needs(e)
    return needs


def _export_needs(export: ExportSpec) -> list[tuple[Capability, Mark]]:
    needs = [(Capability.NFS_EXPORTS, where(export))]
    if not export.root_squash:
        needs.append((Capability.NFS_ROOT_SQUASH, where(export, "root_squash")))
    if export.anon_uid is not None or export.anon_gid is not None:
        needs.append((Capability.NFS_ANON_IDS, where(export, "anon_uid")))
    if set(export.security) != {"sys"}:
        needs.append((Capability.NFS_SECURITY, where(export, "security")))
    return needs


def _check_provider(array: ArraySpec, facts: ProviderFacts, diagnostics: Diagnostics) -> None:
    reported: set[Capability] = set()
    for capability, mark in required_capabilities(array):
        if capability not in facts.capabilities and capability not in reported:
            reported.add(capability)
            diagnostics.add(
                "capability.missing",
                f"provider {facts.capabilities.provider!r} "
                f"does not support {capability.value!r}, which this needs",
                mark,
                "remove the setting or manage this array with another provider",
            )
    limits = facts.limits
    named: list[tuple[str, Any]] = [("pool", p) for p in array.pools]
    named += [("host", h) for h in array.hosts]
    named += [("volume", v) for v in array.volumes]
    named += [("volume", r) for v in array.volumes for r in v.replicas]
    named += [("file system", f) for f in array.filesystems]
    owners: list[VolumeSpec | FileSystemSpec] = [*array.volumes, *array.filesystems]
    named += [("snapshot", s) for o in owners for s in o.snapshots]
    for kind, spec in named:
        try:
            limits.check_name(kind, spec.name)
        except InvalidArgument as exc:
            diagnostics.add("name.invalid", exc.message, where(spec, "name"), exc.hint)
    for host in array.hosts:
        try:
            limits.check_initiator_count(host.name, len(host.initiators))
        except InvalidArgument as exc:
            mark = where(host, "initiators") if host.initiators else where(host)
            diagnostics.add("host.initiator_count", exc.message, mark, exc.hint)
    sized: list[VolumeSpec | FileSystemSpec] = [*array.volumes, *array.filesystems]
    for spec in sized:
        _check_size(spec, limits, diagnostics)
    for volume in array.volumes:
        for mapping in volume.mappings:
            if mapping.lun is not None and mapping.lun > limits.max_lun:
                diagnostics.add(
                    "mapping.lun_range",
                    f"LUN {mapping.lun} is above this provider's maximum {limits.max_lun}",
                    where(mapping, "lun"),
                )


def _check_size(
    spec: VolumeSpec | FileSystemSpec, limits: Limits, diagnostics: Diagnostics
) -> None:
    if spec.size == 0:
        return  # already reported while building
    if isinstance(spec, VolumeSpec):
        try:
            limits.check_volume_size(spec.size)
        except InvalidArgument as exc:
            diagnostics.add("value.size_range", exc.message, where(spec, "size"), exc.hint)
            return
    aligned = limits.align(spec.size)
    if aligned != spec.size:
        diagnostics.add(
            "value.size_alignment",
            f"{spec.size} will be rounded up to {aligned} "
            f"(the provider allocates in units of {Size(limits.size_alignment)})",
            where(spec, "size"),
            f"write {aligned} to make it explicit",
            severity="warning",
        )


def check_manifest(manifest: Manifest, diagnostics: Diagnostics) -> None:
    """Cross-object checks of a whole manifest that need no provider."""
    for array in manifest.arrays:
        if array.is_empty and not array.allow_empty:
            diagnostics.add(
                "array.empty",
                f"array {array.name!r} declares nothing",
                where(array),
                "declare what to manage, or set allow_empty: true if an empty entry is intended",
            )
        _check_names(array, diagnostics)
        _check_references(array, diagnostics)
        _check_masking(array, diagnostics)
        for fs in array.filesystems:
            _check_exports(fs, diagnostics)


def check_providers(
    manifest: Manifest, facts: dict[str, ProviderFacts], diagnostics: Diagnostics
) -> None:
    """Names, sizes, LUNs and needed capabilities against what each provider declared."""
    for array in manifest.arrays:
        if array.name in facts:
            _check_provider(array, facts[array.name], diagnostics)
