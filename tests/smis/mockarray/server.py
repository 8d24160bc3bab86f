"""The mock WBEM server: a FakedWBEMConnection whose jobs progress when clients poll them.

Asynchronous methods return 4096 and a ``CIM_ConcreteJob``; the change they request is made
when the job completes, after ``job_polls`` reads of the job (``GetInstance`` of it, or an
enumeration of jobs), exactly as a client polling a real array would see it.  On completion
the job gets ``JobState`` 7 and ``OperationalStatus`` [2, 17] and ``CIM_AffectedJobElement``
links to what it produced; a failing change leaves ``JobState`` 10 with ``ErrorDescription``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pywbem import CIMDateTime, CIMError
from pywbem_mock import FakedWBEMConnection

from .repo import U16, Repo, key

__all__ = ["JobRunner", "MockConnection"]

Action = Callable[[], tuple[dict[str, Any], list[Any]]]


@dataclass
class _Pending:
    path: Any
    action: Action
    polls_left: int
    total: int


class JobRunner:
    """Creates CIM_ConcreteJob instances and completes them after some polls."""

    def __init__(self, repo: Repo, polls: int) -> None:
        self.repo = repo
        self.polls = polls
        self.pending: dict[tuple[Any, ...], _Pending] = {}
        self.fail_next: str | None = None
        self.hold = False  # tests freeze jobs with this

    def start(self, method: str, action: Action) -> Any:
        """A new running job that will run ``action`` when it completes."""
        number = self.repo.next_id()
        path = self.repo.path(self.repo.f.cls("CIM_ConcreteJob"), InstanceID=f"JOB-{number:06d}")
        self.repo.add(
            path,
            ElementName=method,
            JobState=U16(4),
            PercentComplete=U16(0),
            OperationalStatus=[U16(2)],
            DeleteOnCompletion=False,
            TimeSubmitted=CIMDateTime(datetime.now(UTC)),
        )
        failing, self.fail_next = self.fail_next, None
        if failing is not None:

            def action(message: str = failing) -> tuple[dict[str, Any], list[Any]]:
                raise CIMError(1, message)

        self.pending[key(path)] = _Pending(path, action, self.polls, self.polls)
        return path

    def advance(self, path: Any | None = None) -> None:
        """One poll of ``path`` (or of every job when ``None``)."""
        if self.hold:
            return
        targets = (
            list(self.pending.values())
            if path is None
            else [p for p in [self.pending.get(key(path))] if p is not None]
        )
        for pending in targets:
            pending.polls_left -= 1
            job = self.repo.get(pending.path)
            if job is None:
                continue
            if pending.polls_left > 0:
                done = pending.total - pending.polls_left
                job["PercentComplete"] = U16(int(100 * done / pending.total))
                self.repo.put(job)
                continue
            del self.pending[key(pending.path)]
            try:
                _, affected = pending.action()
            except CIMError as exc:
                job["JobState"] = U16(10)
                job["OperationalStatus"] = [U16(6)]
                job["ErrorCode"] = U16(exc.status_code)
                job["ErrorDescription"] = exc.status_description or "failed"
                job["PercentComplete"] = U16(100)
                self.repo.put(job)
                continue
            job["JobState"] = U16(7)
            job["OperationalStatus"] = [U16(2), U16(17)]
            job["PercentComplete"] = U16(100)
            self.repo.put(job)
            for element in affected:
                self.repo.link(
                    "CIM_AffectedJobElement", AffectedElement=element, AffectingElement=job.path
                )


def _is_job(classname: Any) -> bool:
    return str(classname).lower().endswith("concretejob")


class MockConnection(FakedWBEMConnection):
    """FakedWBEMConnection whose job reads advance the jobs being read."""

    runner: JobRunner | None = None
    closes = 0

    def close(self) -> None:
        """Count, but keep serving: the mock array outlives the clients that disconnect
        (plan and apply open and close several sessions on one array)."""
        self.closes += 1

    def iterate_without_copies(self, namespace: str) -> None:
        """Make the namespace's instance store cheap to read.

        pywbem_mock 1.9.1 deep-copies *every* instance of a namespace on each enumeration and
        association request just to look at the instance paths (``iter_values()``), and
        deep-copies each instance it returns (``get()``).  All callers of ``iter_values()``
        only read what it yields, and the copies ``get()`` returns are only changed at their
        top level (properties filtered, path host set), which ``CIMInstance.copy()`` isolates
        (it copies the path and every property object).  Without this a 10,000-volume
        observation measures deep copies instead of the provider.
        """
        store = self.cimrepository.get_instance_store(namespace)
        iterate, data = store.iter_values, store._data

        def get(name: Any, copy: bool = True) -> Any:
            if name not in data:
                raise KeyError(f"Name {name} not in instance store")
            return data[name].copy() if copy else data[name]

        store.iter_values = lambda copy=False: iterate(copy=False)
        store.get = get

    def GetInstance(self, InstanceName: Any, *args: Any, **kwargs: Any) -> Any:
        if self.runner is not None and _is_job(InstanceName.classname):
            self.runner.advance(InstanceName)
        return super().GetInstance(InstanceName, *args, **kwargs)

    def EnumerateInstances(self, ClassName: Any, *args: Any, **kwargs: Any) -> Any:
        if self.runner is not None and _is_job(ClassName):
            self.runner.advance()
        return super().EnumerateInstances(ClassName, *args, **kwargs)

    def OpenEnumerateInstances(self, ClassName: Any, *args: Any, **kwargs: Any) -> Any:
        if self.runner is not None and _is_job(ClassName):
            self.runner.advance()
        return super().OpenEnumerateInstances(ClassName, *args, **kwargs)
