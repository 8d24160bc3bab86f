"""Loading manifests: files and directories in, a validated :class:`Manifest` out.

The pipeline, per document: strict YAML (:mod:`.yamlsource`) → version check → ``defaults:``
(:mod:`.defaults`) → JSON Schema (:mod:`.schema_check`) → typed specs (:mod:`.build`); then,
for all documents together: merge arrays by name → cross checks (:mod:`.semantic`) → provider
checks unless offline.  Every problem is collected; nothing touches an array except, when not
offline, a read-only connection to ask for capabilities and limits.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..collector import collector_paused
from .build import build_arrays
from .defaults import apply_defaults
from .diagnostics import Diagnostic, Diagnostics, ManifestError, Mark
from .schema_check import check_ambiguous, check_schema
from .semantic import ProviderFacts, check_manifest, check_providers
from .spec import ArraySpec, Manifest, Source, where, written
from .yamlsource import Document, read_documents

if TYPE_CHECKING:
    from ..session import Session

__all__ = [
    "API_VERSION",
    "KIND",
    "Validation",
    "connect_array",
    "load_manifest",
    "manifest_files",
    "validate",
]

API_VERSION = "storplan.io/v1"
KIND = "StorageState"
SUFFIXES = (".yaml", ".yml")  # compared in lower case: .YAML and .Yml are manifests too
# Above this much YAML, what was loaded is frozen out of the garbage collector's sight.
_FREEZE_BYTES = 1 << 20
Connector = Callable[[ArraySpec], "Session"]


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of validating manifests: the manifest (if valid) and every diagnostic."""

    manifest: Manifest | None
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return self.manifest is not None


def _walk(
    top: str, found: list[str], seen: dict[tuple[int, int], str], diagnostics: Diagnostics
) -> None:
    """Collect the manifest files under ``top``, following symlinked directories; a directory
    reached a second time (a symlink loop, or two links to one directory) is an error."""
    try:
        status = os.stat(top)
        entries = sorted(os.scandir(top), key=lambda e: e.name)
    except OSError as exc:
        diagnostics.add(
            "file.unreadable",
            f"cannot read the directory: {exc.strerror or exc}",
            Mark(top),
            "check its permissions: every manifest under a directory must be read",
        )
        return
    identity = (status.st_dev, status.st_ino)
    if identity in seen:
        diagnostics.add(
            "file.symlink_loop",
            f"this directory was already read as {seen[identity]}",
            Mark(top),
            "a symlink loops, or links a directory twice: remove the link, or name the "
            "directory once",
        )
        return
    seen[identity] = top
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden: .git, editor files
        path = os.path.join(top, entry.name)
        try:
            is_dir = entry.is_dir()  # follows symlinks
        except OSError:
            is_dir = False
        if is_dir:
            _walk(path, found, seen, diagnostics)
        elif entry.name.lower().endswith(SUFFIXES):
            found.append(path)  # whatever it is: reading it says if it is not a file


def manifest_files(paths: Sequence[str | os.PathLike[str]], diagnostics: Diagnostics) -> list[str]:
    """The YAML files named, or found in the directories named: recursively, following
    symlinked directories, suffixes ``.yaml``/``.yml`` in any case, hidden entries skipped,
    sorted by path."""
    found: list[str] = []
    for path in [os.fspath(p) for p in paths]:
        if os.path.isdir(path):
            inside: list[str] = []
            _walk(path, inside, {}, diagnostics)
            if not inside:
                diagnostics.add(
                    "file.none",
                    "no .yaml or .yml files in this directory",
                    Mark(path),
                    "point at a manifest file or a directory of them",
                )
            found += sorted(inside)
        elif os.path.lexists(path):
            found.append(path)
        else:
            diagnostics.add("file.missing", "no such file or directory", Mark(path))
    return found


def _check_version(doc: Document, diagnostics: Diagnostics) -> bool:
    data = doc.data
    if not isinstance(data, dict):
        diagnostics.add(
            "manifest.not_mapping",
            "a manifest document must be a mapping",
            doc.mark(()),
            f"start it with apiVersion: {API_VERSION}",
        )
        return False
    version, kind = data.get("apiVersion"), data.get("kind")
    if version is not None and version != API_VERSION:
        diagnostics.add(
            "manifest.version",
            f"unknown apiVersion {version!r}",
            doc.mark(("apiVersion",)),
            f"this storplan reads apiVersion: {API_VERSION}",
        )
        return False
    if kind is not None and kind != KIND:
        diagnostics.add(
            "manifest.kind",
            f"unknown kind {kind!r}",
            doc.mark(("kind",)),
            f"a storplan manifest has kind: {KIND}",
        )
        return False
    return True


