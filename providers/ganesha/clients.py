"""Client matches in Ganesha's order (the matches: :mod:`storplan.providers.kit.nfsclients`).

Ganesha checks CLIENT blocks in file order and the first match wins, while the model keeps
clients as a set sorted by match (where ``*`` sorts first and would shadow every other rule).
:func:`served_order` therefore writes the most specific rules first: addresses, then networks
by decreasing prefix length, host names, wildcards, netgroups, and ``*`` last.
"""

from __future__ import annotations

import ipaddress

from storplan.providers.kit.nfsclients import canonical_match, kind_of, resolve

__all__ = ["canonical_match", "kind_of", "resolve", "served_order"]

_RANK = {"address": 0, "network": 1, "host": 2, "wildcard": 3, "netgroup": 4, "any": 5}


def _order_key(match: str) -> tuple[int, int, str]:
    canonical = canonical_match(match)
    kind = kind_of(canonical)
    prefix = 0
    if kind == "network":
        prefix = -ipaddress.ip_network(canonical).prefixlen  # longer prefixes first
    return _RANK[kind], prefix, canonical


def served_order(matches: list[str]) -> list[str]:
    """``matches`` (validated, in any spelling) in the order Ganesha must check them: most
    specific first."""
    return sorted(matches, key=_order_key)
