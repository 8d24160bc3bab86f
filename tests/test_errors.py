"""Unit tests for the storplan error hierarchy (:mod:`storplan.errors`).

Everything here is real: the exception classes are instantiated, raised and caught as callers
would, and the stable codes are compared with the documented literal values.
"""

from __future__ import annotations

import json

import pytest
from storplan import errors
from storplan.errors import (
    AlreadyExists,
    Busy,
    CapacityExceeded,
    ConnectionFailed,
    InvalidArgument,
    JobFailed,
    NotFound,
    PermissionDenied,
    ProviderError,
    StorplanError,
    Timeout,
    TransientError,
    Unsupported,
    error_from_code,
)

# The documented, stable codes: changing one is a breaking change.
CODES: dict[type[StorplanError], str] = {
    StorplanError: "error",
    NotFound: "not_found",
    AlreadyExists: "already_exists",
    Busy: "busy",
    CapacityExceeded: "capacity_exceeded",
    Unsupported: "unsupported",
    InvalidArgument: "invalid_argument",
    PermissionDenied: "permission_denied",
    ConnectionFailed: "connection_failed",
    ProviderError: "provider_error",
    TransientError: "transient",
    Timeout: "timeout",
    JobFailed: "job_failed",
    errors.Interrupted: "interrupted",
    errors.ManifestError: "manifest_invalid",
    errors.PlanError: "plan_invalid",
    errors.ApplyRefused: "apply_refused",
    errors.LockHeld: "locked",
    errors.LockLost: "lock_lost",
    errors.StateStoreError: "state_store",
}


def all_error_classes() -> list[type[StorplanError]]:
    """Every StorplanError class exported by storplan.errors."""
    found = []
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, StorplanError):
            found.append(obj)
    return found


# Errors that carry a list of findings (each with its position) instead of one message.
STRUCTURED = {errors.ManifestError, errors.PlanError}
SIMPLE = {cls: code for cls, code in CODES.items() if cls not in STRUCTURED}


def test_every_exported_class_has_a_documented_code() -> None:
    assert set(all_error_classes()) == set(CODES)


@pytest.mark.parametrize(("cls", "code"), SIMPLE.items(), ids=lambda v: getattr(v, "__name__", v))
def test_stable_code(cls: type[StorplanError], code: str) -> None:
    assert cls.code == code
    assert cls("m").code == code


def test_codes_are_distinct() -> None:
    codes = [cls.code for cls in all_error_classes()]
    assert len(codes) == len(set(codes))


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (NotFound, LookupError),
        (InvalidArgument, ValueError),
        (PermissionDenied, PermissionError),
        (Timeout, TimeoutError),
        (Unsupported, NotImplementedError),
        (ConnectionFailed, ConnectionError),
    ],
)
def test_inherits_matching_builtin(cls: type[StorplanError], builtin: type[Exception]) -> None:
    assert issubclass(cls, builtin)
    assert issubclass(cls, StorplanError)
    with pytest.raises(builtin) as info:
        raise cls("boom", hint="h")
    assert isinstance(info.value, StorplanError)
    assert info.value.message == "boom"


def test_transient_is_a_provider_error() -> None:
    assert issubclass(TransientError, ProviderError)
    with pytest.raises(ProviderError):
        raise TransientError("try again")


@pytest.mark.parametrize("cls", [AlreadyExists, Busy, CapacityExceeded, ProviderError, JobFailed])
def test_plain_subclasses_are_not_builtin_lookalikes(cls: type[StorplanError]) -> None:
    err = cls("x")
    for builtin in (LookupError, ValueError, PermissionError, TimeoutError, NotImplementedError):
        assert not isinstance(err, builtin)


@pytest.mark.parametrize("cls", list(SIMPLE), ids=lambda c: c.__name__)
def test_error_from_code_round_trips(cls: type[StorplanError]) -> None:
    original = cls("volume db01 is mapped", hint="unmap it first")
    rebuilt = error_from_code(original.code, original.message, original.hint)
    assert type(rebuilt) is cls
    assert rebuilt.code == original.code
    assert rebuilt.to_dict() == original.to_dict()
    assert str(rebuilt) == str(original)


def test_error_from_code_without_hint() -> None:
    rebuilt = error_from_code("not_found", "no such pool")
    assert isinstance(rebuilt, NotFound)
    assert rebuilt.hint == ""


@pytest.mark.parametrize("code", ["", "nope", "NOT_FOUND", "NotFound"])
def test_error_from_unknown_code_is_provider_error(code: str) -> None:
    rebuilt = error_from_code(code, "array said no", "call support")
    assert type(rebuilt) is ProviderError
    assert rebuilt.message == "array said no"
    assert rebuilt.hint == "call support"


def test_str_includes_hint() -> None:
    err = NotFound("pool ssd does not exist", hint="run storplan show pools")
    assert str(err) == "pool ssd does not exist (hint: run storplan show pools)"
    assert err.args == ("pool ssd does not exist",)


def test_str_without_hint_is_the_message() -> None:
    assert str(Busy("volume is mapped")) == "volume is mapped"
    assert "hint" not in str(Busy("volume is mapped"))


def test_to_dict() -> None:
    err = CapacityExceeded("pool full", hint="grow the pool")
    assert err.to_dict() == {
        "code": "capacity_exceeded",
        "message": "pool full",
        "hint": "grow the pool",
    }
    assert json.loads(json.dumps(err.to_dict())) == err.to_dict()
    assert InvalidArgument("bad").to_dict() == {
        "code": "invalid_argument",
        "message": "bad",
        "hint": "",
    }


def test_hint_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        StorplanError("message", "hint")  # type: ignore[misc]


def test_unsupported_carries_provider_and_capability() -> None:
    err = Unsupported("no snapshots", hint="h", provider="sim", capability="snapshots")
    assert (err.provider, err.capability, err.hint) == ("sim", "snapshots", "h")
    assert Unsupported("x").provider == ""
    assert err.to_dict()["code"] == "unsupported"


def test_job_failed_carries_job_and_cause() -> None:
    err = JobFailed("copy failed", job_id="job-7", cause_code="capacity_exceeded")
    assert (err.job_id, err.cause_code) == ("job-7", "capacity_exceeded")
    assert err.to_dict() == {"code": "job_failed", "message": "copy failed", "hint": ""}


def test_structured_errors_report_every_finding() -> None:
    """ManifestError and PlanError print one line (plus hint) per finding, with positions."""
    from storplan.manifest import Diagnostic, Mark
    from storplan.plan import Problem

    first = Diagnostic("a.b", "first", Mark("m.yaml", 3, 5), "fix it")
    second = Diagnostic("c.d", "second", Mark("m.yaml", 1, 1))
    assert errors.ManifestError([first, second]).report() == [
        "m.yaml:1:1: error: second [c.d]",
        "m.yaml:3:5: error: first [a.b]\n  hint: fix it",
    ]
    problem = Problem("array1", "pool 'x' is full", "use another", "m.yaml:7:9", "capacity")
    assert errors.PlanError([problem]).report() == [
        "m.yaml:7:9: error: array array1: pool 'x' is full [capacity]",
        "  hint: use another",
    ]
