"""1,000 volume creates through the Python API on a file-backed simulator.

Each repetition opens a fresh sim file (default seed) in a temporary folder, looks up pool
``ssd``, then times only the loop of ``session.create_volume(pool, name, "1GiB", thin=True)``:
every call is a full synchronous operation (capability gate, name and size checks, one SQLite
write transaction with its commit, the job record and the created volume read back).
The first repetition of a process also pays the lazy imports of the operation modules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import Figure

__all__ = ["COUNT", "create_loop", "run_creates"]

COUNT = 1000
TARGET = 1.0


def create_loop(work: Path, label: str, count: int = COUNT) -> tuple[Any, Callable[[], None]]:
    """A connected session on a fresh sim file and the (untimed) loop creating ``count`` volumes.

    The caller times or profiles the returned callable and closes the session.
    """
    import storplan

    path = work / f"creates-{label}.db"
    path.unlink(missing_ok=True)
    session = storplan.connect(f"sim://{path}")
    pool = session.get(storplan.Kind.POOLS, "ssd")

    def loop() -> None:
        for i in range(count):
            session.create_volume(pool, f"bench-{i:05d}", "1GiB", thin=True)

    return session, loop


def run_creates(work: Path, repetitions: int) -> Figure:
    """Time the create loop ``repetitions`` times, each on its own fresh file."""
    samples: list[float] = []
    counted = 0
    for rep in range(repetitions):
        session, loop = create_loop(work, str(rep))
        with session:
            start = time.perf_counter()
            loop()
            samples.append(time.perf_counter() - start)
            counted = len(session.volumes())
    per_create = min(samples) / COUNT * 1e6
    return Figure(
        f"{COUNT} volume creates (API, sim file)",
        samples,
        TARGET,
        {
            "volumes after the loop": counted,
            "per create (min run)": f"{per_create:.0f} us",
            "first run (includes lazy imports)": f"{samples[0]:.3f} s",
        },
    )
