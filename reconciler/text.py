"""Text for people's terminals: names from manifests and arrays printed without their escapes.

A name, description or identifier may hold terminal control sequences (an array can report
anything; a hostile manifest can write anything).  Every human output (plans, tables, the
journal, errors) passes its text through :func:`printable`, which shows control characters as
escapes (``\\x1b``) instead of sending them to the terminal.  Machine output (JSON, YAML)
keeps values exact: its encoders escape them.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a terminal shows.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, newlines: bool = False) -> str:
    """``text`` with every control character shown as an escape (tabs kept; newlines kept
    only with ``newlines=True``)."""
    escaped = _CONTROLS.sub(lambda m: _escape(m.group()), text)
    return escaped if newlines else escaped.replace("\n", "\\n")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
