"""storplan's exports file (``/etc/exports.d/storplan.exports``): writing it and reading it back.

One line per export: the server directory, then one ``client(options)`` per client rule.
Every client's options are written out completely (access, squashing, security flavours,
sync, anonymous ids, ``no_subtree_check``), so what ``exportfs`` makes of a line never depends
on its defaults.  ``sec=`` comes first: the options after it (access, squashing) apply to the
listed flavours, which is how the kernel keeps them (see :mod:`.etab`).  Each export gets its
own ``fsid``, derived from its path: two exports of one file system (bind mounts of it) and
snapshots (XFS copies its UUID) would otherwise share file handles.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from storplan.errors import InvalidArgument
from storplan.model.nas import ExportClient, ExportOptions, Squash

from .etab import rule_from_options

__all__ = ["HEADER", "Written", "fsid_of", "read_exports", "render_exports"]

HEADER = (
    "# Written by storplan (nfs provider): storplan rewrites this file, hand edits are undone.\n"
)
SQUASH_OUT = {Squash.ROOT: "root_squash", Squash.ALL: "all_squash", Squash.NONE: "no_root_squash"}
_SAFE_DIR = re.compile(r"/[A-Za-z0-9._/+@:-]*")
_ENTRY = re.compile(r"([^\s(]+)\(([^)]*)\)")


@dataclass(frozen=True, slots=True)
class Written:
    """One export line of storplan's file: the server directory and the options written."""

    directory: str
    options: ExportOptions


def fsid_of(directory: str) -> str:
    """The ``fsid`` of the export of ``directory``: 32 hex digits, stable across reboots."""
    return hashlib.sha256(f"storplan-nfs:{directory}".encode()).hexdigest()[:32]


def client_options(directory: str, client: ExportClient, options: ExportOptions) -> str:
    """The option list of one client (without the parentheses)."""
    parts = [
        f"sec={':'.join(options.security)}",
        client.access.value,
        SQUASH_OUT[client.squash],
        "sync" if options.sync else "async",
        "no_subtree_check",
        f"fsid={fsid_of(directory)}",
    ]
    if options.anon_uid is not None:
        parts.append(f"anonuid={options.anon_uid}")
    if options.anon_gid is not None:
        parts.append(f"anongid={options.anon_gid}")
    return ",".join(parts)


def render_exports(exports: Mapping[str, ExportOptions]) -> str:
    """The whole file for ``exports`` (server directory -> checked options)."""
    lines = [HEADER.rstrip("\n")]
    for directory in sorted(exports):
        if _SAFE_DIR.fullmatch(directory) is None:
            raise InvalidArgument(f"{directory!r} cannot be written into an exports file")
        options = exports[directory]
        rules = " ".join(
            f"{c.match}({client_options(directory, c, options)})" for c in options.clients
        )
        lines.append(f"{directory} {rules}")
    return "\n".join(lines) + "\n"


def read_exports(text: str) -> dict[str, Written]:
    """The exports a storplan file (possibly edited by hand) describes, by directory.

    Lines storplan cannot read are skipped: the kernel's table (etab), not this file, says
    what is exported.
    """
    found: dict[str, Written] = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        directory, _, rest = line.partition(" ")
        clients: list[ExportClient] = []
        first: list[str] | None = None
        for match, listed in _ENTRY.findall(rest):
            flags = [f.strip() for f in listed.split(",") if f.strip()]
            rule = rule_from_options(flags)
            clients.append(ExportClient(match, rule.access, rule.squash))
            first = first if first is not None else flags
        if not clients or first is None:
            continue
        rule = rule_from_options(first)
        found[directory] = Written(
            directory,
            ExportOptions(
                clients=tuple(sorted(clients)),
                anon_uid=rule.anon_uid,
                anon_gid=rule.anon_gid,
                security=rule.security,
                sync=rule.sync,
            ),
        )
    return found
