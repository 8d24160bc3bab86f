"""The event reader's parts: bounds, markers, anchors, and its problems (slow mode).

:mod:`.events` runs the loop; what it reports, and how, is here: the slow mode reports every
problem through a callback, the fast mode gives up (:class:`Retry`) at the first one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from yaml.composer import ComposerError

from .positions import Index, Path, locate, pack, unpack
from .scalars import resolve_plain

__all__ = [
    "BADKEY",
    "ITEM",
    "MAX_DEPTH",
    "MAX_EXPANSION",
    "MAX_VALUES",
    "MERGE",
    "NOKEY",
    "SKIP",
    "Anchor",
    "Built",
    "Merge",
    "Problem",
    "Problems",
    "Report",
    "Retry",
    "path_of",
    "position",
]

MAX_DEPTH = 64
MAX_EXPANSION = 1_000_000
MAX_VALUES = 4_000_000

NOKEY = object()  # a mapping waits for its next key
MERGE = object()  # the pending key is a merge key (<<)
BADKEY = object()  # the container being read is a key (refused); its value will be dropped
SKIP = object()  # the value being read is dropped (it follows a duplicate or refused key)
ITEM = object()  # the value being read is a sequence item or a document

# A problem found while reading: code, message, where (packed position, or a path whose
# position the index knows), hint, and the path the diagnostic is about.
Report = Callable[[str, str, int, str, Path], None]


class Retry(Exception):
    """The fast mode met something it does not report: read the file again, slowly."""


class Problem(Exception):
    """A problem that stops reading the file (a bound reached, a recursive alias)."""

    def __init__(self, code: str, message: str, where: int, hint: str, final: bool = False):
        super().__init__(message)
        self.code, self.message, self.where, self.hint = code, message, where, hint
        self.final = final  # reported as found, even by the fast mode (no slow re-read)


class Built:
    """One document: its data, how many odd scalars it holds, its positions (slow mode)."""

    __slots__ = ("ambiguous", "data", "floats", "index")

    def __init__(self, data: Any, ambiguous: int, floats: int, index: Index | None) -> None:
        self.data, self.ambiguous, self.floats, self.index = data, ambiguous, floats, index


class Anchor:
    __slots__ = ("done", "height", "path", "pos", "raw", "size", "value")

    def __init__(self, pos: int, path: Path) -> None:
        self.pos, self.path = pos, path
        self.done = False
        self.value: Any = None
        self.raw: str | None = None  # an anchored scalar's text (for an alias used as a key)
        self.size = 1  # values it stands for, expansions inside it included
        self.height = 0  # how deep its values nest below it


class Merge:
    """A mapping's merge key: where it was written, and its value once read."""

    __slots__ = ("pos", "value")

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.value: Any = None


def position(event: Any) -> int:
    """The packed (line, column) where an event starts."""
    mark = event.start_mark
    return pack(mark.line + 1, mark.column + 1)


def path_of(stack: list[list[Any]], cur: Any, key: Any) -> Path:
    """The path of the value being read into ``cur`` (its pending key, or next index)."""
    if not stack:
        return ()  # the document itself
    parts: list[Any] = []
    for level in [*stack[1:], [cur, type(cur) is dict, key]]:
        if level[1]:
            parts.append("<<" if level[2] is MERGE else level[2])
        else:
            parts.append(len(level[0]))
    return tuple(parts)


