"""Name rules of the ``nfs`` provider and how its objects are named on the host.

A file system ``home`` is the LV ``nfs_home`` (tag ``storplan-fs:home``) mounted at
``<base>/home``; its snapshot ``s1`` is the thin LV ``nfs_home+s1`` (tag
``storplan-fssnap:home/s1``) mounted read-only at ``<base>/.snapshots/home/s1``; a clone
``t`` of it is the thin LV ``nfs_t`` (tags ``storplan-fs:t``, ``storplan-fsclone:home/s1``)
mounted read-write at ``<base>/t`` like any file system.  ``+`` is not
allowed in storplan names, so no file system's LV can be taken for a snapshot's.  The tags are
the truth (they survive reboots and renames); the LV names only need to be unique.
"""

from __future__ import annotations

from storplan.model.capabilities import Limits
from storplan.providers.kit.pools import LVM_SAFE_NAME
from storplan.size import Size

__all__ = [
    "CLONE_TAG",
    "FS_TAG",
    "NAME_MAX_LENGTH",
    "SNAPSHOT_TAG",
    "check_name",
    "filesystem_lv",
    "limits_for",
    "snapshot_lv",
]

NAME_MAX_LENGTH = 48
FS_TAG = "storplan-fs:"
"""``storplan-fs:<name>`` marks the LV of file system ``name``."""
SNAPSHOT_TAG = "storplan-fssnap:"
"""``storplan-fssnap:<file system>/<snapshot>`` marks a snapshot's LV."""
CLONE_TAG = "storplan-fsclone:"
"""``storplan-fsclone:<file system>/<snapshot>`` marks the LV of a file system cloned from
that snapshot (beside its ``storplan-fs:`` tag)."""
EXTENT = 4 << 20
"""LVM's default extent size: every size is a multiple of it."""
_MIN_SIZE = {"xfs": 300 << 20, "ext4": 16 << 20}  # mkfs.xfs 5.19+ refuses below 300 MB


def limits_for(fs_type: str) -> Limits:
    """The provider's limits when it makes ``fs_type`` file systems."""
    return Limits(
        name_pattern=LVM_SAFE_NAME,
        name_max_length=NAME_MAX_LENGTH,
        min_volume_size=Size(_MIN_SIZE[fs_type]),
        max_volume_size=Size(1 << 50),
        size_alignment=EXTENT,
        extra={
            "filesystem.grow": f"online (lvextend, then {_GROW[fs_type]})",
            "filesystem.shrink": "refused: XFS cannot shrink, ext4 only unmounted",
            "filesystem.snapshots": "thin pools only (lvm-thin), mounted read-only",
            "filesystem.clones": "thin snapshots of a snapshot, with a new file-system UUID",
        },
    )


_GROW = {"xfs": "xfs_growfs", "ext4": "resize2fs"}


def check_name(kind: str, name: str) -> None:
    """Raise :class:`InvalidArgument` unless ``name`` is a valid name here."""
    limits_for("ext4").check_name(kind, name)


def filesystem_lv(name: str) -> str:
    """The LV of file system ``name``."""
    return f"nfs_{name}"


def snapshot_lv(filesystem: str, snapshot: str) -> str:
    """The LV of snapshot ``snapshot`` of file system ``filesystem``."""
    return f"nfs_{filesystem}+{snapshot}"
