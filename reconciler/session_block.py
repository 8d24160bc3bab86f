"""Block operations of a session: pools, volumes, hosts and masking, snapshots, replicas.

Each method is the typed, documented form of one catalogue operation: it turns its arguments
into the operation's parameters (objects as ids) and hands them to :meth:`SessionBase.run`,
which checks limits and capabilities and calls the provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Unpack

from .errors import InvalidArgument
from .model.enums import Kind, ReplicaKind
from .session_base import Ref, SessionBase, WaitOptions
from .session_base import ref_id as _id
from .size import Size

if TYPE_CHECKING:
    from .credentials import Secret
    from .model.block import AccessGroup, Initiator, Mapping, Pool, Replica, Snapshot, Volume
    from .model.job import Job

__all__ = ["BlockOperations"]


class BlockOperations(SessionBase):
    """Operations on block storage; see :class:`storplan.session.Session`."""

    # --------------------------------------------------------------------------- pools
    def create_pool(
        self, system: Ref, name: str, disks: Sequence[Ref], **options: Unpack[WaitOptions]
    ) -> Job[Pool]:
        """Create a pool from free disks."""
        params = {"system": _id(system), "pool": name, "disks": [_id(d) for d in disks]}
        return self.run("create_pool", params, **options)

    def delete_pool(self, pool: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete an empty pool, returning its disks to the free list."""
        return self.run("delete_pool", {"pool": _id(pool)}, **options)

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
        params = {"pool": _id(pool), "volume": name, "size": int(Size.of(size)), "thin": thin}
        return self.run("create_volume", params, **options)

    def delete_volume(self, volume: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a volume (it must not be mapped or have dependent snapshots/replicas)."""
        return self.run("delete_volume", {"volume": _id(volume)}, **options)

    def resize_volume(
        self, volume: Volume | str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[Volume]:
        """Grow or shrink a volume; which capability is needed depends on the current size."""
        current = self.get(Kind.VOLUMES, volume) if isinstance(volume, str) else volume
        params = {"volume": current.id, "size": int(Size.of(size))}
        return self.run("resize_volume", params, live=current, **options)

    def rename_volume(self, volume: Ref, name: str, **options: Unpack[WaitOptions]) -> Job[Volume]:
        """Give a volume a new name (its id, WWN and data stay)."""
        return self.run("rename_volume", {"volume": _id(volume), "name": name}, **options)

    # -------------------------------------------------------------------- hosts, masking
    def create_access_group(
        self,
        system: Ref,
        name: str,
        initiators: Iterable[Initiator | str] = (),
        **options: Unpack[WaitOptions],
    ) -> Job[AccessGroup]:
        """Create a host/access group with a set of initiators; idempotent by name."""
        ids = sorted({_initiator_id(i) for i in initiators})
        params = {"system": _id(system), "host": name, "initiators": ids}
        return self.run("create_access_group", params, **options)

    def delete_access_group(self, group: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete an access group (it must have no mapped volumes)."""
        return self.run("delete_access_group", {"host": _id(group)}, **options)

    def add_initiator(
        self, group: Ref, initiator: Initiator | str, **options: Unpack[WaitOptions]
    ) -> Job[AccessGroup]:
        """Add an initiator to an access group (no-op if it is already there)."""
        params = {"host": _id(group), "initiator": _initiator_id(initiator)}
        return self.run("add_initiator", params, **options)

    def remove_initiator(
        self, group: Ref, initiator: Initiator | str, **options: Unpack[WaitOptions]
    ) -> Job[AccessGroup]:
        """Remove an initiator from an access group."""
        params = {"host": _id(group), "initiator": _initiator_id(initiator)}
        return self.run("remove_initiator", params, **options)

    def set_chap(
        self,
        group: Ref,
        initiator: Initiator | str,
        user: str | None,
        secret: Secret | None,
        *,
        mutual_user: str | None = None,
        mutual_secret: Secret | None = None,
        **options: Unpack[WaitOptions],
    ) -> Job[AccessGroup]:
        """Set (or with ``user=None`` clear) the CHAP credentials of one initiator; with
        ``mutual_user`` and ``mutual_secret`` the target authenticates itself too."""
        if (user is None) != (secret is None) or (mutual_user is None) != (mutual_secret is None):
            raise InvalidArgument(
                "CHAP needs both a user name and a secret (or neither, to clear it)"
            )
        if mutual_user is not None and user is None:
            raise InvalidArgument("mutual CHAP needs the initiator's CHAP credentials too")
        params: dict[str, Any] = {
            "host": _id(group),
            "initiator": _initiator_id(initiator),
            "user": user,
            "secret": secret,
            "mutual_user": mutual_user,
            "mutual_secret": mutual_secret,
        }
        return self.run("set_chap", params, **options)

    def map_volume(
        self, volume: Ref, group: Ref, lun: int | None = None, **options: Unpack[WaitOptions]
    ) -> Job[Mapping]:
        """Expose a volume to an access group, at ``lun`` or the next free LUN."""
        params = {"volume": _id(volume), "host": _id(group), "lun": lun}
        return self.run("map_volume", params, **options)

    def unmap_volume(self, volume: Ref, group: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Hide a volume from an access group."""
        return self.run("unmap_volume", {"volume": _id(volume), "host": _id(group)}, **options)

    # ------------------------------------------------------------- snapshots and replicas
    def create_snapshot(
        self, volume: Ref, name: str, **options: Unpack[WaitOptions]
    ) -> Job[Snapshot]:
        """Take a snapshot of a volume; idempotent by (volume, name)."""
        return self.run("create_snapshot", {"volume": _id(volume), "snapshot": name}, **options)

    def delete_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a snapshot."""
        return self.run("delete_snapshot", {"snapshot": _id(snapshot)}, **options)

    def restore_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[Volume]:
        """Roll a volume back to a snapshot (destroys data written since)."""
        return self.run("restore_snapshot", {"snapshot": _id(snapshot)}, **options)

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
        params = {
            "source": _id(source),
            "replica": name,
            "kind": ReplicaKind(kind).value,
            "pool": None if pool is None else _id(pool),
        }
        return self.run("create_replica", params, **options)

    def delete_replica(self, replica: Replica | str, **options: Unpack[WaitOptions]) -> Job[None]:
        """Dissolve a replication relationship; the target volume stays."""
        current = self.get(Kind.REPLICAS, replica) if isinstance(replica, str) else replica
        return self.run("delete_replica", {"replica": current.id}, live=current, **options)


def _initiator_id(value: Initiator | str) -> str:
    from .model.block import Initiator

    return (Initiator.parse(value) if isinstance(value, str) else value).id
