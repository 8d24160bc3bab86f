"""The Nagios/Icinga plugin convention: exit status, one status line, perfdata.

The status line, ``|`` and the perfdata, e.g.
``STORPLAN CRITICAL - 1 critical: disk.failed on disk ssd02 (east) | 'pool ssd used'=41.2%;80;90``
(then ``;0;100``), followed by one line per finding (the plugin's long output).  Exit status
0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storplan.model.enums import Severity

from .findings import Finding, Measure, worst

__all__ = ["EXIT_STATUS", "exit_status", "health_document", "plugin_output"]

EXIT_STATUS = {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2, Severity.UNKNOWN: 3}


def exit_status(findings: Sequence[Finding]) -> int:
    """The plugin exit status of the worst finding."""
    return EXIT_STATUS[worst(findings)]


def health_document(findings: Sequence[Finding], measures: Sequence[Measure]) -> dict[str, Any]:
    """The JSON form of a health check (``storplan health -o json`` and the served API's
    ``/arrays/{array}/health``): the worst status, its plugin exit status, the findings worst
    first and the judged figures."""
    status = exit_status(findings)
    return {
        "status": ("ok", "warning", "critical", "unknown")[status],
        "exit_status": status,
        "findings": [f.to_dict() for f in findings],
        "perfdata": [
            {"label": m.label, "value": m.value, "unit": m.unit, "levels": m.levels}
            for m in measures
        ],
    }


def _label(text: str) -> str:
    """A perfdata label: quoted, its own quotes doubled, no ``=``."""
    return "'" + text.replace("'", "''").replace("=", "_") + "'"


def _perfdata(measures: Sequence[Measure]) -> str:
    parts = []
    for m in measures:
        bounds = ";0;100" if m.unit == "%" else ";0;"
        parts.append(f"{_label(m.label)}={m.value:.2f}{m.unit};{m.levels}{bounds}")
    return " ".join(parts)


def plugin_output(findings: Sequence[Finding], measures: Sequence[Measure]) -> str:
    """The whole plugin output (status line, perfdata, long output)."""
    state = worst(findings)
    counts = [
        f"{sum(f.severity is s for f in findings)} {s.value}"
        for s in (Severity.CRITICAL, Severity.UNKNOWN, Severity.WARNING)
        if any(f.severity is s for f in findings)
    ]
    first = findings[0] if findings else None
    summary = (
        f"{', '.join(counts)}: {first.code} on {first.kind.rstrip('s').replace('_', ' ')} "
        f"{first.name} ({first.array})"
        if first
        else "no conditions"
    )
    line = f"STORPLAN {state.value.upper()} - {summary}"
    perfdata = _perfdata(measures)
    lines = [f"{line} | {perfdata}" if perfdata else line]
    lines += [
        f"{f.severity.value.upper()}: {f.array} {f.kind} {f.name}: {f.code}: {f.message}"
        for f in findings
    ]
    return "\n".join(line.replace("|", "/") if i else line for i, line in enumerate(lines))
