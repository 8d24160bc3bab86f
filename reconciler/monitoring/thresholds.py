"""Capacity thresholds: what percentage (or ratio) of a pool or volume raises a condition.

Providers report figures (total, free, subscribed, metadata percent); storplan judges them
here, the same way for every array.  Defaults follow common practice: pools warn at 80 % and
are critical at 90 %; thin pool metadata warns at 75 % and is critical at 85 % (the alert
levels of openshift/lvm-operator: metadata exhaustion is the failure most often missed);
over-subscription is judged only when asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from storplan.errors import InvalidArgument
from storplan.model.enums import Severity

__all__ = ["THRESHOLD_HELP", "Threshold", "Thresholds", "parse_threshold"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """A warning and a critical level (``None``: that level is not judged)."""

    warning: float | None
    critical: float | None

    @property
    def judged(self) -> bool:
        """True when at least one level is set."""
        return self.warning is not None or self.critical is not None

    def judge(self, value: float) -> Severity | None:
        """The severity ``value`` reaches, or ``None`` below the warning level."""
        if self.critical is not None and value >= self.critical:
            return Severity.CRITICAL
        if self.warning is not None and value >= self.warning:
            return Severity.WARNING
        return None

    def perfdata(self) -> str:
        """``warn;crit`` as the Nagios perfdata fields (empty when not judged)."""
        return ";".join("" if v is None else f"{v:g}" for v in (self.warning, self.critical))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every threshold storplan judges (percentages, except ``oversubscription``: a ratio of
    subscribed to total capacity)."""

    pool_used: Threshold = Threshold(80.0, 90.0)
    thin_data: Threshold = Threshold(80.0, 90.0)
    thin_metadata: Threshold = Threshold(75.0, 85.0)
    oversubscription: Threshold = Threshold(None, None)
    volume_used: Threshold = Threshold(90.0, 95.0)

    def replace(self, changes: Mapping[str, Threshold]) -> Thresholds:
        """These thresholds with some replaced (names as the fields)."""
        return dataclasses.replace(self, **dict(changes))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], where: str = "monitoring") -> Thresholds:
        """Thresholds from ``{name: {warning: N, critical: N}}`` (a manifest's block)."""
        names = {f.name for f in dataclasses.fields(cls)}
        changes = {}
        for name, levels in data.items():
            if name not in names:
                raise InvalidArgument(
                    f"{where}: unknown threshold {name!r}",
                    hint=f"one of {', '.join(sorted(names))}",
                )
            changes[name] = Threshold(levels.get("warning"), levels.get("critical"))
        return cls().replace(changes)


THRESHOLD_HELP = {
    "pool_used": "used percent of a pool (pool.capacity)",
    "thin_data": "used data percent of a thin pool (pool.thin.data)",
    "thin_metadata": "used metadata percent of a thin pool (pool.thin.metadata)",
    "oversubscription": "subscribed / total capacity of a pool (pool.oversubscribed)",
    "volume_used": "used percent of a thin volume (volume.capacity)",
}


def parse_threshold(text: str) -> Threshold:
    """``WARN:CRIT`` (either may be empty: not judged), e.g. ``80:90`` or ``:95``."""
    warning, sep, critical = text.partition(":")
    try:
        levels = [float(v) if v.strip() else None for v in (warning, critical)]
    except ValueError:
        levels = []
    if not sep or len(levels) != 2:
        raise InvalidArgument(f"threshold {text!r} is not WARN:CRIT", hint="e.g. 80:90 or :95")
    if levels[0] is not None and levels[1] is not None and levels[0] > levels[1]:
        raise InvalidArgument(f"threshold {text!r}: the warning level is above the critical one")
    return Threshold(levels[0], levels[1])
