"""Properties of plan and apply over random manifests and random starting states (hypothesis).

Real: every example gets its own simulator file and state store in a fresh temporary directory;
the starting state is made through the Session API, the manifest is a YAML file read by the
loader, and apply runs the real executor.  Outcomes are checked by observing the simulator.

Generated worlds are valid by construction and stay clear of known bugs (reported as xfail
tests in test_apply.py and test_apply_faults.py): initiators never move between hosts, no
volume is renamed or cloned, and a host uses either explicit LUNs for all its mappings or
automatic ones for all.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings
from planhelpers import (
    ALL,
    IQN,
    SYSTEM,
    apply,
    differences,
    load,
    observe_state,
    plan,
    system_session,
    write_manifest,
)
from planhelpers import (
    made as made_id,
)
from storplan.model import ExportOptions
from storplan.plan import Plan
from storplan.state import open_store

World = dict[str, Any]
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SIZES = st.integers(1 << 20, 4 << 30)  # unaligned sizes too: compared after alignment
CLIENTS = ["10.0.0.0/24", "10.1.0.0/16", "*"]


@st.composite
def worlds(draw: st.DrawFn) -> World:
    """A manifest and a starting state, as plain data."""
    hosts: list[dict[str, Any]] = []
    for h in range(draw(st.integers(0, 3))):
        own = [f"{IQN}h{h}-{j}" for j in range(3)]
        hosts.append(
            {
                "name": f"h{h}",
                "want": draw(st.lists(st.sampled_from(own), min_size=1, max_size=3, unique=True)),
                "live": draw(st.none() | st.lists(st.sampled_from(own), max_size=3, unique=True)),
                "explicit": draw(st.booleans()),
            }
        )
    names = [h["name"] for h in hosts]
    volumes: list[dict[str, Any]] = []
    for v in range(draw(st.integers(1, 5))):
        size = draw(SIZES)
        volumes.append(
            {
                "name": f"v{v}",
                "thick": draw(st.booleans()),
                "size": size,
                "live": draw(st.none() | st.just(size) | SIZES),
                "maps": draw(st.lists(st.sampled_from(names), unique=True)) if names else [],
                "snaps": draw(st.lists(st.sampled_from(["s1", "s2"]), unique=True)),
                "live_snaps": draw(st.lists(st.sampled_from(["s1", "s3"]), unique=True)),
                "luns": {},
                "live_maps": {},
            }
        )
    for host in hosts:
        mine = [v for v in volumes if host["name"] in v["maps"]]
        luns = draw(
            st.lists(st.integers(0, 15), min_size=len(mine), max_size=len(mine), unique=True)
        )
        for volume, lun in zip(mine, luns, strict=True):
            volume["luns"][host["name"]] = lun if host["explicit"] else None
        if host["live"] is not None:
            live = [v for v in volumes if v["live"] is not None]
            chosen = (
                draw(st.lists(st.sampled_from(live), unique_by=lambda v: v["name"])) if live else []
            )
            taken = draw(
                st.lists(
                    st.integers(0, 15), min_size=len(chosen), max_size=len(chosen), unique=True
                )
            )
            for volume, lun in zip(chosen, taken, strict=True):
                volume["live_maps"][host["name"]] = lun
    fs = None
    if draw(st.booleans()):
        fs = {
            "size": draw(st.integers(1, 64)) << 30,
            "live": draw(st.none() | st.integers(1, 64).map(lambda g: g << 30)),
            "clients": draw(st.lists(st.sampled_from(CLIENTS), min_size=1, unique=True)),
            "root_squash": draw(st.booleans()),
            "live_export": draw(
                st.none() | st.lists(st.sampled_from(CLIENTS), min_size=1, unique=True)
            ),
        }
    return {
        "hosts": hosts,
        "volumes": volumes,
        "fs": fs,
        "parallelism": draw(st.sampled_from([1, 4, 8])),
    }


def array_entry(world: World, uri: str, order: Any = None) -> dict[str, Any]:
    """The manifest's array entry; ``order`` (a random.Random) shuffles every list in it."""

    def arranged(items: list[Any]) -> list[Any]:
        items = list(items)
        if order is not None:
            order.shuffle(items)
        return items

    hosts = [{"name": h["name"], "initiators": arranged(h["want"])} for h in world["hosts"]]
    volumes = []
    for v in world["volumes"]:
        entry: dict[str, Any] = {
            "name": v["name"],
            "pool": "hdd" if v["thick"] else "ssd",
            "size": v["size"],
            "thin": not v["thick"],
            "allow_shrink": True,
        }
        maps = [
            {"host": h, **({"lun": lun} if lun is not None else {})} for h, lun in v["luns"].items()
        ]
        if maps:
            entry["mappings"] = arranged(maps)
        if v["snaps"]:
            entry["snapshots"] = arranged([{"name": s} for s in v["snaps"]])
        volumes.append(entry)
    array: dict[str, Any] = {
        "name": "sim",
        "provider": uri,
        "system": SYSTEM,
        "pools": arranged([{"name": "ssd"}, {"name": "hdd"}, {"name": "nas"}]),
        "volumes": arranged(volumes),
    }
    if hosts:
        array["hosts"] = arranged(hosts)
    fs = world["fs"]
    if fs is not None:
        export = {
            "path": "/export/fs0",
            "clients": arranged(fs["clients"]),
            "root_squash": fs["root_squash"],
        }
        array["filesystems"] = [
            {
                "name": "fs0",
                "pool": "nas",
                "size": fs["size"],
                "allow_shrink": True,
                "exports": [export],
            }
        ]
    return array


