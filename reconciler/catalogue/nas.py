"""Catalogue entries of NAS storage: file systems, their snapshots and NFS exports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..keys import Key, ObjectKind
from ..model.enums import Access, Capability, ElementType
from ..model.nas import EXPORT_OPTION_FIELDS, ExportOptions, Squash
from . import checks
from .base import (
    Arg,
    ArgKind,
    Context,
    Finding,
    Learn,
    Operation,
    Param,
    Params,
    Risk,
    Verb,
    always,
    exists,
    fixed,
    key_of,
)
from .common import NONE, deletion, ref, snapshot_family, value

__all__ = ["NAS_OPERATIONS", "export_needs", "export_risk"]

K, C = ObjectKind, Capability
_OPTION_PARAMS = (
    Param("clients", list),
    Param("anon_uid", (int, NONE)),
    Param("anon_gid", (int, NONE)),
    Param("security", list),
    Param("sync", bool),
    Param("nfs_versions", list),
)
assert tuple(p.name for p in _OPTION_PARAMS) == EXPORT_OPTION_FIELDS


def export_needs(params: Params, _live: Any = None) -> Iterable[Capability]:
    """The capabilities an export with these options needs."""
    options = ExportOptions.from_dict(dict(params))
    yield C.NFS_EXPORTS
    squash = {c.squash for c in options.clients}
    if Squash.NONE in squash:
        yield C.NFS_ROOT_SQUASH
    if Squash.ALL in squash:
        yield C.NFS_ALL_SQUASH
    if len({(c.access, c.squash) for c in options.clients}) > 1:
        yield C.NFS_CLIENT_RULES
    if options.anon_uid is not None or options.anon_gid is not None:
        yield C.NFS_ANON_IDS
    if options.security != ("sys",):
        yield C.NFS_SECURITY
    if not options.sync:
        yield C.NFS_ASYNC
    if options.nfs_versions:
        yield C.NFS_VERSIONS


_SQUASH_STRENGTH = {Squash.NONE: 0, Squash.ROOT: 1, Squash.ALL: 2}


def export_risk(params: Params, live: Any) -> Risk:
    """Changing an export is disruptive when it takes access away from a client: a client
    removed, read-write made read-only, more squashing, a security flavour or NFS version
    dropped, other anonymous ids; widening access is safe."""
    if live is None:
        return Risk.SAFE
    new = ExportOptions.from_dict(dict(params))
    before = {c.match: c for c in live.clients}
    after = {c.match: c for c in new.clients}
    for match, old in before.items():
        rule = after.get(match)
        if rule is None:
            return Risk.DISRUPTIVE
        if old.access is Access.RW and rule.access is Access.RO:
            return Risk.DISRUPTIVE
        if _SQUASH_STRENGTH[rule.squash] > _SQUASH_STRENGTH[old.squash]:
            return Risk.DISRUPTIVE
    if not set(live.security) <= set(new.security):
        return Risk.DISRUPTIVE
    if new.nfs_versions and not set(live.nfs_versions or ("*",)) <= set(new.nfs_versions):
        return Risk.DISRUPTIVE
    if (live.anon_uid, live.anon_gid) != (new.anon_uid, new.anon_gid):
        return Risk.DISRUPTIVE
    return Risk.SAFE


def _export_settled(params: Params, live: Any) -> bool:
    found = live(Key.of(K.EXPORT, params["path"]))
    return found is not None and found.options() == ExportOptions.from_dict(dict(params))


def _grows(params: Params, live: Any) -> bool:
    return live is None or params["size"] >= live.size


def _clone_source(params: Params, ctx: Context) -> Iterable[Finding]:
    """The snapshot to clone must exist, or be made by the same plan."""
    key = Key.of(K.FS_SNAPSHOT, params["source"], params["snapshot"])
    if ctx.live(key) is None and ctx.planned(key) is None:
        yield Finding(
            "snapshot",
            f"file system {params['source']!r} has no snapshot {params['snapshot']!r} to clone",
            "declare it under that file system's snapshots, or clone one it has",
            "ref.fs_snapshot",
        )


def _clone_size(params: Params, ctx: Context) -> Iterable[Finding]:
    """A clone starts as big as its source: a smaller size would be a shrink."""
    size = params.get("size")
    if size is None:
        return
    source = ctx.live(Key.of(K.FILESYSTEM, params["source"]))
    planned = ctx.planned(Key.of(K.FILESYSTEM, params["source"]))
    have = source.size if source is not None else (planned or {}).get("size")
    if have is not None and size < have:
        yield Finding(
            "size",
            f"a clone of {params['source']!r} cannot be smaller than it ({have} bytes)",
            "leave the size out, or give at least the source's size",
            "filesystem.clone_size",
        )


def _resized(params: Params, live: Any) -> bool:
    found = live(Key.of(K.FILESYSTEM, params["filesystem"]))
    return found is not None and found.size == params["size"]


_FS = key_of(K.FILESYSTEM, "filesystem")
_FS_SNAPSHOT = key_of(K.FS_SNAPSHOT, "filesystem", "snapshot")
_EXPORT = key_of(K.EXPORT, "path")
_OPTIONS = Arg(ArgKind.OPTIONS, EXPORT_OPTION_FIELDS)

NAS_OPERATIONS = (
    Operation(
        name="create_filesystem",
        kind=K.FILESYSTEM,
        verb=Verb.CREATE,
        rank=140,
        summary="create a file system",
        params=(Param("filesystem", str), Param("pool", str), Param("size", int)),
        args=(ref(K.POOL, "pool"), value("filesystem"), value("size")),
        target=_FS,
        needs=fixed(C.FILESYSTEMS),
        risk=always(Risk.SAFE),
        settled=exists(_FS),
        learn=Learn.RESULT,
        limit_checks=checks.name_allowed("file system", "filesystem"),
        checks=(checks.pool_holds(ElementType.FILESYSTEM),),
        owns=True,
    ),
    Operation(
        name="resize_filesystem",
        kind=K.FILESYSTEM,
        verb=Verb.UPDATE,
        rank=150,
        summary="grow or shrink a file system",
        params=(Param("filesystem", str), Param("size", int)),
        args=(ref(K.FILESYSTEM, "filesystem"), value("size")),
        target=_FS,
        needs=lambda p, live: (C.FS_GROW if _grows(p, live) else C.FS_SHRINK,),
        risk=lambda p, live: Risk.SAFE if _grows(p, live) else Risk.DESTRUCTIVE,
        settled=_resized,
        learn=Learn.RESULT,
    ),
    deletion(
        "delete_filesystem",
        K.FILESYSTEM,
        210,
        "delete a file system and all its data",
        "filesystem",
        C.FILESYSTEMS,
        Risk.DESTRUCTIVE,
    ),
    *snapshot_family(
        K.FS_SNAPSHOT,
        K.FILESYSTEM,
        "filesystem",
        "fs_snapshot",
        (160, 190, 260),
        (C.FS_SNAPSHOTS, C.FS_SNAPSHOT_RESTORE),
        "changes made",
    ),
    Operation(
        name="create_fs_clone",
        kind=K.FILESYSTEM,
        verb=Verb.CREATE,
        rank=165,
        summary="clone a file system snapshot into a new, writable file system",
        params=(
            Param("filesystem", str),
            Param("source", str),
            Param("snapshot", str),
            Param("size", (int, NONE)),
        ),
        args=(ref(K.FS_SNAPSHOT, "source", "snapshot"), value("filesystem"), value("size")),
        target=_FS,
        needs=fixed(C.FS_CLONES),
        risk=always(Risk.SAFE),
        settled=exists(_FS),
        learn=Learn.RESULT,
        limit_checks=checks.name_allowed("file system", "filesystem"),
        checks=(_clone_source, _clone_size),
        owns=True,
    ),
    Operation(
        name="create_export",
        kind=K.EXPORT,
        verb=Verb.CREATE,
        rank=170,
        summary="export a file system over NFS",
        params=(Param("filesystem", str), Param("path", str), *_OPTION_PARAMS),
        args=(ref(K.FILESYSTEM, "filesystem"), value("path"), _OPTIONS),
        target=_EXPORT,
        needs=export_needs,
        risk=always(Risk.SAFE),
        settled=_export_settled,
        learn=Learn.RESULT,
        limit_checks=checks.all_of(checks.export_path_absolute, checks.export_options_valid),
    ),
    Operation(
        name="modify_export",
        kind=K.EXPORT,
        verb=Verb.UPDATE,
        rank=30,
        summary="change the options of an NFS export",
        params=(Param("path", str), *_OPTION_PARAMS),
        args=(ref(K.EXPORT, "path"), _OPTIONS),
        target=_EXPORT,
        needs=export_needs,
        risk=export_risk,
        settled=_export_settled,
        learn=Learn.RESULT,
        limit_checks=checks.export_options_valid,
    ),
    deletion(
        "delete_export",
        K.EXPORT,
        20,
        "stop exporting a path (its clients lose access)",
        "path",
        C.NFS_EXPORTS,
        Risk.DISRUPTIVE,
        owns=False,
    ),
)
