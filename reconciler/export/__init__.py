"""Observed state as manifests: ``storplan import``, ``show --output manifest``, adoption.

:func:`~.observed.import_array` turns one system of an observed state into an array entry
(the loader's own specs) and notes (variables, unmanaged objects, comments);
:mod:`.writer` writes it as one manifest file or one file per kind; :mod:`.adopt` records the
imported objects as owned in the state store when the user asks for it.
"""

from __future__ import annotations

from .observed import (
    SELECT_KINDS,
    Imported,
    Select,
    Variable,
    array_name,
    chap_variable,
    import_array,
    parse_select,
    password_variable,
)
from .writer import manifest_files, manifest_text

__all__ = [
    "SELECT_KINDS",
    "Imported",
    "Select",
    "Variable",
    "array_name",
    "chap_variable",
    "import_array",
    "manifest_files",
    "manifest_text",
    "parse_select",
    "password_variable",
]
