"""Provider URIs: ``scheme[+transport]://[user@]host[:port]/path?query``.

The provider is chosen by the part of the scheme before ``+`` (``smis+https`` -> ``smis``).
A password in a URI is refused outright: URIs end up in shell history, CI logs and plan files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from .errors import InvalidArgument

__all__ = ["ProviderURI", "parse_uri"]


@dataclass(frozen=True, slots=True)
class ProviderURI:
    """A parsed provider URI (never holds a password)."""

    scheme: str
    transport: str = ""
    user: str = ""
    host: str = ""
    port: int | None = None
    path: str = ""
    query: dict[str, str] = field(default_factory=dict)

    @property
    def provider(self) -> str:
        """The provider key the URI selects (the scheme before any ``+transport``)."""
        return self.scheme

    def __str__(self) -> str:
        scheme = f"{self.scheme}+{self.transport}" if self.transport else self.scheme
        netloc = f"{self.user}@" if self.user else ""
        netloc += self.host + (f":{self.port}" if self.port is not None else "")
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{scheme}://{netloc}{self.path}" + (f"?{query}" if query else "")


def parse_uri(text: str) -> ProviderURI:
    """Parse a provider URI.

    Raises:
        InvalidArgument: the text is not a URI, or it contains a password.
    """
    if "://" not in text:
        raise InvalidArgument(
            f"{text!r} is not a provider URI",
            hint="write scheme://..., e.g. sim:// or smis+https://admin@array.example.com:5989",
        )
    parts = urlsplit(text)
    if parts.password is not None:
        raise InvalidArgument(
            "the provider URI contains a password; it was not used",
            hint="remove it from the URI and give it through --password-env, "
            "--password-file or --password-prompt",
        )
    scheme, _, transport = parts.scheme.lower().partition("+")
    if not scheme:
        raise InvalidArgument(f"{text!r} has no scheme", hint="e.g. sim:// or lio://")
    try:
        port = parts.port
    except ValueError:
        raise InvalidArgument(f"{text!r} has an invalid port number") from None
    query: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if key in query:
            query[key] = f"{query[key]},{value}"
        else:
            query[key] = value
    return ProviderURI(
        scheme=scheme,
        transport=transport,
        user=unquote(parts.username or ""),
        host=parts.hostname or "",
        port=port,
        path=unquote(parts.path),
        query=query,
    )
