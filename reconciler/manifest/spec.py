"""The desired state, typed: what a valid manifest means.

Built from validated YAML by :mod:`.build`; written back by :mod:`.dump` (the two are inverse).
Field names are the manifest's keys (a test checks them against the JSON Schema).  Every spec
remembers where it was written (``source``) for later messages; it never affects equality.
Collections are tuples, in manifest order; which of them are sets or keyed lists is documented
in docs/manifests.md and enforced by the semantic checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..credentials import SecretRef
from ..identifiers import InitiatorKind
from ..model.enums import ReplicaKind
from ..model.nas import ExportOptions
from ..size import Size
from .diagnostics import Mark
from .yamlsource import Document, Path

if TYPE_CHECKING:
    from ..monitoring.thresholds import Thresholds

__all__ = [
    "ArraySpec",
    "ChapSpec",
    "CloneSpec",
    "ExportSpec",
    "FileSystemSpec",
    "HostSpec",
    "InitiatorSpec",
    "Manifest",
    "MappingSpec",
    "MutualChapSpec",
    "Origin",
    "PoolSpec",
    "ReplicaSpec",
    "SecretRef",
    "SnapshotSpec",
    "Source",
    "VolumeSpec",
    "where",
    "written",
]


class Source:
    """Where a spec was written: its document and path.  Positions of the spec and its fields
    are looked up only when a message needs them (building them eagerly for every field of a
    large manifest cost more than parsing it).

    A manifest holds one per spec (300,000 for 100,000 mapped volumes), so it is kept small:
    an item of a list is its list's path plus ``(key, index)``, never a tuple of its own, and
    a spec without position overrides holds no dictionary.
    """

    __slots__ = ("_index", "_key", "_prefix", "doc", "overrides")

    def __init__(self, doc: Document, path: Path, overrides: dict[str, Mark] | None = None):
        self.doc = doc
        self._prefix, self._key, self._index = path, "", 0
        self.overrides = overrides

    @classmethod
    def item(cls, doc: Document, parent: Path, key: str, index: int) -> Source:
        """The source of item ``index`` of list ``key`` of the value at ``parent``."""
        source = cls(doc, parent)
        source._key, source._index = key, index
        return source

    @property
    def path(self) -> Path:
        """The spec's path in its document."""
        if not self._key:
            return self._prefix
        return (*self._prefix, self._key, self._index)

    def mark(self, name: str = "") -> Mark:
        """Position of the spec (``name=""``) or of one of its fields."""
        if self.overrides and name in self.overrides:
            return self.overrides[name]
        return self.doc.mark((*self.path, name) if name else self.path)

    def has(self, name: str) -> bool:
        """True if the field was written (or defaulted) in the source."""
        return bool(self.overrides and name in self.overrides) or (
            (*self.path, name) in self.doc.values
        )


def _source() -> Source | None:
    source: Source | None = field(default=None, compare=False, repr=False)
    return source


def written(spec: object, name: str) -> bool:
    """True if field ``name`` of ``spec`` was written in (or defaulted by) its manifest."""
    source: Source | None = getattr(spec, "source", None)
    return source is not None and source.has(name)


def where(spec: object, name: str = "") -> Mark:
    """The position of ``spec`` (or of one of its fields) in its manifest."""
    source: Source | None = getattr(spec, "source", None)
    return source.mark(name) if source is not None else Mark("<manifest>")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request or plan action comes from: the spec, and which of its fields each
    parameter was written as (``{"volume": "name"}``); only for messages."""

    spec: object
    fields: tuple[tuple[str, str], ...] = ()

    def mark(self, param: str = "") -> Mark:
        """The manifest position of ``param`` (or of the spec, when it was not written)."""
        name = dict(self.fields).get(param, param)
        if name and written(self.spec, name):
            return where(self.spec, name)
        return where(self.spec)


@dataclass(frozen=True, slots=True)
class MutualChapSpec:
    """The user and secret the target answers with (mutual CHAP)."""

    user: str
    secret: SecretRef


@dataclass(frozen=True, slots=True)
class ChapSpec:
    user: str
    secret: SecretRef
    mutual: MutualChapSpec | None = None


@dataclass(frozen=True, slots=True)
class InitiatorSpec:
    id: str  # canonical form
    kind: InitiatorKind
    chap: ChapSpec | None = None
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class PoolSpec:
    name: str
    disks: tuple[str, ...] = ()
    protect: bool = False
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class HostSpec:
    name: str
    initiators: tuple[InitiatorSpec, ...] = ()
    protect: bool = False
    previous_names: tuple[str, ...] = ()
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class MappingSpec:
    host: str
    lun: int | None = None
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class SnapshotSpec:
    name: str
    protect: bool = False
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class ReplicaSpec:
    name: str
    kind: ReplicaKind = ReplicaKind.CLONE
    pool: str | None = None
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class VolumeSpec:
    name: str
    pool: str
    size: Size
    thin: bool = True
    mappings: tuple[MappingSpec, ...] = ()
    snapshots: tuple[SnapshotSpec, ...] = ()
    replicas: tuple[ReplicaSpec, ...] = ()
    protect: bool = False
    allow_shrink: bool = False
    previous_names: tuple[str, ...] = ()
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class ExportSpec(ExportOptions):
    """An export: its path and the :class:`~storplan.model.ExportOptions` it wants (the
    manifest's export-level ``access``/``squash`` defaults are already applied to every client
    rule)."""

    path: str
    protect: bool = False
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class CloneSpec:
    """Where a file-system clone starts from: snapshot ``snapshot`` of file system
    ``filesystem`` (declared in the same array entry)."""

    filesystem: str
    snapshot: str
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class FileSystemSpec:
    """A file system; a clone's ``pool`` is its source's, and its ``size`` is ``None`` when
    the manifest leaves it to the snapshot."""

    name: str
    pool: str
    size: Size | None
    snapshots: tuple[SnapshotSpec, ...] = ()
    exports: tuple[ExportSpec, ...] = ()
    protect: bool = False
    allow_shrink: bool = False
    previous_names: tuple[str, ...] = ()
    clone_of: CloneSpec | None = None
    source: Source | None = _source()


@dataclass(frozen=True, slots=True)
class ArraySpec:
    name: str
    provider: str
    credentials: SecretRef | None = None
    system: str | None = None
    prune: bool = False
    allow_empty: bool = False
    pools: tuple[PoolSpec, ...] = ()
    hosts: tuple[HostSpec, ...] = ()
    volumes: tuple[VolumeSpec, ...] = ()
    filesystems: tuple[FileSystemSpec, ...] = ()
    monitoring: Thresholds | None = None  # its monitoring: thresholds: (docs/monitoring.md)
    source: Source | None = _source()

    @property
    def is_empty(self) -> bool:
        """True when the entry declares nothing to manage."""
        return not (self.pools or self.hosts or self.volumes or self.filesystems)


@dataclass(frozen=True, slots=True)
class Manifest:
    """The whole desired state: one or more arrays, from one or more files."""

    name: str
    arrays: tuple[ArraySpec, ...]
    description: str = ""

    def array(self, name: str) -> ArraySpec:
        """The array entry called ``name``."""
        for array in self.arrays:
            if array.name == name:
                return array
        raise KeyError(name)
