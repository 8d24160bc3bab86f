"""Safety: ownership follows the array, the plan shown is the plan run, saved plans are judged
again, and a rotated CHAP secret is a change.

Real: simulator SQLite files, state store files, the loader, planner and apply engine, and
``storplan`` processes for the command-line cases.  The reproductions of the safety issue are
here, each as it was reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from planhelpers import (
    ALL,
    apply,
    array_key_of,
    cli_env,
    load,
    observe_state,
    run_cli,
    write_manifest,
)
from planhelpers import plan as make_plan_for
from storplan.apply import ApplyOptions, apply_saved_plan
from storplan.errors import ApplyRefused, LockHeld, PlanError
from storplan.plan import Plan, signing
from storplan.session import connect
from storplan.state import StateStore, open_store

IQN = "iqn.2024-01.com.example:"


def _entry(uri: str, volumes: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": "a", "provider": uri, "system": "sim-array-1", "pools": [{"name": "ssd"}],
            "volumes": volumes, **extra}  # fmt: skip


def _vol(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "pool": "ssd", "size": "1GiB", **extra}


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with open_store(str(tmp_path / "state.db")) as opened:
        yield opened


# --------------------------------------------------------------------- 1: identity, not text
def test_prune_never_deletes_another_arrays_volume(tmp_path: Path, store: StateStore) -> None:
    """The reproduction: apply creates 'gone' on X through sim://; the same URI text later
    reaches Y (another file), where someone made a 'gone'; prune must not delete Y's."""
    x, y = tmp_path / "x.db", tmp_path / "y.db"
    os.environ["STORPLAN_SIM_DB"] = str(x)
    try:
        first = load(
            write_manifest(
                tmp_path / "a.yaml", [_entry("sim://", [_vol("gone"), _vol("keep")], prune=True)]
            )
        )
        assert apply(first, store).ok
        os.environ["STORPLAN_SIM_DB"] = str(y)
        with connect("sim://") as session:
            pool = next(p for p in session.pools() if p.name == "ssd" and p.system_id == "sys1")
            session.create_volume(pool, "gone", "1GiB")
        second = load(
            write_manifest(tmp_path / "b.yaml", [_entry("sim://", [_vol("keep")], prune=True)])
        )
        report = apply(second, store)
        assert report.ok
        assert "gone" in observe_state(f"sim://{y}").volumes  # Y's volume survives
        assert not any(a.operation == "delete_volume" for a in report.plan.actions)
    finally:
        del os.environ["STORPLAN_SIM_DB"]


def test_uri_spellings_of_one_array_share_lock_and_ownership(
    tmp_path: Path, store: StateStore
) -> None:
    (tmp_path / "d").mkdir()
    os.symlink(tmp_path / "d", tmp_path / "link")
    plain = f"sim://{tmp_path}/d/x.db"
    manifest = load(write_manifest(tmp_path / "m.yaml", [_entry(plain, [_vol("v1")], prune=True)]))
    assert apply(manifest, store).ok
    for spelling in (f"sim://{tmp_path}/d//x.db", f"sim://{tmp_path}/./d/x.db",
                     f"sim://{tmp_path}/link/x.db", f"{plain}?latency=*:0"):  # fmt: skip
        assert array_key_of(spelling) == array_key_of(plain)
        pruned = load(
            write_manifest(tmp_path / "p.yaml", [_entry(spelling, [_vol("v2")], prune=True)])
        )
        plan = make_plan_for(pruned, store, ALL)
        assert "a/volume/v1/delete_volume" in [a.id for a in plan.actions], spelling
    with connect(plain) as session:
        lock = store.acquire(session.provider.identity())
    try:
        other = load(
            write_manifest(
                tmp_path / "o.yaml", [_entry(f"sim://{tmp_path}/link/x.db", [_vol("v1")])]
            )
        )
        with pytest.raises(LockHeld):
            apply(other, store, lock_timeout=0)
    finally:
        store.release(lock)


