"""The ``storplan`` command: a thin argparse layer over the library.

``main(argv)`` is callable from tests without a subprocess.  Exit codes (docs/cli.md):
0 success, 1 user or array error, 2 changes pending (``plan``), 3 internal bug, 130 interrupted.
Heavy modules (rich, the provider, the model) are imported only by the commands that need them,
so ``storplan --version`` and ``storplan show systems`` start fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    import argparse

    from storplan.errors import StorplanError

__all__ = ["EXIT_BUG", "EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_OK", "build_parser", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_BUG = 3
EXIT_INTERRUPTED = 130


def _version() -> str:
    from storplan import __version__

    return f"storplan {__version__}"


# Which module defines each top-level command; only the one used is loaded and built.
_COMMAND_MODULES = {
    "show": "show",
    "providers": "show",
    **dict.fromkeys(
        ("pool", "volume", "access-group", "host", "mask", "unmask", "snapshot", "replica"),
        "commands_block",
    ),
    **dict.fromkeys(("fs", "fs-snapshot", "export", "job"), "commands_nas"),
    **dict.fromkeys(("validate", "schema"), "manifests"),
    **dict.fromkeys(("plan", "apply"), "plan_apply"),
    **dict.fromkeys(("journal", "unlock"), "journal"),
    "import": "importing",
    "state": "state_commands",
    **dict.fromkeys(("health", "watch", "exporter"), "monitoring"),
    "serve": "serve",
}
_GLOBAL_OPTIONS_WITH_VALUE = {"-u", "--uri", "--password-env", "--password-file"}


def _command_of(argv: Sequence[str]) -> str | None:
    skip = False
    for token in argv:
        if skip:
            skip = False
        elif token in _GLOBAL_OPTIONS_WITH_VALUE:
            skip = True
        elif not token.startswith("-"):
            return token
    return None


def _parser(argv: Sequence[str]) -> object:
    import argparse
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="storplan",
        description="Vendor-neutral storage management.",
        epilog="Exit codes: 0 ok, 1 error, 2 changes pending (plan), 3 internal bug, "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=_version())
    parser.add_argument(
        "-u",
        "--uri",
        default=os.environ.get("STORPLAN_URI", "sim://"),
        help="provider URI of the array (default: $STORPLAN_URI or sim://)",
    )
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="read the array password from this variable"
    )
    secret.add_argument(
        "--password-file",
        metavar="PATH",
        help="read the array password from this file (must be mode 0600)",
    )
    secret.add_argument(
        "--password-prompt", action="store_true", help="prompt for the array password"
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="log more to stderr (-vv for debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _COMMAND_MODULES.get(_command_of(argv) or "")
    modules = [chosen] if chosen else sorted(set(_COMMAND_MODULES.values()))
    for name in modules:
        import_module(f"{__name__}.{name}").register(commands)
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The complete ``storplan`` argument parser, with every command registered.

    ``main`` builds only the command it runs (start-up time); this is the parser the reference
    documentation and the man pages are generated from, so they cannot drift from ``--help``.
    """
    return cast("argparse.ArgumentParser", _parser(()))


def _print_error(exc: StorplanError) -> None:
    """An error, every problem it carries, and its hints."""
    from storplan.text import printable

    for line in exc.report():
        print(printable(line, newlines=True), file=sys.stderr)


def _terminated(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the storplan command line; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list == ["--version"]:  # fast path: no argparse, no provider
        print(_version())
        return EXIT_OK
    from storplan.errors import StorplanError

    parser = _parser(args_list)
    try:
        args = parser.parse_args(args_list)  # type: ignore[attr-defined]
    except SystemExit as exit_:  # argparse: --help (0) or usage error (2 -> 1)
        return EXIT_OK if exit_.code in (0, None) else EXIT_ERROR
    if args.verbose:
        import logging

        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            stream=sys.stderr,
            format="%(levelname)s %(name)s: %(message)s",
        )
    import signal
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _terminated)  # a CI runner's kill: as Ctrl-C
    try:
        result: int = args.handler(args)
        return result
    except StorplanError as exc:
        _print_error(exc)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `storplan show volumes | head`
        sys.stderr.close()
        return EXIT_OK
    except Exception as exc:
        if args.verbose:
            import traceback

            traceback.print_exc()
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  this is a bug in storplan; please report it with the output of the same "
            "command run with -v",
            file=sys.stderr,
        )
        return EXIT_BUG
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
