"""Provider URIs: ``scheme[+transport]://[user@]host[:port]/path?query``.

The provider is chosen by the part of the scheme before ``+`` (``smis+https`` -> ``smis``).
A password in a URI is refused outright: URIs end up in shell history, CI logs and plan files.
(Parsed with one regular expression rather than ``urllib.parse``, whose import costs more than
the rest of ``storplan show`` start-up; percent-escapes are decoded the same way.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import InvalidArgument

__all__ = ["ProviderURI", "parse_uri"]

_URI = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?:(?P<userinfo>[^@/?#]*)@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:/?#]*)"
    r"(?::(?P<port>[^/?#]*))?"
    r"(?P<path>/[^?#]*)?"
    r"(?:\?(?P<query>[^#]*))?"
    r"(?:#.*)?"
)
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")


def _unquote(text: str) -> str:
    if "%" not in text and "+" not in text:
        return text
    raw = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    return raw.encode("latin-1", "surrogateescape").decode("utf-8", "replace")


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

    @property
    def identity(self) -> str:
        """The array this URI reaches, without its options; locks and ownership are keyed
        by it (``sim:///a.db`` and ``sim:///a.db?latency=*:0`` are the same array)."""
        scheme = f"{self.scheme}+{self.transport}" if self.transport else self.scheme
        netloc = (f"{self.user}@" if self.user else "") + self.host
        netloc += f":{self.port}" if self.port is not None else ""
        return f"{scheme}://{netloc}{self.path}"

    def __str__(self) -> str:
        scheme = f"{self.scheme}+{self.transport}" if self.transport else self.scheme
        netloc = f"{self.user}@" if self.user else ""
        netloc += self.host + (f":{self.port}" if self.port is not None else "")
        query = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{scheme}://{netloc}{self.path}" + (f"?{query}" if query else "")


def _query(text: str) -> dict[str, str]:
    query: dict[str, str] = {}
    for pair in filter(None, re.split(r"[&;]", text)):
        key, _, value = pair.partition("=")
        key, value = _unquote(key.replace("+", " ")), _unquote(value.replace("+", " "))
        query[key] = f"{query[key]},{value}" if key in query else value
    return query


def _has_password(text: str) -> bool:
    """True if the authority part carries ``user:password@``.

    Checked on the raw text before anything else, so that no later error message can echo a
    password, whatever characters it contains.  (The userinfo is everything before the last
    ``@`` of a URI that has a host; an ``@`` in the path of such a URI is therefore not
    supported, which only ever errs on the side of refusing.)
    """
    _, sep, rest = text.partition("://")
    if not sep or rest.startswith("/") or "@" not in rest:
        return False
    return ":" in rest[: rest.rfind("@")]


def _check_host(host: str) -> str:
    if host.startswith("["):
        import ipaddress  # only for IPv6 literals: the import is not free

        try:
            ipaddress.IPv6Address(host.strip("[]"))
        except ValueError:
            raise InvalidArgument(f"{host!r} is not a valid IPv6 address literal") from None
        return host.strip("[]").lower()
    return host.lower()


def parse_uri(text: str) -> ProviderURI:
    """Parse a provider URI.

    Raises:
        InvalidArgument: the text is not a URI, or it contains a password.
    """
    if not isinstance(text, str):
        raise InvalidArgument(f"a provider URI must be text, not {type(text).__name__}")
    if _has_password(text):
        raise InvalidArgument(
            "the provider URI contains a password; it was not used",
            hint="remove it from the URI and give it through --password-env, "
            "--password-file or --password-prompt",
        )
    match = _URI.fullmatch(text.strip())
    if match is None:
        raise InvalidArgument(
            f"{text!r} is not a provider URI",
            hint="write scheme://..., e.g. sim:// or smis+https://admin@array.example.com:5989",
        )
    port_text = match.group("port")
    if port_text is not None and not (
        port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536
    ):
        raise InvalidArgument(f"{text!r} has an invalid port number {port_text!r}")
    scheme, _, transport = match.group("scheme").lower().partition("+")
    return ProviderURI(
        scheme=scheme,
        transport=transport,
        user=_unquote(match.group("userinfo") or ""),
        host=_check_host(match.group("host")),
        port=int(port_text) if port_text else None,
        path=_unquote(match.group("path") or ""),
        query=_query(match.group("query") or ""),
    )