def test_a_manifest_reaching_one_system_twice_is_refused(tmp_path: Path, store: StateStore) -> None:
    uri = f"sim://{tmp_path}/x.db"
    entries = [
        _entry(uri, [_vol("v1")]),
        {**_entry(f"{uri}?latency=*:0", [_vol("v2")]), "name": "b"},
    ]
    manifest = load(write_manifest(tmp_path / "m.yaml", entries))
    with pytest.raises(PlanError, match="reaches the same system") as refused:
        make_plan_for(manifest, store)
    assert refused.value.problems[0].where.startswith(str(tmp_path / "m.yaml"))


def test_ownership_of_an_older_store_is_adopted_with_a_note(
    tmp_path: Path, store: StateStore
) -> None:
    uri = f"sim://{tmp_path}/x.db"
    with connect(uri) as session:
        pool = next(p for p in session.pools() if p.name == "ssd" and p.system_id == "sys1")
        session.create_volume(pool, "old", "1GiB")
    store.record_owned(f"sim://{tmp_path}/x.db#sys1", "volume:old")  # what storplan 0.1 kept
    manifest = load(write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("new")], prune=True)]))
    plan = make_plan_for(manifest, store, ALL)  # plan reads the old key too
    assert "a/volume/old/delete_volume" in [a.id for a in plan.actions]
    report = apply(manifest, store)
    assert report.ok and any("older storplan" in n for n in report.notes)
    assert "volume:old" not in store.owned(array_key_of(uri))  # it was pruned, then forgotten


# ----------------------------------------------------------------- 3: the plan that was shown
def test_saved_plan_edits_are_refused(tmp_path: Path, store: StateStore) -> None:
    uri = f"sim://{tmp_path}/x.db"
    manifest = load(write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("v1")])]))
    plan = make_plan_for(manifest, store)
    key = store.secret_key(create=True)
    document = json.loads(plan.to_json(key))
    assert Plan.from_json(json.dumps(document)).signed_by(key)
    document["actions"][0]["params"]["size"] = 2 << 30  # a hand edit
    before = observe_state(uri)
    with pytest.raises(ApplyRefused, match="changed after storplan wrote it"):
        apply_saved_plan(Plan.from_json(json.dumps(document)), _connect, store)
    other = open_store(str(tmp_path / "other.db"))
    with pytest.raises(ApplyRefused, match="another state store"):
        apply_saved_plan(
            Plan.from_json(plan.to_json(other.secret_key(create=True))), _connect, store
        )
    assert observe_state(uri) == before


def _connect(uri: str, _credentials: Any) -> Any:
    return connect(uri)


def _seed_unowned(uri: str, name: str) -> None:
    with connect(uri) as session:
        pool = next(p for p in session.pools() if p.name == "ssd" and p.system_id == "sys1")
        session.create_volume(pool, name, "1GiB")


def test_a_forged_plan_still_cannot_delete_what_storplan_does_not_own(
    tmp_path: Path, store: StateStore
) -> None:
    """Even a re-signed edited plan (the key leaked) deleting a volume storplan never made,
    marked safe and unblocked, is refused by the judgment from the live state and the store."""
    uri = f"sim://{tmp_path}/x.db"
    _seed_unowned(uri, "theirs")
    manifest = load(write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("v1")])]))
    document = json.loads(make_plan_for(manifest, store).to_json())
    deletion = dict(document["actions"][0], id="a/volume/theirs/delete_volume",
                    operation="delete_volume", verb="delete", risk="safe", blocked="",
                    params={"volume": "theirs"}, depends_on=[], requires=[])  # fmt: skip
    document["actions"].append(deletion)
    key = store.secret_key(create=True)
    forged = Plan.from_json(json.dumps(signing.sign(document, key)))
    options = ApplyOptions(consent=ALL, verify_delay=0.05)
    with pytest.raises(ApplyRefused, match="does not own volume:theirs"):
        apply_saved_plan(forged, _connect, store, options)
    assert "theirs" in observe_state(uri).volumes


