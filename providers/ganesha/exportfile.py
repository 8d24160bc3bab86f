"""One export as a Ganesha ``EXPORT`` block: validation, writing, and reading it back.

storplan writes one file per export.  The EXPORT block itself gives nobody access
(``Access_Type = None``); every client is a CLIENT block that sets everything storplan manages
(access, squashing, security flavours, anonymous ids, protocols) explicitly, so the client list
``DisplayExport`` returns describes the export completely, whatever ``EXPORT_DEFAULTS`` the
main configuration holds.  One CLIENT block per client, most specific first
(:func:`~.clients.served_order`), because Ganesha takes the first block that matches.

Reading accepts Ganesha's synonyms (``Squash = no_root_squash`` / ``none`` / ``noidsquash``...)
so a hand edit of a storplan file reads back as what it means.
"""

from __future__ import annotations

from dataclasses import dataclass

from storplan.errors import InvalidArgument, Unsupported
from storplan.model.enums import NFS_SECURITY_FLAVOURS, Access
from storplan.model.nas import ExportClient, ExportOptions, Squash

from .clients import canonical_match, served_order
from .syntax import Block, parse, quote

__all__ = ["HEADER", "ExportRecord", "check_options", "read_export", "render_export"]

HEADER = "# Written by storplan (ganesha provider); the next storplan apply undoes hand edits.\n"
_SQUASH_OUT = {Squash.ROOT: "root_squash", Squash.ALL: "all_squash", Squash.NONE: "no_root_squash"}
_SQUASH_IN = {
    **dict.fromkeys(("root", "root_squash", "rootsquash"), Squash.ROOT),
    **dict.fromkeys(("rootid", "root_id_squash", "rootidsquash"), Squash.ROOT),
    **dict.fromkeys(
        ("all", "all_squash", "allsquash", "all_anonymous", "allanonymous"), Squash.ALL
    ),
    **dict.fromkeys(("no_root_squash", "none", "noidsquash"), Squash.NONE),
}
_ACCESS_IN = {"rw": Access.RW, "ro": Access.RO, "mdonly": Access.RO, "mdonly_ro": Access.RO}
_VERSIONS_IN = {
    **dict.fromkeys(("3", "nfs3", "v3", "nfsv3"), "3"),
    **dict.fromkeys(("4", "nfs4", "v4", "nfsv4"), "4"),
}
_MAX_ID = 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """An export as storplan writes it: Ganesha's id, the directory, the pseudo path."""

    export_id: int
    directory: str
    pseudo: str
    options: ExportOptions


def check_options(options: ExportOptions) -> ExportOptions:
    """``options`` validated for Ganesha (client matches keep their spelling: what is
    written is what is observed; two spellings of one client are refused).

    Raises:
        InvalidArgument: a bad client, duplicate matches, an unknown security flavour, an
            anonymous id out of range, an NFS version Ganesha cannot set per export.
        Unsupported: asynchronous writes (Ganesha has no per-export ``async``).
    """
    if not options.sync:
        raise Unsupported(
            "NFS-Ganesha has no asynchronous (async) export option",
            hint="leave sync: true for ganesha exports",
            provider="ganesha",
            capability="nfs.async",
        )
    clients: dict[str, ExportClient] = {}
    for client in options.clients:
        match = canonical_match(client.match)
        if match in clients:
            raise InvalidArgument(
                f"client {client.match!r} is listed twice in one export "
                f"(as {clients[match].match!r})"
            )
        clients[match] = ExportClient(client.match, Access(client.access), Squash(client.squash))
    if not clients:
        raise InvalidArgument("an export needs at least one client", hint="e.g. clients: ['*']")
    security = tuple(sorted(set(options.security)))
    unknown = sorted(set(security) - set(NFS_SECURITY_FLAVOURS))
    if unknown or not security:
        raise InvalidArgument(
            f"unknown NFS security flavour(s): {', '.join(unknown) or '(none given)'}",
            hint=f"use some of {', '.join(NFS_SECURITY_FLAVOURS)}",
        )
    for label, value in (("anon_uid", options.anon_uid), ("anon_gid", options.anon_gid)):
        if value is not None and (isinstance(value, bool) or not 0 <= value <= _MAX_ID):
            raise InvalidArgument(f"{label} {value!r} is outside 0..{_MAX_ID}")
    versions = tuple(sorted(set(options.nfs_versions)))
    if set(versions) - {"3", "4"}:
        raise InvalidArgument(
            f"NFS version(s) {', '.join(versions)}: Ganesha chooses per export between NFSv3 "
            "and NFSv4 only",
            hint="use nfs_versions: ['3'], ['4'] or ['3', '4']; NFSv4 minor versions are "
            "server-wide (NFSv4 { Minor_Versions } in ganesha.conf)",
        )
    return ExportOptions(
        clients=tuple(sorted(clients.values())),
        anon_uid=options.anon_uid,
        anon_gid=options.anon_gid,
        security=security,
        sync=True,
        nfs_versions=versions,
    )


