"""The manifest reference, generated from ``schemas/manifest-v1.json`` (what ``validate`` uses).

``{storplan-manifest-reference} example.yaml`` renders one section per object of the language
(the document, ``metadata``, ``defaults``, each ``$defs`` entry): every key with its type and
constraints, whether it is required, its default, its description, every path it can appear at,
and an example.  Defaults are the field defaults of the spec dataclasses
(``storplan.manifest.spec``: what a manifest that leaves a key out means); examples come from
the given manifest, which must use every key (it is validated by the test suite).  A key
without an example or a definition without a spec class is a warning: an error under ``-W``.

Why not sphinx-jsonschema: it renders the raw schema as nested tables (unreadable in a man
page), and knows neither the defaults (they live in the specs, not the schema) nor examples.
"""

from __future__ import annotations

import dataclasses
import enum
from pathlib import Path
from typing import Any

import yaml
from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .cli import make_section, rst_escape

LOGGER = logging.getLogger(__name__)

# $defs entry -> spec class of storplan.manifest.spec (the same pairs tests/test_manifest_schema.py
# checks field by field).  "initiator" and "size" are not objects with a spec of their own.
SPEC_CLASSES = {
    "array": "ArraySpec",
    "pool": "PoolSpec",
    "host": "HostSpec",
    "initiator": "InitiatorSpec",
    "chap": "ChapSpec",
    "secret": "SecretRef",
    "volume": "VolumeSpec",
    "mapping": "MappingSpec",
    "snapshot": "SnapshotSpec",
    "replica": "ReplicaSpec",
    "filesystem": "FileSystemSpec",
    "export": "ExportSpec",
}
DOCUMENT = "document"
METADATA_SPEC = "Manifest"


def load_schema() -> dict[str, Any]:
    from storplan.manifest.schema_check import manifest_schema

    schema: dict[str, Any] = manifest_schema()
    return schema


@dataclasses.dataclass
class ObjectDoc:
    """One object of the language: a section of the reference."""

    name: str  # "volume", "defaults.volume", "document"
    schema: dict[str, Any]
    paths: list[str] = dataclasses.field(default_factory=list)  # where it appears
    spec: str | None = None  # spec class giving the defaults

    @property
    def anchor(self) -> str:
        return "manifest-" + self.name.replace(".", "-").replace("[]", "")


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def collect(schema: dict[str, Any]) -> list[ObjectDoc]:
    """Every object of the schema, in reading order, with the paths it appears at."""
    defs: dict[str, Any] = schema.get("$defs", {})
    found: dict[str, ObjectDoc] = {}
    order: list[str] = []

    def visit(name: str, node: dict[str, Any], path: str, spec: str | None) -> None:
        if name not in found:
            found[name] = ObjectDoc(name, node, spec=spec)
            order.append(name)
        found[name].paths.append(path)
        for key, sub in node.get("properties", {}).items():
            descend(f"{name}.{key}", sub, f"{path}.{key}" if path else key)

    def descend(inline_name: str, node: dict[str, Any], path: str) -> None:
        ref = _ref_name(node)
        if ref is not None:
            target = defs[ref]
            if "properties" in target:
                visit(ref, target, path, SPEC_CLASSES.get(ref))
            for form in target.get("anyOf", []):  # the initiator's mapping form
                if "properties" in form:
                    visit(ref, form, path, SPEC_CLASSES.get(ref))
            return
        if node.get("type") == "array" and isinstance(node.get("items"), dict):
            descend(inline_name, node["items"], f"{path}[]")
        elif "properties" in node:
            visit(inline_name, node, path, None)

    visit(DOCUMENT, schema, "", None)
    documented = {name for name in order}
    for name in defs:
        if name not in documented and name not in ("size",) and "properties" in defs[name]:
            LOGGER.warning("manifest schema: $defs/%s is never used", name, type="storplan")
    return [found[name] for name in order]


def key_paths(schema: dict[str, Any]) -> list[str]:
    """Every key path of the language (``arrays[].volumes[].size``), for the coverage test."""
    paths: list[str] = []
    for obj in collect(schema):
        for key in obj.schema.get("properties", {}):
            paths += [f"{path}.{key}" if path else key for path in obj.paths]
    return paths


def example_values(files: list[Path]) -> dict[str, Any]:
    """The first value written at each key path of the example manifests."""
    values: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                sub_path = f"{path}.{key}" if path else str(key)
                values.setdefault(sub_path, sub)
                walk(sub, sub_path)
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[]")

    for file in files:
        for document in yaml.safe_load_all(file.read_text(encoding="utf-8")):
            walk(document, "")
    return values


