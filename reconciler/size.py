"""Sizes in bytes, parsed and formatted without ambiguity.

The rule (documented in ``docs/sizes.md``):

* IEC suffixes are binary: ``KiB MiB GiB TiB PiB EiB`` (the trailing ``B`` may be omitted:
  ``10Gi`` == ``10GiB``).
* SI suffixes are decimal: ``kB KB MB GB TB PB EB``.
* ``B`` or no suffix is bytes.
* A bare single-letter unit (``10G``, ``5M``) is **rejected**: tools disagree about whether it
  is binary (LVM, targetcli) or decimal (Kubernetes), and a storage tool must not guess.
* A lowercase ``b`` after a decimal prefix (``10Gb``, ``10mb``) means bits: **rejected**, with
  a hint; so are negative sizes and exponent notation (``1e3GiB``), each saying why.
* Otherwise units are case-insensitive (``10gib`` == ``10GiB``); whitespace between number
  and unit is allowed; a fractional number is accepted only when it names a whole number of
  bytes (``1.5GiB`` yes, ``0.1KiB`` no).

:class:`Size` is an ``int`` subclass, so sizes compare, add and serialise to JSON as plain byte
counts.  ``str(size)`` formats losslessly (``Size.parse(str(s)) == s`` for every size), choosing
the largest binary unit that divides the value exactly, else the largest decimal one, else bytes.
"""

from __future__ import annotations

import re

from .errors import InvalidArgument

__all__ = ["Size"]

_BINARY = {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50, "eib": 2**60}
_DECIMAL = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15, "eb": 10**18}
_UNITS: dict[str, int] = {"": 1, "b": 1, **_BINARY, **_DECIMAL}
_UNITS.update({unit[:2]: factor for unit, factor in _BINARY.items()})  # "gi" == "gib"
_AMBIGUOUS = {"k", "m", "g", "t", "p", "e"}
_SYNTAX = re.compile(r"\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*", re.ASCII)
_NEGATIVE = re.compile(r"-\s*[0-9][0-9_]*(?:\.[0-9]+)?\s*[A-Za-z]*", re.ASCII)
_EXPONENT = re.compile(r"[-+]?[0-9][0-9_]*(?:\.[0-9]*)?[eE][-+]?[0-9]+\s*[A-Za-z]*", re.ASCII)
_EXPECTED = "a whole number of bytes or a number with a unit, e.g. 512, 10GiB, 1.5TiB or 100GB"
# Formatting order: binary units first (what arrays use), largest first, then decimal.
_FORMAT_UNITS = [
    (2**60, "EiB"),
    (2**50, "PiB"),
    (2**40, "TiB"),
    (2**30, "GiB"),
    (2**20, "MiB"),
    (2**10, "KiB"),
    (10**18, "EB"),
    (10**15, "PB"),
    (10**12, "TB"),
    (10**9, "GB"),
    (10**6, "MB"),
    (10**3, "kB"),
]
_HUMAN_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]


def _not_a_size(text: str) -> InvalidArgument:
    """Why ``text`` is not a size, as precisely as can be said."""
    stripped = text.strip()
    if _NEGATIVE.fullmatch(stripped):
        return InvalidArgument(
            f"{text!r} is negative: a size cannot be negative", hint=f"write {_EXPECTED}"
        )
    if _EXPONENT.fullmatch(stripped):
        return InvalidArgument(
            f"{text!r} uses exponent notation, which sizes do not accept (it invites "
            "rounding and is easily misread)",
            hint="write the number out, e.g. 1000GiB or 1TB",
        )
    return InvalidArgument(f"{text!r} is not a size", hint=f"write {_EXPECTED}")


