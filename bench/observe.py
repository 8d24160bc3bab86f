"""``session.observe()`` of a large simulated installation.

The state (10,000 volumes, 2,000 hosts with 1-2 iSCSI initiators each, 20,000 mappings) is
built in about a second by inserting rows directly with :mod:`sqlite3` into a sim file that the
provider itself created and seeded (default seed), keeping every invariant the simulator's
own operations keep:

* volumes go round-robin to the pools that hold volumes (``ssd`` and ``nvme`` thin, ``hdd``
  thick), sizes cycle through 1-16 GiB (1 MiB aligned); WWNs use ``ops_volumes.wwn_for``'s
  format (per-file salt + row id), so they are unique;
* pool accounting matches ``operations.reserve``: ``subscribed`` += size for every volume,
  ``consumed`` += size for thick volumes and += ``used`` (a quarter of the size) for thin ones;
  the result is checked against the pool size and over-subscription limit;
* hosts are split between the two systems in proportion to their volumes; each volume is
  mapped to two different hosts of its own system; LUNs count up from 0 in each host.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from common import Figure, repeat

__all__ = ["build_state", "run_observe"]

VOLUMES = 10_000
HOSTS = 2_000
MAPPINGS_PER_VOLUME = 2
TARGET = 0.5
_GIB = 1 << 30
_SIZES = [g * _GIB for g in (1, 2, 4, 8, 16)]


def _pools(conn: sqlite3.Connection) -> list[tuple[int, int, str, int, float | None]]:
    rows = conn.execute(
        "SELECT id, system_id, name, total, oversub, element_types FROM pools ORDER BY id"
    ).fetchall()
    return [r[:5] for r in rows if "volume" in r[5].split(",")]


def _volume_rows(
    conn: sqlite3.Connection, salt: str
) -> tuple[list[tuple[Any, ...]], dict[int, list[int]], dict[int, list[int]]]:
    """Volume rows, the volume ids of each system and ``[consumed, subscribed]`` per pool."""
    pools = _pools(conn)
    first = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM volumes").fetchone()[0]
    rows: list[tuple[Any, ...]] = []
    by_system: dict[int, list[int]] = {}
    usage: dict[int, list[int]] = {p[0]: [0, 0] for p in pools}
    for n in range(VOLUMES):
        rowid = first + n
        pool_id, system_id, _, _, oversub = pools[n % len(pools)]
        thin = oversub is not None
        size = _SIZES[n % len(_SIZES)]
        used = size // 4 if thin else 0
        wwn = f"naa.65f0a1b{salt}{rowid:016x}"  # ops_volumes.wwn_for
        rows.append((rowid, system_id, pool_id, f"bench-vol-{n:05d}", size, int(thin), wwn, used))
        by_system.setdefault(system_id, []).append(rowid)
        usage[pool_id][0] += used if thin else size
        usage[pool_id][1] += size
    for pool_id, _, name, total, oversub in pools:
        consumed, subscribed = usage[pool_id]
        if consumed > total or (oversub is not None and subscribed > total * oversub):
            raise RuntimeError(f"bench state does not fit pool {name}: adjust the sizes")
    return rows, by_system, usage


def _check_accounting(conn: sqlite3.Connection) -> None:
    """Every pool's consumed/subscribed equals what its volumes account for (as reserve())."""
    bad = conn.execute(
        "SELECT p.name FROM pools p LEFT JOIN (SELECT pool_id, sum(size) AS s, "
        "sum(CASE WHEN thin THEN used ELSE size END) AS c FROM volumes GROUP BY pool_id) v "
        "ON v.pool_id = p.id WHERE p.subscribed != coalesce(v.s, 0) "
        "OR (p.consumed != coalesce(v.c, 0) AND instr(p.element_types, 'volume'))"
    ).fetchall()
    if bad:
        raise RuntimeError(f"bench state: pool accounting is off for {bad}")


def build_state(path: Path) -> dict[str, int]:
    """Create a sim file at ``path`` (via the provider) and fill it; returns row counts."""
    import storplan

    path.unlink(missing_ok=True)
    storplan.connect(f"sim://{path}").close()  # schema + default seed, by the provider
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        salt = conn.execute("SELECT value FROM meta WHERE key = 'wwn_salt'").fetchone()[0]
        volumes, by_system, usage = _volume_rows(conn, salt)
        conn.executemany("INSERT INTO volumes VALUES (?, ?, ?, ?, ?, ?, ?, ?)", volumes)
        conn.executemany(
            "UPDATE pools SET consumed = consumed + ?, subscribed = subscribed + ? WHERE id = ?",
            [(c, s, pool_id) for pool_id, (c, s) in usage.items()],
        )
        next_group = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM access_groups").fetchone()
        group_id = next_group[0]
        groups: list[tuple[int, int, str]] = []
        initiators: list[tuple[int, int, str, str]] = []
        mappings: list[tuple[int, int, int]] = []
        systems = sorted(by_system)
        for index, system_id in enumerate(systems):
            vols = by_system[system_id]
            if index < len(systems) - 1:
                count = round(HOSTS * len(vols) / VOLUMES)
            else:
                count = HOSTS - len(groups)
            ids = list(range(group_id, group_id + count))
            group_id += count
            for gid in ids:
                host = f"bench-host-{gid:05d}"
                groups.append((gid, system_id, host))
                iqn = f"iqn.2024-01.com.example:{host}"
                initiators.append((system_id, gid, iqn, "iscsi"))
                if gid % 2:
                    initiators.append((system_id, gid, iqn + "-b", "iscsi"))
            next_lun = dict.fromkeys(ids, 0)
            for n, volume in enumerate(vols):
                for k in range(MAPPINGS_PER_VOLUME):  # distinct hosts: offsets 0, count/2, ...
                    gid = ids[(n + k * count // MAPPINGS_PER_VOLUME) % count]
                    mappings.append((volume, gid, next_lun[gid]))
                    next_lun[gid] += 1
        conn.executemany("INSERT INTO access_groups VALUES (?, ?, ?)", groups)
        conn.executemany(
            "INSERT INTO initiators(system_id, ag_id, initiator, kind) VALUES (?, ?, ?, ?)",
            initiators,
        )
        conn.executemany("INSERT INTO mappings VALUES (?, ?, ?)", mappings)
        _check_accounting(conn)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return {
        "volumes": len(volumes),
        "access_groups": len(groups),
        "initiators": len(initiators),
        "mappings": len(mappings),
    }


def run_observe(work: Path, runs: int) -> Figure:
    """Build the state, then time ``session.observe()`` ``runs`` times (after one cold call)."""
    import time

    import storplan

    path = work / "observe.db"
    start = time.perf_counter()
    built = build_state(path)
    build_seconds = time.perf_counter() - start
    with storplan.connect(f"sim://{path}") as session:
        start = time.perf_counter()
        state = session.observe()
        cold = time.perf_counter() - start
        samples = repeat(session.observe, runs)
    counts = {
        kind: len(getattr(state, kind))
        for kind in ("systems", "pools", "disks", "volumes", "access_groups", "mappings")
    }
    counts["initiators"] = sum(len(g.initiators) for g in state.access_groups)
    counts["target_ports"] = len(state.target_ports)
    return Figure(
        "observe() of 10k volumes / 2k hosts / 20k maps",
        samples,
        TARGET,
        {
            "objects observed": ", ".join(f"{k} {v}" for k, v in counts.items()),
            "state built": f"{build_seconds:.2f} s (sqlite3 inserts: {built})",
            "first (cold) call": f"{cold:.3f} s",
        },
    )
