"""Waiting for jobs: one helper every caller uses, with progress callbacks and a timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import Interrupted, Timeout, error_from_code
from .model.enums import JobState

if TYPE_CHECKING:
    from storplan.providers import Provider

    from .model.job import Job

__all__ = ["DEFAULT_JOB_TIMEOUT", "wait_for_job"]

T = TypeVar("T")
DEFAULT_JOB_TIMEOUT = 3600.0
ProgressCallback = Callable[["Job[Any]"], None]


def wait_for_job(
    provider: Provider,
    job: Job[T],
    *,
    timeout: float | None = DEFAULT_JOB_TIMEOUT,
    progress: ProgressCallback | None = None,
    poll_interval: float = 0.05,
    max_interval: float = 2.0,
    cancel: threading.Event | None = None,
) -> Job[T]:
    """Poll ``job`` until it finishes and return the finished job.

    Polling starts at ``poll_interval`` seconds and backs off to ``max_interval``.
    ``progress`` is called with every new state of the job (including the first and last).
    ``cancel``, once set, stops the wait at once (the job keeps running on the array).

    Raises:
        Timeout: the job is still running after ``timeout`` seconds (it keeps running on the
            array; its id is in the message so it can be inspected with ``storplan job show``).
        StorplanError: the job failed; the error class matches the provider's error code.
        Interrupted: ``cancel`` was set while waiting.
    """
    deadline = None if timeout is None else time.monotonic() + timeout
    interval = poll_interval
    last_percent = -1
    while True:
        if progress is not None and (job.percent != last_percent or job.done):
            progress(job)
            last_percent = job.percent
        if job.state is JobState.SUCCEEDED:
            return job
        if job.state is JobState.FAILED:
            error = job.error
            code, message = (error.code, error.message) if error else ("provider_error", "failed")
            raise error_from_code(code, f"job {job.id} ({job.operation}) failed: {message}")
        if deadline is not None and time.monotonic() + interval > deadline:
            raise Timeout(
                f"job {job.id} ({job.operation}) did not finish within {timeout:g} s "
                f"({job.percent}% done)",
                hint=f"it may still finish: storplan job show {job.id}",
            )
        if cancel is None:
            time.sleep(interval)
        elif cancel.wait(interval):
            raise Interrupted(
                f"stopped waiting for job {job.id} ({job.operation}, {job.percent}% done)",
                hint=f"it may still be running on the array: storplan job show {job.id}",
                job_id=job.id,
            )
        interval = min(interval * 1.5, max_interval)
        job = provider.job(job.id)
