"""Validating a 5,000-volume manifest (``storplan validate --offline`` through the API).

The manifest is generated once per run: one array, 500 hosts with one IQN each, 5,000 thin
volumes in block style, each mapped to one host with its own LUN and keeping one snapshot.
Each repetition times ``storplan.manifest.validate([path], offline=True)``: the strict YAML
reader, defaults, the JSON Schema check, building the typed specs and the semantic checks.
The first repetition also pays the schema compilation (fastjsonschema) and imports.
"""

from __future__ import annotations

import time
from pathlib import Path

from common import Figure

__all__ = ["VOLUMES", "run_validate", "write_manifest"]

VOLUMES = 5000
HOSTS = 500
TARGET = 0.5


def write_manifest(work: Path, volumes: int = VOLUMES) -> Path:
    """Write the benchmark manifest and return its path."""
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
            f"      - name: vol{v:05d}",
            "        pool: ssd",
            "        size: 10GiB",
            "        thin: true",
            f"        mappings: [{{host: host{v % HOSTS}, lun: {v // HOSTS}}}]",
            "        snapshots: [{name: nightly}]",
        ]
    path = work / "validate-5000.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_validate(work: Path, repetitions: int) -> Figure:
    """Time offline validation of the generated manifest."""
    from storplan.manifest import validate

    path = write_manifest(work)
    samples: list[float] = []
    ok = False
    for _ in range(repetitions):
        start = time.perf_counter()
        result = validate([path], offline=True)
        samples.append(time.perf_counter() - start)
        ok = result.ok
    return Figure(
        f"validate a {VOLUMES}-volume manifest (offline)",
        samples,
        TARGET,
        {
            "valid": ok,
            "size": f"{path.stat().st_size / 1e6:.1f} MB",
            "first run (compiles the schema)": f"{samples[0]:.3f} s",
        },
    )
