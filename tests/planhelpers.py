"""Helpers shared by the plan/apply tests: real simulator files, state stores and manifests.

Nothing here stands in for storplan: manifests are YAML files read by the real loader, arrays
are ``sim://`` SQLite files in a temporary directory, ownership, journal and locks live in a
real state store file, and ``storplan`` processes are the installed console script.  The
helpers only build inputs and read outcomes (the observed simulator state) in comparable form.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from storplan.apply import ApplyOptions, ApplyReport, apply_manifest
from storplan.manifest import ArraySpec, Manifest, load_manifest
from storplan.model import Job, Kind
from storplan.plan import Consent, Plan, StoreMemory, make_plan
from storplan.session import Session, connect
from storplan.size import Size
from storplan.state import StateStore, open_store

SYSTEM = "sim-array-1"
ALIGN = 1 << 20
ALL = Consent(allow_destroy=True, allow_disruptive=True)
STORPLAN = str(Path(sys.executable).with_name("storplan"))
IQN = "iqn.2024-01.com.example:"


def connector(array: ArraySpec) -> Session:
    """Open the array a manifest entry names (the sim ignores passwords)."""
    return connect(array.provider)


def write_manifest(path: Path, arrays: list[dict[str, Any]], name: str = "test") -> Path:
    document = {"apiVersion": "storplan.io/v1", "kind": "StorageState"}
    path.write_text(yaml.safe_dump({**document, "metadata": {"name": name}, "arrays": arrays}))
    return path


def load(path: Path | str) -> Manifest:
    return load_manifest([path], offline=True)


def plan(
    manifest: Manifest, store: StateStore, consent: Consent | None = None, scope: Any = None
) -> Plan:
    """Plan ``manifest`` (``scope``: a targeted plan, :class:`storplan.plan.target.Scope`)."""
    if scope is None:
        return make_plan(manifest, connector, StoreMemory(store), consent)
    return make_plan(manifest, connector, StoreMemory(store), consent, scope=scope)


def apply(
    manifest: Manifest, store: StateStore, consent: Consent = ALL, **options: Any
) -> ApplyReport:
    opts = ApplyOptions(consent=consent, verify_delay=0.05, **options)
    return apply_manifest(manifest, connector, store, opts)


def made(job: Job[Any]) -> str:
    """The id of the object a finished job created."""
    assert job.result is not None, job
    return str(job.result.id)


def identity(uri: str) -> str:
    """The identity of the array ``uri`` reaches (what locks key on)."""
    with connect(uri) as session:
        return session.provider.identity()


def array_key_of(uri: str) -> str:
    """identity#system of the test system (what ownership keys on)."""
    session, system = system_session(uri)
    with session:
        return f"{session.provider.identity()}#{system}"


def system_session(uri: str) -> tuple[Session, str]:
    session = connect(uri)
    system = next(s for s in session.observe({Kind.SYSTEMS}).systems if s.name == SYSTEM)
    return session, system.id


# ---------------------------------------------------------------------------- observed state
@dataclass
class SimState:
    """The managed-relevant content of one sim system, by name (ids never compared)."""

    volumes: dict[str, tuple[str, int, bool]] = field(default_factory=dict)
    hosts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    chap: dict[str, str | None] = field(default_factory=dict)
    mappings: dict[tuple[str, str], int] = field(default_factory=dict)
    snapshots: set[tuple[str, str]] = field(default_factory=set)
    replicas: dict[str, tuple[str, str]] = field(default_factory=dict)
    filesystems: dict[str, tuple[str, int]] = field(default_factory=dict)
    fs_snapshots: set[tuple[str, str]] = field(default_factory=set)
    exports: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)


def observe_state(uri: str) -> SimState:
    """Observe the sim behind ``uri`` (system sim-array-1) and index it by name."""
    with connect(uri) as session:
        state = session.observe()
    sid = next(s.id for s in state.systems if s.name == SYSTEM)
    out = SimState()
    pools = {p.id: p.name for p in state.pools}
    volumes = {v.id: v.name for v in state.volumes if v.system_id == sid}
    hosts = {h.id: h.name for h in state.access_groups if h.system_id == sid}
    fss = {f.id: f.name for f in state.filesystems if f.system_id == sid}
    names = [f"volume:{n}" for n in volumes.values()] + [f"host:{n}" for n in hosts.values()]
    names += [f"filesystem:{n}" for n in fss.values()]
    out.duplicates = sorted({n for n in names if names.count(n) > 1})
    for v in state.volumes:
        if v.system_id == sid:
            out.volumes[v.name] = (pools[v.pool_id], int(v.size), v.thin)
    for h in state.access_groups:
        if h.system_id == sid:
            out.hosts[h.name] = tuple(sorted(i.id for i in h.initiators))
            out.chap.update({i.id: i.chap_user for i in h.initiators})
    for m in state.mappings:
        if m.volume_id in volumes:
            out.mappings[(volumes[m.volume_id], hosts[m.access_group_id])] = m.lun
    out.snapshots = {
        (volumes[s.volume_id], s.name) for s in state.snapshots if s.volume_id in volumes
    }
    for r in state.replicas:
        if r.target_volume_id in volumes:
            out.replicas[volumes[r.target_volume_id]] = (
                volumes[r.source_volume_id],
                str(r.kind.value),
            )
    for f in state.filesystems:
        if f.system_id == sid:
            out.filesystems[f.name] = (pools[f.pool_id], int(f.size))
    out.fs_snapshots = {
        (fss[s.filesystem_id], s.name) for s in state.fs_snapshots if s.filesystem_id in fss
    }
    for e in state.exports:
        if e.filesystem_id in fss:
            out.exports[e.path] = (fss[e.filesystem_id], e.options().to_dict())
    return out


