"""Fleet benchmarks (issue 20): many arrays in one command cost about what one array costs.

Every array is its own simulator file with ``latency=*:0.1`` (100 ms per call: connecting,
each observe, each operation), a pool ``ssd`` and, in the manifest, one new 1 GiB volume (the
"small change on each").  Per repetition, in turns so that a slow spell of the machine hits
both alike:

* ``storplan apply --yes`` of that manifest on 1 array, then on 50 (fresh files and state
  store each time; the files exist before timing, as arrays do);
* ``storplan plan --check`` of the converged arrays (the no-op drift check), 1 then 50.

Targets: the 50-array command within 1.5x the 1-array one, measured in the same run.  With
100 ms per call, one array's apply spends about 0.4 s waiting (connect, observe, create,
verify); run one after another, 50 would wait 20 s.
"""

from __future__ import annotations

import sys
from pathlib import Path

from common import Figure, timed_run

__all__ = ["run_fleet"]

LATENCY = "latency=*:0.1"
RATIO = 1.5


def _manifest(path: Path, files: list[Path]) -> None:
    lines = ["apiVersion: storplan.io/v1", "kind: StorageState", "arrays:"]
    for i, file in enumerate(files):
        lines += [
            f"  - name: a{i:02d}",
            f"    provider: sim://{file}?{LATENCY}",
            "    system: sim-array-1",
            "    pools: [{name: ssd}]",
            "    volumes: [{name: small-change, pool: ssd, size: 1GiB}]",
        ]
    path.write_text("\n".join(lines) + "\n")


def _fresh(work: Path, label: str, count: int) -> tuple[Path, Path]:
    """A new fleet of ``count`` seeded simulator files, its manifest and a state store path."""
    from storplan.providers.sim import SimProvider
    from storplan.uri import parse_uri

    folder = work / label
    folder.mkdir(parents=True)
    files = [folder / f"a{i:02d}.db" for i in range(count)]
    for file in files:
        SimProvider(parse_uri(f"sim://{file}")).close()  # seeded now, untimed
    _manifest(folder / "fleet.yaml", files)
    return folder / "fleet.yaml", folder / "state.db"


def run_fleet(work: Path, runs: int, fleet: int = 50) -> list[Figure]:
    """Apply and no-op plan of ``fleet`` arrays against one array, side by side."""
    exe = str(Path(sys.executable).with_name("storplan"))
    applies: dict[int, list[float]] = {1: [], fleet: []}
    plans: dict[int, list[float]] = {1: [], fleet: []}
    for rep in range(runs):
        for count in (1, fleet):
            manifest, state = _fresh(work / "fleet", f"r{rep}-n{count}", count)
            applies[count].append(
                timed_run([exe, "apply", "--yes", "--state", str(state), str(manifest)], (0,))
            )
            plans[count].append(
                timed_run([exe, "plan", "--check", "--state", str(state), str(manifest)], (0,))
            )
    one_apply = Figure("fleet: apply, 1 array, 100 ms/call (whole command)", applies[1])
    one_plan = Figure("fleet: no-op plan --check, 1 array, 100 ms/call", plans[1])
    details = {"arrays": fleet, "target": f"<= {RATIO}x the 1-array median of this run"}
    return [
        one_apply,
        Figure(
            f"fleet: apply, {fleet} arrays, 100 ms/call (whole command)",
            applies[fleet],
            RATIO * one_apply.median,
            {**details, "ratio to 1 array (median)": round(_ratio(applies), 2)},
        ),
        one_plan,
        Figure(
            f"fleet: no-op plan --check, {fleet} arrays, 100 ms/call",
            plans[fleet],
            RATIO * one_plan.median,
            {**details, "ratio to 1 array (median)": round(_ratio(plans), 2)},
        ),
    ]


def _ratio(samples: dict[int, list[float]]) -> float:
    import statistics

    one, many = (statistics.median(samples[n]) for n in sorted(samples))
    return many / one
