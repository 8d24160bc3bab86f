"""What an endpoint is: the one description the application and the OpenAPI document share.

Each :class:`Endpoint` holds its method and path, the scope it needs, its request and
response schemas and a synchronous handler (run in a worker thread: every handler waits on
an array or the state store).  :mod:`.app` serves the list; :mod:`.openapi` describes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import Services
    from .auth import Identity

__all__ = ["Call", "Endpoint", "Reply"]

Schema = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One authenticated request as a handler sees it."""

    identity: Identity
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    services: Services
    method: str
    path: str

    @property
    def who(self) -> str:
        """What the journal records about the request: identity, method and path."""
        return f"storplan serve: {self.identity.name} {self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Reply:
    """A handler's answer: status, JSON body, headers."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    encoded: bytes | None = None
    """The body already encoded as JSON (shared observations), sent instead of ``body``."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One served operation (see the module docstring)."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    scope: str
    handler: Callable[[Call], Reply]
    response: Schema
    status: int = 200
    body: Schema | None = None
    errors: tuple[int, ...] = (404,)
    """Statuses besides 401, 403, 429 and 422 the endpoint may answer with a problem."""
    parameters: tuple[Schema, ...] = ()
    """Query parameters (OpenAPI parameter objects); path parameters are derived."""
