"""What an apply did, per array and per action — for people, for the JSON report, and for
the journal's truth.

Each array of the manifest (or saved plan) ends in one of:

* ``ok`` — its changes were applied and verified;
* ``no changes`` — it already matched;
* ``failed`` — with the ``stage`` it stopped at: ``connect``, ``lock``, ``observe``,
  ``validate``, ``plan``, ``preflight``, ``judge`` or ``consent`` (nothing was changed on
  it), ``recheck`` (it changed while the plan waited for confirmation; nothing was changed),
  ``execute`` (an action failed: its results say which), ``verify`` (it did not converge)
  or ``journal`` (its changes were made but the state store could not record the apply's
  end: the report's notes say why);
* ``interrupted`` — Ctrl-C or SIGTERM stopped it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..plan.builder import Problem
from ..plan.document import ArrayFailure, Plan
from ..state import OK
from .executor import DONE, StepResult, summarize

__all__ = ["ApplyInterrupted", "ApplyReport", "ArrayOutcome"]

APPLIED, UNCHANGED, FAILED, INTERRUPTED = "ok", "no changes", "failed", "interrupted"


@dataclass(frozen=True, slots=True)
class ArrayOutcome:
    """How one array's part of the apply ended (see the module docstring)."""

    name: str
    status: str
    stage: str = ""
    problems: tuple[Problem, ...] = ()

    @classmethod
    def failure(cls, failure: ArrayFailure) -> ArrayOutcome:
        return cls(failure.name, FAILED, failure.stage, failure.problems)

    def to_dict(self, results: list[StepResult]) -> dict[str, Any]:
        mine = [r for r in results if r.action_id.startswith(f"{self.name}/")]
        entry: dict[str, Any] = {"name": self.name, "status": self.status}
        if self.stage:
            entry["stage"] = self.stage
        if self.problems:
            entry["problems"] = [p.to_dict() for p in self.problems]
        entry["summary"] = summarize(mine)
        return entry


@dataclass
class ApplyReport:
    """What an apply did: one outcome per array, one result per action run, the actions not
    verified, and notes (ownership adopted from an older store, creates reconciled after a
    dead apply)."""

    apply_id: str
    plan: Plan
    results: list[StepResult] = field(default_factory=list)
    remaining: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = OK
    arrays: list[ArrayOutcome] = field(default_factory=list)

    @property
    def failed_arrays(self) -> list[ArrayOutcome]:
        return [a for a in self.arrays if a.status not in (APPLIED, UNCHANGED)]

    @property
    def ok(self) -> bool:
        """Every array converged (or already matched), every action done."""
        return (
            all(r.state == DONE for r in self.results)
            and not self.remaining
            and not self.failed_arrays
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``apply -o json`` document."""
        return {
            "apply_id": self.apply_id,
            "ok": self.ok,
            "status": self.status,
            "summary": summarize(self.results),
            "arrays": [a.to_dict(self.results) for a in self.arrays],
            "results": [
                {
                    "action": r.action_id,
                    "state": r.state,
                    "message": r.message,
                    "seconds": round(r.seconds, 3),
                    "job": r.job_id or None,
                }
                for r in self.results
            ],
            "remaining": self.remaining,
            "notes": self.notes,
        }


class ApplyInterrupted(KeyboardInterrupt):
    """An apply stopped by Ctrl-C or SIGTERM; its journal says ``interrupted``."""

    def __init__(self, report: ApplyReport) -> None:
        super().__init__(f"apply {report.apply_id} interrupted")
        self.report = report