def render_export(record: ExportRecord) -> str:
    """The configuration file of ``record`` (options already checked)."""
    options = record.options
    lines = [
        HEADER.rstrip("\n"),
        "EXPORT {",
        f"    Export_Id = {record.export_id};",
        f"    Path = {quote(record.directory)};",
        f"    Pseudo = {quote(record.pseudo)};",
    ]
    if options.nfs_versions:
        lines.append(f"    Protocols = {', '.join(options.nfs_versions)};")
    lines += ["    Access_Type = None;", "    FSAL {", "        Name = VFS;", "    }"]
    by_match = {c.match: c for c in options.clients}
    for match in served_order(list(by_match)):
        client = by_match[match]
        lines += [
            "    CLIENT {",
            f"        Clients = {match};",
            f"        Access_Type = {client.access.value.upper()};",
            f"        Squash = {_SQUASH_OUT[client.squash]};",
            f"        SecType = {', '.join(options.security)};",
        ]
        if options.anon_uid is not None:
            lines.append(f"        Anonymous_Uid = {options.anon_uid};")
        if options.anon_gid is not None:
            lines.append(f"        Anonymous_Gid = {options.anon_gid};")
        if options.nfs_versions:
            lines.append(f"        Protocols = {', '.join(options.nfs_versions)};")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def read_export(text: str, source: str) -> ExportRecord:
    """The export a storplan file (possibly edited by hand) describes.

    Raises:
        InvalidArgument: the file is not one EXPORT block with an id, a path and a pseudo path.
    """
    exports = parse(text, source).children("export")
    if len(exports) != 1:
        raise InvalidArgument(f"{source}: expected one EXPORT block, found {len(exports)}")
    block = exports[0]
    try:
        export_id = int(block.one("export_id") or "", 0)
    except ValueError:
        raise InvalidArgument(f"{source}: Export_Id is missing or not a number") from None
    directory, pseudo = block.one("path"), block.one("pseudo")
    if not directory or not pseudo:
        raise InvalidArgument(f"{source}: Path and Pseudo are required")
    return ExportRecord(export_id, directory, pseudo, _options(block))


def _options(export: Block) -> ExportOptions:
    clients: dict[str, ExportClient] = {}
    first: Block | None = None
    for block in export.children("client"):
        access = _ACCESS_IN.get(_setting(block, export, "access_type", "none").lower())
        if access is None:
            continue  # Access_Type = None: as if not listed
        first = first or block
        squash = _SQUASH_IN.get(_setting(block, export, "squash", "root_squash").lower())
        for raw in block.get("clients") or []:
            for text in raw.split(","):
                match = text.strip()
                clients.setdefault(match, ExportClient(match, access, squash or Squash.ROOT))
    source = first or export
    security = [s.lower() for s in (source.get("sectype") or export.get("sectype") or [])]
    lowered = [v.lower() for v in source.get("protocols") or export.get("protocols") or []]
    return ExportOptions(
        clients=tuple(sorted(clients.values())),
        anon_uid=_number(source.one("anonymous_uid") or export.one("anonymous_uid")),
        anon_gid=_number(source.one("anonymous_gid") or export.one("anonymous_gid")),
        security=tuple(sorted(set(security) - {"none"})) or ("sys",),
        nfs_versions=tuple(sorted({_VERSIONS_IN[v] for v in lowered if v in _VERSIONS_IN})),
    )


def _setting(block: Block, export: Block, key: str, default: str) -> str:
    return block.one(key) or export.one(key) or default


def _number(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text, 0) & _MAX_ID
    except ValueError:
        return None
