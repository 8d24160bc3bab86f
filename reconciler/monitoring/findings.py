"""Findings: every condition of one observation, flattened, judged and sorted worst first.

A finding is a condition with the object it concerns (kind, id, name) and the array it was
seen on.  Findings come from three places, all of them figures or codes, never text: the
conditions providers attach to objects, the capacity figures judged by
:mod:`.thresholds`, and failed jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storplan.model.enums import JobState, Kind, Provisioning, Severity

from .conditions import default_severity

if TYPE_CHECKING:
    from storplan.model import Job, State

    from .thresholds import Thresholds

__all__ = ["RANK", "Finding", "Measure", "findings_of", "sort", "worst"]

RANK = {Severity.OK: 0, Severity.WARNING: 1, Severity.UNKNOWN: 2, Severity.CRITICAL: 3}
"""Worst-first order, as Icinga sorts states: critical, unknown, warning, ok."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One condition of one object of one array."""

    array: str
    kind: str  # a Kind value, "arrays" (the array itself) or "jobs"
    object_id: str
    name: str
    code: str
    severity: Severity
    message: str
    since: str = ""
    percent: int | None = None
    component: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """What identifies the condition across observations (a change of message or
        percent is the same condition progressing)."""
        return (self.array, self.kind, self.object_id, self.code, self.component)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for ``health -o json`` and ``watch`` events."""
        return {
            "array": self.array,
            "kind": self.kind,
            "object_id": self.object_id,
            "name": self.name,
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "since": self.since,
            "percent": self.percent,
            "component": self.component,
        }


@dataclass(frozen=True, slots=True)
class Measure:
    """A judged figure (Nagios perfdata): ``label=value%;warn;crit;min;max``."""

    label: str
    value: float
    unit: str
    levels: str  # "warn;crit"


_CONDITION_KINDS = (
    Kind.SYSTEMS,
    Kind.POOLS,
    Kind.DISKS,
    Kind.VOLUMES,
    Kind.TARGET_PORTS,
    Kind.ACCESS_GROUPS,
    Kind.REPLICAS,
    Kind.FILESYSTEMS,
)


def _conditions(array: str, state: State) -> Iterable[Finding]:
    for kind in _CONDITION_KINDS:
        for obj in state.of(kind):
            for c in getattr(obj, "conditions", ()):
                severity = Severity(c.severity) if c.severity else default_severity(c.code)
                name = getattr(obj, "name", "") or obj.id
                yield Finding(
                    array, kind.value, obj.id, name, c.code, severity, c.message,
                    c.since, c.percent, c.component,
                )  # fmt: skip


def _pools(
    array: str, state: State, limits: Thresholds, measures: list[Measure]
) -> Iterable[Finding]:
    for pool in state.pools:
        if pool.total <= 0:
            continue
        used = 100.0 * (pool.total - pool.free) / pool.total
        thin_only = Provisioning.THICK not in pool.provisioning
        code, threshold = (
            ("pool.thin.data", limits.thin_data)
            if thin_only
            else ("pool.capacity", limits.pool_used)
        )
        figures = [(code, threshold, used, f"{used:.1f} % used", f"pool {pool.name} used", "%")]
        if pool.metadata_percent is not None:
            figures.append(
                (
                    "pool.thin.metadata",
                    limits.thin_metadata,
                    pool.metadata_percent,
                    f"metadata {pool.metadata_percent:.1f} % used",
                    f"pool {pool.name} metadata",
                    "%",
                )
            )
        if pool.subscribed and limits.oversubscription.judged:
            ratio = pool.subscribed / pool.total
            figures.append(
                (
                    "pool.oversubscribed",
                    limits.oversubscription,
                    ratio,
                    f"{ratio:.2f} times its size subscribed",
                    f"pool {pool.name} subscribed",
                    "",
                )
            )
        for code_, threshold_, value, text, label, unit in figures:
            measures.append(Measure(label, value, unit, threshold_.perfdata()))
            severity = threshold_.judge(value)
            if severity is not None:
                message = f"pool {pool.name}: {text}"
                yield Finding(array, "pools", pool.id, pool.name, code_, severity, message)


def _volumes(array: str, state: State, limits: Thresholds) -> Iterable[Finding]:
    for volume in state.volumes:
        if not volume.thin or volume.size <= 0:
            continue
        used = 100.0 * volume.used / volume.size
        severity = limits.volume_used.judge(used)
        if severity is not None:
            message = f"volume {volume.name}: {used:.1f} % used"
            yield Finding(
                array, "volumes", volume.id, volume.name, "volume.capacity", severity, message
            )


def _jobs(array: str, jobs: Sequence[Job[Any]]) -> Iterable[Finding]:
    for job in jobs:
        if job.state is JobState.FAILED:
            why = job.error.message if job.error else "failed"
            yield Finding(
                array, "jobs", job.id, job.operation, "job.failed", Severity.WARNING,
                f"job {job.id} ({job.operation}) failed: {why}",
            )  # fmt: skip


def findings_of(
    array: str,
    state: State,
    thresholds: Thresholds,
    jobs: Sequence[Job[Any]] = (),
    measures: list[Measure] | None = None,
) -> list[Finding]:
    """Every finding of one observation, worst first (``measures`` collects the judged
    figures, for perfdata)."""
    found = [*_conditions(array, state)]
    found += _pools(array, state, thresholds, [] if measures is None else measures)
    found += _volumes(array, state, thresholds)
    found += _jobs(array, jobs)
    return sort(found)


def sort(findings: Iterable[Finding]) -> list[Finding]:
    """Worst first, then by array, kind, object and code (stable output)."""
    return sorted(findings, key=lambda f: (-RANK[f.severity], f.array, f.kind, f.object_id, f.code))


def worst(findings: Iterable[Finding]) -> Severity:
    """The worst severity among ``findings`` (``ok`` when there are none)."""
    return max((f.severity for f in findings), key=RANK.__getitem__, default=Severity.OK)
