"""Imperative block commands: pool, volume, access-group, mask/unmask, snapshot, replica."""

from __future__ import annotations

import argparse
from typing import Any

from .common import pick_system
from .subcommands import arg, refuse_unconsented_shrink, subcommand
from .subcommands import kind as _kind

__all__ = ["register"]

_SYSTEM = arg("--system", help="system id or name (needed when the array has several)")


def _resize(session: Any, args: argparse.Namespace, options: Any) -> Any:
    volume = session.get(_kind("volumes"), args.volume)
    refuse_unconsented_shrink(volume, "volume", args.size, args.allow_shrink)
    return session.resize_volume(volume, args.size, **options)


def _chap(session: Any, args: argparse.Namespace, options: Any) -> Any:
    from storplan.credentials import SecretRef

    group = session.get(_kind("access_groups"), args.group)
    if args.clear:
        return session.set_chap(group, args.initiator, None, None, **options)
    secret = SecretRef(args.secret_env, args.secret_file, args.secret_prompt).read("CHAP secret")
    return session.set_chap(group, args.initiator, args.user, secret, **options)


def register(commands: Any) -> None:
    pool = commands.add_parser("pool", help="create or delete pools").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        pool,
        "create",
        "create_pool",
        lambda s, a, o: s.create_pool(pick_system(s, a.system), a.name, a.disk, **o),
        arg("name"),
        arg("--disk", action="append", required=True, help="a free disk id (repeat)"),
        _SYSTEM,
    )
    subcommand(
        pool,
        "delete",
        "delete_pool",
        lambda s, a, o: s.delete_pool(s.get(_kind("pools"), a.pool), **o),
        arg("pool"),
        confirm_=lambda a: f"delete pool {a.pool}",
    )

    volume = commands.add_parser("volume", help="create, resize, rename or delete volumes")
    vol = volume.add_subparsers(dest="action", required=True, metavar="ACTION")
    subcommand(
        vol,
        "create",
        "create_volume",
        lambda s, a, o: s.create_volume(
            s.get(_kind("pools"), a.pool), a.name, a.size, thin=not a.thick, **o
        ),
        arg("name"),
        arg("--pool", required=True),
        arg("--size", required=True, help="e.g. 100GiB or 500GB"),
        arg("--thick", action="store_true", help="allocate all space up front"),
    )
    subcommand(
        vol,
        "resize",
        "resize_volume",
        _resize,
        arg("volume"),
        arg("size"),
        arg("--allow-shrink", action="store_true"),
    )
    subcommand(
        vol,
        "rename",
        "rename_volume",
        lambda s, a, o: s.rename_volume(s.get(_kind("volumes"), a.volume), a.name, **o),
        arg("volume"),
        arg("name"),
    )
    subcommand(
        vol,
        "delete",
        "delete_volume",
        lambda s, a, o: s.delete_volume(s.get(_kind("volumes"), a.volume), **o),
        arg("volume"),
        confirm_=lambda a: f"delete volume {a.volume} and all its data",
    )

    group = commands.add_parser(
        "access-group", aliases=["host"], help="manage hosts (access groups) and their initiators"
    )
    ag = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    subcommand(
        ag,
        "create",
        "create_access_group",
        lambda s, a, o: s.create_access_group(
            pick_system(s, a.system), a.name, a.initiator or (), **o
        ),
        arg("name"),
        arg("--initiator", action="append", help="IQN, WWPN or NQN (repeat)"),
        _SYSTEM,
    )
    subcommand(
        ag,
        "delete",
        "delete_access_group",
        lambda s, a, o: s.delete_access_group(s.get(_kind("access_groups"), a.group), **o),
        arg("group"),
        confirm_=lambda a: f"delete access group {a.group}",
    )
    subcommand(
        ag,
        "add-initiator",
        "add_initiator",
        lambda s, a, o: s.add_initiator(s.get(_kind("access_groups"), a.group), a.initiator, **o),
        arg("group"),
        arg("initiator"),
    )
    subcommand(
        ag,
        "remove-initiator",
        "remove_initiator",
        lambda s, a, o: s.remove_initiator(
            s.get(_kind("access_groups"), a.group), a.initiator, **o
        ),
        arg("group"),
        arg("initiator"),
        confirm_=lambda a: f"remove {a.initiator} from {a.group} (it loses access)",
    )
    chap = subcommand(
        ag,
        "chap",
        "set_chap",
        _chap,
        arg("group"),
        arg("initiator"),
        arg("--user"),
        arg("--clear", action="store_true", help="remove CHAP"),
    )
    source = chap.add_mutually_exclusive_group()
    source.add_argument("--secret-env", metavar="VAR", help="read the secret from this variable")
    source.add_argument("--secret-file", metavar="PATH", help="read the secret from a 0600 file")
    source.add_argument("--secret-prompt", action="store_true", help="prompt for the secret")

    subcommand(
        commands,
        "mask",
        "map_volume",
        lambda s, a, o: s.map_volume(
            s.get(_kind("volumes"), a.volume), s.get(_kind("access_groups"), a.group), a.lun, **o
        ),
        arg("volume"),
        arg("group"),
        arg("--lun", type=int, help="LUN number"),
    )
    subcommand(
        commands,
        "unmask",
        "unmap_volume",
        lambda s, a, o: s.unmap_volume(
            s.get(_kind("volumes"), a.volume), s.get(_kind("access_groups"), a.group), **o
        ),
        arg("volume"),
        arg("group"),
        confirm_=lambda a: f"unmap {a.volume} from {a.group} (hosts lose access)",
    )

    snap = commands.add_parser("snapshot", help="volume snapshots").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        snap,
        "create",
        "create_snapshot",
        lambda s, a, o: s.create_snapshot(s.get(_kind("volumes"), a.volume), a.name, **o),
        arg("volume"),
        arg("name"),
    )
    subcommand(
        snap,
        "delete",
        "delete_snapshot",
        lambda s, a, o: s.delete_snapshot(s.get(_kind("snapshots"), a.snapshot), **o),
        arg("snapshot"),
        confirm_=lambda a: f"delete snapshot {a.snapshot}",
    )
    subcommand(
        snap,
        "restore",
        "restore_snapshot",
        lambda s, a, o: s.restore_snapshot(s.get(_kind("snapshots"), a.snapshot), **o),
        arg("snapshot"),
        confirm_=lambda a: f"restore {a.snapshot}, losing data written since",
    )

    rep = commands.add_parser("replica", help="clones, copies and mirrors").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        rep,
        "create",
        "create_replica",
        lambda s, a, o: s.create_replica(
            s.get(_kind("volumes"), a.source),
            a.name,
            a.kind,
            pool=s.get(_kind("pools"), a.pool) if a.pool else None,
            **o,
        ),
        arg("source"),
        arg("name"),
        arg("--kind", default="clone", choices=["clone", "copy", "mirror_sync", "mirror_async"]),
        arg("--pool", help="target pool (default: the source's)"),
    )
    subcommand(
        rep,
        "delete",
        "delete_replica",
        lambda s, a, o: s.delete_replica(a.replica, **o),
        arg("replica"),
        confirm_=lambda a: f"dissolve replica {a.replica}",
    )
