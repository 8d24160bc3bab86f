"""Providers that run every operation through one method (a job engine, a request queue).

:func:`forwarding` gives a class one method per catalogue operation it does not define
itself; each calls ``self.<handler>(operation, arguments)`` with the arguments named as the
provider contract names them (``create_volume(pool_id, name, size, thin)`` becomes
``handler("create_volume", {"pool_id": ..., "name": ..., "size": ..., "thin": ...})``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from storplan.catalogue import OPERATIONS

__all__ = ["contract_parameters", "forwarding"]

T = TypeVar("T", bound=type)


def contract_parameters(operation: str) -> tuple[str, ...]:
    """The parameter names of ``operation`` in the provider contract (the Protocol)."""
    from storplan.providers import Provider

    signature = inspect.signature(getattr(Provider, operation))
    return tuple(name for name in signature.parameters if name != "self")


def forwarding(handler: str) -> Callable[[T], T]:
    """Class decorator: add the missing operation methods, forwarding to ``handler``."""

    def decorate(cls: T) -> T:
        for operation in OPERATIONS:
            defined = getattr(cls, operation, None)
            if defined is None or getattr(defined, "refuses", False):
                setattr(cls, operation, _forwarder(operation, handler))
        return cls

    return decorate


def _forwarder(operation: str, handler: str) -> Callable[..., Any]:
    names = contract_parameters(operation)

    def forward(self: Any, *args: Any) -> Any:
        if len(args) != len(names):
            raise TypeError(f"{operation}() takes {len(names)} arguments ({', '.join(names)})")
        return getattr(self, handler)(operation, dict(zip(names, args, strict=True)))

    forward.__name__ = forward.__qualname__ = operation
    forward.__doc__ = f"{operation}({', '.join(names)}), run through {handler}."
    return forward
