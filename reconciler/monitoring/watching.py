"""The ``storplan watch`` loop: every array polled at an interval, and an array observed again
at once when it notifies a change itself.

Notifications (SMI-S indications, through a provider's ``subscribe``) are only triggers: the
loop never reads what they say, it samples the array that sent one, and the events come from
comparing observations as always (:class:`~.events.Tracker`).  Polling goes on at
``interval`` whatever the notifications do, so a lost notification (or an array without
them) costs at most one interval.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .events import Tracker
from .probe import Probe, sample_all

__all__ = ["Watch"]


class Watch:
    """Watches ``probes``: ``emit(event)`` per condition change.

    Args:
        probes: one per array; the watch subscribes them to their arrays' notifications.
        interval: seconds between polls of every array.
        emit: called with each event (in the watch's thread).
        rounds: stop after this many observation rounds, a poll or a notified sample
            (0: never).
    """

    def __init__(
        self,
        probes: Sequence[Probe],
        interval: float,
        emit: Callable[[dict[str, Any]], None],
        *,
        rounds: int = 0,
    ) -> None:
        self.probes = list(probes)
        self.interval = interval
        self.emit = emit
        self.rounds = rounds
        self.tracker = Tracker()
        self._woken = threading.Event()
        self._lock = threading.Lock()
        self._notified: dict[int, Probe] = {}
        for probe in self.probes:
            probe.on_event = self._notify

    def _notify(self, probe: Probe) -> None:
        """A probe's array reported a change (called from the provider's thread)."""
        with self._lock:
            self._notified[id(probe)] = probe
        self._woken.set()

    def _next(self, poll_at: float) -> list[Probe]:
        """Wait for a notification or the next poll; the probes to sample then."""
        self._woken.wait(max(poll_at - time.monotonic(), 0.0))
        with self._lock:
            self._woken.clear()
            notified, self._notified = list(self._notified.values()), {}
        return notified if notified and time.monotonic() < poll_at else self.probes

    def run(self) -> int:
        """Watch until ``rounds`` are done (forever when 0); closes the probes."""
        done = 0
        due = self.probes
        poll_at = time.monotonic() + self.interval
        try:
            while True:
                for observation in sample_all(due):
                    for event in self.tracker.update(observation):
                        self.emit(event)
                done += 1
                if self.rounds and done >= self.rounds:
                    return 0
                due = self._next(poll_at)
                if due is self.probes:
                    poll_at = time.monotonic() + self.interval
        finally:
            for probe in self.probes:
                probe.close()
