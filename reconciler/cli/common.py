"""Helpers shared by the CLI commands: opening the session, confirming, waiting, naming."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storplan.model import Job, Kind
    from storplan.session import Session, WaitOptions

__all__ = [
    "add_job_options",
    "add_output_options",
    "confirm",
    "open_session",
    "pick_system",
    "wait_options",
]

OUTPUTS = ("table", "json", "yaml")


def add_output_options(parser: argparse.ArgumentParser, *, manifest: bool = False) -> None:
    """``--output`` and ``--bytes`` (``manifest``: ``--output manifest`` is offered too)."""
    parser.add_argument(
        "-o",
        "--output",
        choices=(*OUTPUTS, "manifest") if manifest else OUTPUTS,
        default="table",
        help="table (rich on a terminal, plain columns otherwise), json or yaml"
        + (
            "; manifest: the manifest entry of pools, hosts, volumes or filesystems "
            "(what storplan import writes)"
            if manifest
            else ""
        ),
    )
    parser.add_argument(
        "--bytes", action="store_true", help="show sizes as exact byte counts in tables"
    )


def add_job_options(parser: argparse.ArgumentParser) -> None:
    """Options of every command that changes something."""
    add_output_options(parser)
    parser.add_argument(
        "--no-wait", action="store_true", help="return the job at once instead of waiting for it"
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to wait for the job (default 3600)"
    )


def open_session(args: argparse.Namespace) -> Session:
    """Connect to ``--uri`` with the password from the chosen source, if any."""
    from storplan.credentials import SecretSource, read_secret
    from storplan.session import connect

    password = None
    if args.password_env or args.password_file or args.password_prompt:
        password = read_secret(
            SecretSource(
                env=args.password_env,
                file=args.password_file,
                prompt="Password" if args.password_prompt else None,
            )
        )
    return connect(args.uri, password=password)


def _progress(job: Job[Any]) -> None:
    if not job.done:
        print(f"\r{job.operation} {job.id}: {job.percent:3d}%", end="", file=sys.stderr, flush=True)
    elif job.percent:
        print(file=sys.stderr)


def wait_options(args: argparse.Namespace) -> WaitOptions:
    """The Session wait options the command line asked for."""
    return {
        "wait": not args.no_wait,
        "timeout": args.timeout,
        "progress": _progress if sys.stderr.isatty() else None,
    }


def confirm(args: argparse.Namespace, what: str) -> None:
    """Refuse a destructive or disruptive action unless ``--yes`` was given or the user agrees
    at a terminal prompt."""
    from storplan.errors import PermissionDenied

    if getattr(args, "yes", False):
        return
    if sys.stdin.isatty():
        answer = input(f"{what}. Continue? [y/N] ").strip().lower()
        if answer in ("y", "yes"):
            return
    raise PermissionDenied(f"refusing to {what} without confirmation", hint="add --yes to confirm")


def pick_system(session: Session, ref: str | None) -> str:
    """The system a new object goes to: ``--system`` if given, else the only system."""
    from storplan.errors import InvalidArgument
    from storplan.model import Kind

    if ref:
        return str(session.get(Kind.SYSTEMS, ref).id)
    systems = session.objects(Kind.SYSTEMS)
    if len(systems) != 1:
        names = ", ".join(s.name for s in systems)
        raise InvalidArgument(
            f"this array has {len(systems)} systems ({names})", hint="choose one with --system"
        )
    return str(systems[0].id)


def resolve(session: Session, kind: Kind, ref: str) -> Any:
    """An object of ``kind`` by id or unique name."""
    return session.get(kind, ref)
