"""pytest plug-in: the ``lab`` marker and the session-scoped ``lab`` fixture (a booted LabVM).

``STORPLAN_LAB`` decides what happens to tests marked ``lab``:

* unset or ``auto``: they run when this machine can run the lab, else they are skipped with a
  message naming the packages to install;
* ``require``: they run, and fail loudly when the lab cannot run (CI sets this);
* ``skip``: they are skipped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .image import LabCache, guest_requirements
from .vm import LabVM

ENV = "STORPLAN_LAB"
MODES = ("auto", "require", "skip")
TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "qemu-img": "qemu-utils",
    "debootstrap": "debootstrap",
    "mkfs.ext4": "e2fsprogs",
    "ssh": "openssh-client",
    "ssh-keygen": "openssh-client",
}
"""Host commands the lab needs, with the Debian package of each."""
_VM_KEY = pytest.StashKey[LabVM]()


def lab_mode() -> str:
    """The value of ``STORPLAN_LAB`` (``auto`` when unset)."""
    mode = os.environ.get(ENV, "").strip().lower() or "auto"
    if mode not in MODES:
        raise pytest.UsageError(f"{ENV}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def unavailable_reason(repo: Path) -> str | None:
    """Why the lab cannot run on this machine, or None when it can."""
    missing = sorted({package for tool, package in TOOLS.items() if not shutil.which(tool)})
    if missing:
        return (f"the lab VM needs host packages that are missing: "
                f"apt-get install {' '.join(missing)}")
    if os.geteuid() != 0 and not LabCache().image_ready(guest_requirements(repo)):
        return "building the lab VM image (debootstrap) needs root"
    return None


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``lab`` marker (and check ``STORPLAN_LAB``)."""
    config.addinivalue_line("markers", "lab: needs the qemu lab VM (real Linux kernel)")
    lab_mode()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the ``lab`` tests up front when ``STORPLAN_LAB=skip`` or the lab cannot run here."""
    lab_items = [item for item in items if item.get_closest_marker("lab")]
    mode = lab_mode()
    if not lab_items or mode == "require":
        return
    reason = f"{ENV}=skip" if mode == "skip" else unavailable_reason(config.rootpath)
    if reason:
        for item in lab_items:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[LabVM]:
    """A booted lab VM with the working tree's storplan installed; stopped at session end."""
    repo = request.config.rootpath
    reason = f"{ENV}=skip" if lab_mode() == "skip" else unavailable_reason(repo)
    if reason:
        if lab_mode() == "require":
            pytest.fail(f"{ENV}=require, but {reason}", pytrace=False)
        pytest.skip(reason)
    vm = LabVM(tmp_path_factory.mktemp("lab"), repo)
    request.config.stash[_VM_KEY] = vm
    try:
        vm.boot()
        vm.install_storplan(repo)
        yield vm
    finally:
        vm.stop()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    """Report the lab's timings when the session used it."""
    vm = config.stash.get(_VM_KEY, None)
    if vm is None:
        return
    timings = {
        "image build": vm.build_seconds,
        "cold boot to ssh": vm.cold_boot_seconds,
        "warm boot to ssh": vm.warm_boot_seconds,
        "storplan install": vm.install_seconds,
        "reboot": vm.reboot_seconds,
    }
    shown = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()
                      if seconds is not None)
    terminalreporter.write_line(f"lab VM: {shown}; console log: {vm.console_log}")
