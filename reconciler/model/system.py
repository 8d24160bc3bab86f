"""Systems (arrays or storage hosts), their physical disks and their target ports."""

from __future__ import annotations

from dataclasses import dataclass

from ..identifiers import InitiatorKind
from ..size import Size
from .base import Condition, status_field
from .enums import DiskKind, Health, LinkState

__all__ = ["Disk", "System", "TargetPort"]


@dataclass(frozen=True, slots=True)
class System:
    """One storage system (an array, a controller pair, a Linux target host)."""

    id: str
    name: str
    vendor: str = status_field("")
    model: str = status_field("")
    firmware: str = status_field("")
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())


@dataclass(frozen=True, slots=True)
class Disk:
    """A physical drive; ``pool_id`` is the pool it belongs to (``None`` for a spare/free disk)."""

    id: str
    system_id: str
    name: str
    kind: DiskKind = status_field(DiskKind.UNKNOWN)
    size: Size = status_field(Size(0))
    pool_id: str | None = status_field(None)
    serial: str = status_field("")
    health: Health = status_field(Health.OK)
    conditions: tuple[Condition, ...] = status_field(())


@dataclass(frozen=True, slots=True)
class TargetPort:
    """A front-end port hosts log in to: an iSCSI portal, an FC port, an NVMe-oF port.

    ``address`` is the target's IQN, WWPN or NQN (canonical form); ``portal`` is ``ip:port``
    for IP transports and empty for Fibre Channel.
    """

    id: str
    system_id: str
    kind: InitiatorKind
    address: str
    portal: str = ""
    link: LinkState = status_field(LinkState.UP)
    speed_gbps: float = status_field(0.0)
    conditions: tuple[Condition, ...] = status_field(())
