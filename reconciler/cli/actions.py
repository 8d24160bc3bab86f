"""The machinery imperative commands share: declare a subcommand, run it through a Session."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from .common import add_job_options, confirm, open_session, wait_options
from .render import emit_one

if TYPE_CHECKING:
    from storplan.model import Job
    from storplan.session import Session, WaitOptions

__all__ = ["Action", "arg", "subcommand"]

Action = Callable[["Session", argparse.Namespace, "WaitOptions"], "Job[Any]"]
Warning_ = Callable[[argparse.Namespace], str]


def arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    """One ``add_argument`` call, as data."""
    return flags, options


def subcommand(
    group: Any,
    name: str,
    help_: str,
    action: Action,
    *arguments: tuple[tuple[str, ...], dict[str, Any]],
    confirm_: Warning_ | None = None,
) -> argparse.ArgumentParser:
    """Add a subcommand that runs ``action`` and prints its result.

    ``confirm_`` marks a destructive or disruptive command: it returns the sentence the user
    must agree to (``--yes`` agrees in advance).
    """
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
        job = action(session, args, wait_options(args))
        if job.done and job.result is not None:
            emit_one(job.result, args)
        else:
            emit_one(job, args, "job")
    return 0
