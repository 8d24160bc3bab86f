"""Opening the WBEM connection: TLS verification, client certificates, timeouts.

The production path builds a :class:`pywbem.WBEMConnection`; tests inject any factory with the
same signature (for example one returning a ``pywbem_mock.FakedWBEMConnection``).

Certificates are verified by default against the system trust store (the file or directory
OpenSSL was built to use, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), or against ``ca_bundle=``.
Environment variables of the requests library (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
proxies, ``.netrc``) are ignored: they would silently replace the trust the URI configures.
``insecure=true`` turns verification off and logs a WARNING every time a connection is opened.
"""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .options import SmisOptions

if TYPE_CHECKING:
    from storplan.credentials import Secret

__all__ = ["ConnectionFactory", "open_connection", "system_trust_store"]

log = logging.getLogger("storplan.providers.smis")

ConnectionFactory = Callable[[SmisOptions, "Secret | None"], Any]
"""``factory(options, password) -> connection`` (a ``pywbem.WBEMConnection`` or look-alike)."""


def system_trust_store() -> str | None:
    """The system's CA file or directory, as OpenSSL reports it (``None`` if there is none)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.capath):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def open_connection(options: SmisOptions, password: Secret | None) -> Any:
    """A real ``pywbem.WBEMConnection`` to the array, with storplan's TLS policy.

    Nothing is sent yet; the first request (discovery) reveals connection and certificate
    problems.
    """
    import pywbem

    if options.insecure and options.transport == "http":
        log.warning(
            "plain HTTP to %s (insecure=true): the password and all data cross the network "
            "unencrypted",
            options.url,
        )
    elif options.insecure:
        log.warning(
            "TLS verification is OFF for %s (insecure=true): anyone on the network path can "
            "impersonate the array and capture the password",
            options.url,
        )
    x509 = None
    if options.client_cert:
        x509 = {"cert_file": options.client_cert, "key_file": options.client_key}
    creds = (options.user, password.reveal()) if password is not None else None
    conn = pywbem.WBEMConnection(
        options.url,
        creds=creds,
        default_namespace=options.namespace,
        x509=x509,
        ca_certs=options.ca_bundle or system_trust_store(),
        no_verification=options.insecure,
        timeout=options.timeout,
        use_pull_operations=False,  # storplan chooses pull or not per request (client.py)
        stats_enabled=True,
    )
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace the CA bundle given here (and
    # ~/.netrc replace the Authorization header): the URI alone decides whom to trust.
    conn.session.trust_env = False
    return conn
