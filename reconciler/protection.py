"""What manifests protect on an array, and the one rule every path that changes arrays keeps.

A manifest's ``protect: true`` is remembered by the state store as a flag on the object's key
(``volume:db01``) under the array's identity and system.  The rule: nothing rated destructive
(delete, shrink, restore over) runs on a protected object, whatever the command line allows.
``apply`` judges each action by it, and every imperative change (the CLI's commands, the
served API: :mod:`.imperative`) is refused by it, so a protected object cannot be destroyed by
hand either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .catalogue.base import Risk
from .errors import PermissionDenied

if TYPE_CHECKING:
    from .model.state import State
    from .state.base import StateStore

__all__ = ["protected_ids", "protected_keys", "refusal", "refused"]


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


def protected_ids(store: StateStore, identity: str, state: State) -> dict[str, str]:
    """The objects of ``state`` (the array with provider identity ``identity``) that
    manifests protect, by id: ``{object id: key}``, over every system of the array."""
    from .keys import Key
    from .plan.view import ArrayView

    found: dict[str, str] = {}
    for system in state.systems:
        view = ArrayView(state, system.id)
        for key in protected_keys(store.owned(f"{identity}#{system.id}")):
            try:
                obj = view.lookup(Key.parse(key))
            except ValueError:
                continue  # a key of a kind this storplan does not know
            object_id = getattr(obj, "id", None)
            if object_id is not None:
                found[object_id] = key
    return found
