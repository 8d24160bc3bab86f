"""Observed state as desired state: the array entry a manifest would need to plan clean.

:func:`import_array` turns one system of an observed :class:`~storplan.model.State` into an
:class:`~storplan.manifest.ArraySpec` (the same specs the loader builds, so the YAML writer,
``validate`` and ``plan`` read exactly what a person would write) plus what the manifest
cannot say: the variables it needs, what stays unmanaged, and a comment per object where
something is not expressible.

The rules (docs/import.md): pools are referenced by name, never created (no ``disks``);
status fields (health, used, WWNs) are never written; values at the schema's defaults are
left out (the writer's job); every list is sorted by identity; mappings carry their LUN; a
CHAP secret becomes ``{env: NAME}`` with a generated name (:func:`chap_variable`), never the
secret, which no provider can read anyway.  A replica target is written as a replica of its
source when a replica entry can say everything about it (no mappings, snapshots or replicas
of its own), otherwise as a volume of its own with a comment naming the relationship.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..credentials import SecretRef
from ..errors import InvalidArgument
from ..manifest.spec import (
    ArraySpec,
    ChapSpec,
    CloneSpec,
    ExportSpec,
    FileSystemSpec,
    HostSpec,
    InitiatorSpec,
    MappingSpec,
    MutualChapSpec,
    PoolSpec,
    ReplicaSpec,
    SnapshotSpec,
    VolumeSpec,
)
from ..model.capabilities import Capabilities
from ..model.enums import Capability
from ..model.nas import EXPORT_OPTION_FIELDS
from ..model.state import State
from ..plan.view import ArrayView

__all__ = [
    "SELECT_KINDS",
    "Imported",
    "Select",
    "Variable",
    "array_name",
    "chap_variable",
    "import_array",
    "parse_select",
    "password_variable",
]

SELECT_KINDS = ("pools", "hosts", "volumes", "filesystems")
"""The kinds ``--select`` filters (the top-level lists of an array entry)."""
_SINGULAR = {k.removesuffix("s"): k for k in SELECT_KINDS}
_UNSAFE = re.compile(r"[^A-Z0-9]+")
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")
_LISTED = 12  # names listed in one "not selected" line before "and N more"


@dataclass(frozen=True, slots=True)
class Select:
    """``--select KIND=GLOB``: import the objects of ``kind`` whose name matches ``glob``."""

    kind: str
    glob: str

    def matches(self, kind: str, name: str) -> bool:
        return kind == self.kind and fnmatch.fnmatchcase(name, self.glob)


def parse_select(text: str) -> Select:
    """``KIND=GLOB`` (kind singular or plural: ``volume=db*``, ``hosts=*``).

    Raises:
        InvalidArgument: not ``KIND=GLOB``, or a kind that cannot be selected.
    """
    kind, sep, glob = text.partition("=")
    kind = _SINGULAR.get(kind.strip(), kind.strip())
    if not sep or not glob or kind not in SELECT_KINDS:
        raise InvalidArgument(
            f"--select {text!r}: expected KIND=GLOB",
            hint=f"KIND is one of {', '.join(SELECT_KINDS)}; e.g. --select 'volume=db*'",
        )
    return Select(kind, glob)


@dataclass(frozen=True, slots=True)
class Variable:
    """An environment variable the imported manifest reads, and what it must hold."""

    name: str
    purpose: str


@dataclass(frozen=True, slots=True)
class Imported:
    """One imported array entry and everything the manifest cannot say about it.

    ``comments`` maps ``(list, name)`` (``("volumes", "db01")``) to the comment lines written
    above that entry; ``unmanaged`` lists what the manifest leaves unmanaged, and why.
    """

    array: ArraySpec
    system_id: str
    variables: tuple[Variable, ...] = ()
    unmanaged: tuple[str, ...] = ()
    comments: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


def _upper(text: str) -> str:
    return _UNSAFE.sub("_", text.upper()).strip("_")


def chap_variable(array: str, host: str, initiator: str, *, mutual: bool = False) -> str:
    """The environment variable an imported manifest reads a CHAP secret from:
    ``CHAP_<ARRAY>_<HOST>_<INITIATOR>`` (``_MUTUAL`` appended for the secret the target
    answers with), upper case, every run of other characters one ``_``."""
    name = f"CHAP_{_upper(array)}_{_upper(host)}_{_upper(initiator)}"
    return f"{name}_MUTUAL" if mutual else name


def password_variable(array: str) -> str:
    """The environment variable an imported manifest reads the array password from."""
    name = _upper(array)
    return f"{name}_PASSWORD" if name and not name[0].isdigit() else f"ARRAY_{name}_PASSWORD"


def array_name(text: str) -> str:
    """A valid array entry name (``[A-Za-z0-9][A-Za-z0-9_.-]*``, at most 63) from ``text``."""
    name = _NAME.sub("-", text).strip("-_.")[:63]
    return name or "array"


class _Builder:
    """The state of one import: the view, the selection, and the notes collected."""

    def __init__(
        self, view: ArrayView, name: str, select: Sequence[Select], lun_choice: bool
    ) -> None:
        self.view, self.name, self.select = view, name, tuple(select)
        self.lun_choice = lun_choice
        self.variables: dict[str, Variable] = {}
        self.unmanaged: list[str] = []
        self.comments: dict[tuple[str, str], list[str]] = {}

    def selected(self, kind: str, name: str) -> bool:
        return not self.select or any(s.matches(kind, name) for s in self.select)

    def comment(self, kind: str, name: str, text: str) -> None:
        self.comments.setdefault((kind, name), []).append(text)

    def variable(self, name: str, purpose: str) -> str:
        chosen, n = name, 2
        while chosen in self.variables and self.variables[chosen].purpose != purpose:
            chosen, n = f"{name}_{n}", n + 1  # two identifiers that read alike
        self.variables[chosen] = Variable(chosen, purpose)
        return chosen

    def left_out(self, kind: str, names: Iterable[str]) -> None:
        names = sorted(names)
        if not names:
            return
        shown = ", ".join(names[:_LISTED])
        more = f" and {len(names) - _LISTED} more" if len(names) > _LISTED else ""
        self.unmanaged.append(f"{kind} not selected: {shown}{more}")


def _replica_layout(view: ArrayView, b: _Builder) -> dict[str, Any]:
    """The replica targets a replica entry can describe, by target name."""
    sources = {r.source_volume_id for r in view.replicas.values()}
    mapped = {v for (v, _h) in view.mappings}
    snapped = {v for (v, _s) in view.snapshots}
    as_replica: dict[str, Any] = {}
    for target, replica in sorted(view.replicas.items()):
        source = view.volume_names.get(replica.source_volume_id)
        reasons = []
        if source is None:
            reasons.append("its source is not on this system")
        if view.volumes[target].id in sources:
            reasons.append("it has replicas of its own")
        if target in mapped:
            reasons.append("it is mapped")
        if target in snapped:
            reasons.append("it has snapshots")
        if not reasons:
            as_replica[target] = replica
            continue
        what = f"{replica.kind.value} of volume {source!r}" if source else "a replica"
        b.comment(
            "volumes",
            target,
            f"a {what}; written as a volume because {' and '.join(reasons)} "
            "(a replica entry cannot say that)",
        )
        b.unmanaged.append(
            f"replication {source or replica.source_volume_id} -> {target} ({replica.kind.value}): "
            "not expressible, volume written on its own"
        )
    return as_replica


def _volumes(b: _Builder) -> tuple[list[VolumeSpec], set[str], set[str]]:
    """Volume entries, and the pools and hosts they require."""
    view = b.view
    as_replica = _replica_layout(view, b)
    replicas_of: dict[str, list[ReplicaSpec]] = {}
    pools: set[str] = set()
    hosts: set[str] = set()
    chosen = [n for n in sorted(view.volumes) if n not in as_replica and b.selected("volumes", n)]
    written = set(chosen) | {
        t for t, r in as_replica.items() if view.volume_names[r.source_volume_id] in chosen
    }
    b.left_out("volumes", set(view.volumes) - written)
    for target, replica in as_replica.items():
        source = view.volume_names[replica.source_volume_id]
        if source not in written:
            continue
        live = view.volumes[target]
        pool = view.pool_names.get(live.pool_id)
        source_pool = view.pool_names.get(view.volumes[source].pool_id)
        replicas_of.setdefault(source, []).append(
            ReplicaSpec(target, replica.kind, None if pool == source_pool else pool)
        )
    maps_of: dict[str, list[tuple[str, Any]]] = {}
    for (volume, host), mapping in sorted(view.mappings.items()):
        maps_of.setdefault(volume, []).append((host, mapping))
    snaps_of: dict[str, list[str]] = {}
    for volume, snap in sorted(view.snapshots):
        snaps_of.setdefault(volume, []).append(snap)
    volumes = []
    for name in chosen:
        live = view.volumes[name]
        pool = view.pool_names.get(live.pool_id)
        if pool is None:
            b.unmanaged.append(f"volume {name}: its pool is not on this system")
            continue
        mine = maps_of.get(name, [])
        mappings = tuple(MappingSpec(h, m.lun if b.lun_choice else None) for h, m in mine)
        if mappings and not b.lun_choice:
            luns = ", ".join(f"{h} at LUN {m.lun}" for h, m in mine)
            b.comment("volumes", name, f"LUNs left out, the array chooses them: {luns}")
        snapshots = tuple(SnapshotSpec(snap) for snap in snaps_of.get(name, ()))
        replicas = tuple(sorted(replicas_of.get(name, ()), key=lambda r: r.name))
        pools.add(pool)
        pools |= {r.pool for r in replicas if r.pool}
        hosts |= {m.host for m in mappings}
        volumes.append(VolumeSpec(name, pool, live.size, live.thin, mappings, snapshots, replicas))
    return volumes, pools, hosts


def _initiator(b: _Builder, host: str, initiator: Any) -> InitiatorSpec:
    if initiator.chap_user is None:
        if initiator.mutual_chap_user is not None:
            b.comment("hosts", host, f"{initiator.id}: mutual CHAP without CHAP is not expressible")
        return InitiatorSpec(initiator.id, initiator.kind)
    secret = b.variable(
        chap_variable(b.name, host, initiator.id),
        f"CHAP secret of initiator {initiator.id} (host {host}, user {initiator.chap_user}; "
        "no array reveals it)",
    )
    mutual = None
    if initiator.mutual_chap_user is not None:
        mutual_secret = b.variable(
            chap_variable(b.name, host, initiator.id, mutual=True),
            f"mutual CHAP secret the target answers {initiator.id} with "
            f"(user {initiator.mutual_chap_user})",
        )
        mutual = MutualChapSpec(initiator.mutual_chap_user, SecretRef(env=mutual_secret))
    return InitiatorSpec(
        initiator.id, initiator.kind, ChapSpec(initiator.chap_user, SecretRef(env=secret), mutual)
    )


def _hosts(b: _Builder, required: set[str]) -> list[HostSpec]:
    view = b.view
    chosen = [n for n in sorted(view.hosts) if n in required or b.selected("hosts", n)]
    b.left_out("hosts", set(view.hosts) - set(chosen))
    for name in sorted(required - {n for n in chosen if b.selected("hosts", n)}):
        b.comment("hosts", name, "imported because a selected volume is mapped to it")
    return [
        HostSpec(name, tuple(_initiator(b, name, i) for i in sorted(view.hosts[name].initiators)))
        for name in chosen
    ]


def _filesystems(b: _Builder) -> tuple[list[FileSystemSpec], set[str]]:
    view = b.view
    chosen = [n for n in sorted(view.filesystems) if b.selected("filesystems", n)]
    b.left_out("filesystems", set(view.filesystems) - set(chosen))
    result, pools = [], set()
    for name in chosen:
        live = view.filesystems[name]
        pool = view.pool_names.get(live.pool_id)
        if pool is None:
            b.unmanaged.append(f"file system {name}: its pool is not on this system")
            continue
        exports = tuple(
            ExportSpec(path=path, **{f: getattr(e, f) for f in EXPORT_OPTION_FIELDS})
            for path, e in sorted(view.exports.items())
            if e.filesystem_id == live.id
        )
        snapshots = tuple(
            SnapshotSpec(snap) for (fs, snap) in sorted(view.fs_snapshots) if fs == name
        )
        pools.add(pool)
        clone = _clone_of(view, live.clone_of, chosen)
        result.append(FileSystemSpec(name, pool, live.size, snapshots, exports, clone_of=clone))
    return result, pools


def _clone_of(view: ArrayView, snapshot_id: str | None, chosen: list[str]) -> CloneSpec | None:
    """Where a clone came from, when its snapshot still exists and its source is imported
    too (a manifest's clone_of names a declared file system)."""
    for (fs, snap), snapshot in view.fs_snapshots.items():
        if snapshot.id == snapshot_id and fs in chosen:
            return CloneSpec(fs, snap)
    return None


def import_array(
    state: State,
    *,
    name: str,
    provider: str,
    system: str | None = None,
    credentials: SecretRef | None = None,
    select: Sequence[Select] = (),
    capabilities: Capabilities | None = None,
) -> Imported:
    """The array entry that declares what ``state`` holds on one system.

    ``system`` (id or name) is needed when the array has several; ``credentials`` is the
    password reference to write (``None``: none, or a generated ``{env: NAME}`` when the URI
    names a user, see :func:`password_variable`); ``select`` limits the import to matching
    objects and what they require (their pools, the hosts they are mapped to);
    ``capabilities`` are the provider's: mappings carry their LUN only when the provider
    lets the caller choose LUNs (a LUN written for one that cannot would fail validation).

    Raises:
        NotFound, InvalidArgument: no such system, or several and none chosen.
    """
    from ..uri import parse_uri

    view = ArrayView(state, system)
    lun_choice = capabilities is None or Capability.MASKING_LUN_CHOICE in capabilities
    b = _Builder(view, name, select, lun_choice)
    if credentials is None and parse_uri(provider).user:
        credentials = SecretRef(env=b.variable(password_variable(name), f"password of {provider}"))
    volumes, vol_pools, required_hosts = _volumes(b)
    hosts = _hosts(b, required_hosts)
    filesystems, fs_pools = _filesystems(b)
    required = vol_pools | fs_pools
    pools = [PoolSpec(p) for p in sorted(view.pools) if p in required or b.selected("pools", p)]
    b.left_out("pools", set(view.pools) - {p.name for p in pools})
    if view.disks:
        b.unmanaged.append(
            f"disks ({len(view.disks)}): inventory, not desired state "
            "(a pool's disks are written only to create a pool)"
        )
    ports = [p for p in state.target_ports if getattr(p, "system_id", None) == view.system.id]
    if ports:
        b.unmanaged.append(f"target ports ({len(ports)}): inventory, not desired state")
    names = [s.name for s in state.systems]
    written_system = None
    if len(state.systems) > 1:
        written_system = view.system.name if names.count(view.system.name) == 1 else view.system.id
    array = ArraySpec(
        name,
        provider,
        credentials,
        written_system,
        pools=tuple(pools),
        hosts=tuple(hosts),
        volumes=tuple(volumes),
        filesystems=tuple(filesystems),
    )
    if array.is_empty:
        array = ArraySpec(name, provider, credentials, written_system, allow_empty=True)
    return Imported(
        array,
        str(view.system.id),
        tuple(b.variables.values()),
        tuple(b.unmanaged),
        {k: tuple(v) for k, v in b.comments.items()},
    )
