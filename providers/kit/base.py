"""The optional base class of providers: refusals for what is not implemented, hooks' defaults.

A provider for an array without, say, file systems subclasses :class:`ProviderBase` and
implements only what it declares; the core never calls the rest, and if something does, the
refusal names the provider and the operation.  The refusing methods are made from the
operation catalogue, so a new operation needs no edit here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from storplan.catalogue import OPERATIONS
from storplan.errors import Unsupported

if TYPE_CHECKING:
    from storplan.model.state import State
    from storplan.model.stats import Statistics
    from storplan.providers import Subscription

__all__ = ["ProviderBase", "Refusal", "Request"]


@dataclass(frozen=True, slots=True)
class Request:
    """One planned operation, as ``preflight`` sees it: its catalogue name and parameters
    (objects by name, as in the plan)."""

    operation: str
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a provider's ``preflight`` refuses: the request (its index), the parameter
    (``""``: the whole request), why, and what to do."""

    index: int
    param: str
    message: str
    hint: str = ""


class ProviderBase:
    """Base class with a refusal for every catalogue operation (see the module docstring)."""

    name = "base"

    def preflight(self, requests: Sequence[Request], state: State) -> Sequence[Refusal]:
        """Refuse, before anything changes, what the array would refuse half-way through an
        apply: name rules, sizes or clients the generic checks cannot know.  ``state`` is
        what the plan observed.  The default refuses nothing."""
        return ()

    def statistics(self) -> Statistics:
        """Refuse: a provider that keeps counters declares ``statistics`` and overrides this."""
        raise Unsupported(f"provider {self.name!r} keeps no statistics", provider=self.name)

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        """Refuse: a provider whose array notifies changes declares ``events`` and overrides
        this."""
        raise Unsupported(f"provider {self.name!r} has no change notifications", provider=self.name)


def _refusal(operation: str) -> Callable[..., Any]:
    def refuse(self: ProviderBase, *_args: Any, **_kwargs: Any) -> Any:
        raise Unsupported(
            f"provider {self.name!r} does not implement {operation}", provider=self.name
        )

    refuse.refuses = True  # type: ignore[attr-defined]  # kit.forwarding may replace it
    refuse.__name__ = refuse.__qualname__ = operation
    refuse.__doc__ = f"Refuse {operation} with Unsupported (not implemented by this provider)."
    return refuse


for _name in OPERATIONS:
    setattr(ProviderBase, _name, _refusal(_name))
