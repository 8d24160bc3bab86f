"""Reading YAML strictly, keeping the source position of every value.

PyYAML composes the node graph (with libyaml's C parser when available); this module turns nodes
into plain data itself, instead of registering constructors, so that:

* every value and every mapping key keeps its file:line:column (``Document.mark``);
* duplicate keys are errors, not silent overwrites (PyYAML issue #165);
* scalars resolve like YAML 1.2: only ``true``/``false`` are booleans, and the YAML 1.1
  spellings ``yes no on off y n`` (and leading-zero numbers such as ``0755``) are kept as
  :class:`AmbiguousScalar` so validation can refuse them with a pointed message;
* anchors, aliases and merge keys (``<<: *defaults``) work, but alias expansion is bounded
  (billion laughs), nesting depth is bounded, and input size is bounded;
* no input, however malformed (bytes that are not UTF-8, control characters, tags that name
  Python objects), escapes as anything but :class:`~.diagnostics.ManifestError`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import yaml

from .diagnostics import Diagnostics, ManifestError, Mark
from .scalars import AmbiguousScalar, resolve_plain

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "AmbiguousScalar",
    "Document",
    "pointer",
    "read_documents",
    "resolve_plain",
]

MAX_BYTES = 16 << 20
MAX_DEPTH = 64
MAX_VALUES = 1_000_000

Path = tuple[str | int, ...]

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "merge")}
_ALLOWED_TAGS.add("tag:storplan.io,2024:implicit")
_IMPLICIT = "tag:storplan.io,2024:implicit"


class StrictLoader(_BASE):  # type: ignore[misc, valid-type]
    """Only composes nodes; nothing is constructed (and nothing is registered globally).

    Plain scalars are tagged ``_IMPLICIT`` instead of running PyYAML's YAML 1.1 resolver on
    each (a third of the parse time): the converter resolves them by YAML 1.2 rules, and a tag
    other than ``_IMPLICIT`` on a scalar was written explicitly (``!!str yes``).
    """

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                return "tag:yaml.org,2002:merge" if value == "<<" else _IMPLICIT
            return _CORE + "str"
        return _CORE + ("seq" if kind is yaml.SequenceNode else "map")


def pointer(path: Path) -> str:
    """The JSON pointer (RFC 6901) of a path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


@dataclass
class Document:
    """One YAML document: plain data plus the position of every value and key."""

    file: str
    data: Any
    # (line, column) of every value and key; Marks are made only when asked for (speed).
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    ambiguous: list[Path] = field(default_factory=list)  # where AmbiguousScalars stand

    def mark(self, path: Path, *, key: bool = False) -> Mark:
        """Position of the value at ``path`` (of its key with ``key=True``), or of the nearest
        enclosing value that has one."""
        if key and path in self.keys:
            return Mark(self.file, *self.keys[path])
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return Mark(self.file, *found)
        return Mark(self.file)


