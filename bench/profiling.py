"""Where the time goes: cProfile of the in-process benchmarks, ``-X importtime`` of start-up.

Used by ``bench/run.py --profile``; profiling slows the code down, so these figures explain
the timings of the main report rather than replace them.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from pathlib import Path

from creates import create_loop
from observe import build_state
from startup import BenchVenv, import_times

__all__ = ["profile_creates", "profile_observe", "profile_startup"]


def _top(action: Callable[[], object], limit: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    action()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(limit)
    # Keep the table, drop pstats' preamble up to the column header.
    text = out.getvalue()
    return text[text.index("   ncalls") :].rstrip() if "   ncalls" in text else text


def profile_creates(work: Path, limit: int = 10) -> str:
    """Top ``limit`` functions by cumulative time of the 1,000-create loop."""
    session, loop = create_loop(work, "profile")
    with session:
        return _top(loop, limit)


def profile_observe(work: Path, limit: int = 10) -> str:
    """Top ``limit`` functions by cumulative time of one warm ``observe()`` of the big state."""
    import storplan

    path = work / "observe-profile.db"
    build_state(path)
    with storplan.connect(f"sim://{path}") as session:
        session.observe()  # warm: lazy imports are not what we are looking for
        return _top(session.observe, limit)


def profile_startup(venv: BenchVenv, uri: str, work: str, limit: int = 15) -> str:
    """Top ``limit`` imports (by cumulative and by self time) of ``show systems --output json``."""
    argv = [str(venv.storplan), "-u", uri, "show", "systems", "--output", "json"]
    rows = import_times(venv, argv, work)
    total = sum(own for own, _, _ in rows)
    lines = [f"{len(rows)} modules imported, {total / 1000:.1f} ms of import time in all"]
    for title, key in (("cumulative", 1), ("self", 0)):
        lines.append(f"top {limit} by {title} time (us):  self  cumulative  module")
        for own, cumulative, module in sorted(rows, key=lambda r: r[key], reverse=True)[:limit]:
            lines.append(f"  {own:>8} {cumulative:>10}  {module}")
    return "\n".join(lines)
