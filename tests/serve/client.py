"""A tiny HTTPS JSON client for the served-API tests (the standard library's urllib:
real TLS, verified with the test CA)."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from typing import Any


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
