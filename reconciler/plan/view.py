"""The observed state of one array's system, indexed by the names a manifest uses.

One name index serves planning (what exists, by key; fingerprints) and applying (names to
ids, updated with every result, so an action can use what an earlier action of the same apply
created).  Keys follow :mod:`storplan.keys`.  A fingerprint is a digest of an object's spec
fields (status never counts), or ``absent``; a plan is executed only while the fingerprints of
everything it depends on are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any, NamedTuple

from ..catalogue import Arg, ArgKind, Learn, Params
from ..errors import InvalidArgument, NotFound
from ..keys import Key, ObjectKind
from ..model.base import spec_of
from ..model.state import State

__all__ = ["ABSENT", "ArrayView"]

ABSENT = "absent"
K = ObjectKind


class _Known(NamedTuple):
    """An object an apply learned only the id of (a replica's new target volume)."""

    id: str


class ArrayView:
    """Name-indexed view of the objects of one system in an observed :class:`State`."""

    def __init__(self, state: State, system_ref: str | None) -> None:
        self.state = state
        self.system = self._system(state, system_ref)
        sid = self.system.id
        self.pools = {p.name: p for p in state.pools if p.system_id == sid}
        self.disks = {d.name: d for d in state.disks if d.system_id == sid}
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
        self.initiators = {(h.name, i.id): i for h in self.hosts.values() for i in h.initiators}
        self.initiator_owner = {i: h for (h, i) in self.initiators}
        self.lun_holders = {(h, m.lun): v for (v, h), m in self.mappings.items()}
        self._tables: dict[ObjectKind, dict[Any, Any]] = {
            K.POOL: self.pools,
            K.DISK: self.disks,
            K.HOST: self.hosts,
            K.INITIATOR: self.initiators,
            K.VOLUME: self.volumes,
            K.MAPPING: self.mappings,
            K.SNAPSHOT: self.snapshots,
            K.REPLICA: self.replicas,
            K.FILESYSTEM: self.filesystems,
            K.FS_SNAPSHOT: self.fs_snapshots,
            K.EXPORT: self.exports,
        }
        self._learned: dict[Key, Any] = {}
        self._lock = threading.Lock()

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

    # ------------------------------------------------------------------ planning
    def lookup(self, key: Key | str) -> Any:
        """The observed object behind a key, or ``None``."""
        parsed = key if isinstance(key, Key) else Key.parse(key)
        table = self._tables[parsed.kind]
        return table.get(parsed.parts if len(parsed.parts) > 1 else parsed.parts[0])

    def fingerprint(self, key: Key | str) -> str:
        """A short digest of the spec of the object behind ``key``, or ``absent``."""
        found = self.lookup(key)
        if found is None:
            return ABSENT
        text = json.dumps(spec_of(found), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # ------------------------------------------------------------------ applying
    def resolve(self, arg: Arg, params: Params) -> str:
        """The id a reference argument of an operation names (see :meth:`Session.run`).

        Raises:
            NotFound: the object does not exist (any more) on the array.
        """
        if arg.how is ArgKind.SYSTEM:
            return str(self.system.id)
        if arg.how is ArgKind.DISKS:
            return [self._disk(ref) for ref in params[arg.params[0]]]  # type: ignore[return-value]
        assert arg.kind is not None
        key = Key.of(arg.kind, *(str(params[p]) for p in arg.params))
        with self._lock:
            found = self._learned[key] if key in self._learned else self.lookup(key)
        if found is None:
            raise NotFound(f"{key.kind.label} {key.target!r} does not exist (any more)")
        return str(found.id)

    def current(self, key: Key) -> Any:
        """The object behind ``key`` as the apply knows it now (learned results first)."""
        with self._lock:
            if key in self._learned:
                return self._learned[key]
        return self.lookup(key)

    def _disk(self, ref: str) -> str:
        by_id = {d.id for d in self.disks.values()}
        if ref in by_id:
            return ref
        disk = self.disks.get(ref)
        return ref if disk is None else str(disk.id)

    def learn(self, learn: Learn, key: Key, result: Any, previous: Key | None = None) -> None:
        """Remember what an operation did, for the actions after it (thread-safe)."""
        with self._lock:
            if learn is Learn.RESULT and result is not None:
                self._learned[key] = result
            elif learn is Learn.FORGET:
                self._learned[key] = None
            elif learn is Learn.RENAME and result is not None:
                self._learned[key] = result
                if previous is not None:
                    self._learned[previous] = None
            elif learn is Learn.REPLICA and result is not None:
                self._learned[key] = result
                self._learned[Key.of(K.VOLUME, key.name)] = _Known(result.target_volume_id)
