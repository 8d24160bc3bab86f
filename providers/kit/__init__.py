"""The provider kit: what every provider needs besides the code that talks to its array.

* :class:`ProviderBase` — every catalogue operation refuses with ``Unsupported`` until the
  provider implements it; an empty ``preflight`` hook.
* :class:`ProviderWrapper` — one wrapper for all wrappers: queries pass through, operations go
  through one method a subclass may override (the read-only provider of ``plan``, the
  conformance kit's capability-hiding provider).
* :class:`JobBook` — finished jobs of a synchronous provider, and running jobs polled through
  a function, bounded and thread-safe.
* :func:`require_same` / :func:`differences` — the idempotent-create rule: an existing object
  with the same specification is the result, a different one is a conflict.
* :class:`IdCodec` — provider ids made of a kind prefix and names, and back.
* :class:`OptionSpec` / :func:`parse_options` — URI query options with typed defaults,
  refusing unknown keys with the closest known one.
* :func:`forwarding` — for providers that run every operation through one method.
* :func:`xdg_path` — default file locations.
* :class:`Endpoint` — the management endpoint a URI reaches and how many requests it takes at
  once (declared by a factory's ``endpoint(uri)``; storplan then never exceeds it).

A minimal provider is its package (a class on :class:`ProviderBase` with ``identity``,
``capabilities``, ``limits``, ``version``, ``observe``, ``job``, ``jobs``, ``close`` and the
operations it declares) plus one entry point; see docs/providers.md.
"""

from __future__ import annotations

from storplan.paths import xdg_path

from .base import ProviderBase, Refusal, Request
from .conflicts import differences, require_same
from .endpoint import Endpoint
from .forward import forwarding
from .ids import IdCodec
from .jobs import JobBook
from .options import OptionSpec, parse_options
from .wrapper import ProviderWrapper

__all__ = [
    "Endpoint",
    "IdCodec",
    "JobBook",
    "OptionSpec",
    "ProviderBase",
    "ProviderWrapper",
    "Refusal",
    "Request",
    "differences",
    "forwarding",
    "parse_options",
    "require_same",
    "xdg_path",
]
