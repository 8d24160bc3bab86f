"""Keeping to the request limits of management endpoints (see
:class:`storplan.providers.kit.Endpoint`).

``connect`` asks the provider's factory for the endpoint a URI reaches; when it declares a
limit, the session's provider is wrapped so that every call — queries, operations, job polls —
holds one of the endpoint's ``max_requests`` slots while it runs.  The slots are shared by every
session of the process reaching that endpoint, whichever array it manages, so ``apply`` on a
fleet of arrays behind one SMI-S server never sends that server more than its limit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .providers.kit.wrapper import ProviderWrapper

if TYPE_CHECKING:
    from .model import Capabilities, Job, Kind, Limits, ProviderVersion, State
    from .model.stats import Statistics
    from .providers import Subscription
    from .providers.kit import Endpoint
    from .providers.kit.base import Refusal, Request

__all__ = ["GatedProvider", "gate"]

_GATES: dict[str, threading.BoundedSemaphore] = {}
_GUARD = threading.Lock()


def gate(endpoint: Endpoint) -> threading.BoundedSemaphore:
    """The slots of one endpoint, shared by the whole process (the first declaration of a key
    fixes its number of slots)."""
    with _GUARD:
        slots = _GATES.get(endpoint.key)
        if slots is None:
            slots = _GATES[endpoint.key] = threading.BoundedSemaphore(endpoint.max_requests)
        return slots


class GatedProvider(ProviderWrapper):
    """A provider whose every call to its array holds a slot of its endpoint."""

    def __init__(self, inner: Any, slots: threading.BoundedSemaphore) -> None:
        super().__init__(inner)
        self.slots = slots

    def operate(self, operation: str, args: tuple[Any, ...]) -> Job[Any]:
        with self.slots:
            return super().operate(operation, args)

    def identity(self) -> str:
        with self.slots:
            return super().identity()

    def capabilities(self) -> Capabilities:
        with self.slots:
            return super().capabilities()

    def limits(self) -> Limits:
        with self.slots:
            return super().limits()

    def version(self) -> ProviderVersion:
        with self.slots:
            return super().version()

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        with self.slots:
            return super().observe(kinds)

    def job(self, job_id: str) -> Job[Any]:
        with self.slots:
            return super().job(job_id)

    def jobs(self) -> list[Job[Any]]:
        with self.slots:
            return super().jobs()

    def statistics(self) -> Statistics:
        with self.slots:
            return super().statistics()

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        with self.slots:
            return super().subscribe(on_event)

    def preflight(self, requests: Sequence[Request], state: State) -> Sequence[Refusal]:
        with self.slots:
            return super().preflight(requests, state)
