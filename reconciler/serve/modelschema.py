"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) from the model dataclasses and the catalogue.

The served API sends model objects as :func:`storplan.model.to_dict` makes them (the same
JSON as ``storplan show -o json``); their schemas are derived here from the dataclass fields
and type hints, so a new model field appears in the OpenAPI document by itself.  Request
bodies of operations derive from the catalogue entry's parameters the same way.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from enum import Enum
from typing import Any

from ..catalogue import Operation

__all__ = ["KIND_CLASSES", "model_schemas", "operation_body", "ref"]

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


@functools.cache
def _names() -> dict[str, Any]:
    """What the model's annotations may name (its modules import some only for checkers)."""
    from .. import model
    from ..credentials import Secret
    from ..size import Size

    return {"Secret": Secret, "Size": Size, **{n: getattr(model, n) for n in model.__all__}}


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, localns=_names())


def _kind_classes() -> dict[str, type]:
    from ..model.state import State

    hints = _hints(State)
    return {f.name: typing.get_args(hints[f.name])[0] for f in dataclasses.fields(State)}


KIND_CLASSES = _kind_classes()
"""The model class of each :class:`~storplan.model.Kind` value (``volumes``: Volume)."""


def _of(hint: Any, defs: dict[str, Schema]) -> Schema:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        choices = [_of(a, defs) for a in args if a is not type(None)]
        one = choices[0] if len(choices) == 1 else {"anyOf": choices}
        return {"anyOf": [one, {"type": "null"}]} if type(None) in args else one
    if origin in (tuple, list, frozenset, set):
        return {"type": "array", "items": _of(args[0], defs) if args else {}}
    if origin is dict or hint is dict:
        return {"type": "object", "additionalProperties": _of(args[1], defs) if args else {}}
    if isinstance(hint, typing.TypeVar) or hint is Any:
        return {}
    if isinstance(hint, type) and issubclass(hint, Enum):
        return {"type": "string", "enum": [m.value for m in hint]}
    if hint is bool:
        return {"type": "boolean"}
    if isinstance(hint, type) and issubclass(hint, int):  # Size too: bytes
        return {"type": "integer"}
    if hint is float:
        return {"type": "number"}
    if hint is str:
        return {"type": "string"}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        _define(hint, defs)
        return ref(hint.__name__)
    if isinstance(origin, type) and dataclasses.is_dataclass(origin):  # Job[T]
        _define(origin, defs)
        return ref(origin.__name__)
    raise TypeError(f"no JSON Schema for {hint!r}")


def _define(cls: type, defs: dict[str, Schema]) -> None:
    if cls.__name__ in defs:
        return
    defs[cls.__name__] = {}  # placeholder: recursive references end here
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    defs[cls.__name__] = {
        "type": "object",
        "description": (cls.__doc__ or cls.__name__).strip().split("\n\n")[0],
        "properties": {f.name: _of(hints[f.name], defs) for f in fields},
        "required": [f.name for f in fields],
    }


def model_schemas() -> dict[str, Schema]:
    """The component schemas of every model class the API sends."""
    from ..model.capabilities import Capabilities, Limits, ProviderVersion
    from ..model.job import Job

    defs: dict[str, Schema] = {}
    for cls in (*KIND_CLASSES.values(), Capabilities, Limits, ProviderVersion, Job):
        _define(cls, defs)
    return dict(sorted(defs.items()))


_JSON_TYPES = {str: "string", int: "integer", bool: "boolean", float: "number", list: "array"}
_JSON_TYPES |= {dict: "object"}


def _param(param_type: type | tuple[type, ...]) -> Schema:
    wanted = param_type if isinstance(param_type, tuple) else (param_type,)
    names = sorted({_JSON_TYPES[t] for t in wanted if t is not type(None)})
    names += ["null"] if type(None) in wanted else []
    return {"type": names[0] if len(names) == 1 else names}


def operation_body(op: Operation) -> Schema:
    """The request body of catalogue operation ``op``: its parameters (objects by name) and
    the consent flags its risk may need."""
    params = {p.name: _param(p.type) for p in op.params}
    for p in op.params:
        if p.optional:
            params[p.name] = {"anyOf": [params[p.name], {"type": "null"}]}
    return {
        "type": "object",
        "properties": {
            "params": {
                "type": "object",
                "properties": params,
                "required": [p.name for p in op.params if not p.optional],
                "additionalProperties": False,
            },
            "system": {"type": "string", "description": "system id or name (several systems)"},
            "allow_destroy": {"type": "boolean", "default": False},
            "allow_disruptive": {"type": "boolean", "default": False},
        },
        "required": ["params"],
        "additionalProperties": False,
    }
