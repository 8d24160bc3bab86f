"""``storplan plan``, ``apply``, ``journal`` and ``unlock``.

Exit codes: plan 0 no changes / 2 changes pending / 1 error; apply 0 applied and converged /
1 refused, failed or not converged; 130 interrupted (see docs/cli.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]

EXIT_CHANGES = 2


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state",
        metavar="PATH",
        help="state store (default: $STORPLAN_STATE or ~/.local/state/storplan/state.db)",
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
        "change or delete exports)",
    )


def register(commands: Any) -> None:
    plan = commands.add_parser(
        "plan",
        help="show what apply would change (changes nothing)",
        description="Diff manifests against the arrays. Exit 0: no "
        "changes, 2: changes pending, 1: error.",
    )
    plan.add_argument("paths", nargs="*", default=["."], metavar="PATH")
    plan.add_argument("-o", "--output", choices=("text", "json", "markdown"), default="text")
    plan.add_argument("--out", metavar="FILE", help="also save the plan (JSON) for apply")
    plan.add_argument(
        "--check", action="store_true", help="only print the summary line (drift detection in CI)"
    )
    _common(plan)
    plan.set_defaults(handler=run_plan)

    apply = commands.add_parser(
        "apply",
        help="make the arrays match the manifests",
        description="Plan (or read a saved plan.json), show it, confirm, execute, verify.",
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
        "--parallelism", type=int, default=8, help="actions running at once per array (default 8)"
    )
    apply.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds to wait for each job (default 3600)"
    )
    apply.add_argument(
        "--lock-timeout",
        type=float,
        default=0.0,
        help="seconds to wait for another apply's lock (default: fail at once)",
    )
    _common(apply)
    apply.set_defaults(handler=run_apply)

    journal = commands.add_parser("journal", help="list applies, or the steps of one")
    journal.add_argument("apply_id", nargs="?")
    journal.add_argument("--state", metavar="PATH")
    journal.add_argument("-o", "--output", choices=("text", "json"), default="text")
    journal.set_defaults(handler=run_journal)

    unlock = commands.add_parser("unlock", help="remove a stale apply lock by its id")
    unlock.add_argument("lock_id")
    unlock.add_argument("--state", metavar="PATH")
    unlock.set_defaults(handler=run_unlock)


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


def _consent(args: argparse.Namespace) -> Any:
    from storplan.plan import Consent

    return Consent(allow_destroy=args.allow_destroy, allow_disruptive=args.allow_disruptive)


def _print_plan(plan: Any) -> None:
    from storplan.plan import plan_lines

    lines = plan_lines(plan)
    if sys.stdout.isatty():
        from rich.console import Console

        console = Console(highlight=False)
        for style, text in lines:
            console.print(text, style=style or None, markup=False)
    else:
        sys.stdout.write("".join(text + "\n" for _, text in lines))


def _make_plan(args: argparse.Namespace) -> Any:
    from storplan.apply.run import owned_lookup
    from storplan.manifest import load_manifest
    from storplan.plan import make_plan
    from storplan.statestore import StateStore

    manifest = load_manifest(args.paths)
    store = StateStore(args.state)
    try:
        return manifest, make_plan(manifest, _connector(True), owned_lookup(store), _consent(args))
    finally:
        store.close()


def run_plan(args: argparse.Namespace) -> int:
    from storplan.plan import render_markdown, summary_line

    _, plan = _make_plan(args)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(plan.to_json())
    if args.check:
        print(summary_line(plan))
    elif args.output == "json":
        sys.stdout.write(plan.to_json())
    elif args.output == "markdown":
        sys.stdout.write(render_markdown(plan))
    else:
        _print_plan(plan)
    return EXIT_CHANGES if plan.has_changes else 0


class _Progress:
    """Apply progress: a rich progress bar on a terminal, one line per action otherwise."""

    def __init__(self, total: int) -> None:
        self.bar: Any = None
        if sys.stderr.isatty() and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
            )
            self.task = self.bar.add_task("applying", total=total)
            self.bar.start()

    def __call__(self, event: str, action: Any, result: Any) -> None:
        if event != "end":
            if self.bar is not None:
                self.bar.update(
                    self.task, description=f"{action.symbol} {action.kind} {action.target}"
                )
            return
        mark = {"done": "ok", "failed": "FAILED", "not attempted": "skipped"}[result.state]
        detail = f": {result.message}" if result.message else ""
        line = (
            f"  {mark:7} {action.symbol} {action.kind} {action.target} "
            f"({result.seconds:.2f}s){detail}"
        )
        if self.bar is None:
            print(line, file=sys.stderr, flush=True)
            return
        self.bar.advance(self.task)
        if result.state != "done":
            self.bar.console.print(line, markup=False, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _options(args: argparse.Namespace, progress: _Progress) -> Any:
    from storplan.apply import ApplyOptions

    return ApplyOptions(
        _consent(args), args.parallelism, args.timeout, args.lock_timeout, progress=progress
    )


def _confirm(args: argparse.Namespace, plan: Any) -> bool:
    if args.yes or not plan.has_changes:
        return True
    if not sys.stdin.isatty():
        print(
            "error: apply needs confirmation: run it at a terminal or pass --yes", file=sys.stderr
        )
        return False
    return input("Apply these changes? Only 'yes' is accepted: ").strip() == "yes"


def run_apply(args: argparse.Namespace) -> int:
    from storplan.apply import apply_manifest, apply_saved_plan
    from storplan.apply.run import record_protection
    from storplan.statestore import StateStore

    store = StateStore(args.state)
    progress: _Progress | None = None
    try:
        if len(args.paths) == 1 and args.paths[0].endswith(".json"):
            report = _apply_saved(args, store, apply_saved_plan)
            if report is None:
                return 1
        else:
            manifest, preview = _make_plan(args)
            if args.output == "text":
                _print_plan(preview)
            if not preview.has_changes:
                record_protection(preview, store)
                return 0
            if not _confirm(args, preview):
                return 1
            progress = _Progress(len(preview.actions))
            report = apply_manifest(manifest, _connector(False), store, _options(args, progress))
    finally:
        if progress is not None:
            progress.close()
        store.close()
    return _report(args, report)


def _apply_saved(args: argparse.Namespace, store: Any, apply_saved: Any) -> Any:
    from storplan.credentials import SecretRef
    from storplan.plan import Plan
    from storplan.session import connect

    with open(args.paths[0], encoding="utf-8") as handle:
        plan = Plan.from_json(handle.read())
    if args.output == "text":
        _print_plan(plan)

    def connect_record(uri: str, credentials: dict[str, Any] | None) -> Any:
        reference = SecretRef.from_dict(credentials) if credentials else None
        return connect(uri, credentials=reference)

    if not _confirm(args, plan):
        return None
    progress = _Progress(len(plan.actions))
    try:
        return apply_saved(plan, connect_record, store, _options(args, progress))
    finally:
        progress.close()


def _report(args: argparse.Namespace, report: Any) -> int:
    from storplan.apply.executor import summarize

    counts = summarize(report.results)
    if args.output == "json":
        json.dump(
            {
                "apply_id": report.apply_id,
                "ok": report.ok,
                "summary": counts,
                "results": [
                    {
                        "action": r.action_id,
                        "state": r.state,
                        "message": r.message,
                        "seconds": round(r.seconds, 3),
                    }
                    for r in report.results
                ],
                "remaining": report.remaining,
            },
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
    else:
        print(
            f"apply {report.apply_id}: {counts['done']} done, {counts['failed']} failed, "
            f"{counts['not attempted']} not attempted"
        )
        for action_id in report.remaining:
            print(f"  not converged: {action_id}")
        if report.ok:
            print("The arrays match the manifest.")
    return 0 if report.ok else 1


def run_journal(args: argparse.Namespace) -> int:
    from storplan.statestore import StateStore

    store = StateStore(args.state)
    try:
        rows = store.steps(args.apply_id) if args.apply_id else store.applies()
    finally:
        store.close()
    if args.output == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for row in rows:
            print("  ".join(str(v) for v in row.values()))
    return 0


def run_unlock(args: argparse.Namespace) -> int:
    from storplan.statestore import StateStore

    store = StateStore(args.state)
    try:
        print(f"unlocked {store.unlock(args.lock_id)}")
    finally:
        store.close()
    return 0
