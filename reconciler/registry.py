"""Discovery of provider plug-ins through the ``storplan.providers`` entry-point group.

Every provider, built-in or third-party, is an entry point ``<scheme> = module:factory``.
``importlib.metadata`` costs about 50 ms to import on a small machine, more than the whole
budget of ``storplan show systems``; entry points are plain ``entry_points.txt`` files in each
installed distribution's metadata directory, so this module reads those files directly (the
format is the one the packaging specification defines) and only imports the chosen provider.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

from .errors import InvalidArgument, ProviderError

if TYPE_CHECKING:
    from storplan.providers import ProviderFactory

__all__ = ["GROUP", "ProviderEntry", "find_provider", "provider_entries", "providers_available"]

GROUP = "storplan.providers"


@dataclass(frozen=True, slots=True)
class ProviderEntry:
    """One registered provider: its URI scheme, ``module:attr`` target and distribution."""

    scheme: str
    target: str
    distribution: str

    def load(self) -> ProviderFactory:
        """Import the provider's module and return its factory."""
        # "module:attr [extra1, extra2]": extras name what the distribution needs installed.
        target = self.target.split("[", 1)[0].strip()
        module_name, _, attr = target.partition(":")
        try:
            obj = import_module(module_name.strip())
            for part in attr.strip().split(".") if attr.strip() else ():
                obj = getattr(obj, part)
        except Exception as exc:  # any import-time failure of a plug-in is the plug-in's
            package = (
                f"storplan[{self.scheme}]" if self.distribution == "storplan" else self.distribution
            )
            raise ProviderError(
                f"provider {self.scheme!r} from {self.distribution} cannot be loaded: "
                f"{type(exc).__name__}: {exc}",
                hint=f"reinstall it with what it needs: pip install '{package}'",
            ) from exc
        factory: ProviderFactory = obj  # type: ignore[assignment]
        return factory


def _entry_points_files() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for directory in sys.path:
        try:
            names = os.listdir(directory or ".")
        except OSError:
            continue
        for name in sorted(names):
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            distribution = name.rsplit(".", 1)[0].split("-")[0]
            if distribution in seen:  # first on sys.path wins, as for imports
                continue
            path = os.path.join(directory or ".", name, "entry_points.txt")
            if os.path.exists(path):
                seen.add(distribution)
                found.append((distribution, path))
    return found


def _parse_group(path: str, group: str) -> list[tuple[str, str]]:
    entries: list[tuple[str, str]] = []
    in_group = False
    with open(path, encoding="utf-8") as handle:
        for raw in handle:
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                in_group = line.strip("[]").strip() == group
            elif in_group and "=" in line:
                key, _, value = line.partition("=")
                entries.append((key.strip(), value.strip()))
    return entries


_CACHE: dict[tuple[str, ...], dict[str, ProviderEntry]] = {}


def provider_entries() -> dict[str, ProviderEntry]:
    """Every registered provider, by scheme (the first distribution on ``sys.path`` wins).

    Read once per ``sys.path`` (a fleet connects to dozens of arrays): a provider installed
    into a folder already on it is seen by the next process, as Python's own import caches
    do."""
    key = tuple(sys.path)
    cached = _CACHE.get(key)
    if cached is not None:
        return dict(cached)
    registry: dict[str, ProviderEntry] = {}
    for distribution, path in _entry_points_files():
        for scheme, target in _parse_group(path, GROUP):
            registry.setdefault(scheme.lower(), ProviderEntry(scheme.lower(), target, distribution))
    _CACHE.clear()
    _CACHE[key] = registry
    return dict(registry)


def find_provider(scheme: str) -> ProviderEntry:
    """The provider registered for ``scheme``.

    Raises:
        InvalidArgument: no installed distribution registers that scheme.
    """
    entries = provider_entries()
    entry = entries.get(scheme.lower())
    if entry is None:
        known = ", ".join(sorted(entries)) or "none"
        raise InvalidArgument(
            f"no provider is registered for scheme {scheme!r}",
            hint=f"installed providers: {known} (see `storplan providers`)",
        )
    return entry


def providers_available() -> list[ProviderEntry]:
    """Every installed provider, sorted by scheme."""
    return sorted(provider_entries().values(), key=lambda entry: entry.scheme)