class Problems:
    """The slow mode's reports (and the fast mode's giving up), for the reader loop."""

    def __init__(self, report: Report | None) -> None:
        self.report = report
        self.slow = report is not None
        self.expanded = 0  # values aliases added so far (the expansion bound)
        self.index: Index | None = None  # the slow mode's index of the current document

    def define(
        self, event: Any, anchors: dict[str, Anchor], stack: list[list[Any]], cur: Any, key: Any
    ) -> Anchor:
        name = event.anchor
        if name in anchors:
            first = unpack(anchors[name].pos)
            raise ComposerError(
                "found duplicate anchor; first occurrence",
                _ContextMark(*first),  # type: ignore[arg-type]
                "second occurrence",
                event.start_mark,
            )
        entry = Anchor(position(event), path_of(stack, cur, key) if self.slow else ())
        anchors[name] = entry
        return entry

    # ------------------------------------------------------------------ problems (slow mode)

    def _report(self, code: str, message: str, where: int | Path, hint: str, path: Path) -> None:
        if self.report is None:
            raise Retry
        if isinstance(where, tuple):  # a path read before: its position is in the index
            assert self.index is not None
            where = pack(*locate(self.index, where, False, []))
        self.report(code, message, where, hint, path)

    def special_key(
        self,
        event: Any,
        stack: list[list[Any]],
        cur: dict[str, Any],
        merge: Merge | None,
        anchors: dict[str, Anchor],
        index: Index | None,
    ) -> Any:
        """A merge key, a duplicate key, or a key with an anchor: the key to read under."""
        text: str = event.value
        if text == "<<" and not event.style:
            if merge is None:
                return MERGE
            self._report(
                "yaml.duplicate_key",
                "duplicate merge key '<<'",
                position(event),
                "write one merge key with a list, in order of precedence: "
                f"<<: [*first, *second] (the first '<<' is at line {unpack(merge.pos)[0]})",
                path_of(stack, cur, MERGE),
            )
            return SKIP
        if text in cur:
            return self.duplicate(event, text, stack, cur, index)
        if index is not None:
            index.keys[path_of(stack, cur, text)] = position(event)
        if event.anchor is not None:
            entry = self.define(event, anchors, stack, cur, text)
            entry.value = text if event.style else resolve_plain(text)
            entry.raw, entry.done = text, True
        return text

    def duplicate(
        self, event: Any, text: str, stack: list[list[Any]], cur: Any, index: Index | None
    ) -> Any:
        path = path_of(stack, cur, text)
        first = index.keys.get(path) if index is not None else None
        where = f" (the first is at line {unpack(first)[0]})" if first is not None else ""
        self._report(
            "yaml.duplicate_key",
            f"duplicate key {text!r}",
            position(event),
            f"remove one of the {text!r} entries{where}",
            path,
        )
        return SKIP

    def alias_key(
        self, entry: Anchor, stack: list[list[Any]], cur: Any, index: Index | None
    ) -> Any:
        if entry.raw is None:
            self.refuse_key(entry.pos, stack, cur)
            return SKIP
        if entry.raw in cur:
            first = index.keys.get(path_of(stack, cur, entry.raw)) if index is not None else None
            where = f" (the first is at line {unpack(first)[0]})" if first is not None else ""
            self._report(
                "yaml.duplicate_key",
                f"duplicate key {entry.raw!r}",
                entry.pos,
                f"remove one of the {entry.raw!r} entries{where}",
                path_of(stack, cur, entry.raw),
            )
            return SKIP
        if index is not None:
            index.keys[path_of(stack, cur, entry.raw)] = entry.pos
        return entry.raw

    def refuse_key(self, position: int, stack: list[list[Any]], cur: Any) -> None:
        self._report(
            "yaml.key",
            "mapping keys must be plain text",
            position,
            "use a simple name as the key",
            path_of(stack, cur, NOKEY)[:-1],
        )

    def refuse_tag(self, event: Any, stack: list[list[Any]], cur: Any, key: Any) -> Any:
        """Report a tag that is not allowed; the value it tags is read as null."""
        self._report(
            "yaml.tag",
            f"tag {event.tag!r} is not allowed",
            position(event),
            "remove the tag; manifests are plain data",
            path_of(stack, cur, key),
        )
        return None

    def merge(
        self, target: dict[str, Any], merge: Merge, stack: list[list[Any]], index: Index | None
    ) -> None:
        """Merge the ``<<`` sources into ``target``: its own keys win, then earlier sources."""
        value = merge.value
        sources = value if isinstance(value, list) else [value]
        base = path_of(stack[:-1], stack[-1][0], stack[-1][2]) if self.slow else ()
        for number, source in enumerate(sources):
            where = (*base, "<<", number) if isinstance(value, list) else (*base, "<<")
            if not isinstance(source, dict):
                self._report(
                    "yaml.merge",
                    "a merge key (<<) needs a mapping or a list of mappings",
                    where,
                    "merge an anchored mapping: <<: *name",
                    base,
                )
                continue
            for name, item in source.items():
                if name not in target:
                    target[name] = item
                    if index is not None:
                        index.redirects[(*base, name)] = (*where, name)

    def recursive(self, entry: Anchor, merging: bool) -> None:
        if not self.slow:
            raise Retry
        what = "a merge key (<<) refers to a mapping" if merging else "an alias refers to a value"
        raise Problem(
            "yaml.recursive_alias",
            f"{what} that contains it",
            entry.pos,
            "remove the recursive anchor",
        )

    def too_deep(self, event: Any) -> None:
        if not self.slow:
            raise Retry
        raise Problem(
            "yaml.too_deep",
            f"values are nested more than {MAX_DEPTH} levels deep",
            position(event),
            "flatten the document",
        )

    def too_expanded(self, event: Any) -> None:
        if not self.slow:
            raise Retry
        raise Problem(
            "yaml.too_many_values",
            f"aliases and merge keys expand the document by more than {MAX_EXPANSION:,} values",
            position(event),
            "anchors are nested too deeply (a 'billion laughs' document): write the values "
            "out instead of repeating aliases of aliases",
        )

    def too_many(self, event: Any) -> None:
        # Final: reading millions of values again, with positions, would only cost memory.
        raise Problem(
            "yaml.too_many_values",
            f"the file has more than {MAX_VALUES:,} values",
            position(event),
            "split it into several files in one directory",
            final=True,
        )


class _ContextMark:
    """Just enough of a yaml Mark for a ComposerError's context position (0-based)."""

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line - 1, column - 1
        self.name, self.index, self.buffer, self.pointer = "<manifest>", 0, None, 0
