"""Working on many arrays at once: bounded concurrency, one outcome per array, failures kept
apart.

Arrays are independent: ``plan`` and ``apply`` connect to, observe, plan, execute and verify
each array in its own worker thread, at most ``parallelism`` at once (the work is waiting on
arrays, not computing, so threads serve).  One array's failure is that array's outcome, never
the others': :func:`each` returns, per item, either its value or a :class:`Failed` holding the
error.  Errors that are not storplan's own (a plug-in's bug) are kept apart as well, named for
what they are.

Interrupting (Ctrl-C, SIGTERM) reaches the main thread, which is waiting here: it sets the
shared ``cancel`` event (every wait of every array stops), waits for the workers to settle
what they were doing, and raises :class:`KeyboardInterrupt` again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from .errors import StorplanError

__all__ = ["DEFAULT_ARRAY_PARALLELISM", "Failed", "each", "unexpected"]

DEFAULT_ARRAY_PARALLELISM = 64
"""Arrays worked on at once by default: enough that a fleet of dozens costs about what one
array costs.  The bound protects the machine running storplan (threads, open connections);
a provider's own limit protects a management server several arrays share
(:class:`storplan.providers.kit.Endpoint`)."""

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Failed:
    """What one item's work raised instead of returning."""

    error: StorplanError


class _Unexpected(StorplanError):
    code = "unexpected"


def unexpected(exc: Exception) -> StorplanError:
    """A storplan error standing for an exception that is not one (a bug, most likely in a
    provider plug-in): its type and text, and what to do."""
    error = _Unexpected(
        f"unexpected {type(exc).__name__}: {exc}",
        hint="this is a bug in storplan or in the provider plug-in; please report it "
        "(with the output of STORPLAN_DEBUG=1)",
    )
    error.__cause__ = exc
    return error


def _guarded(work: Callable[[T], R], item: T) -> R | Failed:
    try:
        return work(item)
    except StorplanError as exc:
        return Failed(exc)
    except Exception as exc:  # one array's surprise must not stop the others
        return Failed(unexpected(exc))


@dataclass
class _Pool(Generic[T, R]):
    work: Callable[[T], R]
    parallelism: int

    def run(self, items: Sequence[T], cancel: threading.Event) -> list[R | Failed]:
        results: list[R | Failed | None] = [None] * len(items)
        pool = ThreadPoolExecutor(max_workers=self.parallelism, thread_name_prefix="storplan-array")
        running: dict[Future[R | Failed], int] = {}
        try:
            for index, item in enumerate(items):
                running[pool.submit(_guarded, self.work, item)] = index
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)] = future.result()
        except KeyboardInterrupt:
            cancel.set()  # every array's waits stop; let the workers settle and journal
            for future in running:
                future.cancel()
            wait(running)
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return cast("list[R | Failed]", results)  # every slot was filled above


def each(
    items: Sequence[T],
    work: Callable[[T], R],
    *,
    parallelism: int = DEFAULT_ARRAY_PARALLELISM,
    cancel: threading.Event | None = None,
) -> list[R | Failed]:
    """``work(item)`` for every item, at most ``parallelism`` at once; per item (in the order
    given) its value or :class:`Failed`.

    One item is worked on in the calling thread (no thread for nothing, and Ctrl-C reaches it
    directly).

    Raises:
        KeyboardInterrupt: interrupted; ``cancel`` was set and every worker has returned.
    """
    if len(items) <= 1 or parallelism <= 1:
        return [_guarded(work, item) for item in items]
    return _Pool(work, min(parallelism, len(items))).run(items, cancel or threading.Event())