def test_consent_is_required_when_a_saved_plan_is_applied(
    tmp_path: Path, store: StateStore
) -> None:
    """A plan made with --allow-destroy does not carry that consent to its apply."""
    uri = f"sim://{tmp_path}/x.db"
    first = load(
        write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("v1"), _vol("v2")], prune=True)])
    )
    assert apply(first, store).ok
    second = load(write_manifest(tmp_path / "n.yaml", [_entry(uri, [_vol("v1")], prune=True)]))
    plan = make_plan_for(second, store, ALL)
    saved = Plan.from_json(plan.to_json(store.secret_key(create=True)))
    with pytest.raises(ApplyRefused, match="--allow-destroy"):
        apply_saved_plan(saved, _connect, store)  # no consent on this command line
    assert "v2" in observe_state(uri).volumes
    report = apply_saved_plan(saved, _connect, store, ApplyOptions(consent=ALL, verify_delay=0.05))
    assert report.ok and "v2" not in observe_state(uri).volumes


def test_a_stale_saved_plan_lists_what_changed(tmp_path: Path, store: StateStore) -> None:
    uri = f"sim://{tmp_path}/x.db"
    manifest = load(write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("v1")])]))
    saved = Plan.from_json(make_plan_for(manifest, store).to_json(store.secret_key(create=True)))
    _seed_unowned(uri, "v1")
    with pytest.raises(ApplyRefused, match="volume:v1 exists now"):
        apply_saved_plan(saved, _connect, store)


@pytest.mark.subprocess
def test_the_plan_shown_is_the_plan_run(tmp_path: Path) -> None:
    """One observe per array serves the preview and the lock check: the actions printed are
    the actions journalled, in the same apply."""
    uri = f"sim://{tmp_path}/x.db"
    path = write_manifest(tmp_path / "m.yaml", [_entry(uri, [_vol("v1"), _vol("v2")])])
    done = run_cli("apply", "--yes", str(path), env=cli_env(tmp_path / "state.db"))
    assert done.returncode == 0, done.stderr
    shown = [line.split()[2] for line in done.stdout.splitlines() if line.startswith("  + ")]
    with open_store(str(tmp_path / "state.db")) as store:
        [record] = store.applies()
        ran = sorted({s.action.split("/")[2] for s in store.steps(record.id)})
    assert sorted(shown) == ran == ["v1", "v2"]


