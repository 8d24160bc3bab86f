"""Client checks ``exportfs`` does not make: a host name must resolve, or it is dropped.

``exportfs`` 2.6 drops a client whose host name does not resolve with a warning and exports
the rest, so the export silently serves fewer clients than asked; storplan refuses such a
name before any change instead.  Names are compared in the form the kernel's table shows:
``exportfs`` replaces a host name by its canonical name (``getaddrinfo`` with
``AI_CANONNAME``), or by an address of it (see :func:`served_key`), so both sides of a diff
are reduced to a key that does not depend on which.
"""

from __future__ import annotations

import socket
from dataclasses import replace

from storplan.errors import InvalidArgument
from storplan.model.nas import ExportClient, ExportOptions
from storplan.providers.kit.nfsclients import canonical_match, kind_of, resolve

__all__ = ["canonical_name", "check_clients", "served_key"]


def canonical_name(host: str) -> str:
    """The canonical name of a host name (itself when it has none), lower-cased."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP, flags=socket.AI_CANONNAME)
    except (OSError, UnicodeError):
        return host.lower()
    names = [info[3] for info in infos if info[3]]
    return (names[0] if names else host).lower().rstrip(".")


def check_clients(options: ExportOptions) -> ExportOptions:
    """``options`` checked for exportfs (client matches keep their spelling: what is written
    is what is observed), refusing what it would drop or reject: malformed matches, two
    spellings of one client, host names that do not resolve.

    Raises:
        InvalidArgument: naming the client and what to do.
    """
    clients: dict[str, ExportClient] = {}
    for client in options.clients:
        match = canonical_match(client.match)
        if match in clients:
            raise InvalidArgument(
                f"client {client.match!r} is listed twice in one export "
                f"(as {clients[match].match!r})"
            )
        if kind_of(match) == "host" and not resolve(match):
            raise InvalidArgument(
                f"client host name {client.match!r} does not resolve on the NFS server; "
                "exportfs would silently leave it out",
                hint="fix DNS or /etc/hosts on the server, or give an address or network",
            )
        clients[match] = ExportClient(client.match.strip(), client.access, client.squash)
    if not clients:
        raise InvalidArgument("an export needs at least one client", hint="e.g. clients: ['*']")
    return replace(options, clients=tuple(sorted(clients.values())))


def served_key(match: str) -> str:
    """What identifies client ``match`` in the kernel's table.

    ``exportfs`` writes a host name as its canonical name, except when another export already
    lists one of its addresses: then the name becomes that address (seen with nfs-utils 2.6.2).
    So a host name is keyed by the addresses it resolves to, and an address by itself; other
    matches (networks, wildcards, netgroups, ``*``) by their canonical form.
    """
    try:
        canonical = canonical_match(match)
    except InvalidArgument:
        return match  # a hand-written oddity: only equal to itself
    kind = kind_of(canonical)
    if kind == "host":
        addresses = resolve(canonical)
        return ",".join(sorted(addresses)) if addresses else canonical_name(canonical)
    return canonical
