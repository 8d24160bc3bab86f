"""Who is asking and what they may do: bearer tokens, scopes, arrays, failed-login limits.

Scopes are ordered ``read`` < ``plan`` < ``apply``: a plan token may read, an apply token may
plan.  A token names the arrays it may use; any other configured array is answered ``403``
exactly like a missing scope (the array's existence is not hidden from a valid token, and a
client learns nothing it could not learn from ``GET /arrays``, which lists only its arrays).
A client certificate whose common name serve.yaml maps under ``clients:`` is an identity too,
used when a request has no ``Authorization`` header (a header with a bad token is a failure,
never a fall-back to the certificate).  A client address that fails authentication
``failed_logins.max`` times (default 10) within ``failed_logins.window`` seconds (default 60)
is answered ``429`` (valid tokens too) until the oldest failure leaves the window.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from .tokens import SCOPES, TokenInfo, TokenStore

__all__ = [
    "FailureLimiter",
    "Identity",
    "authenticate",
    "certificate_identities",
    "common_name",
]

MAX_FAILURES = 10
WINDOW = 60.0


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated caller: the name journaled with its requests, scope and arrays."""

    name: str
    scope: str
    arrays: frozenset[str]

    @classmethod
    def of(cls, token: TokenInfo) -> Identity:
        """The identity of a verified token."""
        label = token.id if token.name == token.id else f"{token.name}({token.id})"
        return cls(f"token:{label}", token.scope, frozenset(token.arrays))

    def allows(self, scope: str) -> bool:
        """True when this identity's scope includes ``scope``."""
        return SCOPES.index(self.scope) >= SCOPES.index(scope)

    def sees(self, array: str) -> bool:
        """True when this identity may use the array called ``array``."""
        return array in self.arrays


class FailureLimiter:
    """Counts failed authentications per client address in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def blocked_for(self, client: str) -> float:
        """Seconds until ``client`` may try again (0: it may now)."""
        now = time.monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if len(failures) < self.max_failures:
                return 0.0
            return max(failures[0] + self.window - now, 0.001)

    def failed(self, client: str) -> None:
        """Record one failed authentication of ``client``."""
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # forget idle addresses, bounded memory
                for address in [a for a, f in self._failures.items() if not f]:
                    del self._failures[address]


def authenticate(
    header: str | None, tokens: TokenStore, certified: Identity | None = None
) -> Identity | None:
    """The identity behind an ``Authorization: Bearer ...`` header, or ``None``; without a
    header, the identity of the client certificate (``certified``), if it is mapped."""
    if not header:
        return certified
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    info = tokens.verify(token.strip())
    return None if info is None else Identity.of(info)


def certificate_identities(clients: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, Identity]:
    """The identities of the client certificates serve.yaml maps, by common name."""
    return {
        name: Identity(f"cert:{name}", scope, frozenset(arrays))
        for name, (scope, arrays) in clients.items()
    }


def common_name(distinguished: str | None) -> str:
    """The ``CN`` of an RFC 4514 name (``CN=ci-runner,O=Example``), or ``""``."""
    for part in re.split(r"(?<!\\),", distinguished or ""):
        key, _, value = part.partition("=")
        if key.strip().upper() == "CN":
            return value.replace("\\,", ",").strip()
    return ""
