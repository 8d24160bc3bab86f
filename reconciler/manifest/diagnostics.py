"""Diagnostics: what is wrong in a manifest, where, and what to do about it.

Every problem found while loading or validating manifests becomes a :class:`Diagnostic` with a
stable ``code`` (listed in docs/manifests.md), a file:line:column position, a message and a
hint.  They are collected, not raised one by one; :class:`ManifestError` carries all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..errors import ManifestError

__all__ = ["Diagnostic", "Diagnostics", "ManifestError", "Mark"]


class Mark(NamedTuple):
    """A position in a source file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding.  ``path`` is the JSON pointer of the offending value (``""``: the file)."""

    code: str
    message: str
    mark: Mark
    hint: str = ""
    path: str = ""
    severity: str = "error"

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.mark.file, self.mark.line, self.mark.column, self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``storplan validate --output json`` layout)."""
        return {
            "file": self.mark.file,
            "line": self.mark.line,
            "column": self.mark.column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "path": self.path,
        }

    def __str__(self) -> str:
        text = f"{self.mark}: {self.severity}: {self.message} [{self.code}]"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


@dataclass
class Diagnostics:
    """A collector: add findings, then :meth:`raise_if_errors`."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        mark: Mark,
        hint: str = "",
        path: str = "",
        severity: str = "error",
    ) -> None:
        self.items.append(Diagnostic(code, message, mark, hint, path, severity))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ManifestError(self.items)
