"""The simulator's asynchronous jobs, latency and fault injection, and several processes sharing
one simulator file: sim-specific behaviour the provider conformance kit cannot test generically.

What is real: every test opens a real SQLite simulator file under ``tmp_path`` through
``storplan.connect``; the concurrency test runs two real Python subprocesses
(``sys.executable``) against one file.  Timings are measured with ``time.monotonic`` and only
ever asserted as lower bounds (an upper bound would make the suite flaky on a loaded machine).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import storplan
from storplan.errors import (
    AlreadyExists,
    InvalidArgument,
    NotFound,
    ProviderError,
    Timeout,
    TransientError,
)
from storplan.model import ExportOptions, Job, JobState, Kind, Pool
from storplan.session import Session


@pytest.fixture(autouse=True)
def _no_sim_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the simulator's environment variables themselves, or not at all."""
    for variable in ("STORPLAN_SIM_FAULTS", "STORPLAN_SIM_LATENCY", "STORPLAN_SIM_DB"):
        monkeypatch.delenv(variable, raising=False)


def sim(tmp_path: Path, query: str = "") -> Session:
    """A session to the simulator file ``tmp_path/array.db`` with URI options ``query``."""
    return storplan.connect(f"sim://{tmp_path / 'array.db'}" + (f"?{query}" if query else ""))


def volume_pool(array: Session) -> Pool:
    """The first pool that holds thin volumes (``ssd`` in the default installation)."""
    return next(
        p for p in array.pools() if "volume" in p.element_types and p.oversubscription_limit
    )


def volume_names(array: Session) -> list[str]:
    """The names of every observed volume."""
    return [volume.name for volume in array.volumes()]


# ------------------------------------------------------------------------- asynchronous jobs
def test_async_job_runs_with_progress_reaching_100(tmp_path: Path) -> None:
    with sim(tmp_path, "jobs=async&job_seconds=0.2") as array:
        job = array.create_volume(volume_pool(array), "data", "1GiB", wait=False)
        assert (job.state, job.result) == (JobState.RUNNING, None) and job.percent < 100
        assert "data" not in volume_names(array)
        assert [j.state for j in array.jobs() if j.id == job.id] == [JobState.RUNNING]
        seen: list[Job[Any]] = []
        done = array.wait(job, timeout=60, progress=seen.append)
        assert done.state is JobState.SUCCEEDED and done.result.name == "data"
        assert seen[0].state is JobState.RUNNING and seen[-1] == done and done.percent == 100
        percents = [j.percent for j in seen]
        assert percents == sorted(percents) and len(set(percents)) >= 2
        assert array.observe({Kind.VOLUMES}).find(Kind.VOLUMES, "data") == [done.result]
        assert array.job(job.id) == done


def test_progress_callback_of_an_operation(tmp_path: Path) -> None:
    seen: list[Job[Any]] = []
    with sim(tmp_path, "jobs=async&job_seconds=0.2") as array:
        job = array.create_volume(volume_pool(array), "data", "1GiB", progress=seen.append)
    assert job.state is JobState.SUCCEEDED and seen[-1] == job
    assert seen[0].state is JobState.RUNNING and seen[-1].percent == 100


def test_async_job_is_finished_by_whoever_polls_it(tmp_path: Path) -> None:
    """No daemon: a second connection (another CLI, another CI job) can finish the job."""
    with sim(tmp_path, "jobs=async&job_seconds=0.1") as first:
        job = first.create_volume(volume_pool(first), "data", "1GiB", wait=False)
        with sim(tmp_path, "jobs=async&job_seconds=0.1") as second:
            done = second.wait(job.id, timeout=60)
        assert done.state is JobState.SUCCEEDED
        assert first.job(job.id) == done and "data" in volume_names(first)


def test_async_request_is_validated_when_submitted(tmp_path: Path) -> None:
    with sim(tmp_path, "jobs=async&job_seconds=0") as array:
        pool = volume_pool(array)
        with pytest.raises(NotFound):
            array.create_volume("pool999", "data", "1GiB", wait=False)
        array.create_volume(pool, "data", "1GiB")
        jobs = array.jobs()
        with pytest.raises(AlreadyExists):
            array.create_volume(pool, "data", "2GiB", wait=False)
        assert array.jobs() == jobs and volume_names(array) == ["data"]


# ---------------------------------------------------------------------------- fault injection
def test_hang_times_out_and_the_volume_never_appears(tmp_path: Path) -> None:
    with sim(tmp_path, "faults=create_volume:hang&job_seconds=0.05") as array:
        with pytest.raises(Timeout) as timed_out:
            array.create_volume(volume_pool(array), "hung", "1GiB", timeout=0.3)
        [job] = [j for j in array.jobs() if j.operation == "create_volume"]
        assert job.id in str(timed_out.value)
        time.sleep(0.1)  # long past job_seconds: a hung job still never finishes
        polled = array.job(job.id)
        assert polled.state is JobState.RUNNING and polled.percent <= 90
        assert "hung" not in volume_names(array)


