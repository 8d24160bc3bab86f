"""What a provider can do (capabilities), its limits, and its version.

Providers declare capabilities; the core checks them before every operation and refuses, with
the provider's name and the capability, anything that was not declared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import InvalidArgument, Unsupported
from ..size import Size
from .enums import Capability

__all__ = ["Capabilities", "Limits", "ProviderVersion"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """The set of capabilities a provider declared for one connection."""

    provider: str
    supported: frozenset[Capability]

    def __contains__(self, capability: object) -> bool:
        return capability in self.supported

    def require(self, capability: Capability, action: str = "") -> None:
        """Raise :class:`Unsupported` naming the provider unless ``capability`` is declared."""
        if capability not in self.supported:
            what = f" to {action}" if action else ""
            raise Unsupported(
                f"provider {self.provider!r} does not support {capability.value!r}{what}",
                hint="choose a provider that declares it (see `storplan show capabilities`)",
                provider=self.provider,
                capability=capability.value,
            )


@dataclass(frozen=True, slots=True)
class Limits:
    """Constraints a provider imposes, checked before any request reaches the array.

    ``name_pattern`` is a regular expression every object name must match in full.
    ``size_alignment`` is the granularity sizes are rounded up to by the array.
    ``min_initiators_per_group`` is 1 on arrays where a host exists only through its initiators
    (LIO's node-ACL groups), so a host without initiators is refused before anything runs.
    """

    name_pattern: str = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
    name_max_length: int = 63
    min_volume_size: Size = Size(1 << 20)
    max_volume_size: Size = Size(1 << 50)
    size_alignment: int = 1 << 20
    max_lun: int = 16383
    max_initiators_per_group: int = 64
    min_initiators_per_group: int = 0
    extra: dict[str, str] = field(default_factory=dict)

    def check_name(self, kind: str, name: str) -> None:
        """Raise :class:`InvalidArgument` unless ``name`` is a valid name for a ``kind``."""
        if not isinstance(name, str) or not name:
            raise InvalidArgument(f"a {kind} name must be a non-empty string")
        if len(name) > self.name_max_length:
            raise InvalidArgument(
                f"{kind} name {name!r} is longer than {self.name_max_length}",
                hint=f"use at most {self.name_max_length} characters",
            )
        if re.fullmatch(self.name_pattern, name) is None:
            raise InvalidArgument(
                f"{kind} name {name!r} is not allowed by this provider",
                hint=f"names must match {self.name_pattern}",
            )

    def check_volume_size(self, size: int) -> None:
        """Raise :class:`InvalidArgument` if ``size`` is outside the volume size range."""
        if size < self.min_volume_size or size > self.max_volume_size:
            raise InvalidArgument(
                f"volume size {Size(size)} is outside {Size(self.min_volume_size)}.."
                f"{Size(self.max_volume_size)}",
                hint="choose a size within the provider's range",
            )

    def check_lun(self, lun: int) -> None:
        """Raise :class:`InvalidArgument` if ``lun`` is not a usable LUN number."""
        if isinstance(lun, bool) or not isinstance(lun, int) or lun < 0:
            raise InvalidArgument(f"LUN {lun!r} is not a whole number 0..{self.max_lun}")
        if lun > self.max_lun:
            raise InvalidArgument(f"LUN {lun} is above this provider's maximum {self.max_lun}")

    def check_initiator_count(self, host: str, count: int) -> None:
        """Raise :class:`InvalidArgument` unless a host may hold ``count`` initiators."""
        low, high = self.min_initiators_per_group, self.max_initiators_per_group
        if not low <= count <= high:
            raise InvalidArgument(
                f"host {host!r} has {count} initiator(s); this provider needs {low}..{high}",
                hint="add an initiator to the host"
                if count < low
                else "split the host into several",
            )

    def align(self, size: int) -> Size:
        """``size`` rounded up to the provider's allocation granularity."""
        return Size(size).align_up(self.size_alignment)


@dataclass(frozen=True, slots=True)
class ProviderVersion:
    """Version of the provider plug-in and of the array software behind it."""

    provider: str
    provider_version: str
    array: str = ""
    array_version: str = ""
