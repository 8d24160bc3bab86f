"""Name rules of the ``lio`` provider and how storplan objects are named on the host.

One pattern serves every storplan name (volumes, hosts, snapshots, pools), chosen so that a
name is at once a valid LIO storage-object name, a valid node-ACL group tag (rtslib refuses
``.``), a valid LVM logical-volume name (no reserved words or suffixes) and a safe file name.
Snapshot LVs get names derived from a hash, so their length never depends on two user names;
the snapshot's own name is kept in an LV tag.
"""

from __future__ import annotations

import hashlib

from storplan.model.capabilities import Limits
from storplan.providers.kit.pools import LVM_NAME, LVM_SAFE_NAME
from storplan.size import Size

__all__ = [
    "LIMITS",
    "LVM_NAME",
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "check_object_name",
    "snapshot_lv_name",
]

NAME_MAX_LENGTH = 48
NAME_PATTERN = LVM_SAFE_NAME
"""storplan names on LIO: no dots (rtslib group tags), nothing LVM reserves."""


LIMITS = Limits(
    name_pattern=NAME_PATTERN,
    name_max_length=NAME_MAX_LENGTH,
    min_volume_size=Size(1 << 20),
    max_volume_size=Size(1 << 50),
    size_alignment=4 << 20,  # LVM's default extent size; files are rounded the same way
    max_lun=255,  # LIO's mapped LUN numbers (targetcli and most initiators expect < 256)
    max_initiators_per_group=64,
    min_initiators_per_group=1,
    extra={
        "hosts": "a host exists through its initiators' node ACLs: it needs at least one",
        "volume.grow": "online on LVM pools; on directory pools the LUN is re-created",
    },
)


def check_object_name(kind: str, name: str) -> None:
    """Raise :class:`InvalidArgument` unless ``name`` is a valid storplan name on LIO."""
    LIMITS.check_name(kind, name)


def snapshot_lv_name(volume: str, snapshot: str) -> str:
    """The LV holding ``volume``'s snapshot ``snapshot``: short, unique, never reserved."""
    digest = hashlib.sha256(f"{volume}\0{snapshot}".encode()).hexdigest()[:16]
    return f"sp_snap_{digest}"
