"""Known NFS-Ganesha issues, one function each, named for the issue, with the versions it hits.

Every workaround or refusal lives here so it can be found, tested and dropped when the
versions it concerns are gone.  Versions are Ganesha's release numbers (``4.3`` is (4, 3)),
read from D-Bus (``VERSION_RELEASE``) or ``ganesha.nfsd -v``.
"""

from __future__ import annotations

import os
import re

from storplan.errors import InvalidArgument, Unsupported

from .dbus import GaneshaError

__all__ = [
    "add_export_already_active_105",
    "dbus_export_changes_crash_999",
    "missing_export_path_266",
    "parse_version",
    "second_add_export_fails_818",
    "update_ignores_pseudo_and_protocols_1128",
]

Version = tuple[int, ...]


def parse_version(text: str) -> Version:
    """``(4, 3)`` from ``4.3``, ``V4.3``, ``NFS-Ganesha Release = V4.0.6`` or ``5.7.1-dev``."""
    match = re.search(r"(\d+(?:\.\d+)*)", text)
    if match is None:
        raise InvalidArgument(f"cannot read a Ganesha version from {text!r}")
    return tuple(int(part) for part in match.group(1).split("."))


def add_export_already_active_105(error: GaneshaError) -> bool:
    """nfs-ganesha#105 (all versions; seen on 2.3 and on 4.3 here): ``AddExport`` of an
    export that is already active fails with "Selected entries in FILE already active!!!".

    storplan chooses ``UpdateExport`` for exports ``ShowExports`` lists, so this only happens
    when someone else added the export between the two calls; the caller then updates it.
    On 2.x the failed second add also leaked a reference, so a later ``RemoveExport`` did not
    free the export: never adding twice on purpose avoids that too.
    """
    return "already active" in error.message


def second_add_export_fails_818(version: Version) -> None:
    """nfs-ganesha#818 (4.0 to 4.0.5, fixed in 4.0.6): after one export was added over D-Bus,
    adding a second one failed.  storplan adds every export that way, so it refuses those
    versions before changing anything.

    Raises:
        Unsupported: on an affected version.
    """
    if (4, 0) <= version < (4, 0, 6):
        raise Unsupported(
            f"Ganesha {_text(version)} cannot add a second export over D-Bus (nfs-ganesha#818)",
            hint="upgrade NFS-Ganesha to 4.0.6 or later",
            provider="ganesha",
            capability="nfs.exports",
        )


def dbus_export_changes_crash_999(version: Version) -> None:
    """nfs-ganesha#999 (5.1; fixed in 5.2): ``AddExport`` / ``UpdateExport`` over D-Bus made
    ganesha.nfsd crash and restart.  storplan refuses to change exports on 5.1.

    Raises:
        Unsupported: on an affected version.
    """
    if (5, 1) <= version < (5, 2):
        raise Unsupported(
            f"Ganesha {_text(version)} crashes on AddExport/UpdateExport (nfs-ganesha#999)",
            hint="upgrade NFS-Ganesha to 5.2 or later",
            provider="ganesha",
            capability="nfs.exports",
        )


def update_ignores_pseudo_and_protocols_1128(
    version: Version, old_protocols: tuple[str, ...], new_protocols: tuple[str, ...]
) -> bool:
    """nfs-ganesha#1128 (open; reported on 6-dev, seen here on 4.3): ``UpdateExport`` does
    not re-mount an export in the NFSv4 pseudo file system, so a change of the export's
    ``Protocols`` (or of ``Pseudo``) answers "1 exports updated" yet takes effect only at the
    next restart.  Client-level options (access, squash, SecType, anonymous ids, the CLIENT
    blocks' ``Protocols``) do change live.

    Returns whether the change must be made by removing and re-adding the export (clients
    of that export see it vanish for the moment between the two calls).
    """
    del version  # every released version so far
    return tuple(old_protocols) != tuple(new_protocols)


def missing_export_path_266(version: Version, directory: str) -> None:
    """nfs-ganesha#266 (2.5): an EXPORT whose path does not exist made ganesha.nfsd shut
    down at start.  4.3 skips such an export with a CRIT log line instead.  storplan writes an
    export file only for a directory that exists, on every version (its files are read at
    every start), and refuses otherwise.

    Raises:
        InvalidArgument: ``directory`` does not exist (or is not a directory).
    """
    if not os.path.isdir(directory):
        worse = " (it would stop this Ganesha at its next start, nfs-ganesha#266)"
        raise InvalidArgument(
            f"the exported directory {directory} does not exist"
            + (worse if version < (2, 6) else ""),
            hint="create the file system again, or delete the export",
        )


def _text(version: Version) -> str:
    return ".".join(str(part) for part in version)
