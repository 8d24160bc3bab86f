"""Writing a :class:`Manifest` back as YAML: the inverse of loading.

Every field is written explicitly except those at their default, in the schema's key order, so
``load(dump(m)) == m`` for every valid manifest (tested as a property).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from typing import Any

import yaml

from .loader import API_VERSION, KIND
from .spec import InitiatorSpec, Manifest, SecretRef

__all__ = ["dump_manifest", "manifest_to_data"]


def _secret(ref: SecretRef) -> dict[str, Any]:
    if ref.env:
        return {"env": ref.env}
    if ref.file:
        return {"file": ref.file}
    return {"prompt": True}


def _plain(spec: Any) -> Any:
    if isinstance(spec, SecretRef):
        return _secret(spec)
    if isinstance(spec, InitiatorSpec):
        if spec.chap is None:
            return spec.id
        return {
            "id": spec.id,
            "chap": {"user": spec.chap.user, "secret": _secret(spec.chap.secret)},
        }
    if isinstance(spec, Enum):
        return spec.value
    if isinstance(spec, tuple):
        return [_plain(item) for item in spec]
    if isinstance(spec, int) and not isinstance(spec, bool) and type(spec) is not int:
        return str(spec)  # Size: its lossless text form
    if not dataclasses.is_dataclass(spec):
        return spec
    data: dict[str, Any] = {}
    for field in dataclasses.fields(spec):
        if field.name == "source":
            continue
        value = getattr(spec, field.name)
        default = field.default
        if field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        if value == default and field.name not in (
            "name",
            "pool",
            "size",
            "path",
            "provider",
            "host",
        ):
            continue
        data[field.name] = _plain(value)
    if "credentials" in data:
        data["credentials"] = {"password": data["credentials"]}
    return data


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


def dump_manifest(manifest: Manifest) -> str:
    """The manifest as YAML text."""
    return yaml.safe_dump(manifest_to_data(manifest), sort_keys=False, allow_unicode=True)
