"""The storplan error hierarchy.

Every error storplan raises on purpose is a :class:`StorplanError` with a stable ``code``
(documented in ``docs/errors.md``), a human ``message`` and an optional ``hint`` telling the user
what to do about it.  Each subclass also inherits the matching builtin exception, so callers that
only know Python's exceptions (``except LookupError``) still catch the right things.

Messages never contain secrets: providers and the core build them from names and identifiers
only, and :class:`~storplan.credentials.Secret` values render as ``***``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = [
    "AlreadyExists",
    "ApplyRefused",
    "Busy",
    "CapacityExceeded",
    "ConnectionFailed",
    "Interrupted",
    "InvalidArgument",
    "JobFailed",
    "LockHeld",
    "LockLost",
    "ManifestError",
    "NotFound",
    "PermissionDenied",
    "PlanError",
    "ProviderError",
    "StateStoreError",
    "StorplanError",
    "Timeout",
    "TransientError",
    "Unsupported",
    "error_from_code",
]


class StorplanError(Exception):
    """Base class of every error storplan raises deliberately.

    Attributes:
        code: stable, machine-readable identifier (``not_found``, ``unsupported``, ...).
        message: what went wrong, in one sentence.
        hint: what the user can do about it (may be empty).
    """

    code = "error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} (hint: {self.hint})" if self.hint else self.message

    def to_dict(self) -> dict[str, str]:
        """The error as a JSON-ready mapping (``code``, ``message``, ``hint``)."""
        return {"code": self.code, "message": self.message, "hint": self.hint}

    def report(self) -> list[str]:
        """The lines the command line prints for this error (errors that carry several
        problems print every one)."""
        lines = [f"error: {self.message}"]
        return [*lines, f"  hint: {self.hint}"] if self.hint else lines


class NotFound(StorplanError, LookupError):
    """The named or identified object does not exist."""

    code = "not_found"


class AlreadyExists(StorplanError):
    """An object with that name exists with a different specification (a conflict).

    Creating an object that already exists *with the same specification* is not an error:
    provider operations are idempotent by name.
    """

    code = "already_exists"

    @classmethod
    def conflict(
        cls, kind: str, name: str, differences: dict[str, tuple[object, object]]
    ) -> AlreadyExists:
        """The error for "exists with a different specification": ``differences`` maps each
        field that differs to (what the array has, what was requested)."""
        detail = ", ".join(
            f"{field} is {have} (requested {want})" for field, (have, want) in differences.items()
        )
        return cls(
            f"{kind} {name!r} already exists with a different specification: {detail}",
            hint="choose another name or change the existing object",
        )


class Busy(StorplanError):
    """The object is in use (e.g. a mapped volume cannot be deleted)."""

    code = "busy"


class CapacityExceeded(StorplanError):
    """A pool lacks the free space, or the thin over-subscription headroom, for the request."""

    code = "capacity_exceeded"


class Unsupported(StorplanError, NotImplementedError):
    """The provider did not declare the capability an operation needs."""

    code = "unsupported"

    def __init__(
        self, message: str, *, hint: str = "", provider: str = "", capability: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.provider = provider
        self.capability = capability


class InvalidArgument(StorplanError, ValueError):
    """An argument is malformed or out of range (bad size, bad identifier, bad URI, ...)."""

    code = "invalid_argument"


class PermissionDenied(StorplanError, PermissionError):
    """The array or the local system refused access (credentials, file modes, root)."""

    code = "permission_denied"


class ConnectionFailed(StorplanError, ConnectionError):
    """The array could not be reached or the session could not be established."""

    code = "connection_failed"


class ProviderError(StorplanError):
    """The array reported an error storplan has no more precise class for."""

    code = "provider_error"


class TransientError(ProviderError):
    """A temporary array failure; the same request may succeed when retried."""

    code = "transient"


class Timeout(StorplanError, TimeoutError):
    """An operation or a job did not finish within its time limit."""

    code = "timeout"


class JobFailed(StorplanError):
    """An asynchronous job ended in failure; ``cause_code`` is the provider's error code."""

    code = "job_failed"

    def __init__(
        self, message: str, *, hint: str = "", job_id: str = "", cause_code: str = ""
    ) -> None:
        super().__init__(message, hint=hint)
        self.job_id = job_id
        self.cause_code = cause_code


class Interrupted(StorplanError):
    """The user interrupted (Ctrl-C, SIGTERM) while storplan waited; ``job_id`` names a job
    that may still be running on the array."""

    code = "interrupted"

    def __init__(self, message: str, *, hint: str = "", job_id: str = "") -> None:
        super().__init__(message, hint=hint)
        self.job_id = job_id


class ManifestError(StorplanError, ValueError):
    """One or more manifests are invalid; ``diagnostics`` lists every problem found (each a
    :class:`storplan.manifest.Diagnostic` with its file:line:column)."""

    code = "manifest_invalid"

    def __init__(self, diagnostics: Sequence[Any]) -> None:
        self.diagnostics = sorted(diagnostics, key=lambda d: d.sort_key())
        errors = [d for d in self.diagnostics if d.severity == "error"]
        first = errors[0] if errors else self.diagnostics[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{first.mark}: {first.message}{more}", hint=first.hint)

    def report(self) -> list[str]:
        return [str(d) for d in self.diagnostics]


class PlanError(StorplanError):
    """A plan cannot be made or would fail: ``problems`` lists why (each a
    :class:`storplan.plan.Problem`, with the manifest position when one is known)."""

    code = "plan_invalid"

    def __init__(self, problems: Sequence[Any], plan: Any = None) -> None:
        self.problems = list(problems)
        self.plan = plan
        """The plan of the arrays that could be planned (a fleet's others), when there is one."""
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(f"array {first.array}: {first.message}{more}", hint=first.hint)

    def report(self) -> list[str]:
        lines = [line for problem in self.problems for line in problem.lines()]
        if self.hint and self.hint != self.problems[0].hint:  # about all of them
            lines.append(f"note: {self.hint}")
        return lines


class ApplyRefused(StorplanError):
    """Apply would not start (blocked actions, a stale or altered saved plan): nothing was
    changed."""

    code = "apply_refused"


class LockHeld(StorplanError):
    """Another apply holds the lock of an array."""

    code = "locked"


class LockLost(StorplanError):
    """This process no longer holds a lock it took (its database session died, or the lock was
    removed and granted again with a newer fencing token): its writes are refused."""

    code = "lock_lost"


class StateStoreError(StorplanError):
    """The state store cannot be used (missing, unreadable, corrupt, read-only for a write,
    of an unsupported kind); the message names it."""

    code = "state_store"


_BY_CODE: dict[str, type[StorplanError]] = {
    cls.code: cls
    for cls in (
        StorplanError,
        NotFound,
        AlreadyExists,
        Busy,
        CapacityExceeded,
        Unsupported,
        InvalidArgument,
        PermissionDenied,
        ConnectionFailed,
        ProviderError,
        TransientError,
        Timeout,
        JobFailed,
        ApplyRefused,
        Interrupted,
        LockHeld,
        LockLost,
        StateStoreError,
    )
}


def error_from_code(code: str, message: str, hint: str = "") -> StorplanError:
    """Rebuild an error from its stable code (used for errors stored in job records)."""
    return _BY_CODE.get(code, ProviderError)(message, hint=hint)