class Size(int):
    """A non-negative number of bytes.

    ``Size(10)`` is ten bytes; ``Size.parse("10GiB")`` parses text; ``Size.of(value)`` accepts
    either an int or text.
    """

    __slots__ = ()

    def __new__(cls, value: int = 0) -> Size:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidArgument(
                f"a size must be an integer number of bytes, not {value!r}",
                hint=f"write {_EXPECTED}",
            )
        if value < 0:
            raise InvalidArgument(
                f"a size cannot be negative: {value}",
                hint="write a number of bytes (0 or more) or a size with a unit, e.g. 10GiB",
            )
        return super().__new__(cls, value)

    @classmethod
    def parse(cls, text: str) -> Size:
        """Parse ``text`` such as ``"10GiB"``; raise :class:`InvalidArgument` if it is not exact."""
        if not isinstance(text, str):
            raise InvalidArgument(
                f"expected a size as text, got {type(text).__name__}", hint=_EXPECTED
            )
        match = _SYNTAX.fullmatch(text)
        if match is None:
            raise _not_a_size(text)
        number, written = match.group(1).replace("_", ""), match.group(2)
        unit = written.lower()
        if unit in _DECIMAL and written.endswith("b"):
            prefix = written[0].upper() if unit != "kb" else "k"
            raise InvalidArgument(
                f"{text!r} reads as bits: a lowercase 'b' after {written[0]!r} means bits, "
                "and sizes are in bytes",
                hint=f"write {number}{prefix}B for decimal bytes or "
                f"{number}{prefix.upper()}iB for binary bytes",
            )
        if unit in _AMBIGUOUS:
            letter = unit.upper()
            raise InvalidArgument(
                f"{text!r} is ambiguous: {letter!r} could mean binary or decimal",
                hint=f"write {number}{letter}iB for binary (2^n) or {number}{letter}B for decimal",
            )
        factor = _UNITS.get(unit)
        if factor is None:
            raise InvalidArgument(
                f"{text!r} has an unknown unit {match.group(2)!r}",
                hint="use B, KiB, MiB, GiB, TiB, PiB (binary) or kB, MB, GB, TB, PB (decimal)",
            )
        if len(number) > 40:  # far beyond any real size; int() would even refuse 4300 digits
            raise InvalidArgument(
                f"{text[:20]!r}... has too many digits to be a size", hint=f"write {_EXPECTED}"
            )
        whole, _, fraction = number.partition(".")
        # Exact integer arithmetic: no float or decimal-context rounding, ever.
        scaled = int(fraction or "0") * factor
        denominator = 10 ** len(fraction)
        if scaled % denominator:
            raise InvalidArgument(
                f"{text!r} is not a whole number of bytes",
                hint="use a smaller unit or a whole number",
            )
        return cls(int(whole) * factor + scaled // denominator)

    @classmethod
    def of(cls, value: int | str | Size) -> Size:
        """Return ``value`` as a Size: ints are bytes, text is parsed with :meth:`parse`."""
        if isinstance(value, str):
            return cls.parse(value)
        return cls(value)

    def __str__(self) -> str:
        value = int(self)
        for factor, unit in _FORMAT_UNITS:
            if value >= factor and value % factor == 0:
                return f"{value // factor}{unit}"
        return f"{value}B"

    def __repr__(self) -> str:
        return f"Size({int(self)})"

    def __format__(self, spec: str) -> str:
        # f"{size}" gives the lossless text form; numeric format specs still work.
        return str(self) if not spec else format(int(self), spec)

    def human(self) -> str:
        """An approximate, short rendering for people (``9.31 GiB``); not lossless."""
        value = float(self)
        for unit in _HUMAN_UNITS:
            if round(value, 2) < 1024 or unit == _HUMAN_UNITS[-1]:
                return f"{int(value)} {unit}" if unit == "B" else f"{value:.2f} {unit}"
            value /= 1024
        raise AssertionError("unreachable")  # pragma: no cover

    def align_up(self, granularity: int) -> Size:
        """The smallest multiple of ``granularity`` that is at least this size."""
        if granularity <= 0:
            raise InvalidArgument(f"alignment granularity must be positive, not {granularity}")
        return Size(-(-int(self) // granularity) * granularity)
