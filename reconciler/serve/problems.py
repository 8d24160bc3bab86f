"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error response carries storplan's stable error code (``code``, documented in
docs/errors.md) and its hint; ``type`` is ``urn:storplan:error:<code>``.  Errors that carry
several problems (an invalid manifest, a plan that cannot be made) list every one in
``errors``.  Messages never hold secrets (see :mod:`storplan.errors`).
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from ..errors import StorplanError

__all__ = ["PROBLEM_SCHEMA", "STATUS", "from_error", "problem"]

MEDIA_TYPE = "application/problem+json"

STATUS = {
    "not_found": 404,
    "already_exists": 409,
    "busy": 409,
    "locked": 409,
    "capacity_exceeded": 409,
    "apply_refused": 409,
    "invalid_argument": 422,
    "manifest_invalid": 422,
    "plan_invalid": 422,
    "unsupported": 422,
    "job_failed": 422,
    "permission_denied": 403,
    "connection_failed": 502,
    "provider_error": 502,
    "transient": 503,
    "timeout": 504,
}
"""The HTTP status of each storplan error code (anything else: 500)."""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem detail with storplan's stable error code.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "code": {"type": "string"},
        "hint": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "title", "status", "code"],
}


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    hint: str = "",
    instance: str = "",
    errors: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    from http import HTTPStatus

    body: dict[str, Any] = {
        "type": f"urn:storplan:error:{code}",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
        "hint": hint,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def from_error(exc: StorplanError, instance: str = "") -> JSONResponse:
    """The problem response of a storplan error."""
    lines = exc.report()
    return problem(
        STATUS.get(exc.code, 500),
        exc.code,
        exc.message,
        hint=exc.hint,
        instance=instance,
        errors=lines if type(exc).report is not StorplanError.report else None,
    )
