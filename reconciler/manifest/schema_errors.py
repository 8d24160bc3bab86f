"""The error the compiled manifest validator (:mod:`.schema_compiled`) raises.

The generated code names fastjsonschema's exception classes; importing fastjsonschema for them
cost about 7 ms of every ``plan`` and ``validate`` (its code generator and draft modules come
with it), so the generated module takes these two instead (:mod:`.schema_codegen` rewrites the
import).  They keep fastjsonschema's constructor signatures and the attributes storplan reads.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["JsonSchemaValueException", "JsonSchemaValuesException"]

_SPLIT = re.compile(r"[\.\[\]]+")


class JsonSchemaValueException(ValueError):
    """A value the schema refuses: ``message``, the ``value``, its ``name`` in the document
    (``data.arrays[0].name``) and ``path``, the ``definition`` and the ``rule`` it breaks."""

    def __init__(
        self,
        message: str,
        value: Any = None,
        name: str | None = None,
        definition: Any = None,
        rule: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.name = name
        self.definition = definition
        self.rule = rule

    @property
    def path(self) -> list[str]:
        """``name`` split into its steps (``['data', 'arrays', '0', 'name']``)."""
        return [part for part in _SPLIT.split(self.name or "") if part]


class JsonSchemaValuesException(ValueError):
    """Several refused values (generated code raises it only when not failing fast)."""

    def __init__(self, errors: list[JsonSchemaValueException]) -> None:
        self.message = "; ".join(error.message for error in errors)
        super().__init__(self.message)
        self.errors = errors
