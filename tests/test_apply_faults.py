"""Apply under injected faults: each step of a ≥ 50-action plan fails in turn, then re-runs.

Real: the simulator's own fault injection (``$STORPLAN_SIM_FAULTS``, read when a connection
opens, so the array's URI and therefore its ownership records stay the same), the executor,
the journal and ownership in a real state store.  After each failed apply the next apply plans
from live state; the simulator is then compared with the manifest: every managed object exactly
once, with the right size and mappings, and the objects storplan does not own untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from planhelpers import (
    ALL,
    CHAP_ENV,
    IQN,
    SYSTEM,
    BigCase,
    apply,
    build_big_case,
    differences,
    load,
    observe_state,
    plan,
    save_db,
    system_session,
    write_manifest,
)
from storplan.apply import DONE, FAILED, NOT_ATTEMPTED, ApplyReport
from storplan.cli import main
from storplan.model import Kind
from storplan.plan import Plan
from storplan.state import StateStore, open_store

FAULTS = "STORPLAN_SIM_FAULTS"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[BigCase, Path, Plan]:
    directory = tmp_path_factory.mktemp("big")
    case = build_big_case(directory)
    store = open_store(str(case.state_db))
    try:
        full = plan(load(case.manifest_path), store, ALL)
    finally:
        store.close()
    assert len(full.actions) >= 50 and not full.blocked
    return case, directory / "templates", full


@pytest.fixture(autouse=True)
def chap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHAP_ENV, "chap-secret-for-fault-tests")
    monkeypatch.delenv(FAULTS, raising=False)
    monkeypatch.delenv("STORPLAN_SIM_LATENCY", raising=False)


def dependents(full: Plan, failed: set[str]) -> set[str]:
    """Every action that requires (directly or not) one of ``failed``."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for action in full.actions:
            if action.id not in found and set(action.requires) & (failed | found):
                found.add(action.id)
                changed = True
    return found


def call_number(full: Plan, index: int) -> tuple[str, int]:
    """The operation of the index-th action and which call of it that is (sequential run)."""
    operation = full.actions[index].operation
    return operation, 1 + sum(a.operation == operation for a in full.actions[:index])


def check_report(report: ApplyReport, failed: set[str], store: StateStore) -> None:
    """Failed actions failed, their dependents were not attempted, the rest is done; the
    journal has every step."""
    skipped = dependents(report.plan, failed)
    states = {r.action_id: r.state for r in report.results}
    for action in report.plan.actions:
        want = FAILED if action.id in failed else NOT_ATTEMPTED if action.id in skipped else DONE
        assert states[action.id] == want, (action.id, states[action.id], want)
    steps: dict[str, list[str]] = {}
    for step in store.steps(report.apply_id):
        if step.state != "submitted":  # a job that outlived its call: its id is journalled
            steps.setdefault(step.action, []).append(step.state)
    for action_id, state in states.items():
        assert steps[action_id] == ([state] if state == NOT_ATTEMPTED else ["started", state])
    latest = store.applies()[0]
    assert (latest.id, latest.status) == (report.apply_id, "failed")


def converge(case: BigCase, store: StateStore, expected: set[str], path: Path) -> None:
    """A fault-free apply does exactly what is left, and the array matches the manifest."""
    manifest = load(path)
    report = apply(manifest, store, parallelism=1, verify_retries=0)
    assert report.ok, [r for r in report.results if r.state != DONE]
    assert {r.action_id for r in report.results} == expected
    assert differences(manifest.arrays[0], observe_state(case.uri), case.foreign) == []


