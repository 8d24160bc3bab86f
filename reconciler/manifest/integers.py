"""Whole numbers written as floats (``lun: 1.0``, ``anon_uid: 5.0``, ``size: 1e3``).

JSON Schema counts ``1.0`` as an integer (JSON has one number type), so both validators accept
it, and an array refuses it later.  YAML tells them apart, so here every float that stands
where the schema says ``integer`` is refused, whichever validator ran.  The places are found
once, by walking the schema (properties, items, ``$ref``, ``anyOf``/``oneOf``/``allOf``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .diagnostics import Diagnostics
from .yamlsource import Document, Path, pointer

__all__ = ["check_integers", "integer_places"]

_ITEM = 0  # in a place pattern: any list index
_ANY = "*"  # in a place pattern: any key (additionalProperties)


def _places(
    schema: dict[str, Any], root: dict[str, Any], prefix: Path, found: set[Path], depth: int
) -> None:
    if depth > 40:  # the manifest schema is not recursive; a guard all the same
        return
    reference = schema.get("$ref")
    if isinstance(reference, str) and reference.startswith("#/"):
        target: Any = root
        for step in reference[2:].split("/"):
            target = target.get(step, {}) if isinstance(target, dict) else {}
        _places(target, root, prefix, found, depth + 1)
    kinds = schema.get("type")
    if kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds):
        found.add(prefix)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for branch in schema.get(keyword, []):
            _places(branch, root, prefix, found, depth + 1)
    for name, child in schema.get("properties", {}).items():
        _places(child, root, (*prefix, name), found, depth + 1)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        _places(extra, root, (*prefix, _ANY), found, depth + 1)
    items = schema.get("items")
    if isinstance(items, dict):
        _places(items, root, (*prefix, _ITEM), found, depth + 1)


@cache
def integer_places() -> frozenset[Path]:
    """Patterns of every place the manifest schema types ``integer``."""
    from .schema_check import manifest_schema

    schema = manifest_schema()
    found: set[Path] = set()
    _places(schema, schema, (), found, 0)
    return frozenset(found)


def _matches(path: Path, place: Path) -> bool:
    return len(path) == len(place) and all(
        (isinstance(p, int) and w == _ITEM) or p == w or (w == _ANY and isinstance(p, str))
        for p, w in zip(path, place, strict=True)
    )


def check_integers(doc: Document, diagnostics: Diagnostics) -> bool:
    """Report every whole-number float where the schema wants an integer; True if none."""
    places = integer_places()
    clean = True
    reported: set[Path] = set()
    for found in doc.floats:
        value = _value_at(doc.data, found)
        if not (isinstance(value, float) and value.is_integer()):
            continue  # 1.5 or .inf: both validators refuse it already
        if not any(_matches(found, place) for place in places):
            continue  # text expected there: the schema reports the type
        path = doc.written_at(found)
        clean = False
        if path in reported:
            continue
        reported.add(path)
        diagnostics.add(
            "schema.type",
            f"expected a whole number, found {value!r} (a number with a decimal point "
            "or an exponent)",
            doc.mark(path),
            f"write {int(value)}",
            pointer(path),
        )
    return clean


def _value_at(data: Any, path: Path) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data
