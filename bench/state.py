"""State-store benchmarks (issue 16): lock acquisition latency and the cost of one journal
step, on the SQLite file and on PostgreSQL, side by side.

Usage (from the repository root, with the project's venv)::

    .venv/bin/python bench/state.py [--quick] [--no-fsync] [--url postgresql://...]

Without ``--url`` a throwaway PostgreSQL 15 cluster is started for the run (tests/pgserver.py:
initdb in /tmp, Unix socket, ``fsync`` on as on a real server; as root it runs as ``postgres``).
``--url`` measures a real server instead (give it an empty database).  Per backend:

* **lock**: ``acquire`` + ``release`` of one array identity's lock by a store that is already
  open (PostgreSQL: ``pg_try_advisory_lock`` and the holder row in the lock session, then the
  row's delete and ``pg_advisory_unlock``; SQLite: a ``BEGIN IMMEDIATE`` transaction each);
* **step**: one ``step()`` of a running apply with its ownership change, under the lock (one
  transaction: the fencing check, the journal row, the ownership row).

Each figure is the time of one operation (the median over a batch, repeated); the details give
the PostgreSQL/SQLite ratio.  Exits 0 whatever the figures are.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from common import Figure, format_table

REPO = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def _postgres(url: str | None, fsync: bool) -> Iterator[str]:
    if url:
        yield url
        return
    sys.path.insert(0, str(REPO / "tests"))
    import shutil

    from pgserver import PgServer

    root = Path(tempfile.mkdtemp(prefix="storplan-bench-pg-"))
    server = PgServer(root, fsync=fsync)  # on by default: as a real server commits
    server.init()
    server.start()
    try:
        yield server.url(server.create_database("bench"))
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _per_op(action: object, count: int, batches: int) -> list[float]:
    """``batches`` samples, each the mean time of ``count`` calls of ``action``."""
    samples = []
    for _ in range(batches):
        start = time.perf_counter()
        for n in range(count):
            action(n)  # type: ignore[operator]
        samples.append((time.perf_counter() - start) / count)
    return samples


def _measure(location: str, count: int, batches: int) -> dict[str, list[float]]:
    from storplan.state import Ownership, open_store

    with open_store(location) as store:

        def lock(_: int) -> None:
            store.release(store.acquire("bench-array"))

        lock(0)  # warm: the lock session, prepared statements
        locks = _per_op(lock, count, batches)
        held = store.acquire("bench-array")
        apply_id = store.begin_apply("bench.yaml", [("a", "bench-array#sys")], "bench")
        store.attach(held, apply_id)

        def step(n: int) -> None:
            store.step(apply_id, f"a/volume/v{n}/create_volume", "done", array_key=
                       "bench-array#sys", ownership=Ownership("add", f"volume:v{n}"))  # fmt: skip

        step(-1)
        steps = _per_op(step, count, batches)
        store.end_apply(apply_id, "ok")
        store.release(held)
    return {"lock": locks, "step": steps}


def run_state(url: str | None, quick: bool, fsync: bool = True) -> list[Figure]:
    """The four figures (lock and step on each backend)."""
    count, batches = (50, 3) if quick else (200, 7)
    with tempfile.TemporaryDirectory(prefix="storplan-bench-") as tmp, _postgres(url, fsync) as pg:
        sqlite = _measure(str(Path(tmp) / "state.db"), count, batches)
        postgres = _measure(pg, count, batches)
    figures = []
    for what, label in (("lock", "lock acquire + release"), ("step", "journal step + ownership")):
        lite = Figure(f"{label}, SQLite", sqlite[what], details={"operations": count * batches})
        server = Figure(f"{label}, PostgreSQL", postgres[what])
        for figure in (lite, server):
            figure.details["median per operation"] = f"{figure.median * 1e6:.0f} µs"
        server.details["vs SQLite (median)"] = f"x{server.median / lite.median:.2f}"
        local = f"throwaway local cluster, Unix socket, fsync {'on' if fsync else 'off'}"
        server.details["server"] = url or local
        figures += [lite, server]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--url", help="an existing PostgreSQL database to measure")
    parser.add_argument(
        "--no-fsync", action="store_true", help="the throwaway cluster without fsync (no flush)"
    )
    args = parser.parse_args(argv)
    print(format_table(run_state(args.url, args.quick, fsync=not args.no_fsync)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
