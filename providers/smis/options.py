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
* ``max_requests``: how many WBEM requests this process sends the server at once, over every
  array it manages through that server (default 8; 0: no limit).  ``plan`` and ``apply`` work
  on arrays concurrently, and management servers cap their sessions.
* ``listener``: ``HOST:PORT`` where ``storplan watch`` receives the array's indications
  (default ``127.0.0.1:5990``, loopback only: give an address the array can reach);
  ``listener_cert`` / ``listener_key``: PEM files to receive them over HTTPS instead of HTTP.

The password never comes from the URI (see :mod:`storplan.uri`): the provider receives it as a
:class:`~storplan.credentials.Secret`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from storplan.errors import InvalidArgument
from storplan.providers.kit.options import OptionSpec, boolean, integer, text
from storplan.providers.kit.options import parse_options as kit_options
from storplan.uri import ProviderURI

__all__ = ["DEFAULT_PORTS", "SmisOptions", "parse_options"]

DEFAULT_PORTS = {"https": 5989, "http": 5988}


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
    max_requests: int = 8
    listener: tuple[str, int] = ("127.0.0.1", 5990)
    listener_cert: str | None = None
    listener_key: str | None = None

    @property
    def url(self) -> str:
        """The WBEM server URL (no user, no password)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 86400:
        raise ValueError("must be a number of seconds > 0")
    return value


def _file(path: str) -> str:
    expanded = os.path.expanduser(path)
    if not os.path.exists(expanded):
        raise ValueError(f"{path} does not exist")
    return expanded


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("must be HOST:PORT, e.g. 192.0.2.10:5990")
    if host in ("0.0.0.0", "::"):
        raise ValueError("the array needs an address it can send to, not a wildcard")
    return host, int(port)


def _pull(text: str) -> bool | None:
    return None if text.strip().lower() == "auto" else boolean(text)


_OPTIONS = (
    OptionSpec("namespace", text, None, "the array's vendor namespace, e.g. root/emc"),
    OptionSpec("interop", text, None, "the interop namespace, when it is not a usual one"),
    OptionSpec("ca_bundle", _file, None, "give the path of a PEM file"),
    OptionSpec("client_cert", _file, None, "give the path of a PEM file"),
    OptionSpec("client_key", _file, None, "give the path of a PEM file"),
    OptionSpec("insecure", boolean, False, "insecure=true skips certificate checks (loudly)"),
    OptionSpec("timeout", _seconds, 60.0, "seconds each WBEM request may take"),
    OptionSpec("job_timeout", _seconds, 600.0, "seconds to wait for an intermediate array job"),
    OptionSpec("page_size", integer(1, 100000), 1000, "MaxObjectCount of pull operations"),
    OptionSpec("pull", _pull, None, "pull=auto, true or false"),
    OptionSpec("max_requests", integer(0, 1000), 8, "requests in flight at once (0: no limit)"),
    OptionSpec("listener", _address, ("127.0.0.1", 5990), "where indications are received"),
    OptionSpec("listener_cert", _file, None, "give the path of a PEM file"),
    OptionSpec("listener_key", _file, None, "give the path of a PEM file"),
)


def parse_options(uri: ProviderURI) -> SmisOptions:
    """Validate an ``smis`` URI.

    Raises:
        InvalidArgument: unknown option, bad value, missing host or user, or plain HTTP
            without ``insecure=true``.
    """
    values = kit_options("smis", uri.query, _OPTIONS)
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
    if transport == "http" and not values["insecure"]:
        raise InvalidArgument(
            "smis+http sends the password unencrypted",
            hint="use smis+https, or add insecure=true if you accept the risk",
        )
    if values["client_key"] and not values["client_cert"]:
        raise InvalidArgument("smis option client_key needs client_cert as well")
    if bool(values["listener_cert"]) != bool(values["listener_key"]):
        raise InvalidArgument(
            "smis options listener_cert and listener_key go together",
            hint="give both to receive indications over HTTPS, or neither for HTTP",
        )
    return SmisOptions(
        transport=transport,
        host=uri.host,
        port=uri.port or DEFAULT_PORTS[transport],
        user=uri.user,
        namespace=values["namespace"] or None,
        interop=values["interop"] or None,
        ca_bundle=values["ca_bundle"],
        client_cert=values["client_cert"],
        client_key=values["client_key"],
        insecure=values["insecure"],
        timeout=values["timeout"],
        job_timeout=values["job_timeout"],
        page_size=values["page_size"],
        pull=values["pull"],
        max_requests=values["max_requests"],
        listener=values["listener"],
        listener_cert=values["listener_cert"],
        listener_key=values["listener_key"],
    )
