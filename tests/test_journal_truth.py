"""The journal tells the truth, whatever stops an apply.

Real: ``storplan apply`` processes, SIGINT / SIGTERM / SIGKILL sent to them, a simulator job
that never finishes (``faults=create_volume:hang``), a simulator file another process keeps
locked (a real SQLite write transaction held open), and the state store file read afterwards.
Subprocess timeouts are safety nets only; nothing here asserts how long anything took.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from planhelpers import STORPLAN, cli_env, observe_state, run_cli, write_manifest
from storplan.state import open_store

pytestmark = pytest.mark.subprocess


def _manifest(tmp_path: Path, uri: str, names: tuple[str, ...] = ("v1", "v2")) -> Path:
    volumes = [{"name": n, "pool": "ssd", "size": "1GiB"} for n in names]
    return write_manifest(
        tmp_path / "m.yaml",
        [{"name": "a", "provider": uri, "system": "sim-array-1", "pools": [{"name": "ssd"}],
          "volumes": volumes}],
    )  # fmt: skip


def _spawn(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STORPLAN, *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(tmp_path / "state.db"),
    )


def _wait_for_step(state: Path, wanted: str, process: subprocess.Popen[str]) -> None:
    """Poll the journal (read-only) until a step in state ``wanted`` is recorded."""
    while process.poll() is None:
        if state.exists():
            conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
            try:
                found = conn.execute("SELECT 1 FROM journal WHERE state = ?", (wanted,)).fetchone()
            except sqlite3.OperationalError:
                found = None
            finally:
                conn.close()
            if found:
                return
        time.sleep(0.02)
    raise AssertionError(f"the apply ended before a {wanted!r} step: {process.communicate()}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_an_interrupt_stops_waiting_at_once_and_is_journalled(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """A job hangs on the array; one Ctrl-C (or the CI runner's SIGTERM) stops the wait, the
    journal says interrupted with the job id, the lock is released, the exit is 130."""
    uri = f"sim://{tmp_path}/x.db?jobs=async&faults=create_volume:hang"
    process = _spawn(tmp_path, "apply", "--yes", str(_manifest(tmp_path, uri, ("v1",))))
    _wait_for_step(tmp_path / "state.db", "submitted", process)
    process.send_signal(sig)
    _, err = process.communicate(timeout=60)  # a safety net: the wait ends at once
    assert process.returncode == 130, err
    with open_store(str(tmp_path / "state.db"), write=False) as store:
        [record] = store.applies()
        steps = store.steps(record.id)
        assert store.locks() == []
    assert record.status == "interrupted" and record.finished_at is not None
    [stopped] = [s for s in steps if s.state == "interrupted"]
    job = next(s.message.split()[1] for s in steps if s.state == "submitted")
    assert f"job {job}" in stopped.message
    assert f"storplan job show {job}" in err and record.id in err


def test_a_killed_apply_is_marked_abandoned_and_its_creates_reconciled(tmp_path: Path) -> None:
    """SIGKILL leaves 'running'; the next apply takes the dead holder's lock, marks it
    abandoned, and records as owned what the dead apply created but could not journal."""
    uri = f"sim://{tmp_path}/x.db?latency=create_volume:0.4"
    manifest = _manifest(tmp_path, uri, ("v1", "v2", "v3"))
    process = _spawn(tmp_path, "apply", "--yes", "--parallelism", "1", str(manifest))
    _wait_for_step(tmp_path / "state.db", "done", process)
    process.kill()
    process.communicate(timeout=60)
    with open_store(str(tmp_path / "state.db"), write=False) as store:
        [killed] = store.applies()
        assert killed.status == "running"
    again = run_cli("apply", "--yes", str(manifest), env=cli_env(tmp_path / "state.db"))
    assert again.returncode == 0, again.stderr
    with open_store(str(tmp_path / "state.db"), write=False) as store:
        statuses = {a.id: a.status for a in store.applies()}
        assert statuses[killed.id] == "abandoned" and sorted(statuses.values()) == [
            "abandoned",
            "ok",
        ]
        [key] = {k for k in (s.action for s in store.steps(killed.id))} & {
            "a/volume/v1/create_volume"
        }
        owned = set().union(*(store.owned(k) for k in _array_keys(store)))
    assert {"volume:v1", "volume:v2", "volume:v3"} <= owned  # none lost across the kill
    assert set(observe_state(uri).volumes) >= {"v1", "v2", "v3"}
    assert key


def _array_keys(store: object) -> list[str]:
    conn = store.conn  # type: ignore[attr-defined]
    return [r[0] for r in conn.execute("SELECT DISTINCT array_key FROM owned")]


def test_a_locked_array_file_fails_the_apply_cleanly(tmp_path: Path) -> None:
    """Another process holds the simulator file's write lock throughout: every create is a
    transient error, retried, then failed; exit 1 (not 3), journal 'failed', no change."""
    db = tmp_path / "x.db"
    uri = f"sim://{db}?lock_timeout=0.1"
    assert run_cli("--uri", uri, "show", "systems", env=cli_env(tmp_path / "s.db")).returncode == 0
    before = observe_state(f"sim://{db}")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = run_cli(
            "apply", "--yes", str(_manifest(tmp_path, uri)), env=cli_env(tmp_path / "state.db")
        )
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr and "locked" in done.stderr
    with open_store(str(tmp_path / "state.db"), write=False) as store:
        [record] = store.applies()
        failed = [s for s in store.steps(record.id) if s.state == "failed"]
    assert record.status == "failed" and failed
    assert all("retried 3x" in s.message for s in failed)
    assert observe_state(f"sim://{db}") == before


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "soon"])
def test_numeric_options_are_validated(tmp_path: Path, value: str) -> None:
    manifest = _manifest(tmp_path, f"sim://{tmp_path}/x.db")
    for option in ("--lock-timeout", "--timeout"):
        done = run_cli(
            "apply", "--yes", option, value, str(manifest), env=cli_env(tmp_path / "s.db")
        )
        assert done.returncode == 1 and option in done.stderr, done.stderr
    done = run_cli("apply", "--parallelism", "0", str(manifest), env=cli_env(tmp_path / "s.db"))
    assert done.returncode == 1 and "--parallelism" in done.stderr


def test_journal_shows_local_iso_times_and_counts(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path, f"sim://{tmp_path}/x.db")
    env = cli_env(tmp_path / "state.db")
    assert run_cli("apply", "--yes", str(manifest), env=env).returncode == 0
    listed = run_cli("journal", "-o", "json", env=env)
    [entry] = __import__("json").loads(listed.stdout)
    assert entry["status"] == "ok" and entry["steps"] == {"done": 2}
    assert entry["arrays"] == ["a"]
    time.strptime(entry["started"], "%Y-%m-%dT%H:%M:%S%z")
    text = run_cli("journal", env=env).stdout
    assert entry["id"] in text and " ok " in text and "done=2" in text
