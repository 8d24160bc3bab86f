"""Imperative file and job commands: fs, fs-snapshot, export, job."""

from __future__ import annotations

import argparse
from typing import Any

from .actions import arg, refuse_unconsented_shrink, subcommand
from .actions import kind as _kind
from .common import add_output_options, open_session
from .render import emit_one

__all__ = ["register"]


def _export_options(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "clients": args.client or ["*"],
        "access": "ro" if args.read_only else "rw",
        "root_squash": not args.no_root_squash,
        "anon_uid": args.anon_uid,
        "anon_gid": args.anon_gid,
        "security": args.sec or ["sys"],
    }


_EXPORT_ARGS = (
    arg("--client", action="append", help="host, address, network or * (repeat; default *)"),
    arg("--read-only", action="store_true"),
    arg("--no-root-squash", action="store_true", help="let root on clients act as root"),
    arg("--anon-uid", type=int),
    arg("--anon-gid", type=int),
    arg(
        "--sec",
        action="append",
        choices=["sys", "krb5", "krb5i", "krb5p"],
        help="security flavour (repeat; default sys)",
    ),
)


def _resize_fs(session: Any, args: argparse.Namespace, options: Any) -> Any:
    fs = session.get(_kind("filesystems"), args.filesystem)
    refuse_unconsented_shrink(fs, "file system", args.size, args.allow_shrink)
    return session.resize_filesystem(fs, args.size, **options)


def register(commands: Any) -> None:
    fs = commands.add_parser("fs", help="file systems").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        fs,
        "create",
        "create a file system",
        lambda s, a, o: s.create_filesystem(s.get(_kind("pools"), a.pool), a.name, a.size, **o),
        arg("name"),
        arg("--pool", required=True),
        arg("--size", required=True),
    )
    subcommand(
        fs,
        "resize",
        "grow (or with --allow-shrink shrink) a file system",
        _resize_fs,
        arg("filesystem"),
        arg("size"),
        arg("--allow-shrink", action="store_true"),
    )
    subcommand(
        fs,
        "delete",
        "delete a file system and its data",
        lambda s, a, o: s.delete_filesystem(s.get(_kind("filesystems"), a.filesystem), **o),
        arg("filesystem"),
        confirm_=lambda a: f"delete file system {a.filesystem}",
    )

    snap = commands.add_parser("fs-snapshot", help="file system snapshots").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        snap,
        "create",
        "snapshot a file system",
        lambda s, a, o: s.create_fs_snapshot(
            s.get(_kind("filesystems"), a.filesystem), a.name, **o
        ),
        arg("filesystem"),
        arg("name"),
    )
    subcommand(
        snap,
        "delete",
        "delete a file system snapshot",
        lambda s, a, o: s.delete_fs_snapshot(s.get(_kind("fs_snapshots"), a.snapshot), **o),
        arg("snapshot"),
        confirm_=lambda a: f"delete snapshot {a.snapshot}",
    )
    subcommand(
        snap,
        "restore",
        "roll a file system back to a snapshot",
        lambda s, a, o: s.restore_fs_snapshot(s.get(_kind("fs_snapshots"), a.snapshot), **o),
        arg("snapshot"),
        confirm_=lambda a: f"restore {a.snapshot}, losing changes made since",
    )

    export = commands.add_parser("export", help="NFS exports").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        export,
        "create",
        "export a file system over NFS",
        lambda s, a, o: s.create_export(
            s.get(_kind("filesystems"), a.filesystem), a.path, **_export_options(a), **o
        ),
        arg("filesystem"),
        arg("path"),
        *_EXPORT_ARGS,
    )
    subcommand(
        export,
        "modify",
        "replace an export's options (clients may lose access)",
        lambda s, a, o: s.modify_export(
            s.get(_kind("exports"), a.export), **_export_options(a), **o
        ),
        arg("export"),
        *_EXPORT_ARGS,
        confirm_=lambda a: f"change the options of export {a.export}",
    )
    subcommand(
        export,
        "delete",
        "stop exporting (clients lose access)",
        lambda s, a, o: s.delete_export(s.get(_kind("exports"), a.export), **o),
        arg("export"),
        confirm_=lambda a: f"delete export {a.export}",
    )

    job = commands.add_parser("job", help="inspect and wait for jobs").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    show = job.add_parser("show", help="show a job")
    show.add_argument("job")
    add_output_options(show)
    show.set_defaults(handler=_job_show)
    subcommand(
        job,
        "wait",
        "wait for a job to finish",
        lambda s, a, o: s.wait(a.job, timeout=o.get("timeout"), progress=o.get("progress")),
        arg("job"),
    )


def _job_show(args: argparse.Namespace) -> int:
    with open_session(args) as session:
        emit_one(session.job(args.job), args, "job")
    return 0
