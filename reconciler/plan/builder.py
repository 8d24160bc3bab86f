"""Shared state of planning one array: the observed view, the actions so far, the problems.

The diff modules add actions through :meth:`ArrayPlan.add`, naming the object keys each action
creates or changes (``provides``) and the keys it needs first (``after``); the edges between
actions are derived from those keys, so no diff module needs to know another's action ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model.capabilities import Capabilities, Limits
from ..size import Size
from .actions import Action, Change, Risk
from .view import ArrayView

__all__ = ["ArrayPlan", "Ownership", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that makes the plan impossible (not a per-action block)."""

    array: str
    message: str
    hint: str = ""
    where: str = ""


@dataclass(frozen=True, slots=True)
class Ownership:
    """An object storplan created on an array (from the state store)."""

    key: str
    protect: bool = False


@dataclass
class ArrayPlan:
    """Everything known while planning one array entry of a manifest."""

    name: str
    view: ArrayView
    capabilities: Capabilities
    limits: Limits
    owned: dict[str, Ownership] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _providers: dict[str, list[str]] = field(default_factory=dict)
    _removers: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, message: str, hint: str = "", where: str = "") -> None:
        self.problems.append(Problem(self.name, message, hint, where))

    def aligned(self, size: int) -> Size:
        return self.limits.align(size)

    def add(
        self,
        operation: str,
        kind: str,
        target: str,
        verb: str,
        params: dict[str, Any],
        *,
        risk: Risk = Risk.SAFE,
        provides: tuple[str, ...] = (),
        after: tuple[str, ...] = (),
        before_removal: tuple[str, ...] = (),
        depends_on: tuple[str, ...] = (),
        changes: tuple[Change, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Action:
        """Add an action.

        ``provides``: keys this action creates or changes (later actions ``after`` them wait).
        ``after``: keys whose creating/changing actions must succeed first.
        ``before_removal``: keys whose *removal* must happen first (unmap before delete).
        """
        action_id = f"{self.name}/{kind}/{target}/{operation}"
        requires = [a for key in after for a in self._providers.get(key, ())]
        requires += [a for key in before_removal for a in self._removers.get(key, ())]
        action = Action(
            action_id,
            self.name,
            operation,
            kind,
            target,
            verb,
            risk,
            params,
            tuple(sorted(set(requires) - {action_id})),
            tuple(sorted(set(depends_on))),
            changes,
            "",
            notes,
        )
        self.actions.append(action)
        for key in provides:
            (self._removers if verb == "delete" else self._providers).setdefault(key, []).append(
                action_id
            )
        return action

    def resize(
        self,
        kind: str,
        name: str,
        live_name: str,
        live_size: int,
        size: int,
        *,
        protect: bool,
        allow_shrink: bool,
        notes: tuple[str, ...] = (),
    ) -> None:
        """Grow (safe) or shrink (destructive, and blocked without the manifest's consent)
        a volume or file system; nothing if the size already matches."""
        if size == live_size:
            return
        shrink = size < live_size
        key = f"{kind}:{name}"
        action = self.add(
            f"resize_{kind}",
            kind,
            name,
            "update",
            {kind: name, "size": int(size)},
            risk=Risk.DESTRUCTIVE if shrink else Risk.SAFE,
            provides=(key,),
            after=(key,),
            depends_on=(f"{kind}:{live_name}",),
            changes=(Change("size", str(Size(live_size)), str(Size(size))),),
            notes=notes,
        )
        if shrink and (protect or not allow_shrink):
            why = "it is protected" if protect else "allow_shrink is not set"
            self.block(action.id, f"shrinking needs the manifest's consent: {why}")

    def block(self, action_id: str, reason: str) -> None:
        """Mark an action as not allowed to run, with the reason."""
        from dataclasses import replace

        self.actions = [
            replace(a, blocked=reason) if a.id == action_id else a for a in self.actions
        ]

    def providers_of(self, key: str) -> list[str]:
        """Ids of the actions that create or change ``key``."""
        return list(self._providers.get(key, ()))

    def removers_of(self, key: str) -> list[str]:
        """Ids of the actions that remove ``key``."""
        return list(self._removers.get(key, ()))
