"""Apply progress for people: a rich progress bar on a terminal, one line per action otherwise."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["ApplyProgress"]

_MARKS = {"done": "ok", "failed": "FAILED", "not attempted": "skipped", "interrupted": "STOPPED"}


class ApplyProgress:
    """Called by the executor with ("start" | "end", action, result)."""

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
        from storplan.text import printable

        what = printable(f"{action.symbol} {action.kind} {action.target}")
        if event != "end":
            if self.bar is not None:
                self.bar.update(self.task, description=what)
            return
        detail = f": {printable(result.message)}" if result.message else ""
        line = (
            f"  {_MARKS.get(result.state, result.state):7} {what} ({result.seconds:.2f}s){detail}"
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