def markdown_text(text: str) -> str:
    """A schema description (Markdown-style ```code``` spans) as reST."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: not code
        return rst_escape(text)
    return "".join(f"``{part}``" if i % 2 else rst_escape(part) for i, part in enumerate(parts))


def _describe_type(node: dict[str, Any], defs: dict[str, Any]) -> str:
    ref = _ref_name(node)
    if ref == "size":
        return ":ref:`size <manifest-size>`"
    if ref is not None:
        return f":ref:`{ref} <manifest-{ref}>`"
    if "const" in node:
        return f"the constant ``{node['const']}``"
    if "enum" in node:
        return "one of " + ", ".join(f"``{v}``" for v in node["enum"])
    if "anyOf" in node:
        return " or ".join(_describe_type(form, defs) for form in node["anyOf"])
    kind = node.get("type")
    if kind == "array":
        items = node.get("items", {})
        inner = _describe_type(items, defs) if isinstance(items, dict) else "values"
        text = f"list of {inner}"
        if node.get("uniqueItems"):
            text += ", no duplicates"
        if "minItems" in node:
            text += f", at least {node['minItems']}"
        return text
    if kind == "object":
        return "mapping" if "properties" not in node else "mapping (below)"
    text = {"string": "text", "integer": "integer", "boolean": "boolean"}.get(str(kind), str(kind))
    limits = []
    if "minLength" in node and "maxLength" in node:
        limits.append(f"{node['minLength']} to {node['maxLength']} characters")
    elif node.get("minLength") == 1:
        limits.append("not empty")
    elif "minLength" in node:
        limits.append(f"at least {node['minLength']} characters")
    elif "maxLength" in node:
        limits.append(f"at most {node['maxLength']} characters")
    if "pattern" in node:
        limits.append(f"matching ``{node['pattern']}``")
    if "minimum" in node and "maximum" in node:
        limits.append(f"{node['minimum']} to {node['maximum']}")
    elif "minimum" in node:
        limits.append(f"at least {node['minimum']}")
    return f"{text} ({', '.join(limits)})" if limits else text


def _yaml_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple):
        value = [_plain(v) for v in value]
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000).strip()
    return text.removesuffix("...").strip()


def _plain(value: Any) -> Any:
    """A default as the manifest writes it (an export client rule at its defaults is its
    match)."""
    from storplan.manifest.dump import manifest_value

    return manifest_value(value)


def _spec_defaults(spec: str | None) -> dict[str, str]:
    if spec is None:
        return {}
    from storplan.manifest import spec as specs

    cls = getattr(specs, spec, None)
    if cls is None:
        LOGGER.warning("manifest reference: no spec class %s", spec, type="storplan")
        return {}
    defaults: dict[str, str] = {}
    for field in dataclasses.fields(cls):
        if field.default is not dataclasses.MISSING:
            default = field.default
            defaults[field.name] = "not set" if default is None else f"``{_yaml_value(default)}``"
    return defaults


def _example(key: str, value: Any) -> list[str]:
    if isinstance(value, (dict, list)):
        text = yaml.safe_dump({key: value}, default_flow_style=None, sort_keys=False, width=88)
    else:
        text = f"{key}: {_yaml_value(value)}"
    return ["   .. code-block:: yaml", "", *(f"      {line}" for line in text.splitlines()), ""]


class ManifestReferenceDirective(SphinxDirective):
    """``{storplan-manifest-reference} EXAMPLE.yaml``: every object and key of the language."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        example_file = (
            Path(self.env.doc2path(self.env.docname)).parent / self.arguments[0]
        ).resolve()
        self.env.note_dependency(str(example_file))
        schema = load_schema()
        examples = example_values([example_file])
        sections = []
        for obj in collect(schema):
            title = "The document" if obj.name == DOCUMENT else obj.name
            body = self._object(obj, schema, examples)
            sections.append(make_section(self, title, obj.anchor, body, label=True))
        if "size" in schema.get("$defs", {}):
            sections.append(
                make_section(self, "size", "manifest-size", self._size(schema), label=True)
            )
        return sections

    def _object(
        self, obj: ObjectDoc, schema: dict[str, Any], examples: dict[str, Any]
    ) -> list[str]:
        defs = schema.get("$defs", {})
        lines: list[str] = []
        if obj.name != DOCUMENT and obj.schema.get("description"):
            lines += [markdown_text(obj.schema["description"]), ""]
        elif obj.name == DOCUMENT:
            lines += [markdown_text(schema.get("description", "")), ""]
        if obj.paths != [""]:
            where = ", ".join(f"``{p}``" for p in obj.paths)
            lines += [f"Appears at: {where}.", ""]
        spec = METADATA_SPEC if obj.name == "metadata" else obj.spec
        defaults = _spec_defaults(spec)
        required = set(obj.schema.get("required", ()))
        for key, node in obj.schema.get("properties", {}).items():
            lines += self._key(obj, key, node, defs, defaults, key in required, examples)
        return lines

    def _key(
        self,
        obj: ObjectDoc,
        key: str,
        node: dict[str, Any],
        defs: dict[str, Any],
        defaults: dict[str, str],
        required: bool,
        examples: dict[str, Any],
    ) -> list[str]:
        paths = [f"{p}.{key}" if p else key for p in obj.paths]
        description = node.get("description") or defs.get(_ref_name(node) or "", {}).get(
            "description", ""
        )
        if required:
            default = "required"
        elif key in defaults:
            default = f"default {defaults[key]}"
        elif obj.name.startswith("defaults."):
            default = "not set (the object's own default applies)"
        else:
            default = "optional"
        lines = [f"``{key}``", f"   {markdown_text(description)}", ""]
        lines += [f"   | Type: {_describe_type(node, defs)}; {default}."]
        lines += [f"   | Path: {', '.join(f'``{p}``' for p in paths)}", ""]
        example = next((examples[p] for p in paths if p in examples), None)
        if example is None and not any(p in examples for p in paths):
            LOGGER.warning(
                "manifest reference: no example for %s (add it to %s)",
                paths[0],
                self.arguments[0],
                type="storplan",
                location=(self.env.docname, self.lineno),
            )
        else:
            lines += _example(key, example)
        return lines

    def _size(self, schema: dict[str, Any]) -> list[str]:
        size = schema["$defs"]["size"]
        return [
            markdown_text(size.get("description", "")),
            "See :doc:`/sizes`.",
            "",
            ".. code-block:: yaml",
            "",
            "   size: 100GiB      # 100 x 2^30 bytes",
            "   size: 500GB       # 500 x 10^9 bytes",
            "   size: 1073741824  # bytes",
            "",
        ]
