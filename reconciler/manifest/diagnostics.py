"""Diagnostics: what is wrong in a manifest, where, and what to do about it.

Every problem found while loading or validating manifests becomes a :class:`Diagnostic` with a
stable ``code`` (listed in docs/manifests.md), a file:line:column position, a message and a
hint.  They are collected, not raised one by one; :class:`ManifestError` carries all of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import ManifestError

__all__ = ["Diagnostic", "Diagnostics", "ManifestError", "Mark"]


class Positions(Protocol):
    """What a lazy :class:`Mark` asks for its position (a document)."""

    def position(self, path: tuple[Any, ...], key: bool) -> tuple[int, int]:
        """(line, column) of the value (or key) at ``path``."""


class Mark:
    """A position in a source file; line and column are 1-based (0 when unknown).

    Compares, hashes, unpacks and indexes like the tuple ``(file, line, column)``.  A mark
    made with :meth:`lazy` finds its line and column only when they are first asked for:
    code that collects positions "in case" (a check that reports only what is missing) costs
    nothing for a valid manifest, whose positions are otherwise never looked up.
    """

    __slots__ = ("_column", "_key", "_line", "_path", "_source", "file")

    def __init__(self, file: str, line: int = 0, column: int = 0) -> None:
        self.file = file
        self._line, self._column = line, column
        self._source: Positions | None = None
        self._path: tuple[Any, ...] = ()
        self._key = False

    @classmethod
    def lazy(cls, file: str, source: Positions, path: tuple[Any, ...], key: bool) -> Mark:
        """A mark whose (line, column) is ``source.position(path, key)``, found on first use.
        (Plain slots, no closure: a check may hold hundreds of thousands of these.)"""
        mark = cls(file)
        mark._source, mark._path, mark._key = source, path, key
        return mark

    def _resolve(self) -> None:
        if self._source is not None:
            source, self._source = self._source, None
            self._line, self._column = source.position(self._path, self._key)
            self._path = ()

    @property
    def line(self) -> int:
        """The 1-based line (0 when unknown)."""
        self._resolve()
        return self._line

    @property
    def column(self) -> int:
        """The 1-based column (0 when unknown)."""
        self._resolve()
        return self._column

    def _tuple(self) -> tuple[str, int, int]:
        return (self.file, self.line, self.column)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._tuple())

    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> Any:
        return self._tuple()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mark):
            return self._tuple() == other._tuple()
        if isinstance(other, tuple):
            return self._tuple() == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._tuple())

    def __repr__(self) -> str:
        return f"Mark(file={self.file!r}, line={self.line}, column={self.column})"

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
