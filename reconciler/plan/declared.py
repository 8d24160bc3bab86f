"""The keys a manifest's array entry declares, and the ones it protects."""

from __future__ import annotations

from ..keys import Key, ObjectKind
from ..manifest.spec import ArraySpec

__all__ = ["declared_keys", "protected_keys"]

K = ObjectKind


def declared_keys(array: ArraySpec) -> set[str]:
    """Every object the entry names (previous names and replicas included): what prune
    keeps, and what preflight counts as managed."""
    keys = {str(Key.of(K.POOL, p.name)) for p in array.pools}
    keys |= {str(Key.of(K.HOST, h.name)) for h in array.hosts}
    keys |= {str(Key.of(K.HOST, old)) for h in array.hosts for old in h.previous_names}
    for v in array.volumes:
        keys.add(str(Key.of(K.VOLUME, v.name)))
        keys |= {str(Key.of(K.VOLUME, old)) for old in v.previous_names}
        keys |= {str(Key.of(K.VOLUME, r.name)) for r in v.replicas}
        for name in (v.name, *v.previous_names):  # a renamed volume keeps its snapshots
            keys |= {str(Key.of(K.SNAPSHOT, name, s.name)) for s in v.snapshots}
    for f in array.filesystems:
        keys.add(str(Key.of(K.FILESYSTEM, f.name)))
        keys |= {str(Key.of(K.FS_SNAPSHOT, f.name, s.name)) for s in f.snapshots}
    return keys


def protected_keys(array: ArraySpec) -> tuple[str, ...]:
    """Keys of the objects the manifest protects (kept as ownership flags on apply)."""
    keys = [str(Key.of(K.POOL, p.name)) for p in array.pools if p.protect]
    keys += [str(Key.of(K.HOST, h.name)) for h in array.hosts if h.protect]
    for v in array.volumes:
        if v.protect:
            keys.append(str(Key.of(K.VOLUME, v.name)))
        keys += [str(Key.of(K.SNAPSHOT, v.name, s.name)) for s in v.snapshots if s.protect]
    for f in array.filesystems:
        if f.protect:
            keys.append(str(Key.of(K.FILESYSTEM, f.name)))
        keys += [str(Key.of(K.FS_SNAPSHOT, f.name, s.name)) for s in f.snapshots if s.protect]
    return tuple(sorted(keys))