class _Converter:
    def __init__(self, file: str, diagnostics: Diagnostics) -> None:
        self.file = file
        self.diagnostics = diagnostics
        self.count = 0

    def mark(self, node: yaml.Node) -> Mark:
        return Mark(self.file, *self.position(node))

    @staticmethod
    def position(node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def document(self, root: yaml.Node) -> Document:
        doc = Document(self.file, None)
        doc.data = self.value(root, (), doc, set())
        return doc

    def value(self, node: yaml.Node, path: Path, doc: Document, active: set[int]) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Abort(
                "yaml.too_many_values",
                f"the document expands to more than {MAX_VALUES:,} values",
                self.mark(node),
                "YAML aliases may be nested too deeply "
                "(a 'billion laughs' document); write the values out instead",
            )
        if len(path) > MAX_DEPTH:
            raise _Abort(
                "yaml.too_deep",
                f"values are nested more than {MAX_DEPTH} levels deep",
                self.mark(node),
                "flatten the document",
            )
        doc.values[path] = self.position(node)
        if node.tag not in _ALLOWED_TAGS:
            self.diagnostics.add(
                "yaml.tag",
                f"tag {node.tag!r} is not allowed",
                self.mark(node),
                "remove the tag; manifests are plain data",
                pointer(path),
            )
            return None
        if isinstance(node, yaml.ScalarNode):
            value = self.scalar(node)
            if type(value) is AmbiguousScalar:
                doc.ambiguous.append(path)
            return value
        if id(node) in active:
            raise _Abort(
                "yaml.recursive_alias",
                "an alias refers to a value that contains it",
                self.mark(node),
                "remove the recursive anchor",
            )
        active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.value(item, (*path, i), doc, active) for i, item in enumerate(node.value)
                ]
            assert isinstance(node, yaml.MappingNode)
            return self.mapping(node, path, doc, active)
        finally:
            active.discard(id(node))

    def scalar(self, node: yaml.ScalarNode) -> Any:
        text: str = node.value
        if node.style:  # libyaml reports plain scalars as '', PyYAML as None
            return text  # quoted or block scalars are always strings
        first = text[:1]
        if not (first.isdigit() or first in "-+.~nNtTfFyYoO" or not text):
            return text  # fast path: most scalars are names
        if node.tag == _CORE + "str":
            return text  # an explicit !!str keeps its text
        return resolve_plain(text)

    def mapping(
        self, node: yaml.MappingNode, path: Path, doc: Document, active: set[int]
    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.add(
                    "yaml.key",
                    "mapping keys must be plain text",
                    self.mark(key_node),
                    "use a simple name as the key",
                    pointer(path),
                )
                continue
            key = key_node.value
            if key == "<<" and not key_node.style:
                merged.update(self.merge(value_node, path, doc, active))
                continue
            if key in result:
                self.diagnostics.add(
                    "yaml.duplicate_key",
                    f"duplicate key {key!r}",
                    self.mark(key_node),
                    f"remove one of the {key!r} entries "
                    f"(the first is at line {doc.keys[(*path, key)][0]})",
                    pointer((*path, key)),
                )
                continue
            doc.keys[(*path, key)] = self.position(key_node)
            result[key] = self.value(value_node, (*path, key), doc, active)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result

    def merge(self, node: yaml.Node, path: Path, doc: Document, active: set[int]) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                self.diagnostics.add(
                    "yaml.merge",
                    "a merge key (<<) needs a mapping or a list of mappings",
                    self.mark(source),
                    "merge an anchored mapping: <<: *name",
                    pointer(path),
                )
                continue
            if id(source) in active:
                raise _Abort(
                    "yaml.recursive_alias",
                    "a merge key (<<) refers to a mapping that contains it",
                    self.mark(source),
                    "remove the recursive anchor",
                )
            self.count += 1  # every merged mapping is a value read again (merge bombs)
            if self.count > MAX_VALUES:
                raise _Abort(
                    "yaml.too_many_values",
                    f"the document expands to more than {MAX_VALUES:,} values",
                    self.mark(source),
                    "YAML merge keys and aliases may be nested too "
                    "deeply (a 'billion laughs' document); write the values out",
                )
            scratch = Document(doc.file, None)
            active.add(id(source))
            try:
                converted = self.mapping(source, path, scratch, active)
            finally:
                active.discard(id(source))
            for key, value in converted.items():
                if key not in merged:
                    merged[key] = value
                    doc.keys.setdefault(
                        (*path, key), scratch.keys.get((*path, key), self.position(source))
                    )
                    for where, mark in scratch.values.items():
                        if where[: len(path) + 1] == (*path, key):
                            doc.values.setdefault(where, mark)
        return merged


class _Abort(Exception):
    def __init__(self, code: str, message: str, mark: Mark, hint: str) -> None:
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


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
    else:
        file = name or os.fspath(source)
        try:
            size = os.path.getsize(source)
            if size > MAX_BYTES:
                diagnostics.add(
                    "file.too_large",
                    f"the file is {size:,} bytes, more than the {MAX_BYTES:,} a manifest may have",
                    Mark(file),
                    "split it into several files in one directory",
                )
                return file, None
            with open(source, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            diagnostics.add(
                "file.unreadable",
                f"cannot read the file: {exc.strerror or exc}",
                Mark(file),
                "check the path and its permissions",
            )
            return file, None
    if len(data) > MAX_BYTES:
        diagnostics.add(
            "file.too_large",
            f"the input is {len(data):,} bytes, more than the {MAX_BYTES:,} a manifest may have",
            Mark(file),
            "split it into several files",
        )
        return file, None
    return file, _decode(data, file, diagnostics)


def read_documents(
    source: str | os.PathLike[str] | bytes, name: str | None = None
) -> list[Document]:
    """Every YAML document in a file (or in ``bytes``, reported as ``name``).

    Raises:
        ManifestError: with one diagnostic per problem found.
    """
    diagnostics = Diagnostics()
    file, text = _read(source, name, diagnostics)
    documents: list[Document] = []
    if text is not None:
        converter = _Converter(file, diagnostics)
        try:
            for root in yaml.compose_all(text, Loader=StrictLoader):
                if root is None or (
                    isinstance(root, yaml.ScalarNode) and not root.value and not root.style
                ):
                    continue  # an empty document (a lone '---'): nothing to read
                documents.append(converter.document(root))
        except _Abort as abort:
            diagnostics.add(abort.code, abort.message, abort.mark, abort.hint)
        except yaml.reader.ReaderError as exc:
            line = text.count("\n", 0, exc.position) + 1
            column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
            code = exc.character if isinstance(exc.character, int) else ord(exc.character)
            diagnostics.add(
                "yaml.syntax",
                f"character U+{code:04X} may not appear in YAML",
                Mark(file, line, column),
                "remove the control character (or write it as an escape in a double-quoted string)",
            )
        except yaml.MarkedYAMLError as exc:
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
        except yaml.YAMLError as exc:
            diagnostics.add(
                "yaml.syntax", f"YAML error: {exc}", Mark(file), "check that the file is YAML"
            )
        except RecursionError:
            diagnostics.add(
                "yaml.too_deep",
                "values are nested too deeply to read",
                Mark(file),
                "flatten the document",
            )
    if diagnostics.errors:
        raise ManifestError(diagnostics.items)
    return documents
