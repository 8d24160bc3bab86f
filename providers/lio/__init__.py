"""The ``lio`` provider: a Linux LIO iSCSI target (see :mod:`.provider`)."""

from .provider import LioProvider

__all__ = ["LioProvider"]
