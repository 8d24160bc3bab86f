"""The installation a fresh simulator file starts with: two realistic systems.

* ``sim-array-1``: a hybrid block+file array with 12 SSDs and 12 HDDs; pools ``ssd`` (thin,
  4x over-subscription), ``hdd`` (thick only) and ``nas`` (file systems); four SSDs and two
  HDDs left free for new pools; one HDD reports a predictive failure; two iSCSI portals and two
  FC ports.
* ``sim-array-2``: an all-NVMe array with one thin pool ``nvme``, two free drives and iSCSI and
  NVMe/TCP ports.
"""

from __future__ import annotations

from .db import Tx

__all__ = ["seed_default", "seed_empty"]

TB = 10**12


def _system(tx: Tx, name: str, model: str) -> int:
    return tx.run(
        "INSERT INTO systems(name, vendor, model, firmware) VALUES (?, ?, ?, ?)",
        name,
        "storplan",
        model,
        "1.0.0",
    )


def _disks(tx: Tx, system_id: int, prefix: str, kind: str, size: int, count: int) -> list[int]:
    return [
        tx.run(
            "INSERT INTO disks(system_id, name, kind, size, serial) VALUES (?,?,?,?,?)",
            system_id,
            f"{prefix}{i:02d}",
            kind,
            size,
            f"SIM{system_id}{kind.upper()}{i:04d}",
        )
        for i in range(count)
    ]


def _pool(
    tx: Tx, system_id: int, name: str, disks: list[int], element_types: str, oversub: float | None
) -> int:
    total = sum(tx.one("SELECT size FROM disks WHERE id = ?", d)[0] for d in disks)
    pool_id = tx.run(
        "INSERT INTO pools(system_id, name, element_types, total, oversub) VALUES (?, ?, ?, ?, ?)",
        system_id,
        name,
        element_types,
        total,
        oversub,
    )
    tx.conn.executemany("UPDATE disks SET pool_id = ? WHERE id = ?", [(pool_id, d) for d in disks])
    return pool_id


def _port(tx: Tx, system_id: int, kind: str, address: str, portal: str, speed: float) -> None:
    tx.run(
        "INSERT INTO target_ports(system_id, kind, address, portal, link, speed) "
        "VALUES (?, ?, ?, ?, 'up', ?)",
        system_id,
        kind,
        address,
        portal,
        speed,
    )


def _salt() -> str:
    import secrets

    return secrets.token_hex(5)[:9]


def seed_empty(tx: Tx) -> None:
    """One system with a few free disks and one thin pool: the smallest useful array."""
    tx.run("INSERT INTO meta VALUES ('wwn_salt', ?)", _salt())
    system = _system(tx, "sim-array-1", "SIM-1000")
    ssd = _disks(tx, system, "ssd", "ssd", 2 * TB, 6)
    _pool(tx, system, "pool1", ssd[:4], "volume,filesystem", 4.0)
    _port(tx, system, "iscsi", "iqn.2024-01.io.storplan:sim-array-1", "192.0.2.10:3260", 25.0)


def seed_default(tx: Tx) -> None:
    """Two systems with disks, pools and ports (see the module docstring)."""
    tx.run("INSERT INTO meta VALUES ('wwn_salt', ?)", _salt())
    one = _system(tx, "sim-array-1", "SIM-9000 hybrid")
    ssd = _disks(tx, one, "ssd", "ssd", 3_840_000_000_000, 12)
    hdd = _disks(tx, one, "hdd", "hdd", 8 * TB, 12)
    tx.run(
        "UPDATE disks SET health = 'degraded', condition = ? WHERE id = ?",
        "predictive failure: reallocated sector count above threshold",
        hdd[3],
    )
    _pool(tx, one, "ssd", ssd[:8], "volume", 4.0)
    _pool(tx, one, "hdd", hdd[:6], "volume", None)
    _pool(tx, one, "nas", hdd[6:10], "filesystem", 2.0)
    _port(tx, one, "iscsi", "iqn.2024-01.io.storplan:sim-array-1", "192.0.2.10:3260", 25.0)
    _port(tx, one, "iscsi", "iqn.2024-01.io.storplan:sim-array-1", "192.0.2.11:3260", 25.0)
    _port(tx, one, "fc", "50:01:43:80:00:00:01:01", "", 32.0)
    _port(tx, one, "fc", "50:01:43:80:00:00:01:02", "", 32.0)

    two = _system(tx, "sim-array-2", "SIM-5000 all-flash")
    nvme = _disks(tx, two, "nvme", "nvme", 7_680_000_000_000, 10)
    _pool(tx, two, "nvme", nvme[:8], "volume,filesystem", 5.0)
    _port(tx, two, "iscsi", "iqn.2024-01.io.storplan:sim-array-2", "198.51.100.20:3260", 100.0)
    _port(tx, two, "nvme", "nqn.2024-01.io.storplan:sim-array-2", "198.51.100.20:4420", 100.0)
