"""Reads and catalogue operations of the configured arrays.

``GET /arrays/{array}/<kind>`` lists one :class:`~storplan.model.Kind` (``access-groups``,
``fs-snapshots``: dashes), ``GET /arrays/{array}/<kind>/{ref}`` reads one object by id or
unique name; capabilities, limits, version, health (what ``storplan health -o json`` says:
every finding, worst first, with the default thresholds) and jobs.  Every catalogue
operation is ``POST /arrays/{array}/operations/<name>`` with its parameters (objects by
name, as in plans): the answer is ``202`` and the job (``Location``: the job to poll).
Destructive and disruptive operations need ``allow_destroy`` / ``allow_disruptive`` in the
request, rated against the live object exactly as plans rate them, and objects a manifest
protects are never destroyed.  Operations whose parameters name secret references (CHAP)
are not served: a reference would be read on the server.
"""

from __future__ import annotations

from typing import Any

from ..catalogue import OPERATIONS, ArgKind, Operation, Risk
from ..errors import PermissionDenied
from ..imperative import journalled
from ..model.enums import Kind
from ..protection import protected_keys, refusal, refused
from .endpoints import Call, Endpoint, Reply
from .modelschema import KIND_CLASSES, operation_body, ref

__all__ = ["array_endpoints", "served_operations"]

_ARRAY_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "uri": {"type": "string"}},
    "required": ["name", "uri"],
}
_FINDING_PROPERTIES = {
    name: {"type": kind}
    for name, kind in (
        ("array", "string"), ("kind", "string"), ("object_id", "string"), ("name", "string"),
        ("code", "string"), ("message", "string"), ("since", "string"),
        ("percent", ["integer", "null"]), ("component", "string"),
    )
}  # fmt: skip
_HEALTH_SCHEMA = {
    "type": "object",
    "description": "What `storplan health -o json` says of this array (default thresholds).",
    "properties": {
        "status": {"enum": ["ok", "warning", "critical", "unknown"]},
        "exit_status": {"type": "integer", "description": "the Nagios plugin exit status"},
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **_FINDING_PROPERTIES,
                    "severity": {"enum": ["ok", "warning", "critical", "unknown"]},
                },
                "required": ["array", "kind", "object_id", "code", "severity", "message"],
            },
        },
        "perfdata": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "label": {"type": "string"},
                    "value": {"type": "number"},
                    "unit": {"type": "string"},
                    "levels": {"type": "string"},
                },
            },
        },
    },
    "required": ["status", "exit_status", "findings", "perfdata"],
}


def _json(obj: Any) -> Any:
    from ..model.base import to_dict

    return to_dict(obj)


def _list_arrays(call: Call) -> Reply:
    hub = call.services.hub
    return Reply([{"name": a.name, "uri": a.uri} for a in hub.visible(call.identity)])


def _array(call: Call) -> Reply:
    entry = call.services.hub.entry(call.params["array"], call.identity)
    return Reply({"name": entry.name, "uri": entry.uri})


def _read(what: str) -> Any:
    def handler(call: Call) -> Reply:
        with call.services.hub.session(call.params["array"], call.identity) as session:
            if what == "version":
                return Reply(_json(session.version()))
            if what == "capabilities":
                return Reply(_json(session.capabilities))
            if what == "limits":
                return Reply(_json(session.limits))
            if what == "health":
                return Reply(_health(call.params["array"], session))
            if what == "jobs":
                return Reply([_json(job) for job in session.jobs()])
            return Reply(_json(session.job(call.params["job"])))

    return handler


def _health(array: str, session: Any) -> dict[str, Any]:
    """The array's health as ``storplan health`` judges it (the same findings, the default
    thresholds, no job history); a failure to observe is an error, as for every read."""
    from ..monitoring.findings import Measure, findings_of
    from ..monitoring.nagios import health_document
    from ..monitoring.thresholds import Thresholds

    measures: list[Measure] = []
    findings = findings_of(array, session.observe(), Thresholds(), (), measures)
    return health_document(findings, measures)


def _kind_list(kind: Kind) -> Any:
    def handler(call: Call) -> Reply:
        observed = call.services.hub.observed(call.params["array"], call.identity, kind)
        return Reply(None, encoded=observed.encoded())

    return handler


def _kind_one(kind: Kind) -> Any:
    def handler(call: Call) -> Reply:
        from ..session_base import pick

        observed = call.services.hub.observed(call.params["array"], call.identity, kind)
        return Reply(_json(pick(observed.objects, kind, call.params["ref"])))

    return handler


def served_operations() -> list[Operation]:
    """The catalogue operations the API serves: all but those that read secret references."""
    return [op for op in OPERATIONS.values() if not any(a.how is ArgKind.CHAP for a in op.args)]


def _consent(op: Operation, risk: Risk, body: dict[str, Any]) -> None:
    destroy = body.get("allow_destroy") is True
    if risk is Risk.DESTRUCTIVE and not destroy:
        raise PermissionDenied(
            f"{op.name} is destructive here: {op.summary}",
            hint="send allow_destroy: true if that is intended",
        )
    if risk is Risk.DISRUPTIVE and not (destroy or body.get("allow_disruptive") is True):
        raise PermissionDenied(
            f"{op.name} is disruptive here: {op.summary}",
            hint="send allow_disruptive: true if that is intended",
        )