def test_each_step_fails_in_turn_then_converges(
    big: tuple[BigCase, Path, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    case, templates, full = big
    for index in range(len(full.actions)):
        case.restore(templates)
        operation, call = call_number(full, index)
        monkeypatch.setenv(FAULTS, f"{operation}:fail@{call}")
        store = open_store(str(case.state_db))
        try:
            report = apply(load(case.manifest_path), store, parallelism=1)
            assert [a.id for a in report.plan.actions] == [a.id for a in full.actions]
            failed = report.results[index]
            assert failed.action_id == full.actions[index].id
            assert "injected fault" in failed.message, (index, failed)
            check_report(report, {failed.action_id}, store)
            monkeypatch.delenv(FAULTS)
            left = {failed.action_id} | dependents(full, {failed.action_id})
            converge(case, store, left, case.manifest_path)
        finally:
            store.close()


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("map_volume:transient@4-999", "temporarily unavailable"),  # outlasts the retries
        ("create_snapshot:jobfail@2", "injected job failure"),
        ("create_volume:hang@5", "did not finish within 0.3 s"),
        ("create_access_group:hang@1-2", "did not finish within 0.3 s"),
    ],
)
def test_transient_jobfail_and_hang_faults(
    big: tuple[BigCase, Path, Plan], monkeypatch: pytest.MonkeyPatch, fault: str, message: str
) -> None:
    """Parallel apply: the faulty calls fail (a hung job times out), only their dependents are
    skipped, and a fault-free re-run converges without duplicating the hung objects."""
    case, templates, _ = big
    case.restore(templates)
    monkeypatch.setenv(FAULTS, fault)
    store = open_store(str(case.state_db))
    try:
        report = apply(load(case.no_replicas), store, parallelism=8, timeout=0.3)
        failed = {r.action_id for r in report.results if r.state == FAILED}
        assert failed, report.results
        assert all(message in r.message for r in report.results if r.state == FAILED), [
            r for r in report.results if r.state == FAILED
        ]
        assert {i.split("/")[1] for i in failed} <= {"mapping", "snapshot", "volume", "host"}
        check_report(report, failed, store)
        monkeypatch.delenv(FAULTS)
        converge(case, store, failed | dependents(report.plan, failed), case.no_replicas)
    finally:
        store.close()


