"""Sessions: the typed, capability-checked API over one provider connection.

``storplan.connect(uri)`` returns a :class:`Session`.  Queries and the capability gate live in
:mod:`.session_base`; operations in :mod:`.session_block` and :mod:`.session_nas`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .registry import find_provider
from .session_base import WaitOptions
from .session_block import BlockOperations
from .session_nas import NasOperations
from .uri import ProviderURI, parse_uri

if TYPE_CHECKING:
    from .credentials import Secret, SecretRef

__all__ = ["Session", "WaitOptions", "connect"]


class Session(BlockOperations, NasOperations):
    """A connection to one array.  Use as a context manager to close it reliably.

    Every operation accepts the :class:`WaitOptions` keywords (``wait``, ``timeout``,
    ``progress``) and returns a :class:`~storplan.model.Job` whose ``result`` is the created or
    changed object.
    """


def connect(
    uri: str | ProviderURI,
    *,
    password: Secret | None = None,
    credentials: SecretRef | None = None,
) -> Session:
    """Open a session to the array behind ``uri`` through its registered provider.

    ``password`` is a :class:`~storplan.credentials.Secret` read with
    :func:`~storplan.credentials.read_secret`, or ``credentials`` a reference to where it is
    read from (a manifest's or a saved plan's); it is never taken from the URI.

    Raises:
        InvalidArgument: malformed URI, URI with a password, or no provider for its scheme.
        ConnectionFailed, PermissionDenied: the provider could not open the array.

    A provider whose factory declares ``endpoint(uri)`` with a request limit gets a session
    that keeps to it, with every other session of the process reaching that endpoint
    (:mod:`storplan.endpoints`).
    """
    parsed = parse_uri(uri) if isinstance(uri, str) else uri
    if password is None and credentials is not None:
        password = credentials.read("Password")
    factory = find_provider(parsed.provider).load()
    declare = getattr(factory, "endpoint", None)
    endpoint = declare(parsed) if declare is not None else None
    if endpoint is None or endpoint.max_requests <= 0:
        return Session(factory(parsed, password), parsed)
    from .endpoints import GatedProvider, gate

    slots = gate(endpoint)
    with slots:  # connecting is a request too
        provider = factory(parsed, password)
    return Session(GatedProvider(provider, slots).as_provider(), parsed)
