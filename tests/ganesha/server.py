"""A real ``ganesha.nfsd`` on a private ``dbus-daemon``, in a temporary directory, for tests.

Ganesha runs in the foreground (``-F``) as a child process: NFSv4 only, bound to 127.0.0.1 on
a free port, no NLM/RQUOTA/UDP (so no rpcbind is needed), no grace period (``Graceless``), its
pid file, log and recovery directory in the temporary directory.  Its D-Bus is a private
``dbus-daemon`` whose policy lets root own ``org.ganesha.nfsd``; Ganesha finds it through
``DBUS_SYSTEM_BUS_ADDRESS``.  The main configuration includes storplan's index, the way the
provider's README asks an administrator to set it up.

The user-space NFS client is libnfs-utils (``nfs-ls``, ``nfs-cp``, ``nfs-cat``): no kernel
module, no mount.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

__all__ = ["TOOLS", "GaneshaServer", "unavailable_reason"]

TOOLS = {
    "ganesha.nfsd": "nfs-ganesha",
    "dbus-daemon": "dbus-daemon",
    "dbus-send": "dbus-bin",
    "nfs-ls": "libnfs-utils",
    "nfs-cp": "libnfs-utils",
    "nfs-cat": "libnfs-utils",
}
"""Host commands the tests need, with the Debian package of each."""
VFS_LIBRARY = "/usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so"
START_TIMEOUT = 60.0

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy user="root">
    <allow own="org.ganesha.nfsd"/>
  </policy>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"""

MAIN_CONFIG = """# The test server's main configuration (as an administrator would write it).
NFS_CORE_PARAM {{
    Protocols = 4;
    NFS_Port = {port};
    Bind_addr = 127.0.0.1;
    Enable_NLM = false;
    Enable_RQUOTA = false;
    Enable_UDP = false;
}}
NFSv4 {{
    Graceless = true;
    RecoveryBackend = fs;
    RecoveryRoot = "{root}/recovery";
}}
LOG {{
    Default_Log_Level = EVENT;
}}
%include "{index}"
"""


def unavailable_reason() -> str | None:
    """Why a Ganesha test server cannot run here, or ``None``."""
    import shutil

    missing = sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})
    if not os.path.exists(VFS_LIBRARY):
        missing.append("nfs-ganesha-vfs")
    if missing:
        return f"the ganesha tests need: apt-get install {' '.join(sorted(set(missing)))}"
    if os.geteuid() != 0:
        return "ganesha.nfsd with FSAL_VFS needs root (open_by_handle_at)"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class GaneshaServer:
    """One test server; :meth:`start` and :meth:`stop` (also :meth:`restart`)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / "base"
        self.export_dir = root / "storplan.d"
        self.main_config = root / "ganesha.conf"
        self.log = root / "ganesha.log"
        self.socket = root / "bus.sock"
        self.port = _free_port()
        self._dbus: subprocess.Popen[bytes] | None = None
        self._ganesha: subprocess.Popen[bytes] | None = None

    @property
    def bus(self) -> str:
        """The private bus's D-Bus address."""
        return f"unix:path={self.socket}"

    def uri(self, **extra: str) -> str:
        """The provider URI of this server."""
        query = {
            "export_dir": str(self.export_dir),
            "main_config": str(self.main_config),
            "bus": self.bus,
            **extra,
        }
        return f"ganesha://{self.base}?" + "&".join(
            f"{k}={quote(v, safe='/:=')}" for k, v in query.items()
        )

    def nfs_url(self, path: str) -> str:
        """A libnfs URL of ``path`` (a pseudo path, or one inside an export)."""
        return f"nfs://127.0.0.1{path}?version=4&nfsport={self.port}"

    def nfs(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a libnfs-utils command (``nfs-ls``, ``nfs-cp``, ``nfs-cat``) against it."""
        return subprocess.run(
            list(args), capture_output=True, text=True, timeout=60, check=False,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start the bus (once) and ganesha.nfsd; return once Ganesha answers on D-Bus."""
        for directory in (self.base, self.export_dir, self.root / "recovery"):
            directory.mkdir(parents=True, exist_ok=True)
        index = self.export_dir / "exports.conf"
        if not index.exists():
            index.write_text("", encoding="utf-8")  # a missing %include stops Ganesha
        self.main_config.write_text(
            MAIN_CONFIG.format(port=self.port, root=self.root, index=index), encoding="utf-8"
        )
        if self._dbus is None:
            config = self.root / "bus.conf"
            config.write_text(BUS_CONFIG.format(socket=self.socket), encoding="utf-8")
            self._dbus = subprocess.Popen(
                ["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": self.bus}
        self._ganesha = subprocess.Popen(
            ["ganesha.nfsd", "-F", "-f", str(self.main_config), "-L", str(self.log),
             "-p", str(self.root / "ganesha.pid"), "-N", "NIV_EVENT"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        from storplan.errors import StorplanError
        from storplan.providers.ganesha.dbus import GaneshaBus

        deadline = time.monotonic() + START_TIMEOUT
        bus = GaneshaBus(self.bus, timeout=5)
        try:
            while True:
                assert self._ganesha is not None
                if self._ganesha.poll() is not None:
                    raise RuntimeError(f"ganesha.nfsd exited: {self.log_tail()}")
                try:
                    bus.show_exports()
                    if self._listening():
                        return
                except StorplanError:
                    bus.close()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"ganesha.nfsd did not start: {self.log_tail()}")
                time.sleep(0.05)
        finally:
            bus.close()

    def _listening(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def log_tail(self, lines: int = 30) -> str:
        """The end of Ganesha's log (for failure messages)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop_ganesha(self) -> None:
        """Stop ganesha.nfsd (SIGTERM, then SIGKILL after 30 s)."""
        process, self._ganesha = self._ganesha, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)

    def restart(self) -> None:
        """Stop and start ganesha.nfsd (the bus stays)."""
        self.stop_ganesha()
        self.start()

    def stop(self) -> None:
        """Stop ganesha.nfsd and the bus."""
        self.stop_ganesha()
        process, self._dbus = self._dbus, None
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
