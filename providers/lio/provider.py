"""``lio://``: a Linux host's LIO iSCSI target, managed through rtslib-fb, LVM and files.

The provider runs on the target host itself.  Reading never changes anything (configfs is
read as files, LVM through its reports); changes go through rtslib-fb, LVM commands and file
operations, and end by saving the LIO configuration like targetcli.  See
``providers/lio/README.md`` for the model mapping and docs/providers.md for the URI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from storplan.errors import InvalidArgument
from storplan.model.capabilities import Capabilities, Limits, ProviderVersion
from storplan.model.enums import Capability

from .names import LIMITS
from .ops_masking import MaskingOps
from .options import parse_options

if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.uri import ProviderURI

__all__ = ["LioProvider"]

_ALWAYS = frozenset(
    {
        Capability.VOLUMES,
        Capability.VOLUME_GROW,
        Capability.ACCESS_GROUPS,
        Capability.INITIATOR_ISCSI,
        Capability.MASKING,
        Capability.MASKING_LUN_CHOICE,
        Capability.CHAP,
        Capability.CHAP_MUTUAL,
        Capability.SNAPSHOTS,
        Capability.CLONES,
        Capability.COPIES,
        Capability.TARGET_PORTS,
        Capability.STATISTICS,
    }
)


class LioProvider(MaskingOps):
    """The LIO provider (entry point ``lio``)."""

    name = "lio"

    def __init__(self, uri: ProviderURI, password: Secret | None = None) -> None:
        """Validate the settings; nothing on the host is touched until an operation runs.

        Raises:
            InvalidArgument: bad URI options or configuration file, or a password was given
                (the provider runs locally, as root, and needs none).
        """
        if uri.provider != "lio":
            raise InvalidArgument(f"{uri.scheme}:// is not a lio URI")
        if password is not None:
            raise InvalidArgument(
                "the lio provider takes no password: it manages the host it runs on",
                hint="run storplan on the target host (e.g. over ssh) as root",
            )
        super().__init__(parse_options(uri))

    def identity(self) -> str:
        """The host's machine id and the target's WWN: the same however the host was
        reached, different for another host or another target on it."""
        from pathlib import Path

        for candidate in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
            try:
                machine = Path(candidate).read_text(encoding="ascii").strip()
            except OSError:
                continue
            if machine:
                return f"lio:{machine}:{self.options.target}"
        import socket

        return f"lio:host-{socket.gethostname()}:{self.options.target}"

    def capabilities(self) -> Capabilities:
        """Everything above, with thin and thick volumes as the configured pools allow."""
        kinds = {p.kind for p in self.options.pools}
        supported = set(_ALWAYS)
        if kinds & {"lvm-thin", "dir"}:
            supported.add(Capability.VOLUME_THIN)
        if kinds & {"lvm", "dir"}:
            supported.add(Capability.VOLUME_THICK)
        return Capabilities(self.name, frozenset(supported))

    def limits(self) -> Limits:
        """LIO, LVM and rtslib name rules; LVM's extent size; LUNs 0..255."""
        return LIMITS

    def version(self) -> ProviderVersion:
        """This provider's version and the kernel's."""
        import os

        from storplan import __version__

        return ProviderVersion(self.name, __version__, "Linux LIO", os.uname().release)
