"""A throwaway PostgreSQL cluster for the tests: ``initdb`` and ``pg_ctl`` in a temporary
directory, listening on a private Unix socket directory and a private loopback port.

Nothing here is faked: it is Debian's PostgreSQL 15 server.  As root the server runs as the
``postgres`` user (initdb refuses root).  Local connections trust; TCP connections need the
password of the ``storplan`` role (scram-sha-256), so tests can exercise password sources.

``STORPLAN_PG`` decides what happens to tests that need it: unset or ``auto``: they run when
PostgreSQL can start here, else skip naming what to install; ``require``: they fail when it
cannot (CI sets this); ``skip``: they are skipped.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ENV = "STORPLAN_PG"
MODES = ("auto", "require", "skip")
BIN = Path("/usr/lib/postgresql/15/bin")
USER = "storplan"
PASSWORD = "pw-of-the-throwaway-cluster"
CERT_USER = "storplan_cert"
"""A role that logs in over TCP with a client certificate only (``hostssl ... cert``)."""
_names = itertools.count(1)


def pg_mode() -> str:
    """The value of ``STORPLAN_PG`` (``auto`` when unset)."""
    mode = os.environ.get(ENV, "").strip().lower() or "auto"
    if mode not in MODES:
        raise pytest.UsageError(f"{ENV}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def unavailable_reason() -> str | None:
    """Why PostgreSQL cannot run here (``None``: it can)."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_ctl").exists():
        return "PostgreSQL 15 is not installed (apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'storplan[postgresql]')"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as postgres"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PgServer:
    """One running cluster (see the module docstring)."""

    root: Path
    fsync: bool = False
    """Tests run without it (throwaway data); the benchmark turns it on."""
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def sockets(self) -> Path:
        return self.root / "sockets"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            _as_server_user([str(a) for a in args]),
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    def init(self) -> None:
        """Create the cluster (``initdb``) and its configuration."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.sockets.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        pwfile.chmod(0o600)
        self._run(
            BIN / "initdb", "-D", self.data, "-U", USER, f"--pwfile={pwfile}", "-A", "trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync",
        )  # fmt: skip
        fsync = "on" if self.fsync else "off"
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(
                f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockets}'\nfsync = {fsync}\n"
                "max_connections = 60\nshared_buffers = 16MB\n"
            )
            if shutil.which("openssl"):  # TLS for TCP clients that ask (the tests of sslmode)
                cert, key = self._certificates()
                conf.write(f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
                           f"ssl_ca_file = '{self.ca}'\n")  # fmt: skip
                hba = self.data / "pg_hba.conf"  # the first matching line wins
                rule = f"hostssl all {CERT_USER} 127.0.0.1/32 cert\n"
                hba.write_text(rule + hba.read_text())

    @property
    def ca(self) -> Path:
        """The certificate authority that signed the server's certificate (``localhost``)."""
        return self.root / "tls" / "ca.pem"

    def _certificates(self) -> tuple[Path, Path]:
        """A throwaway CA and a server certificate for the name ``localhost`` (only)."""
        tls = self.root / "tls"
        tls.mkdir()

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], cwd=tls, check=True, capture_output=True)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.pem", "-days", "2", "-subj", "/CN=storplan test CA")  # fmt: skip
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                "server.csr", "-subj", "/CN=localhost")  # fmt: skip
        (tls / "san.ext").write_text("subjectAltName=DNS:localhost\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2",
                "-extfile", "san.ext")  # fmt: skip
        if os.geteuid() == 0:
            for path in (tls, *tls.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        (tls / "server.key").chmod(0o600)
        return tls / "server.crt", tls / "server.key"

    def client_certificate(self, directory: Path) -> tuple[Path, Path]:
        """A client certificate (and its 0600 key) for the role ``CERT_USER``, signed by
        the cluster's CA, in ``directory``."""
        key, csr, cert = directory / "client.key", directory / "client.csr", directory / "c.crt"
        subprocess.run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
                        "-out", str(csr), "-subj", f"/CN={CERT_USER}"],
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca),
                        "-CAkey", str(self.root / "tls" / "ca.key"), "-CAcreateserial",
                        "-CAserial", str(directory / "serial"), "-out", str(cert), "-days", "1"],
                       check=True, capture_output=True)  # fmt: skip
        key.chmod(0o600)
        return cert, key

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(
            BIN / "pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "60", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` drops every connection at once)."""
        self._run(BIN / "pg_ctl", "-D", self.data, "-m", mode, "-w", "stop", check=False)

    def url(self, database: str) -> str:
        """A URL reaching ``database`` over the Unix socket (no password needed)."""
        return f"postgresql://{USER}@/{database}?host={self.sockets}&port={self.port}"

    def tcp_url(self, database: str) -> str:
        """A URL reaching ``database`` over TCP on 127.0.0.1 (the password is needed)."""
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "t") -> str:
        """A new empty database; returns its name."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def sql(self, database: str, statement: str) -> list[tuple[object, ...]]:
        """Run one statement as the cluster's superuser; its rows."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as conn:
            cursor = conn.execute(statement)
            return cursor.fetchall() if cursor.description else []


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a cluster in a new directory of /tmp (the server user must reach it, which it
    cannot below pytest's 0700 temporary directories) for the ``with`` block; skip or fail
    per STORPLAN_PG."""
    mode = pg_mode()
    if mode == "skip":
        pytest.skip(f"{ENV}=skip")
    reason = unavailable_reason()
    if reason:
        if mode == "require":
            pytest.fail(f"{ENV}=require: {reason}")
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="storplan-pg-"))
    server = PgServer(root)
    try:
        server.init()
        server.start()
    except (subprocess.SubprocessError, OSError) as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        detail = getattr(exc, "stderr", "") or str(exc)
        message = f"PostgreSQL could not start: {detail}\n{log[-2000:]}"
        server.stop("immediate")
        if mode == "require":
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def pgbouncer(server: PgServer, pool_mode: str) -> Iterator[str]:
    """A real PgBouncer in front of ``server`` (``pool_mode`` session or transaction), as the
    server user (it refuses root); yields the URL template ``...:PORT/{database}``."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        if pg_mode() == "require":
            pytest.fail(f"{ENV}=require: pgbouncer is not installed (apt-get install pgbouncer)")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    root = Path(tempfile.mkdtemp(prefix="storplan-pgbouncer-"))
    port = free_port()
    (root / "users.txt").write_text(f'"{USER}" ""\n')
    (root / "pgbouncer.ini").write_text(
        f"[databases]\n* = host={server.sockets} port={server.port}\n"
        f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {root / 'users.txt'}\npool_mode = {pool_mode}\n"
        f"logfile = {root / 'log'}\npidfile = {root / 'pid'}\n"
    )
    if os.geteuid() == 0:
        for path in (root, *root.iterdir()):
            shutil.chown(path, "postgres", "postgres")
    process = subprocess.Popen(
        _as_server_user([binary, str(root / "pgbouncer.ini")]),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.05)
        yield f"postgresql://{USER}@127.0.0.1:{port}/{{database}}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()
        shutil.rmtree(root, ignore_errors=True)
