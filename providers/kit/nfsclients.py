"""NFS client matches and export paths, shared by the NFS providers: validation, one canonical
form for both sides of a diff, and name resolution.

A match is ``*``, a host name, a wildcard host pattern (``*.example.com``), an IPv4 or IPv6
address, a CIDR network or ``@netgroup``.  The canonical form is what both the desired and the
observed side are reduced to: addresses compressed, a one-address network written as the
address (servers report ``127.0.0.1`` as ``127.0.0.1/32``), networks with their host bits
cleared, names lower-cased.

An export path (what clients mount) is checked once, by :func:`check_export_path`, for both
servers: the kernel server (``nfs``) and Ganesha (``ganesha``).
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time

from storplan.errors import InvalidArgument

__all__ = ["RESOLVE_TTL", "canonical_match", "check_export_path", "kind_of", "resolve"]

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")
_WILDCARD = re.compile(r"[a-z0-9*?.\[\]-]{1,253}")
_NETGROUP = re.compile(r"@[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_EXPORT_PATH = re.compile(r"(/[A-Za-z0-9][A-Za-z0-9._+@:-]*)+")


def check_export_path(path: str) -> str:
    """``path``, an export path a user asked for: the kernel server's path below its
    ``export_root``, Ganesha's NFSv4 pseudo path.

    Each rule, and why (every one holds for both servers):

    * a string: requests come from manifests and JSON; nothing is converted.
    * absolute: the kernel server appends the path to ``export_root`` (``/srv/nfs`` + ``x``
      would be ``/srv/nfsx``, outside it); a pseudo path is absolute in Ganesha's pseudo file
      system.
    * not ``/`` itself: that is ``export_root`` (a bind mount over it would hide every other
      export) or Ganesha's pseudo root, which Ganesha builds itself.
    * normalised, with no empty, ``.`` or ``..`` segment and no trailing ``/``: ``..`` would
      leave ``export_root`` (``/a/../../etc``), and both providers find an existing export by
      comparing the path as written, so ``/a``, ``/a/`` and ``//a`` must not be three exports
      of one directory.
    * segments of ``A-Za-z0-9._+@:-``: the path is written into fstab and exports lines (white
      space, ``#``, ``(`` and quotes end or change a field there) and into a quoted Ganesha
      configuration string (no ``"``, ``\\`` or line break).
    * each segment starting with a letter or digit: no ``.`` or ``..`` segment (above), and no
      hidden directory below ``export_root``.

    Raises:
        InvalidArgument: ``path`` breaks one of these rules.
    """
    if not isinstance(path, str) or _EXPORT_PATH.fullmatch(path) is None:
        raise InvalidArgument(
            f"export path {path!r} is not usable",
            hint="use an absolute, normalised path like /projects/alpha (not / itself): "
            "segments of letters, digits and ._+@:- that start with a letter or digit",
        )
    return path


def kind_of(match: str) -> str:
    """``any``, ``address``, ``network``, ``netgroup``, ``wildcard`` or ``host`` of a
    canonical match."""
    if match == "*":
        return "any"
    if match.startswith("@"):
        return "netgroup"
    if "/" in match:
        return "network"
    try:
        ipaddress.ip_address(match)
    except ValueError:
        return "wildcard" if any(c in match for c in "*?") else "host"
    return "address"


def canonical_match(text: str) -> str:
    """The canonical form of a client match.

    Raises:
        InvalidArgument: ``text`` is none of the accepted forms (or could not be written into a
            server's client list safely).
    """
    value = text.strip() if isinstance(text, str) else ""
    if value == "*":
        return value
    if value.startswith("@"):
        if _NETGROUP.fullmatch(value) is None:
            raise InvalidArgument(f"netgroup {text!r} is not a valid netgroup name")
        return value
    if "/" in value:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise InvalidArgument(
                f"client {text!r} is not a valid CIDR network", hint="e.g. 10.0.0.0/24"
            ) from None
        if network.prefixlen == network.max_prefixlen:
            return str(network.network_address)
        return str(network)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        pass
    lowered = value.lower()
    if any(c in lowered for c in "*?"):
        if _WILDCARD.fullmatch(lowered) is None:
            raise InvalidArgument(f"client pattern {text!r} is not a host name pattern")
        return lowered
    if _HOST.fullmatch(lowered) is None:
        raise InvalidArgument(
            f"client {text!r} is not a host name, address, network, pattern or @netgroup",
            hint="e.g. '*', db01.example.com, '*.example.com', 10.0.0.5, 10.0.0.0/24, @ops",
        )
    return lowered.rstrip(".")


_RESOLVED: dict[str, tuple[float, list[str]]] = {}
RESOLVE_TTL = 30.0
"""Seconds a host name's addresses are reused: one ``plan`` observes every export several
times, and a name that does not resolve costs a DNS round trip each time."""


def resolve(host: str) -> list[str]:
    """The addresses a server would give a host-name client, in ``getaddrinfo`` order without
    repeats (Ganesha and exportfs resolve names when they read their configuration); ``[]``
    when the name does not resolve.  Answers are reused for :data:`RESOLVE_TTL` seconds."""
    now = time.monotonic()
    cached = _RESOLVED.get(host)
    if cached is not None and now - cached[0] < RESOLVE_TTL:
        return list(cached[1])
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        infos = []
    seen: list[str] = []
    for info in infos:
        address = str(ipaddress.ip_address(str(info[4][0]).partition("%")[0]))
        if address not in seen:
            seen.append(address)
    _RESOLVED[host] = (now, seen)
    return list(seen)
