"""The operations a manifest asks for, as catalogue requests with their manifest positions.

Every object a manifest declares implies one create request (a host with initiators, a CHAP
setting, a volume, a mapping, ...).  ``validate`` checks these requests against the provider
(capabilities, limits) with the catalogue's own functions, so it agrees with what planning
and the Session require; each request keeps its :class:`~.spec.Origin` for the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .spec import ArraySpec, FileSystemSpec, InitiatorSpec, Origin

__all__ = ["Request", "chap_params", "create_requests", "filesystem_request"]


@dataclass(frozen=True, slots=True)
class Request:
    """One operation the manifest implies: its catalogue name, parameters and origin."""

    operation: str
    params: dict[str, Any]
    origin: Origin


def chap_params(host: str, initiator: InitiatorSpec) -> dict[str, Any]:
    """The ``set_chap`` parameters of an initiator's CHAP settings (secrets as references)."""
    chap = initiator.chap
    assert chap is not None
    params: dict[str, Any] = {
        "host": host,
        "initiator": initiator.id,
        "user": chap.user,
        "secret": chap.secret.to_dict(),
    }
    if chap.mutual is not None:
        params["mutual_user"] = chap.mutual.user
        params["mutual_secret"] = chap.mutual.secret.to_dict()
    return params


def filesystem_request(fs: FileSystemSpec, size: int | None = None) -> Request:
    """The request creating file system ``fs`` (a clone from its snapshot), at ``size``
    (default: the manifest's)."""
    size = size if size is not None else None if fs.size is None else int(fs.size)
    origin = Origin(fs, (("filesystem", "name"),))
    if fs.clone_of is None:
        return Request(
            "create_filesystem", {"filesystem": fs.name, "pool": fs.pool, "size": size}, origin
        )
    params = {
        "filesystem": fs.name,
        "source": fs.clone_of.filesystem,
        "snapshot": fs.clone_of.snapshot,
        "size": size,
    }
    return Request("create_fs_clone", params, origin)


def create_requests(array: ArraySpec) -> Iterator[Request]:
    """The create requests of every object the array entry declares."""
    for pool in array.pools:
        if pool.disks:
            yield Request(
                "create_pool",
                {"pool": pool.name, "disks": list(pool.disks)},
                Origin(pool, (("pool", "name"),)),
            )
    for host in array.hosts:
        yield Request(
            "create_access_group",
            {"host": host.name, "initiators": sorted({i.id for i in host.initiators})},
            Origin(host, (("host", "name"),)),
        )
        for initiator in host.initiators:
            if initiator.chap is not None:
                params = chap_params(host.name, initiator)
                yield Request("set_chap", params, Origin(initiator, (("user", "chap"),)))
    for volume in array.volumes:
        yield Request(
            "create_volume",
            {
                "volume": volume.name,
                "pool": volume.pool,
                "size": int(volume.size),
                "thin": volume.thin,
            },
            Origin(volume, (("volume", "name"),)),
        )
        for mapping in volume.mappings:
            yield Request(
                "map_volume",
                {"volume": volume.name, "host": mapping.host, "lun": mapping.lun},
                Origin(mapping),
            )
        for snapshot in volume.snapshots:
            yield Request(
                "create_snapshot",
                {"volume": volume.name, "snapshot": snapshot.name},
                Origin(snapshot, (("snapshot", "name"),)),
            )
        for replica in volume.replicas:
            yield Request(
                "create_replica",
                {
                    "source": volume.name,
                    "replica": replica.name,
                    "kind": replica.kind.value,
                    "pool": replica.pool or volume.pool,
                },
                Origin(replica, (("replica", "name"),)),
            )
    for fs in array.filesystems:
        yield filesystem_request(fs)
        for snapshot in fs.snapshots:
            yield Request(
                "create_fs_snapshot",
                {"filesystem": fs.name, "snapshot": snapshot.name},
                Origin(snapshot, (("snapshot", "name"),)),
            )
        for export in fs.exports:
            yield Request(
                "create_export",
                {"filesystem": fs.name, "path": export.path, **export.options().to_dict()},
                Origin(export),
            )
