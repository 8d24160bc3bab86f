"""Reading YAML strictly, with the source position of every value available on demand.

libyaml's event stream is turned into plain data in one pass (:mod:`.events`); positions are
found only when a message needs one (:mod:`.positions`), so a valid manifest costs no more
than its data.  The rules:

* every value and every mapping key has a file:line:column (``Document.mark``);
* duplicate keys (the merge key ``<<`` included) are errors, not silent overwrites (PyYAML
  issue #165);
* scalars resolve like YAML 1.2: only ``true``/``false`` are booleans, and the YAML 1.1
  spellings ``yes no on off y n`` (and leading-zero numbers such as ``0755``) are kept as
  :class:`AmbiguousScalar` so validation can refuse them with a pointed message;
* anchors, aliases and merge keys (``<<: *defaults``) work, but what aliases add is bounded
  (billion laughs), so are nesting depth, the number of values and the input size; only
  regular files are read (:mod:`.filesource`);
* no input, however malformed (bytes that are not UTF-8, control characters, tags that name
  Python objects), escapes as anything but :class:`~.diagnostics.ManifestError`.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import yaml

from . import events
from .diagnostics import Diagnostics, ManifestError, Mark
from .events import MAX_DEPTH, MAX_EXPANSION, MAX_VALUES, Built, Problem, Retry
from .filesource import MAX_BYTES, FileProblem, read_bounded
from .positions import Fallback, Index, Path, PositionView, locate, unpack
from .scalars import AmbiguousScalar, resolve_plain

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXPANSION",
    "MAX_VALUES",
    "AmbiguousScalar",
    "Document",
    "Path",
    "pointer",
    "read_documents",
    "resolve_plain",
]


def pointer(path: Path) -> str:
    """The JSON pointer (RFC 6901) of a path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


class _Text:
    """Where a file's text is, to find positions later; its documents' indexes once built.

    A file that was read without a problem (the common case) is not kept in memory: when a
    position is first needed, it is read again and checked against the digest of what was
    validated (a file changed since has no positions: marks name only the file).
    """

    __slots__ = ("digest", "indexes", "path", "size", "text")

    def __init__(
        self, text: str, indexes: list[Index] | None = None, path: str | None = None
    ) -> None:
        self.size = len(text)
        self.indexes = indexes
        self.path = path
        self.text: str | None = text
        self.digest = b""
        if path is not None and indexes is None:
            self.digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            self.text = None

    def _again(self) -> str | None:
        if self.text is not None or self.path is None:
            return self.text
        try:
            text = read_bounded(self.path).decode("utf-8-sig")
        except (FileProblem, UnicodeDecodeError):
            return None
        same = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest() == self.digest
        return text if same else None

    def index(self, number: int) -> Index:
        if self.indexes is None:
            text = self._again()
            try:
                # The fast read succeeded, so the slow one reads the same documents, silently.
                built = events.build(text, _ignore) if text is not None else []
            except (Problem, yaml.YAMLError):  # pragma: no cover - the text was valid
                built = []
            self.indexes = [b.index or Index() for b in built]
        return self.indexes[number] if number < len(self.indexes) else Index()


def _ignore(code: str, message: str, where: int, hint: str, path: Path) -> None:
    """Nothing to report: a file read again only for its positions."""


def _contains(data: Any, path: Path) -> bool:
    for step in path:
        if isinstance(data, dict):
            if step not in data:
                return False
        elif not (isinstance(data, list) and isinstance(step, int) and 0 <= step < len(data)):
            return False
        data = data[step]
    return True


def _find(data: Any, wanted: type, path: Path, found: list[Path]) -> None:
    if isinstance(data, dict):
        for key, value in data.items():
            _find(value, wanted, (*path, key), found)
    elif isinstance(data, list):
        for number, value in enumerate(data):
            _find(value, wanted, (*path, number), found)
    elif type(data) is wanted:
        found.append(path)


