"""``storplan show KIND [REF]`` and ``storplan providers``: read-only inspection."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_output_options, open_session
from .output import emit, emit_one

__all__ = ["KINDS", "register"]

# CLI name -> State attribute (``Kind`` value); derived kinds are handled below.
KINDS = {
    "systems": "systems",
    "pools": "pools",
    "disks": "disks",
    "volumes": "volumes",
    "hosts": "access_groups",
    "access-groups": "access_groups",
    "mappings": "mappings",
    "snapshots": "snapshots",
    "replicas": "replicas",
    "filesystems": "filesystems",
    "fs-snapshots": "fs_snapshots",
    "exports": "exports",
    "target-ports": "target_ports",
}
DERIVED = ("initiators", "capabilities", "limits", "version", "jobs")


def register(commands: Any) -> None:
    show = commands.add_parser(
        "show",
        help="list objects of one kind",
        description="List the objects of one kind, or show one by id or name.",
    )
    show.add_argument(
        "kind", choices=[*KINDS, *DERIVED], metavar="KIND", help=", ".join([*KINDS, *DERIVED])
    )
    show.add_argument("ref", nargs="?", help="show only the object with this id or name")
    add_output_options(show, manifest=True)
    show.add_argument(
        "--system", metavar="ID", help="with --output manifest: the system (id or name)"
    )
    show.set_defaults(handler=run_show)

    providers = commands.add_parser("providers", help="list installed provider plug-ins")
    add_output_options(providers)
    providers.set_defaults(handler=run_providers)


def _initiators(session: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": i.id,
            "kind": i.kind.value,
            "chap_user": i.chap_user,
            "access_group_id": group.id,
            "access_group": group.name,
        }
        for group in session.access_groups()
        for i in group.initiators
    ]


def _derived(session: Any, kind: str) -> list[Any]:
    if kind == "initiators":
        return _initiators(session)
    if kind == "capabilities":
        from storplan.model import Capability

        declared = session.capabilities
        return [{"capability": c.value, "supported": c in declared} for c in Capability]
    if kind == "limits":
        return [session.limits]
    if kind == "version":
        return [session.version()]
    return list(session.jobs())


def run_show(args: argparse.Namespace) -> int:
    if args.output == "manifest":
        return _show_manifest(args)
    with open_session(args) as session:
        if args.kind in KINDS:
            from storplan.model import Kind

            kind = Kind(KINDS[args.kind])
            if args.ref:
                emit_one(session.get(kind, args.ref), args, args.kind)
                return 0
            items: list[Any] = list(session.objects(kind))
        else:
            if args.kind == "jobs" and args.ref:
                emit_one(session.job(args.ref), args, "job")
                return 0
            items = _derived(session, args.kind)
        emit(items, args, args.kind)
    return 0


def _show_manifest(args: argparse.Namespace) -> int:
    """``show KIND [REF] --output manifest``: the import writer, for one kind."""
    import sys

    from storplan.errors import InvalidArgument

    from .importing import imported_entry

    kind = "hosts" if args.kind == "access-groups" else args.kind
    if kind not in ("pools", "hosts", "volumes", "filesystems"):
        raise InvalidArgument(
            f"--output manifest shows pools, hosts, volumes or filesystems, not {args.kind}",
            hint="use storplan import for a whole array",
        )
    imported, source, _ = imported_entry(args, [f"{kind}={args.ref or '*'}"])
    from storplan.export import manifest_text

    sys.stdout.write(manifest_text(imported, source=source))
    return 0


def run_providers(args: argparse.Namespace) -> int:
    from storplan.registry import providers_available

    emit(
        [
            {"scheme": e.scheme, "target": e.target, "distribution": e.distribution}
            for e in providers_available()
        ],
        args,
        "providers",
    )
    return 0
