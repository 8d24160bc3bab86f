"""The simulated management server in front of a simulator file: its latency, and the request
limit it declares (``endpoint``, ``max_requests``) and enforces.

A real management server shared by several arrays refuses (or falls over under) more requests
than it takes; the simulator refuses them with a provider error, so a client that ignores the
declared limit fails visibly.  The count is per process, like storplan's own keeping to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from storplan.errors import ProviderError

from .config import SimConfig

__all__ = ["request"]

_IN_FLIGHT: dict[str, int] = {}
_GUARD = threading.Lock()


@contextmanager
def request(config: SimConfig, call: str, *, latency: bool = True) -> Iterator[None]:
    """One request to the array: waits its latency (unless ``latency`` is false: a job poll),
    and counts against the endpoint's limit while it runs."""
    limit = config.max_requests
    if limit:
        with _GUARD:
            busy = _IN_FLIGHT.get(config.endpoint, 0)
            if busy >= limit:
                raise ProviderError(
                    f"simulated management server {config.endpoint} is busy: it takes "
                    f"{limit} request(s) at once ({call} refused)",
                    hint="the client must keep to the limit the provider declares",
                )
            _IN_FLIGHT[config.endpoint] = busy + 1
    try:
        delay = config.latency_of(call) if latency else 0.0
        if delay > 0:
            time.sleep(delay)
        yield
    finally:
        if limit:
            with _GUARD:
                _IN_FLIGHT[config.endpoint] -= 1
