"""``storplan plan`` and ``storplan apply``.

Exit codes: plan 0 no changes / 2 changes pending / 1 error; apply 0 applied and converged /
1 refused, failed or not converged; 130 interrupted (Ctrl-C or SIGTERM); see docs/cli.md.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

__all__ = ["open_state", "register", "seconds", "state_option", "whole_number"]

EXIT_CHANGES = 2
DEFAULT_ARRAY_PARALLELISM = 64  # storplan.fleet's (not imported: the CLI starts fast)


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of seconds >= 0")
    return value


def whole_number(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number >= 1")
    return int(text)


def state_option(parser: argparse.ArgumentParser) -> None:
    """``--state``: the state store."""
    parser.add_argument(
        "--state",
        metavar="LOCATION",
        help="state store: a file path, sqlite:PATH or postgresql://USER@HOST/DB (default: "
        "$STORPLAN_STATE, else the state: block of .storplan.yaml next to the manifests, "
        "else ~/.local/state/storplan/state.db)",
    )


def open_state(args: argparse.Namespace, *, write: bool, paths: Any = None) -> Any:
    """The state store of a command: the one place every command resolves it
    (``--state`` > ``$STORPLAN_STATE`` > ``.storplan.yaml`` next to ``paths`` > default)."""
    from storplan.state import open_store
    from storplan.state.config import resolve

    where = paths if paths is not None else getattr(args, "paths", None) or ()
    return open_store(resolve(getattr(args, "state", None), list(where)), write=write)


def _common(parser: argparse.ArgumentParser) -> None:
    state_option(parser)
    parser.add_argument(
        "--array-parallelism",
        type=whole_number,
        default=DEFAULT_ARRAY_PARALLELISM,
        metavar="N",
        help=f"arrays worked on at once (default {DEFAULT_ARRAY_PARALLELISM})",
    )
    parser.add_argument(
        "--allow-destroy",
        action="store_true",
        help="allow destructive actions (delete, shrink); implies --allow-disruptive",
    )
    parser.add_argument(
        "--allow-disruptive",
        action="store_true",
        help="allow actions that take access away (unmap, remove initiator, "
        "narrow or delete exports)",
    )
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="plan only this array (ARRAY) or object (ARRAY/KIND/NAME, KIND pool, host, "
        "volume or filesystem) and what it requires; prune acts only inside it; repeatable",
    )
    parser.add_argument(
        "--array",
        action="append",
        default=[],
        metavar="NAME",
        help="plan only this array entry (every file that declares it is still read); repeatable",
    )


def register(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="show what apply would change (changes nothing)",
        description="Diff manifests against the arrays, all arrays at once. Exit 0: no "
        "changes, 2: changes pending, 1: error (also when any array could not be planned: "
        "the others' plan is still shown).",
    )
    plan.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    plan.add_argument("-o", "--output", choices=("text", "json", "markdown"), default="text")
    plan.add_argument("--out", metavar="FILE", help="also save the plan (signed JSON) for apply")
    plan.add_argument(
        "--check", action="store_true", help="only print the summary line (drift detection in CI)"
    )
    _common(plan)
    plan.set_defaults(handler=run_plan)

    apply = commands.add_parser(
        "apply",
        help="make the arrays match the manifests",
        description="Lock the arrays, plan (or judge a saved plan.json again), show it, "
        "confirm, execute exactly that plan, verify.",
    )
    apply.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="manifests, or one saved plan (.json)",
    )
    apply.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    apply.add_argument("-o", "--output", choices=("text", "json"), default="text")
    apply.add_argument(
        "--parallelism",
        type=whole_number,
        default=8,
        help="actions running at once per array (default 8)",
    )
    apply.add_argument(
        "--timeout",
        type=seconds,
        default=3600.0,
        help="seconds to wait for each job (default 3600)",
    )
    apply.add_argument(
        "--lock-timeout",
        type=seconds,
        default=0.0,
        help="seconds to wait for another apply's lock (default: fail at once)",
    )
    apply.add_argument(
        "--all-or-nothing",
        action="store_true",
        help="refuse the whole apply if any array cannot be reached, locked, planned or "
        "judged (default: apply the others and report it)",
    )
    _common(apply)
    apply.set_defaults(handler=run_apply)


def _connector(read_only: bool) -> Any:
    from storplan.manifest.loader import connect_array
    from storplan.plan import ReadOnlyProvider
    from storplan.session import Session

    def connect(array: Any) -> Any:
        session = connect_array(array)
        if read_only:
            return Session(ReadOnlyProvider(session.provider).as_provider(), session.uri)
        return session

    return connect


def _scope(args: argparse.Namespace) -> Any:
    from storplan.plan.target import Scope

    return Scope.of(args.target, args.array)


def _consent(args: argparse.Namespace) -> Any:
    from storplan.plan import Consent

    return Consent(allow_destroy=args.allow_destroy, allow_disruptive=args.allow_disruptive)


def _print_plan(plan: Any) -> None:
    from storplan.plan import plan_lines
    from storplan.text import printable

    lines = [(style, printable(text)) for style, text in plan_lines(plan)]
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console(highlight=False)
        for style, text in lines:
            console.print(text, style=style or None, markup=False)
    else:
        sys.stdout.write("".join(text + "\n" for _, text in lines))


def run_plan(args: argparse.Namespace) -> int:
    from storplan.errors import PlanError
    from storplan.manifest import load_manifest
    from storplan.plan import StoreMemory, make_plan, render_markdown, summary_line

    # Offline: each array's provider checks run while it is planned, on its one connection.
    manifest = load_manifest(args.paths, offline=True)
    failed: PlanError | None = None
    with open_state(args, write=False) as store:  # plan writes nothing to the store
        try:
            plan = make_plan(
                manifest,
                _connector(True),
                StoreMemory(store),
                _consent(args),
                parallelism=args.array_parallelism,
                scope=_scope(args),
            )
        except PlanError as exc:
            if exc.plan is None or not exc.plan.arrays:
                raise
            failed, plan = exc, exc.plan  # the arrays that could be planned are still shown
    if failed is not None:
        _print_problems(failed)
    if args.out:
        _save(plan, args)
    if args.check:
        print(summary_line(plan))
    elif args.output == "json":
        sys.stdout.write(plan.to_json())
    elif args.output == "markdown":
        from storplan.text import printable

        sys.stdout.write(printable(render_markdown(plan), newlines=True))
    else:
        _print_plan(plan)
    if failed is not None:
        return 1
    return EXIT_CHANGES if plan.has_changes else 0


def _print_problems(error: Any) -> None:
    from storplan.text import printable

    for line in error.report():
        print(printable(line), file=sys.stderr)


def _save(plan: Any, args: argparse.Namespace) -> None:
    """Write the plan signed with the state store's key (created on first use), mode 0600."""
    from storplan.files import write_private

    with open_state(args, write=True) as store:
        key = store.secret_key(create=True)
    write_private(args.out, plan.to_json(key))


