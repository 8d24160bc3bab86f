"""Python's cyclic garbage collector, paused while storplan builds large object graphs.

Reading manifests and planning build hundreds of thousands of small, long-lived objects and
no reference cycles; every full collection would walk them all (44 % of the CPU time of
``plan`` at 10,000 volumes, 63 % at 100,000).  Reference counting still frees everything
that becomes garbage while the collector is paused: only cycles wait for it to resume.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


def _never() -> bool:
    return False


@contextmanager
def collector_paused(freeze_if: Callable[[], bool] = _never) -> Iterator[None]:
    """Pause the cyclic collector for the block (nesting and threads are safe: only the
    outermost pause resumes it).

    ``freeze_if``: asked on the way out; when it says yes, everything alive is moved to the
    permanent generation (``gc.freeze``), so later collections in the same process do not
    walk it again (a large manifest that the rest of the command keeps).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if freeze_if():
            gc.freeze()
