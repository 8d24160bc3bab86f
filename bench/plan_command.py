"""Whole ``storplan plan`` commands as a user runs them (issue 14).

* **No-op drift check** (the command storplan runs most: cron jobs and CI pipelines on
  arrays that already match): 1,000 volumes, 100 hosts, 1,000 mappings, converged.  Timed
  side by side, round-robin: ``python -c pass`` (the floor), ``storplan show volumes -o json``
  of the array and ``storplan plan --check`` of its manifest (11 files).  Target: the plan
  within 1.0x ``show volumes`` of the same run — reading and diffing the manifest must cost
  less than printing the volumes.  (The comparison with libstoragemgmt's list-and-compare
  loop, which this proxies, is run outside the project: lsm is not packaged for Debian.)
* **Plan at scale**: ``storplan plan --check`` of 10,000 volumes / 2,000 hosts / 20,000
  mappings with 1 % grown (target 1.5 s), and of 10x that (target 11x the 10k median of the
  same run) with its peak RSS (target 350 MB, GNU time's figure for the child).

Both use the non-editable bench venv of startup.py, so the figures include what an installed
command pays.
"""

from __future__ import annotations

import os
from pathlib import Path

from common import Figure, peak_rss, timed_run
from fixtures import build_sim, write_manifest_files
from startup import BenchVenv, clean_env, time_interleaved

__all__ = ["run_noop", "run_plan_command"]

NOOP = (1000, 100, 1)  # volumes, hosts, mappings per volume
PLAN_TARGET = 1.5
SCALE_FACTOR = 11
MEMORY_TARGET_MB = 350


def _array(work: Path, volumes: int, hosts: int, maps: int, grown: int) -> tuple[str, Path]:
    """A sim file holding the state and a folder with its manifest; returns (URI, folder)."""
    db = work / f"plan-{volumes}.db"
    build_sim(db, volumes, hosts, maps)
    uri = f"sim://{db}"
    folder = write_manifest_files(work / f"plan-{volumes}", uri, volumes, hosts, maps, grown)
    return uri, folder


def run_noop(work: Path, venv: BenchVenv, runs: int) -> list[Figure]:
    """The converged no-op drift check against ``show volumes -o json``, side by side."""
    volumes, hosts, maps = NOOP
    uri, folder = _array(work, volumes, hosts, maps, grown=0)
    exe, state = str(venv.storplan), str(work / "noop-state.db")
    floor, show, plan = time_interleaved(
        [
            [str(venv.python), "-c", "pass"],
            [exe, "-u", uri, "show", "volumes", "-o", "json"],
            [exe, "plan", "--check", "--state", state, str(folder)],
        ],
        runs,
        str(work),
    )
    shown = Figure(f"storplan show volumes -o json, {volumes:,} volumes", show)
    checked = Figure(
        f"no-op plan --check, {volumes:,} vols / {hosts} hosts / {volumes * maps:,} maps",
        plan,
        shown.median,
        {"target": "<= 1.0x show volumes (median, this run)"},
    )
    checked.details["ratio"] = f"{checked.median / shown.median:.2f}x"
    return [Figure("python -c pass (floor of both)", floor), shown, checked]


def run_plan_command(work: Path, venv: BenchVenv, runs: int, scale_check: bool) -> list[Figure]:
    """Whole ``plan --check`` at 10k volumes and, with ``scale_check``, at 100k (with RSS)."""
    exe, env = str(venv.storplan), clean_env()
    env["STORPLAN_STATE"] = str(work / "plan-state.db")
    figures: list[Figure] = []
    base: Figure | None = None
    sizes = (10_000, 100_000) if scale_check else (10_000,)
    for volumes in sizes:
        _, folder = _array(work, volumes, volumes // 5, 2, grown=volumes // 100)
        argv = [exe, "plan", "--check", str(folder)]
        name = f"storplan plan --check, {volumes:,} vols / {volumes // 5:,} hosts / 1% grown"
        if base is None:
            timed_run(argv, ok=(2,), env=env)  # warm: byte code, page cache
            samples = [timed_run(argv, ok=(2,), env=env) for _ in range(runs)]
            base = Figure(name, samples, PLAN_TARGET, {"mappings": f"{volumes * 2:,}"})
            figures.append(base)
            continue
        peak, wall, status = peak_rss(argv, env)
        verdict = "PASS" if peak <= MEMORY_TARGET_MB else f"over x{peak / MEMORY_TARGET_MB:.2f}"
        figures.append(
            Figure(
                name,
                [wall],
                SCALE_FACTOR * base.median,
                {
                    "ratio to 10k (median)": f"{wall / base.median:.1f}x "
                    f"(target <= {SCALE_FACTOR}x)",
                    "peak RSS": f"{peak:.0f} MB (target <= {MEMORY_TARGET_MB} MB: {verdict})",
                    "exit status": status,
                },
            )
        )
        for old in folder.iterdir():
            old.unlink()
        os.rmdir(folder)
    return figures
