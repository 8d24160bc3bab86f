"""Replication Services methods: CreateElementReplica, ModifyReplicaSynchronization and the
capabilities' GetSupportedOperations."""

from __future__ import annotations

from typing import Any

from pywbem import NocaseDict

from .array import MockArray
from .repo import U16, U32, fail

__all__ = ["replication_caps_handlers", "replication_handlers"]

_SNAPSHOT, _CLONE, _MIRROR = 7, 8, 6
# SupportedReplicationTypes that allow each SyncType (sync / async local variants)
_ALLOWED = {_MIRROR: (2, 3), _SNAPSHOT: (6, 7), _CLONE: (10, 11)}
_DETACH, _RESTORE, _RETURN = 8, 15, 19


def replication_handlers(array: MockArray) -> dict[str, Any]:
    """Handlers of the ReplicationService."""
    repo, f = array.repo, array.f

    def create(_target: Any, p: NocaseDict) -> Any:
        sync_type, source = int(p.get("SyncType") or 0), p.get("SourceElement")
        if sync_type not in _ALLOWED or not set(_ALLOWED[sync_type]) & set(f.replication_types):
            return U32(1), {}
        if p.get("TargetElement") is not None:
            return U32(1), {}  # this mock always creates the target
        source_instance = repo.require(source, "the source volume")
        mode = int(p.get("Mode") or 2)
        if sync_type == _MIRROR and mode == 3 and 3 not in f.replication_types:
            return U32(1), {}
        size = array.volume_size(source_instance)
        thin = bool(source_instance["ThinlyProvisioned"])
        if sync_type == _SNAPSHOT:
            pool, thin = array.delta_pool, True
        else:
            pool = p.get("TargetPool") or array.pool_of(source)["Antecedent"]
            # the target keeps the source's provisioning: its pool must offer that kind
            if not ({5} if thin else {2, 7}) & array.element_types(pool):
                raise fail("the target pool cannot hold volumes provisioned like the source")
            array.check_room(pool, size, thin)
        name = p.get("ElementName") or f"copy-{repo.next_id()}"

        def action() -> tuple[dict[str, Any], list[Any]]:
            target = array.new_volume(pool, name, size, thin)
            props = {
                "SyncType": U16(sync_type),
                "Mode": U16(mode),
                "CopyState": U16(4),
                "ProgressStatus": U16(2),
                "PercentSynced": U16(100),
            }
            repo.link("CIM_StorageSynchronized", props, SystemElement=source, SyncedElement=target)
            sync = repo.links("CIM_StorageSynchronized", SyncedElement=target)[0].path
            return {"TargetElement": target, "Synchronization": sync}, [target]

        return array.respond("CreateElementReplica", action)

    def modify(_target: Any, p: NocaseDict) -> Any:
        operation, sync_path = int(p.get("Operation") or 0), p.get("Synchronization")
        sync = repo.require(sync_path, "the synchronization")
        sync_type = int(sync["SyncType"])
        if operation not in (_DETACH, _RESTORE, _RETURN):
            return U32(1), {}
        if sync_type == _SNAPSHOT and operation not in f.snapshot_operations:
            return U32(1), {}
        if operation in (_RESTORE, _RETURN) and sync_type != _SNAPSHOT:
            return U32(5), {}
        target = sync["SyncedElement"]
        if operation == _RETURN and repo.links("CIM_ProtocolControllerForUnit", Dependent=target):
            return U32(6), {}

        def action() -> tuple[dict[str, Any], list[Any]]:
            if repo.get(sync.path) is None:
                raise fail("the synchronization no longer exists")
            if operation == _RESTORE:
                return {}, [sync["SystemElement"]]
            repo.delete(sync.path)
            if operation == _RETURN:
                array.remove_volume(target)
            return {}, []

        return array.respond("ModifyReplicaSynchronization", action)

    return {"CreateElementReplica": create, "ModifyReplicaSynchronization": modify}


def replication_caps_handlers(array: MockArray) -> dict[str, Any]:
    """GetSupportedOperations on the ReplicationServiceCapabilities."""

    def supported(_target: Any, p: NocaseDict) -> Any:
        replication_type = int(p.get("ReplicationType") or 0)
        if replication_type not in array.f.replication_types:
            return U32(5), {}
        operations = array.f.snapshot_operations if replication_type in (6, 7) else (8,)
        return U32(0), {"SupportedOperations": [U16(o) for o in operations]}

    return {"GetSupportedOperations": supported}
