"""Writing a :class:`Manifest` back as YAML: the inverse of loading.

Every field is written explicitly except those at their default, in the schema's key order, so
``load(dump(m)) == m`` for every valid manifest (tested as a property).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import yaml

from ..model.nas import ExportClient
from ..monitoring.thresholds import Threshold
from .loader import API_VERSION, KIND
from .scalars import resolve_plain
from .spec import ExportSpec, InitiatorSpec, Manifest, SecretRef

__all__ = ["dump_manifest", "dump_yaml", "manifest_to_data", "manifest_value"]


# Keys written even when they hold their type's default (they are what identifies an object).
_ALWAYS = ("name", "pool", "size", "path", "provider", "host")


# libyaml's emitter when PyYAML has it (the pure-Python emitter took 4 s of a 5 s import of a
# 2,000-volume array); representing, resolving and the quoting rule below stay in Python.
_Base: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[misc]
    """PyYAML's dumper, quoting every string storplan's reader would not read back as that
    string (PyYAML decides by YAML 1.1 rules: it would write ``y``, ``08`` or ``1.5e3``
    plain, and they would come back as a look-alike error or a number)."""


def _represent_str(dumper: Any, value: str) -> yaml.ScalarNode:
    style = None if resolve_plain(value) == value and type(resolve_plain(value)) is str else "'"
    if any(c in value for c in "\x85\u2028\u2029"):
        style = '"'  # single-quoted YAML folds these line breaks into spaces
    node: yaml.ScalarNode = dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return node


_Dumper.add_representer(str, _represent_str)


def _plain(spec: Any) -> Any:
    if isinstance(spec, SecretRef):
        return spec.to_dict()
    if isinstance(spec, InitiatorSpec):
        if spec.chap is None:
            return spec.id
        chap: dict[str, Any] = {"user": spec.chap.user, "secret": spec.chap.secret.to_dict()}
        if spec.chap.mutual is not None:
            mutual = spec.chap.mutual
            chap["mutual"] = {"user": mutual.user, "secret": mutual.secret.to_dict()}
        return {"id": spec.id, "chap": chap}
    if isinstance(spec, ExportClient):  # a plain match when it has the defaults
        if spec == ExportClient(spec.match):
            return spec.match
        return {k: v for k, v in spec.to_dict().items() if k == "match" or v != _DEFAULT[k]}
    if isinstance(spec, Threshold):  # a level left out is not judged
        return {
            k: v
            for k, v in (("warning", spec.warning), ("critical", spec.critical))
            if v is not None
        }
    if isinstance(spec, ExportSpec):
        data = _fields(spec)
        return {"path": data.pop("path"), **data}
    if isinstance(spec, Enum):
        return spec.value
    if isinstance(spec, tuple):
        return [_plain(item) for item in spec]
    if isinstance(spec, int) and not isinstance(spec, bool) and type(spec) is not int:
        return str(spec)  # Size: its lossless text form
    if not dataclasses.is_dataclass(spec):
        return spec
    return _fields(spec)


_DEFAULT = ExportClient("*").to_dict()


def _fields(spec: Any) -> dict[str, Any]:
    """Every field of a spec dataclass that is not at its default, in declaration order."""
    data: dict[str, Any] = {}
    for field in dataclasses.fields(spec):
        if field.name == "source":
            continue
        value = getattr(spec, field.name)
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        if value == default and (field.name not in _ALWAYS or value is None):
            continue
        if value is None and default is dataclasses.MISSING:
            continue  # a required field left to something else (a clone's size)
        data[field.name] = _plain(value)
    if "credentials" in data:
        data["credentials"] = {"password": data["credentials"]}
    if "monitoring" in data:
        data["monitoring"] = {"thresholds": data["monitoring"]}
    return data


def manifest_value(value: Any) -> Any:
    """One spec value as a manifest writes it (plain YAML-ready data)."""
    return _plain(value)


def manifest_to_data(manifest: Manifest) -> dict[str, Any]:
    """The manifest as plain YAML-ready data."""
    metadata: dict[str, Any] = {"name": manifest.name}
    if manifest.description:
        metadata["description"] = manifest.description
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": metadata,
        "arrays": [_plain(array) for array in manifest.arrays],
    }


def dump_yaml(data: Any) -> str:
    """Plain data as YAML text that storplan's reader reads back as the same data (keys in
    the order given)."""
    text: str = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True)
    return text


def dump_manifest(manifest: Manifest) -> str:
    """The manifest as YAML text."""
    return dump_yaml(manifest_to_data(manifest))
