"""Helpers of the monitoring tests: a simulated array with a host doing (simulated) I/O, and
the table of injected hardware faults with the condition each must raise.

Real: the simulator (its SQLite file, its fault injection), storplan's CLI ``main``.
"""

from __future__ import annotations

from pathlib import Path

import storplan
from storplan.model import ReplicaKind

__all__ = ["FAULTS", "busy_array"]

# fault (in faults=), condition code, severity, health exit status, kind, object name
FAULTS = [
    ("disk-fail:disk3", "disk.failed", "critical", 2, "disks", "ssd02"),
    ("disk-predict:ssd03", "disk.predictive_failure", "warning", 1, "disks", "ssd03"),
    ("fan:sim-array-2", "fan.failed", "warning", 1, "systems", "sim-array-2"),
    ("battery:sys1", "battery.failed", "critical", 2, "systems", "sim-array-1"),
    ("cache-write-through:sys2", "cache.write_through", "warning", 1, "systems", "sim-array-2"),
    ("port-down:tp2", "port.down", "critical", 2, "target_ports", "tp2"),
    ("replication-broken:rep1", "replication.broken", "critical", 2, "replicas", "rep1"),
    ("raid-degraded:hdd", "raid.degraded", "critical", 2, "pools", "hdd"),
    ("raid-rebuild:ssd=40", "raid.rebuilding", "warning", 1, "pools", "ssd"),
    ("pool-fill:hdd=85", "pool.capacity", "warning", 1, "pools", "hdd"),
    ("pool-fill:ssd=95", "pool.capacity", "critical", 2, "pools", "ssd"),
    ("thin-metadata:nvme=80", "pool.thin.metadata", "warning", 1, "pools", "nvme"),
    ("thin-metadata:nvme=90", "pool.thin.metadata", "critical", 2, "pools", "nvme"),
]


def busy_array(directory: Path) -> str:
    """A simulator file whose one predictive disk failure is repaired, with a volume mapped
    to a host and a mirror of it (replica ``rep1``); returns its URI."""
    uri = f"sim://{directory}/array.db"
    with storplan.connect(uri) as session:
        pool = session.get(storplan.Kind.POOLS, "ssd")
        volume = session.create_volume(pool, "db01", "10GiB", thin=True).result
        group = session.create_access_group(
            pool.system_id, "host1", ["iqn.1994-05.com.example:host1"]
        ).result
        assert volume is not None and group is not None
        session.map_volume(volume, group, 1)
        session.create_replica(volume, "db01-mirror", ReplicaKind.MIRROR_ASYNC)
    import sqlite3

    with sqlite3.connect(f"{directory}/array.db") as db:  # the seed's degraded disk, repaired
        db.execute("UPDATE disks SET health = 'ok', condition = NULL")
    return uri
