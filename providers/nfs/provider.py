"""``nfs://``: the Linux kernel NFS server on LVM, managed on the server itself (as root).

File systems are LVM logical volumes (thin or thick) with XFS or ext4, mounted under a base
directory; snapshots are thin snapshots mounted read-only; exports are bind mounts of the file
systems under ``export_root``, listed in one storplan-owned file under ``/etc/exports.d/`` and
applied with ``exportfs -ra``; what the kernel exports is read from etab.  Mounts survive a
reboot through storplan's block of ``/etc/fstab``.  See ``providers/nfs/README.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from storplan.errors import InvalidArgument, StorplanError
from storplan.model.capabilities import Capabilities, Limits, ProviderVersion
from storplan.model.enums import Capability
from storplan.model.nas import ExportOptions
from storplan.providers.kit import Refusal, Request
from storplan.providers.kit.nfsclients import check_export_path

from .names import limits_for
from .ops_exports import ExportOps, check_export_options
from .options import parse_options

if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.model.state import State
    from storplan.uri import ProviderURI

__all__ = ["NfsProvider"]

# Not declared, and why (README): filesystem.shrink (XFS cannot shrink; ext4 only unmounted),
# nfs.versions (the kernel sets NFS versions server-wide, not per export), every block
# capability (the lio provider serves LVM as iSCSI LUNs).
_DECLARED = frozenset(
    {
        Capability.FILESYSTEMS,
        Capability.FS_GROW,
        Capability.FS_SNAPSHOTS,
        Capability.FS_SNAPSHOT_RESTORE,
        Capability.FS_CLONES,
        Capability.NFS_EXPORTS,
        Capability.NFS_ROOT_SQUASH,
        Capability.NFS_ALL_SQUASH,
        Capability.NFS_CLIENT_RULES,
        Capability.NFS_ANON_IDS,
        Capability.NFS_SECURITY,
        Capability.NFS_ASYNC,
    }
)
_EXPORT_OPERATIONS = ("create_export", "modify_export")


class NfsProvider(ExportOps):
    """The kernel NFS server provider (entry point ``nfs``)."""

    name = "nfs"

    def __init__(self, uri: ProviderURI, password: Secret | None = None) -> None:
        """Validate the settings; nothing on the host is touched until it is used.

        Raises:
            InvalidArgument: bad URI options or settings file, or a password was given.
        """
        if uri.provider != "nfs":
            raise InvalidArgument(f"{uri.scheme}:// is not an nfs URI")
        if password is not None:
            raise InvalidArgument(
                "the nfs provider takes no password: it manages the server it runs on",
                hint="run storplan on the NFS server (e.g. over ssh) as root",
            )
        super().__init__(parse_options(uri))

    def identity(self) -> str:
        """The host's machine id and the base directory."""
        from pathlib import Path

        for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                machine = Path(candidate).read_text(encoding="ascii").strip()
            except OSError:
                continue
            if machine:
                return f"nfs:{machine}:{self.options.base}"
        import socket

        return f"nfs:host-{socket.gethostname()}:{self.options.base}"

    def preflight(self, requests: Sequence[Request], state: State) -> Sequence[Refusal]:
        """Refuse, before a plan runs, exports ``exportfs`` would refuse or silently narrow:
        unusable paths, malformed or unresolvable clients, per-export NFS versions."""
        del state
        refusals: list[Refusal] = []
        for index, request in enumerate(requests):
            if request.operation not in _EXPORT_OPERATIONS:
                continue
            params = dict(request.params)
            try:
                if request.operation == "create_export":
                    check_export_path(str(params.get("path", "")))
                check_export_options(ExportOptions.from_dict(params))
            except StorplanError as exc:
                refusals.append(Refusal(index, "", exc.message, exc.hint))
        return refusals

    def capabilities(self) -> Capabilities:
        """File systems (grow, snapshots, restore) and NFS exports with per-client rules,
        squashing, anonymous ids, Kerberos flavours and async."""
        return Capabilities(self.name, _DECLARED)

    def limits(self) -> Limits:
        """LVM-safe names; sizes in 4 MiB extents, from the file-system type's minimum."""
        return limits_for(self.options.fs_type)

    def version(self) -> ProviderVersion:
        """This provider's version and the kernel release."""
        import platform

        from storplan import __version__

        return ProviderVersion(self.name, __version__, "Linux nfsd", platform.release())
