"""storplan's export directory: one ``export-<id>.conf`` per export and the index.

Every write is atomic (:func:`storplan.files.write_private`: a dot-named temporary file in
the same directory, fsync, rename, fsync of the directory; mode 0600), so Ganesha never reads
half a file at a restart.  The index (``exports.conf``) includes only files Ganesha accepted
over D-Bus: a file is written, then added or updated, then listed.  Changes take an exclusive
``flock`` on ``.lock`` in the directory, so two storplan processes never pick the same export
id.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from storplan.errors import InvalidArgument
from storplan.files import write_private

from .exportfile import ExportRecord, read_export
from .options import GaneshaOptions
from .syntax import quote

__all__ = [
    "directory_lock",
    "indexed_ids",
    "read_records",
    "remove_record",
    "write_index",
    "write_record",
]

log = logging.getLogger(__name__)
_NAME = re.compile(r"export-(\d{1,5})\.conf")


@contextmanager
def directory_lock(options: GaneshaOptions) -> Iterator[None]:
    """Hold the export directory's lock (creating the directory, mode 0700)."""
    os.makedirs(options.export_dir, mode=0o700, exist_ok=True)
    fd = os.open(os.path.join(options.export_dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def read_records(options: GaneshaOptions) -> dict[int, ExportRecord]:
    """Every storplan export file, by export id (read-only).  A file that cannot be read is
    logged and left out: Ganesha, not the file, says what is served."""
    records: dict[int, ExportRecord] = {}
    try:
        names = os.listdir(options.export_dir)
    except (FileNotFoundError, NotADirectoryError):
        return records
    for name in sorted(names):
        match = _NAME.fullmatch(name)
        if match is None:
            continue
        path = os.path.join(options.export_dir, name)
        try:
            with open(path, encoding="utf-8") as handle:
                record = read_export(handle.read(), path)
        except (OSError, InvalidArgument, UnicodeDecodeError) as exc:
            log.warning("ignoring unreadable export file %s: %s", path, exc)
            continue
        if record.export_id != int(match.group(1)):
            log.warning("ignoring %s: it holds export id %d", path, record.export_id)
            continue
        records[record.export_id] = record
    return records


def write_record(options: GaneshaOptions, text: str, export_id: int) -> str:
    """Write an export's file; returns its path."""
    path = options.export_file(export_id)
    write_private(path, text)
    return path


def remove_record(options: GaneshaOptions, export_id: int) -> None:
    """Delete an export's file (already gone: nothing to do)."""
    with suppress(FileNotFoundError):
        os.unlink(options.export_file(export_id))


def write_index(options: GaneshaOptions, export_ids: set[int]) -> None:
    """Rewrite the index so that it includes exactly the files of ``export_ids``."""
    lines = ["# Written by storplan: the exports Ganesha reads at start (see export-*.conf)."]
    lines += [f"%include {quote(options.export_file(i))}" for i in sorted(export_ids)]
    write_private(options.index, "\n".join(lines) + "\n")


def indexed_ids(options: GaneshaOptions) -> set[int]:
    """The export ids the index includes now."""
    try:
        with open(options.index, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return set()
    found = set()
    for name in re.findall(r"export-(\d{1,5})\.conf", text):
        found.add(int(name))
    return found
