"""``storplan apply`` as real processes sharing one PostgreSQL state store, as a team's
machines do: each "machine" has its own ``HOME`` and its own working tree whose
``.storplan.yaml`` names the shared database.

Real: the installed ``storplan`` command, a PostgreSQL 15 cluster this session owns
(tests/pgserver.py; stopped and restarted by one test), the simulator file both machines
manage, SIGKILL, SIGSTOP/SIGCONT and the server's own session timeout.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from pgserver import PgServer
from planhelpers import IQN, STORPLAN, SYSTEM, cli_env, write_manifest
from storplan.state import open_store

pytestmark = pytest.mark.subprocess


def _entry(uri: str, prefix: str, count: int) -> list[dict[str, Any]]:
    volumes = [{"name": f"{prefix}{i:02d}", "pool": "ssd", "size": "1GiB"} for i in range(count)]
    host = {"name": f"{prefix}-host", "initiators": [f"{IQN}{prefix}"]}
    return [{"name": "sim", "provider": uri, "system": SYSTEM, "pools": [{"name": "ssd"}],
             "hosts": [host], "volumes": volumes}]  # fmt: skip


class Machine:
    """One machine's worth of configuration: HOME, a working tree, its .storplan.yaml."""

    def __init__(self, root: Path, url: str, uri: str, prefix: str, count: int, **extra: str):
        self.home, self.tree = root / "home", root / "work"
        self.home.mkdir(parents=True)
        self.tree.mkdir()
        timeout = extra.pop("session_timeout", "60")
        (self.tree / ".storplan.yaml").write_text(
            f"state:\n  url: '{url}'\n  session_timeout: {timeout}\n"
        )
        write_manifest(self.tree / "arrays.yaml", _entry(uri, prefix, count))
        self.env = cli_env(root / "unused.db", HOME=str(self.home), **extra)
        del self.env["STORPLAN_STATE"]  # the working tree's .storplan.yaml decides

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [STORPLAN, "apply", "arrays.yaml", "--yes", "--parallelism", "1", *args],
            cwd=self.tree, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def run(self, *args: str) -> tuple[int, str, str]:
        process = self.spawn(*args)
        out, err = process.communicate(timeout=180)
        return process.returncode, out, err

    def kept_nothing_at_home(self) -> bool:
        return not any(self.home.rglob("*.db"))


def _wait(condition: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _done_steps(url: str, at_least: int) -> Any:
    with open_store(url, write=False) as store:
        runs = store.applies()
        if runs and sum(s.state == "done" for s in store.steps(runs[0].id)) >= at_least:
            return runs[0]
    return None


def _locks(url: str) -> list[Any]:
    with open_store(url, write=False) as store:
        return store.locks()


def _apply_spans(url: str) -> dict[str, tuple[float, float]]:
    with open_store(url, write=False) as store:
        spans = {}
        for run in store.applies():
            times = [s.at for s in store.steps(run.id)]
            spans[run.id] = (min(times), max(times))
        return spans


def test_two_machines_never_interleave_and_the_second_names_the_holder(
    tmp_path: Path, pg_url: str
) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    latency = {"STORPLAN_SIM_LATENCY": "*:0.1"}
    first = Machine(tmp_path / "m1", pg_url, uri, "a", 30, **latency)
    second = Machine(tmp_path / "m2", pg_url, uri, "b", 3, **latency)
    holder = first.spawn()
    [lock] = _wait(lambda: _locks(pg_url), "the first apply's lock")
    assert lock.pid == holder.pid
    code, _, err = second.run("--lock-timeout", "0")
    assert holder.poll() is None, "the first apply ended before the second asked"
    assert code == 1 and f"is locked by pid {holder.pid} on {lock.host}" in err, err
    assert "database session" in err and f"storplan unlock {lock.lock_id}" in err
    assert ", plan " in err  # the digest of the plan the holder runs
    waiting = second.spawn("--lock-timeout", "120")
    for process in (holder, waiting):
        _, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
    with open_store(pg_url, write=False) as store:
        runs = store.applies()
        assert sorted(r.status for r in runs) == ["ok", "ok"]
        assert {r.pid for r in runs} == {holder.pid, waiting.pid}
    earlier, later = sorted(_apply_spans(pg_url).values())
    assert earlier[1] < later[0], "the two applies' steps interleave"
    assert first.kept_nothing_at_home() and second.kept_nothing_at_home()


def test_a_killed_holder_frees_the_lock_and_is_marked_abandoned(
    tmp_path: Path, pg_url: str
) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    first = Machine(tmp_path / "m1", pg_url, uri, "a", 12, STORPLAN_SIM_LATENCY="*:0.05")
    second = Machine(tmp_path / "m2", pg_url, uri, "a", 12)  # the same manifest
    holder = first.spawn()
    killed = _wait(lambda: _done_steps(pg_url, 2), "two done steps")
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=30)
    _wait(lambda: not _locks(pg_url), "PostgreSQL to free the killed session's lock", 30)
    code, out, err = second.run("--lock-timeout", "0")
    assert code == 0 and "The arrays match the manifest." in out, err
    with open_store(pg_url, write=False) as store:
        statuses = {r.id: r.status for r in store.applies()}
    assert statuses[killed.id] == "abandoned"
    assert sorted(statuses.values()) == ["abandoned", "ok"]


