"""What Ganesha serves, one rule per client entry, and how it maps to :class:`ExportOptions`.

``DisplayExport`` returns an export's client list as ``a(siyyiuuuuu)``: the client (a network
in CIDR form, a wildcard, a netgroup name without its ``@``, ``*``, or ``<unknown>`` for a host
name that did not resolve), CIDR details, the anonymous uid and gid, an attribute expiry, the
permission bits (``options``) and which of them the CLIENT block set explicitly (``set``).
Host names never come back: Ganesha resolves them when it reads the configuration and keeps one
network entry per address.

Both sides are therefore compared in this "served" form: the desired options are expanded into
:class:`ServedRule` values the same way Ganesha expands a configuration
(:func:`rules_for`), and the decoded client list is compared with them.  When they agree the
observed export reports the options as written (host names included); when they differ it
reports what Ganesha really serves (:func:`options_from_rules`), so the drift is visible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storplan.model.enums import Access
from storplan.model.nas import ExportClient, ExportOptions, Squash

from .clients import canonical_match, kind_of, resolve, served_order

__all__ = [
    "UNRESOLVED",
    "ServedRule",
    "decode_client",
    "options_from_rules",
    "rules_for",
    "same_service",
]

UNRESOLVED = "<unknown>"
"""The client name Ganesha reports for a host name it could not resolve."""

# Permission bits of ``export_perms.options`` (src/include/nfs_exports.h; the layout of
# Ganesha 2.5 and later, checked against 4.3 by the tests).
_ROOT_ID_SQUASH, _ROOT_SQUASH, _ALL_ANONYMOUS = 0x1, 0x2, 0x4
_ANON_UID_SET, _ANON_GID_SET = 0x8, 0x10
_READ, _WRITE, _MD_READ, _MD_WRITE = 0x20, 0x40, 0x80, 0x100
_AUTH = {0x1000: "none", 0x2000: "sys", 0x4000: "krb5", 0x8000: "krb5i", 0x10000: "krb5p"}
_NFSV3, _NFSV4, _NINE_P = 0x100000, 0x200000, 0x400000
_PROTOCOLS = _NFSV3 | _NFSV4 | _NINE_P


@dataclass(frozen=True, slots=True, order=True)
class ServedRule:
    """One client entry as Ganesha applies it."""

    match: str
    access: Access
    squash: Squash
    anon_uid: int | None
    anon_gid: int | None
    security: tuple[str, ...]
    versions: tuple[str, ...]


def _served_match(name: str) -> str:
    if name in ("*", UNRESOLVED):
        return name
    if "/" in name or kind_of(name) == "address":
        return canonical_match(name)
    if any(c in name for c in "*?["):
        return name.lower()
    return "@" + name  # a plain name in a client list is a netgroup (host names are resolved)


def decode_client(entry: Sequence[object]) -> ServedRule | None:
    """The rule of one ``DisplayExport`` client entry; ``None`` for a client given no access
    (``Access_Type = None``: the same as not listing it, since storplan's exports give
    unlisted clients no access)."""
    name = str(entry[0])
    anon_uid, anon_gid = int(str(entry[5])), int(str(entry[6]))
    options, explicit = int(str(entry[8])), int(str(entry[9]))
    if options & (_WRITE | _MD_WRITE):
        access = Access.RW
    elif options & (_READ | _MD_READ):
        access = Access.RO
    else:
        return None
    if options & _ALL_ANONYMOUS:
        squash = Squash.ALL
    elif options & (_ROOT_SQUASH | _ROOT_ID_SQUASH):
        squash = Squash.ROOT
    else:
        squash = Squash.NONE
    security = tuple(sorted(flavour for bit, flavour in _AUTH.items() if options & bit))
    versions: tuple[str, ...] = ()
    if explicit & _PROTOCOLS:
        versions = tuple(v for bit, v in ((_NFSV3, "3"), (_NFSV4, "4")) if options & bit)
    return ServedRule(
        match=_served_match(name),
        access=access,
        squash=squash,
        anon_uid=anon_uid if explicit & _ANON_UID_SET else None,
        anon_gid=anon_gid if explicit & _ANON_GID_SET else None,
        security=security,
        versions=versions,
    )


def rules_for(options: ExportOptions) -> list[ServedRule]:
    """The rules Ganesha serves for ``options`` written by :mod:`.exportfile`, in its order.

    Host names are resolved now, as Ganesha resolved them when it read the file; a name that
    does not resolve becomes Ganesha's ``<unknown>`` entry.
    """
    by_match = {c.match: c for c in options.clients}
    rules: list[ServedRule] = []
    for match in served_order(list(by_match)):
        client = by_match[match]
        canonical = canonical_match(match)
        targets = [canonical]
        if kind_of(canonical) == "host":
            targets = resolve(canonical) or [UNRESOLVED]
        for target in targets:
            rules.append(
                ServedRule(
                    match=target,
                    access=client.access,
                    squash=client.squash,
                    anon_uid=options.anon_uid,
                    anon_gid=options.anon_gid,
                    security=tuple(sorted(options.security)),
                    versions=tuple(options.nfs_versions),
                )
            )
    return rules


def same_service(written: ExportOptions, served: Iterable[ServedRule]) -> bool:
    """Whether Ganesha serves exactly what ``written`` asks for (order aside)."""
    return sorted(rules_for(written)) == sorted(served)


def options_from_rules(rules: Sequence[ServedRule]) -> ExportOptions:
    """Export options describing ``rules`` (the client list in Ganesha's order).

    The first rule for a match wins, as in Ganesha.  The model keeps anonymous ids, security
    flavours and NFS versions per export, not per client; they are taken from the first rule,
    which is what storplan writes into every CLIENT block alike.
    """
    clients: dict[str, ExportClient] = {}
    for rule in rules:
        clients.setdefault(rule.match, ExportClient(rule.match, rule.access, rule.squash))
    if not rules:
        return ExportOptions(clients=())
    first = rules[0]
    return ExportOptions(
        clients=tuple(sorted(clients.values())),
        anon_uid=first.anon_uid,
        anon_gid=first.anon_gid,
        security=first.security,
        nfs_versions=first.versions,
    )
