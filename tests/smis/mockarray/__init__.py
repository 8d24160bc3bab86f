"""A mock SMI-S array on pywbem_mock: hand-written MOF, method providers with real effects,
asynchronous jobs, and two vendor flavours (see :mod:`.flavours`).  Build one with
:func:`build_array`."""

from .build import build_array
from .flavours import ACME, ACME_ISCSI, BOLT, FLAVOURS, Flavour

__all__ = ["ACME", "ACME_ISCSI", "BOLT", "FLAVOURS", "Flavour", "build_array"]