def _merge(arrays: list[tuple[int, ArraySpec]], diagnostics: Diagnostics) -> list[ArraySpec]:
    """Arrays keyed by name: entries from different documents merge, lists concatenated;
    the same name twice in one document, or conflicting settings, are errors."""
    merged: dict[str, tuple[int, ArraySpec]] = {}
    for origin, array in arrays:
        if array.name not in merged:
            merged[array.name] = (origin, array)
            continue
        first_origin, first = merged[array.name]
        if first_origin == origin:
            diagnostics.add(
                "name.duplicate",
                f"array {array.name!r} is declared twice",
                where(array),
                f"the first is at {where(first)}; merge the entries",
            )
            continue
        changes: dict[str, object] = {}
        base = first.source
        overrides = dict(base.overrides or {}) if base is not None else {}
        for field in ("provider", "credentials", "system", "prune", "allow_empty", "monitoring"):
            mine, theirs = getattr(array, field), getattr(first, field)
            mine_set, theirs_set = written(array, field), written(first, field)
            if mine_set and theirs_set and mine != theirs:
                diagnostics.add(
                    "array.conflict",
                    f"array {array.name!r} sets {field} "
                    f"differently here and at {where(first, field)}",
                    where(array, field),
                    "set it in one file only",
                )
            elif mine_set and not theirs_set:
                changes[field] = mine
                overrides[field] = where(array, field)
        for field in ("pools", "hosts", "volumes", "filesystems"):
            changes[field] = getattr(first, field) + getattr(array, field)
        source = Source(base.doc, base.path, overrides) if base is not None else None
        merged[array.name] = (first_origin, dataclasses.replace(first, source=source, **changes))  # type: ignore[arg-type]
    for _, array in merged.values():
        if not written(array, "provider"):
            diagnostics.add(
                "schema.missing_key",
                f"array {array.name!r} has no provider",
                where(array),
                "add provider: <URI> to one of its entries",
            )
    return [array for _, array in merged.values()]


def connect_array(array: ArraySpec) -> Session:
    """A session to the array an entry names, with the password its credentials reference."""
    from ..session import connect

    return connect(array.provider, credentials=array.credentials)


def _provider_facts(
    manifest: Manifest, diagnostics: Diagnostics, connector: Connector
) -> dict[str, ProviderFacts]:
    from ..fleet import Failed, each

    def ask(array: ArraySpec) -> ProviderFacts:
        with connector(array) as session:
            return ProviderFacts(session.capabilities, session.limits)

    facts: dict[str, ProviderFacts] = {}
    for array, outcome in zip(manifest.arrays, each(manifest.arrays, ask), strict=True):
        if isinstance(outcome, Failed):
            diagnostics.add(
                "provider.unreachable",
                f"cannot ask array {array.name!r} for its capabilities: {outcome.error.message}",
                where(array, "provider"),
                "check the URI and credentials, or validate with --offline",
            )
        else:
            facts[array.name] = outcome
    return facts


def validate(
    paths: Sequence[str | os.PathLike[str]],
    *,
    offline: bool = False,
    connector: Connector = connect_array,
) -> Validation:
    """Load and check manifests; never raises for bad input, it reports it."""
    sizes: list[int] = []
    with collector_paused(freeze_if=lambda: sum(sizes) > _FREEZE_BYTES):
        return _validate(paths, sizes, offline, connector)


def _validate(
    paths: Sequence[str | os.PathLike[str]], sizes: list[int], offline: bool, connector: Connector
) -> Validation:
    diagnostics = Diagnostics()
    documents: list[Document] = []
    arrays: list[tuple[int, ArraySpec]] = []
    name = description = ""
    for file in manifest_files(paths, diagnostics):
        try:
            read = read_documents(file)
            documents += read
            sizes += [read[0].size] if read else []
        except ManifestError as exc:
            diagnostics.items += exc.diagnostics
    built_all = True  # every document got past the schema, so specs exist for everything
    for origin, doc in enumerate(documents):
        before = len(diagnostics.errors)
        if not _check_version(doc, diagnostics):
            built_all = False
            continue
        apply_defaults(doc)
        check_schema(doc, diagnostics)
        check_ambiguous(doc, diagnostics)
        if len(diagnostics.errors) == before:
            metadata = doc.data.get("metadata") or {}
            name = name or metadata.get("name", "")
            description = description or metadata.get("description", "")
            arrays += [(origin, a) for a in build_arrays(doc, diagnostics)]
            doc.release()  # from here on the specs are used, not the data
        else:
            built_all = False
    if not documents and not diagnostics.errors:
        diagnostics.add(
            "manifest.empty",
            "no manifest documents found",
            Mark(", ".join(os.fspath(p) for p in paths) or "."),
            "a manifest starts with apiVersion: storplan.io/v1",
        )
    manifest = Manifest(name or "storplan", tuple(_merge(arrays, diagnostics)), description)
    if built_all:  # bad values (sizes, initiators) do not hide reference or name problems
        check_manifest(manifest, diagnostics)
    if not diagnostics.errors and not offline:
        check_providers(manifest, _provider_facts(manifest, diagnostics, connector), diagnostics)
    for doc in documents:  # those that were not built (the others already are)
        doc.release()
    # A mistake copied by an alias, a merge or defaults: is reported once, where it is written.
    unique = {(d.code, d.mark, d.message): d for d in diagnostics.items}
    diagnostics.items = list(unique.values())
    ordered = sorted(diagnostics.items, key=Diagnostic.sort_key)
    return Validation(None if diagnostics.errors else manifest, ordered)


def load_manifest(
    paths: Sequence[str | os.PathLike[str]],
    *,
    offline: bool = False,
    connector: Connector = connect_array,
) -> Manifest:
    """Load and check manifests.

    Raises:
        ManifestError: with every diagnostic, if any of them is an error.
    """
    result = validate(paths, offline=offline, connector=connector)
    if result.manifest is None:
        raise ManifestError(result.diagnostics)
    return result.manifest
