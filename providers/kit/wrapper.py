"""One wrapper for every provider wrapper: queries pass through, operations go through
:meth:`ProviderWrapper.operate`.

``plan`` wraps providers so that any operation raises (a dry run that changes nothing is a
guarantee, not a promise); the conformance kit wraps them to hide a capability and record
what the core calls.  Both are a subclass overriding one or two methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from storplan.catalogue import OPERATIONS

if TYPE_CHECKING:
    from storplan.model import Capabilities, Job, Kind, Limits, ProviderVersion, State
    from storplan.model.stats import Statistics
    from storplan.providers import Provider, Subscription

    from .base import Refusal, Request

__all__ = ["ProviderWrapper"]


class ProviderWrapper:
    """Wraps ``inner``; every catalogue operation calls :meth:`operate` (the methods are made
    from the catalogue below)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.name: str = inner.name

    def as_provider(self) -> Provider:
        """This wrapper, typed as the :class:`~storplan.providers.Provider` it is: its
        operation methods are made from the catalogue, which a test checks against the
        contract."""
        return cast("Provider", self)

    def operate(self, operation: str, args: tuple[Any, ...]) -> Job[Any]:
        """Run one operation; the default forwards it to the wrapped provider."""
        result: Job[Any] = getattr(self.inner, operation)(*args)
        return result

    # queries pass through
    def identity(self) -> str:
        return str(self.inner.identity())

    def capabilities(self) -> Capabilities:
        result: Capabilities = self.inner.capabilities()
        return result

    def limits(self) -> Limits:
        result: Limits = self.inner.limits()
        return result

    def version(self) -> ProviderVersion:
        result: ProviderVersion = self.inner.version()
        return result

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        result: State = self.inner.observe(kinds)
        return result

    def job(self, job_id: str) -> Job[Any]:
        result: Job[Any] = self.inner.job(job_id)
        return result

    def jobs(self) -> list[Job[Any]]:
        return list(self.inner.jobs())

    def statistics(self) -> Statistics:
        result: Statistics = self.inner.statistics()
        return result

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        result: Subscription = self.inner.subscribe(on_event)
        return result

    def preflight(self, requests: Sequence[Request], state: State) -> Sequence[Refusal]:
        hook = getattr(self.inner, "preflight", None)
        return () if hook is None else tuple(hook(requests, state))

    def close(self) -> None:
        self.inner.close()


def _forward(operation: str) -> Callable[..., Any]:
    def forward(self: ProviderWrapper, *args: Any) -> Any:
        return self.operate(operation, args)

    forward.__name__ = forward.__qualname__ = operation
    forward.__doc__ = f"{operation}, through :meth:`ProviderWrapper.operate`."
    return forward


for _name in OPERATIONS:
    setattr(ProviderWrapper, _name, _forward(_name))
