"""Apply through the library and the CLI: reports, journal, ownership, refusals, exit codes.

Real: simulator files and state stores in tmp_path, the loader, planner and executor, and the
``storplan`` command through ``main(argv)`` (one test runs the installed script as a process,
to have a stdin that is not a terminal).  Outcomes are checked by observing the simulator.
Known bugs are ``xfail(strict=True)`` tests with the reason starting "bug:".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from planhelpers import (
    ALL,
    IQN,
    SYSTEM,
    apply,
    cli_env,
    differences,
    identity,
    load,
    observe_state,
    plan,
    run_cli,
    system_session,
    write_manifest,
)
from storplan.apply import DONE
from storplan.cli import main
from storplan.errors import ApplyRefused, LockHeld
from storplan.manifest import Manifest
from storplan.model import Kind
from storplan.plan import Consent
from storplan.state import StateStore, open_store


@pytest.fixture
def uri(tmp_path: Path) -> str:
    return f"sim://{tmp_path / 'array.db'}"


@pytest.fixture
def store(state_location: str) -> Iterator[StateStore]:
    """The state store, on each backend (an SQLite file; a real PostgreSQL database)."""
    state = open_store(state_location)
    yield state
    state.close()


def entry(uri: str, volumes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    hosts = [{"name": "app01", "initiators": [IQN + "app01"]}]
    return {
        "name": "sim",
        "provider": uri,
        "system": SYSTEM,
        "pools": [{"name": "ssd"}],
        "hosts": hosts,
        "volumes": volumes,
        **extra,
    }


def vol(name: str, size: str = "1GiB", **extra: Any) -> dict[str, Any]:
    return {"name": name, "pool": "ssd", "size": size, **extra}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------ library
def test_apply_reports_journals_and_records_ownership(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    volumes = [
        vol("a", mappings=[{"host": "app01", "lun": 1}]),
        vol("b", snapshots=[{"name": "s"}]),
    ]
    manifest = load(write_manifest(tmp_path / "m.yaml", [entry(uri, volumes)]))
    report = apply(manifest, store)
    assert report.ok and report.remaining == []
    assert {r.state for r in report.results} == {DONE}
    assert differences(manifest.arrays[0], observe_state(uri)) == []
    steps = store.steps(report.apply_id)
    for action in report.plan.actions:
        assert [s.state for s in steps if s.action == action.id] == ["started", DONE]
    assert store.applies()[0].status == "ok"
    (array_key,) = _array_keys(store)
    keys = set(store.owned(array_key))
    assert {"host:app01", "volume:a", "volume:b", "snapshot:b/s"} <= keys
    again = apply(manifest, store)
    assert again.ok and again.results == []


def _array_keys(store: StateStore) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT DISTINCT array_key FROM owned")]


def test_blocked_plan_is_refused_before_anything_changes(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    session, _ = system_session(uri)
    with session:
        pool = session.get(Kind.POOLS, "ssd")
        session.create_volume(pool, "big", "4GiB")
    manifest = load(
        write_manifest(tmp_path / "m.yaml", [entry(uri, [vol("big", "2GiB"), vol("new")])])
    )
    before = observe_state(uri)
    with pytest.raises(ApplyRefused, match="blocked"):
        apply(manifest, store, Consent())
    assert observe_state(uri) == before
    assert store.applies() == []


def test_lock_of_another_live_apply_is_respected(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    manifest = load(write_manifest(tmp_path / "m.yaml", [entry(uri, [vol("a")])]))
    lock = store.acquire(identity(uri))
    with pytest.raises(LockHeld, match=f"storplan unlock {lock.lock_id}"):
        apply(manifest, store, lock_timeout=0.2)
    store.release(lock)
    assert apply(manifest, store).ok


def test_lock_is_per_array_not_per_uri_spelling(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    manifest = load(write_manifest(tmp_path / "m.yaml", [entry(f"{uri}?latency=*:0", [vol("a")])]))
    store.acquire(identity(uri))
    with pytest.raises(LockHeld):
        apply(manifest, store, lock_timeout=0)


# ------------------------------------------------------------------------------ known bugs
def test_rename_and_grow_in_one_apply(tmp_path: Path, uri: str, store: StateStore) -> None:
    session, _ = system_session(uri)
    with session:
        session.create_volume(session.get(Kind.POOLS, "ssd"), "legacy", "1GiB")
    volumes = [vol("data", "2GiB", previous_names=["legacy"])]
    manifest = load(write_manifest(tmp_path / "m.yaml", [entry(uri, volumes)]))
    assert {a.operation for a in plan(manifest, store, ALL).actions} >= {"rename_volume"}
    assert apply(manifest, store, verify_retries=0).ok
    assert observe_state(uri).volumes == {"data": ("ssd", 2 << 30, True)}


def test_rename_keeps_snapshots(tmp_path: Path, uri: str, store: StateStore) -> None:
    first = [vol("legacy", snapshots=[{"name": "s"}])]
    assert apply(load(write_manifest(tmp_path / "a.yaml", [entry(uri, first)])), store).ok
    with system_session(uri)[0] as session:
        original = {s.id: s.created_at for s in session.observe().snapshots}
    renamed = [vol("data", previous_names=["legacy"], snapshots=[{"name": "s"}])]
    manifest = load(write_manifest(tmp_path / "b.yaml", [entry(uri, renamed, prune=True)]))
    assert [a.operation for a in plan(manifest, store, ALL).actions] == ["rename_volume"]
    assert apply(manifest, store).ok
    with system_session(uri)[0] as session:
        assert {s.id: s.created_at for s in session.observe().snapshots} == original


def test_rename_volume_with_replica(tmp_path: Path, uri: str, store: StateStore) -> None:
    first = [vol("legacy", replicas=[{"name": "copy1"}])]
    assert apply(load(write_manifest(tmp_path / "a.yaml", [entry(uri, first)])), store).ok
    renamed = [vol("data", previous_names=["legacy"], replicas=[{"name": "copy1"}])]
    manifest = load(write_manifest(tmp_path / "b.yaml", [entry(uri, renamed)]))
    assert [a.operation for a in plan(manifest, store, ALL).actions] == ["rename_volume"]


def initiator_change(
    tmp_path: Path,
    store: StateStore,
    uri: str,
    live: dict[str, list[str]],
    wanted: dict[str, list[str]],
) -> tuple[Manifest, dict[str, Any]]:
    """Hosts ``live`` on a sim array (initiator suffixes), a manifest wanting ``wanted``, and
    its planned actions by id."""
    session, system = system_session(uri)
    with session:
        for name, suffixes in live.items():
            session.create_access_group(system, name, [IQN + s for s in suffixes])
    hosts = [{"name": n, "initiators": [IQN + s for s in ss]} for n, ss in wanted.items()]
    array = {"name": "sim", "provider": uri, "system": SYSTEM, "hosts": hosts}
    manifest = load(write_manifest(tmp_path / "m.yaml", [array]))
    return manifest, {a.id: a for a in plan(manifest, store, ALL).actions}


def step(host: str, suffix: str, operation: str) -> str:
    return f"sim/initiator/{host}/{IQN}{suffix}/{operation}"


def test_initiator_moves_to_an_earlier_host(tmp_path: Path, store: StateStore) -> None:
    uri = f"sim://{tmp_path / 'array.db'}?latency=remove_initiator:0.2"
    manifest, actions = initiator_change(
        tmp_path, store, uri, {"app01": ["a"], "app02": ["moving"]},
        {"app01": ["a", "moving"], "app02": ["b"]},
    )  # fmt: skip
    add = actions[step("app01", "moving", "add_initiator")]
    assert step("app02", "moving", "remove_initiator") in add.requires
    assert apply(manifest, store, verify_retries=0).ok


def test_replaced_initiator_is_added_before_the_old_one_goes(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    """A new HBA: the host keeps access throughout (and a LIO host never becomes empty)."""
    manifest, actions = initiator_change(
        tmp_path, store, uri, {"app01": ["old"]}, {"app01": ["new"]}
    )
    remove = actions[step("app01", "old", "remove_initiator")]
    assert step("app01", "new", "add_initiator") in remove.requires
    assert apply(manifest, store, verify_retries=0).ok


def test_initiators_swapped_between_hosts_plan_without_a_cycle(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    manifest, actions = initiator_change(
        tmp_path, store, uri, {"app01": ["x"], "app02": ["y"]}, {"app01": ["y"], "app02": ["x"]}
    )
    add_y = actions[step("app01", "y", "add_initiator")]
    assert step("app02", "y", "remove_initiator") in add_y.requires
    assert apply(manifest, store, verify_retries=0).ok
    assert not plan(manifest, store, ALL).actions


def test_automatic_and_explicit_luns_on_one_host(
    tmp_path: Path, uri: str, store: StateStore
) -> None:
    volumes = [
        vol("a", mappings=[{"host": "app01"}]),
        vol("b", mappings=[{"host": "app01", "lun": 0}]),
    ]
    manifest = load(write_manifest(tmp_path / "m.yaml", [entry(uri, volumes)]))
    first = apply(manifest, store, parallelism=1, verify_retries=0)
    second = apply(manifest, store, parallelism=1, verify_retries=0)
    assert first.ok or second.ok


# ------------------------------------------------------------------------------ CLI
@pytest.fixture
def paths(tmp_path: Path, uri: str) -> dict[str, str]:
    good = [vol("a", mappings=[{"host": "app01", "lun": 1}]), vol("b", "3000000")]
    return {
        "state": str(tmp_path / "state.db"),
        "good": str(write_manifest(tmp_path / "good.yaml", [entry(uri, good)])),
        "shrink": str(write_manifest(tmp_path / "shrink.yaml", [entry(uri, [vol("a", "512MiB")])])),
        "huge": str(write_manifest(tmp_path / "huge.yaml", [entry(uri, [vol("a", "200TiB")])])),
        "empty": str(write_manifest(tmp_path / "empty.yaml", [{"name": "sim", "provider": uri}])),
    }


def test_plan_exit_codes_and_outputs(
    capsys: pytest.CaptureFixture[str], paths: dict[str, str], tmp_path: Path, uri: str
) -> None:
    state = ("--state", paths["state"])
    before = observe_state(uri)
    code, out, _ = cli(capsys, "plan", paths["good"], *state, "--check")
    assert (
        code == 2
        and out == "Plan: 4 to create, 0 to change, 0 to delete (0 disruptive, 0 destructive).\n"
    )
    code, out, _ = cli(
        capsys, "plan", paths["good"], *state, "-o", "json", "--out", str(tmp_path / "p.json")
    )
    document = json.loads(out)
    assert code == 2 and document["format_version"] == 2
    saved = json.loads((tmp_path / "p.json").read_text())
    assert saved.pop("mac") and saved == document  # the saved plan is signed
    ids = [a["id"] for a in document["actions"]]
    assert ids == [
        "sim/host/app01/create_access_group",
        "sim/volume/a/create_volume",
        "sim/volume/b/create_volume",
        "sim/mapping/a@app01/map_volume",
    ]
    code, out, _ = cli(capsys, "plan", paths["good"], *state, "-o", "markdown")
    assert code == 2 and out.startswith("### storplan plan: test")
    for action in document["actions"]:
        assert f"{action['kind']} `{action['target']}`" in out
    code, out, _ = cli(capsys, "plan", paths["good"], *state)
    assert code == 2 and "note: 3MB is rounded up to 3MiB by the array" in out
    code, out, err = cli(capsys, "plan", paths["huge"], *state)
    assert code == 1 and out == "" and "would promise 200.00 TiB" in err
    code, _, err = cli(capsys, "plan", paths["empty"], *state)
    assert code == 1 and "declares nothing" in err
    (tmp_path / "bad.yaml").write_text(
        "apiVersion: storplan.io/v1\nkind: StorageState\narrays: 3\n"
    )
    code, _, err = cli(capsys, "plan", str(tmp_path / "bad.yaml"), *state)
    assert code == 1 and "bad.yaml" in err
    assert observe_state(uri) == before  # planning (a dry run) never writes
    code, _, _ = cli(capsys, "apply", paths["good"], *state, "--yes")
    assert code == 0
    code, out, _ = cli(capsys, "plan", paths["good"], *state, "--check")
    assert code == 0 and out == "No changes. The arrays match the manifest.\n"


def test_apply_exit_codes(
    capsys: pytest.CaptureFixture[str], paths: dict[str, str], uri: str
) -> None:
    state = ("--state", paths["state"])
    code, out, err = cli(capsys, "apply", paths["good"], *state, "--yes", "-o", "json")
    report = json.loads(out)
    assert (
        code == 0
        and report["ok"]
        and report["summary"] == {"done": 4, "failed": 0, "not attempted": 0, "interrupted": 0}
    )
    code, out, _ = cli(capsys, "apply", paths["good"], *state, "--yes")
    assert code == 0 and "No changes" in out
    before = observe_state(uri)
    code, out, err = cli(capsys, "apply", paths["shrink"], *state, "--yes", "--allow-destroy")
    assert code == 1 and "BLOCKED: shrinking needs the manifest's consent" in out
    assert "blocked" in err and "nothing was changed" in err
    assert observe_state(uri) == before
    code, out, _ = cli(capsys, "journal", *state)
    assert code == 0 and len(out.splitlines()) == 1 and " ok " in out
    apply_id = out.split()[0]
    code, out, _ = cli(capsys, "journal", apply_id, *state, "-o", "json")
    assert code == 0 and {s["state"] for s in json.loads(out)} == {"started", "done"}
    code, _, err = cli(capsys, "unlock", "nosuchlock", *state)
    assert code == 1 and "no lock" in err
    store = open_store(paths["state"])
    lock = store.acquire(identity(uri))
    store.close()
    code, out, _ = cli(capsys, "unlock", lock.lock_id, *state)
    assert code == 0 and out == f"unlocked {identity(uri)}\n"


@pytest.mark.subprocess
def test_apply_without_yes_and_without_a_terminal_refuses(paths: dict[str, str], uri: str) -> None:
    before = observe_state(uri)
    done = run_cli("apply", paths["good"], env=cli_env(Path(paths["state"])))
    assert done.returncode == 1
    assert "apply needs confirmation" in done.stderr and "--yes" in done.stderr
    assert observe_state(uri) == before


def test_protect_added_without_other_changes_is_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, uri: str
) -> None:
    state = ("--state", str(tmp_path / "state.db"))
    plain = write_manifest(tmp_path / "a.yaml", [entry(uri, [vol("keep"), vol("precious")])])
    assert cli(capsys, "apply", str(plain), *state, "--yes")[0] == 0
    guarded = [vol("keep"), vol("precious", protect=True)]
    protected = write_manifest(tmp_path / "b.yaml", [entry(uri, guarded)])
    assert cli(capsys, "apply", str(protected), *state, "--yes")[0] == 0
    removed = write_manifest(tmp_path / "c.yaml", [entry(uri, [vol("keep")], prune=True)])
    code, out, _ = cli(capsys, "plan", str(removed), *state, "--allow-destroy")
    assert code == 2 and "was protected when storplan last applied it" in out
