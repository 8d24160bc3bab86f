"""Export operations: a bind mount of the file system, storplan's exports file, ``exportfs -ra``.

Every change rewrites the whole exports file from what it held plus the change, runs
``exportfs -ra`` (which makes the kernel's table match ``/etc/exports`` and
``/etc/exports.d/*.exports``), and then checks in etab that the kernel serves every client
asked for; otherwise the previous file is put back, ``exportfs -ra`` runs again, and the
operation fails with what exportfs said.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import replace
from typing import Any

from storplan.errors import (
    AlreadyExists,
    Busy,
    InvalidArgument,
    NotFound,
    ProviderError,
    Unsupported,
)
from storplan.files import write_private
from storplan.model.enums import NFS_SECURITY_FLAVOURS, Kind
from storplan.model.job import Job
from storplan.model.nas import ExportOptions
from storplan.providers.kit.commands import run
from storplan.providers.kit.nfsclients import check_export_path

from . import ids
from .etab import read_etab
from .exportsfile import render_exports
from .fstab import MountEntry
from .mounts import mount, mount_table, unmount
from .observe import exported, read_written
from .ops_files import FileSystemOps
from .resolve import check_clients, served_key
from .storage import persist

__all__ = ["ExportOps", "check_export_options"]


def check_export_options(options: ExportOptions) -> ExportOptions:
    """``options`` checked for the kernel server.

    Raises:
        InvalidArgument: bad or unresolvable clients, an unknown flavour, anonymous ids out of
            range.
        Unsupported: NFS versions per export (the kernel sets them server-wide).
    """
    if options.nfs_versions:
        raise Unsupported(
            "the kernel NFS server has no per-export NFS versions",
            hint="leave nfs_versions out; set server-wide versions in /etc/nfs.conf ([nfsd])",
            provider="nfs",
            capability="nfs.versions",
        )
    problems = [p for p in options.problems() if p[0] != "clients"]
    if problems:
        field, message, hint = problems[0]
        raise InvalidArgument(f"{field}: {message}", hint=hint)
    security = tuple(sorted(set(options.security)))
    if set(security) - set(NFS_SECURITY_FLAVOURS):
        raise InvalidArgument(f"unknown NFS security flavours {security}")
    return replace(check_clients(options), security=security)


class ExportOps(FileSystemOps):
    """create/modify/delete exports."""

    def _publish(self, exports: dict[str, ExportOptions], previous: dict[str, ExportOptions],
                 directory: str | None) -> None:  # fmt: skip
        """Write ``exports`` and make the kernel serve them; verify ``directory`` (``None``:
        it must be gone).  On failure, ``previous`` is written and served again."""
        # 0644 as before, like /etc/exports: the file holds no secret
        write_private(self.options.exports_file, render_exports(exports), mode=0o644)
        try:
            run(["exportfs", "-ra"], provider="nfs")
            self._verify(directory, exports.get(directory) if directory else None)
        except ProviderError:
            write_private(self.options.exports_file, render_exports(previous), mode=0o644)
            with suppress(ProviderError):
                run(["exportfs", "-ra"], provider="nfs")
            raise

    def _verify(self, directory: str | None, wanted: ExportOptions | None) -> None:
        if directory is None or wanted is None:
            return
        etab = read_etab(self.options.etab)
        served = {served_key(e.client) for e in etab if e.directory == directory}
        missing = sorted(c.match for c in wanted.clients if served_key(c.match) not in served)
        if missing:
            raise ProviderError(
                f"exportfs did not export {directory} to {', '.join(missing)}",
                hint="run 'exportfs -ra' on the server to see its warnings; nothing was changed",
            )

    def _written(self) -> dict[str, ExportOptions]:
        return {d: w.options for d, w in read_written(self.options).items()}

    def _done(self, operation: str, path: str) -> Job[Any]:
        return self.finish(operation, Kind.EXPORTS, ids.EXPORT.encode(path))

    # ------------------------------------------------------------------ operations
    def create_export(self, filesystem_id: str, path: str, options: ExportOptions) -> Job[Any]:
        """Export a file system at ``<export_root><path>`` (a bind mount); idempotent by path."""
        wanted = check_export_options(options)
        check_export_path(path)
        directory = self.options.export_dir(path)
        with self.operation("create_export"):
            stored = self.filesystem(self.inventory(), filesystem_id)
            written = self._written()
            served = exported(self.options, [stored.name]).get(path)
            if directory in written:
                differences: dict[str, tuple[object, object]] = {}
                if served is not None and served.filesystem != stored.name:
                    differences["filesystem"] = (served.filesystem, stored.name)
                have = served.options if served is not None else written[directory]
                for field in ("clients", "anon_uid", "anon_gid", "security", "sync"):
                    if getattr(have, field) != getattr(wanted, field):
                        differences[field] = (getattr(have, field), getattr(wanted, field))
                if differences:
                    raise AlreadyExists.conflict("export", path, differences)
                if served is None:  # storplan's line, but the kernel lost it: serve it again
                    self._publish(written, written, directory)
                return self._done("create_export", path)
            if served is not None:
                raise AlreadyExists(
                    f"{directory} is already exported, but not by storplan",
                    hint="choose another export path, or remove that export where it was made",
                )
            source = self.options.mount_point(stored.name)
            if source not in mount_table():  # a bind mount would show the empty directory
                raise Busy(f"file system {stored.name!r} is not mounted at {source}",
                           hint=f"mount it (mount {source}), then export it")  # fmt: skip
            bind = MountEntry("bind", source, directory, "none")
            persist(self.options, add=(bind,))
            try:
                mount(bind)
                self._publish({**written, directory: wanted}, written, directory)
            except BaseException:
                unmount(directory, f"export {path}")
                persist(self.options, drop=(directory,))
                self._remove_parents(directory)
                raise
            return self._done("create_export", path)

    def modify_export(self, export_id: str, options: ExportOptions) -> Job[Any]:
        """Change an export's options (rewrite its line, ``exportfs -ra``)."""
        wanted = check_export_options(options)
        path = ids.EXPORT.name(export_id)
        directory = self.options.export_dir(path)
        with self.operation("modify_export"):
            written = self._written()
            if directory not in written:
                self._not_ours(path)
            self._publish({**written, directory: wanted}, written, directory)
            return self._done("modify_export", path)

    def delete_export(self, export_id: str) -> Job[Any]:
        """Stop exporting, unmount the bind mount and forget it."""
        path = ids.EXPORT.name(export_id)
        directory = self.options.export_dir(path)
        with self.operation("delete_export"):
            written = self._written()
            if directory not in written:
                self._not_ours(path)
            remaining = {d: o for d, o in written.items() if d != directory}
            self._publish(remaining, written, None)
            unmount(directory, f"export {path}")
            persist(self.options, drop=(directory,))
            self._remove_parents(directory)
            return self.finish("delete_export", None, None)

    def _not_ours(self, path: str) -> None:
        if path in exported(self.options, []):
            raise InvalidArgument(
                f"export {path} was not made by storplan; storplan leaves it",
                hint="change it where it was made (/etc/exports or another exports.d file)",
            )
        raise NotFound(f"export {path} does not exist")

    def _remove_parents(self, directory: str) -> None:
        """Remove the empty directories between ``directory`` and ``export_root``."""
        parent = os.path.dirname(directory)
        while parent.startswith(self.options.export_root.rstrip("/") + "/"):
            try:
                os.rmdir(parent)
            except OSError:
                return
            parent = os.path.dirname(parent)
