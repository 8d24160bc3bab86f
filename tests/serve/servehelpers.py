"""Helpers of the served-API tests: starting a real ``storplan serve`` and a tiny HTTPS
JSON client (the standard library's urllib: real TLS, verified with the test CA).

Real: the installed ``storplan`` script run as its own process, serving HTTPS on a free
loopback port with a certificate from a throw-away CA made by the openssl command (the SMI-S
tests' PKI), simulated arrays in SQLite files, the state store and the token file on disk.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planhelpers import STORPLAN, cli_env
from smis.tlsserver import Pki

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


class Client:
    """Requests to one server with one bearer token (``None``: no Authorization header)."""

    def __init__(self, url: str, token: str | None, context: ssl.SSLContext) -> None:
        self.url, self.token, self.context = url, token, context

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any, dict[str, str]]:
        """Status, decoded JSON body and headers of one request."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token is not None:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, context=self.context, timeout=60) as answer:
                return answer.status, json.loads(answer.read() or b"null"), dict(answer.headers)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null"), dict(error.headers)

    def get(self, path: str) -> Any:
        status, body, _ = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def wait_job(self, location: str) -> dict[str, Any]:
        """Poll a job resource until it is no longer running (bounded)."""
        for _ in range(600):
            job = self.get(location)
            if job["state"] != "running":
                return dict(job)
            time.sleep(0.05)
        raise AssertionError(f"{location} still running")
