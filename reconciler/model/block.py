"""Block storage: pools, volumes, initiators, access groups, mappings, snapshots, replicas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..identifiers import InitiatorKind, canonical_initiator
from ..size import Size
from .base import Condition, status_field
from .enums import ElementType, Health, Provisioning, ReplicaKind, ReplicaState

if TYPE_CHECKING:
    from ..credentials import Secret

__all__ = [
    "AccessGroup",
    "ChapCredentials",
    "Initiator",
    "Mapping",
    "Pool",
    "Replica",
    "Snapshot",
    "Volume",
]


@dataclass(frozen=True, slots=True)
class Pool:
    """A place to carve volumes or file systems from.

    Capacity figures are status.  ``subscribed`` is the sum of the sizes promised to volumes and
    file systems (thin ones included); ``oversubscription_limit`` is the ratio of ``total`` a
    thin pool may promise (``None`` when the pool cannot hold thin volumes).
    ``provisioning`` says which volumes the pool can hold (an LVM thin pool only thin ones, a
    plain volume group only thick ones).
    """

    id: str
    system_id: str
    name: str
    element_types: frozenset[ElementType] = status_field(frozenset({ElementType.VOLUME}))
    total: Size = status_field(Size(0))
    free: Size = status_field(Size(0))
    subscribed: Size = status_field(Size(0))
    oversubscription_limit: float | None = status_field(None)
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())
    provisioning: frozenset[Provisioning] = status_field(
        frozenset({Provisioning.THIN, Provisioning.THICK})
    )
    metadata_percent: float | None = status_field(None)
    """How full a thin pool's metadata is (LVM ``metadata_percent``); ``None``: not reported."""


@dataclass(frozen=True, slots=True)
class Volume:
    """A block volume (LUN).  ``wwn`` is its SCSI VPD page 0x83 identifier (``naa.`` form)."""

    id: str
    system_id: str
    pool_id: str
    name: str
    size: Size
    thin: bool
    wwn: str = status_field("")
    block_size: int = status_field(512)
    used: Size = status_field(Size(0))
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())


@dataclass(frozen=True, slots=True, order=True)
class Initiator:
    """A host-side port identity: an iSCSI IQN, an FC WWPN or an NVMe NQN (canonical form).

    ``chap_user`` is the CHAP user name configured for this initiator, if any, and
    ``mutual_chap_user`` the name the target answers with under mutual CHAP; CHAP secrets are
    never part of the model.  Build from text with :meth:`parse`, which validates and
    canonicalizes.
    """

    id: str
    kind: InitiatorKind
    chap_user: str | None = None
    mutual_chap_user: str | None = None

    @classmethod
    def parse(
        cls, text: str, kind: InitiatorKind | None = None, chap_user: str | None = None
    ) -> Initiator:
        """Validate and canonicalize ``text`` (kind inferred from its form when not given)."""
        resolved, canonical = canonical_initiator(text, kind)
        return cls(canonical, resolved, chap_user)


@dataclass(frozen=True, slots=True)
class ChapCredentials:
    """What ``set_chap`` configures for one initiator: the user and secret the initiator logs
    in with and, for mutual CHAP, the user and secret the target answers with."""

    user: str
    secret: Secret
    mutual_user: str | None = None
    mutual_secret: Secret | None = None


@dataclass(frozen=True, slots=True)
class AccessGroup:
    """A host (or cluster of hosts): a named set of initiators volumes are masked to.

    ``initiators`` is a set, kept sorted so equal groups compare and render identically.
    """

    id: str
    system_id: str
    name: str
    initiators: tuple[Initiator, ...] = ()
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())


@dataclass(frozen=True, slots=True)
class Mapping:
    """A volume exposed to an access group as logical unit number ``lun``."""

    volume_id: str
    access_group_id: str
    lun: int

    @property
    def id(self) -> str:
        """Mappings are identified by their (volume, access group) pair."""
        return f"{self.volume_id}@{self.access_group_id}"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A point-in-time snapshot of a volume."""

    id: str
    volume_id: str
    name: str
    created_at: str = status_field("")
    size: Size = status_field(Size(0))
    used: Size = status_field(Size(0))


@dataclass(frozen=True, slots=True)
class Replica:
    """A replication relationship: ``target_volume_id`` is a clone/copy/mirror of the source."""

    id: str
    source_volume_id: str
    target_volume_id: str
    kind: ReplicaKind
    state: ReplicaState = status_field(ReplicaState.SYNCED)
    percent_synced: int = status_field(100)
    conditions: tuple[Condition, ...] = status_field(())
