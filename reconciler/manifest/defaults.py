"""The ``defaults:`` block: values every object of a kind in the same document gets.

Applied to the raw data before schema validation, so a defaulted value is validated like a
written one, and reported at the line of the ``defaults:`` entry it came from.  Explicit values
always win; defaults never cross into other files.  A file-system clone (``clone_of``) takes no
``pool`` or ``size`` default: its pool is its source's and its size its snapshot's.
"""

from __future__ import annotations

import copy
from typing import Any

from .positions import Fallback, Index
from .yamlsource import Document, Path

__all__ = ["apply_defaults"]

_NOT_FOR_CLONES = frozenset({"pool", "size"})
# defaults key -> where such objects live, relative to one array entry
_TARGETS: dict[str, tuple[str, ...]] = {
    "volume": ("volumes",),
    "filesystem": ("filesystems",),
    "host": ("hosts",),
    "export": ("filesystems", "*", "exports"),
}


def _objects(container: Any, steps: tuple[str, ...], path: Path) -> list[tuple[Path, Any]]:
    if not steps:
        return [(path, container)]
    step, rest = steps[0], steps[1:]
    if step == "*":
        if not isinstance(container, list):
            return []
        return [
            found for i, item in enumerate(container) for found in _objects(item, rest, (*path, i))
        ]
    if not isinstance(container, dict) or not isinstance(container.get(step), list):
        return []
    items = container[step]
    if not rest:
        return [((*path, step, i), item) for i, item in enumerate(items)]
    return _objects(items, rest, (*path, step))


def _copy(value: Any) -> Any:
    # Scalars are immutable: only containers need a copy of their own per object.
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _matches(path: Path, steps: tuple[str, ...]) -> bool:
    """True if ``path`` is where :func:`_objects` finds an object for ``steps``:
    ``arrays``, an index, then each step's name (or an index for ``*``), then an index."""
    pattern: list[str | None] = ["arrays", None]
    pattern += [None if step == "*" else step for step in steps]
    pattern.append(None)
    if len(path) != len(pattern):
        return False
    return all(
        isinstance(part, int) if want is None else part == want
        for part, want in zip(path, pattern, strict=True)
    )


def _fallback(kinds: dict[str, set[str]]) -> Fallback:
    """Where a defaulted value was written: under ``defaults:``, at its kind and key."""

    def written_at(path: Path, index: Index) -> Path | None:
        for end in range(len(path) - 1, 1, -1):
            owner, key = path[:end], path[end]
            for kind, keys in kinds.items():
                if key in keys and _matches(owner, _TARGETS[kind]):
                    here = (*owner, key)
                    if here in index.values or here in index.redirects:
                        return None  # written (or merged) in the object: no default applied
                    return ("defaults", kind, key, *path[end + 1 :])
        return None

    return written_at


def apply_defaults(doc: Document) -> None:
    """Fill each object of a kind with the document's defaults for that kind (in place)."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("defaults"), dict):
        return
    arrays = data.get("arrays")
    if not isinstance(arrays, list):
        return
    applied: dict[str, set[str]] = {}
    for kind, steps in _TARGETS.items():
        defaults = data["defaults"].get(kind)
        if not isinstance(defaults, dict):
            continue
        applied[kind] = set(defaults)
        for index, array in enumerate(arrays):
            for _, obj in _objects(array, steps, ("arrays", index)):
                if not isinstance(obj, dict):
                    continue
                clone = kind == "filesystem" and "clone_of" in obj
                for key, value in defaults.items():
                    if key not in obj and not (clone and key in _NOT_FOR_CLONES):
                        obj[key] = _copy(value)
    if applied:
        doc.fallbacks.append(_fallback(applied))
