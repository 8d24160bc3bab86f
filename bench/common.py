"""Shared pieces of the benchmark suite: one measured figure, summary statistics, the table.

A :class:`Figure` is one line of the report: what was measured, the minimum and median of its
repetitions, the target it is compared with and free-form details (object counts, checks).
Benchmarks measure; they never assert.  The verdict is informational only.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Figure", "format_table", "peak_rss", "repeat", "summarize", "timed_run"]


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


_TIME = "/usr/bin/time"  # GNU time: measures from a small process of its own


def peak_rss(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """``(peak RSS in MB, wall seconds, exit status)`` of one child process.

    Measured by GNU time when it is there: a child forked from this (large) benchmark
    process would count the parent's pages in its ``ru_maxrss``.  Else ``wait4``'s figure
    for that one child, which can only be too high, never too low.
    """
    start = time.perf_counter()
    report = Path(tempfile.mkstemp(prefix="storplan-bench-rss-")[1])
    timed = [_TIME, "-f", "%M", "-o", str(report), *argv] if os.path.exists(_TIME) else argv
    child = subprocess.Popen(
        timed,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    wall = time.perf_counter() - start
    lines = report.read_text().split() if timed is not argv else []
    report.unlink()
    kilobytes = int(lines[-1]) if lines and lines[-1].isdigit() else usage.ru_maxrss
    return kilobytes / 1024, wall, child.returncode


def timed_run(
    argv: list[str],
    ok: tuple[int, ...] = (0,),
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> float:
    """Wall seconds of one whole process (stdout and stderr piped, no stdin), as a shell
    would pay it; raises when its exit status is not in ``ok``."""
    start = time.perf_counter()
    done = subprocess.run(
        argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, cwd=cwd, env=env
    )
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return elapsed


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