def _shape(op: Operation, params: Any, limits: Any, view: Any) -> None:
    """Build the provider's arguments once before anything runs: parameters of a request are
    data from the network, and a malformed one (an export client rule that is a number)
    must be a 422, not an error deep inside the call."""
    from ..calls import provider_args
    from ..errors import InvalidArgument

    try:
        for finding in op.check_limits(params, limits):
            raise InvalidArgument(finding.message, hint=finding.hint)
        provider_args(op, params, view.resolve)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        if isinstance(exc, InvalidArgument):
            raise
        raise InvalidArgument(
            f"{op.name}: a parameter has the wrong shape ({type(exc).__name__})",
            hint="see the operation's request schema in /openapi.json",
        ) from None


def _operation(op: Operation) -> Any:
    def handler(call: Call) -> Reply:
        from ..errors import InvalidArgument
        from ..plan.view import ArrayView

        params = call.body["params"]
        problems = op.check_params(params)
        if problems:
            raise InvalidArgument(f"{op.name}: {'; '.join(problems)}", hint=op.summary)
        name = call.params["array"]
        store = call.services.store
        with call.services.hub.session(name, call.identity) as session:
            entry = call.services.hub.entry(name, call.identity)
            identity = session.provider.identity()
            view = ArrayView(session.observe(), call.body.get("system") or entry.system)
            target = op.previous(params) if op.previous is not None else op.target(params)
            live = view.current(target)
            _shape(op, params, session.limits, view)
            risk = op.rate(params, live)
            _consent(op, risk, call.body)
            key = f"{identity}#{view.system.id}"

            def judge() -> None:
                if refused(risk, str(target), protected_keys(store.owned(key))):
                    raise refusal(str(target))

            job = journalled(
                store,
                lambda: session.run(op, params, resolve=view.resolve, live=live, wait=False),
                identity=identity,
                array=name,
                array_key=key,
                action=f"{name}/{op.name}:{op.target(params)}",
                command="storplan serve",
                who=call.who,
                judge=judge,
            )
        location = f"/arrays/{name}/jobs/{job.id}"
        return Reply(_json(job), 202, {"Location": location})

    return handler


def _segment(kind: Kind) -> str:
    return kind.value.replace("_", "-")


def array_endpoints() -> list[Endpoint]:
    """Every endpoint under ``/arrays``, derived from the model and the catalogue."""
    base = "/arrays/{array}"
    found = [
        Endpoint(
            "GET",
            "/arrays",
            "list_arrays",
            "the arrays this token may use",
            "arrays",
            "read",
            _list_arrays,
            {"type": "array", "items": _ARRAY_SCHEMA},
            errors=(),
        ),
    ]
    found.append(
        Endpoint("GET", base, "get_array", "one array the token may use", "arrays", "read",
                 _array, _ARRAY_SCHEMA)
    )  # fmt: skip
    for what, schema in (
        ("version", ref("ProviderVersion")),
        ("capabilities", ref("Capabilities")),
        ("limits", ref("Limits")),
        ("health", _HEALTH_SCHEMA),
        ("jobs", {"type": "array", "items": ref("Job")}),
    ):
        found.append(
            Endpoint(
                "GET",
                f"{base}/{what}",
                f"get_{what}",
                f"the array's {what}",
                "arrays",
                "read",
                _read(what),
                schema,
                errors=(404, 502),
            )
        )
    found.append(
        Endpoint(
            "GET",
            f"{base}/jobs/{{job}}",
            "get_job",
            "one job and its progress",
            "jobs",
            "read",
            _read("job"),
            ref("Job"),
            errors=(404, 502),
        )
    )
    for kind in Kind:
        cls = KIND_CLASSES[kind.value]
        label = kind.value.replace("_", " ")
        found.append(
            Endpoint(
                "GET",
                f"{base}/{_segment(kind)}",
                f"list_{kind.value}",
                f"all {label}",
                kind.value,
                "read",
                _kind_list(kind),
                {"type": "array", "items": ref(cls.__name__)},
                errors=(404, 502),
            )
        )
        if "id" in getattr(cls, "__dataclass_fields__", {}):
            found.append(
                Endpoint(
                    "GET",
                    f"{base}/{_segment(kind)}/{{ref}}",
                    f"get_{kind.value}",
                    f"one of the {label} by id or name",
                    kind.value,
                    "read",
                    _kind_one(kind),
                    ref(cls.__name__),
                    errors=(404, 502),
                )
            )
    for op in served_operations():
        found.append(
            Endpoint(
                "POST",
                f"{base}/operations/{op.name}",
                op.name,
                op.summary,
                "operations",
                "apply",
                _operation(op),
                ref("Job"),
                status=202,
                body=operation_body(op),
                errors=(404, 409, 502),
            )
        )
    return found
