"""Sessions: the typed, capability-checked API over one provider connection.

``storplan.connect(uri)`` returns a :class:`Session`.  Every operation goes through one gate,
:meth:`Session._submit`, which checks the capabilities the provider declared (refusing with
:class:`~storplan.errors.Unsupported` naming the provider and the capability), then calls the
provider and, unless ``wait=False``, waits for the job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar, Unpack

from .errors import InvalidArgument, NotFound
from .jobs import DEFAULT_JOB_TIMEOUT, ProgressCallback, wait_for_job
from .model import (
    NFS_SECURITY_FLAVOURS,
    Access,
    AccessGroup,
    Capabilities,
    Capability,
    FileSystem,
    FsSnapshot,
    Initiator,
    InitiatorKind,
    Job,
    Kind,
    Limits,
    Mapping,
    NfsExport,
    Pool,
    ProviderVersion,
    Replica,
    ReplicaKind,
    Size,
    Snapshot,
    State,
    Volume,
)
from .registry import find_provider
from .uri import ProviderURI, parse_uri

if TYPE_CHECKING:
    from .credentials import Secret
    from storplan.providers import Provider

__all__ = ["Session", "WaitOptions", "connect"]

log = logging.getLogger(__name__)
T = TypeVar("T")

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


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


class WaitOptions(TypedDict, total=False):
    """Keyword options every operation accepts.

    ``wait`` (default True) waits for the job to finish; ``timeout`` bounds the wait in seconds
    (``None``: forever); ``progress`` is called with each new state of the job.
    """

    wait: bool
    timeout: float | None
    progress: ProgressCallback | None


Ref = str | _HasId
"""An object reference: its provider id, or the model object itself."""


def _id(ref: Ref) -> str:
    return ref if isinstance(ref, str) else ref.id


def connect(uri: str | ProviderURI, *, password: Secret | None = None) -> Session:
    """Open a session to the array behind ``uri`` through its registered provider.

    ``password`` is a :class:`~storplan.credentials.Secret` read with
    :func:`~storplan.credentials.read_secret`; it is never taken from the URI.

    Raises:
        InvalidArgument: malformed URI, URI with a password, or no provider for its scheme.
        ConnectionFailed, PermissionDenied: the provider could not open the array.
    """
    parsed = parse_uri(uri) if isinstance(uri, str) else uri
    factory = find_provider(parsed.provider).load()
    return Session(factory(parsed, password), parsed)


class Session:
    """A connection to one array.  Use as a context manager to close it reliably."""

    def __init__(self, provider: Provider, uri: ProviderURI) -> None:
        self.provider = provider
        self.uri = uri
        self._capabilities: Capabilities | None = None
        self._limits: Limits | None = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the provider connection."""
        self.provider.close()

    # ----------------------------------------------------------------------------- queries
    @property
    def capabilities(self) -> Capabilities:
        """Capabilities the provider declared (fetched once per session)."""
        if self._capabilities is None:
            self._capabilities = self.provider.capabilities()
        return self._capabilities

    @property
    def limits(self) -> Limits:
        """The provider's limits (fetched once per session)."""
        if self._limits is None:
            self._limits = self.provider.limits()
        return self._limits

    def version(self) -> ProviderVersion:
        """Provider and array software versions."""
        return self.provider.version()

    def observe(self, kinds: Iterable[Kind] | None = None) -> State:
        """The live state of the given kinds (everything when ``None``), in one bulk call."""
        return self.provider.observe(None if kinds is None else frozenset(kinds))

    def list(self, kind: Kind) -> tuple[Any, ...]:
        """All objects of one kind."""
        return self.observe({kind}).of(kind)

    def volumes(self) -> tuple[Volume, ...]:
        """All volumes."""
        return self.observe({Kind.VOLUMES}).volumes

    def pools(self) -> tuple[Pool, ...]:
        """All pools."""
        return self.observe({Kind.POOLS}).pools

    def access_groups(self) -> tuple[AccessGroup, ...]:
        """All access groups (hosts)."""
        return self.observe({Kind.ACCESS_GROUPS}).access_groups

    def get(self, kind: Kind, ref: str) -> Any:
        """One object of ``kind`` by id, or by name when the name is unique.

        Raises:
            NotFound: nothing matches.
            InvalidArgument: the name is used on several systems; pass the id instead.
        """
        objects = self.list(kind)
        for obj in objects:
            if getattr(obj, "id", None) == ref:
                return obj
        named = [obj for obj in objects if getattr(obj, "name", None) == ref]
        if len(named) == 1:
            return named[0]
        label = kind.value.rstrip("s").replace("_", " ")
        if not named:
            raise NotFound(
                f"no {label} with id or name {ref!r}",
                hint=f"list them with `storplan show {kind.value.replace('_', '-')}`",
            )
        ids = ", ".join(obj.id for obj in named)
        raise InvalidArgument(
            f"{len(named)} {kind.value} are called {ref!r} ({ids})", hint="refer to it by id"
        )

    def jobs(self) -> list[Job[Any]]:
        """Jobs the array knows about."""
        return self.provider.jobs()

    def job(self, job_id: str) -> Job[Any]:
        """One job's current state."""
        return self.provider.job(job_id)

    def wait(
        self,
        job: Job[T] | str,
        *,
        timeout: float | None = DEFAULT_JOB_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> Job[T]:
        """Wait for a job (object or id) to finish; see :func:`storplan.jobs.wait_for_job`."""
        current = self.provider.job(job) if isinstance(job, str) else job
        return wait_for_job(self.provider, current, timeout=timeout, progress=progress)

    # ------------------------------------------------------------------------ the one gate
    def _submit(
        self,
        capabilities: Sequence[Capability],
        action: str,
        call: Callable[[], Job[T]],
        options: WaitOptions,
    ) -> Job[T]:
        for capability in capabilities:
            self.capabilities.require(capability, action)
        log.debug("%s: %s", self.provider.name, action)
        job = call()
        if options.get("wait", True):
            job = wait_for_job(
                self.provider,
                job,
                timeout=options.get("timeout", DEFAULT_JOB_TIMEOUT),
                progress=options.get("progress"),
            )
        return job

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
        current = volume if isinstance(volume, Volume) else self.get(Kind.VOLUMES, volume)
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
        return self._submit(
            needs,
            f"create access group {name}",
            lambda: self.provider.create_access_group(_id(system), name, parsed),
            options,
        )

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
        current = replica if isinstance(replica, Replica) else self.get(Kind.REPLICAS, replica)
        return self._submit(
            [_REPLICA_CAPABILITY[current.kind]],
            "delete a replica",
            lambda: self.provider.delete_replica(current.id),
            options,
        )

    # ------------------------------------------------------------------- file systems
    def create_filesystem(
        self, pool: Ref, name: str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Create a file system; idempotent by name."""
        nbytes = Size.of(size)
        self.limits.check_name("file system", name)
        return self._submit(
            [Capability.FILESYSTEMS],
            f"create file system {name}",
            lambda: self.provider.create_filesystem(_id(pool), name, nbytes),
            options,
        )

    def resize_filesystem(
        self, filesystem: FileSystem | str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Grow or shrink a file system."""
        nbytes = Size.of(size)
        current = (
            filesystem
            if isinstance(filesystem, FileSystem)
            else self.get(Kind.FILESYSTEMS, filesystem)
        )
        needs = [Capability.FS_GROW if nbytes >= current.size else Capability.FS_SHRINK]
        return self._submit(
            needs,
            f"resize file system {current.name}",
            lambda: self.provider.resize_filesystem(current.id, nbytes),
            options,
        )

    def delete_filesystem(self, filesystem: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system (it must have no exports)."""
        return self._submit(
            [Capability.FILESYSTEMS],
            "delete a file system",
            lambda: self.provider.delete_filesystem(_id(filesystem)),
            options,
        )

    def create_fs_snapshot(
        self, filesystem: Ref, name: str, **options: Unpack[WaitOptions]
    ) -> Job[FsSnapshot]:
        """Snapshot a file system; idempotent by (file system, name)."""
        self.limits.check_name("snapshot", name)
        return self._submit(
            [Capability.FS_SNAPSHOTS],
            f"create fs snapshot {name}",
            lambda: self.provider.create_fs_snapshot(_id(filesystem), name),
            options,
        )

    def delete_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system snapshot."""
        return self._submit(
            [Capability.FS_SNAPSHOTS],
            "delete a fs snapshot",
            lambda: self.provider.delete_fs_snapshot(_id(snapshot)),
            options,
        )

    def restore_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[FileSystem]:
        """Roll a file system back to a snapshot (destroys changes made since)."""
        return self._submit(
            [Capability.FS_SNAPSHOT_RESTORE],
            "restore a fs snapshot",
            lambda: self.provider.restore_fs_snapshot(_id(snapshot)),
            options,
        )

    def create_export(
        self,
        filesystem: Ref,
        path: str,
        *,
        clients: Iterable[str] = ("*",),
        access: Access | str = Access.RW,
        root_squash: bool = True,
        anon_uid: int | None = None,
        anon_gid: int | None = None,
        security: Iterable[str] = ("sys",),
        **options: Unpack[WaitOptions],
    ) -> Job[NfsExport]:
        """Export a file system over NFS; idempotent by path."""
        options = _export_options(clients, access, root_squash, anon_uid, anon_gid, security)
        if not path.startswith("/"):
            raise InvalidArgument(f"export path {path!r} must be absolute")
        return self._submit(
            _export_capabilities(options),
            f"export {path}",
            lambda: self.provider.create_export(_id(filesystem), path, **options),
            options,
        )

    def modify_export(
        self,
        export: Ref,
        *,
        clients: Iterable[str] = ("*",),
        access: Access | str = Access.RW,
        root_squash: bool = True,
        anon_uid: int | None = None,
        anon_gid: int | None = None,
        security: Iterable[str] = ("sys",),
        **options: Unpack[WaitOptions],
    ) -> Job[NfsExport]:
        """Replace the options of an existing export."""
        options = _export_options(clients, access, root_squash, anon_uid, anon_gid, security)
        return self._submit(
            _export_capabilities(options),
            "modify an export",
            lambda: self.provider.modify_export(_id(export), **options),
            options,
        )

    def delete_export(self, export: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Stop exporting."""
        return self._submit(
            [Capability.NFS_EXPORTS],
            "delete an export",
            lambda: self.provider.delete_export(_id(export)),
            options,
        )


def _initiator(value: Initiator | str) -> Initiator:
    return value if isinstance(value, Initiator) else Initiator.parse(value)


def _export_options(
    clients: Iterable[str],
    access: Access | str,
    root_squash: bool,
    anon_uid: int | None,
    anon_gid: int | None,
    security: Iterable[str],
) -> dict[str, Any]:
    client_list = sorted({c.strip() for c in clients})
    if not client_list or any(not c or " " in c for c in client_list):
        raise InvalidArgument(
            "export clients must be non-empty host names, addresses, networks or *"
        )
    flavours = sorted(set(security))
    unknown = [f for f in flavours if f not in NFS_SECURITY_FLAVOURS]
    if unknown or not flavours:
        raise InvalidArgument(
            f"unknown NFS security flavour(s) {unknown}",
            hint=f"choose from {', '.join(NFS_SECURITY_FLAVOURS)}",
        )
    for label, value in (("anon_uid", anon_uid), ("anon_gid", anon_gid)):
        if value is not None and not 0 <= value < 2**32:
            raise InvalidArgument(f"{label} {value} is outside 0..4294967295")
    return {
        "clients": client_list,
        "access": Access(access),
        "root_squash": root_squash,
        "anon_uid": anon_uid,
        "anon_gid": anon_gid,
        "security": flavours,
    }


def _export_capabilities(options: dict[str, Any]) -> list[Capability]:
    needs = [Capability.NFS_EXPORTS]
    if not options["root_squash"]:
        needs.append(Capability.NFS_ROOT_SQUASH)
    if options["anon_uid"] is not None or options["anon_gid"] is not None:
        needs.append(Capability.NFS_ANON_IDS)
    if options["security"] != ["sys"]:
        needs.append(Capability.NFS_SECURITY)
    return needs
