"""File operations of a session: file systems, their snapshots and NFS exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Unpack

from .errors import InvalidArgument
from .model.enums import NFS_SECURITY_FLAVOURS, Access, Capability, Kind
from .session_base import Ref, SessionBase, WaitOptions
from .session_base import ref_id as _id
from .size import Size

if TYPE_CHECKING:
    from .model.file import FileSystem, FsSnapshot, NfsExport
    from .model.job import Job

__all__ = ["FileOperations"]


class FileOperations(SessionBase):
    """Operations on file storage; see :class:`storplan.session.Session`."""

    # ------------------------------------------------------------------- file systems
    def create_filesystem(
        self, pool: Ref, name: str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Create a file system; idempotent by name."""
        nbytes = Size.of(size)
        self.limits.check_name("file system", name)
        return self._submit(
            [Capability.FILESYSTEMS],
            f"create file system {name}",
            lambda: self.provider.create_filesystem(_id(pool), name, nbytes),
            options,
        )

    def resize_filesystem(
        self, filesystem: FileSystem | str, size: int | str, **options: Unpack[WaitOptions]
    ) -> Job[FileSystem]:
        """Grow or shrink a file system."""
        nbytes = Size.of(size)
        current = (
            self.get(Kind.FILESYSTEMS, filesystem) if isinstance(filesystem, str) else filesystem
        )
        needs = [Capability.FS_GROW if nbytes >= current.size else Capability.FS_SHRINK]
        return self._submit(
            needs,
            f"resize file system {current.name}",
            lambda: self.provider.resize_filesystem(current.id, nbytes),
            options,
        )

    def delete_filesystem(self, filesystem: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system (it must have no exports)."""
        return self._submit(
            [Capability.FILESYSTEMS],
            "delete a file system",
            lambda: self.provider.delete_filesystem(_id(filesystem)),
            options,
        )

    def create_fs_snapshot(
        self, filesystem: Ref, name: str, **options: Unpack[WaitOptions]
    ) -> Job[FsSnapshot]:
        """Snapshot a file system; idempotent by (file system, name)."""
        self.limits.check_name("snapshot", name)
        return self._submit(
            [Capability.FS_SNAPSHOTS],
            f"create fs snapshot {name}",
            lambda: self.provider.create_fs_snapshot(_id(filesystem), name),
            options,
        )

    def delete_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Delete a file system snapshot."""
        return self._submit(
            [Capability.FS_SNAPSHOTS],
            "delete a fs snapshot",
            lambda: self.provider.delete_fs_snapshot(_id(snapshot)),
            options,
        )

    def restore_fs_snapshot(self, snapshot: Ref, **options: Unpack[WaitOptions]) -> Job[FileSystem]:
        """Roll a file system back to a snapshot (destroys changes made since)."""
        return self._submit(
            [Capability.FS_SNAPSHOT_RESTORE],
            "restore a fs snapshot",
            lambda: self.provider.restore_fs_snapshot(_id(snapshot)),
            options,
        )

    def create_export(
        self,
        filesystem: Ref,
        path: str,
        *,
        clients: Iterable[str] = ("*",),
        access: Access | str = Access.RW,
        root_squash: bool = True,
        anon_uid: int | None = None,
        anon_gid: int | None = None,
        security: Iterable[str] = ("sys",),
        **options: Unpack[WaitOptions],
    ) -> Job[NfsExport]:
        """Export a file system over NFS; idempotent by path."""
        settings = _export_options(clients, access, root_squash, anon_uid, anon_gid, security)
        if not path.startswith("/"):
            raise InvalidArgument(f"export path {path!r} must be absolute")
        return self._submit(
            _export_capabilities(settings),
            f"export {path}",
            lambda: self.provider.create_export(_id(filesystem), path, **settings),
            options,
        )

    def modify_export(
        self,
        export: Ref,
        *,
        clients: Iterable[str] = ("*",),
        access: Access | str = Access.RW,
        root_squash: bool = True,
        anon_uid: int | None = None,
        anon_gid: int | None = None,
        security: Iterable[str] = ("sys",),
        **options: Unpack[WaitOptions],
    ) -> Job[NfsExport]:
        """Replace the options of an existing export."""
        settings = _export_options(clients, access, root_squash, anon_uid, anon_gid, security)
        return self._submit(
            _export_capabilities(settings),
            "modify an export",
            lambda: self.provider.modify_export(_id(export), **settings),
            options,
        )

    def delete_export(self, export: Ref, **options: Unpack[WaitOptions]) -> Job[None]:
        """Stop exporting."""
        return self._submit(
            [Capability.NFS_EXPORTS],
            "delete an export",
            lambda: self.provider.delete_export(_id(export)),
            options,
        )


def _export_options(
    clients: Iterable[str],
    access: Access | str,
    root_squash: bool,
    anon_uid: int | None,
    anon_gid: int | None,
    security: Iterable[str],
) -> dict[str, Any]:
    client_list = sorted({c.strip() for c in clients})
    if not client_list or any(not c or " " in c for c in client_list):
        raise InvalidArgument(
            "export clients must be non-empty host names, addresses, networks or *"
        )
    flavours = sorted(set(security))
    unknown = [f for f in flavours if f not in NFS_SECURITY_FLAVOURS]
    if unknown or not flavours:
        raise InvalidArgument(
            f"unknown NFS security flavour(s) {unknown}",
            hint=f"choose from {', '.join(NFS_SECURITY_FLAVOURS)}",
        )
    for label, value in (("anon_uid", anon_uid), ("anon_gid", anon_gid)):
        if value is not None and not 0 <= value < 2**32:
            raise InvalidArgument(f"{label} {value} is outside 0..4294967295")
    return {
        "clients": client_list,
        "access": Access(access),
        "root_squash": root_squash,
        "anon_uid": anon_uid,
        "anon_gid": anon_gid,
        "security": flavours,
    }


def _export_capabilities(options: dict[str, Any]) -> list[Capability]:
    needs = [Capability.NFS_EXPORTS]
    if not options["root_squash"]:
        needs.append(Capability.NFS_ROOT_SQUASH)
    if options["anon_uid"] is not None or options["anon_gid"] is not None:
        needs.append(Capability.NFS_ANON_IDS)
    if options["security"] != ["sys"]:
        needs.append(Capability.NFS_SECURITY)
    return needs
