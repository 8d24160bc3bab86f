"""Condition changes between two observations, and where they are sent.

An event is ``raised`` (a new condition), ``cleared`` (gone), ``progress`` (its percentage
moved) or ``changed`` (its severity moved).  While an array cannot be observed its other
conditions are kept as they were: an outage raises ``connection.failed``, it does not clear
everything and raise it all again when the array is back.

Each event is one JSON object (one line); ``--exec`` runs a command per event with the event
on its standard input (no shell), ``--webhook`` POSTs it (TLS verified).  A delivery that fails
is logged and the watch goes on.  A condition whose array gives no ``since`` gets the time
the watch first saw it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from .findings import Finding
from .probe import Observation

__all__ = ["Deliver", "Tracker", "command_delivery", "webhook_delivery"]

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], None]
_OUTAGES = ("connection.failed", "observe.failed")


def _stamp(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).isoformat(timespec="seconds")


def _event(kind: str, finding: Finding, when: float) -> dict[str, Any]:
    return {"event": kind, "time": _stamp(when), **finding.to_dict()}


class Tracker:
    """Remembers the conditions of the last observation of each array."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, str, str, str, str], Finding] = {}

    def update(self, observation: Observation) -> list[dict[str, Any]]:
        """The events of one new observation of one array."""
        array = observation.array
        before = {k: f for k, f in self.current.items() if f.array == array}
        now = {f.key: f for f in observation.findings}
        if not observation.up:  # keep what was known, add the outage
            now.update({k: f for k, f in before.items() if f.code not in _OUTAGES})
        events = []
        for key, finding in list(now.items()):
            old = before.get(key)
            if not finding.since:  # the array did not say: since the watch first saw it
                since = old.since if old is not None else _stamp(observation.time)
                now[key] = finding = dataclasses.replace(finding, since=since)
            if old is None:
                events.append(_event("raised", finding, observation.time))
            elif old.severity is not finding.severity:
                events.append(_event("changed", finding, observation.time))
            elif old.percent != finding.percent:
                events.append(_event("progress", finding, observation.time))
        for key, finding in before.items():
            if key not in now:
                events.append(_event("cleared", finding, observation.time))
        for key in before:
            self.current.pop(key)
        self.current.update(now)
        return events


def command_delivery(argv: Sequence[str], timeout: float = 30.0) -> Deliver:
    """Run ``argv`` per event: the event as JSON on stdin, its code, severity and kind in
    ``STORPLAN_EVENT``, ``STORPLAN_CODE``, ``STORPLAN_SEVERITY`` too."""
    import os

    def deliver(event: dict[str, Any]) -> None:
        env = {
            **os.environ,
            "STORPLAN_EVENT": event["event"],
            "STORPLAN_CODE": event["code"],
            "STORPLAN_SEVERITY": event["severity"],
        }
        try:
            done = subprocess.run(
                list(argv), input=json.dumps(event), text=True, env=env, timeout=timeout,
                check=False, capture_output=True,
            )  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("--exec %s: %s", argv[0], exc)
            return
        if done.returncode:
            log.warning("--exec %s exited %d", argv[0], done.returncode)

    return deliver


def webhook_delivery(url: str, timeout: float = 10.0) -> Deliver:
    """POST each event as JSON to ``url`` (https certificates are verified)."""
    import urllib.error
    import urllib.request

    def deliver(event: dict[str, Any]) -> None:
        request = urllib.request.Request(
            url,
            data=json.dumps(event).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError) as exc:
            log.warning("--webhook: %s", exc)

    return deliver


def deliver_all(events: Iterable[dict[str, Any]], deliveries: Sequence[Deliver]) -> None:
    """Hand every event to every delivery."""
    for event in events:
        for deliver in deliveries:
            deliver(event)