def seed(world: World, uri: str) -> None:
    """Make the world's starting state on a fresh simulator through the Session API."""
    session, system = system_session(uri)
    with session:
        pools = {p.name: p for p in session.pools()}
        made: dict[str, str] = {}
        for v in world["volumes"]:
            if v["live"] is not None:
                pool = pools["hdd" if v["thick"] else "ssd"]
                made[v["name"]] = made_id(
                    session.create_volume(pool, v["name"], v["live"], thin=not v["thick"])
                )
                for snap in v["live_snaps"]:
                    session.create_snapshot(made[v["name"]], snap)
        groups = {
            h["name"]: made_id(session.create_access_group(system, h["name"], h["live"]))
            for h in world["hosts"]
            if h["live"] is not None
        }
        for v in world["volumes"]:
            for host, lun in v["live_maps"].items():
                session.map_volume(made[v["name"]], groups[host], lun)
        fs = world["fs"]
        if fs is not None and fs["live"] is not None:
            created = made_id(session.create_filesystem(pools["nas"], "fs0", fs["live"]))
            if fs["live_export"] is not None:
                session.create_export(
                    created, "/export/fs0", ExportOptions.canonical(clients=fs["live_export"])
                )


def check_order(plan_: Plan) -> None:
    """Ids are unique, every edge points inside the plan, and requirements come first."""
    index = {a.id: i for i, a in enumerate(plan_.actions)}
    assert len(index) == len(plan_.actions), "duplicate action ids"
    for i, action in enumerate(plan_.actions):
        for required in action.requires:
            assert required in index, f"{action.id} requires unknown {required}"
            assert index[required] < i, f"{action.id} comes before {required}"


@SETTINGS
@given(world=worlds())
def test_apply_converges_and_is_idempotent(world: World) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        uri = f"sim://{directory / 'array.db'}"
        seed(world, uri)
        before = observe_state(uri)
        manifest = load(write_manifest(directory / "m.yaml", [array_entry(world, uri)]))
        store = open_store(str(directory / "state.db"))
        try:
            first = plan(manifest, store, ALL)
            check_order(first)
            assert not first.blocked
            report = apply(manifest, store, parallelism=world["parallelism"], verify_retries=0)
            assert report.ok, (report.results, report.remaining)
            assert [r.action_id for r in report.results] == [a.id for a in report.plan.actions]
            after = observe_state(uri)
            assert differences(manifest.arrays[0], after) == []
            extra = {(v, s) for (v, s) in before.snapshots if s == "s3"}
            assert extra <= after.snapshots, "snapshots not in the manifest are left alone"
            assert plan(manifest, store, ALL).actions == ()
            again = apply(manifest, store)
            assert again.ok and again.results == []
            assert observe_state(uri) == after
        finally:
            store.close()


@SETTINGS
@given(world=worlds(), order=st.randoms(use_true_random=False))
def test_plan_does_not_depend_on_list_order(world: World, order: Any) -> None:
    """Lists are matched by identity, never by position: shuffling every list of the manifest
    gives a byte-identical plan (and planning twice gives the same bytes)."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        uri = f"sim://{directory / 'array.db'}"
        seed(world, uri)
        store = open_store(str(directory / "state.db"))
        try:
            straight = load(write_manifest(directory / "a.yaml", [array_entry(world, uri)]))
            shuffled = load(write_manifest(directory / "b.yaml", [array_entry(world, uri, order)]))
            reference = plan(straight, store, ALL)
            check_order(reference)
            assert plan(straight, store, ALL).to_json() == reference.to_json()
            assert plan(shuffled, store, ALL).to_json() == reference.to_json()
        finally:
            store.close()
