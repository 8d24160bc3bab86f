"""Jobs: long-running provider operations with progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from .enums import JobState

__all__ = [
    "ErrorInfo",
    "Job",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    """Why a job failed: a stable storplan error code and the provider's message."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Job(Generic[T]):
    """A provider operation in progress or finished.

    Every provider operation returns a Job; synchronous providers return one that has already
    finished.  ``result`` is the model object the operation created or changed (``None`` for
    deletions); ``error`` is set when ``state`` is ``FAILED``.
    """

    id: str
    operation: str
    state: JobState
    percent: int = 0
    result: T | None = None
    error: ErrorInfo | None = None

    @property
    def done(self) -> bool:
        """True once the job succeeded or failed."""
        return self.state is not JobState.RUNNING
