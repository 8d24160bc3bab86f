"""The ``ganesha`` provider: NFS-Ganesha exports over D-Bus (see :mod:`.provider`)."""

from .provider import GaneshaProvider

__all__ = ["GaneshaProvider"]
