"""Test-only providers: the simulator declaring fewer capabilities than it has.

Registered through the real ``entry_points.txt`` beside this file (``lesssim-1.0.dist-info``),
which the preflight corpus puts on ``PYTHONPATH`` for its ``storplan`` processes, so that the
capability gate of an operation the simulator could run, but this "array" does not declare,
is what refuses it (before anything changes).
"""

from __future__ import annotations

from typing import ClassVar

from storplan.model.capabilities import Capabilities
from storplan.model.enums import Capability
from storplan.providers.sim import SimProvider

__all__ = ["NoMutualSim", "SyncOnlySim"]


class _LessSim(SimProvider):
    missing: ClassVar[frozenset[Capability]] = frozenset()

    def capabilities(self) -> Capabilities:
        return Capabilities(self.name, frozenset(Capability) - self.missing)


class NoMutualSim(_LessSim):
    """CHAP, but not mutual CHAP (``nomutualsim://``)."""

    name = "nomutualsim"
    missing = frozenset({Capability.CHAP_MUTUAL})


class SyncOnlySim(_LessSim):
    """NFS exports with synchronous writes only (``syncsim://``)."""

    name = "syncsim"
    missing = frozenset({Capability.NFS_ASYNC})
