"""Plain data straight from libyaml's event stream: one pass, no node graph.

Composing PyYAML's node graph costs a Node and two Marks per value, and converting it a second
walk; here each parse event goes straight into the dict or list it belongs to.  The builder
runs in one of two modes over the same code:

* **fast** (``report=None``, the common case: a valid file): no position is kept and nothing
  is reported; at the first oddity that needs a diagnostic (a duplicate key, a tag, a bad
  merge, a bound reached) it gives up with :class:`Retry`, and the caller reads the file again
  slowly;
* **slow**: the position of every value and key is recorded in an :class:`~.positions.Index`
  (also built later, lazily, when a message needs a position in a valid file) and every
  problem is reported.

Aliases share the anchored value (nothing is copied) and merge keys (``<<``) copy references
to the merged values, so reading takes time linear in the text.  A document grows beyond its
text only through aliases: that *expansion* is what :data:`MAX_EXPANSION` bounds (billion
laughs, merge bombs), beside the bounds on values written (:data:`MAX_VALUES`) and on
nesting, aliases included (:data:`MAX_DEPTH`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from .positions import Index, Path, locate, pack, unpack
from .scalars import AmbiguousScalar, resolve_plain

__all__ = ["MAX_DEPTH", "MAX_EXPANSION", "MAX_VALUES", "Built", "Problem", "Report", "Retry"]

MAX_DEPTH = 64
MAX_EXPANSION = 1_000_000
MAX_VALUES = 4_000_000

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_ALLOWED: set[str | None] = {
    _CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
}
_ALLOWED |= {"!", None}  # '!' is YAML's "non-specific" tag: the value as if untagged
# A plain scalar starting with none of these is text whatever follows (most are names).
_SPECIAL = frozenset("0123456789-+.~nNtTfFyYoO")
_NOKEY = object()  # a mapping waits for its next key
_MERGE = object()  # the pending key is a merge key (<<)
_BADKEY = object()  # the container being read is a key (refused); its value will be dropped
_SKIP = object()  # the value being read is dropped (it follows a duplicate or refused key)
_ITEM = object()  # the value being read is a sequence item or a document

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


class _Anchor:
    __slots__ = ("done", "height", "path", "pos", "raw", "size", "value")

    def __init__(self, pos: int, path: Path) -> None:
        self.pos, self.path = pos, path
        self.done = False
        self.value: Any = None
        self.raw: str | None = None  # an anchored scalar's text (for an alias used as a key)
        self.size = 1  # values it stands for, expansions inside it included
        self.height = 0  # how deep its values nest below it


class _Merge:
    """A mapping's merge key: where it was written, and its value once read."""

    __slots__ = ("pos", "value")

    def __init__(self, pos: int) -> None:
        self.pos = pos
        self.value: Any = None


def _parser() -> Any:
    try:  # libyaml's parser (PyYAML's C extension); its messages are the golden ones
        from yaml._yaml import CParser

        return CParser
    except ImportError:  # pragma: no cover - PyYAML built without libyaml
        return yaml.SafeLoader


_PARSER = _parser()


def _events(text: str) -> Callable[[], Any]:
    get: Callable[[], Any] = _PARSER(text).get_event
    return get


def _position(event: Any) -> int:
    mark = event.start_mark
    return pack(mark.line + 1, mark.column + 1)


def build(text: str, report: Report | None) -> list[Built]:
    """Every non-empty document of ``text``.

    With ``report`` (slow mode) positions are recorded and problems reported through it;
    without (fast mode), :class:`Retry` is raised at the first problem.

    Raises:
        Retry: fast mode only.
        Problem: a bound was reached or an alias is recursive (slow mode).
        yaml.YAMLError: the text is not YAML (libyaml's errors, undefined or duplicate anchors).
    """
    return _Builder(report).run(text)


