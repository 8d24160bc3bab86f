"""Manifest loading: ``validate`` at 5,000, 50,000 and 100,000 volumes, and peak memory.

The manifest is generated per size: one array, 500 hosts with one IQN each, N thin volumes in
block style, each mapped to one host with its own LUN and keeping one snapshot (about 160
bytes of YAML per volume; 100,000 volumes are 16 MB in one file).  Each repetition times
``storplan.manifest.validate([path], offline=True)``: the strict YAML reader, defaults, the
JSON Schema check, building the typed specs and the semantic checks.  The first repetition at
5,000 also pays the imports.

Targets: 5,000 volumes <= 0.5 s; 50,000 <= 10x the 5,000 figure and a single 100,000-volume
file <= 20x it (linear scaling), both judged against the median measured in the same run.
Memory is measured in a fresh process (peak RSS of the child): loading 100,000 volumes from
one file.  Whole ``storplan plan`` commands are measured by plan_command.py.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from common import Figure, peak_rss

__all__ = ["VOLUMES", "run_validate", "write_manifest"]

VOLUMES = 5000
HOSTS = 500
TARGET = 0.5


def write_manifest(work: Path, volumes: int = VOLUMES) -> Path:
    """Write the benchmark manifest for ``volumes`` volumes and return its path."""
    lines = [
        "apiVersion: storplan.io/v1",
        "kind: StorageState",
        "arrays:",
        "  - name: big",
        "    provider: sim:///tmp/storplan-bench-unused.db",
        "    system: sim-array-1",
        "    pools: [{name: ssd}]",
        "    hosts:",
    ]
    lines += [
        f"      - {{name: host{h}, initiators: [iqn.2024-01.com.example:host{h}]}}"
        for h in range(HOSTS)
    ]
    lines.append("    volumes:")
    for v in range(volumes):
        lines += [
            f"      - name: vol{v:06d}",
            "        pool: ssd",
            "        size: 10GiB",
            "        thin: true",
            f"        mappings: [{{host: host{v % HOSTS}, lun: {v // HOSTS}}}]",
            "        snapshots: [{name: nightly}]",
        ]
    path = work / f"validate-{volumes}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _time(path: Path, repetitions: int) -> tuple[list[float], bool]:
    from storplan.manifest import validate

    samples: list[float] = []
    ok = False
    for _ in range(repetitions):
        start = time.perf_counter()
        result = validate([path], offline=True)
        samples.append(time.perf_counter() - start)
        ok = result.ok
    return samples, ok


def _status(code: int) -> str:
    meaning = {0: "ok", 1: "refused or invalid", 2: "changes pending, as planned"}
    return f"{code} ({meaning.get(code, 'failed')})"


def _load_memory(path: Path) -> tuple[float, float, int]:
    code = (
        "import sys; from storplan.manifest import validate; "
        "sys.exit(0 if validate([sys.argv[1]], offline=True).ok else 1)"
    )
    return peak_rss([sys.executable, "-c", code, str(path)])


def _verdict(value: float, target: float) -> str:
    return "PASS" if value <= target else f"over x{value / target:.2f}"


def run_validate(work: Path, repetitions: int, scale_check: bool = True) -> list[Figure]:
    """Time offline validation at 5,000 volumes and, with ``scale_check``, at 50,000 and
    100,000 (one file), and measure peak memory."""
    path = write_manifest(work, VOLUMES)
    samples, ok = _time(path, repetitions + 1)
    base = Figure(
        f"validate a {VOLUMES:,}-volume manifest (offline)",
        samples[1:] or samples,
        TARGET,
        {
            "valid": ok,
            "size": f"{path.stat().st_size / 1e6:.1f} MB",
            "first run (imports)": f"{samples[0]:.3f} s",
        },
    )
    figures = [base]
    if not scale_check:
        return figures
    for volumes, factor in ((50_000, 10), (100_000, 20)):
        big = write_manifest(work, volumes)
        big_samples, big_ok = _time(big, max(1, repetitions // 2))
        ratio = min(big_samples) / base.minimum
        details: dict[str, object] = {
            "valid": big_ok,
            "size": f"{big.stat().st_size / 1e6:.1f} MB",
            f"ratio to {VOLUMES:,} (min)": f"{ratio:.1f}x (target <= {factor}x)",
        }
        if volumes == 100_000:
            peak, wall, status = _load_memory(big)
            details["peak RSS, validate in a fresh process"] = (
                f"{peak:.0f} MB ({wall:.1f} s, exit {_status(status)})"
            )
        figures.append(
            Figure(
                f"validate {volumes:,} volumes, one file (target {factor}x the 5,000 median)",
                big_samples,
                factor * base.median,
                details,
            )
        )
        big.unlink()
    return figures


if __name__ == "__main__":  # a quick look at just these figures
    from common import format_table

    with tempfile.TemporaryDirectory(prefix="storplan-bench-") as tmp:
        print(format_table(run_validate(Path(tmp), int(os.environ.get("REPS", "3")))))
