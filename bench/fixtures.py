"""Arrays and manifests that the benchmarks share: a sim file holding many volumes, hosts and
mappings (built with ``sqlite3`` in well under a second), and manifests describing it.

The state: ``volumes`` volumes of 1 GiB, thin, on sim-array-1's pool ``ssd`` (named
``v000000``...), ``hosts`` access groups with one IQN each (``h00000``...), and every volume
mapped to ``maps`` different hosts, LUNs counting up per host.  The manifest describes exactly
that, with the first ``grown`` volumes asking for 2 GiB (so ``grown=0`` is the converged
array, the no-op drift check).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["GIB", "build_sim", "mapping_of", "write_manifest_files"]

GIB = 1 << 30


def mapping_of(volume: int, k: int, hosts: int, maps: int) -> tuple[int, int]:
    """The ``k``-th mapping of a volume: ``(host index, LUN)``; unique LUN per host."""
    return (volume + k) % hosts, volume // hosts * maps + k


def build_sim(path: Path, volumes: int, hosts: int, maps: int) -> None:
    """A sim file with the state described in the module docstring (replaces ``path``)."""
    import storplan

    path.unlink(missing_ok=True)
    storplan.connect(f"sim://{path}").close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    salt = conn.execute("SELECT value FROM meta WHERE key = 'wwn_salt'").fetchone()[0]
    pool, system = conn.execute("SELECT id, system_id FROM pools WHERE name = 'ssd'").fetchone()
    conn.executemany(
        "INSERT INTO volumes VALUES (?, ?, ?, ?, ?, 1, ?, 0)",
        [
            (v + 1, system, pool, f"v{v:06d}", GIB, f"naa.65f0a1b{salt}{v + 1:016x}")
            for v in range(volumes)
        ],
    )
    conn.execute("UPDATE pools SET subscribed = ? WHERE id = ?", (volumes * GIB, pool))
    conn.executemany(
        "INSERT INTO access_groups VALUES (?, ?, ?)",
        [(h + 1, system, f"h{h:05d}") for h in range(hosts)],
    )
    conn.executemany(
        "INSERT INTO initiators(system_id, ag_id, initiator, kind) VALUES (?, ?, ?, 'iscsi')",
        [(system, h + 1, f"iqn.2024-01.com.example:h{h:05d}") for h in range(hosts)],
    )
    rows = []
    for v in range(volumes):
        for k in range(maps):
            host, lun = mapping_of(v, k, hosts, maps)
            rows.append((v + 1, host + 1, lun))
    conn.executemany("INSERT INTO mappings VALUES (?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()


def write_manifest_files(
    folder: Path, uri: str, volumes: int, hosts: int, maps: int, grown: int, files: int = 10
) -> Path:
    """The manifest of :func:`build_sim`'s state in ``folder``: hosts in one file, volumes
    in ``files`` more (flow style, one line per volume).  Returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    head = ["apiVersion: storplan.io/v1", "kind: StorageState", "arrays:", "  - name: a"]
    lines = [*head, f"    provider: {uri}", "    system: sim-array-1"]
    lines += ["    pools: [{name: ssd}]", "    hosts:"]
    lines += [
        f"      - {{name: h{h:05d}, initiators: [iqn.2024-01.com.example:h{h:05d}]}}"
        for h in range(hosts)
    ]
    (folder / "00-hosts.yaml").write_text("\n".join(lines) + "\n")
    per_file = -(-volumes // files)
    for part in range(files):
        lines = [*head, "    volumes:"]
        for v in range(part * per_file, min(volumes, (part + 1) * per_file)):
            pairs = (mapping_of(v, k, hosts, maps) for k in range(maps))
            mapped = ", ".join(f"{{host: h{h:05d}, lun: {lun}}}" for h, lun in pairs)
            size = "2GiB" if v < grown else "1GiB"
            entry = f"name: v{v:06d}, pool: ssd, size: {size}, mappings: [{mapped}]"
            lines.append(f"      - {{{entry}}}")
        (folder / f"{part + 1:02d}-volumes.yaml").write_text("\n".join(lines) + "\n")
    return folder
