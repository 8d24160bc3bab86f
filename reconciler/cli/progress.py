"""Apply progress for people: on a terminal, one rich progress line per array in flight;
otherwise one line per finished action (named with its array when there are several).

The executor calls it from each array's thread, so every call takes one lock.
"""

from __future__ import annotations

import sys
import threading
from typing import Any

__all__ = ["ApplyProgress"]

_MARKS = {"done": "ok", "failed": "FAILED", "not attempted": "skipped", "interrupted": "STOPPED"}


class ApplyProgress:
    """Called with ("start" | "end", action, result) for the actions of ``plan``."""

    def __init__(self, plan: Any) -> None:
        self.bar: Any = None
        self.tasks: dict[str, Any] = {}
        self.lock = threading.Lock()
        totals: dict[str, int] = {}
        for action in () if plan is None else plan.actions:
            totals[action.array] = totals.get(action.array, 0) + 1
        self.several = len(totals) > 1
        self.left = dict(totals)
        if sys.stderr.isatty() and totals:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("{task.fields[array]}", style="bold"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
            )
            for name, total in totals.items():  # shown once the array starts
                self.tasks[name] = self.bar.add_task("", total=total, array=name, visible=False)
            self.bar.start()

    def __call__(self, event: str, action: Any, result: Any) -> None:
        from storplan.text import printable

        what = printable(f"{action.symbol} {action.kind} {action.target}")
        with self.lock:
            task = self.tasks.get(action.array)
            if event != "end":
                if self.bar is not None and task is not None:
                    self.bar.update(task, description=what, visible=True)
                return
            detail = f": {printable(result.message)}" if result.message else ""
            array = f"{printable(action.array)}: " if self.several else ""
            mark = _MARKS.get(result.state, result.state)
            line = f"  {mark:7} {array}{what} ({result.seconds:.2f}s){detail}"
            if self.bar is None or task is None:
                print(line, file=sys.stderr, flush=True)
                return
            self.left[action.array] -= 1
            self.bar.update(task, advance=1, visible=True)
            if self.left[action.array] == 0:
                self.bar.update(task, description="done")
            if result.state != "done":
                self.bar.console.print(line, markup=False, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
