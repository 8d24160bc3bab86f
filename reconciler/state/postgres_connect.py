"""Connecting to a PostgreSQL state store: the URL, its password source, TLS, the schema.

A URL never carries a password (refused before anything else, so no message can echo it):
the password comes from the ``state:`` block's ``password:`` source (an environment
variable, a 0600 file or a prompt, as for arrays), else from libpq's own ``PGPASSWORD`` or
``~/.pgpass``.  A host that is not local gets ``sslmode=verify-full`` unless told otherwise:
the server's certificate must be signed by a trusted authority and name that host.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from ..errors import StateStoreError
from ..uri import _has_password

if TYPE_CHECKING:
    import psycopg

    from ..credentials import Secret
    from .config import StateConfig

__all__ = [
    "check_url",
    "connect",
    "connection_settings",
    "display",
    "is_local",
    "one_row",
    "psycopg_module",
    "read_password",
]

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_LOCAL = {"", "localhost", "127.0.0.1", "::1", "[::1]"}


def display(url: str) -> str:
    """The URL for messages: scheme, user, host, port and database (no query)."""
    return url.split("?", 1)[0]


def is_local(url: str) -> bool:
    """True for a Unix socket or a loopback host (TLS is not required by default)."""
    parts = urlsplit(url)
    hosts = dict(parse_qsl(parts.query)).get("host", "") or (parts.hostname or "")
    return all(h in _LOCAL or h.startswith("/") for h in hosts.split(","))


def check_url(url: str) -> None:
    """Refuse a URL that carries a password (without echoing it) or an invalid schema."""
    query = dict(parse_qsl(urlsplit(url).query)) if "?" in url else {}
    if _has_password(url) or "password" in query:
        raise StateStoreError(
            "the state store URL carries a password; it never may (URLs end up in shell "
            "history, process lists and logs)",
            hint="remove it from the URL and give state.password in .storplan.yaml "
            "({env: VAR}, {file: PATH} or {prompt: true}), or use PGPASSWORD or ~/.pgpass",
        )


# A lost network must fail a write within about half a minute, not after the kernel's two
# hours of TCP keepalive: these apply unless the URL sets them (Unix sockets ignore them).
_TCP = {
    "connect_timeout": "10",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
}


def connection_settings(config: StateConfig) -> dict[str, Any]:
    """libpq settings besides the URL: the TLS settings, ``sslmode=verify-full`` by default
    for a host that is not local (a URL's own ``sslmode=`` is kept), and time limits on
    connecting and on a silent network."""
    settings: dict[str, Any] = dict(config.tls)
    chosen = "sslmode" in settings or "sslmode=" in config.location
    if not chosen and not is_local(config.location):
        settings["sslmode"] = "verify-full"
    for name, value in _TCP.items():
        if f"{name}=" not in config.location:
            settings[name] = value
    return settings


def read_password(config: StateConfig) -> Secret | None:
    """The password from the configured source, once per store (a prompt asks once)."""
    if config.password is None:
        return None
    return config.password.read(f"Password of the state store {display(config.location)}")


def psycopg_module() -> Any:
    """psycopg, or a clear error naming the extra to install."""
    try:
        import psycopg
    except ImportError:
        raise StateStoreError(
            "a PostgreSQL state store needs psycopg 3",
            hint="pip install 'storplan[postgresql]'",
        ) from None
    return psycopg


def connect(
    config: StateConfig, password: Secret | None, *, autocommit: bool, purpose: str
) -> psycopg.Connection[Any]:
    """A connection to the store's database with ``search_path`` set to its schema.

    Raises:
        StateStoreError: psycopg is missing, the URL or schema is invalid, or the server
            cannot be reached or refuses (the message names the store, never a password).
    """
    check_url(config.location)
    if not _SCHEMA_NAME.match(config.schema):
        raise StateStoreError(
            f"state.schema {config.schema!r} is not a plain lower-case SQL name",
            hint="use letters, digits and _ (e.g. storplan_team1)",
        )
    psycopg = psycopg_module()
    settings = connection_settings(config)
    settings["application_name"] = f"storplan ({purpose})"
    if password is not None:
        settings["password"] = password.reveal()
    try:
        conn = psycopg.connect(config.location, autocommit=autocommit, **settings)
    except psycopg.Error as exc:
        raise unreachable(config.location, exc) from None
    try:
        conn.execute("SELECT set_config('search_path', %s, false)", (config.schema,))
        if not autocommit:
            conn.commit()
    except psycopg.Error as exc:
        conn.close()
        raise unreachable(config.location, exc) from None
    return conn  # type: ignore[no-any-return]


def one_row(cursor: Any) -> Any:
    """The one row a query returns (a query that always returns one)."""
    row = cursor.fetchone()
    assert row is not None
    return row


def unreachable(url: str, exc: Exception) -> StateStoreError:
    """The error of a server that cannot be reached or that failed a statement."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return StateStoreError(
        f"state store {display(url)}: {text}",
        hint="check that the database server runs and is reachable, and the URL, user, "
        "password source and TLS settings",
    )
