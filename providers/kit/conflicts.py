"""The idempotent-create rule every provider follows.

Creating an object that already exists *with the same specification* succeeds and returns it;
with a different specification it raises :class:`~storplan.errors.AlreadyExists` listing
what differs (provider contract, providers/__init__.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storplan.errors import AlreadyExists

__all__ = ["differences", "require_same"]


def differences(have: Mapping[str, Any], want: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields of ``want`` whose value in ``have`` differs: ``{field: (have, want)}``."""
    return {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}


def require_same(kind: str, name: str, have: Mapping[str, Any], want: Mapping[str, Any]) -> None:
    """Raise :class:`AlreadyExists` unless the existing ``kind`` called ``name`` (``have``)
    matches the request (``want``) in every requested field."""
    diff = differences(have, want)
    if diff:
        raise AlreadyExists.conflict(kind, name, diff)
