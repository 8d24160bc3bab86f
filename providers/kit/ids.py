"""Provider ids made of a kind prefix and the names (or keys) the array knows an object by.

``IdCodec("vol", "volume")`` encodes ``vol:db01`` and decodes it back; a codec with
``parts=2`` and ``separator="/"`` encodes ``snap:db01/nightly``; ``separator=""`` after the
prefix (``sim``'s ``vol12``) is the prefix glued to one part.  Decoding refuses ids of another
kind or provider with :class:`~storplan.errors.NotFound` and a hint showing the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from storplan.errors import NotFound

__all__ = ["IdCodec"]


@dataclass(frozen=True, slots=True)
class IdCodec:
    """Encodes and decodes the ids of one kind of object of one provider."""

    prefix: str
    label: str
    parts: int = 1
    separator: str = "/"
    glue: str = ":"
    example: str = "name"

    def encode(self, *parts: str) -> str:
        """The id of the object identified by ``parts``."""
        if len(parts) != self.parts:
            raise ValueError(f"a {self.label} id has {self.parts} part(s)")
        return f"{self.prefix}{self.glue}{self.separator.join(parts)}"

    def decode(self, object_id: str) -> tuple[str, ...]:
        """The parts of ``object_id``.

        Raises:
            NotFound: ``object_id`` is not an id of this kind.
        """
        head = f"{self.prefix}{self.glue}"
        if isinstance(object_id, str) and object_id.startswith(head):
            rest = object_id[len(head) :]
            parts = tuple(rest.split(self.separator, self.parts - 1)) if self.parts > 1 else (rest,)
            if len(parts) == self.parts and all(parts):
                return parts
        raise NotFound(
            f"{object_id!r} is not a {self.label} id of this provider",
            hint=f"{self.label} ids look like {head}{self.example}",
        )

    def name(self, object_id: str) -> str:
        """The single part of a one-part id."""
        return self.decode(object_id)[-1]

    def owns(self, object_id: str) -> bool:
        """True if ``object_id`` has this codec's form."""
        try:
            self.decode(object_id)
        except NotFound:
            return False
        return True
