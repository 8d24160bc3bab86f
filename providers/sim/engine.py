"""Running simulator operations: latency, fault injection, synchronous and asynchronous jobs.

Asynchronous jobs need no background thread or daemon, so they work across processes: a job row
records when it started and how long it takes; whoever polls it after that time runs the
operation (inside the polling transaction) and records the outcome.  The request is validated
when it is submitted, by running the operation in a transaction that is rolled back, so bad
requests fail at once, as on a real array.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

from storplan.errors import ProviderError, StorplanError, TransientError
from storplan.model import ErrorInfo, Job, JobState, Kind

from .config import SimConfig
from .db import Store, Tx, format_id, parse_id
from .operations import Args, Result, operations
from .rows import load_one
from .server import request

__all__ = ["Engine"]

_KEEP_JOBS = 1000


class Engine:
    """Submits operations and polls jobs for one simulator connection."""

    def __init__(self, store: Store, config: SimConfig) -> None:
        self.store = store
        self.config = config
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _fault(self, operation: str) -> str | None:
        with self._lock:
            self._calls[operation] += 1
            call = self._calls[operation]
        for fault in self.config.faults:
            if fault.applies(operation, call):
                return fault.kind
        return None

    def submit(self, operation: str, args: Args) -> Job[Any]:
        """Run (or start) ``operation``; raises at once for invalid requests and injected
        ``fail``/``transient`` faults."""
        with request(self.config, operation):
            return self._submit(operation, args)

    def _submit(self, operation: str, args: Args) -> Job[Any]:
        fault = self._fault(operation)
        if fault == "fail":
            raise ProviderError(
                f"injected fault: {operation} failed",
                hint="the simulator was configured with faults=...",
            )
        if fault == "transient":
            raise TransientError(
                f"injected transient fault: {operation} is temporarily unavailable",
                hint="retry the operation",
            )
        if not (self.config.jobs_async or fault):
            with self.store.write() as tx:
                result = operations()[operation](tx, args)
                job_id = self._record(tx, operation, args, JobState.SUCCEEDED, result=result)
                return Job(
                    format_id("jobs", job_id),
                    operation,
                    JobState.SUCCEEDED,
                    100,
                    self._load(tx, result),
                )
        if fault != "hang":
            with self.store.trial() as tx:
                operations()[operation](tx, args)
        with self.store.write() as tx:
            job_id = self._record(
                tx, operation, args, JobState.RUNNING, hang=fault == "hang", fail=fault == "jobfail"
            )
        return Job(format_id("jobs", job_id), operation, JobState.RUNNING, 0)

    @staticmethod
    def _record(
        tx: Tx,
        operation: str,
        args: Args,
        state: JobState,
        *,
        result: Result = None,
        hang: bool = False,
        fail: bool = False,
        duration: float = 0.0,
    ) -> int:
        kind, key = (result[0].value, json.dumps(result[1])) if result else (None, None)
        job_id = tx.run(
            "INSERT INTO jobs(operation, args, state, started, duration, hang, fail, "
            "result_kind, result_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            operation,
            json.dumps(args),
            state.value,
            time.time(),
            duration,
            int(hang),
            int(fail),
            kind,
            key,
        )
        if job_id % 256 == 0:
            tx.run("DELETE FROM jobs WHERE id < ? AND state != 'running'", job_id - _KEEP_JOBS)
        return job_id

    @staticmethod
    def _load(tx: Tx, result: Result) -> Any:
        return None if result is None else load_one(tx, result[0], result[1])

    def poll(self, job_ref: str) -> Job[Any]:
        """The job's state now; finishes it (runs the operation) once its time has come."""
        with request(self.config, "job", latency=False), self.store.write() as tx:
            row = tx.one(
                "SELECT id, operation, args, state, started, hang, fail, result_kind, "
                "result_key, error_code, error_message FROM jobs WHERE id = ?",
                parse_id("jobs", job_ref),
            )
            if row is None:
                from storplan.errors import NotFound

                raise NotFound(f"job {job_ref} does not exist (or was pruned)")
            if row[3] == JobState.RUNNING.value:
                row = self._advance(tx, row)
            return self._job(tx, row)

    def _advance(self, tx: Tx, row: Any) -> Any:
        job_id, operation, args, _, started, hang, fail = row[:7]
        if hang or time.time() - started < self.config.job_seconds:
            return row
        result: Result = None
        error: tuple[str, str] | None = None
        if fail:
            error = ("provider_error", "injected job failure")
        else:
            tx.run("SAVEPOINT job_operation")
            try:
                result = operations()[operation](tx, json.loads(args))
                tx.run("RELEASE job_operation")
            except StorplanError as exc:
                tx.run("ROLLBACK TO job_operation")
                tx.run("RELEASE job_operation")
                error = (exc.code, exc.message)
        state = JobState.FAILED if error else JobState.SUCCEEDED
        kind, key = (result[0].value, json.dumps(result[1])) if result else (None, None)
        tx.run(
            "UPDATE jobs SET state = ?, result_kind = ?, result_key = ?, error_code = ?, "
            "error_message = ? WHERE id = ?",
            state.value,
            kind,
            key,
            error[0] if error else None,
            error[1] if error else None,
            job_id,
        )
        return (
            *row[:3],
            state.value,
            started,
            hang,
            fail,
            kind,
            key,
            error[0] if error else None,
            error[1] if error else None,
        )

    def _job(self, tx: Tx, row: Any) -> Job[Any]:
        job_id, operation, _, state, started, hang = row[:6]
        kind, key, error_code, error_message = row[7:11]
        if state == JobState.RUNNING.value:
            elapsed = time.time() - started
            ceiling = 90 if hang else 99
            percent = min(ceiling, int(100 * elapsed / max(self.config.job_seconds, 1e-9)))
            return Job(format_id("jobs", job_id), operation, JobState.RUNNING, percent)
        result = self._load(tx, (Kind(kind), tuple(json.loads(key)))) if kind else None
        error = ErrorInfo(error_code, error_message) if error_code else None
        return Job(format_id("jobs", job_id), operation, JobState(state), 100, result, error)

    def recent(self, limit: int = 200) -> list[Job[Any]]:
        """The most recent jobs, newest first (running ones are advanced first)."""
        with self.store.write() as tx:
            rows = tx.all(
                "SELECT id, operation, args, state, started, hang, fail, result_kind, "
                "result_key, error_code, error_message FROM jobs ORDER BY id DESC "
                "LIMIT ?",
                limit,
            )
            return [self._job(tx, self._advance(tx, r) if r[3] == "running" else r) for r in rows]
