"""Typed plan actions: what will change, how risky it is, and what it must wait for."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["SYMBOLS", "Action", "Change", "Risk"]


class Risk(StrEnum):
    """How much an action can hurt.

    ``safe`` changes nothing hosts depend on; ``disruptive`` takes access away (unmapping,
    removing an initiator, narrowing an export) but loses no data; ``destructive`` loses data
    (deleting, shrinking, restoring over data).
    """

    SAFE = "safe"
    DISRUPTIVE = "disruptive"
    DESTRUCTIVE = "destructive"


# Terraform-like markers: create, update in place, delete, replace.
SYMBOLS = {"create": "+", "update": "~", "delete": "-", "replace": "±"}


@dataclass(frozen=True, slots=True)
class Change:
    """One field of a matched object, before and after."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Action:
    """One step of a plan.

    ``params`` are JSON-ready and name objects by name, not by array id, so a saved plan can
    refer to objects that earlier actions of the same plan create.  ``depends_on`` lists the
    observed objects (``kind:name`` keys) whose fingerprints must still match when a saved
    plan is applied; ``requires`` lists the ids of actions that must succeed first.
    """

    id: str
    array: str
    operation: str
    kind: str
    target: str
    verb: str
    risk: Risk = Risk.SAFE
    params: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    blocked: str = ""
    notes: tuple[str, ...] = ()

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.verb]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the plan document's ``actions`` entries)."""
        return {
            "id": self.id,
            "array": self.array,
            "operation": self.operation,
            "kind": self.kind,
            "target": self.target,
            "verb": self.verb,
            "risk": self.risk.value,
            "params": self.params,
            "requires": list(self.requires),
            "depends_on": list(self.depends_on),
            "changes": [
                {"field": c.field, "before": c.before, "after": c.after} for c in self.changes
            ],
            "blocked": self.blocked,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Action:
        """Inverse of :meth:`to_dict`."""
        return cls(
            id=data["id"],
            array=data["array"],
            operation=data["operation"],
            kind=data["kind"],
            target=data["target"],
            verb=data["verb"],
            risk=Risk(data["risk"]),
            params=dict(data["params"]),
            requires=tuple(data["requires"]),
            depends_on=tuple(data["depends_on"]),
            changes=tuple(Change(c["field"], c["before"], c["after"]) for c in data["changes"]),
            blocked=data.get("blocked", ""),
            notes=tuple(data.get("notes", ())),
        )
