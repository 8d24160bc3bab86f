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
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from .errors import StorplanError

if TYPE_CHECKING:  # imported when a stage has more than one item (one array needs no threads)
    from concurrent.futures import Future, ThreadPoolExecutor

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


_WORKERS: ThreadPoolExecutor | None = None
_WORKERS_SIZE = 0
_WORKERS_GUARD = threading.Lock()
_PREFIX = "storplan-array"


def _workers(needed: int) -> ThreadPoolExecutor:
    """The process's array workers, kept between stages (starting a thread is not free on a
    busy machine, and a fleet apply has several stages); grown when a stage needs more."""
    from concurrent.futures import ThreadPoolExecutor

    global _WORKERS, _WORKERS_SIZE
    with _WORKERS_GUARD:
        if _WORKERS is None or needed > _WORKERS_SIZE:
            # The smaller pool is dropped, not shut down: a stage of another thread may still
            # submit to it; its idle threads end when it is collected.
            _WORKERS = ThreadPoolExecutor(needed, thread_name_prefix=_PREFIX)
            _WORKERS_SIZE = needed
        return _WORKERS


def _run(
    items: Sequence[T], work: Callable[[T], R], parallelism: int, cancel: threading.Event
) -> list[R | Failed]:
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    # A stage started from a worker (nested) gets its own threads: never wait on yourself.
    nested = threading.current_thread().name.startswith(_PREFIX)
    own = ThreadPoolExecutor(parallelism, thread_name_prefix=_PREFIX) if nested else None
    pool = own or _workers(parallelism)
    results: list[R | Failed | None] = [None] * len(items)
    running: dict[Future[R | Failed], int] = {}
    waiting = iter(enumerate(items))
    try:
        for index, item in waiting:  # at most ``parallelism`` at once: the rest as they end
            running[pool.submit(_guarded, work, item)] = index
            if len(running) >= parallelism:
                break
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                results[running.pop(future)] = future.result()
                for index, item in waiting:
                    running[pool.submit(_guarded, work, item)] = index
                    break
    except KeyboardInterrupt:
        cancel.set()  # every array's waits stop; let the workers settle and journal
        for future in running:
            future.cancel()
        wait(running)
        raise
    finally:
        if own is not None:
            own.shutdown(wait=False, cancel_futures=True)
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
    return _run(items, work, min(parallelism, len(items)), cancel or threading.Event())
