"""Storage identifiers, validated and canonicalized in exactly one place.

Both sides of every diff (what a manifest says, what an array reports) go through these
functions, so ``IQN.1994-05.COM.Example:DB01`` and ``iqn.1994-05.com.example:db01`` never show up
as drift.  Canonical forms:

* iSCSI qualified name: ``iqn.YYYY-MM.reversed.domain[:anything]``, lower case (RFC 3720 names
  are case-insensitive and are compared after lower-casing). The domain part must contain a dot,
  as LIO and most arrays require.
* iSCSI EUI name: ``eui.`` + 16 upper-case hex digits.
* NAA name (iSCSI or SCSI WWN): ``naa.`` + 16 or 32 lower-case hex digits.
* Fibre Channel WWPN/WWNN: 16 lower-case hex digits in colon-separated pairs
  (``50:01:43:80:12:34:56:78``); input may use colons, dashes, dots or nothing, and ``0x``.
* NVMe qualified name: ``nqn.YYYY-MM.reversed.domain:...`` (case kept: NQNs are case-sensitive),
  at most 223 bytes.
"""

from __future__ import annotations

import re
from enum import StrEnum

from .errors import InvalidArgument

__all__ = [
    "InitiatorKind",
    "canonical_initiator",
    "canonical_iqn",
    "canonical_nqn",
    "canonical_wwn",
    "canonical_wwpn",
    "check_client",
    "initiator_kind",
]


class InitiatorKind(StrEnum):
    """The transport an initiator identifier belongs to."""

    ISCSI = "iscsi"
    FC = "fc"
    NVME = "nvme"


_IQN = re.compile(
    r"iqn\.(\d{4})-(\d{2})\.([a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
    r"(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?::[^\s]+)?",
    re.ASCII,
)
_EUI = re.compile(r"eui\.[0-9A-F]{16}")
_NAA = re.compile(r"naa\.(?:[0-9a-f]{16}|[0-9a-f]{32})")
_NQN = re.compile(r"nqn\.(\d{4})-(\d{2})\.[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?:\S+", re.ASCII)
_HEX16 = re.compile(r"[0-9a-f]{16}")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f;]")
_WWPN_SEPARATORS = re.compile(r"[:.\-]")
_ISCSI_HINT = "an iSCSI name looks like iqn.2024-01.com.example:host1, eui.0123456789ABCDEF or naa."


def _ascii(text: str, kind: str) -> str:
    """Identifiers are printable ASCII: refuse look-alikes (full-width digits, ligatures),
    control characters (terminal escapes) and ``;`` (a command separator in the tools that
    receive them) up front."""
    if not text.isascii():
        raise InvalidArgument(
            f"{text!r} is not a valid {kind}: it contains non-ASCII characters",
            hint="type the identifier in plain ASCII",
        )
    value = text.strip()
    if _FORBIDDEN.search(value):
        raise InvalidArgument(
            f"{value!r} is not a valid {kind}: it contains a control character or ';'",
            hint="identifiers are printable ASCII without ';'",
        )
    return value


def _check_month(kind: str, text: str, year: str, month: str) -> None:
    if not (1 <= int(month) <= 12) or int(year) < 1970:
        raise InvalidArgument(
            f"{text!r} is not a valid {kind}: the date {year}-{month} is invalid",
            hint="the date is the year and month the naming authority "
            "registered its domain, e.g. 2024-01",
        )


def canonical_iqn(text: str) -> str:
    """Validate an iSCSI name (iqn., eui. or naa. form) and return its canonical form."""
    value = _ascii(text, "iSCSI name")
    lowered = value.lower()
    if lowered.startswith("iqn."):
        match = _IQN.fullmatch(lowered)
        if match is None:
            raise InvalidArgument(
                f"{text!r} is not a valid iSCSI qualified name",
                hint=_ISCSI_HINT + " (the domain needs a dot)",
            )
        _check_month("iSCSI qualified name", text, match.group(1), match.group(2))
        if len(lowered.encode()) > 223:
            raise InvalidArgument(f"iSCSI name is longer than 223 bytes: {text[:40]!r}...")
        return lowered
    if lowered.startswith("eui."):
        upper = "eui." + value[4:].upper()
        if _EUI.fullmatch(upper) is None:
            raise InvalidArgument(
                f"{text!r} is not a valid EUI-64 iSCSI name",
                hint="eui. followed by 16 hexadecimal digits",
            )
        return upper
    if lowered.startswith("naa."):
        return canonical_wwn(value)
    raise InvalidArgument(f"{text!r} is not an iSCSI name", hint=_ISCSI_HINT)


