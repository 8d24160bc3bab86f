"""``smis+https://`` URI options: where the array is and how to talk to it safely.

URI: ``smis+https://user@host[:5989]/?namespace=root/vendor&ca_bundle=/etc/ssl/array-ca.pem
&client_cert=/path/cert.pem&client_key=/path/key.pem&timeout=30&page_size=1000&pull=auto``

* The transport is ``https`` (port 5989 by default).  ``smis+http`` (port 5988) sends the
  password in clear text and is refused unless ``insecure=true`` is also given.
* ``namespace``: the array's vendor namespace; without it the provider discovers it through
  the interop namespace (``interop``, ``root/interop``, ``root/PG_Interop``), as SMI-S clients
  do.  ``interop`` names the interop namespace when it is not one of those.
* ``ca_bundle``: a PEM file (or ``c_rehash``-ed directory) of the certificate authorities the
  array's certificate is checked against; without it, the system's trust store.
* ``client_cert`` / ``client_key``: a client certificate (PEM) for two-way TLS.
* ``insecure=true``: skip certificate *and* host name verification.  Logged as a WARNING on
  every connection, because it makes the password visible to anyone in the middle.
* ``timeout``: seconds each WBEM request may take (default 60); ``job_timeout``: seconds the
  provider waits for an intermediate array job inside one operation (default 600).
* ``page_size``: MaxObjectCount of pull operations (default 1000); ``pull``: ``auto`` (pull
  operations, falling back to the traditional ones when the server refuses them), ``true`` or
  ``false``.

The password never comes from the URI (see :mod:`storplan.uri`): the provider receives it as a
:class:`~storplan.credentials.Secret`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from storplan.errors import InvalidArgument
from storplan.uri import ProviderURI

__all__ = ["DEFAULT_PORTS", "SmisOptions", "parse_options"]

DEFAULT_PORTS = {"https": 5989, "http": 5988}
_KNOWN = (
    "namespace",
    "interop",
    "ca_bundle",
    "client_cert",
    "client_key",
    "insecure",
    "timeout",
    "job_timeout",
    "page_size",
    "pull",
)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class SmisOptions:
    """Validated connection settings of one ``smis`` URI (never holds the password)."""

    transport: str
    host: str
    port: int
    user: str
    namespace: str | None = None
    interop: str | None = None
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool = False
    timeout: float = 60.0
    job_timeout: float = 600.0
    page_size: int = 1000
    pull: bool | None = None

    @property
    def url(self) -> str:
        """The WBEM server URL (no user, no password)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


def _flag(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InvalidArgument(f"smis option {name}={text!r} is not true or false")


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise InvalidArgument(f"smis option {name}={text!r} must be a number of seconds > 0")
    return value


def _file(name: str, path: str) -> str:
    expanded = os.path.expanduser(path)
    if not os.path.exists(expanded):
        raise InvalidArgument(
            f"smis option {name}: {path} does not exist", hint="give the path of a PEM file"
        )
    return expanded


def parse_options(uri: ProviderURI) -> SmisOptions:
    """Validate an ``smis`` URI.

    Raises:
        InvalidArgument: unknown option, bad value, missing host or user, or plain HTTP
            without ``insecure=true``.
    """
    query = dict(uri.query)
    unknown = sorted(set(query) - set(_KNOWN))
    if unknown:
        raise InvalidArgument(
            f"unknown smis option(s): {', '.join(unknown)}", hint=f"options: {', '.join(_KNOWN)}"
        )
    transport = uri.transport or "https"
    if transport not in DEFAULT_PORTS:
        raise InvalidArgument(
            f"smis transport {transport!r} is not https or http",
            hint="write smis+https://user@array:5989/",
        )
    if not uri.host:
        raise InvalidArgument("an smis URI needs a host", hint="smis+https://user@array:5989/")
    if not uri.user:
        raise InvalidArgument(
            "an smis URI needs a user name", hint="smis+https://admin@array.example.com:5989/"
        )
    if uri.path not in ("", "/"):
        raise InvalidArgument(
            f"smis URIs have no path (got {uri.path!r})",
            hint="give the namespace as ?namespace=root/vendor",
        )
    insecure = _flag("insecure", query["insecure"]) if "insecure" in query else False
    if transport == "http" and not insecure:
        raise InvalidArgument(
            "smis+http sends the password unencrypted",
            hint="use smis+https, or add insecure=true if you accept the risk",
        )
    cert = _file("client_cert", query["client_cert"]) if "client_cert" in query else None
    key = _file("client_key", query["client_key"]) if "client_key" in query else None
    if key and not cert:
        raise InvalidArgument("smis option client_key needs client_cert as well")
    pull_text = query.get("pull", "auto").strip().lower()
    pull = None if pull_text == "auto" else _flag("pull", pull_text)
    page_text = query.get("page_size", "1000")
    if not page_text.isdigit() or not 1 <= int(page_text) <= 100000:
        raise InvalidArgument(f"smis option page_size={page_text!r} must be 1..100000")
    return SmisOptions(
        transport=transport,
        host=uri.host,
        port=uri.port or DEFAULT_PORTS[transport],
        user=uri.user,
        namespace=query.get("namespace") or None,
        interop=query.get("interop") or None,
        ca_bundle=_file("ca_bundle", query["ca_bundle"]) if "ca_bundle" in query else None,
        client_cert=cert,
        client_key=key,
        insecure=insecure,
        timeout=_seconds("timeout", query["timeout"]) if "timeout" in query else 60.0,
        job_timeout=(
            _seconds("job_timeout", query["job_timeout"]) if "job_timeout" in query else 600.0
        ),
        page_size=int(page_text),
        pull=pull,
    )
