"""Pruning: deleting what storplan created and the manifest no longer names.

Only objects recorded as owned by storplan (in the state store) are candidates, only when the
array entry says ``prune: true``, and an object that was ``protect``ed when storplan last
applied it stays protected after its entry is removed (Terraform's prevent_destroy lesson).
Dependents are removed first: mappings before volumes and hosts, snapshots before their
volume, exports and snapshots before their file system.
"""

from __future__ import annotations

from ..keys import Key, ObjectKind
from ..manifest.spec import ArraySpec
from .actions import Change
from .builder import ArrayPlan
from .declared import declared_keys

__all__ = ["diff_prune"]

K = ObjectKind
_DELETE = {
    K.SNAPSHOT: "delete_snapshot",
    K.FS_SNAPSHOT: "delete_fs_snapshot",
    K.VOLUME: "delete_volume",
    K.HOST: "delete_access_group",
    K.FILESYSTEM: "delete_filesystem",
    K.EXPORT: "delete_export",
    K.POOL: "delete_pool",
}


def _delete(plan: ArrayPlan, key: Key, before_removal: tuple[Key, ...] = ()) -> None:
    operation = plan.add(
        _DELETE[key.kind],
        _params(key),
        provides=(key,),
        before_removal=before_removal,
        depends_on=(key,),
        changes=(Change(key.kind.value, key.target, None),),
    )
    owned = plan.owned.get(str(key))
    if owned is not None and owned.protect:
        plan.block(
            operation.id,
            f"{key.kind.value} {key.target!r} was protected when storplan last applied it",
        )


def _params(key: Key) -> dict[str, str]:
    """The delete operation's parameters for the object behind ``key``."""
    if key.kind is K.SNAPSHOT:
        return {"volume": key.owner, "snapshot": key.name}
    if key.kind is K.FS_SNAPSHOT:
        return {"filesystem": key.owner, "snapshot": key.name}
    name = {K.HOST: "host", K.EXPORT: "path"}.get(key.kind, key.kind.value)
    return {name: key.name}


def diff_prune(plan: ArrayPlan, array: ArraySpec) -> None:
    """Plan the deletion of owned, undeclared objects (only with ``prune: true``)."""
    if not array.prune:
        return
    declared = declared_keys(array)
    view = plan.view
    gone = [
        Key.parse(k) for k in sorted(plan.owned) if k not in declared and view.lookup(k) is not None
    ]
    if plan.prunable is not None:  # a targeted plan: never outside the target
        plan.unpruned = [str(key) for key in gone if not plan.prunable(key)]
        gone = [key for key in gone if plan.prunable(key)]
    for key in gone:
        if key.kind in (K.SNAPSHOT, K.FS_SNAPSHOT):
            _delete(plan, key)
    for key in gone:
        if key.kind is K.VOLUME:
            unmaps = tuple(plan.unmap(v, h) for (v, h) in sorted(view.mappings) if v == key.name)
            snaps = tuple(
                Key.of(K.SNAPSHOT, v, s) for (v, s) in sorted(view.snapshots) if v == key.name
            )
            _delete(plan, key, unmaps + snaps)
        elif key.kind is K.HOST:
            unmaps = tuple(plan.unmap(v, h) for (v, h) in sorted(view.mappings) if h == key.name)
            _delete(plan, key, unmaps)
        elif key.kind is K.FILESYSTEM:
            filesystem = view.filesystems[key.name]
            exports = []
            for path, export in sorted(view.exports.items()):
                if export.filesystem_id == filesystem.id:
                    export_key = Key.of(K.EXPORT, path)
                    _delete(plan, export_key)
                    exports.append(export_key)
            snaps = tuple(
                Key.of(K.FS_SNAPSHOT, f, s) for (f, s) in sorted(view.fs_snapshots) if f == key.name
            )
            _delete(plan, key, (*exports, *snaps))
    for key in gone:
        if key.kind is K.POOL:
            contents = tuple(k for k in gone if k.kind in (K.VOLUME, K.FILESYSTEM))
            _delete(plan, key, contents)
