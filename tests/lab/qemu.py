"""Starting, talking to and stopping the lab's qemu process (software emulation, TCG).

The stock Debian kernel cannot run under the paravirtual KVM of the machines this runs on, so
the guest is emulated: ``-accel tcg,thread=multi -cpu max``.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shlex
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .image import LabError, LabImage, tail

SNAPSHOT = "booted"
"""Name of the internal snapshot that holds the warm state."""
# panic=0: a panicking guest stops (the boot times out with the console log) instead of
# rebooting in a loop; the guest may reboot itself (LabVM.reboot), so no -no-reboot.
KERNEL_ARGS = "root=/dev/vda rw console=ttyS0 panic=0"
CONSOLE_LOG = "console.log"
QEMU_LOG = "qemu.log"
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class MachineConfig:
    """What the guest looks like; part of the warm state's cache key."""

    memory_mb: int = 2048
    cpus: int = 2
    data_disk_gb: int = 8

    def fingerprint(self) -> str:
        """Text that changes whenever a saved snapshot would no longer fit this machine."""
        return f"{self.memory_mb}M/{self.cpus}cpu/{KERNEL_ARGS}/{qemu_version()}"


def qemu_version() -> str:
    """First line of ``qemu-system-x86_64 --version``."""
    result = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True,
                            check=True)
    return result.stdout.splitlines()[0]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def create_disks(image: LabImage, directory: Path, config: MachineConfig) -> None:
    """Fresh session disks: a qcow2 overlay on the read-only root image and an empty data disk."""
    qemu_img = ["qemu-img", "create", "-q", "-f", "qcow2"]
    for command in (
        [*qemu_img, "-F", "raw", "-b", str(image.root_img), str(directory / "root.qcow2")],
        [*qemu_img, str(directory / "data.qcow2"), f"{config.data_disk_gb}G"],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise LabError(f"{' '.join(command)} failed: {result.stderr.strip()}")


def diagnostics(directory: Path, lines: int = 40) -> str:
    """The end of qemu's log and of the serial console in ``directory``, for error messages."""
    qemu_log, console_log = directory / QEMU_LOG, directory / CONSOLE_LOG
    return (f"--- qemu ({qemu_log}) ---\n{tail(qemu_log, 10)}\n"
            f"--- console ({console_log}) ---\n{tail(console_log, lines)}")


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the process that started qemu dies (no orphaned VMs)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class QemuProcess:
    """One qemu-system-x86_64 process for a session directory.

    Files in the directory: ``root.qcow2`` and ``data.qcow2`` (the guest's /dev/vda and /dev/vdb),
    ``console.log`` (serial console), ``qemu.log`` (qemu's own output), ``qemu.pid`` and
    ``qmp.sock`` (the QMP monitor; in ``socket_dir`` if given, for a short socket path).
    """

    def __init__(self, image: LabImage, directory: Path, config: MachineConfig, *,
                 socket_dir: Path | None = None) -> None:
        self.image = image
        self.directory = directory
        self.config = config
        self.socket_dir = socket_dir or directory
        self.ssh_port = 0
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def console_log(self) -> Path:
        """The guest's serial console (kernel messages, systemd's boot output)."""
        return self.directory / CONSOLE_LOG

    @property
    def qemu_log(self) -> Path:
        """qemu's own stdout and stderr."""
        return self.directory / QEMU_LOG

    @property
    def pidfile(self) -> Path:
        """Holds the PID of the running qemu process."""
        return self.directory / "qemu.pid"

    @property
    def qmp_socket(self) -> Path:
        """QMP monitor socket."""
        return self.socket_dir / "qmp.sock"

    def command_line(self, *, load_snapshot: bool) -> list[str]:
        """The qemu command line; with ``load_snapshot`` it resumes the warm state."""
        d, c = self.directory, self.config
        drive = "if=virtio,format=qcow2,cache=unsafe,discard=unmap"
        args = [
            "qemu-system-x86_64", "-name", "storplan-lab", "-machine", "pc",
            "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", str(c.cpus),
            "-m", str(c.memory_mb), "-nodefaults", "-no-user-config", "-display", "none",
            "-rtc", "base=utc",
            "-kernel", str(self.image.kernel), "-initrd", str(self.image.initrd),
            "-append", KERNEL_ARGS,
            "-chardev", f"file,id=console,path={self.console_log},append=on",
            "-serial", "chardev:console",
            "-drive", f"file={d / 'root.qcow2'},{drive}",
            "-drive", f"file={d / 'data.qcow2'},{drive}",
            "-netdev", f"user,id=net0,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22",
            "-device", "virtio-net-pci,netdev=net0",
            "-device", "virtio-rng-pci",
            "-qmp", f"unix:{self.qmp_socket},server=on,wait=off",
        ]
        return [*args, "-loadvm", SNAPSHOT] if load_snapshot else args

    def start(self, *, load_snapshot: bool) -> None:
        """Start qemu in the background and write its PID to ``qemu.pid``."""
        self.ssh_port = free_port()
        self.qmp_socket.unlink(missing_ok=True)
        command = self.command_line(load_snapshot=load_snapshot)
        with self.qemu_log.open("a") as log:
            log.write(f"$ {shlex.join(command)}\n")
            log.flush()
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        self.pidfile.write_text(f"{self._process.pid}\n")

    def alive(self) -> bool:
        """True while the qemu process runs."""
        return self._process is not None and self._process.poll() is None

    def note(self, text: str) -> None:
        """Append a line to ``qemu.log`` (what the lab decided, for whoever debugs it)."""
        with self.qemu_log.open("a") as log:
            log.write(f"# {text}\n")

    def monitor(self, command: str, timeout: float = 120.0) -> str:
        """Run a human-monitor command (e.g. ``savevm booted``) and return its output."""
        output = Qmp(self.qmp_socket, timeout).execute(
            "human-monitor-command", {"command-line": command})
        return str(output)

    def save_snapshot(self) -> None:
        """Save the running machine (RAM, devices, disks) as the internal snapshot."""
        output = self.monitor(f"savevm {SNAPSHOT}").strip()
        if output:  # savevm prints nothing on success
            raise LabError(f"savevm failed: {output}")

    def stop(self, timeout: float = 15.0) -> None:
        """Quit qemu through QMP; kill it by PID if it is still alive after ``timeout``."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(OSError, LabError):
                Qmp(self.qmp_socket, 5.0).execute("quit")
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self._process = None
        self.pidfile.unlink(missing_ok=True)


class Qmp:
    """A minimal client of qemu's QMP monitor: one connection per command."""

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.timeout = timeout

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> Any:
        """Run one QMP command and return its ``return`` value; LabError on a QMP error."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(self.timeout)
            sock.connect(str(self.path))
            with sock.makefile("rwb") as stream:
                self._receive(stream)  # greeting
                self._send(stream, "qmp_capabilities", None)
                self._receive(stream)
                self._send(stream, command, arguments)
                return self._receive(stream).get("return")

    @staticmethod
    def _send(stream: Any, command: str, arguments: dict[str, Any] | None) -> None:
        message: dict[str, Any] = {"execute": command}
        if arguments:
            message["arguments"] = arguments
        stream.write(json.dumps(message).encode() + b"\n")
        stream.flush()

    @staticmethod
    def _receive(stream: Any) -> dict[str, Any]:
        """The next reply, skipping asynchronous events."""
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = stream.readline()
            if not line:
                raise LabError("QMP connection closed")
            reply: dict[str, Any] = json.loads(line)
            if "error" in reply:
                raise LabError(f"QMP error: {reply['error']}")
            if "event" not in reply:
                return reply
        raise LabError("no QMP reply")
