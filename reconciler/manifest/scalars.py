"""Plain YAML scalars, resolved by the YAML 1.2 core schema, with YAML 1.1 look-alikes kept.

PyYAML implements YAML 1.1, where ``no`` and ``on`` are booleans, ``0755`` is octal, ``1_000``
and ``1:20`` are numbers.  A manifest is read by YAML 1.2 rules (only ``true``/``false`` are
booleans), but where the two versions disagree the value is kept as :class:`AmbiguousScalar`,
so validation can refuse it with a pointed message instead of guessing.  The same function
decides which strings a written manifest must quote.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["AmbiguousScalar", "resolve_plain"]

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_YAML11_BOOLS = {"yes", "no", "on", "off", "y", "n"}
# The YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2) ...
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)", re.ASCII)
_INT_OCT = re.compile(r"0o[0-7]+", re.ASCII)
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+", re.ASCII)
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?", re.ASCII)
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)", re.ASCII)
_NAN = re.compile(r"\.(?:nan|NaN|NAN)", re.ASCII)
# What may end in a letter and still be a number: 0x1F, .inf, -.Inf, .nan
_HEX_OR_SPECIAL = re.compile(r"0x|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN)$", re.ASCII)
# ... and the plain scalars YAML 1.1 reads as numbers where 1.2 does not, or differently:
# 0755 (octal 493 in 1.1), 1_000 (1000), 1:20 (sexagesimal 80).
_YAML11_NUMBER = re.compile(
    r"[-+]?(?:0[0-9_]+|[0-9][0-9_]*_[0-9_]*|[0-9]+(?::[0-5]?[0-9])+)"
    r"(?:\.[0-9_]*)?",
    re.ASCII,
)


class AmbiguousScalar(str):
    """A plain scalar YAML 1.1 reads differently from YAML 1.2 (``no``, ``on``, ``0755``)."""

    __slots__ = ()


_MAX_DIGITS = 4000  # below sys.get_int_max_str_digits() (4300 by default)


def _case_variants(word: str) -> set[str]:
    variants = {""}
    for letter in word:
        variants = {v + c for v in variants for c in {letter.lower(), letter.upper()}}
    return variants


# Whole-word answers, looked up first: nulls, booleans, and every spelling (in any case) of
# the YAML 1.1 booleans.
_WORDS: dict[str, Any] = {
    word: AmbiguousScalar(word) for w in _YAML11_BOOLS for word in _case_variants(w)
}
_WORDS.update(dict.fromkeys(_NULLS))
_WORDS.update(dict.fromkeys(_TRUE, True))
_WORDS.update(dict.fromkeys(_FALSE, False))
_NUMBER_START = frozenset("0123456789+-.")
_NUMBER_END = frozenset("0123456789._")  # how every number but hex, inf and nan ends


def resolve_plain(text: str) -> Any:
    """YAML 1.2 core-schema resolution, with YAML 1.1 look-alikes kept as ambiguous."""
    found = _WORDS.get(text, _WORDS)
    if found is not _WORDS:
        return AmbiguousScalar(text) if type(found) is AmbiguousScalar else found
    if text[0] not in _NUMBER_START:
        return text  # not a word above, not a number: text (most names)
    if text[-1] not in _NUMBER_END and not _HEX_OR_SPECIAL.match(text):
        return text  # 10GiB, 1.5TiB: sizes are text
    if _YAML11_NUMBER.fullmatch(text):
        return AmbiguousScalar(text)
    if len(text) > _MAX_DIGITS:
        return text  # Python refuses to convert such numbers; the schema will say "not text"
    if _INT.fullmatch(text):
        return int(text)
    if _INT_OCT.fullmatch(text):
        return int(text[2:], 8)
    if _INT_HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text) or _INF.fullmatch(text) or _NAN.fullmatch(text):
        return float(
            text.replace(".inf", "inf")
            .replace(".Inf", "inf")
            .replace(".INF", "inf")
            .replace(".nan", "nan")
            .replace(".NaN", "nan")
            .replace(".NAN", "nan")
        )
    return text
