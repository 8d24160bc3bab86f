"""``storplan apply`` as real processes: SIGKILL at random points, concurrent applies, stale
saved plans, and secrets that never leak.

Real: the installed ``storplan`` script run with ``subprocess`` (its own interpreter, its own
SQLite connections), the simulator file and the state store shared through the file system,
signals, exit codes, stdout and stderr.  Latency comes from ``$STORPLAN_SIM_LATENCY`` so the
array's URI, and with it ownership and locks, is the same for every process.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from planhelpers import (
    CHAP_ENV,
    IQN,
    STORPLAN,
    SYSTEM,
    apply,
    build_big_case,
    cli_env,
    differences,
    load,
    observe_state,
    run_cli,
    system_session,
    write_manifest,
)
from storplan.model import Kind
from storplan.state import open_store

pytestmark = pytest.mark.subprocess
CHAP = "chap-secret-for-kill-tests"


def spawn(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STORPLAN, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    """Wait for a process and collect (and close) its output."""
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def applies(state: Path) -> list[dict[str, Any]]:
    store = open_store(str(state))
    try:
        return store.applies(limit=1000)
    finally:
        store.close()


def wait_for_new_apply(state: Path, before: set[str], process: subprocess.Popen[str]) -> bool:
    """Poll the state file (read-only) until the process has begun an apply; False if it
    ended first."""
    while process.poll() is None:
        conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
        try:
            ids = {row[0] for row in conn.execute("SELECT id FROM applies")}
        finally:
            conn.close()
        if ids - before:
            return True
        time.sleep(0.01)
    return False


def test_sigkill_at_random_points_then_converge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CHAP_ENV, CHAP)
    case = build_big_case(tmp_path)
    templates = tmp_path / "templates"
    env = cli_env(case.state_db, STORPLAN_SIM_LATENCY="*:0.01", **{CHAP_ENV: CHAP})
    argv = ("apply", str(case.manifest_path), "--yes", "--allow-destroy", "--parallelism", "1")
    before = {a.id for a in applies(case.state_db)}
    # Calibrate: when, after spawning, does a full apply start and finish its steps?
    spawned = time.time()
    code, _, err = finish(spawn(*argv, env=env))
    assert code == 0, err
    (run,) = [a for a in applies(case.state_db) if a.id not in before]
    start, end = run.started_at - spawned, run.finished_at - spawned
    assert end - start > 0.2, "the apply is too fast to be interrupted"
    rng = random.Random(20241125)
    interrupted = kills = 0
    for attempt in range(40):
        case.restore(templates)
        process = spawn(*argv, env=env)
        if attempt % 4 == 0:  # anywhere: start-up, planning, locking or applying
            delay = rng.uniform(0.0, end)
        else:  # somewhere inside the apply's steps
            delay = rng.uniform(0.0, 0.9 * (end - start))
            wait_for_new_apply(case.state_db, before, process)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        code = finish(process)[0]
        assert code in (0, -signal.SIGKILL), (attempt, delay, code)
        kills += code == -signal.SIGKILL
        killed = [a for a in applies(case.state_db) if a.id not in before]
        store = open_store(str(case.state_db))
        try:
            stale_locks = [lock.pid for lock in store.locks()]
            if killed and killed[0].status != "ok":  # killed mid-apply: never finished
                interrupted += 1
                assert [(a.status, a.finished_at) for a in killed] == [("running", None)]
                assert stale_locks == [process.pid]
            manifest = load(case.manifest_path)
            report = apply(manifest, store, lock_timeout=0, verify_retries=0, parallelism=1)
            assert report.ok, (attempt, delay, [r for r in report.results if r.state != "done"])
            assert store.locks() == []  # the dead process's lock was taken over, then released
            live = observe_state(case.uri)
            assert differences(manifest.arrays[0], live, case.foreign) == [], (attempt, delay)
            statuses = {a.id: a.status for a in store.applies(limit=1000)}
            # the next apply found the dead holder's lock and marked its apply abandoned
            expected = ["abandoned" if a.status == "running" else a.status for a in killed]
            assert [statuses[a.id] for a in killed] == expected
        finally:
            store.close()
        if kills == 20:
            break
    print(f"{kills} kills, {interrupted} mid-apply, {attempt + 1} runs, {start=:.2f} {end=:.2f}")
    assert kills == 20
    assert interrupted >= 10, f"only {interrupted} kills landed during an apply"
    # One last kill, recovered through the command line, and inspected with `storplan journal`.
    case.restore(templates)
    process = spawn(*argv, env=env)
    assert wait_for_new_apply(case.state_db, before, process)
    time.sleep((end - start) / 3)
    process.kill()
    finish(process)
    again = run_cli(*argv, env=env)
    assert again.returncode == 0, again.stderr
    assert "The arrays match the manifest." in again.stdout
    listed = run_cli("journal", "-o", "json", env=env)
    listed_runs = json.loads(listed.stdout)
    new = sorted(a["status"] for a in listed_runs if a["id"] not in before)
    assert new == ["abandoned", "ok"]


def _volumes(prefix: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{prefix}{i:02d}",
            "pool": "ssd",
            "size": "1GiB",
            "mappings": [{"host": f"{prefix}-host", "lun": i}],
        }
        for i in range(count)
    ]


def _entry(uri: str, prefix: str, count: int) -> list[dict[str, Any]]:
    host = {"name": f"{prefix}-host", "initiators": [f"{IQN}{prefix}"]}
    return [
        {
            "name": "sim",
            "provider": uri,
            "system": SYSTEM,
            "pools": [{"name": "ssd"}],
            "hosts": [host],
            "volumes": _volumes(prefix, count),
        }
    ]


def test_concurrent_applies_never_interleave(tmp_path: Path) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    env = cli_env(tmp_path / "state.db", STORPLAN_SIM_LATENCY="*:0.02")
    first = write_manifest(tmp_path / "a.yaml", _entry(uri, "a", 20))
    second = write_manifest(tmp_path / "b.yaml", _entry(uri, "b", 20))
    args = ("--yes", "--parallelism", "2", "--lock-timeout", "30")
    processes = [spawn("apply", str(m), *args, env=env) for m in (first, second)]
    for process in processes:
        code, _, err = finish(process)
        assert code == 0, err
    store = open_store(str(tmp_path / "state.db"))
    try:
        runs = store.applies()
        assert len(runs) == 2 and {r.status for r in runs} == {"ok"}
        spans = []
        for run in runs:
            times = [s.at for s in store.steps(run.id)]
            assert len(times) == 2 * 41  # started and done for every action
            spans.append((min(times), max(times), run.started_at, run.finished_at))
    finally:
        store.close()
    earlier, later = sorted(spans)
    assert earlier[1] < later[0], "the two applies' steps interleave"
    assert earlier[3] <= later[2], "the two applies overlap in time"
    live = observe_state(uri)
    for manifest in (first, second):
        assert differences(load(manifest).arrays[0], live) == []


def test_second_apply_with_lock_timeout_zero_fails_fast(tmp_path: Path) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    env = cli_env(tmp_path / "state.db", STORPLAN_SIM_LATENCY="*:0.08")
    slow = write_manifest(tmp_path / "a.yaml", _entry(uri, "a", 20))
    other = write_manifest(tmp_path / "b.yaml", _entry(uri, "b", 1))
    holder = spawn("apply", str(slow), "--yes", "--parallelism", "1", env=env)
    deadline = time.monotonic() + 30
    locks: list[Any] = []
    while not locks and time.monotonic() < deadline:
        store = open_store(str(tmp_path / "state.db"))
        locks = store.locks()
        store.close()
        time.sleep(0.02)
    assert [lock.pid for lock in locks] == [holder.pid]
    refused = run_cli("apply", str(other), "--yes", "--lock-timeout", "0", env=env)
    assert refused.returncode == 1
    assert f"({uri}) is locked by pid {holder.pid}" in refused.stderr
    assert f"storplan unlock {locks[0].lock_id}" in refused.stderr
    code, _, err = finish(holder)
    assert code == 0, err
    assert "b00" not in observe_state(uri).volumes


def test_stale_saved_plan_is_refused(tmp_path: Path) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    env = cli_env(tmp_path / "state.db")
    manifest = write_manifest(tmp_path / "m.yaml", _entry(uri, "a", 3))
    saved = tmp_path / "p.json"
    planned = run_cli("plan", str(manifest), "--out", str(saved), env=env)
    assert planned.returncode == 2, planned.stderr
    with system_session(uri)[0] as session:  # someone creates an object the plan would create
        session.create_volume(session.get(Kind.POOLS, "ssd"), "a01", "1GiB")
    before = observe_state(uri)
    refused = run_cli("apply", str(saved), "--yes", env=env)
    assert refused.returncode == 1
    assert "stale" in refused.stderr and "volume:a01" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert observe_state(uri) == before
    assert applies(tmp_path / "state.db") == []
    fresh = run_cli("plan", str(manifest), "--out", str(saved), env=env)
    assert fresh.returncode == 2
    applied = run_cli("apply", str(saved), "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert differences(load(manifest).arrays[0], observe_state(uri)) == []


def test_no_secret_in_output_logs_plans_or_state(tmp_path: Path) -> None:
    password, chap = "pw-Zq7xK2wV-do-not-print", "chap-9RtY3mLp-do-not-print"
    uri = f"sim://{tmp_path / 'array.db'}"
    initiator = {"id": f"{IQN}db01", "chap": {"user": "db01", "secret": {"env": "CHAP_SECRET"}}}
    array = {
        "name": "sim",
        "provider": uri,
        "credentials": {"password": {"env": "ARRAY_PASSWORD"}},
        "system": SYSTEM,
        "pools": [{"name": "ssd"}],
        "hosts": [{"name": "db01", "initiators": [initiator]}],
        "volumes": [{"name": "db", "pool": "ssd", "size": "1GiB", "mappings": [{"host": "db01"}]}],
    }
    manifest = str(write_manifest(tmp_path / "m.yaml", [array]))
    env = cli_env(tmp_path / "state.db", ARRAY_PASSWORD=password, CHAP_SECRET=chap)
    saved = str(tmp_path / "p.json")
    runs = [
        run_cli("-vv", "plan", manifest, "-o", "json", "--out", saved, env=env),
        run_cli("-vv", "plan", manifest, "-o", "markdown", env=env),
        run_cli("-vv", "apply", saved, "--yes", "-o", "json", env=env),
        run_cli("-vv", "apply", manifest, "--yes", env=env),
        run_cli("-vv", "plan", manifest, env=env),
        run_cli("-vv", "journal", env=env),
    ]
    assert [r.returncode for r in runs] == [2, 2, 0, 0, 0, 0], [r.stderr for r in runs]
    assert "DEBUG" in runs[2].stderr  # -vv really logs
    assert observe_state(uri).chap == {f"{IQN}db01": "db01"}  # the secret was used
    plan_doc = json.loads(Path(saved).read_text())
    assert {"env": "CHAP_SECRET"} in [a["params"].get("secret") for a in plan_doc["actions"]]
    assert plan_doc["arrays"][0]["credentials"] == {"env": "ARRAY_PASSWORD"}
    texts = [r.stdout + r.stderr for r in runs] + [Path(saved).read_text()]
    blobs = [p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and ".db" in p.name]
    assert len(blobs) >= 2  # the simulator and the state store (and their WAL files)
    for secret in (password, chap):
        assert not [t for t in texts if secret in t]
        assert not [b for b in blobs if secret.encode() in b]
