"""The Starlette application: authentication, authorization, validation, errors, dispatch.

Each request of an :class:`~storplan.serve.endpoints.Endpoint` is, in order: refused with
``429`` if its client address failed authentication too often; authenticated by its bearer
token (``401`` without a valid one, counted as a failure); checked against the endpoint's
scope (``403``); its JSON body validated against the endpoint's schema (``422``); then handled
in a worker thread.  Storplan errors become problem details with their stable code.  The
``Authorization`` header is never logged (uvicorn's access log holds no headers).  A client
certificate reaches the app as the ASGI TLS extension's ``client_cert_name``
(:mod:`.server` adds it).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import StorplanError
from .auth import FailureLimiter, Identity, authenticate, common_name
from .endpoints import Call, Endpoint
from .problems import from_error, problem

if TYPE_CHECKING:
    from ..state.base import StateStore
    from .arrays import ArrayHub
    from .plans import AppliesBook
    from .tokens import TokenStore

__all__ = ["Services", "build_app"]

_log = logging.getLogger(__name__)
_MAX_BODY = 16 << 20


@dataclass
class Services:
    """What handlers share: the arrays, the state store, tokens, apply jobs, the limiter."""

    hub: ArrayHub
    store: StateStore
    tokens: TokenStore
    applies: AppliesBook
    limiter: FailureLimiter
    certificates: dict[str, Identity] = field(default_factory=dict)
    """Identities of mapped client certificates, by common name."""


def _validator(schema: dict[str, Any] | None) -> Any:
    if schema is None:
        return None
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema)


def _route(endpoint: Endpoint, services: Services) -> Route:
    validator = _validator(endpoint.body)

    async def handle(request: Request) -> Response:
        where = request.url.path
        client = request.client.host if request.client else "-"
        wait = services.limiter.blocked_for(client)
        if wait:
            return problem(
                429,
                "rate_limited",
                "too many failed authentications",
                hint="wait and retry with a valid token",
                instance=where,
                headers={"Retry-After": str(int(wait) + 1)},
            )
        tls = request.scope.get("extensions", {}).get("tls", {})
        certified = services.certificates.get(common_name(tls.get("client_cert_name")))
        identity = authenticate(request.headers.get("authorization"), services.tokens, certified)
        if identity is None:
            services.limiter.failed(client)
            return problem(
                401,
                "unauthenticated",
                "a valid bearer token is needed",
                hint="send Authorization: Bearer <token> (storplan serve token create)",
                instance=where,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not identity.allows(endpoint.scope):
            return problem(
                403,
                "permission_denied",
                f"this needs scope {endpoint.scope!r}; the token has {identity.scope!r}",
                hint="use a token with that scope",
                instance=where,
            )
        body: Any = None
        if validator is not None:
            raw = bytearray()
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > _MAX_BODY:
                    return problem(
                        413,
                        "too_large",
                        f"the body is over {_MAX_BODY} bytes",
                        hint="send a smaller manifest or plan",
                        instance=where,
                    )
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            errors = [] if body is None else list(validator.iter_errors(body))
            if body is None or errors:
                details = [
                    f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
                    for e in errors[:10]
                ]
                return problem(
                    422,
                    "invalid_argument",
                    "the request body is not valid",
                    hint="see the operation's request schema in /openapi.json",
                    instance=where,
                    errors=details or ["not a JSON document"],
                )
        call = Call(
            identity,
            dict(request.path_params),
            dict(request.query_params),
            body,
            services,
            request.method,
            where,
        )
        try:
            reply = await run_in_threadpool(endpoint.handler, call)
        except StorplanError as exc:
            return from_error(exc, where)
        except Exception:
            _log.exception("%s %s failed", request.method, where)
            return problem(
                500, "internal", "internal error", hint="see the server's log", instance=where
            )
        if reply.encoded is not None:
            return Response(reply.encoded, reply.status, reply.headers, "application/json")
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    return Route(endpoint.path, handle, methods=[endpoint.method], name=endpoint.operation_id)


def build_app(services: Services) -> Starlette:
    """The application serving every endpoint, and ``/openapi.json`` without a token."""
    from .openapi import all_endpoints, openapi_document

    document = openapi_document()

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document)

    async def not_found(request: Request, _exc: Exception) -> Response:
        return problem(
            404,
            "not_found",
            f"no endpoint {request.url.path}",
            hint="GET /openapi.json lists them",
            instance=request.url.path,
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        allow = dict(getattr(exc, "headers", None) or {}).get("Allow", "")
        return problem(
            405,
            "method_not_allowed",
            f"{request.method} is not served here",
            hint="GET /openapi.json lists the methods",
            instance=request.url.path,
            headers={"Allow": allow} if allow else None,
        )

    routes = [Route("/openapi.json", openapi, methods=["GET"])]
    routes += [_route(e, services) for e in all_endpoints()]
    return Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
