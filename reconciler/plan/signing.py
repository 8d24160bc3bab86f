"""Saved plans carry a MAC: a plan edited by hand (or made with another state store) is refused.

The MAC is HMAC-SHA-256, keyed by the state store's secret key (created, 0600, by the first
``plan --out``), over the plan document's canonical JSON without the ``mac`` member.  It proves
the document is the one storplan wrote; it is not what makes applying it safe — risk, consent,
protection and ownership are judged again from the live state when it is applied.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

__all__ = ["mac_of", "sign", "verify"]


def mac_of(document: dict[str, Any], key: bytes) -> str:
    """The MAC of a plan document (its ``mac`` member, if any, left out)."""
    body = {k: v for k, v in document.items() if k != "mac"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def sign(document: dict[str, Any], key: bytes) -> dict[str, Any]:
    """The document with its MAC."""
    return {**document, "mac": mac_of(document, key)}


def verify(document: dict[str, Any], key: bytes | None) -> bool:
    """True if the document's MAC is right for ``key``."""
    given = document.get("mac")
    if not isinstance(given, str) or key is None:
        return False
    return hmac.compare_digest(given, mac_of(document, key))
