"""Export operations: a file per export, then the matching D-Bus call, then the index.

Add or update is chosen from what Ganesha serves (``ShowExports``), never by trying: an
export Ganesha lists is updated (``UpdateExport``), one it does not list is added
(``AddExport``).  A failed call restores the previous file, so the directory keeps describing
what Ganesha serves; the index (what a restart reads) lists a file only once Ganesha accepted
it.  Known Ganesha issues are handled by the functions of :mod:`.quirks`.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from storplan.errors import AlreadyExists, InvalidArgument, NotFound
from storplan.model.job import Job
from storplan.model.nas import ExportOptions
from storplan.providers.kit.nfsclients import check_export_path

from . import ids, quirks
from .dbus import GaneshaError
from .exportfile import ExportRecord, check_options, render_export
from .files import (
    directory_lock,
    indexed_ids,
    read_records,
    remove_record,
    write_index,
    write_record,
)
from .mainconf import require_include
from .observe import Served, export_model, served_exports
from .ops_files import FileSystemOps

__all__ = ["ExportOps"]


def _differences(
    directory: str, have: ExportOptions, wanted_directory: str, wanted: ExportOptions
) -> dict[str, tuple[object, object]]:
    """Fields an existing export has otherwise than requested: (has, requested)."""
    found: dict[str, tuple[object, object]] = {}
    if directory != wanted_directory:
        found["filesystem"] = (directory, wanted_directory)
    for field in dataclasses.fields(ExportOptions):
        mine, theirs = getattr(have, field.name), getattr(wanted, field.name)
        if mine != theirs:
            found[field.name] = (mine, theirs)
    return found


class ExportOps(FileSystemOps):
    """create/modify/delete exports."""

    # ------------------------------------------------------------------ helpers
    def _changing(self) -> quirks.Version:
        """Checks before any export change: the include line, versions with known bugs."""
        require_include(self.options)
        version = self.version_tuple()
        quirks.second_add_export_fails_818(version)
        quirks.dbus_export_changes_crash_999(version)
        return version

    def _directory(self, filesystem_id: str) -> str:
        name = ids.FILESYSTEM.name(filesystem_id)
        path = os.path.join(self.options.base, name)
        if "/" in name or name in (".", "..") or not os.path.isdir(path):
            raise NotFound(f"file system {filesystem_id} does not exist")
        return path

    def _state(self) -> tuple[dict[int, ExportRecord], set[int]]:
        """storplan's export files, and the ids Ganesha serves."""
        records = read_records(self.options)
        return records, {export_id for export_id, _ in self.bus.show_exports()}

    def _served_one(self, records: dict[int, ExportRecord], number: int) -> Served | None:
        """What Ganesha serves as export ``number`` (one ``DisplayExport``)."""
        return served_exports(self.bus, self.options, records, only=number).get(number)

    def _done(self, operation: str, number: int) -> Job[Any]:
        """A finished job whose result is export ``number`` as observed now (only that one:
        observing all of them would make N changes cost N² calls)."""
        served = self._served_one(read_records(self.options), number)
        result = export_model(self.options, served) if served is not None else None
        return self.finished(operation, result)

    def _free_id(self, taken: set[int]) -> int:
        low, high = self.options.export_ids
        for candidate in range(low, high + 1):
            if candidate not in taken:
                return candidate
        raise InvalidArgument(
            f"every export id in {low}-{high} is in use",
            hint="widen export_ids in the provider settings",
        )

    def _apply(self, record: ExportRecord, previous: str | None, active: bool, readd: bool) -> None:
        """Write ``record``'s file and make Ganesha serve it; on failure put back
        ``previous`` (the old file text, ``None``: there was none)."""
        path = write_record(self.options, render_export(record), record.export_id)
        try:
            if active and readd:
                self.bus.remove_export(record.export_id)
                self.bus.add_export(path, record.export_id)
            elif active:
                self.bus.update_export(path, record.export_id)
            else:
                try:
                    self.bus.add_export(path, record.export_id)
                except GaneshaError as exc:
                    if not quirks.add_export_already_active_105(exc):
                        raise
                    self.bus.update_export(path, record.export_id)
        except GaneshaError as exc:
            if previous is None:
                remove_record(self.options, record.export_id)
            else:
                write_record(self.options, previous, record.export_id)
                if active and readd:  # it is gone now: bring the old one back
                    self.bus.add_export(path, record.export_id)
            raise GaneshaError(
                exc.message,
                name=exc.name,
                hint="nothing was changed; Ganesha's log names the reason when its message does "
                "not (e.g. 'Pseudo path (...) is a duplicate': another export uses that path)",
            ) from None
        write_index(self.options, indexed_ids(self.options) | {record.export_id})

    # ------------------------------------------------------------------ operations
    def create_export(
        self,
        filesystem_id: str,
        path: str,
        options: ExportOptions,
    ) -> Job[Any]:
        """Export a file system at the pseudo path ``path``; idempotent by path."""
        wanted = check_options(options)
        pseudo = check_export_path(path)
        with self.operation("create_export"), directory_lock(self.options):
            directory = self._directory(filesystem_id)
            version = self._changing()
            records, listed = self._state()
            record = next((r for r in records.values() if r.pseudo == pseudo), None)
            if record is not None:
                now = self._served_one(records, record.export_id)
                have = now.options if now is not None else record.options
                differences = _differences(record.directory, have, directory, wanted)
                if differences:
                    raise AlreadyExists.conflict("export", pseudo, differences)
                if now is None:  # storplan's file, but Ganesha lost it: serve it again
                    self._apply(record, None, record.export_id in listed, False)
                export_id = record.export_id
            else:  # a pseudo path someone else's export uses: Ganesha refuses the duplicate
                export_id = self._free_id(set(records) | listed)
                quirks.missing_export_path_266(version, directory)
                self._apply(ExportRecord(export_id, directory, pseudo, wanted), None, False, False)
            return self._done("create_export", export_id)

    def modify_export(self, export_id: str, options: ExportOptions) -> Job[Any]:
        """Change an export's options live (``UpdateExport``; remove + add where #1128)."""
        wanted = check_options(options)
        number = ids.export_number(export_id)
        with self.operation("modify_export"), directory_lock(self.options):
            version = self._changing()
            records, listed = self._state()
            record = records.get(number)
            if record is None:
                if number in listed:
                    raise InvalidArgument(
                        f"export {export_id} was not created by storplan; storplan leaves it",
                        hint="change it where it was made, or recreate it with storplan",
                    )
                raise NotFound(f"export {export_id} does not exist")
            quirks.missing_export_path_266(version, record.directory)
            old = self._served_one(records, number)
            old_versions = (old.options if old else record.options).nfs_versions
            readd = quirks.update_ignores_pseudo_and_protocols_1128(
                version, old_versions, wanted.nfs_versions
            )
            with open(self.options.export_file(number), encoding="utf-8") as handle:
                previous = handle.read()
            updated = dataclasses.replace(record, options=wanted)
            self._apply(updated, previous, number in listed, readd)
            return self._done("modify_export", number)

    def delete_export(self, export_id: str) -> Job[Any]:
        """Stop serving an export and forget its file."""
        number = ids.export_number(export_id)
        with self.operation("delete_export"), directory_lock(self.options):
            self.version_tuple()
            records = read_records(self.options)
            listed = {n for n, _ in self.bus.show_exports()}
            if number not in records:
                if number in listed:
                    raise InvalidArgument(
                        f"export {export_id} was not created by storplan; storplan leaves it",
                        hint="remove it where it was made (ganesha_mgr remove_export)",
                    )
                raise NotFound(f"export {export_id} does not exist")
            if number in listed:
                self.bus.remove_export(number)
            write_index(self.options, indexed_ids(self.options) - {number})
            remove_record(self.options, number)
            return self.finish("delete_export", None, None)
