"""Ids of the ``ganesha`` provider's objects: a kind prefix and the name or number behind it.

File systems are directories and exports are Ganesha export ids, so ids are built from those
and read back by stripping the prefix: no id table to keep.
"""

from __future__ import annotations

from storplan.errors import NotFound
from storplan.providers.kit import IdCodec

__all__ = ["EXPORT", "FILESYSTEM", "POOL", "SYSTEM", "export", "export_number"]

SYSTEM = "ganesha"
POOL = IdCodec("pool", "pool", example="nfs")
FILESYSTEM = IdCodec("fs", "file system", example="home")
EXPORT = IdCodec("export", "export", example="1000")


def export(export_id: int) -> str:
    """The id of Ganesha export ``export_id``."""
    return EXPORT.encode(str(export_id))


def export_number(export_id: str) -> int:
    """Ganesha's Export_Id behind an export id.

    Raises:
        NotFound: ``export_id`` is not an export id of this provider.
    """
    digits = EXPORT.name(export_id)
    if not digits.isdigit() or not 0 < int(digits) < 65536:
        raise NotFound(f"export {export_id} does not exist", hint="ids look like export:1000")
    return int(digits)
