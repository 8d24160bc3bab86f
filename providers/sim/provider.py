"""``sim://``: a complete simulated storage installation in one SQLite file.

It declares every capability, so the whole engine can be exercised without hardware; latency,
asynchronous jobs and fault injection are configured through the URI (see :mod:`.config`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from storplan.model.enums import Access, Capability, Kind, ReplicaKind
from storplan.size import Size

from .config import SimConfig, parse_config
from .db import FORMAT, Store
from .rows import observe
from .seed import seed_default, seed_empty

# Imported where used: read-only commands (``storplan show``) never need them.
if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.model.block import Initiator
    from storplan.model.capabilities import Capabilities, Limits, ProviderVersion
    from storplan.model.job import Job
    from storplan.model.state import State
    from storplan.uri import ProviderURI

    from .engine import Engine

__all__ = ["SimProvider"]

ALIGNMENT = 1 << 20  # the simulator allocates in 1 MiB extents and rounds sizes up to them


class SimProvider:
    """The simulator provider (entry point ``sim``)."""

    name = "sim"

    def __init__(self, uri: ProviderURI, password: Secret | None = None) -> None:
        self.config: SimConfig = parse_config(uri)
        self.store = Store(self.config.path)
        self.store.initialize(seed_empty if self.config.seed == "empty" else seed_default)

    @cached_property
    def engine(self) -> Engine:
        from .engine import Engine

        return Engine(self.store, self.config)

    # ------------------------------------------------------------------ queries
    def capabilities(self) -> Capabilities:
        from storplan.model.capabilities import Capabilities

        return Capabilities(self.name, frozenset(Capability))

    def limits(self) -> Limits:
        from storplan.model.capabilities import Limits

        return Limits(
            name_pattern=r"[A-Za-z0-9][A-Za-z0-9_.:-]*",
            name_max_length=63,
            min_volume_size=Size(1 << 20),
            max_volume_size=Size(256 << 40),
            size_alignment=ALIGNMENT,
            max_lun=4095,
            max_initiators_per_group=64,
        )

    def version(self) -> ProviderVersion:
        from storplan import __version__
        from storplan.model.capabilities import ProviderVersion

        return ProviderVersion(self.name, __version__, "storplan simulator", FORMAT)

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        with self.store.read() as tx:
            return observe(tx, kinds)

    def job(self, job_id: str) -> Job[Any]:
        return self.engine.poll(job_id)

    def jobs(self) -> list[Job[Any]]:
        return self.engine.recent()

    def close(self) -> None:
        self.store.close()

    def _run(self, operation: str, **args: Any) -> Job[Any]:
        return self.engine.submit(operation, args)

    @staticmethod
    def _aligned(size: int) -> int:
        return int(Size(size).align_up(ALIGNMENT))

    # ------------------------------------------------------------------ pools and volumes
    def create_pool(self, system_id: str, name: str, disk_ids: Sequence[str]) -> Job[Any]:
        return self._run("create_pool", system_id=system_id, name=name, disk_ids=list(disk_ids))

    def delete_pool(self, pool_id: str) -> Job[Any]:
        return self._run("delete_pool", pool_id=pool_id)

    def create_volume(self, pool_id: str, name: str, size: int, thin: bool) -> Job[Any]:
        return self._run(
            "create_volume", pool_id=pool_id, name=name, size=self._aligned(size), thin=thin
        )

    def delete_volume(self, volume_id: str) -> Job[Any]:
        return self._run("delete_volume", volume_id=volume_id)

    def resize_volume(self, volume_id: str, size: int) -> Job[Any]:
        return self._run("resize_volume", volume_id=volume_id, size=self._aligned(size))

    def rename_volume(self, volume_id: str, name: str) -> Job[Any]:
        return self._run("rename_volume", volume_id=volume_id, name=name)

    # ------------------------------------------------------------------ hosts and masking
    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]:
        return self._run(
            "create_access_group",
            system_id=system_id,
            name=name,
            initiators=[{"id": i.id, "kind": i.kind.value} for i in initiators],
        )

    def delete_access_group(self, access_group_id: str) -> Job[Any]:
        return self._run("delete_access_group", access_group_id=access_group_id)

    def add_initiator(self, access_group_id: str, initiator: Initiator) -> Job[Any]:
        return self._run(
            "add_initiator",
            access_group_id=access_group_id,
            initiator={"id": initiator.id, "kind": initiator.kind.value},
        )

    def remove_initiator(self, access_group_id: str, initiator_id: str) -> Job[Any]:
        return self._run(
            "remove_initiator", access_group_id=access_group_id, initiator_id=initiator_id
        )

    def set_chap(
        self, access_group_id: str, initiator_id: str, user: str | None, secret: Secret | None
    ) -> Job[Any]:
        # The simulator keeps only a digest: enough to tell secrets apart, useless to a reader.
        import hashlib

        digest = (
            hashlib.sha256(secret.reveal().encode()).hexdigest() if secret is not None else None
        )
        return self._run(
            "set_chap",
            access_group_id=access_group_id,
            initiator_id=initiator_id,
            user=user,
            secret_digest=digest,
        )

    def map_volume(self, volume_id: str, access_group_id: str, lun: int | None) -> Job[Any]:
        return self._run(
            "map_volume", volume_id=volume_id, access_group_id=access_group_id, lun=lun
        )

    def unmap_volume(self, volume_id: str, access_group_id: str) -> Job[Any]:
        return self._run("unmap_volume", volume_id=volume_id, access_group_id=access_group_id)

    # ------------------------------------------------------------------ snapshots, replicas
    def create_snapshot(self, volume_id: str, name: str) -> Job[Any]:
        return self._run("create_snapshot", volume_id=volume_id, name=name)

    def delete_snapshot(self, snapshot_id: str) -> Job[Any]:
        return self._run("delete_snapshot", snapshot_id=snapshot_id)

    def restore_snapshot(self, snapshot_id: str) -> Job[Any]:
        return self._run("restore_snapshot", snapshot_id=snapshot_id)

    def create_replica(
        self, source_volume_id: str, name: str, kind: ReplicaKind, pool_id: str | None
    ) -> Job[Any]:
        return self._run(
            "create_replica",
            source_volume_id=source_volume_id,
            name=name,
            kind=ReplicaKind(kind).value,
            pool_id=pool_id,
        )

    def delete_replica(self, replica_id: str) -> Job[Any]:
        return self._run("delete_replica", replica_id=replica_id)

    # ------------------------------------------------------------------ file systems
    def create_filesystem(self, pool_id: str, name: str, size: int) -> Job[Any]:
        return self._run("create_filesystem", pool_id=pool_id, name=name, size=self._aligned(size))

    def resize_filesystem(self, filesystem_id: str, size: int) -> Job[Any]:
        return self._run("resize_filesystem", filesystem_id=filesystem_id, size=self._aligned(size))

    def delete_filesystem(self, filesystem_id: str) -> Job[Any]:
        return self._run("delete_filesystem", filesystem_id=filesystem_id)

    def create_fs_snapshot(self, filesystem_id: str, name: str) -> Job[Any]:
        return self._run("create_fs_snapshot", filesystem_id=filesystem_id, name=name)

    def delete_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]:
        return self._run("delete_fs_snapshot", fs_snapshot_id=fs_snapshot_id)

    def restore_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]:
        return self._run("restore_fs_snapshot", fs_snapshot_id=fs_snapshot_id)

    def create_export(
        self,
        filesystem_id: str,
        path: str,
        *,
        clients: Sequence[str],
        access: Access,
        root_squash: bool,
        anon_uid: int | None,
        anon_gid: int | None,
        security: Sequence[str],
    ) -> Job[Any]:
        return self._run(
            "create_export",
            filesystem_id=filesystem_id,
            path=path,
            **_export_args(clients, access, root_squash, anon_uid, anon_gid, security),
        )

    def modify_export(
        self,
        export_id: str,
        *,
        clients: Sequence[str],
        access: Access,
        root_squash: bool,
        anon_uid: int | None,
        anon_gid: int | None,
        security: Sequence[str],
    ) -> Job[Any]:
        return self._run(
            "modify_export",
            export_id=export_id,
            **_export_args(clients, access, root_squash, anon_uid, anon_gid, security),
        )

    def delete_export(self, export_id: str) -> Job[Any]:
        return self._run("delete_export", export_id=export_id)


def _export_args(
    clients: Sequence[str],
    access: Access,
    root_squash: bool,
    anon_uid: int | None,
    anon_gid: int | None,
    security: Sequence[str],
) -> dict[str, Any]:
    return {
        "clients": sorted(clients),
        "access": Access(access).value,
        "root_squash": bool(root_squash),
        "anon_uid": anon_uid,
        "anon_gid": anon_gid,
        "security": sorted(security),
    }
