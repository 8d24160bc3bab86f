"""Run host commands (LVM, mkfs, mount, exportfs, cp, dd) safely: argument lists only, never a
shell.

Every name that reaches a command was validated against the provider's name rules first;
running without a shell makes that a second line of defence rather than the only one.  A
failing command becomes a :class:`~storplan.errors.ProviderError` naming the command and its
last line of error output.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence

from storplan.errors import ProviderError, Unsupported

__all__ = ["PACKAGES", "run"]

PACKAGES = {
    **dict.fromkeys(("lvcreate", "lvextend", "lvremove", "lvchange", "lvrename", "lvs", "vgs"),
                    "lvm2"),
    **dict.fromkeys(("mkfs.xfs", "xfs_growfs", "xfs_admin"), "xfsprogs"),
    **dict.fromkeys(("mkfs.ext4", "resize2fs"), "e2fsprogs"),
    **dict.fromkeys(("exportfs",), "nfs-kernel-server"),
    **dict.fromkeys(("mount", "umount", "findmnt"), "mount"),
}  # fmt: skip
"""The Debian package of each program the providers run (named when it is missing)."""

# LVM refuses to run, or warns on every call, with descriptors it did not expect.
_ENV = {**os.environ, "LVM_SUPPRESS_FD_WARNINGS": "1", "LC_ALL": "C"}


def run(argv: Sequence[str], *, timeout: float = 600.0, provider: str = "") -> str:
    """Run ``argv`` and return its standard output (``provider`` names who needs a missing
    program).

    Raises:
        Unsupported: the program is not installed.
        ProviderError: it failed or timed out.
    """
    try:
        done = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_ENV,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise Unsupported(
            f"{argv[0]} is not installed on this host",
            hint=f"install {PACKAGES.get(argv[0], 'coreutils')}",
            provider=provider,
        ) from None
    except subprocess.TimeoutExpired:
        raise ProviderError(f"{argv[0]} did not finish within {timeout:g} s") from None
    if done.returncode != 0:
        lines = [
            line.strip()
            for line in done.stderr.splitlines()
            if line.strip() and not line.strip().startswith("Run `")  # LVM's usage pointer
        ]
        detail = lines[-1] if lines else f"exit status {done.returncode}"
        raise ProviderError(f"{' '.join(argv[:2])} failed: {detail}")
    return done.stdout
