"""What manifests protect on an array, and the one rule every path that changes arrays keeps.

A manifest's ``protect: true`` is remembered by the state store as a flag on the object's key
(``volume:db01``) under the array's identity and system.  The rule: nothing rated destructive
(delete, shrink, restore over) runs on a protected object, whatever the command line allows.
``apply`` judges each action by it, the served API refuses by it, and the imperative CLI
commands (``storplan volume delete``, ...) install :class:`ProtectionGuard` on their session,
so a protected object cannot be destroyed by hand either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .catalogue.base import ArgKind, Risk
from .errors import PermissionDenied

if TYPE_CHECKING:
    from .catalogue.base import Operation, Params
    from .session import Session
    from .state.base import StateStore

__all__ = ["ProtectionGuard", "protected_keys", "refusal", "refused"]


def protected_keys(owned: Mapping[str, bool]) -> set[str]:
    """The keys of ``owned`` (a store's ownership records) that carry the protect flag."""
    return {key for key, flag in owned.items() if flag}


def refused(risk: Risk, key: str, protected: set[str]) -> bool:
    """The rule: a destructive action on a protected key is refused."""
    return risk is Risk.DESTRUCTIVE and key in protected


def refusal(key: str) -> PermissionDenied:
    """The error of a refused action (the same words wherever it is refused)."""
    return PermissionDenied(
        f"{key} is protected (protect: true in a manifest applied to it)",
        hint="remove protect: from its manifest entry and apply that first",
    )


class ProtectionGuard:
    """A session guard (``Session.guard``) refusing destructive operations on protected
    objects: the objects an operation acts on are the ids it is called with, matched
    against the protected keys of every system of the array (read from ``store`` when
    an operation is destructive, never before)."""

    def __init__(self, session: Session, store: StateStore) -> None:
        self.session = session
        self.store = store

    def __call__(self, op: Operation, params: Params, live: Any) -> None:
        if op.rate(params, live) is not Risk.DESTRUCTIVE:
            return
        ids = {
            params[arg.params[-1]]
            for arg in op.args
            if arg.how is ArgKind.REF and params.get(arg.params[-1]) is not None
        }
        for object_id, key in self._protected_ids().items():
            if object_id in ids:
                raise refusal(key)

    def _protected_ids(self) -> dict[str, str]:
        from .keys import Key
        from .plan.view import ArrayView

        state = self.session.observe()
        identity = self.session.provider.identity()
        found: dict[str, str] = {}
        for system in state.systems:
            view = ArrayView(state, system.id)
            for key in protected_keys(self.store.owned(f"{identity}#{system.id}")):
                try:
                    obj = view.lookup(Key.parse(key))
                except ValueError:
                    continue  # a key of a kind this storplan does not know
                object_id = getattr(obj, "id", None)
                if object_id is not None:
                    found[object_id] = key
        return found
