"""LVM through its command-line tools: one JSON report for every volume group and LV.

Reading costs two commands whatever the number of volumes (``vgs`` and ``lvs`` with
``--reportformat json``).  Changes are single ``lvcreate``/``lvextend``/``lvremove``/
``lvchange`` calls with argument lists.  storplan's own facts about an LV (which volume a
snapshot belongs to and its name, which volume a clone was made from) live in LV tags, so
they survive reboots and are visible to ``lvs``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storplan.errors import ProviderError

from .commands import run

__all__ = ["LogicalVolume", "LvmReport", "VolumeGroup", "read_report"]

SNAPSHOT_TAG = "storplan-snapshot:"
"""``storplan-snapshot:<snapshot name>`` marks an LV as a snapshot of its origin."""
REPLICA_TAG = "storplan-replica:"
"""``storplan-replica:<kind>:<source volume>`` marks an LV as a clone or copy of a volume."""

_LV_FIELDS = (
    "vg_name,lv_name,lv_size,lv_attr,pool_lv,origin,data_percent,metadata_percent,lv_tags,lv_time"
)
_REPORT = ("--reportformat", "json", "--units", "b", "--nosuffix")


@dataclass(frozen=True, slots=True)
class VolumeGroup:
    """A volume group's capacity in bytes."""

    name: str
    size: int
    free: int


@dataclass(frozen=True, slots=True)
class LogicalVolume:
    """One LV from ``lvs``; ``data_percent`` is set for thin pools and thin LVs."""

    vg: str
    name: str
    size: int
    attr: str
    pool_lv: str
    origin: str
    data_percent: float | None
    tags: frozenset[str]
    created: str
    metadata_percent: float | None = None  # thin pools only

    @property
    def path(self) -> str:
        """The LV's device path."""
        return f"/dev/{self.vg}/{self.name}"

    @property
    def is_thin(self) -> bool:
        """A thin LV (volume type ``V``)."""
        return self.attr[:1] == "V"

    @property
    def is_thin_pool(self) -> bool:
        """A thin pool (volume type ``t``)."""
        return self.attr[:1] == "t"

    @property
    def used(self) -> int:
        """Bytes actually allocated (thin LVs), else the whole size."""
        if self.is_thin and self.data_percent is not None:
            return int(self.size * self.data_percent / 100)
        return self.size

    def tag_value(self, prefix: str) -> str | None:
        """The rest of the first tag starting with ``prefix``."""
        return next((t[len(prefix) :] for t in sorted(self.tags) if t.startswith(prefix)), None)


@dataclass(frozen=True, slots=True)
class LvmReport:
    """Every volume group and LV of the host, read in two commands."""

    groups: dict[str, VolumeGroup]
    volumes: dict[tuple[str, str], LogicalVolume]

    def by_path(self, path: str) -> LogicalVolume | None:
        """The LV behind a device path ``/dev/VG/LV`` (``None`` for anything else)."""
        parts = path.split("/")
        if len(parts) == 4 and parts[:2] == ["", "dev"]:
            return self.volumes.get((parts[2], parts[3]))
        return None


def read_report() -> LvmReport:
    """``vgs`` and ``lvs`` of the whole host."""
    groups = {}
    for row in _rows(run(["vgs", *_REPORT, "-o", "vg_name,vg_size,vg_free"]), "vg"):
        groups[row["vg_name"]] = VolumeGroup(
            row["vg_name"], int(row["vg_size"]), int(row["vg_free"])
        )
    volumes = {}
    for row in _rows(run(["lvs", *_REPORT, "-o", _LV_FIELDS]), "lv"):
        lv = LogicalVolume(
            vg=row["vg_name"],
            name=row["lv_name"],
            size=int(row["lv_size"]),
            attr=row["lv_attr"],
            pool_lv=row["pool_lv"],
            origin=row["origin"],
            data_percent=_percent(row["data_percent"]),
            tags=frozenset(t for t in row["lv_tags"].split(",") if t),
            created=row["lv_time"],
            metadata_percent=_percent(row.get("metadata_percent", "")),
        )
        volumes[lv.vg, lv.name] = lv
    return LvmReport(groups, volumes)


def _percent(text: str) -> float | None:
    """An LVM percentage (empty: not applicable to this LV)."""
    return float(text) if text else None


def _rows(output: str, kind: str) -> list[dict[str, str]]:
    try:
        report = json.loads(output)["report"]
        return [row for part in report for row in part.get(kind, [])]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProviderError(f"unexpected output of LVM's {kind}s report: {exc}") from None


def _tags(tags: Iterable[str]) -> list[str]:
    return [arg for tag in tags for arg in ("--addtag", tag)]


def create(vg: str, name: str, size: int, *, thin_pool: str = "", tags: Sequence[str] = ()) -> None:
    """A thick LV of ``size`` bytes in ``vg``, or a thin LV in ``vg/thin_pool``."""
    if thin_pool:  # zeroing is the thin pool's business: unprovisioned blocks read as zeros
        sizing = ["-V", f"{size}b", "--thinpool", thin_pool]
    else:
        sizing = ["-Zy", "-Wy", "-L", f"{size}b"]
    run(["lvcreate", "-y", "-n", name, *sizing, *_tags(tags), vg])


def snapshot(
    vg: str, origin: str, name: str, *, cow_size: int = 0, active: bool, tags: Sequence[str]
) -> None:
    """A snapshot of ``vg/origin``: thin (``cow_size`` 0) or a classic COW snapshot.

    Thin snapshots skip activation unless ``active`` (a clone in use must be active).
    """
    sizing = ["-L", f"{cow_size}b"] if cow_size else []
    activation = ["-kn", "-ay"] if active and not cow_size else []
    run(["lvcreate", "-y", "-s", "-n", name, *sizing, *activation, *_tags(tags), f"{vg}/{origin}"])


def extend(vg: str, name: str, size: int) -> None:
    """Grow ``vg/name`` to ``size`` bytes (online)."""
    run(["lvextend", "-y", "-L", f"{size}b", f"{vg}/{name}"])


def remove(vg: str, name: str) -> None:
    """Remove ``vg/name``."""
    run(["lvremove", "-y", f"{vg}/{name}"])


def retag(vg: str, name: str, *, add: Sequence[str] = (), delete: Sequence[str] = ()) -> None:
    """Add and delete tags of ``vg/name``."""
    args = _tags(add) + [arg for tag in delete for arg in ("--deltag", tag)]
    if args:
        run(["lvchange", *args, f"{vg}/{name}"])


def rename(vg: str, name: str, new_name: str) -> None:
    """Rename ``vg/name`` to ``vg/new_name``."""
    run(["lvrename", vg, name, new_name])