_GONE = object()  # in a released document's skeleton: a container that was dropped
_KEEP_DEPTH = 3  # document -> arrays -> one entry -> its settings


def _skeleton(data: Any, depth: int) -> Any:
    if not isinstance(data, (dict, list)):
        return data
    if depth == 0:
        return _GONE
    if isinstance(data, dict):
        return {k: _skeleton(v, depth - 1) for k, v in data.items()}
    return [_skeleton(v, depth - 1) for v in data]


class Document:
    """One YAML document: plain data, and the position of any value or key on demand."""

    def __init__(
        self,
        file: str,
        data: Any,
        *,
        text: _Text | None = None,
        number: int = 0,
        ambiguous: int = 0,
        floats: int = 0,
    ) -> None:
        self.file = file
        self.data = data
        self._text = text
        self._number = number
        self._odd = (ambiguous, floats)
        self._released = False
        self._skeleton: Any = None
        # Ways to find where a value that was not written in place came from (defaults:).
        self.fallbacks: list[Fallback] = []
        self.values = PositionView(self._index, self._has, self.fallbacks, key=False)
        self.keys = PositionView(self._index, self._has, self.fallbacks, key=True)

    @property
    def size(self) -> int:
        """How many characters the file this document is in has."""
        return self._text.size if self._text is not None else 0

    def _index(self) -> Index:
        return self._text.index(self._number) if self._text is not None else Index()

    def _has(self, path: Path) -> bool:
        if not self._released:
            return _contains(self.data, path)
        data: Any = self._skeleton
        for step in path:
            if data is _GONE:  # below what was kept: ask the positions (reads the file again)
                index = self._index()
                return index.translate(path, self.fallbacks) in index.values
            if not _contains(data, (step,)):
                return False
            data = data[step]
        return True

    def release(self) -> None:
        """Drop the data: the typed specs built from it are what is used from now on (and
        half the memory of a large manifest).  Positions, and whether a value was written at
        a path, can still be asked; the top of the document (array entries' own settings) is
        kept to answer the latter without reading the file again."""
        if not self._released:
            self._skeleton = _skeleton(self.data, _KEEP_DEPTH)
            self.data = None
            self._released = True

    def mark(self, path: Path, *, key: bool = False) -> Mark:
        """Position of the value at ``path`` (of its key with ``key=True``), or of the nearest
        enclosing value that has one."""
        return Mark.lazy(self.file, self, path, key)

    def position(self, path: Path, key: bool) -> tuple[int, int]:
        """(line, column) of the value at ``path`` (of its key with ``key``), or of the
        nearest enclosing value that has one; (0, 0) if none."""
        return locate(self._index(), path, key, self.fallbacks)

    def written_at(self, path: Path) -> Path:
        """The path where the value at ``path`` was written (an alias's anchor, a merged
        mapping, a ``defaults:`` entry), or ``path`` itself."""
        return self._index().translate(path, self.fallbacks)

    def alias_mark(self, path: Path) -> Mark | None:
        """Where the alias is through which the value at ``path`` was copied, if it was."""
        found = self._index().alias_at(path)
        return None if found is None else Mark(self.file, *unpack(found))

    @property
    def ambiguous(self) -> list[Path]:
        """Where :class:`AmbiguousScalar` values stand (aliased copies included)."""
        found: list[Path] = []
        if self._odd[0]:
            _find(self.data, AmbiguousScalar, (), found)
        return found

    @property
    def floats(self) -> list[Path]:
        """Where numbers with a fraction or an exponent (``1.0``, ``1e3``) stand."""
        found: list[Path] = []
        if self._odd[1]:
            _find(self.data, float, (), found)
        return found


def _decode(data: bytes, file: str, diagnostics: Diagnostics) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        diagnostics.add(
            "file.encoding",
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
            Mark(file, line, column),
            "save the file as UTF-8",
        )
        return None