def differences(array: ArraySpec, live: SimState, foreign: SimState | None = None) -> list[str]:
    """Every way the live state differs from the manifest entry (empty: converged).

    Managed objects must match exactly (sizes after 1 MiB alignment, mapping sets of managed
    volumes, initiator sets of managed hosts); ``foreign`` objects (not in the manifest, not
    owned) must still be there unchanged; no name may exist twice.
    """
    problems = [f"duplicate {name}" for name in live.duplicates]
    for v in array.volumes:
        want = (v.pool, int(Size(v.size).align_up(ALIGN)), v.thin)
        if live.volumes.get(v.name) != want:
            problems.append(f"volume {v.name}: {live.volumes.get(v.name)} != {want}")
        for old in v.previous_names:
            if old in live.volumes:
                problems.append(f"volume {v.name}: previous name {old} still exists")
        wanted = {m.host: m.lun for m in v.mappings}
        have = {h: lun for (vol, h), lun in live.mappings.items() if vol == v.name}
        if set(wanted) != set(have) or any(
            lun is not None and have.get(h) != lun for h, lun in wanted.items()
        ):
            problems.append(f"mappings of {v.name}: {have} != {wanted}")
        for s in v.snapshots:
            if (v.name, s.name) not in live.snapshots:
                problems.append(f"snapshot {v.name}/{s.name} missing")
        for r in v.replicas:
            if live.replicas.get(r.name, ("",))[0] != v.name:
                problems.append(f"replica {r.name} of {v.name} missing")
    for h in array.hosts:
        want_init = tuple(sorted(i.id for i in h.initiators))
        if live.hosts.get(h.name) != want_init:
            problems.append(f"host {h.name}: {live.hosts.get(h.name)} != {want_init}")
        for i in h.initiators:
            if i.chap is not None and live.chap.get(i.id) != i.chap.user:
                problems.append(f"chap of {i.id}: {live.chap.get(i.id)} != {i.chap.user}")
    for f in array.filesystems:
        want_fs = (f.pool, int(Size(f.size).align_up(ALIGN)))
        if live.filesystems.get(f.name) != want_fs:
            problems.append(f"filesystem {f.name}: {live.filesystems.get(f.name)} != {want_fs}")
        for s in f.snapshots:
            if (f.name, s.name) not in live.fs_snapshots:
                problems.append(f"fs snapshot {f.name}/{s.name} missing")
        for e in f.exports:
            want_e = (f.name, e.options().to_dict())
            if live.exports.get(e.path) != want_e:
                problems.append(f"export {e.path}: {live.exports.get(e.path)} != {want_e}")
    if foreign is not None:
        for name, spec in foreign.volumes.items():
            if live.volumes.get(name) != spec:
                problems.append(f"foreign volume {name} changed or lost")
        for pair, lun in foreign.mappings.items():
            if live.mappings.get(pair) != lun:
                problems.append(f"foreign mapping {pair} changed or lost")
    return problems


