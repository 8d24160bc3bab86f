"""Applying plans: locking, executing with bounded parallelism, journalling, verifying."""

from __future__ import annotations

from .executor import DONE, FAILED, NOT_ATTEMPTED, StepResult
from .run import ApplyOptions, ApplyRefused, ApplyReport, apply_manifest, apply_saved_plan

__all__ = [
    "DONE",
    "FAILED",
    "NOT_ATTEMPTED",
    "ApplyOptions",
    "ApplyRefused",
    "ApplyReport",
    "StepResult",
    "apply_manifest",
    "apply_saved_plan",
]
