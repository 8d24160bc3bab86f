"""File-system clones through the whole workflow, on real simulator files and a real SQLite
state store: one apply makes a file system, its snapshot and a clone of it (in that order),
re-planning changes nothing, pruning a clone needs consent, an imported array declares its
clones, and a simulator file of the format before clones is read as it is and upgraded by its
first write.  Nothing is faked: manifests are YAML files read by the real loader.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from planhelpers import SYSTEM, apply, load, plan, write_manifest
from storplan.export.observed import import_array
from storplan.manifest.dump import dump_manifest
from storplan.manifest.spec import Manifest
from storplan.model import Kind
from storplan.plan import Consent
from storplan.session import connect
from storplan.state import StateStore, open_store

GIB = 1 << 30


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sim://{tmp_path / 'array.db'}"


@pytest.fixture
def store(tmp_path: Path) -> Any:
    state = open_store(str(tmp_path / "state.db"))
    yield state
    state.close()


def entry(uri: str, *, clone: bool = True, prune: bool = False) -> dict[str, Any]:
    filesystems: list[dict[str, Any]] = [
        {"name": "home", "pool": "nas", "size": "2GiB", "snapshots": [{"name": "daily"}]},
    ]
    if clone:
        filesystems += [
            {
                "name": "home-test",
                "clone_of": {"filesystem": "home", "snapshot": "daily"},
                "exports": [{"path": "/export/home-test", "clients": ["10.0.0.5"]}],
            },
            {"name": "home-big", "clone_of": {"filesystem": "home", "snapshot": "daily"},
             "size": "3GiB"},
        ]  # fmt: skip
    return {"name": "nas", "provider": uri, "system": SYSTEM, "pools": [{"name": "nas"}],
            "filesystems": filesystems, "prune": prune}  # fmt: skip


def manifest(tmp_path: Path, uri: str, **options: Any) -> Manifest:
    return load(write_manifest(tmp_path / "m.yaml", [entry(uri, **options)]))


def clones(uri: str) -> dict[str, tuple[str | None, int]]:
    """Each file system's source snapshot (as file system/snapshot) and size, by name."""
    with connect(uri) as session:
        state = session.observe()
    fs_names = {f.id: f.name for f in state.filesystems}
    snapshots = {s.id: f"{fs_names[s.filesystem_id]}/{s.name}" for s in state.fs_snapshots}
    return {
        f.name: (snapshots.get(f.clone_of) if f.clone_of else None, int(f.size))
        for f in state.filesystems
    }


