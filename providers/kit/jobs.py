"""A provider connection's job book: finished jobs kept for ``job(id)``, running ones polled.

Synchronous providers record each operation as a finished (or failed) job; providers whose
arrays run jobs register a running job with a function that polls the array, and the book
settles it when it finishes.  Bounded (oldest jobs are dropped) and thread-safe: apply calls
providers from several threads.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from storplan.errors import NotFound, StorplanError
from storplan.model.enums import JobState
from storplan.model.job import ErrorInfo, Job

__all__ = ["JobBook", "Poll"]

Poll = Callable[[Job[Any]], Job[Any]]
"""``poll(job) -> job``: the job's state now (the array is asked; a finished job settles)."""


class JobBook:
    """The jobs of one provider connection (see the module docstring)."""

    def __init__(self, prefix: str = "job-", keep: int = 1000) -> None:
        self.prefix = prefix
        self.keep = keep
        self._jobs: OrderedDict[str, Job[Any]] = OrderedDict()
        self._polls: dict[str, Poll] = {}
        self._ids = itertools.count(1)
        self._lock = threading.RLock()

    def new_id(self) -> str:
        """A job id unique in this book."""
        return f"{self.prefix}{next(self._ids)}"

    def record(self, job: Job[Any]) -> Job[Any]:
        """Keep ``job`` (replacing an older state of the same job)."""
        with self._lock:
            self._jobs[job.id] = job
            self._jobs.move_to_end(job.id)
            while len(self._jobs) > self.keep:
                old, _ = self._jobs.popitem(last=False)
                self._polls.pop(old, None)
            if job.done:
                self._polls.pop(job.id, None)
        return job

    def finished(self, operation: str, result: Any = None, job_id: str | None = None) -> Job[Any]:
        """Record an operation that succeeded with ``result``."""
        return self.record(Job(job_id or self.new_id(), operation, JobState.SUCCEEDED, 100, result))

    def failed(self, operation: str, error: StorplanError, job_id: str | None = None) -> Job[Any]:
        """Record an operation that failed (the caller still raises ``error``)."""
        info = ErrorInfo(error.code, error.message)
        return self.record(Job(job_id or self.new_id(), operation, JobState.FAILED, 0, None, info))

    def running(self, job_id: str, operation: str, poll: Poll, percent: int = 0) -> Job[Any]:
        """Record a job the array runs; ``poll`` is asked for its state from now on."""
        with self._lock:
            self._polls[job_id] = poll
        return self.record(Job(job_id, operation, JobState.RUNNING, percent))

    def known(self, job_id: str) -> bool:
        """True if the book holds the job."""
        with self._lock:
            return job_id in self._jobs

    def get(self, job_id: str, unknown: Callable[[str], Job[Any]] | None = None) -> Job[Any]:
        """The job's state now; a job the book does not hold is asked of ``unknown`` (e.g.
        one another process started), else :class:`NotFound`."""
        with self._lock:
            job = self._jobs.get(job_id)
            poll = self._polls.get(job_id)
        if job is None:
            if unknown is None:
                raise NotFound(f"job {job_id} does not exist (or is no longer remembered)")
            return unknown(job_id)
        if job.done or poll is None:
            return job
        return self.record(poll(job))

    def recent(self) -> list[Job[Any]]:
        """Every job held, newest first (running ones polled)."""
        with self._lock:
            ids = list(reversed(self._jobs))
        return [self.get(job_id) for job_id in ids]