def _read(
    source: str | os.PathLike[str] | bytes, name: str | None, diagnostics: Diagnostics
) -> tuple[str, str | None]:
    if isinstance(source, bytes):
        file = name or "<bytes>"
        data = source
        if len(data) > MAX_BYTES:
            diagnostics.add(
                "file.too_large",
                f"the input is {len(data):,} bytes, more than the {MAX_BYTES:,} "
                "a manifest may have",
                Mark(file),
                "split it into several files",
            )
            return file, None
    else:
        file = name or os.fspath(source)
        try:
            data = read_bounded(source)
        except FileProblem as problem:
            diagnostics.add(problem.code, problem.message, Mark(file), problem.hint)
            return file, None
    return file, _decode(data, file, diagnostics)


def _syntax(exc: yaml.YAMLError, text: str, file: str, diagnostics: Diagnostics) -> None:
    """A diagnostic for libyaml's (or the composer's) error."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        diagnostics.add(
            "yaml.syntax",
            f"character U+{code:04X} may not appear in YAML",
            Mark(file, line, column),
            "remove the control character (or write it as an escape in a double-quoted string)",
        )
    elif isinstance(exc, yaml.MarkedYAMLError):
        where = exc.problem_mark or exc.context_mark
        mark = Mark(file, where.line + 1, where.column + 1) if where else Mark(file)
        context = exc.context or ""
        if (
            context
            and exc.context_mark is not None
            and exc.problem_mark is not None
            and exc.context_mark.line != exc.problem_mark.line
        ):
            context += f" at line {exc.context_mark.line + 1}"
        problem = ", ".join(p for p in (context, exc.problem) if p) or "invalid YAML"
        diagnostics.add(
            "yaml.syntax",
            f"YAML syntax error: {problem}",
            mark,
            "check indentation, quotes and brackets around this position",
        )
    else:
        diagnostics.add(
            "yaml.syntax", f"YAML error: {exc}", Mark(file), "check that the file is YAML"
        )


def _read_slowly(text: str, file: str, diagnostics: Diagnostics) -> list[Built]:
    """Read again with positions, reporting every problem."""

    def report(code: str, message: str, where: int, hint: str, path: Path) -> None:
        diagnostics.add(code, message, Mark(file, *unpack(where)), hint, pointer(path))

    try:
        return events.build(text, report)
    except Problem as problem:
        diagnostics.add(
            problem.code, problem.message, Mark(file, *unpack(problem.where)), problem.hint
        )
    except yaml.YAMLError as exc:
        _syntax(exc, text, file, diagnostics)
    except RecursionError:  # pragma: no cover - the reader does not recurse; a guard
        diagnostics.add(
            "yaml.too_deep", "values are nested too deeply to read", Mark(file), "flatten it"
        )
    return []


def read_documents(
    source: str | os.PathLike[str] | bytes, name: str | None = None
) -> list[Document]:
    """Every YAML document in a file (or in ``bytes``, reported as ``name``).

    Raises:
        ManifestError: with one diagnostic per problem found.
    """
    diagnostics = Diagnostics()
    file, text = _read(source, name, diagnostics)
    if text is None:
        raise ManifestError(diagnostics.items)
    try:
        built = events.build(text, None)
        holder = _Text(text, path=None if isinstance(source, bytes) else os.fspath(source))
    except Problem as problem:
        if not problem.final:
            raise  # pragma: no cover - the fast mode raises only final problems
        where = Mark(file, *unpack(problem.where))
        diagnostics.add(problem.code, problem.message, where, problem.hint)
        raise ManifestError(diagnostics.items) from None
    except (Retry, yaml.YAMLError):
        built = _read_slowly(text, file, diagnostics)
        holder = _Text(text, [b.index or Index() for b in built])
    if diagnostics.errors:
        raise ManifestError(diagnostics.items)
    return [
        Document(file, b.data, text=holder, number=n, ambiguous=b.ambiguous, floats=b.floats)
        for n, b in enumerate(built)
    ]
