"""The OpenAPI 3.1 document of the served API, made from the endpoint list.

Every path, request body and response schema comes from :mod:`.resources` and :mod:`.plans`
(which take them from the model and the catalogue); errors are RFC 9457 problems.  The
document is checked in as ``schemas/openapi.json`` (a test fails when it is stale; regenerate
with ``storplan serve openapi --out schemas/openapi.json``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from .endpoints import Endpoint
from .modelschema import model_schemas, ref
from .problems import PROBLEM_SCHEMA

__all__ = ["all_endpoints", "openapi_document", "openapi_text"]

_PROBLEM = {"application/problem+json": {"schema": ref("Problem")}}
_ALWAYS = {
    "401": "no valid bearer token",
    "403": "the token's scope or arrays do not allow this",
    "429": "too many failed authentications from this address",
}
_REASONS = {
    404: "no such object",
    409: "conflict (exists, busy, locked, refused)",
    413: "the request body is too large",
    422: "invalid request",
    502: "the array failed",
}


def _response_name(status: str) -> str:
    return f"Problem{status}"


def all_endpoints() -> list[Endpoint]:
    """Every endpoint the server serves."""
    from .plans import plan_endpoints
    from .resources import array_endpoints

    return [*array_endpoints(), *plan_endpoints()]


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    names = re.findall(r"{(\w+)}", endpoint.path)
    parameters = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names
    ]
    responses: dict[str, Any] = {
        str(endpoint.status): {
            "description": endpoint.summary,
            "content": {"application/json": {"schema": endpoint.response}},
        }
    }
    statuses = {**_ALWAYS, **{str(s): _REASONS[s] for s in endpoint.errors}}
    if endpoint.body is not None or names:
        statuses["422"] = _REASONS[422]
    if endpoint.body is not None:
        statuses["413"] = _REASONS[413]
    for status in sorted(statuses):  # one shared response object per status
        responses[status] = {"$ref": f"#/components/responses/{_response_name(status)}"}
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "tags": [endpoint.tag],
        "description": f"Needs scope `{endpoint.scope}`.",
        "parameters": parameters + list(endpoint.parameters),
        "responses": responses,
    }
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": endpoint.body}},
        }
    return operation


def openapi_document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    from .. import __version__

    paths: dict[str, dict[str, Any]] = {}
    for endpoint in all_endpoints():
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "storplan served API",
            "version": __version__,
            "description": "The storplan Python API over HTTPS (docs/bindings/http.md).",
            "license": {"name": "LGPL-2.1-or-later", "identifier": "LGPL-2.1-or-later"},
        },
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": {**model_schemas(), "Problem": PROBLEM_SCHEMA},
            "responses": {
                _response_name(status): {"description": reason, "content": _PROBLEM}
                for status, reason in sorted(
                    {**_ALWAYS, **{str(k): v for k, v in _REASONS.items()}}.items()
                )
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def openapi_text() -> str:
    """The document as checked in: indented JSON, keys in a stable order, one final newline."""
    return json.dumps(openapi_document(), indent=1, sort_keys=False) + "\n"
