"""What the server serves, as the storplan model (read-only: observing never writes).

Exports come from Ganesha itself: ``ShowExports`` lists them and ``DisplayExport`` gives each
one's client list (Ganesha has no bulk call for the client lists, so that is one call per
export, each a local round trip of well under a millisecond).  storplan's own files add what
D-Bus does not report: the pseudo path (``DisplayExport`` returns the ``Path`` in its
pseudo-path field unless ``mount_path_pseudo`` is set, seen with 4.3) and the client names as
written (Ganesha reports host names as the addresses they resolved to).  Where the file and
what Ganesha serves disagree, Ganesha wins, which is what makes a hand edit visible as drift.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storplan.model.base import Condition
from storplan.model.enums import ElementType, Kind
from storplan.model.nas import ExportOptions
from storplan.size import Size

from . import ids
from .dbus import Displayed, GaneshaBus
from .exportfile import ExportRecord
from .files import read_records
from .mainconf import include_problem
from .options import GaneshaOptions
from .served import decode_client, options_from_rules, same_service
from .storage import BaseFilesystem, Directory, base_filesystem, list_directories

if TYPE_CHECKING:
    from storplan.model.nas import NfsExport

__all__ = ["KINDS", "Served", "export_model", "observe_state", "served_exports"]

log = logging.getLogger(__name__)
KINDS = frozenset({Kind.SYSTEMS, Kind.POOLS, Kind.FILESYSTEMS, Kind.EXPORTS})


@dataclass(frozen=True, slots=True)
class Served:
    """One export Ganesha serves, with the options that describe it."""

    export_id: int
    directory: str
    pseudo: str
    options: ExportOptions
    record: ExportRecord | None


def served_exports(
    bus: GaneshaBus,
    options: GaneshaOptions,
    records: dict[int, ExportRecord],
    only: int | None = None,
) -> dict[int, Served]:
    """Every export Ganesha serves from a directory under the base (or just export ``only``),
    by export id."""
    found: dict[int, Served] = {}
    for export_id, path in bus.show_exports():
        if export_id == 0 or not _under(options.base, path):
            continue  # the pseudo root, or an export of something else
        if only is not None and export_id != only:
            continue
        shown = bus.display_export(export_id)
        if shown is None:
            continue  # removed between the two calls
        found[export_id] = _served(shown, records.get(export_id))
    return found


def export_model(options: GaneshaOptions, served: Served) -> NfsExport:
    """The model of one served export."""
    from storplan.model.nas import EXPORT_OPTION_FIELDS, NfsExport

    return NfsExport(
        id=ids.export(served.export_id),
        filesystem_id=ids.FILESYSTEM.encode(filesystem_name(options, served.directory)),
        path=served.pseudo,
        **{name: getattr(served.options, name) for name in EXPORT_OPTION_FIELDS},
    )


def _served(shown: Displayed, record: ExportRecord | None) -> Served:
    rules = [rule for rule in map(decode_client, shown.clients) if rule is not None]
    mine = record is not None and os.path.normpath(record.directory) == shown.full_path
    if record is not None and mine and same_service(record.options, rules):
        options = record.options
    else:
        options = options_from_rules(rules)
    pseudo = record.pseudo if record is not None and mine else shown.pseudo_path
    return Served(shown.export_id, shown.full_path, pseudo, options, record if mine else None)


def _under(base: str, path: str) -> bool:
    return os.path.normpath(path).startswith(base.rstrip("/") + "/")


def filesystem_name(options: GaneshaOptions, directory: str) -> str:
    """The file system (first directory below the base) a path belongs to."""
    relative = os.path.relpath(os.path.normpath(directory), options.base)
    return relative.split(os.sep, 1)[0]


def observe_state(
    bus: GaneshaBus | None, options: GaneshaOptions, kinds: frozenset[Kind], version: str
) -> dict[str, tuple[object, ...]]:
    """The fields of a :class:`~storplan.model.State` for ``kinds`` (``bus`` may be ``None``
    when no export kind is wanted)."""
    from storplan.model.block import Pool
    from storplan.model.nas import FileSystem
    from storplan.model.system import System

    parts: dict[str, tuple[object, ...]] = {}
    if Kind.SYSTEMS in kinds:
        problem = include_problem(options)
        conditions = () if problem is None else (Condition("not_persistent", problem),)
        parts["systems"] = (
            System(ids.SYSTEM, "ganesha", vendor="NFS-Ganesha", model="FSAL_VFS",
                   firmware=version, conditions=conditions),
        )  # fmt: skip
    if kinds & {Kind.POOLS, Kind.FILESYSTEMS}:
        space = base_filesystem(options.base)
        directories = list_directories(options.base)
        if Kind.POOLS in kinds:
            subscribed = sum(d.size or 0 for d in directories)
            parts["pools"] = (
                Pool(ids.POOL.encode(options.pool), ids.SYSTEM, options.pool,
                     element_types=frozenset({ElementType.FILESYSTEM}), total=Size(space.total),
                     free=Size(space.free), subscribed=Size(subscribed),
                     conditions=(_not_enforced(space),)),
            )  # fmt: skip
        if Kind.FILESYSTEMS in kinds:
            pool = ids.POOL.encode(options.pool)
            parts["filesystems"] = tuple(
                FileSystem(ids.FILESYSTEM.encode(d.name), ids.SYSTEM, pool, d.name,
                           Size(d.size or 0), conditions=_fs_conditions(d, space))
                for d in directories
            )  # fmt: skip
    if Kind.EXPORTS in kinds and bus is not None:
        served = served_exports(bus, options, read_records(options))
        parts["exports"] = tuple(export_model(options, served[n]) for n in sorted(served))
    return parts


def _not_enforced(space: BaseFilesystem) -> Condition:
    return Condition(
        "size_not_enforced",
        f"file system sizes are recorded, not enforced: {space.why_not_enforced}",
    )


def _fs_conditions(directory: Directory, space: BaseFilesystem) -> tuple[Condition, ...]:
    if directory.size is None:
        return (Condition("unmanaged", f"{directory.path} was not created by storplan"),)
    return (_not_enforced(space),)
