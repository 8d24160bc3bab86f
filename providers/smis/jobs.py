"""Job Control: extrinsic methods that return 4096 and a ``CIM_ConcreteJob``, as storplan jobs.

* An operation's last array call becomes the storplan job: finished at once when the method
  returned 0, running when it returned 4096 (``Job`` OUT parameter).  Polling reads the
  ``CIM_ConcreteJob`` (``JobState``, ``PercentComplete``, ``OperationalStatus``, error
  properties); when it completes, the elements it affected (``CIM_AffectedJobElement``, read
  as paths: HP 3PAR answers ``Associators`` of jobs with ``[None]`` when given a PropertyList)
  are turned into the job's result by the operation's *finisher*.
* Intermediate calls of multi-step operations are waited for here, within ``job_timeout``.
* Finished jobs are kept in memory (the array may delete completed jobs), so ``job(id)`` keeps
  answering for them; a job started by another process is polled from the array, without a
  result object.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from storplan.errors import JobFailed, NotFound, StorplanError, Timeout
from storplan.model.enums import JobState
from storplan.model.job import ErrorInfo, Job
from storplan.providers.kit.jobs import JobBook as KitJobBook

from . import cim
from .cim import prop
from .client import WbemClient
from .ids import Resolver, job_id
from .translate import method_error

__all__ = ["Finisher", "JobBook"]

Finisher = Callable[[Any, list[Any]], Any]
"""``finish(out_params, affected_paths) -> result object`` (``None`` for deletions)."""

_JOB_PROPS = ["JobState", "PercentComplete", "OperationalStatus", "ErrorCode", "ErrorDescription"]
_KEEP = 1000


@dataclass
class _Pending:
    operation: str
    path: Any
    out: Any
    finish: Finisher | None


def _outcome(instance: Any) -> tuple[JobState, int, str]:
    """(state, percent, error text) of a CIM_ConcreteJob instance."""
    state = int(prop(instance, "JobState", cim.JOB_RUNNING))
    statuses = {int(s) for s in prop(instance, "OperationalStatus", [])}
    error = str(prop(instance, "ErrorDescription", "") or "")
    if state in cim.JOB_FAILED_STATES or cim.OPSTATUS_ERROR in statuses:
        code = prop(instance, "ErrorCode")
        detail = error or "the array reported the job as failed"
        return JobState.FAILED, 100, f"{detail} (error code {code})" if code else detail
    if state == cim.JOB_COMPLETED or cim.OPSTATUS_COMPLETED in statuses:
        return JobState.SUCCEEDED, 100, ""
    percent = int(prop(instance, "PercentComplete", 0) or 0)
    return JobState.RUNNING, max(0, min(99, percent)), ""


class JobBook:
    """Starts, finishes, polls and lists the jobs of one provider connection (the
    bookkeeping is the provider kit's :class:`~storplan.providers.kit.JobBook`)."""

    def __init__(self, client: WbemClient, resolver: Resolver, job_timeout: float) -> None:
        self.client = client
        self.resolver = resolver
        self.job_timeout = job_timeout
        self.book = KitJobBook("job:storplan-", keep=_KEEP)

    # ------------------------------------------------------------------ running methods
    def invoke(
        self,
        operation: str,
        method: str,
        target: Any,
        params: dict[str, Any],
        finish: Finisher | None = None,
        *,
        has_job: bool = True,
    ) -> Job[Any]:
        """Call ``method`` as the final step of ``operation`` and return the storplan job."""
        rc, out = self.client.invoke(method, target, params)
        if rc == cim.RC_OK:
            return self.finished(operation, finish(out, []) if finish else None)
        if rc == cim.RC_JOB_STARTED and has_job and out.get("Job") is not None:
            pending = _Pending(operation, out["Job"], out, finish)
            return self.book.running(
                job_id(pending.path), operation, lambda job: self._poll(job.id, pending)
            )
        raise method_error(method, rc, "", self.client.scrub)

    def call(
        self, method: str, target: Any, params: dict[str, Any], *, has_job: bool = True
    ) -> tuple[Any, list[Any]]:
        """Call ``method`` as an intermediate step: wait for its job, return (out, affected)."""
        rc, out = self.client.invoke(method, target, params)
        if rc == cim.RC_OK:
            return out, []
        if rc == cim.RC_JOB_STARTED and has_job and out.get("Job") is not None:
            return out, self._wait(method, out["Job"])
        raise method_error(method, rc, "", self.client.scrub)

    def _wait(self, method: str, path: Any) -> list[Any]:
        deadline = time.monotonic() + self.job_timeout
        interval = 0.01
        while True:
            instance = self.client.require(path, _JOB_PROPS, f"job {job_id(path)} of {method}")
            state, _, error = _outcome(instance)
            error = self.client.scrub(error)
            if state is JobState.SUCCEEDED:
                return self._affected(path)
            if state is JobState.FAILED:
                raise JobFailed(f"{method} failed on the array: {error}", job_id=job_id(path))
            if time.monotonic() + interval > deadline:
                raise Timeout(
                    f"{method} (array job {job_id(path)}) did not finish within "
                    f"{self.job_timeout:g} s",
                    hint="raise job_timeout= in the URI; the array job may still finish",
                )
            time.sleep(interval)
            interval = min(interval * 2, 1.0)

    def _affected(self, path: Any) -> list[Any]:
        return self.client.associator_names(path, "CIM_AffectedJobElement")

    # ------------------------------------------------------------------ bookkeeping
    def finished(self, operation: str, result: Any) -> Job[Any]:
        """A finished job (a synchronous method's outcome)."""
        return self.book.finished(operation, result)

    def poll(self, jid: str) -> Job[Any]:
        """The job's state now (a completed array job is finished, once); a job another
        connection started is read from the array, without a result object."""
        return self.book.get(jid, unknown=lambda unknown: self._poll(unknown, None))

    def _poll(self, jid: str, pending: _Pending | None) -> Job[Any]:
        path = pending.path if pending else self.resolver.path(jid)
        operation = pending.operation if pending else "array job"
        instance = self.client.get(path, _JOB_PROPS)
        if instance is None:
            if pending is None:
                raise NotFound(f"job {jid} does not exist (or the array removed it)")
            error = ErrorInfo("provider_error", "the array removed the job before it finished")
            return Job(jid, operation, JobState.FAILED, 100, None, error)
        state, percent, text = _outcome(instance)
        text = self.client.scrub(text)
        if state is JobState.RUNNING:
            return Job(jid, operation, state, percent)
        if state is JobState.FAILED:
            return Job(jid, operation, state, 100, None, ErrorInfo("provider_error", text))
        result = None
        if pending is not None and pending.finish is not None:
            try:
                result = pending.finish(pending.out, self._affected(path))
            except StorplanError as exc:
                info = ErrorInfo(exc.code, exc.message)
                return Job(jid, operation, JobState.FAILED, 100, None, info)
        return Job(jid, operation, JobState.SUCCEEDED, 100, result)

    def recent(self) -> list[Job[Any]]:
        """This connection's jobs, newest first (running ones polled)."""
        return self.book.recent()
