"""Where storplan keeps files by default: the XDG base directories.

One helper for every default location (the state store, the simulator's file, provider
caches), so ``$XDG_*_HOME`` and the explicit ``$STORPLAN_*`` overrides behave the same way
everywhere.
"""

from __future__ import annotations

import os

__all__ = ["xdg_path"]

_BASES = {
    "data": ("XDG_DATA_HOME", (".local", "share")),
    "state": ("XDG_STATE_HOME", (".local", "state")),
    "cache": ("XDG_CACHE_HOME", (".cache",)),
    "config": ("XDG_CONFIG_HOME", (".config",)),
}


def xdg_path(base: str, *parts: str, override: str | None = None) -> str:
    """``$<override>`` if that variable is set, else ``$XDG_<BASE>_HOME/storplan/<parts>``
    (``~/.local/share``, ``~/.local/state``, ``~/.cache`` or ``~/.config`` when unset).

    ``base`` is ``data``, ``state``, ``cache`` or ``config``.
    """
    if override:
        explicit = os.environ.get(override)
        if explicit:
            return explicit
    variable, default = _BASES[base]
    home = os.environ.get(variable) or os.path.join(os.path.expanduser("~"), *default)
    return os.path.join(home, "storplan", *parts)
