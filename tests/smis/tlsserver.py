"""A real TLS listener on 127.0.0.1 and a throw-away PKI made with the ``openssl`` CLI.

The listener answers every WBEM request with HTTP 401, so a client that gets that far has
completed the TLS handshake; it records what it saw (path, client certificate subject).
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Pki", "TlsListener", "make_pki"]


@dataclass(frozen=True)
class Pki:
    """Paths of the test certificates (PEM)."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_ca: Path
    client_cert: Path
    client_key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _ca(directory: Path, name: str) -> None:
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "2",
        "-subj",
        f"/CN={name}",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.pem",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        cwd=directory,
    )


def _leaf(directory: Path, name: str, ca: str, extensions: str) -> None:
    _openssl(
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        f"/CN={name}",
        "-keyout",
        f"{name}.key",
        "-out",
        f"{name}.csr",
        cwd=directory,
    )
    (directory / f"{name}.ext").write_text(extensions)
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        f"{ca}.pem",
        "-CAkey",
        f"{ca}.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        f"{name}.ext",
        "-out",
        f"{name}.pem",
        cwd=directory,
    )


def make_pki(directory: Path) -> Pki:
    """A server CA and a server certificate for 127.0.0.1, a client CA and a client
    certificate."""
    if shutil.which("openssl") is None:
        import pytest

        pytest.skip("the openssl command is needed to make test certificates")
    _ca(directory, "server-ca")
    _leaf(
        directory,
        "server",
        "server-ca",
        "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    _ca(directory, "client-ca")
    _leaf(directory, "storplan-client", "client-ca", "extendedKeyUsage=clientAuth\n")
    return Pki(
        directory / "server-ca.pem",
        directory / "server.pem",
        directory / "server.key",
        directory / "client-ca.pem",
        directory / "storplan-client.pem",
        directory / "storplan-client.key",
    )


@dataclass
class Seen:
    """What the listener saw."""

    requests: list[str] = field(default_factory=list)
    client_subjects: list[str] = field(default_factory=list)
    authorization: list[bool] = field(default_factory=list)


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: Seen

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.seen.requests.append(self.path)
        self.seen.authorization.append("Authorization" in self.headers)
        peer = self.connection.getpeercert()  # type: ignore[attr-defined]
        if peer:
            subject = dict(item[0] for item in peer["subject"])
            self.seen.client_subjects.append(subject.get("commonName", ""))
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="wbem"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class TlsListener:
    """An HTTPS server on 127.0.0.1 (a random port) in a background thread."""

    def __init__(self, pki: Pki, *, require_client_cert: bool = False) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server_cert, pki.server_key)
        if require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(pki.client_ca)
        self.seen = Seen()
        handler = type("Handler", (_Handler,), {"seen": self.seen})
        self.server = http.server.HTTPServer(("127.0.0.1", 0), handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TlsListener:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
