"""Replication Services: snapshots and replicas through ``CreateElementReplica``.

storplan snapshots are ``SyncType`` 7 (Snapshot) targets; replicas are ``SyncType`` 8
(Clone: a full, independent copy, storplan's ``copy``) and 6 (Mirror, ``Mode`` 2 synchronous
or 3 asynchronous).  storplan's ``clone`` (a writable space-efficient copy) would also be a
DMTF Snapshot and is not offered, so the two never get confused when observing.

Deleting a snapshot is ``ModifyReplicaSynchronization`` "Return To ResourcePool" (19) when the
array lists it, else Detach (8) and ``ReturnToStoragePool``; deleting a replica is Detach (the
target volume stays); restoring is Restore (15).
"""

from __future__ import annotations

from typing import Any

from pywbem import Uint16
from storplan.errors import AlreadyExists, InvalidArgument, NotFound, Unsupported
from storplan.model.enums import ReplicaKind
from storplan.model.job import Job

from . import cim, convert
from .base import SmisBase
from .cim import pkey, prop
from .ids import object_id, system_id_of

__all__ = ["ReplicationOps"]

_SYNC_TYPE = {
    ReplicaKind.COPY: (cim.SYNC_CLONE, None),
    ReplicaKind.MIRROR_SYNC: (cim.SYNC_MIRROR, cim.MODE_SYNC),
    ReplicaKind.MIRROR_ASYNC: (cim.SYNC_MIRROR, cim.MODE_ASYNC),
}
_MODIFY = "ModifyReplicaSynchronization"


def _target(source: Any, out: Any, affected: list[Any]) -> Any:
    element = out.get("TargetElement") if out is not None else None
    if element is not None:
        return element
    for path in affected:
        if "DeviceID" in path.keybindings and pkey(path) != pkey(source):
            return path
    raise InvalidArgument("the array did not say which volume it created")


