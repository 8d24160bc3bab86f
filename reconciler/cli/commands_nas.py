"""Imperative NAS and job commands: fs, fs-snapshot, export, job."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_job_options, add_output_options, open_session, wait_options
from .output import emit_one
from .subcommands import arg, refuse_unconsented_shrink, subcommand
from .subcommands import kind as _kind

__all__ = ["register"]


def _client(text: str) -> dict[str, str]:
    """``--client MATCH[,rw|ro][,root|all|none]``: a client rule (missing parts: defaults)."""
    match, *rest = [part.strip() for part in text.split(",")]
    rule = {"match": match}
    for part in rest:
        rule["access" if part in ("rw", "ro") else "squash"] = part
    return rule


# Every export option, one command-line form each (a test checks they cover ExportOptions).
EXPORT_FLAGS: dict[str, Any] = {
    "clients": lambda a: [
        {"access": "ro" if a.read_only else "rw", "squash": _squash(a), **_client(c)}
        for c in (a.client or ["*"])
    ],
    "anon_uid": lambda a: a.anon_uid,
    "anon_gid": lambda a: a.anon_gid,
    "security": lambda a: a.sec or ["sys"],
    "sync": lambda a: not a.async_,
    "nfs_versions": lambda a: a.nfs_version or [],
}


def _squash(args: argparse.Namespace) -> str:
    return str(args.squash or ("none" if args.no_root_squash else "root"))


def _export_options(args: argparse.Namespace) -> Any:
    from storplan.model import ExportOptions

    return ExportOptions.canonical(**{name: read(args) for name, read in EXPORT_FLAGS.items()})


_EXPORT_ARGS = (
    arg(
        "--client",
        action="append",
        metavar="MATCH[,ro|rw][,root|all|none]",
        help="who may mount: host, *.domain, address, network, @netgroup or * "
        "(repeat; default *), optionally with its own access and squash",
    ),
    arg("--read-only", action="store_true", help="clients without their own access get ro"),
    arg("--squash", choices=["root", "all", "none"], help="default squash (default root)"),
    arg("--no-root-squash", action="store_true", help="same as --squash none"),
    arg("--anon-uid", type=int),
    arg("--anon-gid", type=int),
    arg(
        "--sec",
        action="append",
        choices=["sys", "krb5", "krb5i", "krb5p"],
        help="security flavour (repeat; default sys)",
    ),
    arg(
        "--async", dest="async_", action="store_true", help="reply to writes before they are stable"
    ),
    arg(
        "--nfs-version",
        action="append",
        choices=["3", "4", "4.0", "4.1", "4.2"],
        help="limit the export to this NFS version (repeat; default: the server's)",
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
        "create_filesystem",
        lambda s, a, o: s.create_filesystem(s.get(_kind("pools"), a.pool), a.name, a.size, **o),
        arg("name"),
        arg("--pool", required=True),
        arg("--size", required=True),
    )
    subcommand(
        fs,
        "resize",
        "resize_filesystem",
        _resize_fs,
        arg("filesystem"),
        arg("size"),
        arg("--allow-shrink", action="store_true"),
    )
    subcommand(
        fs,
        "delete",
        "delete_filesystem",
        lambda s, a, o: s.delete_filesystem(s.get(_kind("filesystems"), a.filesystem), **o),
        arg("filesystem"),
        confirm_=lambda a: f"delete file system {a.filesystem}",
    )
    subcommand(
        fs,
        "clone",
        "create_fs_clone",
        lambda s, a, o: s.create_fs_clone(
            s.get(_kind("fs_snapshots"), a.snapshot), a.name, a.size, **o
        ),
        arg("snapshot", help="the file-system snapshot to clone: its id, or FS/NAME"),
        arg("name", help="the new file system"),
        arg("--size", help="grow the clone to this size (default: the snapshot's)"),
    )

    snap = commands.add_parser("fs-snapshot", help="file system snapshots").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    subcommand(
        snap,
        "create",
        "create_fs_snapshot",
        lambda s, a, o: s.create_fs_snapshot(
            s.get(_kind("filesystems"), a.filesystem), a.name, **o
        ),
        arg("filesystem"),
        arg("name"),
    )
    subcommand(
        snap,
        "delete",
        "delete_fs_snapshot",
        lambda s, a, o: s.delete_fs_snapshot(s.get(_kind("fs_snapshots"), a.snapshot), **o),
        arg("snapshot"),
        confirm_=lambda a: f"delete snapshot {a.snapshot}",
    )
    subcommand(
        snap,
        "restore",
        "restore_fs_snapshot",
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
        "create_export",
        lambda s, a, o: s.create_export(
            s.get(_kind("filesystems"), a.filesystem), a.path, _export_options(a), **o
        ),
        arg("filesystem"),
        arg("path"),
        *_EXPORT_ARGS,
    )
    subcommand(
        export,
        "modify",
        "modify_export",
        lambda s, a, o: s.modify_export(s.get(_kind("exports"), a.export), _export_options(a), **o),
        arg("export"),
        *_EXPORT_ARGS,
        confirm_=lambda a: f"change the options of export {a.export}",
    )
    subcommand(
        export,
        "delete",
        "delete_export",
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
    wait = job.add_parser("wait", help="wait for a job to finish")
    wait.add_argument("job")
    add_job_options(wait)
    wait.set_defaults(handler=_job_wait)


def _job_wait(args: argparse.Namespace) -> int:
    with open_session(args) as session:
        options = wait_options(args)
        finished = session.wait(
            args.job, timeout=options.get("timeout"), progress=options.get("progress")
        )
        emit_one(finished.result if finished.result is not None else finished, args, "job")
    return 0


def _job_show(args: argparse.Namespace) -> int:
    with open_session(args) as session:
        emit_one(session.job(args.job), args, "job")
    return 0
