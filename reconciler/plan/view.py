"""The observed state of one array's system, indexed by the names a manifest uses.

Keys name observed objects the same way on both sides of a plan: ``pool:ssd``,
``host:db01``, ``volume:db01-data``, ``mapping:db01-data@db01``,
``snapshot:db01-data/nightly``, ``replica:db01-clone``, ``filesystem:home``,
``fs_snapshot:home/daily``, ``export:/export/home``.  A fingerprint is a digest of an object's
spec fields (status never counts), or ``absent``; a saved plan is applied only while the
fingerprints of everything it depends on are unchanged.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import InvalidArgument, NotFound
from ..model.base import spec_of
from ..model.state import State

__all__ = ["ABSENT", "ArrayView"]

ABSENT = "absent"


class ArrayView:
    """Name-indexed view of the objects of one system in an observed :class:`State`."""

    def __init__(self, state: State, system_ref: str | None) -> None:
        self.state = state
        self.system = self._system(state, system_ref)
        sid = self.system.id
        self.pools = {p.name: p for p in state.pools if p.system_id == sid}
        self.hosts = {h.name: h for h in state.access_groups if h.system_id == sid}
        self.volumes = {v.name: v for v in state.volumes if v.system_id == sid}
        self.filesystems = {f.name: f for f in state.filesystems if f.system_id == sid}
        volume_names = {v.id: v.name for v in self.volumes.values()}
        host_names = {h.id: h.name for h in self.hosts.values()}
        fs_names = {f.id: f.name for f in self.filesystems.values()}
        self.volume_names, self.host_names, self.fs_names = volume_names, host_names, fs_names
        self.pool_names = {p.id: p.name for p in self.pools.values()}
        self.mappings = {
            (volume_names[m.volume_id], host_names[m.access_group_id]): m
            for m in state.mappings
            if m.volume_id in volume_names and m.access_group_id in host_names
        }
        self.snapshots = {
            (volume_names[s.volume_id], s.name): s
            for s in state.snapshots
            if s.volume_id in volume_names
        }
        self.replicas = {
            volume_names[r.target_volume_id]: r
            for r in state.replicas
            if r.target_volume_id in volume_names
        }
        self.fs_snapshots = {
            (fs_names[s.filesystem_id], s.name): s
            for s in state.fs_snapshots
            if s.filesystem_id in fs_names
        }
        self.exports = {e.path: e for e in state.exports if e.filesystem_id in fs_names}
        self.initiator_owner = {i.id: h.name for h in self.hosts.values() for i in h.initiators}

    @staticmethod
    def _system(state: State, ref: str | None) -> Any:
        if ref is not None:
            for system in state.systems:
                if ref in (system.id, system.name):
                    return system
            names = ", ".join(s.name for s in state.systems)
            raise NotFound(f"the array has no system {ref!r}", hint=f"its systems: {names}")
        if len(state.systems) != 1:
            names = ", ".join(s.name for s in state.systems)
            raise InvalidArgument(
                f"the array has {len(state.systems)} systems ({names})",
                hint="name one with system: in the manifest",
            )
        return state.systems[0]

    def lookup(self, key: str) -> Any:
        """The observed object behind a key, or ``None``."""
        kind, _, name = key.partition(":")
        if kind in ("mapping",):
            volume, _, host = name.partition("@")
            return self.mappings.get((volume, host))
        if kind in ("snapshot", "fs_snapshot"):
            owner, _, snap = name.partition("/")
            table = self.snapshots if kind == "snapshot" else self.fs_snapshots
            return table.get((owner, snap))
        tables: dict[str, dict[str, Any]] = {
            "pool": self.pools,
            "host": self.hosts,
            "volume": self.volumes,
            "replica": {n: r for n, r in self.replicas.items()},
            "filesystem": self.filesystems,
            "export": self.exports,
        }
        return tables[kind].get(name)

    def fingerprint(self, key: str) -> str:
        """A short digest of the spec of the object behind ``key``, or ``absent``."""
        found = self.lookup(key)
        if found is None:
            return ABSENT
        text = json.dumps(spec_of(found), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]