def test_a_transient_failure_is_retried_and_reported(
    big: tuple[BigCase, Path, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An error the provider marks transient is retried with backoff: one transient map
    succeeds on its retry, the apply converges, and the step says it was retried."""
    case, templates, _ = big
    case.restore(templates)
    monkeypatch.setenv(FAULTS, "map_volume:transient@2")
    store = open_store(str(case.state_db))
    try:
        report = apply(load(case.no_replicas), store, parallelism=4)
        assert report.ok, [r for r in report.results if r.state != DONE]
        retried = [r for r in report.results if "retries" in r.message]
        assert len(retried) == 1 and "succeeded after 1 retries" in retried[0].message
        steps = [s for s in store.steps(report.apply_id) if s.action == retried[0].action_id]
        assert [s.state for s in steps] == ["started", DONE] and "retries" in steps[-1].message
    finally:
        store.close()


def test_every_create_failing_in_parallel(
    big: tuple[BigCase, Path, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    case, templates, _ = big
    case.restore(templates)
    monkeypatch.setenv(FAULTS, "create_volume:fail")
    store = open_store(str(case.state_db))
    try:
        report = apply(load(case.no_replicas), store, parallelism=8)
        failed = {a.id for a in report.plan.actions if a.operation == "create_volume"}
        check_report(report, failed, store)
        assert sum(r.state == DONE for r in report.results) >= 10  # independent ones ran
        monkeypatch.delenv(FAULTS)
        converge(case, store, failed | dependents(report.plan, failed), case.no_replicas)
    finally:
        store.close()


def test_hang_through_the_cli_timeout(
    big: tuple[BigCase, Path, Plan],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case, templates, _ = big
    case.restore(templates)
    monkeypatch.setenv(FAULTS, "create_filesystem:hang")
    args = ["apply", str(case.no_replicas), "--state", str(case.state_db), "--yes"]
    assert main([*args, "--allow-destroy", "--timeout", "0.3"]) == 1
    out, err = capsys.readouterr()
    assert "FAILED  + filesystem fs1" in err and "did not finish within 0.3 s" in err
    assert ": 62 done, 1 failed, 2 not attempted" in out  # 65 actions without the clones
    monkeypatch.delenv(FAULTS)
    assert main([*args, "--allow-destroy"]) == 0
    out, err = capsys.readouterr()
    assert ": 3 done, 0 failed, 0 not attempted" in out
    manifest = load(case.no_replicas)
    assert differences(manifest.arrays[0], observe_state(case.uri), case.foreign) == []


def test_cli_names_the_actions_not_attempted(
    big: tuple[BigCase, Path, Plan],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    case, templates, _ = big
    case.restore(templates)
    monkeypatch.setenv(FAULTS, "create_filesystem:fail")
    args = ["apply", str(case.no_replicas), "--state", str(case.state_db), "--yes"]
    assert main([*args, "--allow-destroy"]) == 1
    err = capsys.readouterr().err
    assert "FAILED  + filesystem fs1" in err
    assert "skipped + fs_snapshot fs1/daily" in err and "skipped + export /export/fs1" in err


def test_failed_create_does_not_make_a_later_object_owned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ownership is recorded only when a create succeeds: a same-named object that someone
    else makes later is never pruned as storplan's."""
    uri = f"sim://{tmp_path / 'array.db'}"

    def entry(names: list[str]) -> list[dict[str, Any]]:
        volumes = [{"name": n, "pool": "ssd", "size": "1GiB"} for n in names]
        return [{"name": "sim", "provider": uri, "system": SYSTEM, "prune": True,
                 "pools": [{"name": "ssd"}], "volumes": volumes}]  # fmt: skip

    store = open_store(str(tmp_path / "state.db"))
    try:
        monkeypatch.setenv(FAULTS, "create_volume:fail@2")
        failed = apply(load(write_manifest(tmp_path / "a.yaml", entry(["a", "x"]))), store)
        assert [r.state for r in failed.results] == [DONE, FAILED]
        monkeypatch.delenv(FAULTS)
        with system_session(uri)[0] as session:  # someone else makes "x" by hand
            session.create_volume(session.get(Kind.POOLS, "ssd"), "x", "5GiB")
        later = plan(load(write_manifest(tmp_path / "b.yaml", entry(["a"]))), store, ALL)
        assert [a.id for a in later.actions if a.verb == "delete"] == []
    finally:
        store.close()


def test_parallel_apply_with_clones_never_loses_track_of_new_volumes(tmp_path: Path) -> None:
    """Timed with sim latency: the clone finishes first and the resolver re-observes (slowly:
    4000 volumes); volume n0 is created during that observation; the mapping of n0 starts
    only when a slow host is made, after the refresh.  Up to 5 fresh applies."""
    uri = f"sim://{tmp_path / 'array.db'}"
    with system_session(uri)[0] as session:
        pool = session.get(Kind.POOLS, "ssd")
        session.create_volume(pool, "src", "1GiB")
        for i in range(4000):
            session.create_volume(pool, f"bulk{i:04d}", "1MiB")
    save_db(tmp_path / "array.db", tmp_path / "template.db")
    latency = "create_replica:0.05,create_volume:0.058,create_access_group:0.5"
    volumes = [
        {"name": "src", "pool": "ssd", "size": "1GiB", "replicas": [{"name": "src-clone"}]},
        {"name": "n0", "pool": "ssd", "size": "1GiB", "mappings": [{"host": "late", "lun": 1}]},
    ]
    array = {
        "name": "sim",
        "provider": f"{uri}?latency={latency}",
        "system": SYSTEM,
        "pools": [{"name": "ssd"}],
        "hosts": [{"name": "late", "initiators": [f"{IQN}late"]}],
        "volumes": volumes,
    }
    manifest = load(write_manifest(tmp_path / "m.yaml", [array]))
    for attempt in range(5):
        save_db(tmp_path / "template.db", tmp_path / "array.db")
        for stale in tmp_path.glob("state.db*"):
            stale.unlink()
        store = open_store(str(tmp_path / "state.db"))
        try:
            report = apply(manifest, store, parallelism=4, verify_retries=0)
        finally:
            store.close()
        assert report.ok, (attempt, [r for r in report.results if r.state != DONE])
