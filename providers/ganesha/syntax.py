"""Ganesha's configuration syntax: blocks of ``Key = value[, value...];`` and sub-blocks.

Only what storplan needs to read back its own export files (and hand edits of them) and to
check the main configuration for its ``%include`` line: blocks, parameters, list values,
double- or single-quoted strings, ``#`` comments and ``%include`` directives.  Keys and block
names are case-insensitive in Ganesha, so they are kept lower-cased here.

Values are written back unquoted where Ganesha requires it: a client list entry in quotes is
refused ("Expected a client, got a double quoted string", seen with 4.3), so only paths are
quoted (see :func:`quote`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storplan.errors import InvalidArgument

__all__ = ["Block", "include_targets", "parse", "quote"]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>\#[^\n]*)
  | (?P<directive>%[A-Za-z]+[ \t]+(?:"[^"\n]*"|'[^'\n]*'|[^\s;]+))
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<punct>[{}=;,()])
  | (?P<word>[^\s{}=;,()"'\#]+)
    """,
    re.VERBOSE,
)
_SAFE_QUOTED = re.compile(r'[^"\n\r\\]*')


@dataclass(slots=True)
class Block:
    """One configuration block: ``name { key = values; ... sub-blocks ... }``."""

    name: str
    params: dict[str, list[str]] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    line: int = 0

    def get(self, key: str) -> list[str] | None:
        """The values of ``key`` (case-insensitive), or ``None`` when it is not set."""
        return self.params.get(key.lower())

    def one(self, key: str) -> str | None:
        """The single value of ``key``, or ``None`` when it is not set."""
        values = self.get(key)
        return values[0] if values else None

    def children(self, name: str) -> list[Block]:
        """The sub-blocks called ``name`` (case-insensitive), in file order."""
        return [b for b in self.blocks if b.name == name.lower()]


def quote(value: str) -> str:
    """``value`` in double quotes; refuses characters Ganesha's strings cannot hold."""
    if _SAFE_QUOTED.fullmatch(value) is None:
        raise InvalidArgument(
            f"{value!r} cannot be written into a Ganesha configuration string",
            hint="avoid double quotes, backslashes and line breaks",
        )
    return f'"{value}"'


def _tokens(text: str, source: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position, line = 0, 1
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise InvalidArgument(
                f"{source}:{line}: cannot read {text[position : position + 20]!r}"
            )
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "string":
            tokens.append(("word", value[1:-1], line))
        elif kind in ("punct", "word", "directive"):
            tokens.append((kind if kind != "punct" else value, value, line))
        line += value.count("\n")
        position = match.end()
    return tokens


def parse(text: str, source: str = "<config>") -> Block:
    """The top level of a configuration text as a block named ``""``.

    Raises:
        InvalidArgument: the text is not valid configuration syntax (naming ``source:line``).
    """
    tokens = _tokens(text, source)
    root = Block("")
    stack = [root]
    index = 0
    while index < len(tokens):
        kind, value, line = tokens[index]
        current = stack[-1]
        if kind == "}":
            if len(stack) == 1:
                raise InvalidArgument(f"{source}:{line}: unexpected '}}'")
            stack.pop()
            index += 1
            continue
        if kind == "directive":
            index += 1
            continue
        if kind != "word":
            raise InvalidArgument(f"{source}:{line}: unexpected {value!r}")
        following = tokens[index + 1][0] if index + 1 < len(tokens) else ""
        if following == "{":
            block = Block(value.lower(), line=line)
            current.blocks.append(block)
            stack.append(block)
            index += 2
        elif following == "=":
            values, index = _values(tokens, index + 2, source, line)
            current.params[value.lower()] = values
        else:
            raise InvalidArgument(f"{source}:{line}: expected '=' or '{{' after {value!r}")
    if len(stack) != 1:
        raise InvalidArgument(f"{source}: block {stack[-1].name!r} is not closed")
    return root


def _values(
    tokens: list[tuple[str, str, int]], index: int, source: str, line: int
) -> tuple[list[str], int]:
    values: list[str] = []
    while index < len(tokens):
        kind, value, _ = tokens[index]
        if kind == ";":
            return values, index + 1
        if kind == "word":
            values.append(value)
        elif kind != ",":
            raise InvalidArgument(f"{source}:{line}: unexpected {value!r} in a value list")
        index += 1
    raise InvalidArgument(f"{source}:{line}: a parameter is not ended by ';'")


def include_targets(text: str) -> list[tuple[str, str]]:
    """``(directive, target)`` of every ``%include`` / ``%dir`` / ``%url`` line, in order,
    outside comments."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"%(include|dir|url)\s+(?:\"([^\"]*)\"|'([^']*)'|(\S+))", stripped)
        if match:
            found.append((match.group(1), match.group(2) or match.group(3) or match.group(4)))
    return found
