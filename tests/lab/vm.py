"""``LabVM``: a Debian 12 guest with a real Linux kernel, booted under qemu, driven over ssh.

Boot: the first time, the image is built (``build-image.sh``, cached) and the guest is cold
booted; once ssh answers and the storage modules are loaded, the machine is saved as an
internal qcow2 snapshot and kept in the cache as the "warm state". Every session then starts
from a copy of that state (``-loadvm``), a few seconds instead of a boot, with a fresh empty data
disk and no LIO configuration.

Guest layout: /dev/vda is the root file system, /dev/vdb an empty 8 GiB data disk; the venv with
storplan's dependencies (and pytest) is /opt/storplan, the CLI /opt/storplan/bin/storplan.
"""

from __future__ import annotations

import shlex
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from .image import (
    LabCache,
    LabError,
    LabImage,
    build_storplan_wheel,
    digest,
    guest_requirements,
)
from .qemu import CONSOLE_LOG, MachineConfig, QemuProcess, create_disks, diagnostics

GUEST_VENV = "/opt/storplan"
"""The guest's venv (made with --system-site-packages, so Debian's rtslib-fb imports)."""
STORAGE_MODULES = ("configfs", "target_core_mod", "iscsi_target_mod", "target_core_file",
                   "target_core_iblock", "dm_thin_pool")
PREPARE_GUEST = f"""
set -e
modprobe -a {' '.join(STORAGE_MODULES)}
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
systemctl is-system-running --wait || systemctl --failed --no-pager
udevadm settle
sync
echo 3 > /proc/sys/vm/drop_caches
"""
"""Run once after the cold boot, before the warm state is saved."""
COLD_BOOT_TIMEOUT = 300.0
WARM_BOOT_TIMEOUT = 60.0
DEFAULT_TIMEOUT = 600.0


class LabCommandError(LabError):
    """A command in the guest failed (or could not be run)."""

    def __init__(self, command: str, returncode: int, stdout: str, stderr: str) -> None:
        self.command = command
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(
            f"guest command failed with exit code {returncode}: {command}\n"
            f"--- stdout ---\n{stdout[-4000:]}\n--- stderr ---\n{stderr[-4000:]}"
        )


