"""Block operations of a session: pools, volumes, hosts and masking, snapshots, replicas."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Unpack

from .errors import InvalidArgument
from .identifiers import InitiatorKind
from .model.enums import Capability, Kind, ReplicaKind
from .session_base import Ref, SessionBase, WaitOptions
from .session_base import ref_id as _id
from .size import Size

if TYPE_CHECKING:
    from .credentials import Secret
    from .model.block import AccessGroup, Initiator, Mapping, Pool, Replica, Snapshot, Volume
    from .model.job import Job

__all__ = ["BlockOperations"]

_INITIATOR_CAPABILITY = {
    InitiatorKind.ISCSI: Capability.INITIATOR_ISCSI,
    InitiatorKind.FC: Capability.INITIATOR_FC,
    InitiatorKind.NVME: Capability.INITIATOR_NVME,
}
_REPLICA_CAPABILITY = {
    ReplicaKind.CLONE: Capability.CLONES,
    ReplicaKind.COPY: Capability.COPIES,
    ReplicaKind.MIRROR_SYNC: Capability.MIRROR_SYNC,
    ReplicaKind.MIRROR_ASYNC: Capability.MIRROR_ASYNC,
}


class BlockOperations(SessionBase):
    """Operations on block storage; see :class:`storplan.session.Session`."""

    # --------------------------------------------------------------------------- pools
    def create_pool(
        self, system: Ref, name: str, disks: Sequence[Ref], **options: Unpack[WaitOptions]
    ) -> Job[Pool]:
        """Create a pool from free disks."""
        self.limits.check_name("pool", name)
        disk_ids = [_id(d) for d in disks]
        return self._submit(
            [Capability.POOL_CREATE],
            f"create pool {name}",
            lambda: self.provider.create_pool(_id(system), name, disk_ids),
            options,
        )

    def delete_pool(self, pool: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete an empty pool, returning its disks to the free list."""
        return self._submit(
            [Capability.POOL_CREATE],
            "delete a pool",
            lambda: self.provider.delete_pool(_id(pool)),
            options,
        )

    # -------------------------------------------------------------------------- volumes
    def create_volume(
        self,
        pool: Ref,
        name: str,
        size: int | str,
        *,
        thin: bool = True,
        **options: Unpack[WaitOptions],
    ) -> Job[Volume]:
        """Create a thin (default) or thick volume; idempotent by name."""
        nbytes = Size.of(size)
        self.limits.check_name("volume", name)
        self.limits.check_volume_size(nbytes)
        needs = [Capability.VOLUMES, Capability.VOLUME_THIN if thin else Capability.VOLUME_THICK]
        return self._submit(
            needs,
            f"create volume {name}",
            lambda: self.provider.create_volume(_id(pool), name, nbytes, thin),
            options,
        )

    def delete_volume(self, volume: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a volume (it must not be mapped or have dependent snapshots/replicas)."""
        return self._submit(
            [Capability.VOLUMES],
            "delete a volume",
            lambda: self.provider.delete_volume(_id(volume)),
            options,
        )

    def resize_volume(
        self, volume: Volume | str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[Volume]:
        """Grow or shrink a volume; which capability is needed depends on the current size."""
        nbytes = Size.of(size)
        self.limits.check_volume_size(nbytes)
        current = self.get(Kind.VOLUMES, volume) if isinstance(volume, str) else volume
        needs = [Capability.VOLUME_GROW if nbytes >= current.size else Capability.VOLUME_SHRINK]
        return self._submit(
            needs,
            f"resize volume {current.name}",
            lambda: self.provider.resize_volume(current.id, nbytes),
            options,
        )

    def rename_volume(self, volume: Ref, name: str, **options: Unpack[WaitOptions]) -> Job[Volume]:
        """Give a volume a new name (its id, WWN and data stay)."""
        self.limits.check_name("volume", name)
        return self._submit(
            [Capability.VOLUME_RENAME],
            f"rename a volume to {name}",
            lambda: self.provider.rename_volume(_id(volume), name),
            options,
        )

    # -------------------------------------------------------------------- hosts, masking
    def create_access_group(
        self,
        system: Ref,
        name: str,
        initiators: Iterable[Initiator | str] = (),
        **options: Unpack[WaitOptions],
    ) -> Job[AccessGroup]:
        """Create a host/access group with a set of initiators; idempotent by name."""
        self.limits.check_name("access group", name)
        parsed = sorted({_initiator(i) for i in initiators})
        needs = [Capability.ACCESS_GROUPS, *{_INITIATOR_CAPABILITY[i.kind] for i in parsed}]

        def create() -> Job[AccessGroup]:  # after the capability gate
            self.limits.check_initiator_count(name, len(parsed))
            return self.provider.create_access_group(_id(system), name, parsed)

        return self._submit(needs, f"create access group {name}", create, options)

    def delete_access_group(self, group: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete an access group (it must have no mapped volumes)."""
        return self._submit(
            [Capability.ACCESS_GROUPS],
            "delete an access group",
            lambda: self.provider.delete_access_group(_id(group)),
            options,
        )

    def add_initiator(
        self, group: Ref, initiator: Initiator | str, **options: Unpack[WaitOptions]
    ) -> Job[AccessGroup]:
        """Add an initiator to an access group (no-op if it is already there)."""
        parsed = _initiator(initiator)
        needs = [Capability.ACCESS_GROUPS, _INITIATOR_CAPABILITY[parsed.kind]]
        return self._submit(
            needs,
            f"add initiator {parsed.id}",
            lambda: self.provider.add_initiator(_id(group), parsed),
            options,
        )

    def remove_initiator(
        self, group: Ref, initiator: Initiator | str, **options: Unpack[WaitOptions]
    ) -> Job[AccessGroup]:
        """Remove an initiator from an access group."""
        parsed = _initiator(initiator)
        return self._submit(
            [Capability.ACCESS_GROUPS],
            f"remove initiator {parsed.id}",
            lambda: self.provider.remove_initiator(_id(group), parsed.id),
            options,
        )

    def set_chap(
        self,
        group: Ref,
        initiator: Initiator | str,
        user: str | None,
        secret: Secret | None,
        **options: Unpack[WaitOptions],
    ) -> Job[AccessGroup]:
        """Set (or with ``user=None`` clear) the CHAP credentials of one initiator."""
        parsed = _initiator(initiator)
        if (user is None) != (secret is None):
            raise InvalidArgument(
                "CHAP needs both a user name and a secret (or neither, to clear it)"
            )
        return self._submit(
            [Capability.CHAP],
            f"set CHAP for {parsed.id}",
            lambda: self.provider.set_chap(_id(group), parsed.id, user, secret),
            options,
        )

    def map_volume(
        self, volume: Ref, group: Ref, lun: int | None = None, **options: Unpack[WaitOptions]
    ) -> Job[Mapping]:
        """Expose a volume to an access group, at ``lun`` or the next free LUN."""
        needs = [Capability.MASKING]
        if lun is not None:
            self.limits.check_lun(lun)
            needs.append(Capability.MASKING_LUN_CHOICE)
        return self._submit(
            needs,
            "map a volume",
            lambda: self.provider.map_volume(_id(volume), _id(group), lun),
            options,
        )

    def unmap_volume(self, volume: Ref, group: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Hide a volume from an access group."""
        return self._submit(
            [Capability.MASKING],
            "unmap a volume",
            lambda: self.provider.unmap_volume(_id(volume), _id(group)),
            options,
        )

    # ------------------------------------------------------------- snapshots and replicas
    def create_snapshot(
        self, volume: Ref, name: str, **options: Unpack[WaitOptions]
    ) -> Job[Snapshot]:
        """Take a snapshot of a volume; idempotent by (volume, name)."""
        self.limits.check_name("snapshot", name)
        return self._submit(
            [Capability.SNAPSHOTS],
            f"create snapshot {name}",
            lambda: self.provider.create_snapshot(_id(volume), name),
            options,
        )

    def delete_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a snapshot."""
        return self._submit(
            [Capability.SNAPSHOTS],
            "delete a snapshot",
            lambda: self.provider.delete_snapshot(_id(snapshot)),
            options,
        )

    def restore_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[Volume]:
        """Roll a volume back to a snapshot (destroys data written since)."""
        return self._submit(
            [Capability.SNAPSHOT_RESTORE],
            "restore a snapshot",
            lambda: self.provider.restore_snapshot(_id(snapshot)),
            options,
        )

    def create_replica(
        self,
        source: Ref,
        name: str,
        kind: ReplicaKind | str = ReplicaKind.CLONE,
        *,
        pool: Ref | None = None,
        **options: Unpack[WaitOptions],
    ) -> Job[Replica]:
        """Create a clone, full copy or mirror of a volume as a new volume called ``name``."""
        self.limits.check_name("volume", name)
        replica_kind = ReplicaKind(kind)
        pool_id = None if pool is None else _id(pool)
        return self._submit(
            [_REPLICA_CAPABILITY[replica_kind]],
            f"create {replica_kind.value} {name}",
            lambda: self.provider.create_replica(_id(source), name, replica_kind, pool_id),
            options,
        )

    def delete_replica(self, replica: Replica | str, **options: Unpack[WaitOptions]) -> Job[None]:
        """Dissolve a replication relationship; the target volume stays."""
        current = self.get(Kind.REPLICAS, replica) if isinstance(replica, str) else replica
        return self._submit(
            [_REPLICA_CAPABILITY[current.kind]],
            "delete a replica",
            lambda: self.provider.delete_replica(current.id),
            options,
        )


def _initiator(value: Initiator | str) -> Initiator:
    from .model.block import Initiator

    return Initiator.parse(value) if isinstance(value, str) else value
