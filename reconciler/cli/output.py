"""Rendering objects for people (tables) and machines (JSON, YAML).

JSON and YAML carry every field (``storplan.model.to_dict``): sizes as byte counts, enums as
their values; the layout is documented in docs/cli.md and stable.  Tables are derived from the
same fields: rich tables on a terminal, plain aligned columns when piped (grep/awk friendly,
and without the cost of importing rich).  JSON output never imports rich.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from enum import Enum
from typing import Any

__all__ = ["emit", "emit_one"]

_HIDDEN = {"conditions"}


def _records(items: Sequence[Any]) -> list[dict[str, Any]]:
    from storplan.model import to_dict

    return [item if isinstance(item, dict) else to_dict(item) for item in items]


def _cell(value: Any, exact_bytes: bool) -> str:
    from storplan.size import Size

    if isinstance(value, Size):
        return str(int(value)) if exact_bytes else value.human()
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, tuple | list | frozenset | set):
        parts = [_cell(v, exact_bytes) for v in value]
        return ", ".join(sorted(parts) if isinstance(value, frozenset | set) else parts) or "-"
    if dataclasses.is_dataclass(value):
        return str(getattr(value, "id", None) or getattr(value, "name", None) or value)
    return str(value)


def _rows(items: Sequence[Any], exact_bytes: bool) -> tuple[list[str], list[list[str]]]:
    if not items:
        return [], []
    first = items[0]
    if isinstance(first, dict):
        columns = [c for c in first if c not in _HIDDEN]
        return columns, [[_cell(item.get(c), exact_bytes) for c in columns] for item in items]
    columns = [f.name for f in dataclasses.fields(first) if f.name not in _HIDDEN]
    return columns, [[_cell(getattr(item, c), exact_bytes) for c in columns] for item in items]


def _write_table(columns: list[str], rows: list[list[str]], title: str) -> None:
    from storplan.text import printable

    rows = [[printable(value) for value in row] for row in rows]
    if not sys.stdout.isatty():
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))]
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
        sys.stdout.write("\n".join(line.rstrip() for line in lines) + "\n")
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        table.add_column(column.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*(Text(value) for value in row))
    Console().print(table)


def emit(items: Sequence[Any], args: argparse.Namespace, title: str = "") -> None:
    """Print a list of objects in the ``--output`` format."""
    if args.output == "json":
        json.dump(_records(items), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.output == "yaml":
        import yaml

        yaml.safe_dump(_records(items), sys.stdout, sort_keys=False)
    elif not items:
        print(f"no {title or 'objects'}", file=sys.stderr)
    else:
        columns, rows = _rows(items, args.bytes)
        _write_table(columns, rows, title)


def emit_one(item: Any, args: argparse.Namespace, title: str = "") -> None:
    """Print one object: as a mapping in JSON/YAML, as a field/value table otherwise."""
    if args.output in ("json", "yaml"):
        record = _records([item])[0]
        if args.output == "json":
            json.dump(record, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            import yaml

            yaml.safe_dump(record, sys.stdout, sort_keys=False)
        return
    columns, rows = _rows([item], args.bytes)
    _write_table(["field", "value"], [[c, v] for c, v in zip(columns, rows[0], strict=True)], title)