# ---------------------------------------------------------------------------- files
def save_db(source: Path, target: Path) -> None:
    """Copy a SQLite file consistently (WAL included) with the backup API."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def cli_env(state: Path, **extra: str) -> dict[str, str]:
    """The environment of a storplan process: its own state store, no inherited sim faults."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_")}
    env.update(STORPLAN_STATE=str(state), NO_COLOR="1", **extra)
    return env


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``storplan`` script; stdin is not a terminal."""
    return subprocess.run(
        [STORPLAN, *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )


# ---------------------------------------------------------------------------- the big case
CHAP_ENV = "STORPLAN_TEST_CHAP"


def _initial(uri: str) -> dict[str, Any]:
    return {
        "name": "sim",
        "provider": uri,
        "system": SYSTEM,
        "pools": [{"name": "ssd"}, {"name": "nas"}],
        "hosts": [
            {"name": "h0", "initiators": [IQN + "i0a"]},
            {"name": "h1", "initiators": [IQN + "i1a", IQN + "i1b"]},
            {"name": "h2", "initiators": [IQN + "i2a"]},
        ],
        "volumes": [
            {
                "name": "keep-old",
                "pool": "ssd",
                "size": "1GiB",
                "mappings": [{"host": "h0", "lun": 3}],
            },
            {"name": "grow", "pool": "ssd", "size": "1GiB"},
            {
                "name": "lunmove",
                "pool": "ssd",
                "size": "1GiB",
                "mappings": [{"host": "h0", "lun": 10}],
            },
            {
                "name": "gone",
                "pool": "ssd",
                "size": "1GiB",
                "mappings": [{"host": "h1", "lun": 5}],
                "snapshots": [{"name": "s"}],
            },
            {"name": "snapped", "pool": "ssd", "size": "1GiB", "snapshots": [{"name": "s-old"}]},
        ],
        "filesystems": [
            {
                "name": "fs0",
                "pool": "nas",
                "size": "100GiB",
                "exports": [{"path": "/export/fs0", "clients": ["10.0.0.0/24"]}],
            }
        ],
    }


def _desired(uri: str, count: int) -> dict[str, Any]:
    hosts = [
        {"name": "h0", "initiators": [IQN + "i0a"]},
        {"name": "h1", "initiators": [IQN + "i1a"]},
        {
            "name": "h2",
            "initiators": [
                {"id": IQN + "i2a", "chap": {"user": "u2", "secret": {"env": CHAP_ENV}}},
                IQN + "i2b",
            ],
        },
        {"name": "h3", "initiators": [IQN + "i3a"]},
        {"name": "h4", "initiators": [IQN + "i4a"]},
    ]
    volumes: list[dict[str, Any]] = [
        {
            "name": "keep-new",
            "previous_names": ["keep-old"],
            "pool": "ssd",
            "size": "1GiB",
            "mappings": [{"host": "h0", "lun": 3}],
        },
        {"name": "grow", "pool": "ssd", "size": "3GiB"},
        {"name": "lunmove", "pool": "ssd", "size": "1GiB", "mappings": [{"host": "h0", "lun": 11}]},
        {"name": "snapped", "pool": "ssd", "size": "1GiB", "snapshots": [{"name": "s-new"}]},
    ]
    for i in range(count):
        volume: dict[str, Any] = {
            "name": f"d{i:02d}",
            "pool": "ssd",
            "size": f"{1 + i % 3}GiB",
            "mappings": [{"host": f"h{i % 5}", "lun": 100 + i}],
        }
        if i % 3 == 0:
            volume["snapshots"] = [{"name": "daily"}]
        if i < 2:
            volume["replicas"] = [{"name": f"d{i:02d}-clone"}]
        volumes.append(volume)
    return {
        "name": "sim",
        "provider": uri,
        "system": SYSTEM,
        "prune": True,
        "pools": [{"name": "ssd"}, {"name": "nas"}],
        "hosts": hosts,
        "volumes": volumes,
        "filesystems": [
            {
                "name": "fs0",
                "pool": "nas",
                "size": "100GiB",
                "exports": [{"path": "/export/fs0", "clients": ["10.0.0.0/16"]}],
            },
            {
                "name": "fs1",
                "pool": "nas",
                "size": "50GiB",
                "snapshots": [{"name": "daily"}],
                "exports": [{"path": "/export/fs1", "clients": ["*"], "access": "ro"}],
            },
        ],
    }


@dataclass
class BigCase:
    """A ≥ 50-action plan covering every operation kind, with its starting state saved."""

    uri: str
    manifest_path: Path
    no_replicas: Path  # the same without clones: a parallel apply of clones races (a bug)
    sim_db: Path
    state_db: Path
    foreign: SimState

    def restore(self, templates: Path) -> None:
        save_db(templates / "sim.db", self.sim_db)
        save_db(templates / "state.db", self.state_db)


def build_big_case(directory: Path, count: int = 20) -> BigCase:
    """Seed the array (a first apply for ownership, plus objects storplan does not own), write
    the desired manifest, and keep copies of both files under ``directory/templates``."""
    sim_db, state_db = directory / "array.db", directory / "state.db"
    uri = f"sim://{sim_db}"
    first = write_manifest(directory / "initial.yaml", [_initial(uri)])
    store = open_store(str(state_db))
    try:
        report = apply(load(first), store)
        assert report.ok, report.results
    finally:
        store.close()
    session, _ = system_session(uri)
    with session:
        pool = session.get(Kind.POOLS, "ssd")
        foreign = made(session.create_volume(pool, "foreign", "2GiB"))
        h2 = next(h for h in session.access_groups() if h.name == "h2")
        session.map_volume(foreign, h2, 20)
    desired = write_manifest(directory / "desired.yaml", [_desired(uri, count)])
    plain = _desired(uri, count)
    for volume in plain["volumes"]:
        volume.pop("replicas", None)
    no_replicas = write_manifest(directory / "no-replicas.yaml", [plain])
    templates = directory / "templates"
    templates.mkdir()
    save_db(sim_db, templates / "sim.db")
    save_db(state_db, templates / "state.db")
    start = observe_state(uri)
    kept = SimState(
        volumes={"foreign": start.volumes["foreign"]},
        mappings={("foreign", "h2"): 20},
    )
    return BigCase(uri, desired, no_replicas, sim_db, state_db, kept)
