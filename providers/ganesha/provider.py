"""``ganesha://``: a running NFS-Ganesha (FSAL_VFS) managed over D-Bus, on the server itself.

File systems are directories under a base directory; exports are Ganesha EXPORT blocks, one
storplan-owned file each, added, updated and removed live over D-Bus and included from the
main configuration so a restart keeps them.  See ``providers/ganesha/README.md``.
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
from storplan.size import Size

from .exportfile import check_options
from .ops_exports import ExportOps
from .ops_files import SIZE_ALIGNMENT
from .options import parse_options

if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.model.state import State
    from storplan.uri import ProviderURI

__all__ = ["GaneshaProvider"]

# Not declared, and why (README): filesystem.grow/shrink (sizes are recorded, not enforced),
# filesystem snapshots (FSAL_VFS directories have none), nfs.async (Ganesha has no such option),
# nfs.versions (Ganesha sets NFSv3/NFSv4 per export, but the minor versions the capability
# covers are server-wide), every block capability.
_DECLARED = frozenset(
    {
        Capability.FILESYSTEMS,
        Capability.NFS_EXPORTS,
        Capability.NFS_ROOT_SQUASH,
        Capability.NFS_ALL_SQUASH,
        Capability.NFS_CLIENT_RULES,
        Capability.NFS_ANON_IDS,
        Capability.NFS_SECURITY,
    }
)
LIMITS = Limits(
    name_pattern=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    name_max_length=63,
    min_volume_size=Size(SIZE_ALIGNMENT),
    max_volume_size=Size(1 << 60),
    size_alignment=SIZE_ALIGNMENT,
)


class GaneshaProvider(ExportOps):
    """The NFS-Ganesha provider (entry point ``ganesha``)."""

    name = "ganesha"

    def __init__(self, uri: ProviderURI, password: Secret | None = None) -> None:
        """Validate the settings; nothing is touched (not even D-Bus) until it is used.

        Raises:
            InvalidArgument: bad URI options or settings file, or a password was given.
        """
        if uri.provider != "ganesha":
            raise InvalidArgument(f"{uri.scheme}:// is not a ganesha URI")
        if password is not None:
            raise InvalidArgument(
                "the ganesha provider takes no password: it manages the server it runs on",
                hint="run storplan on the NFS server (e.g. over ssh) as root",
            )
        super().__init__(parse_options(uri))

    def identity(self) -> str:
        """The host's machine id and the base directory: the NFS server and the tree of file
        systems storplan manages on it, however the URI spells them."""
        from pathlib import Path

        for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                machine = Path(candidate).read_text(encoding="ascii").strip()
            except OSError:
                continue
            if machine:
                return f"ganesha:{machine}:{self.options.base}"
        import socket

        return f"ganesha:host-{socket.gethostname()}:{self.options.base}"

    def preflight(self, requests: Sequence[Request], state: State) -> Sequence[Refusal]:
        """Refuse, before a plan runs, exports Ganesha could not take: pseudo paths its
        configuration syntax cannot hold, two spellings of one client, NFS minor versions."""
        del state
        refusals: list[Refusal] = []
        for index, request in enumerate(requests):
            if request.operation not in ("create_export", "modify_export"):
                continue
            params = dict(request.params)
            try:
                if request.operation == "create_export":
                    check_export_path(str(params.get("path", "")))
                check_options(ExportOptions.from_dict(params))
            except StorplanError as exc:
                refusals.append(Refusal(index, "", exc.message, exc.hint))
        return refusals

    def capabilities(self) -> Capabilities:
        """File systems and NFS exports with per-client rules, squashing, anonymous ids and
        Kerberos flavours."""
        return Capabilities(self.name, _DECLARED)

    def limits(self) -> Limits:
        """Directory names; sizes in whole MiB."""
        return LIMITS

    def version(self) -> ProviderVersion:
        """This provider's version and Ganesha's release."""
        from storplan import __version__

        return ProviderVersion(self.name, __version__, "NFS-Ganesha", self.server_version())
