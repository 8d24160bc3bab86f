"""LIO's own I/O counters, read from configfs as plain files (no rtslib, like observing).

Per storage object, ``core/<hba>/<object>/statistics/scsi_lu/`` holds ``num_cmds``,
``read_mbytes`` and ``write_mbytes`` since the object was created; per TPG LUN,
``lun/lun_N/statistics/scsi_tgt_port/`` holds ``in_cmds``, ``read_mbytes`` and
``write_mbytes`` through that target port.  LIO counts commands, not reads and writes apart,
and bytes in whole MiB.  A TPG is one SCSI target port however many portals it listens on,
so its counters (the sum over its LUNs) are reported on its first portal.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from . import ids
from .configfs import BACKSTORE_PLUGINS, read_tree

if TYPE_CHECKING:
    from storplan.model.stats import Counters, Statistics

    from .options import LioOptions

__all__ = ["statistics"]

_MIB = 1 << 20


def _number(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _counters(kind: str, object_id: str, directory: Path, commands: str) -> Counters:
    from storplan.model.stats import Counters

    return Counters(
        kind,
        object_id,
        read_ops=None,
        write_ops=None,
        read_bytes=_number(directory / "read_mbytes") * _MIB,
        write_bytes=_number(directory / "write_mbytes") * _MIB,
        ops=_number(directory / commands),
    )


def statistics(options: LioOptions) -> Statistics:
    """The counters of every storage object and of storplan's TPG."""
    from storplan.model.stats import Statistics

    now = time.time()
    root = Path(options.configfs)
    found = []
    for hba in sorted((root / "core").glob("*_*")):
        if hba.name.rpartition("_")[0] not in BACKSTORE_PLUGINS:
            continue
        for stats in sorted(hba.glob("*/statistics/scsi_lu")):
            name = stats.parent.parent.name
            found.append(_counters("volume", ids.volume(name), stats, "num_cmds"))
    tpg = read_tree(options.configfs).tpg(options.target)
    if tpg is not None and tpg.portals:
        luns = root / "iscsi" / tpg.target / f"tpgt_{tpg.tag}" / "lun"
        ports = [_counters("target_port", "", s, "in_cmds")
                 for s in sorted(luns.glob("lun_*/statistics/scsi_tgt_port"))]  # fmt: skip
        from storplan.model.stats import Counters

        found.append(
            Counters(
                "target_port",
                f"port:{tpg.portals[0]}",
                read_ops=None,
                write_ops=None,
                read_bytes=sum(p.read_bytes for p in ports),
                write_bytes=sum(p.write_bytes for p in ports),
                ops=sum(p.ops or 0 for p in ports),
            )
        )
    return Statistics(now, tuple(found))
