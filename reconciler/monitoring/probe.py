"""One array, observed again and again: what ``health``, ``watch`` and the exporter share.

A probe keeps its session between samples and connects again after the connection failed
(other failures, a time-out or an array error, keep the session), so a watcher
or an exporter outlives an outage of the array; the outage itself is a finding
(``connection.failed``, or ``observe.failed`` when the array answered but could not be read),
never an exception.

A probe given ``on_event`` also subscribes to the array's own notifications when its
provider declares ``events`` (again after each reconnection): ``on_event(probe)`` is called
when the array reports a change, and the caller samples at once.  A subscription the array
refuses is logged; polling goes on regardless.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from storplan.errors import ConnectionFailed, StorplanError, Timeout, TransientError
from storplan.model.enums import Capability, Severity

from .findings import Finding, Measure, findings_of
from .thresholds import Thresholds

if TYPE_CHECKING:
    from storplan.model import State, Statistics
    from storplan.providers import Subscription
    from storplan.session import Session

__all__ = ["Observation", "Probe", "sample_all"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Observation:
    """What one sample of one array found.  ``state`` is ``None`` when it could not be
    observed (``error`` says why, and ``findings`` holds the outage)."""

    array: str
    time: float
    duration: float
    findings: tuple[Finding, ...]
    measures: tuple[Measure, ...] = ()
    state: State | None = None
    statistics: Statistics | None = None
    error: str = ""

    @property
    def up(self) -> bool:
        """True when the array was observed."""
        return self.state is not None


class Probe:
    """Samples one array through a session it opens with ``connect`` (and opens again after
    a failure).

    Args:
        array: the label of the array in findings (its manifest name, or its URI).
        connect: opens a session; its errors are findings of the sample.
        thresholds: capacity thresholds.
        failed_jobs: how many of the array's most recent jobs to check for failures (0: none).
        statistics: also take a sample of the counters, when the provider declares them.
        on_event: called with this probe when the array notifies a change (from the
            provider's thread); subscribes only when given and the provider declares
            ``events``.
    """

    def __init__(
        self,
        array: str,
        connect: Callable[[], Session],
        thresholds: Thresholds | None = None,
        *,
        failed_jobs: int = 0,
        statistics: bool = False,
        on_event: Callable[[Probe], None] | None = None,
    ) -> None:
        self.array = array
        self._connect = connect
        self.thresholds = thresholds or Thresholds()
        self.failed_jobs = failed_jobs
        self.want_statistics = statistics
        self.on_event = on_event
        self._session: Session | None = None
        self._subscription: Subscription | None = None

    def sample(self) -> Observation:
        """Observe the array once (never raises for an array's failure)."""
        now, started = time.time(), time.monotonic()
        try:
            if self._session is None:
                self._session = self._connect()
                self._subscribe(self._session)
            session = self._session
            state = session.observe()
            jobs = session.jobs()[: self.failed_jobs] if self.failed_jobs else []
            stats = None
            if self.want_statistics and Capability.STATISTICS in session.capabilities:
                stats = session.statistics()
        except (StorplanError, OSError) as exc:
            if isinstance(exc, ConnectionFailed | OSError):
                self.close()  # connect again next time; other failures keep the session
            log.info("%s: %s", self.array, exc)
            return Observation(
                self.array, now, time.monotonic() - started, (self._outage(exc),), error=str(exc)
            )
        measures: list[Measure] = []
        found = findings_of(self.array, state, self.thresholds, jobs, measures)
        duration = time.monotonic() - started
        return Observation(self.array, now, duration, tuple(found), tuple(measures), state, stats)

    def _subscribe(self, session: Session) -> None:
        if self.on_event is None or Capability.EVENTS not in session.capabilities:
            return
        notify, probe = self.on_event, self
        try:
            self._subscription = session.subscribe(lambda: notify(probe))
        except StorplanError as exc:  # the array's notifications are a bonus: keep polling
            log.warning("%s: no notifications, polling only: %s", self.array, exc.message)

    def _outage(self, exc: Exception) -> Finding:
        unreachable = isinstance(exc, ConnectionFailed | Timeout | TransientError | OSError)
        code, severity = (
            ("connection.failed", Severity.CRITICAL)
            if unreachable
            else ("observe.failed", Severity.UNKNOWN)
        )
        message = exc.message if isinstance(exc, StorplanError) else f"{type(exc).__name__}: {exc}"
        return Finding(self.array, "arrays", self.array, self.array, code, severity, message)

    def close(self) -> None:
        """End the subscription and close the session (the next sample connects again)."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            with contextlib.suppress(StorplanError, OSError):
                subscription.close()
        session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(StorplanError, OSError):  # a broken one may fail to close
                session.close()


def sample_all(probes: Sequence[Probe]) -> list[Observation]:
    """One sample of every probe, the arrays observed concurrently (``fleet.each``), in
    the order given; a probe that fails unexpectedly (a bug) is that array's
    ``observe.failed``, never the others'."""
    from storplan.fleet import Failed, each

    results = each(probes, Probe.sample)
    observations = []
    for probe, result in zip(probes, results, strict=True):
        if isinstance(result, Failed):
            finding = Finding(
                probe.array, "arrays", probe.array, probe.array, "observe.failed",
                Severity.UNKNOWN, result.error.message,
            )  # fmt: skip
            result = Observation(probe.array, time.time(), 0.0, (finding,), error=str(result.error))
        observations.append(result)
    return observations
