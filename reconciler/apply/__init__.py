"""Applying plans: locking, executing with bounded parallelism, journalling, verifying."""

from __future__ import annotations

from .executor import DONE, FAILED, INTERRUPTED, NOT_ATTEMPTED, StepResult
from .run import (
    ApplyInterrupted,
    ApplyOptions,
    ApplyReport,
    apply_manifest,
    apply_saved_plan,
    record_protection,
)

__all__ = [
    "DONE",
    "FAILED",
    "INTERRUPTED",
    "NOT_ATTEMPTED",
    "ApplyInterrupted",
    "ApplyOptions",
    "ApplyReport",
    "StepResult",
    "apply_manifest",
    "apply_saved_plan",
    "record_protection",
]
