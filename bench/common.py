"""Shared pieces of the benchmark suite: one measured figure, summary statistics, the table.

A :class:`Figure` is one line of the report: what was measured, the minimum and median of its
repetitions, the target it is compared with and free-form details (object counts, checks).
Benchmarks measure; they never assert.  The verdict is informational only.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Figure", "format_table", "repeat", "summarize"]


@dataclass
class Figure:
    """One benchmark result, in seconds."""

    name: str
    samples: list[float]
    target: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def minimum(self) -> float:
        """The fastest repetition: the run least disturbed by the rest of the machine."""
        return min(self.samples)

    @property
    def median(self) -> float:
        """The typical repetition: what a user would usually see."""
        return statistics.median(self.samples)

    @property
    def verdict(self) -> str:
        """``PASS`` (median within target), ``PASS (min only)`` or ``over``; ``-`` if no target."""
        if self.target is None:
            return "-"
        if self.median <= self.target:
            return "PASS"
        if self.minimum <= self.target:
            return "PASS (min only)"
        return f"over x{self.median / self.target:.1f}"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record (samples included, so other statistics can be derived later)."""
        record = asdict(self)
        record.update(minimum=self.minimum, median=self.median, verdict=self.verdict)
        return record


def summarize(samples: list[float]) -> tuple[float, float]:
    """``(min, median)`` of a list of timings."""
    return min(samples), statistics.median(samples)


def repeat(action: Callable[[], object], runs: int, warmup: int = 0) -> list[float]:
    """Time ``action`` ``runs`` times (after ``warmup`` untimed calls) with a monotonic clock."""
    for _ in range(warmup):
        action()
    samples: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def _seconds(value: float) -> str:
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


def format_table(figures: list[Figure]) -> str:
    """The human report: one line per figure, then its details indented below it."""
    header = ("benchmark", "min", "median", "runs", "target", "result")
    rows = [
        (
            f.name,
            _seconds(f.minimum),
            _seconds(f.median),
            str(len(f.samples)),
            "-" if f.target is None else f"<= {_seconds(f.target)}",
            f.verdict,
        )
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    aligned = [0, 1, 1, 1, 1, 0]  # 1: right-aligned (numbers)

    def line(cells: tuple[str, ...]) -> str:
        parts = [
            c.rjust(w) if right else c.ljust(w)
            for c, w, right in zip(cells, widths, aligned, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    for figure, row in zip(figures, rows, strict=True):
        out.append(line(row))
        for key, value in figure.details.items():
            out.append(f"    {key}: {value}")
    return "\n".join(out)
