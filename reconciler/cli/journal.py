"""``storplan journal`` and ``storplan unlock``: what applies did, and manual lock recovery."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .plan_apply import open_state, state_option

__all__ = ["apply_row", "register", "step_row"]


def register(commands: Any) -> None:
    journal = commands.add_parser(
        "journal",
        help="list applies, or the steps of one",
        description="List recent applies (status: running, ok, failed, interrupted, "
        "abandoned), or every step of one apply. Reads the state store; changes nothing.",
    )
    journal.add_argument("apply_id", nargs="?")
    state_option(journal)
    journal.add_argument("-o", "--output", choices=("text", "json"), default="text")
    journal.set_defaults(handler=run_journal)

    unlock = commands.add_parser(
        "unlock",
        help="remove a stale apply lock by its id",
        description="Remove a lock whose apply is gone (its apply is marked abandoned and the "
        "removal journalled in it). On a PostgreSQL store a lock whose holder session is "
        "still connected is freed only with --terminate.",
    )
    unlock.add_argument("lock_id")
    unlock.add_argument(
        "--terminate",
        action="store_true",
        help="PostgreSQL: end the holder's database session (pg_terminate_backend), which "
        "frees its lock; the holder's later writes are refused (fencing)",
    )
    state_option(unlock)
    unlock.set_defaults(handler=run_unlock)


def _when(epoch: float | None) -> str:
    """ISO 8601 in local time, with its offset."""
    if epoch is None:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(epoch))


def run_journal(args: argparse.Namespace) -> int:
    with open_state(args, write=False, paths=()) as store:
        if args.apply_id:
            rows = [step_row(s) for s in store.steps(args.apply_id)]
        else:
            rows = [apply_row(a, store) for a in store.applies()]
    if args.output == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    from storplan.text import printable

    for row in rows:
        print(printable("  ".join(_text(v) for v in row.values())))
    return 0


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items() if v)
    if isinstance(value, list):
        return ",".join(value) or "-"
    return str(value) if value not in (None, "") else "-"


def apply_row(record: Any, store: Any) -> dict[str, Any]:
    """One apply as ``journal -o json`` (and ``GET /journal``) shows it."""
    counts: dict[str, int] = {}
    for step in store.steps(record.id):
        if step.state not in ("started", "submitted"):
            counts[step.state] = counts.get(step.state, 0) + 1
    return {
        "id": record.id,
        "started": _when(record.started_at),
        "finished": _when(record.finished_at),
        "status": record.status,
        "manifest": record.manifest,
        "arrays": list(record.arrays),
        "steps": counts,
    }


def step_row(step: Any) -> dict[str, Any]:
    """One step as ``journal ID -o json`` (and ``GET /journal/{id}``) shows it."""
    return {
        "seq": step.seq,
        "at": _when(step.at),
        "action": step.action,
        "state": step.state,
        "message": step.message,
    }


def run_unlock(args: argparse.Namespace) -> int:
    with open_state(args, write=True, paths=()) as store:
        print(f"unlocked {store.unlock(args.lock_id, terminate=args.terminate)}")
    return 0
