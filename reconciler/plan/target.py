"""Targeted plans: ``--target ADDRESS`` and ``--array NAME``.

An address names an array entry (``array1``) or one object of it
(``array1/volume/db01-data``, ``array1/host/db01``, ``array1/filesystem/home``,
``array1/pool/ssd``).  A targeted plan covers only the addressed objects **and what they
require**: a volume brings its pool (and its replicas' pools) and the hosts it is mapped to,
a file system its pool; a replica's address brings its source volume's entry.  Required
objects are planned in full, as Terraform's ``-target`` does.  Everything else is "not
planned (outside the target)", listed in the plan; prune considers only owned objects inside
the target (an addressed object, or a snapshot of one).  ``--array NAME`` is the target
``NAME``: one array of a multi-file layout, with every file that declares it still read.

What the manifest protects is still taken from the whole entry (:func:`.declared
.protected_keys` of the full entry), so a targeted apply never drops a protect flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import InvalidArgument
from ..keys import Key, ObjectKind
from ..manifest.spec import ArraySpec, Manifest, where

__all__ = ["EVERYTHING", "KINDS", "Scope", "Target", "parse_target"]

K = ObjectKind
KINDS = {"pool": K.POOL, "host": K.HOST, "volume": K.VOLUME, "filesystem": K.FILESYSTEM}
"""The object kinds an address can name."""


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """One address: an array entry, or one object of it."""

    array: str
    kind: str = ""
    name: str = ""

    def __str__(self) -> str:
        return f"{self.array}/{self.kind}/{self.name}" if self.kind else self.array


def parse_target(text: str) -> Target:
    """``ARRAY`` or ``ARRAY/KIND/NAME`` (KIND: pool, host, volume, filesystem).

    Raises:
        InvalidArgument: any other form.
    """
    parts = text.split("/", 2)
    if len(parts) == 1 and parts[0]:
        return Target(parts[0])
    if len(parts) == 3 and all(parts) and parts[1] in KINDS:
        return Target(*parts)
    raise InvalidArgument(
        f"--target {text!r} is not an address",
        hint="write ARRAY or ARRAY/KIND/NAME with KIND one of "
        + ", ".join(KINDS)
        + " (e.g. array1/volume/db01-data)",
    )


def _addresses(array: ArraySpec) -> list[str]:
    """The address of every top-level object of an entry (replicas as volumes)."""
    found = [f"{array.name}/pool/{p.name}" for p in array.pools]
    found += [f"{array.name}/host/{h.name}" for h in array.hosts]
    for volume in array.volumes:
        found.append(f"{array.name}/volume/{volume.name}")
        found += [f"{array.name}/volume/{r.name}" for r in volume.replicas]
    return found + [f"{array.name}/filesystem/{f.name}" for f in array.filesystems]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a targeted plan covers (no targets: everything)."""

    targets: tuple[Target, ...] = ()

    @classmethod
    def of(cls, texts: Sequence[str], arrays: Sequence[str] = ()) -> Scope:
        """The scope of ``--target`` texts and ``--array`` names."""
        targets = {parse_target(t) for t in texts} | {Target(a) for a in arrays}
        return cls(tuple(sorted(targets)))

    def __bool__(self) -> bool:
        return bool(self.targets)

    def check(self, manifest: Manifest) -> None:
        """Refuse addresses the manifest does not declare (a typo would plan nothing)."""
        names = [a.name for a in manifest.arrays]
        for target in self.targets:
            if target.array not in names:
                raise InvalidArgument(
                    f"--target {target}: the manifest has no array entry {target.array!r}",
                    hint=f"its array entries: {', '.join(names)}",
                )
            if target.kind and str(target) not in _addresses(manifest.array(target.array)):
                raise InvalidArgument(
                    f"--target {target}: array {target.array!r} declares no {target.kind} "
                    f"{target.name!r}",
                    hint=f"declared in {where(manifest.array(target.array))}",
                )

    def arrays(self, manifest: Manifest) -> list[ArraySpec]:
        """The entries the plan covers."""
        if not self:
            return list(manifest.arrays)
        wanted = {t.array for t in self.targets}
        return [a for a in manifest.arrays if a.name in wanted]

    def _objects(self, array: str) -> set[tuple[str, str]] | None:
        """(kind, name) addressed in ``array``; ``None``: the whole entry."""
        mine = [t for t in self.targets if t.array == array]
        if not self or any(not t.kind for t in mine):
            return None
        return {(t.kind, t.name) for t in mine}

    def restrict(self, array: ArraySpec) -> ArraySpec:
        """The part of ``array`` the plan covers: addressed objects and what they require."""
        objects = self._objects(array.name)
        if objects is None:
            return array
        volumes = [
            v
            for v in array.volumes
            if any(("volume", n) in objects for n in (v.name, *(r.name for r in v.replicas)))
        ]
        filesystems = [f for f in array.filesystems if ("filesystem", f.name) in objects]
        hosts = {name for kind, name in objects if kind == "host"}
        hosts |= {m.host for v in volumes for m in v.mappings}
        pools = {name for kind, name in objects if kind == "pool"}
        pools |= {v.pool for v in volumes} | {f.pool for f in filesystems}
        pools |= {r.pool for v in volumes for r in v.replicas if r.pool}
        return replace(
            array,
            pools=tuple(p for p in array.pools if p.name in pools),
            hosts=tuple(h for h in array.hosts if h.name in hosts),
            volumes=tuple(volumes),
            filesystems=tuple(filesystems),
            allow_empty=True,
        )

    def allows(self, array: str, key: Key) -> bool:
        """True if prune may act on ``key`` of ``array`` (the key is inside the target)."""
        objects = self._objects(array)
        if objects is None:
            return True
        kind = {K.SNAPSHOT: "volume", K.FS_SNAPSHOT: "filesystem"}.get(key.kind, key.kind.value)
        name = key.owner if key.kind in (K.SNAPSHOT, K.FS_SNAPSHOT) else key.name
        return (kind, name) in objects

    def outside(self, manifest: Manifest) -> tuple[str, ...]:
        """Addresses the manifest declares that the plan does not cover."""
        if not self:
            return ()
        left: list[str] = []
        for array in manifest.arrays:
            if array.name not in {t.array for t in self.targets}:
                left.append(array.name)
                continue
            inside = set(_addresses(self.restrict(array)))
            left += [a for a in _addresses(array) if a not in inside]
        return tuple(left)


EVERYTHING = Scope()
"""The scope of an untargeted plan."""
