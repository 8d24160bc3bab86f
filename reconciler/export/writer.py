"""Writing an imported array entry as manifest YAML: one file, or one file per kind.

The values are written by :mod:`storplan.manifest.dump` (one home for how a spec becomes
YAML: defaults left out, quoting that reads back as the same value); this module adds the
layout and the comments: a header naming the variables the manifest needs and what stays
unmanaged, and the comment lines above each entry that has something the manifest cannot say.
Everything is in a stable order, so importing an unchanged array twice gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from ..manifest.dump import dump_yaml, manifest_value
from ..manifest.loader import API_VERSION, KIND
from ..text import printable
from .observed import Imported

__all__ = ["LISTS", "header_lines", "manifest_files", "manifest_text"]

LISTS = ("pools", "hosts", "volumes", "filesystems")
"""The lists of an array entry, in the order they are written (and their file names)."""
_SCALARS = ("name", "provider", "credentials", "system", "prune", "allow_empty")


def _comment(text: str, indent: str) -> str:
    return f"{indent}# {printable(text)}\n"


def header_lines(imported: Imported, source: str) -> list[str]:
    """The file header: where it came from, the variables it needs, what stays unmanaged."""
    lines = [
        f"Written by storplan import from {source} (array entry {imported.array.name!r}).",
        "storplan plan of this manifest reports no changes while the array is unchanged.",
    ]
    if imported.variables:
        lines.append("Variables this manifest needs (set them before plan and apply):")
        lines += [f"  {v.name}: {v.purpose}" for v in imported.variables]
    if imported.unmanaged:
        lines.append("Not managed by this manifest:")
        lines += [f"  - {item}" for item in imported.unmanaged]
    return lines


def _document(name: str, entry: str, head: list[str]) -> str:
    front = dump_yaml({"apiVersion": API_VERSION, "kind": KIND, "metadata": {"name": name}})
    return "".join(_comment(line, "") for line in head) + front + "arrays:\n" + entry


def _item(data: Any, indent: str, notes: dict[str, str]) -> str:
    """One list item; a line reading a variable gets a comment saying what it must hold."""
    out = []
    for line in dump_yaml([data]).splitlines():
        name = line.strip().removeprefix("- ").removeprefix("env: ")
        if line.strip().endswith(f"env: {name}") and name in notes:
            line += f"  # {printable(notes[name])}"
        out.append(f"{indent}{line}\n")
    return "".join(out)


def _entry(imported: Imported, lists: tuple[str, ...], scalars: bool) -> str:
    data = manifest_value(imported.array)
    notes = {v.name: f"set ${v.name}: {v.purpose}" for v in imported.variables}
    head = {k: data[k] for k in _SCALARS if k in data and (scalars or k == "name")}
    out = [_item(head, "", notes)]
    for key in lists:
        if key not in data:
            continue
        out.append(f"  {key}:\n")
        for item in data[key]:
            for line in imported.comments.get((key, item["name"]), ()):
                out.append(_comment(line, "  "))
            out.append(_item(item, "  ", notes))
    return "".join(out)


def manifest_text(imported: Imported, *, source: str, name: str = "imported") -> str:
    """The whole entry as one manifest document (``name``: its ``metadata.name``;
    ``source``: how the header names where it came from, never with a password)."""
    return _document(name, _entry(imported, LISTS, True), header_lines(imported, source))


def manifest_files(imported: Imported, *, source: str, name: str = "imported") -> dict[str, str]:
    """The entry split into one file per kind (the GitOps layout of examples/gitops):
    ``array.yaml`` holds the provider, credentials, system and pools and the header; the
    others (``hosts.yaml``, ``volumes.yaml``, ``filesystems.yaml``, only when not empty)
    repeat just the entry's name, which the loader merges."""
    files = {
        "array.yaml": _document(
            name, _entry(imported, ("pools",), True), header_lines(imported, source)
        )
    }
    note = [f"Part of array entry {imported.array.name!r}: see array.yaml (storplan import)."]
    for key in LISTS[1:]:
        if getattr(imported.array, key):
            files[f"{key}.yaml"] = _document(name, _entry(imported, (key,), False), note)
    return files
