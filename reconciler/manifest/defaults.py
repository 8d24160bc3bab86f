"""The ``defaults:`` block: values every object of a kind in the same document gets.

Applied to the raw data before schema validation, so a defaulted value is validated like a
written one, and reported at the line of the ``defaults:`` entry it came from.  Explicit values
always win; defaults never cross into other files.
"""

from __future__ import annotations

import copy
from typing import Any

from .yamlsource import Document, Path

__all__ = ["apply_defaults"]

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


def _copy_marks(doc: Document, source: Path, target: Path) -> None:
    for path, mark in list(doc.values.items()):
        if path[: len(source)] == source:
            doc.values.setdefault(target + path[len(source) :], mark)
    if source in doc.keys:
        doc.keys.setdefault(target, doc.keys[source])


def apply_defaults(doc: Document) -> None:
    """Fill each object of a kind with the document's defaults for that kind (in place)."""
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("defaults"), dict):
        return
    arrays = data.get("arrays")
    if not isinstance(arrays, list):
        return
    for kind, steps in _TARGETS.items():
        defaults = data["defaults"].get(kind)
        if not isinstance(defaults, dict):
            continue
        for index, array in enumerate(arrays):
            for path, obj in _objects(array, steps, ("arrays", index)):
                if not isinstance(obj, dict):
                    continue
                for key, value in defaults.items():
                    if key not in obj:
                        obj[key] = copy.deepcopy(value)
                        _copy_marks(doc, ("defaults", kind, key), (*path, key))
