"""Checking a document against the JSON Schema, with messages people can act on.

jsonschema finds the problems; this module turns each into a diagnostic at the right position:
an unknown key points at the key and suggests the closest known one, a missing key points at the
mapping that lacks it, a wrong type says what was expected.  YAML 1.1 look-alikes (``no``,
``on``, ``0755``) are reported once each, wherever they stand.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from .diagnostics import Diagnostics
from .integers import check_integers
from .redact import HIDDEN, hide_userinfo, is_secret_path, shown
from .scalars import AmbiguousScalar
from .yamlsource import Document, Path, pointer

# jsonschema is imported only to explain an invalid document: importing it costs more than
# checking a valid 1,000-volume manifest.
if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

__all__ = ["check_ambiguous", "check_schema", "is_schema_valid", "manifest_schema"]

_JSON_TYPES = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    type(None): "nothing (null)",
}
_SECRET_KEYS = {"password", "secret", "passwd", "chap_secret", "token"}


@cache
def manifest_schema() -> dict[str, Any]:
    """The manifest JSON Schema (``schemas/manifest-v1.json``)."""
    from storplan.schemas import load_schema

    return load_schema("manifest-v1")


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(manifest_schema())


@cache
def _fast_check() -> Callable[[Any], Any]:
    """A compiled validator for the common case, a valid document.

    jsonschema explains errors well but takes about a second for a 5,000-volume manifest;
    fastjsonschema compiles the schema to Python and checks the same document several times
    faster, stopping at the first error.  The code is generated at build time into
    :mod:`.schema_compiled` (see :mod:`.schema_codegen`); if that module does not match the
    schema (it was not regenerated), the validator is compiled in memory instead: nothing is
    written to or loaded from a cache.  A test checks that both validators agree on every
    case of the test corpus.
    """
    from storplan.schemas import schema_bytes

    from . import schema_codegen, schema_compiled

    if schema_codegen.digest(schema_bytes("manifest-v1")) == schema_compiled.SCHEMA_DIGEST:
        check: Callable[[Any], Any] = schema_compiled.validate
        return check
    import fastjsonschema  # pragma: no cover - only while the module is stale

    schema = manifest_schema()  # pragma: no cover
    compiled: Callable[[Any], Any] = fastjsonschema.compile(schema_codegen.draft07(schema))
    return compiled  # pragma: no cover


def is_schema_valid(data: Any) -> bool:
    """True if ``data`` satisfies the manifest schema (the fast path).  The compiled module's
    errors (:mod:`.schema_errors`) and fastjsonschema's are both ``ValueError``s; anything
    refused here is explained by jsonschema, so a false refusal could never pass."""
    try:
        _fast_check()(data)
    except ValueError:
        return False
    return True


def _yaml(value: Any) -> str:
    """A value as it would be written in YAML (true, null, 'text')."""
    if isinstance(value, str):
        return repr(str(value))
    return json.dumps(value)


def _kind_of(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _expected(schema: dict[str, Any]) -> str:
    names = schema.get("type")
    types = names if isinstance(names, list) else [names]
    words = {
        "object": "a mapping",
        "array": "a list",
        "string": "text",
        "boolean": "true or false",
        "integer": "a whole number",
        "number": "a number",
    }
    return " or ".join(words.get(t, str(t)) for t in types if t)


class _Reporter:
    def __init__(self, doc: Document, diagnostics: Diagnostics) -> None:
        self.doc = doc
        self.diagnostics = diagnostics

    def add(
        self, code: str, message: str, path: Path, hint: str = "", *, key: bool = False
    ) -> None:
        self.diagnostics.add(code, message, self.doc.mark(path, key=key), hint, pointer(path))

    def report(self, error: ValidationError) -> None:
        path: Path = tuple(error.absolute_path)
        instance: Any = error.instance
        # Every schema of ours is a mapping and every keyword a string (stubs allow more).
        schema: dict[str, Any] = error.schema  # type: ignore[assignment]
        kind = str(error.validator)
        if isinstance(instance, AmbiguousScalar):
            return  # reported once by check_ambiguous
        if schema == manifest_schema()["$defs"]["size"] and self.size(instance, path):
            return
        if kind == "additionalProperties":
            self.unknown_keys(instance, schema, path)
        elif kind == "required":
            missing = [k for k in schema.get("required", []) if k not in instance]
            for key in missing:
                self.add(
                    "schema.missing_key",
                    f"required key {key!r} is missing",
                    path,
                    f"add {key}: ... here",
                )
        elif kind == "type":
            self.add(
                "schema.type",
                f"expected {_expected(schema)}, found {_kind_of(instance)}",
                path,
                schema.get("description", ""),
            )
        elif kind in ("enum", "const"):
            allowed = [_yaml(a) for a in (schema.get("enum") or [schema.get("const")])]
            spelled = shown(instance, path, _yaml)
            import difflib  # only to explain an invalid document

            close = difflib.get_close_matches(spelled, allowed, 1) if spelled != HIDDEN else []
            hint = f"did you mean {close[0]}?" if close else f"choose one of: {', '.join(allowed)}"
            self.add("schema.value", f"{spelled} is not allowed here", path, hint)
        elif kind == "anyOf" and error.context:
            # Explain the branch that matches the value's type (a mapping initiator's problem,
            # not "a mapping is not text").
            branches = schema.get("anyOf", [])
            wanted = "object" if isinstance(instance, dict) else None
            fitting = [
                e
                for e in error.context
                if e.relative_schema_path
                and isinstance(e.relative_schema_path[0], int)
                and e.relative_schema_path[0] < len(branches)
                and branches[e.relative_schema_path[0]].get("type") == wanted
                and len(e.relative_schema_path) > 1
            ]
            if isinstance(instance, dict) and fitting:
                for nested in fitting:  # every problem inside the mapping, not just one
                    self.report(nested)
            else:
                self.add(
                    "schema.type",
                    f"{_kind_of(instance)} is not a valid value here",
                    path,
                    schema.get("description", ""),
                )
        else:
            self.add(
                f"schema.{kind.lower()}",
                self.message(error, path),
                path,
                schema.get("description", ""),
            )

    def size(self, instance: Any, path: Path) -> bool:
        """Explain a size the schema refused as the size parser would (negative, bits,
        exponent notation, ...); False if it has nothing more precise to say."""
        from ..errors import InvalidArgument
        from ..size import Size

        try:
            Size.of(instance)
        except InvalidArgument as exc:
            self.add("value.size", exc.message, path, exc.hint)
            return True
        return False

    def message(self, error: ValidationError, path: Path) -> str:
        kind, value = error.validator, error.validator_value
        spelled = shown(error.instance, path)
        if kind == "pattern":
            return f"{spelled} does not have the expected form"
        if kind in ("minItems", "minLength", "minProperties"):
            return "this must not be empty" if value == 1 else f"needs at least {value} entries"
        if kind == "maxProperties":
            return f"give at most {value} of these keys"
        if kind == "uniqueItems":
            return "the list has duplicate entries"
        if kind in ("minimum", "maximum"):
            spelled = shown(error.instance, path, str)
            return f"{spelled} is {'below' if kind == 'minimum' else 'above'} {value}"
        if is_secret_path(path):  # jsonschema's own messages quote the value
            return f"{HIDDEN} does not satisfy {kind!r} {json.dumps(value)}"
        return hide_userinfo(str(error.message))

    def unknown_keys(self, instance: dict[str, Any], schema: dict[str, Any], path: Path) -> None:
        known = list(schema.get("properties", {}))
        for key in instance:
            if key in known:
                continue
            if key.lower() in _SECRET_KEYS:
                hint = (
                    "secrets are never written in a manifest: reference them, e.g. "
                    "password: {env: ARRAY_PASSWORD} under credentials"
                )
            else:
                import difflib

                close = difflib.get_close_matches(key, known, 1, 0.6)
                hint = (
                    f"did you mean {close[0]!r}?"
                    if close
                    else f"known keys here: {', '.join(known)}"
                )
            self.add("schema.unknown_key", f"unknown key {key!r}", (*path, key), hint, key=True)


def check_schema(doc: Document, diagnostics: Diagnostics) -> None:
    """Validate one document against the manifest schema (and refuse ``1.0`` where it says
    integer: :mod:`.integers`)."""
    check_integers(doc, diagnostics)
    if is_schema_valid(doc.data):
        return
    reporter = _Reporter(doc, diagnostics)
    before = len(diagnostics.items)
    for error in _validator().iter_errors(doc.data):
        reporter.report(error)
    if len(diagnostics.items) == before and not doc.ambiguous:
        # The validators disagree (e.g. on how '$' treats a final newline): never accept
        # silently what the fast one refused.
        try:
            _fast_check()(doc.data)
        except ValueError as exc:  # a JsonSchemaValueException, ours or fastjsonschema's
            steps = (getattr(exc, "path", None) or [])[1:]  # "data", then keys (text indexes)
            where = tuple(int(p) if isinstance(p, str) and p.isdigit() else p for p in steps)
            reporter.add(
                "schema.invalid",
                str(exc),
                where,
                (getattr(exc, "definition", None) or {}).get("description", ""),
            )


def check_ambiguous(doc: Document, diagnostics: Diagnostics) -> None:
    """Report every YAML 1.1 look-alike scalar (the reader noted where they stand)."""
    reported: set[Path] = set()
    for found in doc.ambiguous:
        value = _value_at(doc.data, found)
        path = doc.written_at(found)  # an alias, merge or default: where it is written
        if path in reported:
            continue
        reported.add(path)
        secret = is_secret_path(path)
        spelled = "this value" if secret else f'"{value}"'
        if value.lower() in {"yes", "no", "on", "off", "y", "n"}:
            hint = (
                f"write true or false for a yes/no setting, or quote it ({spelled}) if "
                "you mean the text"
            )
        else:
            hint = f"quote it ({spelled}) for text, or drop the leading zero for a number"
        diagnostics.add(
            "yaml.ambiguous_scalar",
            f"{HIDDEN if secret else repr(value)} means different things in YAML 1.1 and 1.2",
            doc.mark(path),
            hint,
            pointer(path),
        )


def _value_at(data: Any, path: Path) -> Any:
    for step in path:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data
