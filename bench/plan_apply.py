"""Plan and apply benchmarks (issue 4).

* plan: a sim system with N volumes (1 GiB, thin, pool ``ssd``), N/5 hosts with one IQN each
  and 2 mappings per volume, against a manifest describing exactly that with 1 % of the volumes
  grown.  The manifest is built as spec objects (its YAML reading is measured by
  ``validate.py``); the figure is ``make_plan`` (observe once, diff, check, order).  Run at
  N = 10,000 and, unless ``--quick``, at 10x that to check the scaling (target <= 11x).
* apply of a 1,000-volume manifest onto an empty pool, verified, as a whole command
  (``storplan apply --yes`` in a subprocess, YAML reading included).
* 200 independent creates with sim latency 50 ms and parallelism 16: the executor's wall
  time for the actions (target <= 1.1 x ceil(200/16) x 50 ms).
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from pathlib import Path

from common import Figure
from fixtures import build_sim

__all__ = ["run_apply_command", "run_parallel_creates", "run_plan"]

_GIB = 1 << 30


def _build(path: Path, volumes: int) -> None:
    """A sim file with ``volumes`` volumes on sim-array-1/ssd, a host per 5 volumes and 2
    mappings per volume (:func:`fixtures.build_sim`)."""
    build_sim(path, volumes, max(1, volumes // 5), 2)


def _manifest(uri: str, volumes: int) -> object:
    from storplan.identifiers import InitiatorKind
    from storplan.manifest.spec import (
        ArraySpec,
        HostSpec,
        InitiatorSpec,
        Manifest,
        MappingSpec,
        PoolSpec,
        VolumeSpec,
    )
    from storplan.size import Size

    hosts = max(1, volumes // 5)
    changed = max(1, volumes // 100)
    return Manifest(
        "bench",
        (
            ArraySpec(
                "a",
                uri,
                system="sim-array-1",
                pools=(PoolSpec("ssd"),),
                hosts=tuple(
                    HostSpec(
                        f"h{h:05d}",
                        (InitiatorSpec(f"iqn.2024-01.com.example:h{h:05d}", InitiatorKind.ISCSI),),
                    )
                    for h in range(hosts)
                ),
                volumes=tuple(
                    VolumeSpec(
                        f"v{v:06d}",
                        "ssd",
                        Size(_GIB * (2 if v < changed else 1)),
                        mappings=tuple(
                            MappingSpec(f"h{(v + k) % hosts:05d}", v // hosts * 2 + k)
                            for k in range(2)
                        ),
                    )
                    for v in range(volumes)
                ),
            ),
        ),
    )


def _plan_once(work: Path, volumes: int, runs: int) -> tuple[list[float], int]:
    from storplan.manifest.loader import connect_array
    from storplan.plan import make_plan

    path = work / f"plan-{volumes}.db"
    _build(path, volumes)
    manifest = _manifest(f"sim://{path}", volumes)
    samples, count = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        plan = make_plan(manifest, connect_array)  # type: ignore[arg-type]
        samples.append(time.perf_counter() - start)
        count = len(plan.actions)
    return samples, count


def run_plan(work: Path, runs: int, scale_check: bool) -> list[Figure]:
    base, actions = _plan_once(work, 10_000, runs)
    figures = [
        Figure(
            "plan 10k volumes / 2k hosts / 20k maps, 1% changed", base, 1.0, {"actions": actions}
        )
    ]
    if scale_check:
        big, big_actions = _plan_once(work, 100_000, max(1, runs // 2))
        ratio = min(big) / min(base)
        figures.append(
            Figure(
                "plan at 10x size (100k volumes)",
                big,
                11 * min(base),
                {"actions": big_actions, "ratio to 10k (min)": f"{ratio:.1f}x (target <= 11x)"},
            )
        )
    return figures


def run_apply_command(work: Path, runs: int) -> Figure:
    """``storplan apply --yes`` of 1,000 volumes onto an empty pool, whole process."""
    exe = str(Path(sys.executable).with_name("storplan"))
    samples = []
    for rep in range(runs):
        db, state, manifest = (
            work / f"apply-{rep}.db",
            work / f"state-{rep}.db",
            work / f"apply-{rep}.yaml",
        )
        for old in (db, state):
            old.unlink(missing_ok=True)
        lines = [
            "apiVersion: storplan.io/v1",
            "kind: StorageState",
            "arrays:",
            "  - name: a",
            f"    provider: sim://{db}",
            "    system: sim-array-1",
            "    pools: [{name: ssd}]",
            "    volumes:",
        ]
        lines += [f"      - {{name: v{v:04d}, pool: ssd, size: 1GiB}}" for v in range(1000)]
        manifest.write_text("\n".join(lines) + "\n")
        subprocess.run(
            [exe, "--uri", f"sim://{db}", "show", "systems"], check=True, capture_output=True
        )  # the sim file exists before timing, as on an array
        start = time.perf_counter()
        done = subprocess.run(
            [exe, "apply", "--yes", "--state", str(state), str(manifest)],
            capture_output=True,
            text=True,
        )
        samples.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-2000:])
    return Figure("apply 1,000-volume manifest (whole command)", samples, 1.2)


def run_parallel_creates(work: Path, runs: int) -> Figure:
    """The executor's wall time for 200 independent creates at 50 ms latency, parallelism 16."""
    from storplan.apply.executor import Executor
    from storplan.catalogue import OPERATIONS
    from storplan.plan.actions import Action
    from storplan.plan.view import ArrayView
    from storplan.session import connect
    from storplan.state import open_store

    samples = []
    for rep in range(runs):
        db = work / f"parallel-{rep}.db"
        db.unlink(missing_ok=True)
        store = open_store(str(work / f"parallel-state-{rep}.db"))
        with connect(f"sim://{db}?latency=create_volume:0.05") as session:
            view = ArrayView(session.observe(), "sim-array-1")
            actions = [
                Action(
                    f"a/volume/p{i:03d}/create_volume",
                    "a",
                    OPERATIONS["create_volume"],
                    params={"volume": f"p{i:03d}", "pool": "ssd", "size": _GIB, "thin": True},
                )
                for i in range(200)
            ]
            executor = Executor(session, view, store, "bench", "bench", parallelism=16)
            start = time.perf_counter()
            results = executor.run(actions)
            samples.append(time.perf_counter() - start)
            assert all(r.state == "done" for r in results)
        store.close()
    target = 1.1 * math.ceil(200 / 16) * 0.05
    return Figure(
        "200 creates, 50 ms latency, parallelism 16",
        samples,
        target,
        {"ideal": f"{math.ceil(200 / 16) * 0.05:.3f} s"},
    )
