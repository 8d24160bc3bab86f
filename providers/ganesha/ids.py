"""Ids of the ``ganesha`` provider's objects: a kind prefix and the name or number behind it.

File systems are directories and exports are Ganesha export ids, so ids are built from those
and read back by stripping the prefix: no id table to keep.
"""

from __future__ import annotations

from storplan.errors import NotFound

__all__ = ["SYSTEM", "export", "export_number", "filesystem", "name_of", "pool"]

SYSTEM = "ganesha"
_POOL, _FS, _EXPORT = "pool:", "fs:", "export:"


def pool(name: str) -> str:
    return _POOL + name


def filesystem(name: str) -> str:
    return _FS + name


def export(export_id: int) -> str:
    return f"{_EXPORT}{export_id}"


def name_of(object_id: str) -> str:
    """The name in a pool or file-system id."""
    for prefix in (_POOL, _FS):
        if object_id.startswith(prefix):
            return object_id[len(prefix) :]
    return object_id


def export_number(export_id: str) -> int:
    """Ganesha's Export_Id behind an export id.

    Raises:
        NotFound: ``export_id`` is not an export id of this provider.
    """
    digits = export_id.removeprefix(_EXPORT)
    if not digits.isdigit() or not 0 < int(digits) < 65536:
        raise NotFound(f"export {export_id} does not exist", hint="ids look like export:1000")
    return int(digits)
