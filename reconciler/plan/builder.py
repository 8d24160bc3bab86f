"""Shared state of planning one array: the observed view, the actions so far, the problems.

The diff modules add actions through :meth:`ArrayPlan.add`, naming the keys each action
creates or changes (``provides``) and the keys it needs first (``after``); the edges between
actions are derived from those keys, so no diff module needs to know another's action ids.
Kind, verb and risk come from the operation's catalogue entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..catalogue import OPERATIONS, Operation, Params
from ..keys import Key, ObjectKind, lun_key
from ..model.capabilities import Capabilities, Limits
from ..size import Size
from .actions import Action, Change, Origin, Risk
from .view import ArrayView

__all__ = ["ArrayPlan", "Ownership", "Problem"]

KeyLike = Key | str


@dataclass(frozen=True, slots=True)
class Problem:
    """Something that makes the plan impossible (not a per-action block).  ``where`` is the
    manifest position (``file:line:column``) when one is known."""

    array: str
    message: str
    hint: str = ""
    where: str = ""
    code: str = "plan"

    def to_dict(self) -> dict[str, str]:
        return {
            "array": self.array,
            "message": self.message,
            "hint": self.hint,
            "where": self.where,
            "code": self.code,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Problem:
        return cls(
            str(data["array"]),
            str(data["message"]),
            str(data.get("hint", "")),
            str(data.get("where", "")),
            str(data.get("code", "plan")),
        )

    def lines(self) -> list[str]:
        """How the command line prints it."""
        head = f"{self.where}: error: " if self.where else "error: "
        lines = [
            f"{head}array {self.array}: {self.message}" + (f" [{self.code}]" if self.where else "")
        ]
        return [*lines, f"  hint: {self.hint}"] if self.hint else lines


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
    array_key: str = ""
    memory: Any = None  # a .memory.Memory (CHAP secrets last applied)
    prunable: Any = None  # Callable[[Key], bool]: what prune may act on (a targeted plan)
    unpruned: list[str] = field(default_factory=list)  # prune candidates outside the target
    actions: list[Action] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _providers: dict[str, list[str]] = field(default_factory=dict)
    _removers: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, message: str, hint: str = "", where: Any = None, code: str = "plan") -> None:
        self.problems.append(Problem(self.name, message, hint, str(where or ""), code))

    def aligned(self, size: int) -> Size:
        return self.limits.align(size)

    def add(
        self,
        op: Operation | str,
        params: Params,
        *,
        provides: tuple[KeyLike, ...] = (),
        after: tuple[KeyLike, ...] = (),
        before_removal: tuple[KeyLike, ...] = (),
        depends_on: tuple[KeyLike, ...] = (),
        changes: tuple[Change, ...] = (),
        notes: tuple[str, ...] = (),
        origin: Origin | None = None,
        live: Any = None,
    ) -> Action:
        """Add an action of operation ``op``.

        ``provides``: keys this action creates or changes (later actions ``after`` them wait).
        ``after``: keys whose creating/changing actions must succeed first.
        ``before_removal``: keys whose *removal* must happen first (unmap before delete).
        ``live``: the observed object the action changes, when it is not found under the
        action's own key (a volume being renamed); its risk is rated against it.
        """
        entry = OPERATIONS[op] if isinstance(op, str) else op
        params = dict(params)
        target = entry.target(params)
        current = live if live is not None else self.view.lookup(target)
        action_id = f"{self.name}/{entry.kind.value}/{target.target}/{entry.name}"
        requires = [a for key in after for a in self._providers.get(str(key), ())]
        requires += [a for key in before_removal for a in self._removers.get(str(key), ())]
        action = Action(
            action_id,
            self.name,
            entry,
            entry.rate(params, current),
            params,
            tuple(sorted(set(requires) - {action_id})),
            tuple(sorted({str(k) for k in depends_on})),
            changes,
            "",
            notes,
            origin,
            current,
        )
        self.actions.append(action)
        for key in provides:
            table = self._removers if action.is_delete else self._providers
            table.setdefault(str(key), []).append(action_id)
        return action

    def resize(
        self,
        kind: ObjectKind,
        name: str,
        live: Any,
        size: int,
        *,
        protect: bool,
        allow_shrink: bool,
        notes: tuple[str, ...] = (),
        origin: Origin | None = None,
    ) -> None:
        """Grow (safe) or shrink (destructive, and blocked without the manifest's consent)
        a volume or file system; nothing if the size already matches."""
        if size == live.size:
            return
        key = Key.of(kind, name)
        action = self.add(
            f"resize_{kind.value}",
            {kind.value: name, "size": int(size)},
            provides=(key,),
            after=(key,),
            depends_on=(Key.of(kind, live.name),),
            changes=(Change("size", str(Size(live.size)), str(Size(size))),),
            notes=notes,
            origin=origin,
            live=live,
        )
        if action.risk is Risk.DESTRUCTIVE and (protect or not allow_shrink):
            why = "it is protected" if protect else "allow_shrink is not set"
            self.block(action.id, f"shrinking needs the manifest's consent: {why}")

    def unmap(self, volume: str, host: str, *, live_volume: str | None = None) -> Key:
        """The one constructor of unmaps (a changed LUN, a pruned volume or host): planned
        once per mapping, freeing its LUN for another volume."""
        key = Key.of(ObjectKind.MAPPING, volume, host)
        if not self.removers_of(key):
            observed = self.view.mappings.get((live_volume or volume, host))
            provides: tuple[KeyLike, ...] = (key,)
            if observed is not None:
                provides += (lun_key(host, observed.lun),)
            self.add(
                "unmap_volume",
                {"volume": volume, "host": host},
                provides=provides,
                after=(Key.of(ObjectKind.VOLUME, volume),),
                depends_on=(Key.of(ObjectKind.MAPPING, live_volume or volume, host),),
                changes=(Change("lun", None if observed is None else observed.lun, None),),
            )
        return key

    def block(self, action_id: str, reason: str) -> None:
        """Mark an action as not allowed to run, with the reason."""
        self.actions = [
            replace(a, blocked=reason) if a.id == action_id else a for a in self.actions
        ]

    def providers_of(self, key: KeyLike) -> list[str]:
        """Ids of the actions that create or change ``key``."""
        return list(self._providers.get(str(key), ()))

    def removers_of(self, key: KeyLike) -> list[str]:
        """Ids of the actions that remove ``key``."""
        return list(self._removers.get(str(key), ()))
