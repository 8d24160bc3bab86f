"""Where each value of a document was written, found only when a message needs it.

A valid manifest never needs a position, so the fast reader keeps none.  The first time a
position is asked for, the file is read again in the slow mode, which fills an :class:`Index`:
the position of every value and key written, and *redirects* for values that were not written
where they stand — an alias stands for its anchored value, a merged key (``<<``) for the key of
the mapping it came from, a value filled in by ``defaults:`` for the defaults entry.  Lookups
follow redirects, so an error in a merged or aliased value is reported where it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = ["Fallback", "Index", "Path", "PositionView", "locate", "pack", "unpack"]

Path = tuple[Any, ...]
# Given a path with no position (and the index), the path its value was copied from, or None.
Fallback = Callable[[Path, "Index"], "Path | None"]

_SHIFT = 32


def pack(line: int, column: int) -> int:
    """A (line, column) pair as one int (smaller than a tuple, and hashable)."""
    return (line << _SHIFT) | column


def unpack(packed: int) -> tuple[int, int]:
    """The (line, column) pair of :func:`pack`."""
    return packed >> _SHIFT, packed & ((1 << _SHIFT) - 1)


class Index:
    """The positions of one document (values and keys, packed), redirects and aliases."""

    __slots__ = ("aliases", "keys", "redirects", "values")

    def __init__(self) -> None:
        self.values: dict[Path, int] = {}
        self.keys: dict[Path, int] = {}
        self.redirects: dict[Path, Path] = {}  # where the value at a path was written
        self.aliases: dict[Path, int] = {}  # the position of the alias standing at a path

    def translate(self, path: Path, fallbacks: list[Fallback]) -> Path:
        """The path where the value at ``path`` was written (following redirects)."""
        for _ in range(1000):  # redirects cannot loop (aliases are never recursive): a guard
            for end in range(len(path), 0, -1):
                target = self.redirects.get(path[:end])
                if target is not None:
                    path = target + path[end:]
                    break
            else:
                if path in self.values:
                    return path
                for fallback in fallbacks:
                    target = fallback(path, self)
                    if target is not None and target != path:
                        path = target
                        break
                else:
                    return path
        return path

    def alias_at(self, path: Path) -> int | None:
        """The position of the innermost alias through which ``path`` was copied."""
        for end in range(len(path), 0, -1):
            found = self.aliases.get(path[:end])
            if found is not None:
                return found
            target = self.redirects.get(path[:end])
            if target is not None:  # a merged key: maybe its source came through an alias
                return self.alias_at(target + path[end:])
        return None


def locate(index: Index, path: Path, key: bool, fallbacks: list[Fallback]) -> tuple[int, int]:
    """(line, column) of the value (or key) at ``path``, or of its nearest enclosing value;
    (0, 0) when nothing is known."""
    path = index.translate(path, fallbacks)
    if key and path in index.keys:
        return unpack(index.keys[path])
    for end in range(len(path), -1, -1):
        found = index.values.get(path[:end])
        if found is not None:
            return unpack(found)
    return 0, 0


class PositionView(Mapping[Path, tuple[int, int]]):
    """``doc.values`` / ``doc.keys``: (line, column) by path, computed on first use.

    ``path in view`` asks the data (was a value written, merged or defaulted there?) and
    never reads the file again; looking a position up may.
    """

    def __init__(
        self,
        index: Callable[[], Index],
        contains: Callable[[Path], bool],
        fallbacks: list[Fallback],
        key: bool,
    ) -> None:
        self._index, self._contains, self._fallbacks, self._key = index, contains, fallbacks, key

    def __contains__(self, path: object) -> bool:
        return isinstance(path, tuple) and self._contains(path)

    def __getitem__(self, path: Path) -> tuple[int, int]:
        if not self._contains(path):
            raise KeyError(path)
        index = self._index()
        where = index.translate(path, self._fallbacks)
        table = index.keys if self._key else index.values
        if where not in table:
            raise KeyError(path)
        return unpack(table[where])

    def __iter__(self) -> Iterator[Path]:
        index = self._index()
        return iter(index.keys if self._key else index.values)

    def __len__(self) -> int:
        index = self._index()
        return len(index.keys if self._key else index.values)