def test_a_paused_holder_that_lost_its_lock_cannot_write(tmp_path: Path, pg_url: str) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    paused = Machine(tmp_path / "m1", pg_url, uri, "a", 8, STORPLAN_SIM_LATENCY="*:0.2",
                     session_timeout="2")  # fmt: skip
    other = Machine(tmp_path / "m2", pg_url, uri, "b", 1)
    holder = paused.spawn()
    stale = _wait(lambda: _done_steps(pg_url, 1), "a done step")
    holder.send_signal(signal.SIGSTOP)
    try:
        _wait(lambda: not _locks(pg_url), "the server to end the silent session", 30)
        code, _, err = other.run("--lock-timeout", "30")
        assert code == 0, err
    finally:
        holder.send_signal(signal.SIGCONT)
    out, err = holder.communicate(timeout=180)
    assert holder.returncode == 1, (out, err)
    # Refused by the fencing check; or, if SIGSTOP caught it inside one of its ~1 ms
    # transactions, by the server ending that idle transaction (reported as such, or, when
    # the process finds out only at its next statement, as psycopg's "the connection is
    # lost"): whichever comes first, it wrote nothing (checked below).
    said = out + err
    ended = ("lock_lost", "idle-in-transaction timeout", "the connection is lost",
             "server closed the connection")  # fmt: skip
    assert any(reason in said for reason in ended), (out, err)
    with open_store(pg_url, write=False) as store:
        runs = {r.id: r for r in store.applies()}
        newer = next(r for r in runs.values() if r.id != stale.id)
        assert runs[stale.id].status == "abandoned" and newer.status == "ok"
        late = [s for s in store.steps(stale.id) if s.at >= newer.started_at]
        owned = {row[1] for row in store.dump()["owned"]}
    assert late == [], f"the stale apply wrote after the newer one began: {late}"
    assert "volume:b00" in owned  # the newer apply's ownership, written under its token


def test_losing_the_database_mid_apply_fails_cleanly_with_a_report(
    tmp_path: Path, pg_url: str, pg_server: PgServer
) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    machine = Machine(tmp_path / "m1", pg_url, uri, "a", 10, STORPLAN_SIM_LATENCY="*:0.1")
    process = machine.spawn("-o", "json")
    _wait(lambda: _done_steps(pg_url, 2), "two done steps")
    pg_server.stop("immediate")
    try:
        out, err = process.communicate(timeout=180)
    finally:
        pg_server.start()
    assert process.returncode == 1, err
    assert "Traceback" not in err and "internal error" not in err, err
    report = json.loads(out)
    states = [r["state"] for r in report["results"]]
    assert states.count("done") >= 2 and "failed" in states, states
    failed = [r["message"] for r in report["results"] if r["state"] == "failed"]
    assert all("state_store" in m and "not started" in m for m in failed), failed
    assert report["ok"] is False
    assert any("journal" in note for note in report["notes"]), report["notes"]
    # The next apply finds the dead apply and finishes the job.
    code, out, err = machine.run("--lock-timeout", "0")
    assert code == 0 and "The arrays match the manifest." in out, err
    with open_store(pg_url, write=False) as store:
        assert sorted(r.status for r in store.applies()) == ["abandoned", "ok"]
    os.sync()
