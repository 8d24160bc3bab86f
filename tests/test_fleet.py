"""Fleets: many arrays in one plan and apply, worked on concurrently, failures kept apart.

Real: ``storplan`` processes, 20 simulator files (one array each), a TCP port on loopback
that nothing listens on (an SMI-S array that cannot be reached: the connection is really
refused), injected simulator faults (an unreachable file, a create that fails half-way), the
state store file and its journal read afterwards, two applies running at once over
overlapping fleets.  Timeouts are safety nets; nothing asserts how long anything took.
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from planhelpers import STORPLAN, cli_env, observe_state, run_cli, write_manifest
from storplan.errors import ProviderError
from storplan.fleet import Failed, each
from storplan.providers.sim import SimProvider
from storplan.state import open_store
from storplan.uri import parse_uri

pytestmark = pytest.mark.subprocess


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _entry(name: str, uri: str, volumes: tuple[str, ...] = ("v1", "v2")) -> dict[str, Any]:
    return {
        "name": name,
        "provider": uri,
        "system": "sim-array-1",
        "pools": [{"name": "ssd"}],
        "volumes": [{"name": v, "pool": "ssd", "size": "1GiB"} for v in volumes],
    }


def _fleet(tmp_path: Path, count: int, broken: dict[int, str]) -> tuple[Path, list[str]]:
    """A manifest of ``count`` sim arrays; ``broken`` replaces some URIs."""
    uris = [broken.get(i, f"sim://{tmp_path}/a{i:02d}.db") for i in range(count)]
    entries = [_entry(f"a{i:02d}", uri) for i, uri in enumerate(uris)]
    return write_manifest(tmp_path / "fleet.yaml", entries, "fleet"), uris


def test_twenty_arrays_two_broken_the_other_eighteen_converge(tmp_path: Path) -> None:
    port = _closed_port()
    broken = {
        3: f"smis+http://127.0.0.1:{port}/?namespace=root/acme",  # refused by the kernel
        11: f"sim://{tmp_path}/a11.db?faults=create_volume:fail@2",  # fails half-way
    }
    manifest, uris = _fleet(tmp_path, 20, broken)
    env = cli_env(tmp_path / "state.db")

    planned = run_cli("plan", "-o", "json", str(manifest), env=env)
    assert planned.returncode == 1, planned.stderr  # one array could not be planned
    document = json.loads(planned.stdout)
    status = {s["name"]: s for s in document["array_status"]}
    assert status["a03"]["status"] == "failed" and status["a03"]["stage"] == "connect"
    assert [f["name"] for f in document["failed_arrays"]] == ["a03"]
    assert sum(s["status"] == "changes" for s in status.values()) == 19
    assert "fleet.yaml:" in planned.stderr and "array a03" in planned.stderr

    applied = run_cli("apply", "--yes", "-o", "json", str(manifest), env=env)
    assert applied.returncode == 1, applied.stderr
    report = json.loads(applied.stdout)
    outcome = {a["name"]: a for a in report["arrays"]}
    assert [a["name"] for a in report["arrays"]] == [f"a{i:02d}" for i in range(20)]
    assert outcome["a03"]["status"] == "failed" and outcome["a03"]["stage"] == "connect"
    assert outcome["a11"] == {
        "name": "a11",
        "status": "failed",
        "stage": "execute",
        "summary": {"done": 1, "failed": 1, "not attempted": 0, "interrupted": 0},
    }
    fine = [f"a{i:02d}" for i in range(20) if i not in broken]
    assert all(outcome[name]["status"] == "ok" for name in fine)
    for i, uri in enumerate(uris):
        if i not in broken:
            assert set(observe_state(uri).volumes) == {"v1", "v2"}, uri
    assert len(observe_state(uris[11]).volumes) == 1  # the first create went through

    with open_store(str(tmp_path / "state.db"), write=False) as store:
        [record] = store.applies()
        steps = store.steps(record.id)
    assert record.status == "failed"
    assert set(record.arrays) == {f"a{i:02d}" for i in range(20) if i != 3}
    by_action = {(s.action, s.state) for s in steps}
    assert ("a03", "failed") in by_action  # the array left out, in the journal too
    assert sum(1 for s in steps if s.state == "done") == 18 * 2 + 1
    assert sum(1 for s in steps if s.action.startswith("a11/") and s.state == "failed") == 1

    fixed, _ = _fleet(tmp_path, 20, {})  # a03 reachable now (a fresh sim), a11 without faults
    again = run_cli("apply", "--yes", "-o", "json", str(fixed), env=env)
    assert again.returncode == 0, again.stderr
    rerun = {a["name"]: a for a in json.loads(again.stdout)["arrays"]}
    assert rerun["a11"]["summary"]["done"] == 1  # only what was missing
    assert rerun["a00"]["status"] == "no changes"
    assert rerun["a03"]["status"] == "ok"


def test_all_or_nothing_refuses_the_fleet_and_changes_nothing(tmp_path: Path) -> None:
    manifest, uris = _fleet(tmp_path, 4, {2: f"sim://{tmp_path}/a02.db?faults=connect:fail"})
    before = [observe_state(u) for i, u in enumerate(uris) if i != 2]
    done = run_cli(
        "apply", "--yes", "--all-or-nothing", str(manifest), env=cli_env(tmp_path / "s.db")
    )
    assert done.returncode == 1
    assert "array a02" in done.stderr and "unreachable" in done.stderr
    assert [observe_state(u) for i, u in enumerate(uris) if i != 2] == before
    with open_store(str(tmp_path / "s.db"), write=False) as store:
        assert store.applies() == []


def test_an_unreachable_array_alone_fails_with_its_own_error(tmp_path: Path) -> None:
    """A manifest of one array: its error is the command's (as before fleets), in plan and
    apply alike, and the Python API raises its own class."""
    from planhelpers import load, plan
    from storplan.errors import ConnectionFailed

    manifest, _ = _fleet(tmp_path, 1, {0: f"sim://{tmp_path}/x.db?faults=connect:fail"})
    for command in (("plan",), ("apply", "--yes")):
        done = run_cli(*command, str(manifest), env=cli_env(tmp_path / "s.db"))
        assert done.returncode == 1
        assert done.stderr.startswith("error: injected fault: the simulated array"), done.stderr
    with open_store(str(tmp_path / "s.db")) as store, pytest.raises(ConnectionFailed):
        plan(load(manifest), store)


def test_a_verify_failure_is_that_arrays_outcome(tmp_path: Path) -> None:
    manifest, _ = _fleet(
        tmp_path, 3, {1: f"sim://{tmp_path}/a01.db?faults=observe:fail@2-9"}
    )  # a01: the first observe plans it, every later one (verification) fails
    done = run_cli("apply", "--yes", "-o", "json", str(manifest), env=cli_env(tmp_path / "s.db"))
    assert done.returncode == 1, done.stderr
    outcome = {a["name"]: a["status"] for a in json.loads(done.stdout)["arrays"]}
    assert outcome == {"a00": "ok", "a01": "failed", "a02": "ok"}


def _spawn(state: Path, manifest: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [STORPLAN, "apply", "--yes", "-o", "json", *args, str(manifest)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(state),
    )


def test_overlapping_fleet_applies_never_interleave_and_never_deadlock(tmp_path: Path) -> None:
    """Two applies over arrays 0..5 and 3..8, the second listing them backwards (a lock order
    by manifest position would deadlock); both wait for locks, both converge, and on every
    shared array one apply's steps all come before the other's."""
    uris = [f"sim://{tmp_path}/a{i:02d}.db?latency=create_volume:0.15" for i in range(9)]
    first = write_manifest(
        tmp_path / "one.yaml", [_entry(f"a{i:02d}", uris[i], ("p", "q")) for i in range(6)]
    )
    second = write_manifest(
        tmp_path / "two.yaml",
        [_entry(f"a{i:02d}", uris[i], ("r", "s")) for i in reversed(range(3, 9))],
    )
    for uri in uris:  # create the files before both race for them
        observe_state(uri)
    state = tmp_path / "state.db"
    runs = [_spawn(state, m, "--lock-timeout", "120") for m in (first, second)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    for i in range(3, 6):
        assert set(observe_state(uris[i]).volumes) == {"p", "q", "r", "s"}
    with open_store(str(state), write=False) as store:
        applies = store.applies()
        steps = {a.id: store.steps(a.id) for a in applies}
    for i in range(3, 6):
        spans = []
        for apply_id, journal in steps.items():
            mine = [s.at for s in journal if s.action.startswith(f"a{i:02d}/")]
            spans.append((min(mine), max(mine), apply_id))
        (_, end_a, _), (start_b, _, _) = sorted(spans)
        assert end_a < start_b, f"applies interleaved on a{i:02d}: {spans}"


def test_a_fleet_apply_without_lock_timeout_applies_what_is_free(tmp_path: Path) -> None:
    """While one apply holds arrays 0..2 (a slow create), a second over 0..5 reports 0..2 as
    locked — naming the holder — and applies 3..5."""
    slow = [f"sim://{tmp_path}/a{i:02d}.db?latency=create_volume:3" for i in range(3)]
    quick = [f"sim://{tmp_path}/a{i:02d}.db" for i in range(6)]
    holder = write_manifest(
        tmp_path / "h.yaml", [_entry(f"a{i:02d}", u, ("held",)) for i, u in enumerate(slow)]
    )
    fleet = write_manifest(
        tmp_path / "f.yaml", [_entry(f"a{i:02d}", u, ("free",)) for i, u in enumerate(quick)]
    )
    for uri in quick:
        observe_state(uri)
    state = tmp_path / "state.db"
    first = _spawn(state, holder)
    _wait_until_locked(state, 3, first)
    second = run_cli("apply", "--yes", "-o", "json", str(fleet), env=cli_env(state))
    first.communicate(timeout=120)
    assert second.returncode == 1, second.stderr
    assert second.stdout, second.stderr
    outcome = {a["name"]: a for a in json.loads(second.stdout)["arrays"]}
    assert {n: o["status"] for n, o in outcome.items()} == {
        **{f"a{i:02d}": "failed" for i in range(3)},
        **{f"a{i:02d}": "ok" for i in range(3, 6)},
    }
    problem = outcome["a00"]["problems"][0]
    assert outcome["a00"]["stage"] == "lock" and f"pid {first.pid}" in problem["message"]


def _wait_until_locked(state: Path, count: int, process: subprocess.Popen[str]) -> None:
    import time

    while process.poll() is None:
        if state.exists():
            with open_store(str(state), write=False) as store:
                if len(store.locks()) >= count:
                    return
        time.sleep(0.05)
    raise AssertionError(f"the holder ended first: {process.communicate()}")


def test_a_shared_management_endpoint_gets_no_more_than_its_limit(tmp_path: Path) -> None:
    """Eight arrays behind one simulated management server taking two requests at once (it
    refuses a third, as an overloaded server would): the apply keeps to the declared limit
    and converges."""
    uris = [
        f"sim://{tmp_path}/a{i:02d}.db?endpoint=mgmt1&max_requests=2&latency=*:0.05"
        for i in range(8)
    ]
    manifest = write_manifest(
        tmp_path / "m.yaml", [_entry(f"a{i:02d}", u) for i, u in enumerate(uris)]
    )
    done = run_cli("apply", "--yes", str(manifest), env=cli_env(tmp_path / "s.db"))
    assert done.returncode == 0, done.stderr
    for uri in uris:
        assert set(observe_state(uri).volumes) == {"v1", "v2"}


def test_the_simulated_endpoint_refuses_a_client_that_ignores_its_limit(tmp_path: Path) -> None:
    """The control for the test above: providers opened directly (not through
    storplan.connect, so nothing keeps to the limit) and observed from three threads at once."""
    uri = parse_uri(f"sim://{tmp_path}/x.db?endpoint=e&max_requests=2&latency=observe:0.3")
    providers = [SimProvider(uri) for _ in range(3)]
    start = threading.Barrier(3)

    def observe(provider: SimProvider) -> object:
        start.wait()
        return provider.observe()

    outcomes = each(providers, observe, parallelism=3)
    refused = [o for o in outcomes if isinstance(o, Failed)]
    assert len(refused) == 1 and isinstance(refused[0].error, ProviderError)
    assert "busy" in refused[0].error.message
    for provider in providers:
        provider.close()


def test_each_keeps_every_failure_apart_and_the_order() -> None:
    def work(n: int) -> int:
        if n == 2:
            raise ProviderError("two is broken")
        if n == 4:
            raise ZeroDivisionError("a plug-in bug")
        return n * 10

    outcomes = each(list(range(6)), work, parallelism=3)
    assert [o for o in outcomes if not isinstance(o, Failed)] == [0, 10, 30, 50]
    assert isinstance(outcomes[2], Failed) and outcomes[2].error.message == "two is broken"
    assert isinstance(outcomes[4], Failed)
    assert outcomes[4].error.message == "unexpected ZeroDivisionError: a plug-in bug"


def test_progress_names_the_array_of_each_action(tmp_path: Path) -> None:
    manifest, _ = _fleet(tmp_path, 2, {})
    done = run_cli("apply", "--yes", str(manifest), env=cli_env(tmp_path / "s.db"))
    assert done.returncode == 0, done.stderr
    progress = [line for line in done.stderr.splitlines() if line.startswith("  ok")]
    assert sorted(line.split()[1] for line in progress) == ["a00:", "a00:", "a01:", "a01:"]
    assert "array a00: ok" in done.stdout and "array a01: ok" in done.stdout


def test_ctrl_c_stops_every_array_and_the_journal_says_so(tmp_path: Path) -> None:
    """Three arrays whose creates never finish (async jobs that hang); SIGINT once every array
    has submitted its job: exit 130, the apply is 'interrupted', and each array's running
    action is journalled 'interrupted' with its job id."""
    import signal
    import time

    uris = [f"sim://{tmp_path}/a{i}.db?jobs=async&faults=create_volume:hang" for i in range(3)]
    manifest = write_manifest(
        tmp_path / "m.yaml", [_entry(f"a{i}", u, ("v",)) for i, u in enumerate(uris)]
    )
    state = tmp_path / "state.db"
    process = _spawn(state, manifest)
    while process.poll() is None:
        with open_store(str(state), write=False) as store:
            applies = store.applies()
            steps = store.steps(applies[0].id) if applies else []
        if sum(s.state == "submitted" for s in steps) == 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    with open_store(str(state), write=False) as store:
        [record] = store.applies()
        steps = store.steps(record.id)
    assert record.status == "interrupted", (steps, err)
    stopped = [s for s in steps if s.state == "interrupted"]
    assert stopped, (steps, err)
    assert sorted(s.action.split("/")[0] for s in stopped) == ["a0", "a1", "a2"]
    assert all("job " in s.message for s in stopped)
    assert err.count("(storplan job show job") == 3
