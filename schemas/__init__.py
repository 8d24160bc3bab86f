"""JSON Schemas shipped with storplan (package data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["load_schema", "schema_bytes"]


def schema_bytes(name: str) -> bytes:
    """The bytes of the schema file ``<name>.json`` shipped in this package.

    Read next to this module when the package is installed as files (always, for pip and
    editable installs: importing ``importlib.resources`` would cost more than the read),
    else through ``importlib.resources`` (a zip import).
    """
    beside = Path(__file__).with_name(f"{name}.json")
    if beside.is_file():
        return beside.read_bytes()
    from importlib.resources import files  # pragma: no cover - zip imports only

    return files(__name__).joinpath(f"{name}.json").read_bytes()  # pragma: no cover


def load_schema(name: str) -> dict[str, Any]:
    """Load the schema file ``<name>.json`` shipped in this package."""
    schema: dict[str, Any] = json.loads(schema_bytes(name))
    return schema
