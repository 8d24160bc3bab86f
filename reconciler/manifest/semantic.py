"""Checks across a whole manifest: references, uniqueness, LUNs, initiators, provider limits.

Runs on the typed specs after every document was built and arrays were merged.  With
:class:`ProviderFacts` (what a reachable provider declared) it also checks names, sizes and the
capabilities the manifest needs; without them (``--offline``) only what needs no provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..model.capabilities import Capabilities, Limits
from ..model.enums import Capability
from ..size import Size
from .diagnostics import Diagnostics, Mark
from .requests import create_requests
from .spec import ArraySpec, FileSystemSpec, Manifest, Origin, Source, VolumeSpec, where

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
        if isinstance(owner, FileSystemSpec) and owner.clone_of and not owner.pool:
            continue  # a clone of an undeclared source: reported by _check_clones
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


def _check_clones(array: ArraySpec, diagnostics: Diagnostics) -> None:
    """A clone's source is a file system of this entry, other than itself and not one of
    its own clones, and the clone lives in the source's pool."""
    by_name = {f.name: f for f in array.filesystems}
    for fs in array.filesystems:
        if fs.clone_of is None:
            continue
        mark = where(fs.clone_of, "filesystem")
        source = by_name.get(fs.clone_of.filesystem)
        if source is None:
            diagnostics.add(
                "ref.filesystem",
                f"file system {fs.clone_of.filesystem!r} is not declared in this array",
                mark,
                f"declare it under arrays[{array.name}].filesystems (a clone's source is managed)",
            )
            continue
        chain: list[str] = [fs.name]
        step: FileSystemSpec | None = source
        while step is not None and step.clone_of is not None and step.name not in chain:
            chain.append(step.name)
            step = by_name.get(step.clone_of.filesystem)
        if step is not None and step.name in chain:
            diagnostics.add(
                "filesystem.clone_cycle",
                f"file system {fs.name!r} would be a clone of itself "
                f"({' -> '.join([*chain, step.name])})",
                mark,
                "clone from a file system that is not made from this one",
            )
        elif source.pool and fs.pool != source.pool:
            diagnostics.add(
                "filesystem.clone_pool",
                f"a clone lives in its source's pool ({source.pool!r}), not {fs.pool!r}",
                where(fs, "pool"),
                "leave the pool out",
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
    claimed: dict[str, str] = {}
    for volume in array.volumes:
        for old in volume.previous_names:
            holder = claimed.setdefault(old, volume.name)
            if holder != volume.name:
                diagnostics.add(
                    "name.previous_claimed",
                    f"previous name {old!r} is claimed by volumes {holder!r} and {volume.name!r}",
                    where(volume, "previous_names"),
                    "a volume can be renamed into one volume only: keep it in one list",
                )
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


def required_capabilities(array: ArraySpec) -> list[tuple[Capability, Origin]]:
    """Every capability the array entry needs, with where it is needed (``.mark()`` gives the
    position; computed only for a message): what the catalogue says the creates of its
    objects need (the same functions plan and the Session use)."""
    from ..catalogue import operation

    needs: list[tuple[Capability, Origin]] = []
    for request in create_requests(array):
        op = operation(request.operation)
        needs += [(c, request.origin) for c in op.capabilities(request.params)]
    return needs


def _check_provider(array: ArraySpec, facts: ProviderFacts, diagnostics: Diagnostics) -> None:
    from ..catalogue import operation

    # One pass over the requests: each is checked for what it needs and against the limits.
    reported: set[Capability] = set()
    declared = facts.capabilities
    for request in create_requests(array):
        op = operation(request.operation)
        for capability in op.capabilities(request.params):
            if capability not in declared and capability not in reported:
                reported.add(capability)
                diagnostics.add(
                    "capability.missing",
                    f"provider {declared.provider!r} "
                    f"does not support {capability.value!r}, which this needs",
                    request.origin.mark(),
                    "remove the setting or manage this array with another provider",
                )
        for finding in op.check_limits(request.params, facts.limits):
            diagnostics.add(
                finding.code, finding.message, request.origin.mark(finding.param), finding.hint
            )
    sized: list[VolumeSpec | FileSystemSpec] = [*array.volumes, *array.filesystems]
    for spec in sized:
        _check_size(spec, facts.limits, diagnostics)


def _check_size(
    spec: VolumeSpec | FileSystemSpec, limits: Limits, diagnostics: Diagnostics
) -> None:
    if spec.size is None or spec.size == 0:
        return  # a clone keeping its snapshot's size, or already reported while building
    if isinstance(spec, VolumeSpec) and not (
        limits.min_volume_size <= spec.size <= limits.max_volume_size
    ):
        return  # reported by the catalogue's limit check
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
        _check_clones(array, diagnostics)
        _check_masking(array, diagnostics)


def check_providers(
    manifest: Manifest, facts: dict[str, ProviderFacts], diagnostics: Diagnostics
) -> None:
    """Names, sizes, LUNs and needed capabilities against what each provider declared."""
    for array in manifest.arrays:
        if array.name in facts:
            _check_provider(array, facts[array.name], diagnostics)
