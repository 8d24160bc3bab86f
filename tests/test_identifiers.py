"""Unit tests for storage identifier canonicalization (:mod:`storplan.identifiers`).

Everything here is real: the canonicalizers are called directly on literal and
hypothesis-generated identifiers, and exact canonical strings and error codes are checked.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storplan.errors import InvalidArgument
from storplan.identifiers import (
    InitiatorKind,
    canonical_initiator,
    canonical_iqn,
    canonical_nqn,
    canonical_wwn,
    canonical_wwpn,
    initiator_kind,
)

WWPN = "50:01:43:80:12:34:56:78"


def rejected(func: object, text: str) -> InvalidArgument:
    """Call ``func(text)`` expecting InvalidArgument; return it."""
    with pytest.raises(InvalidArgument) as info:
        func(text)  # type: ignore[operator]
    assert info.value.code == "invalid_argument"
    return info.value


# --- iSCSI qualified names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("iqn.2024-01.com.example:t0", "iqn.2024-01.com.example:t0"),
        ("IQN.1994-05.COM.Example:DB01", "iqn.1994-05.com.example:db01"),
        ("  iqn.2024-01.com.example:host1\n", "iqn.2024-01.com.example:host1"),
        ("iqn.2024-01.com.example", "iqn.2024-01.com.example"),
        ("iqn.2003-01.org.linux-iscsi.b.x8664:sn.ab", "iqn.2003-01.org.linux-iscsi.b.x8664:sn.ab"),
        ("iqn.1970-12.com.example:a:b", "iqn.1970-12.com.example:a:b"),
    ],
)
def test_iqn_canonical(text: str, expected: str) -> None:
    assert canonical_iqn(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "iqn.2024-01.lab:t0",  # domain without a dot
        "iqn.2024-01.com.example:",  # empty suffix
        "iqn.2024-1.com.example:t0",
        "iqn.24-01.com.example:t0",
        "iqn.2024-01.-com.example:t0",
        "iqn.2024-01.com..example:t0",
        "iqn.2024-01.com.example:with space",
        "iqn.com.ex:t0",
        "iqn.",
    ],
)
def test_iqn_malformed_rejected(text: str) -> None:
    err = rejected(canonical_iqn, text)
    assert "not a valid iSCSI qualified name" in err.message
    assert "iqn.2024-01.com.example" in err.hint


@pytest.mark.parametrize(
    "text", ["iqn.2024-13.com.example:t0", "iqn.2024-00.com.example:t0", "iqn.1969-12.com.ex:t"]
)
def test_iqn_bad_date_rejected(text: str) -> None:
    err = rejected(canonical_iqn, text)
    assert "date" in err.message


def test_iqn_longer_than_223_bytes_rejected() -> None:
    prefix = "iqn.2024-01.com.example:"
    assert canonical_iqn(prefix + "a" * (223 - len(prefix))) == prefix + "a" * (223 - len(prefix))
    err = rejected(canonical_iqn, prefix + "a" * (224 - len(prefix)))
    assert "223" in err.message


@pytest.mark.parametrize(
    "text", ["iqn.\uff12\uff10\uff12\uff14-01.com.example:t0", "eui." + "\ufb00" * 8]
)
def test_non_ascii_lookalikes_rejected(text: str) -> None:
    # Full-width digits / ligatures are not ASCII; the canonical form must be plain ASCII.
    rejected(canonical_iqn, text)


@pytest.mark.parametrize("text", ["", "host1", "nqn.2014-08.org.nvmexpress:x", WWPN])
def test_not_an_iscsi_name(text: str) -> None:
    err = rejected(canonical_iqn, text)
    assert "not an iSCSI name" in err.message


# --- EUI and NAA ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("eui.0123456789abcdef", "eui.0123456789ABCDEF"),
        ("EUI.0123456789ABCDEF", "eui.0123456789ABCDEF"),
        (" eui.02004567A425678D ", "eui.02004567A425678D"),
    ],
)
def test_eui_canonical(text: str, expected: str) -> None:
    assert canonical_iqn(text) == expected


@pytest.mark.parametrize("text", ["eui.0123", "eui.0123456789ABCDEG", "eui.0123456789ABCDEF0"])
def test_eui_rejected(text: str) -> None:
    assert "EUI-64" in rejected(canonical_iqn, text).message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("naa.6001405ABCDEF012", "naa.6001405abcdef012"),
        ("NAA." + "6" * 16 + "AB" * 8, "naa." + "6" * 16 + "ab" * 8),
        ("0x6001405abcdef012", "naa.6001405abcdef012"),
        ("60:01:40:5a:bc:de:f0:12", "naa.6001405abcdef012"),
    ],
)
def test_naa_canonical(text: str, expected: str) -> None:
    assert canonical_wwn(text) == expected
    if text.lower().startswith("naa."):
        assert canonical_iqn(text) == expected


@pytest.mark.parametrize(
    "text", ["naa.6001405abcdef01", "naa." + "a" * 24, "naa." + "a" * 33, "naa.600140Xabcdef012"]
)
def test_naa_wrong_length_or_digits_rejected(text: str) -> None:
    assert "NAA" in rejected(canonical_wwn, text).message


# --- Fibre Channel WWPN --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        WWPN,
        WWPN.upper(),
        "5001438012345678",
        "50-01-43-80-12-34-56-78",
        "50.01.43.80.12.34.56.78",
        "5001.4380.1234.5678",
        "0x5001438012345678",
        "0X5001438012345678",
        " 50014380:12345678 ",
    ],
)
def test_wwpn_all_forms(text: str) -> None:
    assert canonical_wwpn(text) == WWPN


@pytest.mark.parametrize(
    "text", ["", "50:01:43:80:12:34:56", "50:01:43:80:12:34:56:78:9a", "50:01:43:80:12:34:56:7g"]
)
def test_wwpn_rejected(text: str) -> None:
    err = rejected(canonical_wwpn, text)
    assert "WWPN" in err.message
    assert "16 hexadecimal digits" in err.hint


# --- NVMe qualified names ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "nqn.2014-08.org.nvmexpress:uuid:F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6",
        "nqn.2024-01.com.Example:Host1",
        "nqn.2024-01.localhost:MixedCase",
    ],
)
def test_nqn_case_kept(text: str) -> None:
    assert canonical_nqn(text) == text
    assert canonical_nqn(f"  {text}\t") == text


@pytest.mark.parametrize(
    "text",
    [
        "nqn.2024-13.com.example:h",
        "nqn.2024-01.com.example",
        "nqn.2024-01.com.example:",
        "NQN.2024-01.com.example:h",
        "iqn.2024-01.com.example:h",
    ],
)
def test_nqn_rejected(text: str) -> None:
    rejected(canonical_nqn, text)


def test_nqn_longer_than_223_bytes_rejected() -> None:
    prefix = "nqn.2024-01.com.example:"
    assert canonical_nqn(prefix + "x" * (223 - len(prefix)))
    assert "223" in rejected(canonical_nqn, prefix + "x" * (224 - len(prefix))).message


# --- initiators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "canonical"),
    [
        ("IQN.2024-01.com.Example:H1", InitiatorKind.ISCSI, "iqn.2024-01.com.example:h1"),
        ("eui.0123456789abcdef", InitiatorKind.ISCSI, "eui.0123456789ABCDEF"),
        ("naa.6001405ABCDEF012", InitiatorKind.ISCSI, "naa.6001405abcdef012"),
        ("50-01-43-80-12-34-56-78", InitiatorKind.FC, WWPN),
        ("0x5001438012345678", InitiatorKind.FC, WWPN),
        ("nqn.2024-01.com.example:H1", InitiatorKind.NVME, "nqn.2024-01.com.example:H1"),
    ],
)
def test_canonical_initiator_infers_kind(text: str, kind: InitiatorKind, canonical: str) -> None:
    assert initiator_kind(text) is kind
    assert canonical_initiator(text) == (kind, canonical)


def test_explicit_kind_overrides_inference() -> None:
    with pytest.raises(InvalidArgument, match="WWPN"):
        canonical_initiator("iqn.2024-01.com.example:h1", InitiatorKind.FC)
    assert canonical_initiator(WWPN, InitiatorKind.FC) == (InitiatorKind.FC, WWPN)
    assert str(InitiatorKind.NVME) == "nvme"


@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_canonical_initiator_rejects_empty_and_non_str(value: object) -> None:
    err = rejected(canonical_initiator, value)  # type: ignore[arg-type]
    assert "non-empty string" in err.message


# --- properties ----------------------------------------------------------------------------

_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", fullmatch=True)
iqns = st.builds(
    lambda y, m, labels, suffix: f"iqn.{y:04d}-{m:02d}.{'.'.join(labels)}" + suffix,
    st.integers(1970, 2099),
    st.integers(1, 12),
    st.lists(_label, min_size=2, max_size=4),
    st.one_of(st.just(""), st.from_regex(r":[a-z0-9:._-]{1,20}", fullmatch=True)),
)
wwpn_bytes = st.binary(min_size=8, max_size=8)


def scramble_case(text: str, flips: list[bool]) -> str:
    """Upper-case the characters of ``text`` where ``flips`` says so."""
    padded = flips + [False] * len(text)
    return "".join(c.upper() if f else c for c, f in zip(text, padded, strict=False))


@given(iqns, st.lists(st.booleans(), max_size=80))
def test_iqn_case_insensitive_and_idempotent(iqn: str, flips: list[bool]) -> None:
    canonical = canonical_iqn(scramble_case(iqn, flips))
    assert canonical == iqn
    assert canonical_iqn(canonical) == canonical
    assert canonical_initiator(canonical) == (InitiatorKind.ISCSI, canonical)


@given(wwpn_bytes, st.sampled_from([":", "-", ".", ""]), st.booleans(), st.booleans())
def test_wwpn_separators_and_case(raw: bytes, sep: str, upper: bool, prefix: bool) -> None:
    expected = ":".join(f"{b:02x}" for b in raw)
    text = ("0x" if prefix else "") + sep.join(f"{b:02x}" for b in raw)
    text = text.upper() if upper else text
    assert canonical_wwpn(text) == expected
    assert canonical_wwpn(expected) == expected
    assert canonical_initiator(text) == (InitiatorKind.FC, expected)


_any_ids = st.one_of(
    st.text(max_size=60),
    iqns.map(str.upper),
    st.from_regex(r"\s*(eui|EUI|naa|NAA)\.[0-9a-fA-F]{16}\s*", fullmatch=True),
    st.from_regex(r"nqn\.20[0-9]{2}-(0[1-9]|1[0-2])\.[A-Za-z0-9.]{1,9}:\S{1,20}", fullmatch=True),
)


@given(_any_ids)
def test_canonical_initiator_idempotent_on_any_text(text: str) -> None:
    try:
        kind, canonical = canonical_initiator(text)
    except InvalidArgument:
        return
    assert canonical_initiator(canonical) == (kind, canonical)
    assert canonical_initiator(canonical, kind) == (kind, canonical)
