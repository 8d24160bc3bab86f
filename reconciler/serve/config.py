"""serve.yaml: where the server listens, its TLS files, its arrays, state and token stores.

Example::

    listen: 127.0.0.1:8443
    tls: {cert: server.pem, key: server.key}
    state: state.db                  # the state store (locks, journal, plan signing key)
    tokens: tokens.json              # hashed bearer tokens (storplan serve token create)
    arrays:
      array1: {uri: "sim:///srv/array1.db"}
      east: {uri: "smis+https://admin@east:5989", password_env: EAST_PASSWORD}
    failed_logins: {max: 10, window: 60}   # per client address, then 429 (the defaults)
    clients:                               # client certificates (needs tls.client_ca)
      ci-runner: {scope: plan, arrays: [array1]}   # by the certificate's common name

Relative paths are relative to the file.  Passwords come from ``password_env`` or
``password_file`` (mode 0600), never from the file itself (:mod:`storplan.credentials`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ..credentials import SecretRef
from ..errors import InvalidArgument

__all__ = ["ArrayConfig", "ServeConfig", "load_config", "parse_listen"]

DEFAULT_LISTEN = "127.0.0.1:8443"
_KEYS = {"listen", "tls", "state", "tokens", "arrays", "failed_logins", "clients"}
_ARRAY_KEYS = {"uri", "password_env", "password_file", "system"}


@dataclass(frozen=True, slots=True)
class ArrayConfig:
    """One array the server manages: the name clients use, its URI and credentials."""

    name: str
    uri: str
    credentials: SecretRef | None = None
    system: str | None = None


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """The whole serve.yaml, paths made absolute."""

    path: str
    listen: str = DEFAULT_LISTEN
    cert: str | None = None
    key: str | None = None
    client_ca: str | None = None
    state: str | None = None
    tokens: str = ""
    arrays: dict[str, ArrayConfig] = field(default_factory=dict)
    max_failures: int = 10
    failure_window: float = 60.0
    clients: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    """Client certificate common names: their scope and arrays."""

    def array(self, name: str) -> ArrayConfig | None:
        """The array configured as ``name``, if any."""
        return self.arrays.get(name)

    def array_by_uri(self, uri: str) -> ArrayConfig | None:
        """The array configured with ``uri`` (a saved plan records URIs), if any."""
        return next((a for a in self.arrays.values() if a.uri == uri), None)


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8443`` for IPv6) as host and port.

    Raises:
        InvalidArgument: not HOST:PORT with a port from 0 to 65535.
    """
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535 or not host:
        raise InvalidArgument(
            f"listen address {text!r} is not HOST:PORT", hint="e.g. listen: 127.0.0.1:8443"
        )
    return host.strip("[]"), int(port)


def _fail(path: str, what: str, hint: str = "") -> InvalidArgument:
    return InvalidArgument(f"{path}: {what}", hint=hint or "see docs/bindings/http.md")


def _path(base: str, value: Any, path: str, key: str) -> str:
    if not isinstance(value, str) or not value:
        raise _fail(path, f"{key} must be a file path")
    return os.path.normpath(os.path.join(base, os.path.expanduser(value)))


def _state(base: str, value: Any, path: str) -> str | None:
    """The state store: a URL as written (``postgresql://...``), a file path made absolute."""
    from ..state import is_url

    if isinstance(value, str) and is_url(value):
        return value
    return None if value is None else _path(base, value, path, "state")


def _array(name: Any, data: Any, path: str) -> ArrayConfig:
    if not isinstance(name, str) or not name or not isinstance(data, dict):
        raise _fail(path, f"array {name!r} must be a mapping with uri:")
    unknown = set(data) - _ARRAY_KEYS
    if unknown:
        raise _fail(path, f"array {name!r}: unknown key(s) {', '.join(sorted(unknown))}")
    uri = data.get("uri")
    if not isinstance(uri, str) or not uri:
        raise _fail(path, f"array {name!r} needs uri: (a provider URI without a password)")
    if data.get("password_env") and data.get("password_file"):
        raise _fail(path, f"array {name!r}: give password_env or password_file, not both")
    credentials = None
    if data.get("password_env") or data.get("password_file"):
        file = data.get("password_file")
        base = os.path.dirname(path)
        credentials = SecretRef(
            env=data.get("password_env") or None,
            file=_path(base, file, path, "password_file") if file else None,
        )
    system = data.get("system")
    return ArrayConfig(name, uri, credentials, system if isinstance(system, str) else None)


def load_config(path: str) -> ServeConfig:
    """Read serve.yaml.

    Raises:
        InvalidArgument: the file cannot be read or is not a valid serve configuration.
    """
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise _fail(path, f"not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise _fail(path, "must be a mapping")
    unknown = set(data) - _KEYS
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    base = os.path.dirname(os.path.abspath(path))
    full = os.path.join(base, os.path.basename(path))
    tls = data.get("tls") or {}
    if not isinstance(tls, dict) or set(tls) - {"cert", "key", "client_ca"}:
        raise _fail(full, "tls: takes cert, key and client_ca")
    arrays = data.get("arrays") or {}
    if not isinstance(arrays, dict):
        raise _fail(full, "arrays: must map names to {uri: ...}")
    limits = data.get("failed_logins") or {}
    if not isinstance(limits, dict) or set(limits) - {"max", "window"}:
        raise _fail(full, "failed_logins: takes max and window (seconds)")
    most, window = limits.get("max", 10), limits.get("window", 60)
    if not isinstance(most, int) or isinstance(most, bool) or most < 1:
        raise _fail(full, "failed_logins.max must be a whole number >= 1")
    if not isinstance(window, int | float) or isinstance(window, bool) or window <= 0:
        raise _fail(full, "failed_logins.window must be a number of seconds > 0")
    clients = _clients(data.get("clients") or {}, full, tls, arrays)
    listen = str(data.get("listen") or DEFAULT_LISTEN)
    parse_listen(listen)

    def optional(value: Any, key: str) -> str | None:
        return None if value is None else _path(base, value, full, key)

    return ServeConfig(
        path=full,
        listen=listen,
        cert=optional(tls.get("cert"), "tls.cert"),
        key=optional(tls.get("key"), "tls.key"),
        client_ca=optional(tls.get("client_ca"), "tls.client_ca"),
        state=_state(base, data.get("state"), full),
        tokens=_path(base, data.get("tokens") or "tokens.json", full, "tokens"),
        arrays={str(n): _array(n, a, full) for n, a in arrays.items()},
        max_failures=most,
        failure_window=float(window),
        clients=clients,
    )


def _clients(
    data: Any, path: str, tls: dict[str, Any], arrays: dict[str, Any]
) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``clients:``: certificate common name -> scope and arrays."""
    if not isinstance(data, dict):
        raise _fail(path, "clients: must map certificate common names to {scope, arrays}")
    if data and not tls.get("client_ca"):
        raise _fail(path, "clients: needs tls.client_ca (the CA that signs them)")
    found = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != {"scope", "arrays"}:
            raise _fail(path, f"client {name!r} needs scope: and arrays:")
        names = entry["arrays"]
        if entry["scope"] not in ("read", "plan", "apply"):
            raise _fail(path, f"client {name!r}: scope is read, plan or apply")
        if not isinstance(names, list) or not names or set(map(str, names)) - set(arrays):
            raise _fail(path, f"client {name!r}: arrays must name configured arrays")
        found[str(name)] = (str(entry["scope"]), tuple(map(str, names)))
    return found