def _path(stack: list[list[Any]], cur: Any, key: Any) -> Path:
    """The path of the value being read into ``cur`` (its pending key, or next index)."""
    if not stack:
        return ()  # the document itself
    parts: list[Any] = []
    for level in [*stack[1:], [cur, type(cur) is dict, key]]:
        if level[1]:
            parts.append("<<" if level[2] is _MERGE else level[2])
        else:
            parts.append(len(level[0]))
    return tuple(parts)


class _Builder:
    def __init__(self, report: Report | None) -> None:
        self.report = report
        self.slow = report is not None
        self.expanded = 0
        self.index: Index | None = None  # the slow mode's index of the current document

    def run(self, text: str) -> list[Built]:
        get = _events(text)
        slow = self.slow
        documents: list[Built] = []
        # Each open container saves its parent's state: [container, is_dict, pending_key,
        # merge, anchor, total_at_start, deepest_before, refused_tag]
        stack: list[list[Any]] = []
        cur: Any = []  # the document's holder: its one item is the document
        isdict = False
        key: Any = _ITEM
        merge: _Merge | None = None
        anchors: dict[str, _Anchor] = {}
        index = self.index = Index() if slow else None
        ambiguous = floats = count = deepest = 0
        empty_root = False
        # Keys and many values repeat: one str object per distinct text (a fifth of the data).
        distinct: dict[str, str] = {}
        intern = distinct.setdefault
        # Module globals as locals: this loop runs once per event.
        scalar_event, alias_event = ScalarEvent, AliasEvent
        mapping_start, mapping_end = MappingStartEvent, MappingEndEvent
        sequence_start, sequence_end = SequenceStartEvent, SequenceEndEvent
        nokey, merge_key, skip, special, allowed = _NOKEY, _MERGE, _SKIP, _SPECIAL, _ALLOWED
        ambiguous_class, max_values = AmbiguousScalar, MAX_VALUES
        while True:
            event = get()
            kind = event.__class__
            value: Any
            if kind is scalar_event:
                count += 1
                text = event.value
                if isdict and key is nokey:  # a mapping key: always text, never resolved
                    if text in cur or event.anchor is not None or text == "<<":
                        if not slow and (text != "<<" or event.style or merge is not None):
                            raise Retry
                        key = self.special_key(event, stack, cur, merge, anchors, index)
                        if key is merge_key:
                            merge = _Merge(_position(event))
                        continue
                    key = intern(text, text)
                    if index is not None:
                        index.keys[_path(stack, cur, key)] = _position(event)
                    continue
                tag = event.tag
                if event.style:  # quoted or block: text, whatever the tag
                    value = (
                        intern(text, text)
                        if tag in allowed
                        else self.refuse_tag(event, stack, cur, key)
                    )
                elif tag is None and text and text[0] not in special:
                    value = intern(text, text)  # values repeat too (pools, hosts, sizes)
                elif tag in allowed:
                    if tag == _STR or tag == "!":
                        value = text  # explicitly text ('!' makes a plain scalar a string)
                    else:
                        value = resolve_plain(text)
                        if value.__class__ is ambiguous_class:
                            ambiguous += 1
                        elif value.__class__ is float:
                            floats += 1
                    if not text and not stack:
                        empty_root = True  # an empty document (a lone '---')
                else:
                    value = self.refuse_tag(event, stack, cur, key)
                depth = len(stack)
                if depth > deepest:
                    deepest = depth
                    if depth > MAX_DEPTH:
                        self.too_deep(event)
                if index is not None:
                    index.values[_path(stack, cur, key)] = _position(event)
                if event.anchor is not None:
                    entry = self.define(event, anchors, stack, cur, key)
                    entry.value, entry.raw, entry.done = value, text, True
                if count > max_values:
                    self.too_many(event)
            elif kind is mapping_start or kind is sequence_start:
                count += 1
                if isdict and key is nokey:  # a mapping or a list as a key
                    if not slow:
                        raise Retry
                    self.refuse_key(_position(event), stack, cur)
                    key = _BADKEY
                depth = len(stack)
                if depth > deepest:
                    deepest = depth
                    if depth > MAX_DEPTH:
                        self.too_deep(event)
                if index is not None:
                    index.values[_path(stack, cur, key)] = _position(event)
                anchor = None
                if event.anchor is not None:
                    anchor = self.define(event, anchors, stack, cur, key)
                refused = event.tag not in _ALLOWED
                if refused:
                    self.refuse_tag(event, stack, cur, key)
                stack.append(
                    [cur, isdict, key, merge, anchor, count + self.expanded, deepest, refused]
                )
                if anchor is not None:
                    deepest = depth  # measure the anchored value's own height
                if kind is mapping_start:
                    cur, isdict, key, merge = {}, True, nokey, None
                else:
                    cur, isdict, key, merge = [], False, _ITEM, None
                continue
            elif kind is mapping_end or kind is sequence_end:
                value = cur
                if merge is not None:
                    self.merge(value, merge, stack, index)
                cur, isdict, key, merge, anchor, start, outer, refused = stack.pop()
                if refused:
                    value = None
                if anchor is not None:
                    anchor.value, anchor.done = value, True
                    anchor.size = count + self.expanded - start + 1
                    anchor.height = deepest - len(stack)
                    deepest = max(deepest, outer)
                if key is _BADKEY:
                    key = skip  # the refused key's value is read, then dropped
                    continue
            elif kind is alias_event:
                count += 1
                entry = anchors.get(event.anchor)  # type: ignore[assignment]
                if entry is None:
                    raise ComposerError(
                        None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                    )
                if not entry.done:
                    merging = key is merge_key or (
                        not isdict and bool(stack) and stack[-1][2] is merge_key
                    )
                    self.recursive(entry, merging)
                self.expanded += entry.size
                if self.expanded > MAX_EXPANSION:
                    self.too_expanded(event)
                depth = len(stack) + entry.height
                if depth > deepest:
                    deepest = depth
                    if depth > MAX_DEPTH:
                        self.too_deep(event)
                if isdict and key is nokey:
                    if not slow:
                        raise Retry  # an alias as a key: rare enough to read slowly
                    key = self.alias_key(entry, stack, cur, index)
                    continue
                value = entry.value
                if index is not None:
                    here = _path(stack, cur, key)
                    index.values[here] = entry.pos
                    index.aliases[here] = _position(event)
                    if entry.raw is None:  # values inside it are where the anchor is
                        index.redirects[here] = entry.path
            elif kind is DocumentEndEvent:
                if cur and not empty_root:
                    documents.append(Built(cur[0], ambiguous, floats, index))
                cur, key, merge, anchors = [], _ITEM, None, {}
                index = self.index = Index() if slow else None
                ambiguous = floats = deepest = 0
                empty_root = False
                continue
            elif event is None:
                return documents
            else:  # StreamStart, StreamEnd, DocumentStart
                continue
            # Put the value where it belongs.
            if not isdict:
                cur.append(value)
            elif key is merge_key:
                assert merge is not None
                merge.value = value
                key = nokey
            else:
                if key is not skip:
                    cur[key] = value
                key = nokey

    # ------------------------------------------------------------------ anchors

    def define(
        self, event: Any, anchors: dict[str, _Anchor], stack: list[list[Any]], cur: Any, key: Any
    ) -> _Anchor:
        name = event.anchor
        if name in anchors:
            first = unpack(anchors[name].pos)
            raise ComposerError(
                "found duplicate anchor; first occurrence",
                _ContextMark(*first),  # type: ignore[arg-type]
                "second occurrence",
                event.start_mark,
            )
        entry = _Anchor(_position(event), _path(stack, cur, key) if self.slow else ())
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
        merge: _Merge | None,
        anchors: dict[str, _Anchor],
        index: Index | None,
    ) -> Any:
        """A merge key, a duplicate key, or a key with an anchor: the key to read under."""
        text: str = event.value
        if text == "<<" and not event.style:
            if merge is None:
                return _MERGE
            self._report(
                "yaml.duplicate_key",
                "duplicate merge key '<<'",
                _position(event),
                "write one merge key with a list, in order of precedence: "
                f"<<: [*first, *second] (the first '<<' is at line {unpack(merge.pos)[0]})",
                _path(stack, cur, _MERGE),
            )
            return _SKIP
        if text in cur:
            return self.duplicate(event, text, stack, cur, index)
        if index is not None:
            index.keys[_path(stack, cur, text)] = _position(event)
        if event.anchor is not None:
            entry = self.define(event, anchors, stack, cur, text)
            entry.value = text if event.style else resolve_plain(text)
            entry.raw, entry.done = text, True
        return text

    def duplicate(
        self, event: Any, text: str, stack: list[list[Any]], cur: Any, index: Index | None
    ) -> Any:
        path = _path(stack, cur, text)
        first = index.keys.get(path) if index is not None else None
        where = f" (the first is at line {unpack(first)[0]})" if first is not None else ""
        self._report(
            "yaml.duplicate_key",
            f"duplicate key {text!r}",
            _position(event),
            f"remove one of the {text!r} entries{where}",
            path,
        )
        return _SKIP

    def alias_key(
        self, entry: _Anchor, stack: list[list[Any]], cur: Any, index: Index | None
    ) -> Any:
        if entry.raw is None:
            self.refuse_key(entry.pos, stack, cur)
            return _SKIP
        if entry.raw in cur:
            first = index.keys.get(_path(stack, cur, entry.raw)) if index is not None else None
            where = f" (the first is at line {unpack(first)[0]})" if first is not None else ""
            self._report(
                "yaml.duplicate_key",
                f"duplicate key {entry.raw!r}",
                entry.pos,
                f"remove one of the {entry.raw!r} entries{where}",
                _path(stack, cur, entry.raw),
            )
            return _SKIP
        if index is not None:
            index.keys[_path(stack, cur, entry.raw)] = entry.pos
        return entry.raw

    def refuse_key(self, position: int, stack: list[list[Any]], cur: Any) -> None:
        self._report(
            "yaml.key",
            "mapping keys must be plain text",
            position,
            "use a simple name as the key",
            _path(stack, cur, _NOKEY)[:-1],
        )

    def refuse_tag(self, event: Any, stack: list[list[Any]], cur: Any, key: Any) -> Any:
        """Report a tag that is not allowed; the value it tags is read as null."""
        self._report(
            "yaml.tag",
            f"tag {event.tag!r} is not allowed",
            _position(event),
            "remove the tag; manifests are plain data",
            _path(stack, cur, key),
        )
        return None

    def merge(
        self, target: dict[str, Any], merge: _Merge, stack: list[list[Any]], index: Index | None
    ) -> None:
        """Merge the ``<<`` sources into ``target``: its own keys win, then earlier sources."""
        value = merge.value
        sources = value if isinstance(value, list) else [value]
        base = _path(stack[:-1], stack[-1][0], stack[-1][2]) if self.slow else ()
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

    def recursive(self, entry: _Anchor, merging: bool) -> None:
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
            _position(event),
            "flatten the document",
        )

    def too_expanded(self, event: Any) -> None:
        if not self.slow:
            raise Retry
        raise Problem(
            "yaml.too_many_values",
            f"aliases and merge keys expand the document by more than {MAX_EXPANSION:,} values",
            _position(event),
            "anchors are nested too deeply (a 'billion laughs' document): write the values "
            "out instead of repeating aliases of aliases",
        )

    def too_many(self, event: Any) -> None:
        # Final: reading millions of values again, with positions, would only cost memory.
        raise Problem(
            "yaml.too_many_values",
            f"the file has more than {MAX_VALUES:,} values",
            _position(event),
            "split it into several files in one directory",
            final=True,
        )


class _ContextMark:
    """Just enough of a yaml Mark for a ComposerError's context position (0-based)."""

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line - 1, column - 1
        self.name, self.index, self.buffer, self.pointer = "<manifest>", 0, None, 0
