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

from .eventparts import (
    BADKEY,
    ITEM,
    MAX_DEPTH,
    MAX_EXPANSION,
    MAX_VALUES,
    MERGE,
    NOKEY,
    SKIP,
    Anchor,
    Built,
    Merge,
    Problem,
    Problems,
    Report,
    Retry,
    path_of,
    position,
)
from .positions import Index
from .scalars import AmbiguousScalar, resolve_plain

__all__ = ["MAX_DEPTH", "MAX_EXPANSION", "MAX_VALUES", "Built", "Problem", "Report", "Retry"]

_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_ALLOWED: set[str | None] = {
    _CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")
}
_ALLOWED |= {"!", None}  # '!' is YAML's "non-specific" tag: the value as if untagged
# A plain scalar starting with none of these is text whatever follows (most are names).
_SPECIAL = frozenset("0123456789-+.~nNtTfFyYoO")


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


class _Builder(Problems):
    def run(self, text: str) -> list[Built]:
        get = _events(text)
        slow = self.slow
        documents: list[Built] = []
        # Each open container saves its parent's state: [container, is_dict, pending_key,
        # merge, anchor, total_at_start, deepest_before, refused_tag]
        stack: list[list[Any]] = []
        cur: Any = []  # the document's holder: its one item is the document
        isdict = False
        key: Any = ITEM
        merge: Merge | None = None
        anchors: dict[str, Anchor] = {}
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
        nokey, merge_key, skip, special, allowed = NOKEY, MERGE, SKIP, _SPECIAL, _ALLOWED
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
                            merge = Merge(position(event))
                        continue
                    key = intern(text, text)
                    if index is not None:
                        index.keys[path_of(stack, cur, key)] = position(event)
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
                    index.values[path_of(stack, cur, key)] = position(event)
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
                    self.refuse_key(position(event), stack, cur)
                    key = BADKEY
                depth = len(stack)
                if depth > deepest:
                    deepest = depth
                    if depth > MAX_DEPTH:
                        self.too_deep(event)
                if index is not None:
                    index.values[path_of(stack, cur, key)] = position(event)
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
                    cur, isdict, key, merge = [], False, ITEM, None
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
                if key is BADKEY:
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
                    here = path_of(stack, cur, key)
                    index.values[here] = entry.pos
                    index.aliases[here] = position(event)
                    if entry.raw is None:  # values inside it are where the anchor is
                        index.redirects[here] = entry.path
            elif kind is DocumentEndEvent:
                if cur and not empty_root:
                    documents.append(Built(cur[0], ambiguous, floats, index))
                cur, key, merge, anchors = [], ITEM, None, {}
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
