"""NAS operations of a session: file systems, their snapshots and NFS exports (each the
typed form of one catalogue operation, run through :meth:`SessionBase.run`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Unpack

from .errors import InvalidArgument
from .model.enums import Kind
from .session_base import Ref, SessionBase, WaitOptions
from .session_base import ref_id as _id
from .size import Size

if TYPE_CHECKING:
    from .model.job import Job
    from .model.nas import ExportOptions, FileSystem, FsSnapshot, NfsExport

__all__ = ["NasOperations"]


class NasOperations(SessionBase):
    """Operations on NAS storage; see :class:`storplan.session.Session`."""

    # ------------------------------------------------------------------- file systems
    def create_filesystem(
        self, pool: Ref, name: str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Create a file system; idempotent by name."""
        params = {"pool": _id(pool), "filesystem": name, "size": int(Size.of(size))}
        return self.run("create_filesystem", params, **options)

    def resize_filesystem(
        self, filesystem: FileSystem | str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Grow or shrink a file system."""
        current = (
            self.get(Kind.FILESYSTEMS, filesystem) if isinstance(filesystem, str) else filesystem
        )
        params = {"filesystem": current.id, "size": int(Size.of(size))}
        return self.run("resize_filesystem", params, live=current, **options)

    def delete_filesystem(self, filesystem: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system (it must have no exports)."""
        return self.run("delete_filesystem", {"filesystem": _id(filesystem)}, **options)

    def create_fs_snapshot(
        self, filesystem: Ref, name: str, **options: Unpack[WaitOptions]
    ) -> Job[FsSnapshot]:
        """Snapshot a file system; idempotent by (file system, name)."""
        params = {"filesystem": _id(filesystem), "snapshot": name}
        return self.run("create_fs_snapshot", params, **options)

    def delete_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system snapshot."""
        return self.run("delete_fs_snapshot", {"snapshot": _id(snapshot)}, **options)

    def restore_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[FileSystem]:
        """Roll a file system back to a snapshot (destroys changes made since)."""
        return self.run("restore_fs_snapshot", {"snapshot": _id(snapshot)}, **options)

    def create_fs_clone(
        self,
        snapshot: Ref,
        name: str,
        size: int | str | None = None,
        **options: Unpack[WaitOptions],
    ) -> Job[FileSystem]:
        """Clone a file system snapshot into a new, writable file system ``name`` in its
        file system's pool, grown to ``size`` if given (default: the snapshot's size);
        idempotent by name."""
        params = {
            "filesystem": name,
            "snapshot": _id(snapshot),
            "size": None if size is None else int(Size.of(size)),
        }
        return self.run("create_fs_clone", params, **options)

    # ------------------------------------------------------------------------ exports
    def create_export(
        self,
        filesystem: Ref,
        path: str,
        options: ExportOptions | None = None,
        **wait: Unpack[WaitOptions],
    ) -> Job[NfsExport]:
        """Export a file system over NFS (default options: every client, read-write, root
        squashed); idempotent by path."""
        params = {"filesystem": _id(filesystem), "path": path, **_options(options)}
        return self.run("create_export", params, **wait)

    def modify_export(
        self, export: Ref, options: ExportOptions, **wait: Unpack[WaitOptions]
    ) -> Job[NfsExport]:
        """Replace the options of an existing export."""
        return self.run("modify_export", {"path": _id(export), **_options(options)}, **wait)

    def delete_export(self, export: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Stop exporting."""
        return self.run("delete_export", {"path": _id(export)}, **options)


def _options(options: ExportOptions | None) -> dict[str, Any]:
    from .model.nas import ExportOptions

    if options is None:
        options = ExportOptions()
    if not isinstance(options, ExportOptions):
        raise InvalidArgument("export options must be an ExportOptions")
    return options.options().to_dict()