def test_one_apply_makes_the_snapshot_then_its_clones_and_a_rerun_changes_nothing(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    wanted = manifest(tmp_path, uri)
    planned = plan(wanted, store)
    order = [(a.operation, str(a.key)) for a in planned.actions]
    position = {target: i for i, (_, target) in enumerate(order)}
    assert position["fs_snapshot:home/daily"] < position["filesystem:home-test"]
    assert position["filesystem:home-test"] < position["export:/export/home-test"]
    ops = {target: op for op, target in order}
    assert ops["filesystem:home-test"] == ops["filesystem:home-big"] == "create_fs_clone"
    report = apply(wanted, store)
    assert report.status == "ok", report
    assert clones(uri) == {
        "home": (None, 2 * GIB),
        "home-test": ("home/daily", 2 * GIB),  # the snapshot's size: not managed
        "home-big": ("home/daily", 3 * GIB),
    }
    assert not plan(wanted, store).actions


def test_a_pruned_clone_is_deleted_only_with_consent(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    apply(manifest(tmp_path, uri), store)
    without = manifest(tmp_path, uri, clone=False, prune=True)
    refused = plan(without, store, Consent())
    deletes = [a for a in refused.actions if a.operation.startswith("delete_")]
    assert {str(a.key) for a in deletes} == {
        "export:/export/home-test", "filesystem:home-test", "filesystem:home-big",
    }  # fmt: skip
    assert all(a.blocked for a in deletes if a.operation == "delete_filesystem")
    apply(without, store)  # with --allow-destroy and --allow-disruptive
    assert clones(uri) == {"home": (None, 2 * GIB)}


def test_an_imported_array_declares_its_clones_and_plans_nothing(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    apply(manifest(tmp_path, uri), store)
    with connect(uri) as session:
        imported = import_array(session.observe(), name="nas", provider=uri, system=SYSTEM)
    text = dump_manifest(Manifest(name="imported", arrays=(imported.array,)))
    assert "clone_of:\n      filesystem: home\n      snapshot: daily" in text
    path = tmp_path / "imported.yaml"
    path.write_text(text)
    assert not plan(load(path), store).actions


def test_a_format_2_simulator_file_is_read_as_it_is_and_upgraded_by_a_write(
    tmp_path: Path, uri: str
) -> None:
    """A file made before clones (no clone_of column) is observed without writing to it; the
    first write upgrades it, and clones then work."""
    db = tmp_path / "array.db"
    with connect(uri) as session:
        pool = session.get(Kind.POOLS, "nas")
        session.create_filesystem(pool, "home", 2 * GIB)
    with sqlite3.connect(db) as conn:
        conn.execute("ALTER TABLE filesystems DROP COLUMN clone_of")
        conn.execute("UPDATE meta SET value = 'storplan-sim/2' WHERE key = 'format'")
    conn.close()
    with connect(uri) as session:
        [home] = session.observe({Kind.FILESYSTEMS}).filesystems
        assert (home.name, home.clone_of) == ("home", None)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (
            "storplan-sim/2",
        )
    conn.close()
    with connect(uri) as session:
        snapshot = session.create_fs_snapshot(home, "daily").result
        clone = session.create_fs_clone(snapshot, "home-test").result
        assert clone.clone_of == snapshot.id
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() == (
            "storplan-sim/3",
        )
    conn.close()


def test_pool_and_size_defaults_do_not_apply_to_clones(tmp_path: Path, uri: str) -> None:
    """``defaults: filesystem: {pool, size}`` fill ordinary file systems only: a clone's
    pool is its source's and its size its snapshot's (the manifest is valid and plans a
    clone without a size)."""
    path = tmp_path / "m.yaml"
    path.write_text(f"""\
apiVersion: storplan.io/v1
kind: StorageState
metadata: {{name: defaults}}
defaults:
  filesystem: {{pool: nas, size: 1GiB}}
arrays:
  - name: nas
    provider: {uri}
    system: {SYSTEM}
    pools: [{{name: nas}}, {{name: other}}]
    filesystems:
      - {{name: home, pool: other, size: 2GiB, snapshots: [{{name: daily}}]}}
      - {{name: scratch}}
      - {{name: home-test, clone_of: {{filesystem: home, snapshot: daily}}}}
""")
    wanted = load(path)
    specs = {f.name: (f.pool, f.size) for f in wanted.arrays[0].filesystems}
    assert specs == {"home": ("other", 2 * GIB), "scratch": ("nas", GIB),
                     "home-test": ("other", None)}  # fmt: skip


def test_the_cli_names_snapshots_by_owner_and_name(tmp_path: Path, uri: str) -> None:
    """Real ``storplan`` processes: ``fs clone home/daily ...`` and ``fs-snapshot delete
    scratch/daily`` pick the snapshot of the file system named (two have a ``daily``); an
    unknown owner or snapshot is refused and nothing changes."""
    from planhelpers import cli_env, observe_state, run_cli

    with connect(uri) as session:
        pool = session.get(Kind.POOLS, "nas")
        for name in ("home", "scratch"):
            session.create_fs_snapshot(session.create_filesystem(pool, name, GIB).result, "daily")
    env = cli_env(tmp_path / "state.db")
    done = run_cli("--uri", uri, "fs", "clone", "home/daily", "home-test", env=env)
    assert done.returncode == 0, done.stderr
    assert clones(uri)["home-test"] == ("home/daily", GIB)
    for missing in ("nobody/daily", "home/hourly"):
        refused = run_cli("--uri", uri, "fs-snapshot", "delete", missing, "--yes", env=env)
        assert refused.returncode == 1 and "no " in refused.stderr, refused.stderr
    done = run_cli("--uri", uri, "fs-snapshot", "delete", "scratch/daily", "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert observe_state(uri).fs_snapshots == {("home", "daily")}