class ReplicationOps(SmisBase):
    """Snapshot and replica operations (mixed into the provider)."""

    def _replication(self, path: Any) -> Any:
        return self._service(path, "replication")

    def _sync_of_target(self, target: Any, types: tuple[int, ...]) -> Any | None:
        for sync in self._syncs(target, "SyncedElement"):
            if int(prop(sync, "SyncType", 0)) in types:
                return sync
        return None

    def _load_snapshot(self, target: Any, source: Any) -> Any:
        instance = self.client.require(
            target, ["ElementName", "BlockSize", "NumberOfBlocks"], "the snapshot"
        )
        links = self.client.references(
            target, "CIM_AllocatedFromStoragePool", ["SpaceConsumed"], "Dependent"
        )
        used = int(prop(links[0], "SpaceConsumed", 0)) if links else 0
        self.resolver.remember("snap", target)
        return convert.snapshot(instance, source, used)

    # ------------------------------------------------------------------ snapshots
    def create_snapshot(self, volume_id: str, name: str) -> Job[Any]:
        """``CreateElementReplica`` with ``SyncType`` 7; idempotent by (volume, name)."""
        source = self._require(volume_id, ["ElementName"]).path
        for sync in self._syncs(source, "SystemElement"):
            if int(prop(sync, "SyncType", 0)) != cim.SYNC_SNAPSHOT:
                continue
            target = self.client.get(sync["SyncedElement"], ["ElementName"])
            if target is not None and prop(target, "ElementName") == name:
                snapshot = self._load_snapshot(target.path, source)
                return self.book.finished("create_snapshot", snapshot)
        params = {
            "ElementName": name,
            "SyncType": Uint16(cim.SYNC_SNAPSHOT),
            "SourceElement": source,
        }
        return self.book.invoke(
            "create_snapshot",
            "CreateElementReplica",
            self._replication(source),
            params,
            lambda out, affected: self._load_snapshot(_target(source, out, affected), source),
        )

    def _snapshot_sync(self, snapshot_id: str) -> Any:
        target = self._require(snapshot_id, ["ElementName"]).path
        sync = self._sync_of_target(target, (cim.SYNC_SNAPSHOT,))
        if sync is None:
            raise NotFound(f"snapshot {snapshot_id} does not exist")
        return sync

    def delete_snapshot(self, snapshot_id: str) -> Job[Any]:
        """Return the snapshot's space to its pool."""
        sync = self._snapshot_sync(snapshot_id)
        service = self._replication(sync["SystemElement"])

        def finish(_out: Any, _affected: list[Any]) -> None:
            self.resolver.forget(snapshot_id)

        if cim.OP_RETURN_TO_POOL in self.info.features.snapshot_operations:
            return self.book.invoke(
                "delete_snapshot",
                _MODIFY,
                service,
                {"Operation": Uint16(cim.OP_RETURN_TO_POOL), "Synchronization": sync.path},
                finish,
            )
        target = sync["SyncedElement"]
        self.book.call(
            _MODIFY, service, {"Operation": Uint16(cim.OP_DETACH), "Synchronization": sync.path}
        )
        return self.book.invoke(
            "delete_snapshot",
            "ReturnToStoragePool",
            self._service(target, "config"),
            {"TheElement": target},
            finish,
        )

    def restore_snapshot(self, snapshot_id: str) -> Job[Any]:
        """Roll the source volume back to the snapshot (Restore, 15)."""
        sync = self._snapshot_sync(snapshot_id)
        source = sync["SystemElement"]
        return self.book.invoke(
            "restore_snapshot",
            _MODIFY,
            self._replication(source),
            {"Operation": Uint16(cim.OP_RESTORE), "Synchronization": sync.path},
            lambda _out, _affected: self._load_volume(source),
        )

    # ------------------------------------------------------------------ replicas
    def create_replica(
        self, source_volume_id: str, name: str, kind: ReplicaKind, pool_id: str | None
    ) -> Job[Any]:
        """A new volume ``name`` that is a copy or mirror of the source."""
        if ReplicaKind(kind) not in _SYNC_TYPE:
            raise Unsupported(f"provider 'smis' does not create {kind} replicas", provider="smis")
        sync_type, mode = _SYNC_TYPE[ReplicaKind(kind)]
        source = self._require(source_volume_id, ["ElementName"]).path
        system_id = system_id_of(source)
        pool = self._path(pool_id) if pool_id else None
        if pool is not None and self._pool_state(pool)[0].system_id != system_id:
            raise InvalidArgument("replicas to another system's pool are not supported")
        for path in self._volumes_named(system_id, name):
            sync = self._sync_of_target(path, (cim.SYNC_CLONE, cim.SYNC_MIRROR))
            same = sync is not None and pkey(sync["SystemElement"]) == pkey(source)
            if same and convert.replica_kind(sync) == ReplicaKind(kind):
                return self.book.finished("create_replica", convert.replica(sync, kind))
            have = (
                f"{convert.replica_kind(sync)} of {object_id('vol', sync['SystemElement'])}"
                if (sync is not None)
                else "a plain volume"
            )
            raise AlreadyExists(
                f"volume {name!r} already exists with a different specification: it is {have}",
                hint="choose another name",
            )
        params = {
            "ElementName": name,
            "SyncType": Uint16(sync_type),
            "Mode": Uint16(mode) if mode is not None else None,
            "SourceElement": source,
            "TargetPool": pool,
        }

        def finish(out: Any, affected: list[Any]) -> Any:
            target = _target(source, out, affected)
            self.resolver.remember("vol", target)
            sync = self._sync_of_target(target, (sync_type,))
            if sync is None:
                raise NotFound(f"the array reports no replica relationship for {name!r}")
            return convert.replica(sync, ReplicaKind(kind))

        return self.book.invoke(
            "create_replica", "CreateElementReplica", self._replication(source), params, finish
        )

    def delete_replica(self, replica_id: str) -> Job[Any]:
        """Detach the relationship (8); the target volume stays."""
        target = self._require(replica_id, ["ElementName"]).path
        sync = self._sync_of_target(target, (cim.SYNC_CLONE, cim.SYNC_MIRROR))
        if sync is None:
            raise NotFound(f"replica {replica_id} does not exist")
        return self.book.invoke(
            "delete_replica",
            _MODIFY,
            self._replication(sync["SystemElement"]),
            {"Operation": Uint16(cim.OP_DETACH), "Synchronization": sync.path},
            lambda _out, _affected: None,
        )
