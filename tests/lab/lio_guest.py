"""The lab VM as a storplan-managed LIO target host, for the real-kernel ``lio`` tests.

:func:`prepare_lio_host` gives the guest a volume group on the data disk with a thin pool,
a small ext4 file system for a directory pool, and ``/etc/storplan/lio.yaml`` naming three
pools (``thin``: LVM thin pool, ``thick``: the volume group, ``files``: the directory).
:class:`LioGuest` runs storplan and the open-iscsi initiator inside the guest
(:class:`StorplanGuest`: storplan against any URI, shared with the ``nfs`` tests).  Everything is
real: the guest kernel's LIO target, device-mapper, ext4 and iscsid.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .vm import GUEST_VENV, LabVM

TARGET = "iqn.2003-01.org.linux-iscsi.lab:storplan"
PORTAL = "127.0.0.1:3260"
FILES_DIR = "/srv/storplan-files"
CONFIG = f"""\
target: {TARGET}
portals: ["0.0.0.0:3260"]
pools:
  - {{name: thin, lvm-thin: vg0/tp0}}
  - {{name: thick, lvm: vg0}}
  - {{name: files, dir: {FILES_DIR}}}
"""
STORPLAN = f"{GUEST_VENV}/bin/storplan"
_SLOW = 1800.0  # TCG: everything in the guest runs about ten times slower than natively


def prepare_lio_host(lab: LabVM) -> None:
    """LVM and a file system on the data disk, the provider's configuration, no LIO config."""
    lab.run(
        "set -e; pvcreate -q /dev/vdb; vgcreate -q vg0 /dev/vdb;"
        " lvcreate -q -y --type thin-pool -L 2G -n tp0 vg0;"
        " lvcreate -q -y -L 512M -n files vg0; mkfs.ext4 -q /dev/vg0/files;"
        f" mkdir -p {FILES_DIR}; mount /dev/vg0/files {FILES_DIR};"
        f" echo '/dev/vg0/files {FILES_DIR} ext4 defaults 0 2' >> /etc/fstab;"
        " mkdir -p /etc/storplan",
        timeout=_SLOW,
    )
    write(lab, "/etc/storplan/lio.yaml", CONFIG)


def write(lab: LabVM, path: str, text: str) -> None:
    """Write a file in the guest."""
    lab.run(f"cat > {shlex.quote(path)}", input=text)


class StorplanGuest:
    """storplan inside the lab VM, talking to one provider URI."""

    def __init__(self, lab: LabVM, uri: str) -> None:
        self.lab = lab
        self.uri = uri

    def storplan(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the guest's ``storplan`` (the working tree's, installed in the guest venv)."""
        prefix = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        command = f"{prefix} {STORPLAN} {shlex.join(args)}".strip()
        return self.lab.run(command, check=check, timeout=_SLOW)

    def show(self, kind: str) -> list[dict[str, Any]]:
        """``storplan -u URI show KIND -o json``."""
        shown: list[dict[str, Any]] = json.loads(
            self.storplan("-u", self.uri, "show", kind, "-o", "json").stdout
        )
        return shown

    def apply(
        self, manifest: str, *flags: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Write ``manifest`` to the guest and ``storplan apply --yes`` it."""
        write(self.lab, "/root/manifest.yaml", manifest)
        return self.storplan("apply", "--yes", *flags, "/root/manifest.yaml", env=env, check=check)

    def plan(
        self, manifest: str, *flags: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Write ``manifest`` and ``storplan plan`` it (exit 0: nothing to do, 2: changes)."""
        write(self.lab, "/root/manifest.yaml", manifest)
        return self.storplan("plan", *flags, "/root/manifest.yaml", check=False, env=env)


class LioGuest(StorplanGuest):
    """storplan and the iSCSI initiator inside the lab VM."""

    def __init__(self, lab: LabVM) -> None:
        super().__init__(lab, "lio://")
        self.save_file = lab.run(
            f"{GUEST_VENV}/bin/python -c"
            " 'from rtslib_fb.root import default_save_file; print(default_save_file)'"
        ).stdout.strip()
        """Where rtslib (so the provider, and the boot-time restore) keeps the configuration."""

    # ------------------------------------------------------------------ the initiator
    def become(self, iqn: str) -> None:
        """Make the guest's open-iscsi initiator call itself ``iqn``."""
        write(self.lab, "/etc/iscsi/initiatorname.iscsi", f"InitiatorName={iqn}\n")
        self.lab.run("systemctl restart iscsid", timeout=_SLOW)

    def login(
        self, iqn: str, chap: tuple[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Discover the target and log in as ``iqn`` (not checked: callers look at the code)."""
        self.become(iqn)
        node = f"-m node -T {TARGET} -p {PORTAL}"
        auth = ""
        if chap is not None:
            user, secret = (shlex.quote(part) for part in chap)
            auth = (
                f"iscsiadm {node} -o update -n node.session.auth.authmethod -v CHAP && "
                f"iscsiadm {node} -o update -n node.session.auth.username -v {user} && "
                f"iscsiadm {node} -o update -n node.session.auth.password -v {secret} && "
            )
        command = (
            f"iscsiadm -m node -o delete >/dev/null 2>&1; "
            f"iscsiadm -m discovery -t sendtargets -p {PORTAL} >/dev/null && {auth}"
            f"iscsiadm {node} --login && udevadm settle"
        )
        return self.lab.run(command, check=False, timeout=_SLOW)

    def logout(self) -> None:
        """Log out of every session (nothing logged in is fine)."""
        self.lab.run(
            "iscsiadm -m node --logoutall=all >/dev/null 2>&1; udevadm settle",
            check=False,
            timeout=_SLOW,
        )

    @contextmanager
    def logged_in(self, iqn: str, chap: tuple[str, str] | None = None) -> Iterator[None]:
        """Logged in as ``iqn`` for the ``with`` block."""
        done = self.login(iqn, chap)
        assert done.returncode == 0, f"login as {iqn} failed: {done.stdout}{done.stderr}"
        try:
            yield
        finally:
            self.logout()

    def luns(self) -> dict[int, str]:
        """LUN number -> block device the initiator sees on storplan's target."""
        listing = self.lab.run("ls -l /dev/disk/by-path/ 2>/dev/null || true").stdout
        found = {}
        pattern = rf"ip-{re.escape(PORTAL)}-iscsi-{re.escape(TARGET)}-lun-(\d+) -> \S*/(\w+)$"
        for line in listing.splitlines():
            match = re.search(pattern, line)
            if match:
                found[int(match.group(1))] = f"/dev/{match.group(2)}"
        return found

    def size(self, device: str) -> int:
        """Bytes of a block device (``lsblk``)."""
        return int(self.lab.run(["lsblk", "-bndo", "SIZE", device]).stdout)

    def naa(self, device: str) -> str:
        """The NAA designator of VPD page 0x83 (``sg_inq``), as ``naa.<hex>``."""
        page = self.lab.run(["sg_inq", "-p", "0x83", device]).stdout
        match = re.search(r"\[0x(6[0-9a-f]{31})\]", page)
        assert match, page
        return f"naa.{match.group(1)}"

    def rescan(self, device: str) -> None:
        """Ask the SCSI layer to re-read a device's capacity."""
        name = device.rsplit("/", 1)[1]
        self.lab.run(f"echo 1 > /sys/block/{name}/device/rescan && udevadm settle")
