"""From schema-valid YAML data to typed specs, parsing the values the schema cannot check.

Sizes are parsed with :class:`~storplan.size.Size`, initiators canonicalized, provider URIs
parsed (a password in a URI is an error).  Each problem becomes a diagnostic at the value's
position; the spec is still built so that later checks can report more.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument
from ..identifiers import InitiatorKind, canonical_initiator, check_client
from ..model.enums import ReplicaKind
from ..model.nas import EXPORT_OPTION_FIELDS, ExportOptions, Squash
from ..size import Size
from ..uri import parse_uri
from .diagnostics import Diagnostics, Mark
from .spec import (
    ArraySpec,
    ChapSpec,
    CloneSpec,
    ExportSpec,
    FileSystemSpec,
    HostSpec,
    InitiatorSpec,
    MappingSpec,
    MutualChapSpec,
    PoolSpec,
    ReplicaSpec,
    SecretRef,
    SnapshotSpec,
    Source,
    VolumeSpec,
)
from .yamlsource import Document, Path, pointer

if TYPE_CHECKING:
    from ..monitoring.thresholds import Thresholds

__all__ = ["build_arrays"]


class _Builder:
    def __init__(self, doc: Document, diagnostics: Diagnostics) -> None:
        self.doc = doc
        self.diagnostics = diagnostics
        self.sizes: dict[str, Size] = {}  # sizes repeat: parse each text once, share the Size

    def source(self, path: Path) -> Source:
        return Source(self.doc, path)

    def item(self, parent: Path, key: str, index: int) -> Source:
        """The source of item ``index`` of list ``key`` under ``parent`` (no path tuple)."""
        return Source.item(self.doc, parent, key, index)

    def error(self, code: str, message: str, path: Path, hint: str = "") -> None:
        self.diagnostics.add(code, message, self.doc.mark(path), hint, pointer(path))

    def size(self, value: Any, path: Path) -> Size:
        known = self.sizes.get(value) if value.__class__ is str else None
        if known is not None:
            return known
        try:
            size = Size.of(value)
        except InvalidArgument as exc:
            self.error("value.size", exc.message, path, exc.hint)
            return Size(0)
        if size == 0:
            self.error(
                "value.size",
                "a size must be larger than zero",
                path,
                "write the size with a unit, e.g. 100GiB",
            )
        elif value.__class__ is str:
            self.sizes[value] = size
        return size

    def secret(self, data: dict[str, Any]) -> SecretRef:
        return SecretRef(
            env=data.get("env"), file=data.get("file"), prompt=bool(data.get("prompt", False))
        )

    def initiator(self, value: Any, path: Path) -> InitiatorSpec | None:
        data = value if isinstance(value, dict) else {"id": value}
        where = (*path, "id") if isinstance(value, dict) else path
        try:
            kind, canonical = canonical_initiator(data["id"])
        except InvalidArgument as exc:
            self.error("value.initiator", exc.message, where, exc.hint)
            return None
        chap = data.get("chap")
        if not chap:
            return InitiatorSpec(canonical, InitiatorKind(kind), source=self.source(where))
        mutual = chap.get("mutual")
        return InitiatorSpec(
            canonical,
            InitiatorKind(kind),
            ChapSpec(
                chap["user"],
                self.secret(chap["secret"]),
                MutualChapSpec(mutual["user"], self.secret(mutual["secret"])) if mutual else None,
            ),
            source=Source(self.doc, where, self._chap_marks(path, chap)),
        )

    def _chap_marks(self, path: Path, chap: dict[str, Any]) -> dict[str, Mark]:
        """Positions of an initiator's CHAP settings (its spec is positioned at its id), so
        that a message about a secret points at that secret (only initiators with CHAP)."""
        fields: list[tuple[str, tuple[str, ...]]] = [
            ("chap", ()),
            ("chap.user", ("user",)),
            ("chap.secret", ("secret",)),
        ]
        if chap.get("mutual"):
            fields += [("chap.mutual.user", ("mutual", "user"))]
            fields += [("chap.mutual.secret", ("mutual", "secret"))]
        return {name: self.doc.mark((*path, "chap", *rest)) for name, rest in fields}

    def snapshots(self, items: list[dict[str, Any]], owner: Path) -> tuple[SnapshotSpec, ...]:
        """The ``snapshots`` list of the volume or file system at ``owner``."""
        return tuple(
            SnapshotSpec(
                s["name"], s.get("protect", False), source=self.item(owner, "snapshots", i)
            )
            for i, s in enumerate(items)
        )

    def volume(self, data: dict[str, Any], path: Path) -> VolumeSpec:
        maps = data.get("mappings", [])
        replicas = data.get("replicas", [])
        return VolumeSpec(
            name=data["name"],
            pool=data["pool"],
            size=self.size(data["size"], (*path, "size")),
            thin=data.get("thin", True),
            mappings=tuple(
                MappingSpec(m["host"], m.get("lun"), source=self.item(path, "mappings", i))
                for i, m in enumerate(maps)
            ),
            snapshots=self.snapshots(data.get("snapshots", []), path),
            replicas=tuple(
                ReplicaSpec(
                    r["name"],
                    ReplicaKind(r.get("kind", "clone")),
                    r.get("pool"),
                    source=self.source((*path, "replicas", i)),
                )
                for i, r in enumerate(replicas)
            ),
            protect=data.get("protect", False),
            allow_shrink=data.get("allow_shrink", False),
            previous_names=tuple(data.get("previous_names", ())),
            source=self.source(path),
        )

    def export(self, data: dict[str, Any], path: Path) -> ExportSpec:
        """An export spec; string clients and client rules without ``access``/``squash`` take
        the export's defaults (``access``, and ``squash`` or the older ``root_squash``)."""
        access = data.get("access", "rw")
        if "squash" in data:  # the newer spelling wins (a default may give the other one)
            squash = data["squash"]
        else:
            squash = Squash.ROOT if data.get("root_squash", True) else Squash.NONE
        seen: set[str] = set()
        for i, client in enumerate(data.get("clients", ["*"])):
            match = client if isinstance(client, str) else client["match"]
            try:
                check_client(match)
            except InvalidArgument as exc:
                where = (
                    (*path, "clients", i)
                    if isinstance(client, str)
                    else (*path, "clients", i, "match")
                )
                self.error("export.client", exc.message, where, exc.hint)
            if match in seen:
                self.error(
                    "export.duplicate_client",
                    f"client {match!r} of export {data['path']!r} is listed twice",
                    (*path, "clients", i),
                    "clients are keyed by match: keep one rule per client",
                )
            seen.add(match)
        rules = [
            {"match": c, "access": access, "squash": squash}
            if isinstance(c, str)
            else {"access": access, "squash": squash, **c}
            for c in data.get("clients", ["*"])
        ]
        options = ExportOptions.canonical(
            clients=rules,
            anon_uid=data.get("anon_uid"),
            anon_gid=data.get("anon_gid"),
            security=data.get("security", ("sys",)),
            sync=data.get("sync", True),
            nfs_versions=[str(v) for v in data.get("nfs_versions", ())],
        )
        return ExportSpec(
            path=data["path"],
            protect=data.get("protect", False),
            source=self.source(path),
            **{name: getattr(options, name) for name in EXPORT_OPTION_FIELDS},
        )

    def filesystem(self, data: dict[str, Any], path: Path) -> FileSystemSpec:
        clone = data.get("clone_of")
        return FileSystemSpec(
            name=data["name"],
            pool=data.get("pool", ""),
            size=self.size(data["size"], (*path, "size")) if "size" in data else None,
            snapshots=self.snapshots(data.get("snapshots", []), path),
            exports=tuple(
                self.export(e, (*path, "exports", i)) for i, e in enumerate(data.get("exports", []))
            ),
            protect=data.get("protect", False),
            allow_shrink=data.get("allow_shrink", False),
            previous_names=tuple(data.get("previous_names", ())),
            clone_of=None
            if clone is None
            else CloneSpec(
                clone["filesystem"], clone["snapshot"], source=self.source((*path, "clone_of"))
            ),
            source=self.source(path),
        )

    def host(self, data: dict[str, Any], path: Path) -> HostSpec:
        found = (
            self.initiator(v, (*path, "initiators", i))
            for i, v in enumerate(data.get("initiators", []))
        )
        return HostSpec(
            data["name"],
            tuple(i for i in found if i is not None),
            data.get("protect", False),
            tuple(data.get("previous_names", ())),
            source=self.source(path),
        )

    def thresholds(self, data: dict[str, Any], path: Path) -> Thresholds | None:
        """The array's ``monitoring: thresholds:`` (``None`` when it has none)."""
        given = data.get("monitoring", {}).get("thresholds")
        if given is None:
            return None
        from ..monitoring.thresholds import Thresholds

        for name, levels in given.items():
            warning, critical = levels.get("warning"), levels.get("critical")
            if warning is not None and critical is not None and warning > critical:
                self.error(
                    "value.threshold",
                    f"threshold {name}: the warning level {warning} is above the critical "
                    f"{critical}",
                    (*path, "monitoring", "thresholds", name),
                    "warning is the lower level",
                )
        return Thresholds.from_mapping(given)

    def array(self, data: dict[str, Any], path: Path) -> ArraySpec:
        try:
            parse_uri(data.get("provider", "unset://"))
        except InvalidArgument as exc:
            self.error("value.provider", exc.message, (*path, "provider"), exc.hint)
        credentials = data.get("credentials")
        lists: dict[str, Any] = {}
        for key, build in (
            ("hosts", self.host),
            ("volumes", self.volume),
            ("filesystems", self.filesystem),
        ):
            lists[key] = tuple(
                build(item, (*path, key, i)) for i, item in enumerate(data.get(key, []))
            )
        lists["filesystems"] = inherit_clone_pools(lists["filesystems"])
        pools = tuple(
            PoolSpec(
                p["name"],
                tuple(p.get("disks", ())),
                p.get("protect", False),
                source=self.source((*path, "pools", i)),
            )
            for i, p in enumerate(data.get("pools", []))
        )
        return ArraySpec(
            name=data["name"],
            provider=data.get("provider", ""),
            credentials=self.secret(credentials["password"]) if credentials else None,
            system=data.get("system"),
            prune=data.get("prune", False),
            allow_empty=data.get("allow_empty", False),
            monitoring=self.thresholds(data, path),
            pools=pools,
            source=self.source(path),
            **lists,
        )


def inherit_clone_pools(filesystems: tuple[FileSystemSpec, ...]) -> tuple[FileSystemSpec, ...]:
    """The file systems with each clone that names no pool given its source's (through
    chains of clones; a source not declared, or a cycle, leaves it empty for the semantic
    checks to report)."""
    by_name = {f.name: f for f in filesystems}

    def pool_of(fs: FileSystemSpec, seen: frozenset[str]) -> str:
        if fs.pool or fs.clone_of is None or fs.name in seen:
            return fs.pool
        source = by_name.get(fs.clone_of.filesystem)
        return "" if source is None else pool_of(source, seen | {fs.name})

    return tuple(
        replace(f, pool=pool_of(f, frozenset())) if f.clone_of and not f.pool else f
        for f in filesystems
    )


def build_arrays(doc: Document, diagnostics: Diagnostics) -> list[ArraySpec]:
    """The array specs of one schema-valid document."""
    builder = _Builder(doc, diagnostics)
    return [builder.array(item, ("arrays", i)) for i, item in enumerate(doc.data["arrays"])]
