"""The built-in simulator provider (``sim://``); see :mod:`.provider`."""

from .provider import SimProvider

__all__ = ["SimProvider"]