def test_fail_at_2_fails_exactly_the_second_call_and_changes_nothing(tmp_path: Path) -> None:
    with sim(tmp_path, "faults=create_volume:fail@2") as array:
        pool = volume_pool(array)
        array.create_volume(pool, "first", "1GiB")
        state, jobs = array.observe(), array.jobs()
        with pytest.raises(ProviderError) as failed:
            array.create_volume(pool, "second", "1GiB")
        assert type(failed.value) is ProviderError  # not retryable
        assert array.observe() == state and array.jobs() == jobs
        array.create_volume(pool, "second", "1GiB")
        assert volume_names(array) == ["first", "second"]


@pytest.mark.parametrize(("fault", "attempts"), [("transient@1", 2), ("transient@1-2", 3)])
def test_transient_fault_then_the_retry_succeeds(tmp_path: Path, fault: str, attempts: int) -> None:
    with sim(tmp_path, f"faults=create_volume:{fault}") as array:
        pool = volume_pool(array)
        failures = 0
        while True:
            try:
                volume = array.create_volume(pool, "data", "1GiB").result
                break
            except TransientError:
                failures += 1
                assert "data" not in volume_names(array) and failures < attempts
        assert failures == attempts - 1 and volume_names(array) == [volume.name] == ["data"]


def test_jobfail_gives_a_failed_job_and_no_volume(tmp_path: Path) -> None:
    with sim(tmp_path, "faults=create_volume:jobfail&job_seconds=0.05") as array:
        job = array.create_volume(volume_pool(array), "doomed", "1GiB", wait=False)
        assert job.state is JobState.RUNNING
        with pytest.raises(ProviderError) as failed:
            array.wait(job, timeout=60)
        assert job.id in str(failed.value)
        polled = array.job(job.id)
        assert (polled.state, polled.result) == (JobState.FAILED, None) and polled.done
        assert polled.error is not None and polled.error.code == "provider_error"
        assert "doomed" not in volume_names(array)


def test_latency_is_honoured(tmp_path: Path) -> None:
    with sim(tmp_path, "latency=*:0.1,create_volume:0.2") as array:
        pool = volume_pool(array)
        started = time.monotonic()
        volume = array.create_volume(pool, "data", "1GiB").result
        assert time.monotonic() - started >= 0.2
        started = time.monotonic()
        array.delete_volume(volume)
        assert time.monotonic() - started >= 0.1


def test_environment_variables_configure_faults_and_latency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORPLAN_SIM_FAULTS", "create_volume:fail@1")
    monkeypatch.setenv("STORPLAN_SIM_LATENCY", "create_volume:0.2")
    with sim(tmp_path) as array:
        pool = volume_pool(array)
        started = time.monotonic()
        with pytest.raises(ProviderError):
            array.create_volume(pool, "data", "1GiB")
        assert time.monotonic() - started >= 0.2
        array.create_volume(pool, "data", "1GiB")
        assert volume_names(array) == ["data"]


@pytest.mark.parametrize(
    "query", ["faults=create_volume:explode", "faults=create_volume:fail@0", "jobs=later"]
)
def test_malformed_simulator_options_are_refused(tmp_path: Path, query: str) -> None:
    with pytest.raises(InvalidArgument):
        sim(tmp_path, query)


# --------------------------------------------------------------------- the core, with jobs
def test_export_operations_honour_wait_options(tmp_path: Path) -> None:
    with sim(tmp_path, "jobs=async&job_seconds=0.1") as array:
        nas = next(p for p in array.pools() if "filesystem" in p.element_types)
        filesystem = array.create_filesystem(nas, "shared", "1GiB").result
        job = array.create_export(filesystem, "/shared", wait=False)
        assert job.state is JobState.RUNNING, "create_export waited although wait=False"
        seen: list[Job[Any]] = []
        read_only = ExportOptions.canonical(clients=[{"match": "*", "access": "ro"}])
        array.modify_export(array.wait(job).result, read_only, progress=seen.append)
        assert seen, "modify_export never called its progress callback"


# ------------------------------------------------------------------- several processes, one file
CREATOR = """
import pathlib, sys, time
import storplan

uri, tag, ready, go = sys.argv[1:5]
with storplan.connect(uri) as array:
    pool = next(p for p in array.pools() if "volume" in p.element_types)
    pathlib.Path(ready).touch()
    while not pathlib.Path(go).exists():
        time.sleep(0.01)
    for i in range(50):
        array.create_volume(pool, f"{tag}-{i:02d}", "1GiB")
"""


@pytest.mark.subprocess
def test_two_processes_creating_volumes_in_one_file(tmp_path: Path) -> None:
    uri = f"sim://{tmp_path / 'shared.db'}?seed=empty"
    go = tmp_path / "go"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CREATOR, uri, tag, str(tmp_path / f"ready-{tag}"), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for tag in ("a", "b")
    ]
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{tag}").exists() for tag in ("a", "b")):
            assert time.monotonic() < deadline and all(w.poll() is None for w in workers)
            time.sleep(0.01)
        go.touch()  # both have opened the file: now they write at the same time
        outputs = [worker.communicate(timeout=300)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    with storplan.connect(uri) as array:
        volumes = array.volumes()
        expected = {f"{tag}-{i:02d}" for tag in ("a", "b") for i in range(50)}
        assert len(volumes) == 100 and {v.name for v in volumes} == expected
        assert len({v.wwn for v in volumes}) == 100 and all(v.wwn for v in volumes)
        [pool] = [p for p in array.pools() if p.id == volumes[0].pool_id]
        assert pool.subscribed == 100 * 2**30  # no lost update in the pool's accounting
