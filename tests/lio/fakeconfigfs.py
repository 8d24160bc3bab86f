"""Build a small LIO configfs tree out of real directories, files and symbolic links.

Only for host-side unit tests of the read-only configfs reader and the observation mapping:
the layout (``core/<plugin>_<n>/<name>``, ``iscsi/<iqn>/tpgt_1/{lun,acls,np}``, relative
symlinks from LUNs to backstores and from mapped LUNs to TPG LUNs) is the kernel's.  Every
behaviour tested with it is also tested on a real kernel in the lab VM (tests/lab).
"""

from __future__ import annotations

import os
from pathlib import Path

TARGET = "iqn.2003-01.org.linux-iscsi.lab:storplan"


class FakeConfigfs:
    """A configfs ``target`` directory under ``root``."""

    def __init__(self, root: Path, target: str = TARGET) -> None:
        self.root = root
        self.tpg = root / "iscsi" / target / "tpgt_1"
        (root / "core").mkdir(parents=True)
        for part in ("lun", "acls", "np"):
            (self.tpg / part).mkdir(parents=True)
        (self.tpg / "enable").write_text("1\n")

    def backstore(
        self, plugin: str, name: str, path: str, serial: str, size: int = 0, index: int = 0
    ) -> None:
        so = self.root / "core" / f"{plugin}_{index}" / name
        (so / "wwn").mkdir(parents=True)
        (so / "attrib").mkdir()
        (so / "udev_path").write_text(path + "\n")
        (so / "wwn" / "vpd_unit_serial").write_text(f"T10 VPD Unit Serial Number: {serial}\n")
        (so / "attrib" / "block_size").write_text("512\n")
        info = f"Status: ACTIVATED  Max Queue Depth: 128\n        TCM FILEIO ID: {index}"
        (so / "info").write_text(f"{info}        File: {path}  Size: {size}  Mode: O_DSYNC\n")

    def lun(self, number: int, plugin: str, name: str, index: int = 0) -> None:
        lun = self.tpg / "lun" / f"lun_{number}"
        lun.mkdir()
        os.symlink(f"../../../../../core/{plugin}_{index}/{name}", lun / "a1b2c3d4e5")

    def acl(
        self,
        initiator: str,
        tag: str = "",
        user: str = "NULL",
        mapped: dict[int, int] | None = None,
        session: str | None = None,
    ) -> None:
        acl = self.tpg / "acls" / initiator
        (acl / "auth").mkdir(parents=True)
        self.session(initiator, session)
        (acl / "tag").write_text(tag + "\n" if tag else "\n")
        (acl / "auth" / "userid").write_text(user + "\n")
        for mlun, tpg_lun in (mapped or {}).items():
            directory = acl / f"lun_{mlun}"
            directory.mkdir()
            os.symlink(f"../../../lun/lun_{tpg_lun}", directory / "0f1e2d3c4b")

    def session(self, initiator: str, state: str | None) -> None:
        """The ACL's ``info`` as the kernel shows it: no session, or one in ``state``
        (``LOGGED_IN``, ``FAILED``, ...)."""
        if state is None:
            text = f"No active iSCSI Session for Initiator Endpoint: {initiator}\n"
        else:
            text = (
                f"InitiatorName: {initiator}\nInitiatorAlias: host\n"
                "LIO Session ID: 1   ISID: 0x00023d000001  TSIH: 1  SessionType: Normal\n"
                f"Session State: TARG_SESS_STATE_{state}\n"
                "---------------------[iSCSI Session Values]-----------------------\n"
                "----------------------[iSCSI Connections]-------------------------\n"
                "CID: 0  Connection State: TARG_CONN_STATE_LOGGED_IN\n"
                "   Address 192.0.2.20 TCP  StatSN: 0x00000040\n"
            )
        (self.tpg / "acls" / initiator / "info").write_text(text)

    def portal(self, text: str) -> None:
        (self.tpg / "np" / text).mkdir()
