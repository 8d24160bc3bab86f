"""Tests of the lab VM itself: the guest has the kernel features and tools storplan needs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .vm import GUEST_VENV, LabCommandError, LabVM

pytestmark = pytest.mark.lab

GUEST_PYTHON = f"{GUEST_VENV}/bin/python"


def test_kernel_has_configfs_and_lio(lab: LabVM) -> None:
    modules = lab.run("lsmod").stdout
    for module in ("target_core_mod", "iscsi_target_mod", "target_core_file",
                   "target_core_iblock", "dm_thin_pool"):
        assert module in modules
    lab.run("mountpoint -q /sys/kernel/config")
    version = lab.run("cat /sys/kernel/config/target/version").stdout
    assert version.startswith("Target Engine Core ConfigFS Infrastructure")
    lab.run("test -d /sys/kernel/config/target/core")


def test_lvm_thin_pool_on_data_disk(lab: LabVM) -> None:
    assert lab.run(["lsblk", "-dno", "SIZE", "/dev/vdb"]).stdout.strip() == "8G"
    try:
        lab.run("pvcreate -q /dev/vdb && vgcreate -q labtest /dev/vdb")
        lab.run("lvcreate -q --type thin-pool -L 1G -n pool labtest")
        lab.run("lvcreate -q -V 4G --thin -n thin1 labtest/pool")
        attrs = lab.run(["lvs", "--noheadings", "-o", "lv_name,lv_attr", "labtest"]).stdout
        assert {line.split()[0]: line.split()[1][0] for line in attrs.splitlines()} == {
            "pool": "t", "thin1": "V"}
    finally:
        lab.run("vgremove -q -f labtest; pvremove -q -f /dev/vdb", check=False)
    assert lab.run("pvs --noheadings").stdout.strip() == ""


def test_rtslib_drives_the_kernel_target(lab: LabVM) -> None:
    script = """
import rtslib_fb
so = rtslib_fb.FileIOStorageObject("labtest", "/tmp/labtest.img", size=16 * 1024 * 1024)
try:
    print(sorted(o.name for o in rtslib_fb.RTSRoot().storage_objects))
finally:
    so.delete()
print(sorted(o.name for o in rtslib_fb.RTSRoot().storage_objects))
"""
    out = lab.run([GUEST_PYTHON, "-c", script]).stdout.splitlines()
    assert out == ["['labtest']", "[]"]
    lab.run("rm -f /tmp/labtest.img")


def test_guest_storplan_is_the_working_tree_version(lab: LabVM) -> None:
    host = subprocess.run([Path(sys.executable).with_name("storplan"), "--version"],
                          capture_output=True, text=True, check=True).stdout
    assert lab.run("storplan --version").stdout == host
    assert lab.run("command -v storplan").stdout.strip() == f"{GUEST_VENV}/bin/storplan"
    lab.run([GUEST_PYTHON, "-m", "pytest", "--version"])


def test_guest_clock_was_reset(lab: LabVM) -> None:
    guest = float(lab.run("date +%s.%N").stdout)
    assert abs(guest - time.time()) < 5


def test_files_input_and_errors(lab: LabVM, tmp_path: Path) -> None:
    data = os.urandom(300_000)
    (tmp_path / "up").write_bytes(data)
    lab.put(tmp_path / "up", "/tmp/lab file")
    lab.get("/tmp/lab file", tmp_path / "down")
    assert (tmp_path / "down").read_bytes() == data
    assert lab.run(["sha256sum", "/tmp/lab file"]).stdout.startswith(
        subprocess.run(["sha256sum"], input=data, capture_output=True, check=True
                       ).stdout.split()[0].decode())
    assert lab.run("tr a-z A-Z", input="hello").stdout == "HELLO"
    with pytest.raises(LabCommandError) as failed:
        lab.run("echo oops >&2; exit 3")
    assert (failed.value.returncode, failed.value.stderr) == (3, "oops\n")
    assert lab.run("exit 4", check=False).returncode == 4