def _confirm(args: argparse.Namespace, plan: Any) -> bool:
    if args.yes:
        return True
    if not sys.stdin.isatty():
        print(
            "error: apply needs confirmation: run it at a terminal or pass --yes", file=sys.stderr
        )
        return False
    return input("Apply these changes? Only 'yes' is accepted: ").strip() == "yes"


def run_apply(args: argparse.Namespace) -> int:
    from storplan.apply import ApplyInterrupted, ApplyOptions, apply_manifest, apply_saved_plan
    from storplan.errors import ApplyRefused

    from .progress import ApplyProgress

    progress = ApplyProgress(None)
    saved = len(args.paths) == 1 and args.paths[0].endswith(".json")
    if saved and (args.target or args.array):
        from storplan.errors import InvalidArgument

        raise InvalidArgument(
            "--target and --array apply to manifests: a saved plan keeps the target it was "
            "made with",
            hint="run storplan plan --target ... --out plan.json, then apply plan.json",
        )

    def confirm(plan: Any) -> bool:
        nonlocal progress
        ok = _confirm(args, plan)
        progress = ApplyProgress(plan)
        return ok

    options = ApplyOptions(
        _consent(args),
        args.parallelism,
        args.timeout,
        args.lock_timeout,
        progress=lambda *event: progress(*event),
        show=_print_plan if args.output == "text" else None,
        confirm=confirm,
        recheck_after_confirm=not args.yes,
        command="storplan apply " + " ".join(args.paths),
        array_parallelism=args.array_parallelism,
        all_or_nothing=args.all_or_nothing,
        scope=_scope(args),
    )
    with open_state(args, write=True) as store:
        try:
            if saved:
                report = apply_saved_plan(
                    _read_plan(args.paths[0]), _connect_record, store, options
                )
            else:
                from storplan.manifest import load_manifest

                manifest = load_manifest(args.paths, offline=True)  # see run_plan
                report = apply_manifest(manifest, _connector(False), store, options)
        except ApplyInterrupted as stopped:
            progress.close()
            _interrupted(stopped.report)
            return 130
        except ApplyRefused as refused:
            progress.close()
            if refused.message == "the plan was not confirmed":
                return 1
            raise
        finally:
            progress.close()
    return _report(args, report)


def _read_plan(path: str) -> Any:
    from storplan.errors import InvalidArgument
    from storplan.plan import Plan

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read(16 << 20)
    except OSError as exc:
        raise InvalidArgument(f"cannot read the plan {path}: {exc.strerror}") from None
    return Plan.from_json(text)


def _connect_record(uri: str, credentials: dict[str, Any] | None) -> Any:
    from storplan.credentials import SecretRef
    from storplan.session import connect

    reference = SecretRef.from_dict(credentials) if credentials else None
    return connect(uri, credentials=reference)


def _interrupted(report: Any) -> None:
    from storplan.text import printable

    print(f"interrupted: apply {report.apply_id} stopped", file=sys.stderr)
    for result in report.results:
        if result.state == "interrupted" and result.job_id:
            print(
                f"  {printable(result.action_id)}: job {result.job_id} may still be running "
                f"(storplan job show {result.job_id})",
                file=sys.stderr,
            )
    print(f"  journal: storplan journal {report.apply_id}", file=sys.stderr)


def _report(args: argparse.Namespace, report: Any) -> int:
    from storplan.apply.executor import summarize
    from storplan.text import printable

    if args.output == "json":
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0 if report.ok else 1
    for note in report.notes:
        print(f"note: {printable(note)}", file=sys.stderr)
    for outcome in report.failed_arrays:
        for problem in outcome.problems:
            for line in problem.lines():
                print(printable(line), file=sys.stderr)
    several = len(report.arrays) > 1
    if several:
        for outcome in report.arrays:
            stage = f" ({outcome.stage})" if outcome.stage else ""
            print(f"array {printable(outcome.name)}: {outcome.status}{stage}")
    if report.apply_id:
        counts = summarize(report.results)
        print(
            f"apply {report.apply_id}: {counts['done']} done, {counts['failed']} failed, "
            f"{counts['not attempted']} not attempted"
        )
    for action_id in report.remaining:
        print(f"  not converged: {printable(action_id)}")
    if report.ok and report.apply_id:
        print("The arrays match the manifest.")
    elif report.failed_arrays and not report.apply_id:
        print("Nothing was applied.")
    return 0 if report.ok else 1