def canonical_wwn(text: str) -> str:
    """Validate a NAA world wide name (``naa.`` + 16 or 32 hex digits) and canonicalize it."""
    value = _ascii(text, "NAA name").lower()
    if not value.startswith("naa."):
        digits = _WWPN_SEPARATORS.sub("", value.removeprefix("0x"))
        value = "naa." + digits
    if _NAA.fullmatch(value) is None:
        raise InvalidArgument(
            f"{text!r} is not a valid NAA world wide name",
            hint="naa. followed by 16 or 32 hexadecimal digits",
        )
    return value


def canonical_wwpn(text: str) -> str:
    """Validate a Fibre Channel port/node name and return it as ``aa:bb:cc:dd:ee:ff:00:11``."""
    value = _ascii(text, "Fibre Channel WWPN").lower().removeprefix("0x")
    digits = _WWPN_SEPARATORS.sub("", value)
    if _HEX16.fullmatch(digits) is None:
        raise InvalidArgument(
            f"{text!r} is not a valid Fibre Channel WWPN",
            hint="16 hexadecimal digits, e.g. 50:01:43:80:12:34:56:78",
        )
    return ":".join(digits[i : i + 2] for i in range(0, 16, 2))


def canonical_nqn(text: str) -> str:
    """Validate an NVMe qualified name; NQNs are case-sensitive, so only whitespace is trimmed."""
    value = _ascii(text, "NVMe qualified name")
    match = _NQN.fullmatch(value)
    if match is None:
        raise InvalidArgument(
            f"{text!r} is not a valid NVMe qualified name",
            hint="e.g. nqn.2014-08.org.nvmexpress:uuid:<uuid> or nqn.2024-01.com.example:host1",
        )
    _check_month("NVMe qualified name", text, match.group(1), match.group(2))
    if len(value.encode()) > 223:
        raise InvalidArgument(f"NVMe qualified name is longer than 223 bytes: {text[:40]!r}...")
    return value


def initiator_kind(text: str) -> InitiatorKind:
    """Guess the transport of an initiator identifier from its form."""
    lowered = text.strip().lower()
    if lowered.startswith(("iqn.", "eui.", "naa.")):
        return InitiatorKind.ISCSI
    if lowered.startswith("nqn."):
        return InitiatorKind.NVME
    return InitiatorKind.FC


_CANONICALIZERS = {
    InitiatorKind.ISCSI: canonical_iqn,
    InitiatorKind.FC: canonical_wwpn,
    InitiatorKind.NVME: canonical_nqn,
}


def canonical_initiator(text: str, kind: InitiatorKind | None = None) -> tuple[InitiatorKind, str]:
    """Return ``(kind, canonical id)`` for an initiator; the kind is inferred when not given."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidArgument(
            f"an initiator must be a non-empty string, not {text!r}",
            hint="an iSCSI IQN, a Fibre Channel WWPN or an NVMe NQN",
        )
    resolved = kind or initiator_kind(text)
    return resolved, _CANONICALIZERS[resolved](text)


_HOST_PATTERN = re.compile(
    r"(?:[A-Za-z0-9*?\[\]_](?:[A-Za-z0-9*?\[\]_-]{0,62}))(?:\.[A-Za-z0-9*?\[\]_-]{1,63})*\.?",
    re.ASCII,
)
_NETGROUP = re.compile(r"@[A-Za-z0-9_.-]{1,255}", re.ASCII)


def check_client(match: str) -> None:
    """Validate an NFS client match: ``*``, a host name or wildcard (``*``, ``?``, ``[...]``),
    an IPv4/IPv6 address or network (``10.0.0.0/24``, ``fd00::/64``), or ``@netgroup``.

    Raises:
        InvalidArgument: anything an NFS server would refuse or misread (spaces, NUL and other
            control characters, parentheses, commas, a prefix length out of range).
    """
    hint = "use *, a host name, *.domain, an address, a network like 10.0.0.0/24, or @netgroup"
    if not isinstance(match, str) or not match or len(match) > 255:
        raise InvalidArgument(f"NFS client {match!r} is empty or too long", hint=hint)
    if not match.isascii() or _FORBIDDEN.search(match) or any(c in match for c in " (),\"'#"):
        raise InvalidArgument(
            f"NFS client {match!r} contains a character NFS servers refuse", hint=hint
        )
    if match == "*" or _NETGROUP.fullmatch(match):
        return
    if ":" in match or "/" in match or match.replace(".", "").isdigit():
        import ipaddress  # only for addresses: the import is not free

        try:
            ipaddress.ip_network(match, strict=False)
        except ValueError:
            raise InvalidArgument(
                f"NFS client {match!r} is not a valid address or network", hint=hint
            ) from None
        return
    if _HOST_PATTERN.fullmatch(match) is None:
        raise InvalidArgument(f"NFS client {match!r} is not a valid host name", hint=hint)