class LabVM:
    """A lab guest owned by one test session; all its files live in ``session_dir``."""

    def __init__(self, session_dir: Path, repo: Path, *, cache: LabCache | None = None,
                 config: MachineConfig | None = None) -> None:
        """Prepare (but do not boot) a guest; ``repo`` is storplan's working tree."""
        self.session_dir = session_dir
        self.repo = repo
        self.cache = cache or LabCache()
        self.config = config or MachineConfig()
        self._requirements = guest_requirements(repo)
        self._qemu: QemuProcess | None = None
        self._socket_dir = _short_dir(session_dir)
        self._warm_error = ""
        self.build_seconds: float | None = None
        """Seconds spent building the image in this session (None: it was cached)."""
        self.cold_boot_seconds: float | None = None
        """qemu start to ssh ready on a cold boot in this session (None: none was needed)."""
        self.warm_boot_seconds: float | None = None
        """qemu start (``-loadvm``) to ssh ready and clock reset."""
        self.install_seconds: float | None = None
        """Building storplan's wheel on the host and installing it in the guest."""
        self.reboot_seconds: float | None = None
        """The last :meth:`reboot`, from ``systemctl reboot`` to ssh ready."""

    # --- boot and stop -------------------------------------------------------------------

    def boot(self) -> None:
        """Start the guest from the warm state; cold boot (and save that state) if there is none."""
        image, self.build_seconds = self.cache.ensure_image(self._requirements)
        fingerprint = self._warm_fingerprint(image)
        if self._warm_boot(image, fingerprint):
            return
        with self.cache.lock(exclusive=True):
            if not self.cache.has_warm(fingerprint):  # a concurrent run may have saved it
                self._cold_boot_and_save(image, fingerprint)
        if not self._warm_boot(image, fingerprint):
            raise LabError(f"the freshly saved warm state did not start: {self._warm_error}\n"
                           + diagnostics(self.session_dir))

    def stop(self) -> None:
        """Close ssh, quit qemu (killing it if needed) and delete the session's disks."""
        if self._qemu is not None:
            self._close_ssh()
            self._qemu.stop()
            self._qemu = None
        for name in ("root.qcow2", "data.qcow2"):
            (self.session_dir / name).unlink(missing_ok=True)

    def reboot(self) -> float:
        """Reboot the guest for real (kernel, systemd, boot-time services; disks keep their
        contents) and reconnect; returns the seconds until ssh answered again."""
        old_boot = self.run("cat /proc/sys/kernel/random/boot_id").stdout
        started = time.monotonic()
        self.run("systemctl reboot", check=False, timeout=30)
        deadline = started + COLD_BOOT_TIMEOUT
        while time.monotonic() < deadline:
            self._close_ssh()
            time.sleep(1)
            self._wait_for_ssh(max(1.0, deadline - time.monotonic()))
            now = self.run("cat /proc/sys/kernel/random/boot_id", check=False, timeout=30)
            if now.returncode == 0 and now.stdout != old_boot:
                self.reboot_seconds = time.monotonic() - started
                return self.reboot_seconds
        raise LabError(f"the lab VM did not come back within {COLD_BOOT_TIMEOUT:.0f} s\n"
                       + diagnostics(self.session_dir))

    def __enter__(self) -> LabVM:
        self.boot()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def console_log(self) -> Path:
        """The guest's serial console output of this session."""
        return self.session_dir / CONSOLE_LOG

    @property
    def ssh_port(self) -> int:
        """Port on 127.0.0.1 forwarded to the guest's sshd."""
        return self._require_qemu().ssh_port

    def _warm_fingerprint(self, image: LabImage) -> str:
        return digest(image.key, self.config.fingerprint(), PREPARE_GUEST)

    def _warm_boot(self, image: LabImage, fingerprint: str) -> bool:
        """Start from the cached warm state; False (state discarded) if it does not come up."""
        if not self.cache.copy_warm(fingerprint, self.session_dir):
            return False
        started = time.monotonic()
        self._start(image, load_snapshot=True)
        try:
            self._wait_for_ssh(WARM_BOOT_TIMEOUT)
            self.run(["date", "-u", "-s", f"@{time.time():.3f}"], timeout=30)
        except LabError as exc:
            self._warm_error = str(exc)
            self._require_qemu().note(f"warm start failed, state discarded: {exc}")
            self.stop()
            self.cache.discard_warm(fingerprint)
            return False
        self.warm_boot_seconds = time.monotonic() - started
        return True

    def _cold_boot_and_save(self, image: LabImage, fingerprint: str) -> None:
        """Boot the image, load the storage modules, save the warm state into the cache."""
        create_disks(image, self.session_dir, self.config)
        started = time.monotonic()
        self._start(image, load_snapshot=False)
        try:
            self._wait_for_ssh(COLD_BOOT_TIMEOUT)
            self.cold_boot_seconds = time.monotonic() - started
            self.run(PREPARE_GUEST, timeout=300)
            self._close_ssh()
            self._require_qemu().save_snapshot()
        except LabError as exc:
            raise LabError(f"{exc}\n{diagnostics(self.session_dir)}") from exc
        finally:
            self._close_ssh()
            self._require_qemu().stop()
            self._qemu = None
        self.cache.publish_warm(fingerprint, self.session_dir)

    def _start(self, image: LabImage, *, load_snapshot: bool) -> None:
        self._qemu = QemuProcess(image, self.session_dir, self.config,
                                 socket_dir=self._socket_dir)
        self._qemu.start(load_snapshot=load_snapshot)

    def _require_qemu(self) -> QemuProcess:
        if self._qemu is None:
            raise LabError("the lab VM is not running")
        return self._qemu

    # --- ssh -----------------------------------------------------------------------------

    @property
    def _control_path(self) -> Path:
        return self._socket_dir / "ssh.ctl"

    def _ssh_command(self, *extra: str) -> list[str]:
        """An ssh command line (with ``extra`` options) through the session's control path."""
        qemu = self._require_qemu()
        options = {
            "ControlPath": str(self._control_path), "BatchMode": "yes",
            "StrictHostKeyChecking": "no", "UserKnownHostsFile": "/dev/null",
            "LogLevel": "ERROR", "ConnectTimeout": "5", "ServerAliveInterval": "5",
            "ServerAliveCountMax": "6", "IdentitiesOnly": "yes",
        }
        args = ["ssh", *extra, "-p", str(qemu.ssh_port), "-i", str(qemu.image.ssh_key)]
        for key, value in options.items():
            args += ["-o", f"{key}={value}"]
        return [*args, "root@127.0.0.1"]

    def _wait_for_ssh(self, timeout: float) -> None:
        """Start the ssh control master once the guest's sshd answers."""
        qemu = self._require_qemu()
        deadline = time.monotonic() + timeout
        with (self.session_dir / "ssh.log").open("a") as log:
            while time.monotonic() < deadline:
                if not qemu.alive():
                    raise LabError("qemu exited during boot")
                master = subprocess.run(self._ssh_command("-M", "-N", "-f"),
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=log)
                if master.returncode == 0:
                    return
                time.sleep(0.5)
        raise LabError(f"no ssh to the lab VM after {timeout:.0f} s")

    def _close_ssh(self) -> None:
        if self._qemu is not None and self._control_path.exists():
            subprocess.run(self._ssh_command("-O", "exit"),
                           stdin=subprocess.DEVNULL, capture_output=True)

    def _ssh(self, remote: str, *, stdin: int | None, stdout: int | None, input: bytes | None,
             timeout: float) -> subprocess.CompletedProcess[bytes]:
        """Run ``remote`` through the control master; LabCommandError on timeout."""
        try:
            return subprocess.run([*self._ssh_command(), "--", remote], stdin=stdin,
                                  stdout=stdout, stderr=subprocess.PIPE, input=input,
                                  timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise LabCommandError(remote, -1, _text(exc.stdout),
                                  f"{_text(exc.stderr)}\n(timed out after {timeout} s)") from exc

    # --- public API ----------------------------------------------------------------------

    def run(self, command: str | Sequence[str], *, check: bool = True, input: str | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run ``command`` as root in the guest (a shell command line, or argv to quote).

        ``input`` is sent to its standard input. With ``check`` (the default) a non-zero exit
        raises ``LabCommandError`` with the command, exit code, stdout and stderr.
        """
        remote = command if isinstance(command, str) else shlex.join(command)
        result = self._ssh(remote, stdin=subprocess.DEVNULL if input is None else None,
                           stdout=subprocess.PIPE,
                           input=None if input is None else input.encode(), timeout=timeout)
        completed = subprocess.CompletedProcess(remote, result.returncode, _text(result.stdout),
                                                _text(result.stderr))
        if check and completed.returncode != 0:
            raise LabCommandError(remote, completed.returncode, completed.stdout,
                                  completed.stderr)
        return completed

    def put(self, local: Path, remote: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Copy the file ``local`` to the path ``remote`` in the guest."""
        command = f"cat > {shlex.quote(remote)}"
        with local.open("rb") as source:
            result = self._ssh(command, stdin=source.fileno(), stdout=subprocess.PIPE,
                               input=None, timeout=timeout)
        _check_transfer(command, result)

    def get(self, remote: str, local: Path, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        """Copy the guest's file ``remote`` to the path ``local`` on the host."""
        command = f"cat {shlex.quote(remote)}"
        with local.open("wb") as target:
            result = self._ssh(command, stdin=subprocess.DEVNULL, stdout=target.fileno(),
                               input=None, timeout=timeout)
        _check_transfer(command, result)

    def install_storplan(self, repo: Path | None = None) -> None:
        """Build storplan's wheel from the working tree ``repo`` and install it in the guest venv.

        Only storplan itself is installed (``--no-deps``): its dependencies are in the image.
        Byte-compiling is left to the first import: pip alone takes ~10 s under emulation.
        """
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="storplan-wheel-") as tmp:
            wheel = build_storplan_wheel((repo or self.repo).resolve(), Path(tmp))
            remote = f"/tmp/{wheel.name}"
            self.put(wheel, remote)
        self.run([f"{GUEST_VENV}/bin/pip", "install", "-q", "--no-deps", "--no-index",
                  "--force-reinstall", "--no-compile", "--disable-pip-version-check",
                  "--root-user-action=ignore", remote])
        self.run(["rm", "-f", remote])
        self.install_seconds = time.monotonic() - started


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def _check_transfer(command: str, result: subprocess.CompletedProcess[bytes]) -> None:
    if result.returncode != 0:
        raise LabCommandError(command, result.returncode, "", _text(result.stderr))


def _short_dir(directory: Path) -> Path:
    """``directory``, or a new directory in /tmp if its path is too long for unix sockets."""
    if len(str(directory / "ssh.ctl.XXXXXXXXXXXXXXXXXXXX")) < 100:
        return directory
    return Path(tempfile.mkdtemp(prefix="storplan-lab-"))
