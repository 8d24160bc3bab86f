"""Plans, applies and the journal, through the same functions as ``storplan plan`` and
``storplan apply``.

``POST /plans`` takes a manifest (YAML or JSON text) and answers the plan document that
``storplan plan --out`` saves, signed with the server's state store key.  ``POST /applies``
takes such a plan back and starts an apply job (``202``; poll ``GET /applies/{id}``), run by
:func:`storplan.apply.apply_saved_plan` under the state store's array locks: an apply through
the API and one from the command line never interleave.  Consent comes from the request's
``allow_destroy`` / ``allow_disruptive``, never from the plan.  Manifest entries name the
server's arrays by name (their ``provider:`` and ``credentials:`` are replaced by the server's
own); a token may plan and apply only the arrays it names.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import uuid
from typing import Any

from ..errors import ApplyRefused, InvalidArgument, NotFound, PermissionDenied, StorplanError
from .endpoints import Call, Endpoint, Reply
from .problems import PROBLEM_SCHEMA

__all__ = ["AppliesBook", "plan_endpoints"]

_log = logging.getLogger(__name__)
_KEEP = 1000  # finished apply jobs kept for GET /applies/{id} (the journal keeps them all)
_CONSENT = {
    "allow_destroy": {"type": "boolean", "default": False},
    "allow_disruptive": {"type": "boolean", "default": False},
}
_PLAN_BODY = {
    "type": "object",
    "properties": {"manifest": {"type": "string", "description": "YAML or JSON"}, **_CONSENT},
    "required": ["manifest"],
    "additionalProperties": False,
}
_APPLY_BODY = {
    "type": "object",
    "properties": {
        "plan": {"type": "object", "description": "a plan document from POST /plans"},
        "parallelism": {"type": "integer", "minimum": 1, "maximum": 64, "default": 8},
        "lock_timeout": {
            "type": "number",
            "minimum": 0,
            "maximum": 3600,
            "default": 0,
            "description": "seconds to wait for another apply's lock (default: fail at once)",
        },
        **_CONSENT,
    },
    "required": ["plan"],
    "additionalProperties": False,
}
_APPLY_JOB = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "state": {"type": "string", "enum": ["running", "done", "failed"]},
        "identity": {"type": "string"},
        "started": {"type": "number"},
        "finished": {"type": ["number", "null"]},
        "report": {"type": ["object", "null"], "description": "as storplan apply -o json"},
        "error": {"anyOf": [PROBLEM_SCHEMA, {"type": "null"}]},
    },
    "required": ["id", "state", "identity", "started", "finished", "report", "error"],
}
_JOURNAL = {"type": "array", "items": {"type": "object"}}


class AppliesBook:
    """The apply jobs this server started (in memory, the last 1,000 finished ones; the
    journal keeps every apply for good)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict[str, Any]] = {}
        self._owners: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()

    def start(self, identity: Any, arrays: frozenset[str], work: Any) -> dict[str, Any]:
        """Run ``work()`` (returning an ApplyReport) in a thread; returns the job."""
        job = {
            "id": uuid.uuid4().hex[:12],
            "state": "running",
            "identity": identity.name,
            "started": time.time(),
            "finished": None,
            "report": None,
            "error": None,
        }
        with self._lock:
            self._jobs[job["id"]] = job
            self._owners[job["id"]] = arrays
            finished = [i for i, j in self._jobs.items() if j["state"] != "running"]
            for old in finished[: max(len(finished) - _KEEP, 0)]:  # oldest first
                del self._jobs[old], self._owners[old]

        def run() -> None:
            try:
                report = work()
                update = {"state": "done", "report": report.to_dict()}
            except StorplanError as exc:
                update = {"state": "failed", "error": _problem_body(exc)}
            except Exception:  # a bug: logged with its traceback, answered without detail
                _log.exception("apply %s failed", job["id"])
                update = {"state": "failed", "error": _problem_body(None)}
            with self._lock:
                job.update(update, finished=time.time())

        threading.Thread(target=run, name=f"apply-{job['id']}", daemon=True).start()
        return dict(job)

    def get(self, job_id: str, identity: Any) -> dict[str, Any]:
        """One apply job, if ``identity`` may see every array it applies."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not self._owners[job_id] <= identity.arrays:
                raise NotFound(f"no apply job {job_id!r}", hint="GET /journal lists applies")
            return dict(job)


def _problem_body(exc: StorplanError | None) -> dict[str, Any]:
    from .problems import STATUS

    code = exc.code if exc else "internal"
    return {
        "type": f"urn:storplan:error:{code}",
        "title": "apply failed",
        "status": STATUS.get(code, 500),
        "detail": exc.message if exc else "internal error",
        "code": code,
        "hint": exc.hint if exc else "see the server's log",
    }


def _consent(body: dict[str, Any]) -> Any:
    from ..plan import Consent

    return Consent(
        allow_destroy=body.get("allow_destroy") is True,
        allow_disruptive=body.get("allow_disruptive") is True,
    )


def _load(text: str) -> Any:
    """The manifest in ``text``; its diagnostics name the file ``manifest``."""
    from ..errors import ManifestError
    from ..manifest import load_manifest

    with tempfile.TemporaryDirectory(prefix="storplan-serve-") as folder:
        path = os.path.join(folder, "manifest.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            return load_manifest([path], offline=True)
        except ManifestError as exc:
            for diagnostic in exc.diagnostics:
                diagnostic.mark.file = "manifest"
            raise ManifestError(exc.diagnostics) from None


def _refuse_secret_references(manifest: Any) -> None:
    """CHAP secrets are references to variables or files of the machine that reads them: a
    client must not make the server read its own (an array's credentials come from
    serve.yaml; :meth:`ArrayHub.manifest_for` already replaced the manifest's)."""
    for array in manifest.arrays:
        for host in array.hosts:
            for initiator in host.initiators:
                if initiator.chap is not None:
                    raise PermissionDenied(
                        f"array {array.name!r}, host {host.name!r}: CHAP secrets are not "
                        "served (a secret reference would be read on the server)",
                        hint="manage CHAP with storplan apply where the secret is",
                    )


def _plan(call: Call) -> Reply:
    from ..plan import ReadOnlyProvider, StoreMemory, make_plan
    from ..session import Session

    hub, store = call.services.hub, call.services.store
    manifest = hub.manifest_for(_load(call.body["manifest"]), call.identity)
    _refuse_secret_references(manifest)

    def connect(spec: Any) -> Session:
        session = hub.connect_entry(spec)
        return Session(ReadOnlyProvider(session.provider).as_provider(), session.uri)

    plan = make_plan(manifest, connect, StoreMemory(store), _consent(call.body))
    key = store.secret_key(create=True)
    assert key is not None
    return Reply(json.loads(plan.to_json(key)))


def _apply(call: Call) -> Reply:
    from ..apply import ApplyOptions, apply_saved_plan
    from ..plan import Plan

    hub, store = call.services.hub, call.services.store
    plan = Plan.from_json(json.dumps(call.body["plan"]))
    if not plan.signed_by(store.secret_key(create=False)):  # before anything else is judged
        raise ApplyRefused(
            "the plan was changed after this server made it, or another server made it",
            hint="nothing was changed; make the plan again with POST /plans",
        )
    names = frozenset(hub.record_entry(r.provider, call.identity).name for r in plan.arrays)
    if not names:
        raise InvalidArgument("the plan names no array", hint="POST /plans makes plans")
    options = ApplyOptions(
        _consent(call.body),
        int(call.body.get("parallelism", 8)),
        lock_timeout=float(call.body.get("lock_timeout", 0)),
        command=call.who,
    )
    job = call.services.applies.start(
        call.identity, names, lambda: apply_saved_plan(plan, hub.connect_record, store, options)
    )
    return Reply(job, 202, {"Location": f"/applies/{job['id']}"})


def _apply_job(call: Call) -> Reply:
    return Reply(call.services.applies.get(call.params["apply"], call.identity))


def _journal(call: Call) -> Reply:
    from ..cli.journal import apply_row

    store, identity = call.services.store, call.identity
    return Reply([apply_row(a, store) for a in store.applies(100) if _sees(identity, a)])


def _sees(identity: Any, record: Any) -> bool:
    """Journal entries are matched by array name: every array of the entry is the token's."""
    return bool(record.arrays) and set(record.arrays) <= identity.arrays


def _journal_steps(call: Call) -> Reply:
    from ..cli.journal import step_row

    store, wanted = call.services.store, call.params["apply"]
    found = [a for a in store.applies(10_000) if a.id == wanted]
    if not found or not _sees(call.identity, found[0]):
        raise NotFound(f"no apply {wanted!r} in the journal", hint="GET /journal lists applies")
    return Reply([step_row(s) for s in store.steps(wanted)])


def plan_endpoints() -> list[Endpoint]:
    """``/plans``, ``/applies`` and ``/journal``."""
    return [
        Endpoint(
            "POST",
            "/plans",
            "create_plan",
            "plan a manifest (changes nothing)",
            "plans",
            "plan",
            _plan,
            {"type": "object", "description": "the saved-plan document"},
            body=_PLAN_BODY,
            errors=(404, 502),
        ),
        Endpoint(
            "POST",
            "/applies",
            "create_apply",
            "apply a plan from POST /plans",
            "plans",
            "apply",
            _apply,
            _APPLY_JOB,
            status=202,
            body=_APPLY_BODY,
            errors=(404,),
        ),
        Endpoint(
            "GET",
            "/applies/{apply}",
            "get_apply",
            "an apply job and its report",
            "plans",
            "read",
            _apply_job,
            _APPLY_JOB,
        ),
        Endpoint(
            "GET",
            "/journal",
            "list_journal",
            "recent applies and operations",
            "journal",
            "read",
            _journal,
            _JOURNAL,
            errors=(),
        ),
        Endpoint(
            "GET",
            "/journal/{apply}",
            "get_journal",
            "every step of one apply",
            "journal",
            "read",
            _journal_steps,
            _JOURNAL,
        ),
    ]
