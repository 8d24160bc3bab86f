"""Turning one plan action into one Session call.

Actions name objects; arrays want ids.  :class:`Resolver` maps names to live objects, starting
from the observed state and updated with every result, so an action can use what an earlier
action of the same apply created.  Thread-safe: the executor runs actions in parallel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import NotFound
from ..model.enums import Kind

if TYPE_CHECKING:
    from ..model.job import Job
    from ..plan.actions import Action
    from ..session import Session, WaitOptions

__all__ = ["Resolver", "dispatch"]


class Resolver:
    """Names to live objects for one system."""

    def __init__(self, session: Session, system_id: str) -> None:
        self.session = session
        self.system_id = system_id
        self._lock = threading.Lock()
        self.refresh()

    def refresh(self) -> None:
        state = self.session.observe(
            {
                Kind.POOLS,
                Kind.ACCESS_GROUPS,
                Kind.VOLUMES,
                Kind.SNAPSHOTS,
                Kind.FILESYSTEMS,
                Kind.FS_SNAPSHOTS,
                Kind.EXPORTS,
                Kind.DISKS,
            }
        )
        sid = self.system_id
        with self._lock:
            self.tables: dict[str, dict[Any, Any]] = {
                "pool": {p.name: p for p in state.pools if p.system_id == sid},
                "host": {h.name: h for h in state.access_groups if h.system_id == sid},
                "volume": {v.name: v for v in state.volumes if v.system_id == sid},
                "filesystem": {f.name: f for f in state.filesystems if f.system_id == sid},
                "disk": {d.name: d for d in state.disks if d.system_id == sid},
            }
            volumes = {v.id: v.name for v in self.tables["volume"].values()}
            systems_fs = {f.id: f.name for f in self.tables["filesystem"].values()}
            self.tables["snapshot"] = {
                (volumes[s.volume_id], s.name): s for s in state.snapshots if s.volume_id in volumes
            }
            self.tables["fs_snapshot"] = {
                (systems_fs[s.filesystem_id], s.name): s
                for s in state.fs_snapshots
                if s.filesystem_id in systems_fs
            }
            self.tables["export"] = {
                e.path: e for e in state.exports if e.filesystem_id in systems_fs
            }

    def get(self, table: str, name: Any) -> Any:
        with self._lock:
            found = self.tables[table].get(name)
        if found is None:
            raise NotFound(f"{table} {name!r} does not exist (any more) on the array")
        return found

    def disk(self, ref: str) -> str:
        """A disk id from an id or a name."""
        with self._lock:
            disks = self.tables["disk"]
            ids = {d.id for d in disks.values()}
            return ref if ref in ids else str(disks[ref].id) if ref in disks else ref

    def learn(self, table: str, name: Any, obj: Any) -> None:
        with self._lock:
            if obj is None:
                self.tables[table].pop(name, None)
            else:
                self.tables[table][name] = obj


Handler = Callable[["Session", Resolver, dict[str, Any], "WaitOptions"], "Job[Any]"]


def _export_settings(p: dict[str, Any]) -> dict[str, Any]:
    return {
        k: p[k] for k in ("clients", "access", "root_squash", "anon_uid", "anon_gid", "security")
    }


def _secret(ref: dict[str, Any]) -> Any:
    from ..credentials import SecretSource, read_secret

    return read_secret(
        SecretSource(
            env=ref.get("env"),
            file=ref.get("file"),
            prompt="CHAP secret" if ref.get("prompt") else None,
        )
    )


HANDLERS: dict[str, Handler] = {
    "create_pool": lambda s, r, p, o: s.create_pool(
        r.system_id, p["pool"], [r.disk(d) for d in p["disks"]], **o
    ),
    "delete_pool": lambda s, r, p, o: s.delete_pool(r.get("pool", p["pool"]), **o),
    "create_access_group": lambda s, r, p, o: s.create_access_group(
        r.system_id, p["host"], p["initiators"], **o
    ),
    "delete_access_group": lambda s, r, p, o: s.delete_access_group(r.get("host", p["host"]), **o),
    "add_initiator": lambda s, r, p, o: s.add_initiator(
        r.get("host", p["host"]), p["initiator"], **o
    ),
    "remove_initiator": lambda s, r, p, o: s.remove_initiator(
        r.get("host", p["host"]), p["initiator"], **o
    ),
    "set_chap": lambda s, r, p, o: s.set_chap(
        r.get("host", p["host"]), p["initiator"], p["user"], _secret(p["secret"]), **o
    ),
    "create_volume": lambda s, r, p, o: s.create_volume(
        r.get("pool", p["pool"]), p["volume"], p["size"], thin=p["thin"], **o
    ),
    "resize_volume": lambda s, r, p, o: s.resize_volume(
        r.get("volume", p["volume"]), p["size"], **o
    ),
    "rename_volume": lambda s, r, p, o: s.rename_volume(
        r.get("volume", p["volume"]), p["name"], **o
    ),
    "delete_volume": lambda s, r, p, o: s.delete_volume(r.get("volume", p["volume"]), **o),
    "map_volume": lambda s, r, p, o: s.map_volume(
        r.get("volume", p["volume"]), r.get("host", p["host"]), p["lun"], **o
    ),
    "unmap_volume": lambda s, r, p, o: s.unmap_volume(
        r.get("volume", p["volume"]), r.get("host", p["host"]), **o
    ),
    "create_snapshot": lambda s, r, p, o: s.create_snapshot(
        r.get("volume", p["volume"]), p["snapshot"], **o
    ),
    "delete_snapshot": lambda s, r, p, o: s.delete_snapshot(
        r.get("snapshot", (p["volume"], p["snapshot"])), **o
    ),
    "create_replica": lambda s, r, p, o: s.create_replica(
        r.get("volume", p["source"]), p["replica"], p["kind"], pool=r.get("pool", p["pool"]), **o
    ),
    "create_filesystem": lambda s, r, p, o: s.create_filesystem(
        r.get("pool", p["pool"]), p["filesystem"], p["size"], **o
    ),
    "resize_filesystem": lambda s, r, p, o: s.resize_filesystem(
        r.get("filesystem", p["filesystem"]), p["size"], **o
    ),
    "delete_filesystem": lambda s, r, p, o: s.delete_filesystem(
        r.get("filesystem", p["filesystem"]), **o
    ),
    "create_fs_snapshot": lambda s, r, p, o: s.create_fs_snapshot(
        r.get("filesystem", p["filesystem"]), p["snapshot"], **o
    ),
    "delete_fs_snapshot": lambda s, r, p, o: s.delete_fs_snapshot(
        r.get("fs_snapshot", (p["filesystem"], p["snapshot"])), **o
    ),
    "create_export": lambda s, r, p, o: s.create_export(
        r.get("filesystem", p["filesystem"]), p["path"], **_export_settings(p), **o
    ),
    "modify_export": lambda s, r, p, o: s.modify_export(
        r.get("export", p["path"]), **_export_settings(p), **o
    ),
    "delete_export": lambda s, r, p, o: s.delete_export(r.get("export", p["path"]), **o),
}

# What a successful action teaches the resolver: (table, name from params, keep result?)
_LEARN: dict[str, tuple[str, Callable[[dict[str, Any]], Any], bool]] = {
    "create_pool": ("pool", lambda p: p["pool"], True),
    "delete_pool": ("pool", lambda p: p["pool"], False),
    "create_access_group": ("host", lambda p: p["host"], True),
    "delete_access_group": ("host", lambda p: p["host"], False),
    "create_volume": ("volume", lambda p: p["volume"], True),
    "resize_volume": ("volume", lambda p: p["volume"], True),
    "delete_volume": ("volume", lambda p: p["volume"], False),
    "rename_volume": ("volume", lambda p: p["name"], True),
    "create_snapshot": ("snapshot", lambda p: (p["volume"], p["snapshot"]), True),
    "delete_snapshot": ("snapshot", lambda p: (p["volume"], p["snapshot"]), False),
    "create_filesystem": ("filesystem", lambda p: p["filesystem"], True),
    "resize_filesystem": ("filesystem", lambda p: p["filesystem"], True),
    "delete_filesystem": ("filesystem", lambda p: p["filesystem"], False),
    "create_fs_snapshot": ("fs_snapshot", lambda p: (p["filesystem"], p["snapshot"]), True),
    "delete_fs_snapshot": ("fs_snapshot", lambda p: (p["filesystem"], p["snapshot"]), False),
    "create_export": ("export", lambda p: p["path"], True),
    "modify_export": ("export", lambda p: p["path"], True),
    "delete_export": ("export", lambda p: p["path"], False),
}


def dispatch(
    session: Session, resolver: Resolver, action: Action, options: WaitOptions
) -> Job[Any]:
    """Run one action through the session and teach the resolver its result."""
    job = HANDLERS[action.operation](session, resolver, action.params, options)
    learned = _LEARN.get(action.operation)
    if learned is not None:
        table, name, keep = learned
        resolver.learn(table, name(action.params), job.result if keep else None)
    if action.operation == "rename_volume":
        resolver.learn("volume", action.params["volume"], None)
    if action.operation == "create_replica" and job.result is not None:
        # The replica's target is a new volume: learn just it (a full refresh could forget
        # what concurrent actions learned meanwhile).
        target = job.result.target_volume_id
        for volume in session.observe({Kind.VOLUMES}).volumes:
            if volume.id == target:
                resolver.learn("volume", action.params["replica"], volume)
    return job
