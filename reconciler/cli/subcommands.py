"""The machinery imperative commands share: declare a subcommand of a catalogue operation,
run it through a Session."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .common import add_job_options, confirm, open_session, wait_options
from .output import emit_one

if TYPE_CHECKING:
    from storplan.model import Job
    from storplan.session import Session, WaitOptions

__all__ = ["Action", "arg", "kind", "refuse_unconsented_shrink", "subcommand"]

Action = Callable[["Session", argparse.Namespace, "WaitOptions"], "Job[Any]"]
Warning_ = Callable[[argparse.Namespace], str]


def kind(name: str) -> Any:
    """``storplan.model.Kind(name)``, imported on use (command modules load at start-up)."""
    from storplan.model import Kind

    return Kind(name)


def refuse_unconsented_shrink(obj: Any, label: str, size: str, allowed: bool) -> None:
    """The CLI's shrink rule for volumes and file systems: only with ``--allow-shrink``."""
    from storplan.errors import PermissionDenied
    from storplan.size import Size

    if Size.of(size) < obj.size and not allowed:
        raise PermissionDenied(
            f"refusing to shrink {label} {obj.name!r} from {obj.size} to {Size.of(size)}: "
            "data beyond the new end is lost",
            hint="add --allow-shrink if that is intended",
        )


def _imperative(session: Any, args: argparse.Namespace) -> Any:
    """Make the command's change as every change by hand is made (storplan.imperative):
    refused if it destroys what a manifest protects, under the array's lock, journalled."""
    from storplan.imperative import Imperative

    from .plan_apply import open_state

    store = open_state(args, write=True, paths=())
    action = getattr(args, "action", None)
    command = " ".join(["storplan", args.command, *([action] if action else [])])
    label = str(args.uri).partition("?")[0]  # the options are no part of the array's name
    session.around = Imperative(session, store, command, f"{command} by {_who()}", label)
    return store


def _who() -> str:
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    return f"{user}@{socket.gethostname()}"


def arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One ``add_argument`` call, as data."""
    return flags, options


def subcommand(
    group: Any,
    name: str,
    operation: str,
    action: Action,
    *arguments: tuple[tuple[str, ...], dict[str, Any]],
    confirm_: Warning_ | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand that runs catalogue ``operation`` through ``action`` and prints its
    result; its help is the operation's summary.

    ``confirm_`` returns the sentence the user must agree to (``--yes`` agrees in advance);
    every operation the catalogue does not rate always safe must have one, so a destructive
    or disruptive command can never run unasked.  (Resizes are rated by size: the shrink rule
    of :func:`refuse_unconsented_shrink` asks for ``--allow-shrink`` instead.)
    """
    from storplan.catalogue import operation as lookup

    op = lookup(operation)
    if op.may_hurt and confirm_ is None and not operation.startswith("resize_"):
        raise AssertionError(f"the {operation} command needs a confirmation sentence")
    help_ = op.summary
    parser: argparse.ArgumentParser = group.add_parser(name, help=help_, description=help_)
    for flags, options in arguments:
        parser.add_argument(*flags, **options)
    if confirm_ is not None:
        parser.add_argument(
            "-y", "--yes", action="store_true", help="confirm this destructive or disruptive action"
        )
    add_job_options(parser)
    parser.set_defaults(handler=partial(_execute, action, confirm_))
    return parser


def _execute(action: Action, warning: Warning_ | None, args: argparse.Namespace) -> int:
    with open_session(args) as session:
        if warning is not None:
            confirm(args, warning(args))
        store = _imperative(session, args)
        try:
            job = action(session, args, wait_options(args))
        finally:
            store.close()
        if job.done and job.result is not None:
            emit_one(job.result, args)
        else:
            emit_one(job, args, "job")
    return 0
