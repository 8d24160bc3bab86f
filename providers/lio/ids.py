"""Ids of the ``lio`` provider's objects: a kind prefix and the names LIO and LVM know them by.

Names are unique per kind on one host (a storage object, an ACL tag, a snapshot per volume),
so ids are built from names and read back by stripping the prefix: no id table to keep.
"""

from __future__ import annotations

__all__ = ["SYSTEM", "host", "mapping", "name_of", "pool", "replica", "snapshot", "volume"]

SYSTEM = "lio"
_POOL, _VOLUME, _HOST, _SNAPSHOT, _REPLICA = "pool:", "vol:", "host:", "snap:", "rep:"


def pool(name: str) -> str:
    return _POOL + name


def volume(name: str) -> str:
    return _VOLUME + name


def host(name: str) -> str:
    return _HOST + name


def snapshot(volume_name: str, name: str) -> str:
    return f"{_SNAPSHOT}{volume_name}/{name}"


def replica(target_volume: str) -> str:
    """A replica is identified by its target volume (a volume has at most one source)."""
    return _REPLICA + target_volume


def mapping(volume_name: str, host_name: str) -> str:
    """What :attr:`storplan.model.Mapping.id` gives for this volume and host."""
    return f"{volume(volume_name)}@{host(host_name)}"


def name_of(object_id: str) -> str:
    """The name in a pool, volume, host or replica id (a replica's: its target volume)."""
    for prefix in (_POOL, _VOLUME, _HOST, _REPLICA):
        if object_id.startswith(prefix):
            return object_id[len(prefix) :]
    return object_id


def snapshot_names(snapshot_id: str) -> tuple[str, str]:
    """(volume, snapshot) of a snapshot id."""
    volume_name, _, name = snapshot_id.removeprefix(_SNAPSHOT).partition("/")
    return volume_name, name
