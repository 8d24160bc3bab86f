"""A real ``storplan serve`` for the served-API tests.

Real: the installed ``storplan`` script run as its own process, serving HTTPS on a free
loopback port with a certificate from a throw-away CA made by the openssl command (the SMI-S
tests' PKI), simulated arrays in SQLite files, the state store and the token file on disk.
Clients verify the server with that CA.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from planhelpers import STORPLAN, cli_env
from smis.tlsserver import Pki, make_pki
from storplan.serve.tokens import TokenStore

ASYNC = "?jobs=async&job_seconds=0.2"


@dataclass
class Served:
    """A running server: its base URL, CA, files and one token per role."""

    url: str
    port: int
    ca: Path
    folder: Path
    config: Path
    state: Path
    tokens: dict[str, str]
    uris: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def context(self) -> ssl.SSLContext:
        """A client TLS context trusting only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def write_config(
    folder: Path, pki: Pki | None, port: int, uris: dict[str, str], failures: int = 100_000
) -> Path:
    lines = [f"listen: 127.0.0.1:{port}", "state: state.db", "tokens: tokens.json"]
    lines.append(f"failed_logins: {{max: {failures}, window: 600}}")
    if pki is not None:
        lines.append(f"tls: {{cert: {pki.server_cert}, key: {pki.server_key}}}")
    lines.append("arrays:")
    lines += [f"  {name}: {{uri: '{uri}', system: sim-array-1}}" for name, uri in uris.items()]
    config = folder / "serve.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def start(folder: Path, config: Path, *extra: str) -> tuple[subprocess.Popen[bytes], Path]:
    """Start ``storplan serve`` and wait (bounded) until it accepts connections."""
    log = folder / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [STORPLAN, "-v", "serve", "--config", str(config), *extra],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=cli_env(folder / "state.db"),
        )
    port = int(config.read_text().split("\n")[0].rsplit(":", 1)[1])
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"storplan serve exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, log
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("storplan serve did not start listening")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""
    return make_pki(tmp_path_factory.mktemp("serve-pki"))


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[Served]:
    """One server for the session: arrays ``array1`` (async jobs), ``array2``, ``fuzz``
    (schemathesis's) and ``clients`` (the example clients'), tokens per scope."""
    folder = tmp_path_factory.mktemp("served")
    uris = {
        "array1": f"sim://{folder}/array1.db{ASYNC}",
        "array2": f"sim://{folder}/array2.db",
        "fuzz": f"sim://{folder}/fuzz.db",
        "clients": f"sim://{folder}/clients.db{ASYNC}",
    }
    port = free_port()
    config = write_config(folder, pki, port, uris)
    store = TokenStore(str(folder / "tokens.json"))
    roles = {
        "read1": ("read", ("array1",)),
        "plan1": ("plan", ("array1",)),
        "apply1": ("apply", ("array1",)),
        "apply2": ("apply", ("array2",)),
        "fuzz": ("apply", ("fuzz",)),
        "clients": ("apply", ("clients",)),
    }
    tokens = {role: store.create(role, scope, arrays)[1] for role, (scope, arrays) in roles.items()}
    process, log = start(folder, config)
    yield Served(
        f"https://127.0.0.1:{port}",
        port,
        pki.ca,
        folder,
        config,
        folder / "state.db",
        tokens,
        uris,
        process,
        log,
    )
    stop(process)
