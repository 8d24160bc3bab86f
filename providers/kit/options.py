"""Provider options from a URI's query: declared once with their types and defaults.

``parse_options("sim", uri.query, SPECS)`` returns a dict with every declared option, parsed
or defaulted; an unknown key, or a value its parser refuses, is an
:class:`~storplan.errors.InvalidArgument` naming the provider, the option and the value, with
the closest known key as a hint.  Parsers: :func:`text`, :func:`boolean`, :func:`number`,
:func:`integer`, :func:`choice` (or any callable raising ``ValueError`` with a reason).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from storplan.errors import InvalidArgument

__all__ = [
    "OptionSpec",
    "boolean",
    "choice",
    "integer",
    "number",
    "parse_options",
    "read_settings_file",
    "text",
]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option: its key, how to parse its text, its default, and what it means."""

    name: str
    parse: Callable[[str], Any]
    default: Any = None
    help: str = ""


def text(value: str) -> str:
    """Any text."""
    return value


def boolean(value: str) -> bool:
    """``true``/``false`` (also ``1 0 yes no on off``)."""
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def number(low: float = 0.0, high: float = math.inf) -> Callable[[str], float]:
    """A finite number in ``low..high``."""

    def parse(value: str) -> float:
        try:
            result = float(value)
        except ValueError:
            raise ValueError("expected a number") from None
        if not math.isfinite(result) or not low <= result <= high:
            raise ValueError(f"expected a number in {low:g}..{high:g}")
        return result

    return parse


def integer(low: int = 0, high: int | None = None) -> Callable[[str], int]:
    """A whole number in ``low..high``."""

    def parse(value: str) -> int:
        stripped = value.strip()
        if not stripped.lstrip("-").isdigit():
            raise ValueError("expected a whole number")
        result = int(stripped)
        if result < low or (high is not None and result > high):
            raise ValueError(f"expected a whole number in {low}..{'' if high is None else high}")
        return result

    return parse


def choice(*values: str) -> Callable[[str], str]:
    """One of ``values``."""

    def parse(value: str) -> str:
        if value not in values:
            raise ValueError(f"expected one of {', '.join(values)}")
        return value

    return parse


def parse_options(
    provider: str, query: Mapping[str, str], specs: Sequence[OptionSpec]
) -> dict[str, Any]:
    """Every declared option, parsed from ``query`` or defaulted (see the module docstring)."""
    known = {spec.name: spec for spec in specs}
    for key in query:
        if key not in known:
            close = difflib.get_close_matches(key, known, 1)
            hint = f"did you mean {close[0]!r}?" if close else f"options: {', '.join(known)}"
            raise InvalidArgument(f"unknown {provider}:// option {key!r}", hint=hint)
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in query:
            values[spec.name] = spec.default
            continue
        raw = query[spec.name]
        try:
            values[spec.name] = spec.parse(raw)
        except ValueError as exc:
            raise InvalidArgument(
                f"{provider}:// option {spec.name}={raw!r}: {exc}", hint=spec.help
            ) from None
    return values


def read_settings_file(
    path: str | None, default: str, keys: Set[str], what: str, option: str
) -> dict[str, Any]:
    """A provider's settings file as a mapping with only ``keys``: ``path`` (the URI's
    ``option=``), else ``default`` when it exists (empty when it does not, or is empty).

    Raises:
        InvalidArgument: the file cannot be read, is not YAML, or is not such a mapping
            (``what`` names it in the message: "the lio configuration").
    """
    import os
    from pathlib import Path

    chosen = path or default
    if path is None and not os.path.exists(chosen):
        return {}
    try:
        content = Path(chosen).read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidArgument(
            f"cannot read {what} {chosen}: {exc.strerror}",
            hint=f"fix the path given as {option}=",
        ) from None
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        raise InvalidArgument(f"{chosen} is not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or set(data) - keys:
        extra = sorted(map(str, set(data) - keys)) if isinstance(data, dict) else []
        raise InvalidArgument(
            f"{chosen}: expected a mapping with keys {', '.join(sorted(keys))}"
            + (f"; unknown: {', '.join(extra)}" if extra else ""),
        )
    return data
