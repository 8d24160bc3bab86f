"""Every enumeration of the model, in one light module (cheap to import).

Each is a ``StrEnum``: members compare equal to, and print as, their stable string values,
which are what JSON, YAML, manifests and the CLI use.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "NFS_SECURITY_FLAVOURS",
    "Access",
    "Capability",
    "DiskKind",
    "ElementType",
    "Health",
    "JobState",
    "Kind",
    "LinkState",
    "Provisioning",
    "ReplicaKind",
    "ReplicaState",
    "Severity",
]


class Health(StrEnum):
    """Coarse health an array reports for an object."""

    OK = "ok"
    DEGRADED = "degraded"
    ERROR = "error"
    UNKNOWN = "unknown"


class Severity(StrEnum):
    """How bad a condition is, in the Nagios/Icinga order (``ok`` < ``warning`` <
    ``critical``; ``unknown``: the state could not be learned)."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


class ElementType(StrEnum):
    """What a pool can hold."""

    VOLUME = "volume"
    FILESYSTEM = "filesystem"


class Provisioning(StrEnum):
    """How a volume's space is allocated."""

    THIN = "thin"  # allocated on write
    THICK = "thick"  # allocated in full when created


class ReplicaKind(StrEnum):
    """How a replica relates to its source."""

    CLONE = "clone"  # space-efficient writable copy sharing blocks with the source
    COPY = "copy"  # independent full copy
    MIRROR_SYNC = "mirror_sync"  # synchronous mirror kept in step with the source
    MIRROR_ASYNC = "mirror_async"  # asynchronous mirror, may lag behind


class ReplicaState(StrEnum):
    """Progress of a replica relationship."""

    SYNCING = "syncing"
    SYNCED = "synced"
    SPLIT = "split"
    BROKEN = "broken"


class Access(StrEnum):
    """Read-write or read-only access for NFS clients."""

    RW = "rw"
    RO = "ro"


class JobState(StrEnum):
    """Life cycle of a job."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Kind(StrEnum):
    """Kinds of objects an array holds; the value is the ``State`` attribute and CLI name."""

    SYSTEMS = "systems"
    POOLS = "pools"
    DISKS = "disks"
    VOLUMES = "volumes"
    ACCESS_GROUPS = "access_groups"
    MAPPINGS = "mappings"
    SNAPSHOTS = "snapshots"
    REPLICAS = "replicas"
    FILESYSTEMS = "filesystems"
    FS_SNAPSHOTS = "fs_snapshots"
    EXPORTS = "exports"
    TARGET_PORTS = "target_ports"


class DiskKind(StrEnum):
    """Physical media type."""

    HDD = "hdd"
    SSD = "ssd"
    NVME = "nvme"
    UNKNOWN = "unknown"


class LinkState(StrEnum):
    """Link state of a target port."""

    UP = "up"
    DOWN = "down"
    UNKNOWN = "unknown"


class Capability(StrEnum):
    """Fine-grained feature flags.  The value is the stable name used in docs, JSON and CLI."""

    VOLUMES = "volumes"  # create and delete volumes
    VOLUME_THIN = "volume.thin"  # thinly provisioned volumes
    VOLUME_THICK = "volume.thick"  # fully allocated volumes
    VOLUME_GROW = "volume.grow"
    VOLUME_SHRINK = "volume.shrink"
    VOLUME_RENAME = "volume.rename"
    POOL_CREATE = "pool.create"  # create and delete pools from free disks
    ACCESS_GROUPS = "access_groups"  # create/delete hosts, add/remove initiators
    INITIATOR_ISCSI = "initiator.iscsi"
    INITIATOR_FC = "initiator.fc"
    INITIATOR_NVME = "initiator.nvme"
    MASKING = "masking"  # map/unmap volumes to access groups
    MASKING_LUN_CHOICE = "masking.lun_choice"  # the caller may choose the LUN number
    CHAP = "chap"  # per-initiator CHAP credentials
    CHAP_MUTUAL = "chap.mutual"  # the target also authenticates itself to the initiator
    SNAPSHOTS = "snapshots"
    SNAPSHOT_RESTORE = "snapshot.restore"
    CLONES = "replica.clone"
    COPIES = "replica.copy"
    MIRROR_SYNC = "replica.mirror_sync"
    MIRROR_ASYNC = "replica.mirror_async"
    FILESYSTEMS = "filesystems"
    FS_GROW = "filesystem.grow"
    FS_SHRINK = "filesystem.shrink"
    FS_SNAPSHOTS = "filesystem.snapshots"
    FS_SNAPSHOT_RESTORE = "filesystem.snapshot.restore"
    FS_CLONES = "filesystem.clones"  # a writable file system made from a snapshot
    NFS_EXPORTS = "nfs.exports"
    NFS_ROOT_SQUASH = "nfs.root_squash"  # a client rule without root squashing
    NFS_ALL_SQUASH = "nfs.all_squash"  # a client rule squashing every user
    NFS_CLIENT_RULES = "nfs.client_rules"  # clients of one export differ in access or squash
    NFS_ANON_IDS = "nfs.anon_ids"
    NFS_SECURITY = "nfs.security"  # kerberos flavours beyond sys
    NFS_ASYNC = "nfs.async"  # asynchronous writes (sync: false)
    NFS_VERSIONS = "nfs.versions"  # choose the NFS protocol versions of an export
    TARGET_PORTS = "target_ports"
    DISKS = "disks"
    ASYNC_JOBS = "jobs.async"  # operations may return running jobs
    STATISTICS = "statistics"  # I/O counters per volume, target port or disk (statistics())
    EVENTS = "events"  # the array notifies changes (subscribe(); SMI-S indications)


NFS_SECURITY_FLAVOURS = ("sys", "krb5", "krb5i", "krb5p")
"""NFS security flavours storplan knows (``sys`` is plain AUTH_SYS)."""
