"""Observations as Prometheus text exposition (format 0.0.4).

Written here rather than through ``prometheus_client``: the exporter renders one snapshot per
interval from data it already holds, which is a loop over families, while the client's model
(a registry of live metric objects, or a custom collector yielding metric families) adds a
dependency and its import time for the same text.  Names follow Prometheus conventions:
a ``storplan_`` prefix, base units in the name (``_bytes``, ``_seconds``, ``_ratio``),
counters end in ``_total``, and a failed observation is ``storplan_up 0`` plus
``storplan_scrape_errors_total``, never an HTTP error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from storplan.model.enums import Health, LinkState, Severity

from .findings import worst
from .nagios import EXIT_STATUS
from .probe import Observation

__all__ = ["CONTENT_TYPE", "COUNTERS", "Families", "names", "render"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

COUNTERS = (
    ("read_ops", "read operations"),
    ("write_ops", "write operations"),
    ("read_bytes", "bytes read"),
    ("write_bytes", "bytes written"),
    ("busy_seconds", "seconds spent serving I/O"),
    ("cache_read_hits", "reads served from cache"),
    ("ops", "commands of any kind"),
)
"""The counter fields of :class:`~storplan.model.Counters` and what they count."""

_HEALTH = {Health.OK: 0, Health.DEGRADED: 1, Health.ERROR: 2, Health.UNKNOWN: 3}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return repr(float(value)) if isinstance(value, float) else str(int(value))


class Families:
    """Metric families in the order they were declared, each with its samples."""

    def __init__(self) -> None:
        self._families: dict[str, tuple[str, str, list[str]]] = {}

    def add(
        self, name: str, kind: str, help_: str, labels: Mapping[str, str], value: float
    ) -> None:
        """One sample of family ``name`` (``kind`` is ``gauge`` or ``counter``)."""
        family = self._families.setdefault(name, (kind, help_, []))
        text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        family[2].append(f"{name}{{{text}}} {_number(value)}")

    def text(self) -> str:
        """The exposition text (every family with its HELP and TYPE)."""
        out: list[str] = []
        for name, (kind, help_, samples) in self._families.items():
            out += [f"# HELP {name} {help_}", f"# TYPE {name} {kind}", *samples]
        return "\n".join(out) + "\n"


def _capacity(m: Families, array: str, state: Any) -> None:
    for pool in state.pools:
        labels = {"array": array, "pool": pool.name, "id": pool.id, "system": pool.system_id}
        m.add("storplan_pool_size_bytes", "gauge", "Total capacity of a pool.", labels, pool.total)
        m.add("storplan_pool_free_bytes", "gauge", "Free capacity of a pool.", labels, pool.free)
        m.add(
            "storplan_pool_subscribed_bytes",
            "gauge",
            "Capacity promised to the pool's volumes and file systems (thin included).",
            labels,
            pool.subscribed,
        )
        if pool.metadata_percent is not None:
            m.add(
                "storplan_pool_metadata_used_ratio",
                "gauge",
                "Used fraction of a thin pool's metadata.",
                labels,
                pool.metadata_percent / 100,
            )
        m.add(
            "storplan_pool_health",
            "gauge",
            "Pool health (0 ok, 1 degraded, 2 error, 3 unknown).",
            labels,
            _HEALTH[pool.health],
        )
    pools = {p.id: p.name for p in state.pools}
    for volume in state.volumes:
        labels = {
            "array": array,
            "volume": volume.name,
            "id": volume.id,
            "pool": pools.get(volume.pool_id, volume.pool_id),
        }
        m.add("storplan_volume_size_bytes", "gauge", "Size of a volume.", labels, volume.size)
        m.add(
            "storplan_volume_used_bytes",
            "gauge",
            "Allocated capacity of a volume.",
            labels,
            volume.used,
        )
    for disk in state.disks:
        labels = {"array": array, "disk": disk.name, "id": disk.id, "system": disk.system_id}
        m.add(
            "storplan_disk_health",
            "gauge",
            "Disk health (0 ok, 1 degraded, 2 error, 3 unknown).",
            labels,
            _HEALTH[disk.health],
        )
    for port in state.target_ports:
        labels = {"array": array, "id": port.id, "address": port.address, "portal": port.portal}
        m.add(
            "storplan_target_port_up",
            "gauge",
            "1 when a target port's link is up.",
            labels,
            int(port.link is LinkState.UP),
        )


def _statistics(m: Families, array: str, observation: Observation) -> None:
    stats = observation.statistics
    if stats is None:
        return
    for c in stats.counters:
        labels = {"array": array, "id": c.object_id}
        for field, what in COUNTERS:
            value = getattr(c, field)
            if value is not None:
                m.add(
                    f"storplan_{c.kind}_{field}_total",
                    "counter",
                    f"{what.capitalize()} of a {c.kind.replace('_', ' ')}.",
                    labels,
                    value,
                )


def _conditions(m: Families, observation: Observation) -> None:
    array = observation.array
    m.add(
        "storplan_health_status",
        "gauge",
        "Worst condition of the array (0 ok, 1 warning, 2 critical, 3 unknown).",
        {"array": array},
        EXIT_STATUS[worst(observation.findings)],
    )
    for severity in Severity:
        count = sum(f.severity is severity for f in observation.findings)
        m.add(
            "storplan_conditions",
            "gauge",
            "Active conditions by severity.",
            {"array": array, "severity": severity.value},
            count,
        )
    for f in observation.findings:
        labels = {
            "array": array,
            "code": f.code,
            "severity": f.severity.value,
            "kind": f.kind,
            "id": f.object_id,
            "name": f.name,
            "component": f.component,
        }
        m.add(
            "storplan_condition",
            "gauge",
            "An active condition (code from the catalogue in docs/monitoring.md).",
            labels,
            1,
        )
        if f.percent is not None:
            m.add(
                "storplan_condition_progress_ratio",
                "gauge",
                "Progress of a condition that ends by itself (a RAID rebuild).",
                labels,
                f.percent / 100,
            )


def render(observations: Sequence[Observation], errors: Mapping[str, int]) -> str:
    """The exposition of one round of observations (``errors``: failed rounds so far)."""
    m = Families()
    for o in observations:
        m.add(
            "storplan_up", "gauge", "1 when the array was observed.", {"array": o.array}, int(o.up)
        )
        m.add(
            "storplan_scrape_duration_seconds",
            "gauge",
            "Seconds the observation took.",
            {"array": o.array},
            round(o.duration, 6),
        )
        m.add(
            "storplan_scrape_errors_total",
            "counter",
            "Observations of the array that failed.",
            {"array": o.array},
            errors.get(o.array, 0),
        )
        m.add(
            "storplan_scrape_timestamp_seconds",
            "gauge",
            "When the observation was taken.",
            {"array": o.array},
            round(o.time, 3),
        )
    for o in observations:
        _conditions(m, o)
        if o.state is not None:
            _capacity(m, o.array, o.state)
        _statistics(m, o.array, o)
    return m.text()


def names(text: str) -> Iterable[str]:
    """The metric family names of an exposition (for tests and docs)."""
    return (line.split()[2] for line in text.splitlines() if line.startswith("# TYPE "))
