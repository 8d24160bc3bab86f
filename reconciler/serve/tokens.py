"""Bearer tokens, stored hashed in one 0600 JSON file.

A token reads ``stp_<id>_<secret>``: the id finds its entry, the SHA-256 of the whole token
is compared in constant time.  Only the digest is stored, so the file (or a backup of it)
does not hold any usable token; a token is shown once, when it is created.  The server
reads the file again whenever it changes, so ``storplan serve token create`` and ``revoke``
take effect without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass

from ..errors import InvalidArgument, NotFound
from ..files import write_private

__all__ = ["SCOPES", "TokenInfo", "TokenStore"]

SCOPES = ("read", "plan", "apply")
"""Scopes in increasing power: each includes the ones before it."""
_PREFIX = "stp_"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a token may do (never the token itself): its scope and the arrays it sees."""

    id: str
    name: str
    scope: str
    arrays: tuple[str, ...]
    created: float
    sha256: str = ""

    def public(self) -> dict[str, object]:
        """The entry without its digest (``token list``)."""
        data = asdict(self)
        data.pop("sha256")
        data["arrays"] = list(self.arrays)
        return data


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    """The token file at ``path`` (created 0600 on the first token)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._tokens: dict[str, TokenInfo] = {}

    def _load(self) -> dict[str, TokenInfo]:
        with self._lock:
            try:
                stat = os.stat(self.path)
            except FileNotFoundError:
                self._seen, self._tokens = None, {}
                return self._tokens
            seen = (stat.st_mtime_ns, stat.st_size)
            if seen != self._seen:
                if stat.st_mode & 0o077:
                    raise InvalidArgument(
                        f"token file {self.path} is readable by others",
                        hint=f"chmod 600 {self.path}",
                    )
                with open(self.path, encoding="utf-8") as handle:
                    data = json.load(handle)
                entries = (TokenInfo(**{**t, "arrays": tuple(t["arrays"])}) for t in data)
                self._tokens = {t.id: t for t in entries}
                self._seen = seen
            return self._tokens

    def _save(self, tokens: dict[str, TokenInfo]) -> None:
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, mode=0o700, exist_ok=True)
        write_private(self.path, json.dumps([asdict(t) for t in tokens.values()], indent=1))

    def create(self, name: str, scope: str, arrays: tuple[str, ...]) -> tuple[TokenInfo, str]:
        """A new token; returns its entry and the token (shown only now).

        Raises:
            InvalidArgument: an unknown scope, or no array.
        """
        if scope not in SCOPES:
            raise InvalidArgument(f"unknown scope {scope!r}", hint="use read, plan or apply")
        if not arrays:
            raise InvalidArgument("a token needs at least one array", hint="add --array NAME")
        ident = secrets.token_hex(6)
        token = f"{_PREFIX}{ident}_{secrets.token_urlsafe(32)}"
        info = TokenInfo(ident, name or ident, scope, tuple(arrays), time.time(), _digest(token))
        tokens = dict(self._load())
        tokens[ident] = info
        self._save(tokens)
        return info, token

    def list(self) -> list[TokenInfo]:
        """Every token entry, oldest first."""
        return sorted(self._load().values(), key=lambda t: t.created)

    def revoke(self, ident: str) -> None:
        """Remove a token by id.

        Raises:
            NotFound: no token has that id.
        """
        tokens = dict(self._load())
        if tokens.pop(ident, None) is None:
            raise NotFound(f"no token with id {ident!r}", hint="storplan serve token list")
        self._save(tokens)

    def verify(self, token: str) -> TokenInfo | None:
        """The entry of a presented token, or ``None`` if it is not a valid one."""
        if not token.startswith(_PREFIX):
            return None
        ident = token[len(_PREFIX) :].partition("_")[0]
        info = self._load().get(ident)
        if info is None or not hmac.compare_digest(info.sha256, _digest(token)):
            return None
        return info
