"""What the kernel exports: ``/var/lib/nfs/etab``, as ``exportfs`` last wrote it.

``exportfs -ra`` (and every ``exportfs -o``/``-u`` by hand) rewrites etab, and ``mountd``
answers clients from it, so it is the server's real export table (``exportfs -v`` prints the
same lines).  Each line is one directory and one client with every option spelled out::

    /srv/nfs/projects\t10.0.0.0/24(sync,wdelay,hide,...,anonuid=65534,anongid=65534,
        sec=sys:krb5,rw,secure,root_squash,no_all_squash)

Options after ``sec=FLAVOURS`` apply to those flavours: the kernel takes access and squashing
from there, so a client's ``rw``/``ro`` is read from its (first) flavour section and only
falls back to the options before it.  ``anonuid``/``anongid`` are always listed; 65534 is the
kernel's default and reads as "not set" unless storplan's own file asked for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from storplan.model.enums import Access
from storplan.model.nas import ExportClient, ExportOptions, Squash

__all__ = [
    "DEFAULT_ANON",
    "EtabEntry",
    "Rule",
    "options_from_entries",
    "parse_etab",
    "read_etab",
    "rule_from_options",
]

DEFAULT_ANON = 65534
_PER_FLAVOUR = {"rw", "ro", "root_squash", "no_root_squash", "all_squash", "no_all_squash"}


@dataclass(frozen=True, slots=True)
class EtabEntry:
    """One etab line: an exported directory, one client, its options in order."""

    directory: str
    client: str
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """What one client's option list means."""

    access: Access
    squash: Squash
    security: tuple[str, ...]
    sync: bool
    anon_uid: int | None
    anon_gid: int | None


def parse_etab(text: str) -> list[EtabEntry]:
    """The entries of an etab text, in file order (malformed lines are skipped)."""
    entries: list[EtabEntry] = []
    for line in text.splitlines():
        directory, _, rest = line.strip().partition("\t")
        if not rest:
            directory, _, rest = line.strip().partition(" ")
        client, _, options = rest.strip().partition("(")
        if not directory.startswith("/") or not client or not options.endswith(")"):
            continue
        entries.append(EtabEntry(directory, client, tuple(o for o in options[:-1].split(",") if o)))
    return entries


def read_etab(path: str) -> list[EtabEntry]:
    """The entries of the etab at ``path`` (no file: nothing is exported)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return parse_etab(handle.read())
    except FileNotFoundError:
        return []


def _number(options: Iterable[str], key: str) -> int | None:
    for option in options:
        name, _, value = option.partition("=")
        if name == key and value.isdigit():
            return int(value)
    return None


def rule_from_options(options: Iterable[str]) -> Rule:
    """The meaning of one client's options (an etab entry's or storplan's file's)."""
    general: list[str] = []
    sections: list[tuple[tuple[str, ...], list[str]]] = []
    for option in options:
        if option.startswith("sec="):
            flavours = tuple(f for f in option[4:].split(":") if f)
            sections.append((flavours, []))
        elif sections and option in _PER_FLAVOUR:
            sections[-1][1].append(option)
        else:
            general.append(option)
    effective = general + (sections[0][1] if sections else [])
    access = Access.RW if _last(effective, ("rw", "ro"), "ro") == "rw" else Access.RO
    if _last(effective, ("all_squash", "no_all_squash"), "no_all_squash") == "all_squash":
        squash = Squash.ALL
    elif _last(effective, ("root_squash", "no_root_squash"), "root_squash") == "root_squash":
        squash = Squash.ROOT
    else:
        squash = Squash.NONE
    security = tuple(sorted({f for flavours, _ in sections for f in flavours})) or ("sys",)
    return Rule(
        access=access,
        squash=squash,
        security=security,
        sync=_last(general, ("sync", "async"), "sync") == "sync",
        anon_uid=_number(general, "anonuid"),
        anon_gid=_number(general, "anongid"),
    )


def _last(options: list[str], choices: tuple[str, ...], default: str) -> str:
    return next((o for o in reversed(options) if o in choices), default)


def options_from_entries(entries: Iterable[EtabEntry]) -> ExportOptions:
    """The export options the entries of one directory describe (anonymous ids, flavours and
    sync taken from the first entry: the model keeps them per export)."""
    clients: dict[str, ExportClient] = {}
    first: Rule | None = None
    for entry in entries:
        rule = rule_from_options(entry.options)
        first = first or rule
        clients.setdefault(entry.client, ExportClient(entry.client, rule.access, rule.squash))
    if first is None:
        return ExportOptions(clients=())
    return ExportOptions(
        clients=tuple(sorted(clients.values())),
        anon_uid=None if first.anon_uid == DEFAULT_ANON else first.anon_uid,
        anon_gid=None if first.anon_gid == DEFAULT_ANON else first.anon_gid,
        security=first.security,
        sync=first.sync,
    )
