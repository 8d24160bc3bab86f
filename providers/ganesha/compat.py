"""The one place that converts between :class:`ExportOptions` and the core's export model.

The core's ``NfsExport`` still has one access, one ``root_squash`` flag and a plain client
list for the whole export (the per-client model is landing in ``storplan.model.nas``); until
then an export is reported with the first client's access and squashing, and the provider's
``create_export``/``modify_export`` build :class:`ExportOptions` from the core's arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from storplan.model.enums import Access

from .nas import ExportClient, ExportOptions, Squash

if TYPE_CHECKING:
    from storplan.model.file import NfsExport

__all__ = ["model_export", "options_from_arguments"]


def model_export(
    export_id: str, filesystem_id: str, path: str, options: ExportOptions
) -> NfsExport:
    """The core's model of one export."""
    from storplan.model.file import NfsExport

    first = options.clients[0] if options.clients else ExportClient("*")
    return NfsExport(
        id=export_id,
        filesystem_id=filesystem_id,
        path=path,
        clients=tuple(sorted(c.match for c in options.clients)),
        access=first.access,
        root_squash=first.squash is not Squash.NONE,
        anon_uid=options.anon_uid,
        anon_gid=options.anon_gid,
        security=tuple(options.security),
    )


def options_from_arguments(
    clients: Sequence[str],
    access: Access,
    root_squash: bool,
    anon_uid: int | None,
    anon_gid: int | None,
    security: Sequence[str],
) -> ExportOptions:
    """Export options from the core's ``create_export``/``modify_export`` arguments."""
    squash = Squash.ROOT if root_squash else Squash.NONE
    return ExportOptions(
        clients=tuple(ExportClient(m, Access(access), squash) for m in clients),
        anon_uid=anon_uid,
        anon_gid=anon_gid,
        security=tuple(security),
    )
