"""Unit tests for :class:`storplan.size.Size`.

Everything here is real: the tests call ``Size`` / ``Size.parse`` directly and check the exact
byte counts, error classes, error codes and message/hint fragments.  Nothing is mocked.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storplan.errors import InvalidArgument, StorplanError
from storplan.size import Size

KiB, MiB, GiB, TiB, PiB, EiB = (2**10 * 1024**i for i in range(6))


def parse_error(text: object) -> InvalidArgument:
    """Parse ``text`` expecting failure; return the InvalidArgument raised."""
    with pytest.raises(InvalidArgument) as info:
        Size.parse(text)  # type: ignore[arg-type]
    assert info.value.code == "invalid_argument"
    return info.value


# --- parsing: accepted forms -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # IEC binary, with and without the trailing B
        ("10GiB", 10 * GiB),
        ("10Gi", 10 * GiB),
        ("1KiB", KiB),
        ("1Ki", KiB),
        ("3MiB", 3 * MiB),
        ("2TiB", 2 * TiB),
        ("1PiB", PiB),
        ("1EiB", EiB),
        ("1Ei", EiB),
        # SI decimal
        ("10GB", 10 * 10**9),
        ("10kB", 10_000),
        ("10KB", 10_000),
        ("7MB", 7 * 10**6),
        ("1TB", 10**12),
        ("1PB", 10**15),
        ("1EB", 10**18),
        # bytes
        ("512", 512),
        ("512B", 512),
        ("0", 0),
        ("0B", 0),
        # fractions naming a whole number of bytes
        ("1.5GiB", 3 * GiB // 2),
        ("0.5KiB", 512),
        ("2.5kB", 2500),
        ("1.0", 1),
    ],
)
def test_parse_accepts(text: str, expected: int) -> None:
    size = Size.parse(text)
    assert size == expected
    assert type(size) is Size


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("10gib", "10GiB"),
        ("10GIB", "10GiB"),
        ("10gIb", "10GiB"),
        ("10gi", "10GiB"),
        ("10GI", "10GiB"),
        ("10GB", "10gB"),
        ("10KB", "10kB"),
        ("10b", "10B"),
    ],
)
def test_units_are_case_insensitive(text: str, canonical: str) -> None:
    assert Size.parse(text) == Size.parse(canonical)


@pytest.mark.parametrize("text", ["10 GiB", " 10GiB", "10GiB ", "\t10\tGiB\n", "  10   GiB  "])
def test_whitespace_is_allowed(text: str) -> None:
    assert Size.parse(text) == 10 * GiB


# --- parsing: rejected forms -------------------------------------------------------------


@pytest.mark.parametrize("text", ["0.1KiB", "1.5", "0.0001kB", "1.0000000001GB", "0.5B"])
def test_fraction_not_whole_bytes_rejected(text: str) -> None:
    err = parse_error(text)
    assert "not a whole number of bytes" in err.message
    assert err.hint


@pytest.mark.parametrize(
    ("text", "letter"),
    [("10G", "G"), ("5M", "M"), ("1k", "K"), ("2t", "T"), ("3P", "P"), ("4e", "E")],
)
def test_bare_single_letter_is_ambiguous(text: str, letter: str) -> None:
    err = parse_error(text)
    assert "ambiguous" in err.message
    number = text[:-1]
    assert f"{number}{letter}iB" in err.hint
    assert f"{number}{letter}B" in err.hint


def test_ambiguous_hint_mentions_gib_and_gb() -> None:
    err = parse_error("10G")
    assert "GiB" in err.hint
    assert "GB" in err.hint
    assert "GiB" in str(err) and "GB" in str(err)


@pytest.mark.parametrize("text", ["10XB", "10bytes", "10Gib2", "10iB", "10GiBs", "10q"])
def test_unknown_or_garbage_unit(text: str) -> None:
    err = parse_error(text)
    assert repr(text) in err.message


@pytest.mark.parametrize("text", ["10XB", "10bytes", "10iB", "10q"])
def test_unknown_unit_hint_lists_units(text: str) -> None:
    err = parse_error(text)
    assert "unknown unit" in err.message
    assert "GiB" in err.hint and "GB" in err.hint


@pytest.mark.parametrize(
    "text", ["", "   ", "-1", "-1GiB", "GiB", "abc", "1,5GiB", "1.GiB", ".5GiB", "1e3", "10 G iB"]
)
def test_garbage_rejected(text: str) -> None:
    parse_error(text)


@pytest.mark.parametrize("value", [10, 10.0, None, b"10GiB", ["10GiB"]])
def test_parse_rejects_non_str(value: object) -> None:
    err = parse_error(value)
    assert type(value).__name__ in err.message


# --- the constructor ---------------------------------------------------------------------


@pytest.mark.parametrize("value", [True, False])
def test_constructor_rejects_bool(value: bool) -> None:
    with pytest.raises(InvalidArgument):
        Size(value)


@pytest.mark.parametrize("value", [1.0, "10", None, 2.5])
def test_constructor_rejects_non_int(value: object) -> None:
    with pytest.raises(InvalidArgument):
        Size(value)  # type: ignore[arg-type]


def test_constructor_rejects_negative() -> None:
    with pytest.raises(InvalidArgument, match="negative"):
        Size(-1)


def test_of_accepts_int_text_and_size() -> None:
    assert Size.of(512) == 512
    assert Size.of("1KiB") == KiB
    assert Size.of(Size(7)) == 7
    with pytest.raises(InvalidArgument):
        Size.of(True)


def test_errors_are_storplan_and_value_errors() -> None:
    with pytest.raises(ValueError):
        Size.parse("10G")
    with pytest.raises(StorplanError):
        Size(-5)


# --- formatting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0B"),
        (1, "1B"),
        (512, "512B"),
        (1023, "1023B"),
        (1001, "1001B"),
        (KiB, "1KiB"),
        (10 * GiB, "10GiB"),
        (3 * GiB // 2, "1536MiB"),
        (EiB, "1EiB"),
        (2**63, "8EiB"),
        (10**9, "1GB"),
        (1000, "1kB"),
        (1_500_000, "1500kB"),
        (2000 * KiB, "2000KiB"),  # binary preferred over decimal (2048000 == 2048kB too)
    ],
)
def test_str(value: int, text: str) -> None:
    assert str(Size(value)) == text


def test_repr_and_format() -> None:
    size = Size(10 * GiB)
    assert repr(size) == f"Size({10 * GiB})"
    assert f"{size}" == "10GiB"
    assert f"{size:,}" == f"{10 * GiB:,}"
    assert f"{size:d}" == str(10 * GiB)
    assert f"{[size]}" == f"[Size({10 * GiB})]"


@given(st.integers(min_value=0, max_value=2**63))
def test_str_is_lossless(value: int) -> None:
    size = Size(value)
    assert Size.parse(str(size)) == size


@given(st.integers(min_value=0, max_value=2**20), st.sampled_from([KiB, MiB, GiB, 10**3, 10**9]))
def test_str_is_lossless_for_round_multiples(n: int, unit: int) -> None:
    size = Size(n * unit)
    assert Size.parse(str(size)) == size


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0 B"),
        (1023, "1023 B"),
        (KiB, "1.00 KiB"),
        (1536, "1.50 KiB"),
        (10**10, "9.31 GiB"),
        (5 * TiB, "5.00 TiB"),
        (EiB, "1.00 EiB"),
        (2048 * EiB, "2048.00 EiB"),
    ],
)
def test_human(value: int, text: str) -> None:
    assert Size(value).human() == text


# --- alignment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "granularity", "expected"),
    [(0, MiB, 0), (1, MiB, MiB), (MiB, MiB, MiB), (MiB + 1, MiB, 2 * MiB), (10, 4, 12)],
)
def test_align_up(value: int, granularity: int, expected: int) -> None:
    aligned = Size(value).align_up(granularity)
    assert aligned == expected
    assert type(aligned) is Size


@pytest.mark.parametrize("granularity", [0, -1, -MiB])
def test_align_up_rejects_non_positive(granularity: int) -> None:
    with pytest.raises(InvalidArgument, match="granularity"):
        Size(10).align_up(granularity)


@given(st.integers(min_value=0, max_value=2**63), st.integers(min_value=1, max_value=2**40))
def test_align_up_property(value: int, granularity: int) -> None:
    aligned = Size(value).align_up(granularity)
    assert aligned % granularity == 0
    assert value <= aligned < value + granularity


# --- int behaviour -----------------------------------------------------------------------


def test_size_is_an_int() -> None:
    size = Size.parse("1KiB")
    assert isinstance(size, int)
    assert size + 1 == 1025
    assert Size(1) < Size(2)
    assert {Size(5): "x"}[5] == "x"


def test_json_serialises_as_int() -> None:
    payload = {"size": Size.parse("10GiB"), "list": [Size(1), Size(0)]}
    text = json.dumps(payload)
    assert text == f'{{"size": {10 * GiB}, "list": [1, 0]}}'
    assert json.loads(text)["size"] == 10 * GiB


# --- precision (beyond 2**63) --------------------------------------------------------------


@pytest.mark.parametrize("value", [12345678901234567890123456789, 2**100, 3 * 2**100 + 1])
def test_large_byte_counts_are_exact(value: int) -> None:
    assert Size.parse(str(value)) == value
    assert Size.parse(str(Size(value))) == value


def test_tiny_fraction_is_not_rounded_away() -> None:
    # 1.0000000000000000000000000001 KiB is 1024.0000000000000000000000001024 bytes: not whole.
    parse_error("1.0000000000000000000000000001KiB")


# --- bits, negative sizes, exponent notation: refused with the reason -------------------


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("10Gb", "10GB"),
        ("10gb", "10GiB"),
        ("10Mb", "10MB"),
        ("1.5 Tb", "1.5TiB"),
        ("10kb", "10kB"),
        ("10Kb", "10KiB"),
        ("10pb", "10PB"),
    ],
)
def test_a_lowercase_b_after_an_si_prefix_is_bits_and_refused(text: str, hint: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        Size.parse(text)
    assert "bits" in info.value.message and text in info.value.message
    assert hint in info.value.hint


@pytest.mark.parametrize("text", ["-1GiB", "-1", " - 5 MiB", "-0.5kB"])
def test_negative_text_says_negative(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        Size.parse(text)
    assert "negative" in info.value.message


def test_negative_int_says_negative() -> None:
    with pytest.raises(InvalidArgument) as info:
        Size.of(-1)
    assert "negative" in info.value.message and info.value.hint


@pytest.mark.parametrize("text", ["1e3GiB", "1E3", "1.5e3 MiB", "2e-1TB"])
def test_exponent_notation_says_why(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        Size.parse(text)
    assert "exponent notation" in info.value.message
    assert "write the number out" in info.value.hint
