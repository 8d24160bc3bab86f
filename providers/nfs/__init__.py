"""The ``nfs`` provider: the Linux kernel NFS server on LVM and XFS (see :mod:`.provider`)."""

from .provider import NfsProvider

__all__ = ["NfsProvider"]
