"""Pools configured on a Linux host: LVM volume groups, LVM thin pools, directories.

A Linux host has no notion of "storage pool" of its own, so the providers that manage one
(``lio``, ``nfs``) are told their pools: ``NAME:KIND:LOCATION`` in a URI, or a mapping
``{name: NAME, KIND: LOCATION}`` in a settings file, where ``KIND`` is one of

* ``lvm``       (``LOCATION`` = ``VG``): thick logical volumes of a volume group;
* ``lvm-thin``  (``VG/POOL``): thin logical volumes of a thin pool;
* ``dir``       (``/PATH``): files in a directory (``lio`` only).

Every value is validated before anything touches the host: names end up as arguments of LVM
commands (never through a shell).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from storplan.errors import InvalidArgument

from .lvm import LvmReport

__all__ = [
    "LVM_NAME",
    "LVM_SAFE_NAME",
    "PoolConfig",
    "PoolRules",
    "lvm_capacity",
    "pool_from_mapping",
    "pool_from_text",
]

LVM_NAME = r"(?!\.\.?$)(?!-)[A-Za-z0-9+_.-]{1,127}"
"""What LVM accepts as a volume group or logical volume name."""
_LVM_RESERVED = (
    "_cdata|_cmeta|_corig|_iorig|_imeta|_mimage|_mlog|_pmspare|_rimage|_rmeta|"
    "_tdata|_tmeta|_vdata|_vorigin|_wcorig"
)
LVM_SAFE_NAME = rf"(?!snapshot|pvmove)(?!.*(?:{_LVM_RESERVED}))[A-Za-z0-9][A-Za-z0-9_-]*"
"""storplan names that are safe in LV names: no dots, nothing LVM reserves."""
_DM_NAME_MAX = 127  # device-mapper names ("VG-LV", dashes doubled) are at most 127 bytes


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """One configured pool.  ``location`` is ``VG``, ``VG/THINPOOL`` or an absolute path."""

    name: str
    kind: str
    location: str
    oversubscription: float = 10.0

    @property
    def vg(self) -> str:
        """The volume group of an LVM pool."""
        return self.location.partition("/")[0]

    @property
    def thin_pool(self) -> str:
        """The thin pool LV of an ``lvm-thin`` pool."""
        return self.location.partition("/")[2]


@dataclass(frozen=True, slots=True)
class PoolRules:
    """What one provider accepts: its name (in messages), the pool kinds, how it checks a
    pool's name, and the longest LV name it derives (for the device-mapper name limit)."""

    provider: str
    kinds: Sequence[str]
    check_name: Callable[[str, str], None]
    lv_name_max: int


def pool_from_text(rules: PoolRules, text: str) -> PoolConfig:
    """``NAME:KIND:LOCATION`` from a URI."""
    name, _, rest = text.partition(":")
    kind, _, location = rest.partition(":")
    if not location:
        raise InvalidArgument(
            f"{rules.provider} pool {text!r} is not NAME:KIND:LOCATION",
            hint="e.g. pool=fast:lvm-thin:vg0/tp0",
        )
    return _pool(rules, name, kind, location, 10.0)


def pool_from_mapping(rules: PoolRules, source: str, item: object) -> PoolConfig:
    """``{name: NAME, KIND: LOCATION[, oversubscription: RATIO]}`` from a settings file."""
    keys = {"name", "oversubscription", *rules.kinds}
    if not isinstance(item, dict) or set(item) - keys or "name" not in item:
        raise InvalidArgument(
            f"{source}: a pool is a mapping with name and one of {', '.join(rules.kinds)}",
            hint="e.g. {name: fast, lvm-thin: vg0/tp0}",
        )
    kinds = [k for k in rules.kinds if k in item]
    if len(kinds) != 1:
        raise InvalidArgument(f"{source}: pool {item['name']!r} needs exactly one kind")
    ratio = item.get("oversubscription", 10.0)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio < 1:
        raise InvalidArgument(f"{source}: oversubscription must be a number >= 1")
    return _pool(rules, str(item["name"]), kinds[0], str(item[kinds[0]]), float(ratio))


def _pool(rules: PoolRules, name: str, kind: str, location: str, ratio: float) -> PoolConfig:
    rules.check_name("pool", name)
    if kind not in rules.kinds:
        raise InvalidArgument(
            f"{rules.provider} pool kind {kind!r} is unknown",
            hint=f"use one of {', '.join(rules.kinds)}",
        )
    if kind == "dir":
        if not location.startswith("/") or "\0" in location:
            raise InvalidArgument(f"pool {name!r}: directory {location!r} is not absolute")
        location = os.path.normpath(location)
    else:
        parts = location.split("/")
        if len(parts) != (2 if kind == "lvm-thin" else 1) or not all(
            re.fullmatch(LVM_NAME, p) for p in parts
        ):
            want = "VG/THINPOOL" if kind == "lvm-thin" else "VG"
            raise InvalidArgument(f"pool {name!r}: {location!r} is not a valid {want}")
        escaped = len(parts[0]) + parts[0].count("-")
        if escaped + 1 + 2 * rules.lv_name_max > _DM_NAME_MAX:
            raise InvalidArgument(
                f"pool {name!r}: volume group name {parts[0]!r} is too long for "
                f"{rules.lv_name_max}-character volume names",
                hint="use a shorter volume group name",
            )
    return PoolConfig(name, kind, location, ratio)


def lvm_capacity(report: LvmReport | None, pool: PoolConfig) -> tuple[int, int, list[str]]:
    """(total, free, problems) of an LVM pool: the volume group's extents for ``lvm``, the
    thin pool's unallocated data for ``lvm-thin``."""
    group = report.groups.get(pool.vg) if report else None
    if group is None:
        return 0, 0, [f"volume group {pool.vg!r} does not exist"]
    if pool.kind == "lvm":
        return group.size, group.free, []
    tp = report.volumes.get((pool.vg, pool.thin_pool)) if report else None
    if tp is None or not tp.is_thin_pool:
        return 0, 0, [f"thin pool {pool.location!r} does not exist"]
    return tp.size, int(tp.size * (100 - (tp.data_percent or 0.0)) / 100), []