# ------------------------------------------------------------------------- 4: secret rotation
def test_a_rotated_chap_secret_plans_as_a_change(
    tmp_path: Path, store: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sim://{tmp_path}/x.db"
    host = {
        "name": "h1",
        "initiators": [{"id": IQN + "h1", "chap": {"user": "u1", "secret": {"env": "H1_CHAP"}}}],
    }
    manifest = load(
        write_manifest(
            tmp_path / "m.yaml",
            [{**_entry(uri, [_vol("v1", mappings=[{"host": "h1"}])]), "hosts": [host]}],
        )
    )
    monkeypatch.setenv("H1_CHAP", "first-secret-1234")
    assert apply(manifest, store).ok
    assert make_plan_for(manifest, store).actions == ()
    monkeypatch.setenv("H1_CHAP", "second-secret-5678")
    plan = make_plan_for(manifest, store)
    [action] = plan.actions
    assert action.operation == "set_chap" and action.target == f"h1/{IQN}h1"
    text = plan.to_json() + repr(plan)
    assert "first-secret" not in text and "second-secret" not in text
    assert [(c.field, c.after) for c in action.changes] == [("chap", "secret changed")]
    assert apply(manifest, store).ok
    assert make_plan_for(manifest, store).actions == ()
    assert "second-secret" not in (tmp_path / "state.db").read_bytes().decode("latin-1")


# -------------------------------------------------------------- 5: protection, by hand too
def test_imperative_commands_cannot_destroy_what_a_manifest_protects(tmp_path: Path) -> None:
    """``protect: true`` holds whatever the command line allows: after an apply recorded it,
    real ``storplan`` processes refuse to delete or shrink the protected volume and to delete
    or restore over the protected file-system snapshot (state store from $STORPLAN_STATE);
    the unprotected ones go as asked."""
    uri = f"sim://{tmp_path}/x.db"
    state = tmp_path / "state.db"
    filesystems = [
        {
            "name": "home",
            "pool": "nas",
            "size": "1GiB",
            "snapshots": [{"name": "keep", "protect": True}, {"name": "scratch"}],
        }
    ]
    entry = _entry(uri, [_vol("db", size="2GiB", protect=True), _vol("tmp")],
                   filesystems=filesystems)  # fmt: skip
    entry["pools"].append({"name": "nas"})
    path = write_manifest(tmp_path / "m.yaml", [entry])
    assert run_cli("apply", "--yes", str(path), env=cli_env(state)).returncode == 0
    with connect(uri) as session:
        state_now = session.observe()
    ids = {v.name: v.id for v in state_now.volumes}
    snaps = {s.name: s.id for s in state_now.fs_snapshots}
    env = cli_env(state)
    for command in (
        ["volume", "delete", ids["db"], "--yes"],
        ["volume", "resize", ids["db"], "1GiB", "--allow-shrink"],
        ["fs-snapshot", "delete", snaps["keep"], "--yes"],
        ["fs-snapshot", "restore", snaps["keep"], "--yes"],
    ):
        done = run_cli("--uri", uri, *command, env=env)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "is protected (protect: true in a manifest" in done.stderr, done.stderr
    for command in (
        ["volume", "resize", ids["db"], "3GiB"],  # growing loses nothing
        ["volume", "delete", ids["tmp"], "--yes"],
        ["fs-snapshot", "delete", snaps["scratch"], "--yes"],
    ):
        done = run_cli("--uri", uri, *command, env=env)
        assert done.returncode == 0, (command, done.stderr)
    after = observe_state(uri)
    assert (after.volumes["db"][1], "tmp" in after.volumes) == (3 << 30, False)
    assert after.fs_snapshots == {("home", "keep")}


def test_a_change_by_hand_takes_the_arrays_lock_and_is_journalled(tmp_path: Path) -> None:
    """Real ``storplan`` processes: an imperative command waits for no apply (the array's lock
    held by this live process refuses it, naming the holder, and nothing changes); once free,
    each change is an apply of one step in the journal, a change the array refused included
    (its step ``failed`` with the error's code)."""
    uri = f"sim://{tmp_path}/x.db"
    state, env = tmp_path / "state.db", cli_env(tmp_path / "state.db")
    with connect(uri) as session:
        identity = session.provider.identity()
        pool = next(p for p in session.observe().pools if p.name == "ssd")
    with open_store(str(state)) as store:
        lock = store.acquire(identity, command="storplan apply other.yaml", label="array a")
        held = run_cli("--uri", uri, "volume", "create", "v1", "--pool", pool.id,
                       "--size", "1GiB", env=env)  # fmt: skip
        store.release(lock)
    assert held.returncode == 1 and "storplan apply other.yaml" in held.stderr, held.stderr
    assert "v1" not in observe_state(uri).volumes
    made = run_cli("--uri", uri, "volume", "create", "v1", "--pool", pool.id,
                   "--size", "1GiB", env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    refused = run_cli(
        "--uri",
        uri,
        "volume",
        "create",
        "huge",
        "--pool",
        pool.id,
        "--size",
        "200TiB",
        "--thick",
        env=env,
    )  # fmt: skip (over the pool)
    assert refused.returncode == 1 and "free, 200.00 TiB requested" in refused.stderr
    with open_store(str(state), write=False) as store:
        records = store.applies()  # newest first
        steps = [[(s.action, s.state, s.message) for s in store.steps(r.id)] for r in records]
    assert [(r.manifest, r.status) for r in records] == [
        ("storplan volume create", "failed"), ("storplan volume create", "ok"),
    ]  # fmt: skip
    assert all(r.command.startswith("storplan volume create by ") for r in records)
    label = f"sim://{tmp_path}/x.db"
    assert steps[1][-1][:2] == (f"{label}/create_volume:volume:v1", "done")
    assert steps[0][-1] == (f"{label}/create_volume:volume:huge", "failed", "capacity_exceeded")
