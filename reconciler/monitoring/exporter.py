"""The Prometheus exporter: one observation per interval, however many scrapers.

:class:`Snapshots` holds the last exposition and takes a new round of observations only when
it is older than the interval; concurrent scrapes wait for the round in progress and share
it.  :func:`serve` answers ``GET /metrics`` over HTTP (loopback by default), optionally
with TLS and HTTP basic authentication; :func:`write_textfile` writes the same text for
node_exporter's textfile collector (atomically: a reader never sees half a file).
"""

from __future__ import annotations

import base64
import hmac
import logging
import ssl
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

from ..files import write_private
from .exposition import CONTENT_TYPE, render
from .probe import Probe, sample_all

if TYPE_CHECKING:
    from storplan.credentials import Secret

__all__ = ["Access", "Snapshots", "make_server", "write_textfile"]

log = logging.getLogger(__name__)


class Snapshots:
    """The exposition of the latest round over ``probes``, renewed at most every
    ``interval`` seconds."""

    def __init__(self, probes: Sequence[Probe], interval: float) -> None:
        self.probes = list(probes)
        self.interval = interval
        self.errors: dict[str, int] = {p.array: 0 for p in self.probes}
        self.rounds = 0
        self._text = ""
        self._taken = float("-inf")
        self._lock = threading.Lock()

    def text(self) -> str:
        """The current exposition (observing first if the last round is too old)."""
        with self._lock:
            if time.monotonic() - self._taken >= self.interval:
                self._text = self._round()
                self._taken = time.monotonic()
            return self._text

    def _round(self) -> str:
        observations = sample_all(self.probes)
        for o in observations:
            self.errors[o.array] += not o.up
        self.rounds += 1
        return render(observations, self.errors)


@dataclass(frozen=True, slots=True)
class Access:
    """Who may scrape: HTTP basic authentication (``user`` empty: anyone) and TLS."""

    user: str = ""
    password: Secret | None = None
    tls_cert: str = ""
    tls_key: str = ""

    def allows(self, header: str | None) -> bool:
        """True when the ``Authorization`` header carries the right credentials."""
        if not self.user:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            given = base64.b64decode(header[6:], validate=True).decode()
        except ValueError:
            return False
        expected = f"{self.user}:{self.password.reveal() if self.password else ''}"
        return hmac.compare_digest(given.encode(), expected.encode())


def make_server(snapshots: Snapshots, host: str, port: int, access: Access) -> ThreadingHTTPServer:
    """An HTTP(S) server for ``snapshots`` on ``host:port`` (port 0: any free port); call
    ``serve_forever()`` on it."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "storplan-exporter"

        def do_GET(self) -> None:
            if not access.allows(self.headers.get("Authorization")):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="storplan"')
                self.end_headers()
                return
            if self.path.split("?")[0] != "/metrics":
                body, status, kind = b'<a href="/metrics">metrics</a>\n', 404, "text/html"
            else:
                body, status, kind = snapshots.text().encode(), 200, CONTENT_TYPE
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s " + format, self.address_string(), *args)

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    if access.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(access.tls_cert, access.tls_key or None)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def write_textfile(path: str, text: str) -> None:
    """Replace ``path`` with ``text`` atomically (node_exporter reads ``*.prom`` files)."""
    # 0644: node_exporter runs as its own user; metrics hold no secret
    write_private(path, text, mode=0o644)
