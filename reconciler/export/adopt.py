"""Adoption: recording imported objects as owned by storplan, only when the user asks.

Owned objects are what ``prune: true`` may later delete once the manifest stops naming them,
so adoption is explicit (``storplan import --adopt``) and reports every key it recorded.
What is adopted is what the imported entry declares (:func:`storplan.plan.declared_keys`:
hosts, volumes and their replicas, snapshots, file systems and their snapshots), keyed by the
array's identity and system like every ownership record; **pools are never adopted**: an
import references pools, it did not create them, and adopting one would let prune delete it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..keys import Key, ObjectKind
from ..manifest.spec import ArraySpec
from ..plan.declared import declared_keys
from ..state import StateStore

__all__ = ["Adoption", "adopt", "adoptable_keys"]


@dataclass(frozen=True, slots=True)
class Adoption:
    """What one adoption did: keys newly recorded, and keys storplan already owned."""

    array_key: str
    adopted: tuple[str, ...]
    already_owned: tuple[str, ...]


def adoptable_keys(array: ArraySpec) -> list[str]:
    """The ownership keys an imported entry's objects get (sorted; pools excluded)."""
    return sorted(k for k in declared_keys(array) if Key.parse(k).kind is not ObjectKind.POOL)


def adopt(store: StateStore, array_key: str, array: ArraySpec) -> Adoption:
    """Record every object ``array`` declares as owned on ``array_key`` (identity#system);
    protect flags of objects already owned are kept."""
    owned = store.owned(array_key)
    keys = adoptable_keys(array)
    new = [k for k in keys if k not in owned]
    for key in new:
        store.record_owned(array_key, key)
    return Adoption(array_key, tuple(new), tuple(k for k in keys if k in owned))
