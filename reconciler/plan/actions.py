"""Typed plan actions: one catalogue operation with its parameters, risk, edges and changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..catalogue import Operation, Risk, Verb, operation
from ..keys import Key
from ..manifest.spec import Origin

__all__ = ["SYMBOLS", "Action", "Change", "Origin", "Risk"]

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
    """One step of a plan: a catalogue :class:`~storplan.catalogue.Operation` and its
    parameters.

    ``params`` are JSON-ready and name objects by name, not by array id, so a saved plan can
    refer to objects that earlier actions of the same plan create.  ``depends_on`` lists the
    observed objects (object keys) whose fingerprints must still match when a plan is
    executed; ``requires`` lists the ids of actions that must succeed first.
    """

    id: str
    array: str
    op: Operation
    risk: Risk = Risk.SAFE
    params: dict[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    changes: tuple[Change, ...] = ()
    blocked: str = ""
    notes: tuple[str, ...] = ()
    origin: Origin | None = field(default=None, compare=False, repr=False)
    live: Any = field(default=None, compare=False, repr=False)
    """The observed object the action changes, while planning (never saved)."""

    @property
    def operation(self) -> str:
        """The operation's name (the provider method)."""
        return self.op.name

    @property
    def kind(self) -> str:
        return self.op.kind.value

    @property
    def verb(self) -> str:
        return self.op.verb.value

    @property
    def key(self) -> Key:
        """The object the action is about."""
        return self.op.target(self.params)

    @property
    def target(self) -> str:
        return self.key.target

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.verb]

    @property
    def is_delete(self) -> bool:
        return self.op.verb is Verb.DELETE

    def mark(self, param: str = "") -> Any:
        """The manifest position of the action (or of one parameter), if it has one."""
        return None if self.origin is None else self.origin.mark(param)

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
        """Inverse of :meth:`to_dict`.

        A saved plan is data from a file: the operation must be in the catalogue and its
        parameters must have the catalogue's shape.  (Risk and blocks are recomputed when the
        plan is executed; see :mod:`storplan.apply.judge`.)

        Raises:
            InvalidArgument: unknown operation or malformed parameters.
        """
        from ..errors import InvalidArgument

        op = operation(data["operation"])
        problems = op.check_params(data["params"])
        if problems:
            raise InvalidArgument(
                f"action {data.get('id')!r} ({op.name}): {'; '.join(problems)}",
                hint="the plan was edited or damaged: run storplan plan again",
            )
        return cls(
            id=data["id"],
            array=data["array"],
            op=op,
            risk=Risk(data["risk"]),
            params=dict(data["params"]),
            requires=tuple(data["requires"]),
            depends_on=tuple(data["depends_on"]),
            changes=tuple(Change(c["field"], c["before"], c["after"]) for c in data["changes"]),
            blocked=data.get("blocked", ""),
            notes=tuple(data.get("notes", ())),
        )
