"""The import guarantee: ``plan`` of what ``import`` wrote reports no changes (hypothesis).

Real: every example gets its own simulator file (its default two-system installation) and
state store in a fresh temporary directory; the random starting state is made through the
Session API (pools from free disks, thin and thick volumes, hosts with iSCSI and FC
initiators, CHAP and mutual CHAP, mappings with explicit and array-chosen LUNs, snapshots,
clones and copies - also of replicas, mapped or snapshotted replicas -, file systems, their
snapshots and NFS exports with random options).  The import observes the simulator; its YAML
is written to files and read by the real loader with the provider checks online (what
``storplan validate`` runs); the real planner plans it against the same simulator.  Names
include strings YAML 1.1 would misread (``no``, ``08``, ``1e3``) to hold the quoting to it.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from planhelpers import SYSTEM, connector, made, system_session
from storplan.credentials import Secret
from storplan.export import import_array, manifest_files, manifest_text
from storplan.manifest import validate
from storplan.model import ExportOptions, Kind
from storplan.plan import StoreMemory, make_plan
from storplan.plan.declared import declared_keys
from storplan.plan.view import ArrayView
from storplan.session import connect
from storplan.state import open_store

EXAMPLES = 40  # random arrays per run (400 checked once by hand, all clean)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VOLUME_NAMES = ["db01", "no", "08", "1e3", "true", "null", "a.b", "v_2", "0x1F", "on"]
HOST_NAMES = ["h0", "y", "007", "web-1"]
FS_NAMES = ["home", "off", "1.5"]
SNAP_NAMES = ["nightly", "n", "01"]
CLIENTS = ["10.0.0.0/24", "*", "backup.example.com", "fd00::/64", "@ops"]
SECRET = "Chap-Secret-0f-The-Test"  # 12..16 characters: what iSCSI wants


def _initiators(h: int) -> list[str]:
    return [f"iqn.2024-01.com.example:h{h}-{j}" for j in range(3)] + [f"21:00:00:24:ff:4c:a{h}:01"]


@st.composite
def worlds(draw: st.DrawFn) -> dict[str, Any]:
    """A random array, as plain data (made by :func:`seed`)."""
    pools = ["ssd", "hdd"] + (["extra"] if draw(st.booleans()) else [])
    volumes = []
    for name in draw(st.lists(st.sampled_from(VOLUME_NAMES), max_size=5, unique=True)):
        pool = draw(st.sampled_from(pools))
        replica = draw(st.none() | st.sampled_from(["clone", "copy"]))
        replica_pool = draw(st.sampled_from([None, *pools]))
        if "hdd" in (pool, replica_pool) and replica == "clone":
            replica = "copy"  # a clone is thin: a thick-only pool cannot hold one
        thin = pool != "hdd" and draw(st.booleans())
        if thin and replica_pool == "hdd":
            replica_pool = None  # a copy is as thin as its source
        volumes.append(
            {
                "name": name,
                "pool": pool,
                "thin": thin,
                "size": draw(st.integers(1, 8 << 10)) << 20 | draw(st.sampled_from([0, 1])),
                "snapshots": draw(st.lists(st.sampled_from(SNAP_NAMES), max_size=2, unique=True)),
                "replica": replica,
                "replica_pool": replica_pool,
            }
        )
    hosts = []
    for h, name in enumerate(draw(st.lists(st.sampled_from(HOST_NAMES), max_size=3, unique=True))):
        ids = draw(st.lists(st.sampled_from(_initiators(h)), max_size=3, unique=True))
        chap = {
            i: draw(st.sampled_from([None, "plain", "mutual"])) for i in ids if i.startswith("iqn")
        }
        hosts.append({"name": name, "initiators": ids, "chap": chap})
    # targets: the volumes and their replicas (``name-r``), which may be mapped too
    targets = [v["name"] for v in volumes] + [f"{v['name']}-r" for v in volumes if v["replica"]]
    mappings = []
    for host in hosts:
        chosen = draw(st.lists(st.sampled_from(targets), unique=True)) if targets else []
        luns = draw(
            st.lists(st.integers(0, 31), min_size=len(chosen), max_size=len(chosen), unique=True)
        )
        for volume, lun in zip(chosen, luns, strict=True):
            mappings.append((volume, host["name"], draw(st.sampled_from([lun, None]))))
    replica_extras = {
        "snapshot": draw(st.sampled_from([v["name"] for v in volumes if v["replica"]] or [None])),
        "chain": draw(st.sampled_from([v["name"] for v in volumes if v["replica"]] or [None])),
    }
    filesystems = []
    for name in draw(st.lists(st.sampled_from(FS_NAMES), max_size=2, unique=True)):
        exports = []
        for e in range(draw(st.integers(0, 2))):
            rules = draw(st.lists(st.sampled_from(CLIENTS), min_size=1, max_size=3, unique=True))
            exports.append(
                {
                    "path": f"/export/{name}/{e}",
                    "clients": [
                        {
                            "match": m,
                            "access": draw(st.sampled_from(["rw", "ro"])),
                            "squash": draw(st.sampled_from(["root", "all", "none"])),
                        }
                        for m in rules
                    ],
                    "anon_uid": draw(st.none() | st.just(65534)),
                    "anon_gid": draw(st.none() | st.just(1000)),
                    "security": draw(
                        st.lists(
                            st.sampled_from(["sys", "krb5", "krb5i", "krb5p"]),
                            min_size=1,
                            unique=True,
                        )
                    ),
                    "sync": draw(st.booleans()),
                    "nfs_versions": draw(
                        st.lists(st.sampled_from(["3", "4.1", "4.2"]), unique=True)
                    ),
                }
            )
        filesystems.append(
            {
                "name": name,
                "size": draw(st.integers(1, 64)) << 30,
                "snapshots": draw(st.lists(st.sampled_from(SNAP_NAMES), max_size=2, unique=True)),
                "exports": exports,
            }
        )
    return {
        "pools": pools,
        "volumes": volumes,
        "hosts": hosts,
        "mappings": mappings,
        "replica_extras": replica_extras,
        "filesystems": filesystems,
    }


def seed(world: dict[str, Any], uri: str) -> None:
    """Make the world on a fresh simulator through the Session API."""
    session, system = system_session(uri)
    with session:
        if "extra" in world["pools"]:
            free = [
                d.id
                for d in session.observe({Kind.DISKS}).disks
                if d.system_id == system and d.pool_id is None and d.kind == "ssd"
            ]
            session.create_pool(system, "extra", free[:2])
        pools = {p.name: p for p in session.pools() if p.system_id == system}
        ids: dict[str, str] = {}
        for v in world["volumes"]:
            ids[v["name"]] = made(
                session.create_volume(pools[v["pool"]], v["name"], v["size"], thin=v["thin"])
            )
            for snap in v["snapshots"]:
                session.create_snapshot(ids[v["name"]], snap)
            if v["replica"]:
                pool = pools[v["replica_pool"]] if v["replica_pool"] else None
                job = session.create_replica(
                    ids[v["name"]], f"{v['name']}-r", v["replica"], pool=pool
                )
                assert job.result is not None
                ids[f"{v['name']}-r"] = job.result.target_volume_id
        extras = world["replica_extras"]
        if extras["snapshot"]:
            session.create_snapshot(ids[f"{extras['snapshot']}-r"], "of-replica")
        if extras["chain"]:
            session.create_replica(ids[f"{extras['chain']}-r"], f"{extras['chain']}-rr", "copy")
        groups: dict[str, str] = {}
        for h in world["hosts"]:
            groups[h["name"]] = made(
                session.create_access_group(system, h["name"], h["initiators"])
            )
            for initiator, chap in h["chap"].items():
                if chap is not None:
                    mutual = {"mutual_user": "target", "mutual_secret": Secret(SECRET[::-1])}
                    session.set_chap(
                        groups[h["name"]],
                        initiator,
                        f"u-{h['name']}",
                        Secret(SECRET),
                        **(mutual if chap == "mutual" else {}),
                    )
        # explicit LUNs first: an array-chosen one must not take a LUN given later
        for volume, host, lun in sorted(world["mappings"], key=lambda m: m[2] is None):
            session.map_volume(ids[volume], groups[host], lun)
        for f in world["filesystems"]:
            fs = made(session.create_filesystem(pools["nas"], f["name"], f["size"]))
            for snap in f["snapshots"]:
                session.create_fs_snapshot(fs, snap)
            for e in f["exports"]:
                options = {k: v for k, v in e.items() if k != "path"}
                session.create_export(fs, e["path"], ExportOptions.canonical(**options))


def imported_text(uri: str) -> tuple[Any, str, ArrayView]:
    with connect(uri) as session:
        state, capabilities = session.observe(), session.capabilities
    imported = import_array(
        state, name="array1", provider=uri, system=SYSTEM, capabilities=capabilities
    )
    return imported, manifest_text(imported, source=uri), ArrayView(state, SYSTEM)


def everything(view: ArrayView) -> set[str]:
    """The key of every object of the system a manifest can declare."""
    keys = {f"pool:{p}" for p in view.pools} | {f"host:{h}" for h in view.hosts}
    keys |= {f"volume:{v}" for v in view.volumes} | {f"filesystem:{f}" for f in view.filesystems}
    keys |= {f"snapshot:{v}/{s}" for v, s in view.snapshots}
    return keys | {f"fs_snapshot:{f}/{s}" for f, s in view.fs_snapshots}


def plans_clean(paths: list[Path], store: Any, view: ArrayView) -> None:
    """Online validation passes, the manifest declares every object of the system (mappings
    with their LUNs, exports with their options), and its plan has no actions."""
    result = validate(paths, connector=connector)
    assert result.manifest is not None, [str(d) for d in result.diagnostics]
    assert not [d for d in result.diagnostics if d.severity == "error"]
    (array,) = result.manifest.arrays
    assert declared_keys(array) == everything(view)
    mappings = {(v.name, m.host, m.lun) for v in array.volumes for m in v.mappings}
    assert mappings == {(v, h, m.lun) for (v, h), m in view.mappings.items()}
    exports = {e.path: e.options() for f in array.filesystems for e in f.exports}
    assert exports == {p: e.options() for p, e in view.exports.items()}
    chap = {i.id: i.chap.user for h in array.hosts for i in h.initiators if i.chap}
    assert chap == {i: x.chap_user for (_h, i), x in view.initiators.items() if x.chap_user}
    plan = make_plan(result.manifest, connector, StoreMemory(store))
    assert plan.failed == ()
    assert plan.actions == (), [a.id for a in plan.actions]


@SETTINGS
@given(world=worlds())
def test_import_plans_clean(world: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        uri = f"sim://{directory / 'array.db'}"
        seed(world, uri)
        imported, text, view = imported_text(uri)
        assert SECRET not in text and SECRET[::-1] not in text
        assert "status" not in text and "health" not in text and "wwn" not in text
        path = directory / "imported.yaml"
        path.write_text(text)
        store = open_store(str(directory / "state.db"))
        try:
            plans_clean([path], store, view)
            split = directory / "gitops"
            split.mkdir()
            for name, content in manifest_files(imported, source=uri).items():
                (split / name).write_text(content)
            plans_clean([split], store, view)
        finally:
            store.close()
        assert imported_text(uri)[1] == text, "importing an unchanged array twice differs"
