"""Run the storplan benchmark suite and print a table of figures against their targets.

Usage (from the repository root, with the project's venv)::

    .venv/bin/python bench/run.py [--quick] [--json out.json] [--profile]

* ``--quick``: fewer repetitions (for a smoke run; the figures are noisier).
* ``--json PATH``: also write every figure, with all its samples, as JSON.
* ``--profile``: afterwards, print cProfile's top 10 functions (cumulative time) of the create
  loop and of ``observe()``, and the top 15 imports of ``storplan show systems --output json``.

The exit status is 0 whatever the figures are: benchmarks measure, they do not assert.
See bench/README.md for what each benchmark measures and how to read the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from common import Figure, format_table

REPO = Path(__file__).resolve().parent.parent


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--profile", action="store_true", help="print profiles afterwards")
    return parser.parse_args(argv)


def _environment() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load average": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": (commit or "unknown") + (" (with uncommitted changes)" if dirty else ""),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark; returns 0 (the verdicts are informational)."""
    args = _parse(argv)
    try:
        import storplan  # noqa: F401
    except ImportError:
        print("storplan is not importable: run with the project's venv", file=sys.stderr)
        return 1
    from creates import run_creates
    from exporter import run_exporter
    from fleet import run_fleet
    from observe import run_observe
    from plan_apply import run_apply_command, run_parallel_creates, run_plan
    from plan_command import run_noop, run_plan_command
    from startup import run_startup
    from validate import run_validate

    process_runs, create_reps, observe_runs = (10, 1, 3) if args.quick else (30, 3, 7)
    environment = _environment()
    with tempfile.TemporaryDirectory(prefix="storplan-bench-") as tmp:
        work = Path(tmp)
        figures: list[Figure] = []
        startup, venv, uri = run_startup(REPO, process_runs, str(work))
        figures += startup
        figures += run_noop(work, venv, process_runs // 2)
        figures.append(run_creates(work, create_reps))
        figures.append(run_observe(work, observe_runs))
        figures += run_exporter(work, observe_runs)
        figures += run_validate(work, create_reps, scale_check=not args.quick)
        figures += run_plan(work, create_reps, scale_check=not args.quick)
        figures += run_plan_command(work, venv, create_reps, scale_check=not args.quick)
        figures.append(run_apply_command(work, create_reps))
        figures.append(run_parallel_creates(work, create_reps))
        figures += run_fleet(work, 2 if args.quick else 5)

        print("storplan benchmarks" + (" (quick)" if args.quick else ""))
        print(", ".join(f"{k}: {v}" for k, v in environment.items()))
        print()
        print(format_table(figures))
        print()
        print("result: PASS = median within target; 'PASS (min only)' = only the fastest run")
        print("was; 'over xN' = the median is N times the target.  Timings are informational.")

        if args.json:
            record = {"environment": environment, "figures": [f.as_dict() for f in figures]}
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(record, indent=2) + "\n")
            print(f"\nwrote {args.json}")

        if args.profile:
            from profiling import profile_creates, profile_observe, profile_startup

            sections: list[tuple[str, Callable[[], str]]] = [
                (
                    "cProfile: 1,000 volume creates, top 10 by cumulative time",
                    partial(profile_creates, work),
                ),
                (
                    "cProfile: observe() of the large state, top 10 by cumulative time",
                    partial(profile_observe, work),
                ),
                (
                    "-X importtime: storplan show systems --output json",
                    partial(profile_startup, venv, uri, str(work)),
                ),
            ]
            for title, produce in sections:
                print(f"\n== {title}\n{produce()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
