"""Running the application on uvicorn: TLS by default, plain HTTP only on loopback.

With ``tls.client_ca`` in serve.yaml, clients must also present a certificate signed by that
CA (mutual TLS).  uvicorn does not pass the peer certificate to the application, so the
server then runs uvicorn's h11 protocol with one addition: each connection's verified client
certificate name goes into the ASGI TLS extension (``client_cert_name``, RFC 4514), where
:mod:`.app` finds the identity serve.yaml maps it to (``clients:``).
"""

from __future__ import annotations

import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from .config import ServeConfig, parse_listen

if TYPE_CHECKING:
    from .app import Services

__all__ = ["check_listen", "serve", "services_for"]


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_listen(config: ServeConfig, listen: str, plain_http: bool) -> tuple[str, int]:
    """Where to listen, refusing what the security model forbids.

    Raises:
        InvalidArgument: plain HTTP on a non-loopback address, or TLS without cert and key.
    """
    host, port = parse_listen(listen)
    if plain_http and not _loopback(host):
        raise InvalidArgument(
            f"plain HTTP is served only on loopback, not on {host}",
            hint="configure tls: {cert: ..., key: ...} in serve.yaml",
        )
    if not plain_http and not (config.cert and config.key):
        raise InvalidArgument(
            f"{config.path}: TLS needs tls.cert and tls.key",
            hint="add them (or --plain-http on 127.0.0.1 for a local test)",
        )
    return host, port


def services_for(config: ServeConfig) -> Services:
    """The shared services of a server over ``config`` (the state store is opened)."""
    from ..state import open_store
    from ..state.config import resolve
    from .app import Services
    from .arrays import ArrayHub
    from .auth import FailureLimiter, certificate_identities
    from .plans import AppliesBook
    from .tokens import TokenStore

    return Services(
        ArrayHub(config),
        # As every command resolves it: state:, else $STORPLAN_STATE, else .storplan.yaml next
        # to serve.yaml (whose state: block also holds PostgreSQL's password and TLS settings).
        open_store(resolve(config.state, [config.path]), write=True),
        TokenStore(config.tokens),
        AppliesBook(),
        FailureLimiter(config.max_failures, config.failure_window),
        certificate_identities(config.clients),
    )


def serve(config: ServeConfig, listen: str, plain_http: bool = False) -> None:
    """Serve until interrupted."""
    import ssl

    import uvicorn

    from .app import build_app

    host, port = check_listen(config, listen, plain_http)
    services = services_for(config)
    app = build_app(services)
    options: dict[str, Any] = {}
    if not plain_http:
        options = {"ssl_certfile": config.cert, "ssl_keyfile": config.key}
        if config.client_ca:
            options |= {"ssl_ca_certs": config.client_ca, "ssl_cert_reqs": ssl.CERT_REQUIRED}
            options["http"] = _certified_protocol()
    logging.getLogger(__name__).info("serving %d arrays on %s:%d", len(config.arrays), host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, **options)
    finally:
        services.hub.close()
        services.store.close()


def _rfc4514(certificate: dict[str, Any] | None) -> str:
    """The subject of a certificate as ``ssl.getpeercert()`` gives it, in RFC 4514 form."""
    names = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU",
             "countryName": "C", "localityName": "L", "stateOrProvinceName": "ST"}  # fmt: skip
    parts = [
        f"{names.get(key, key)}={value.replace(',', chr(92) + ',')}"
        for rdn in (certificate or {}).get("subject", ())
        for key, value in rdn
    ]
    return ",".join(reversed(parts))


def _certified_protocol() -> type:
    """uvicorn's h11 protocol, adding the client certificate's name to each request."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class CertifiedH11(H11Protocol):
        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            name = _rfc4514(transport.get_extra_info("peercert"))
            app = self.app

            async def with_certificate(scope: Any, receive: Any, send: Any) -> None:
                extensions = {**scope.get("extensions", {}), "tls": {"client_cert_name": name}}
                await app({**scope, "extensions": extensions}, receive, send)

            self.app = with_certificate

    return CertifiedH11
