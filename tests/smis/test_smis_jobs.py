"""Job Control: CIM_ConcreteJob progress, results, failures and timeouts as storplan jobs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from mockarray import ACME, BOLT, build_array
from smishelpers import connect, thin_pool
from storplan.errors import JobFailed, NotFound, ProviderError, Timeout
from storplan.model import JobState, Kind, Volume
from storplan.session import Session
from storplan.uri import parse_uri

MiB = 1 << 20


@pytest.fixture
def slow_array() -> Any:
    """The asynchronous flavour, with jobs that need four polls to complete."""
    return build_array(dataclasses.replace(ACME, job_polls=4))


def _pool(provider: Any) -> str:
    return thin_pool(provider.observe(frozenset({Kind.POOLS})).pools).id


def test_async_job_progresses_and_carries_its_result(slow_array: Any) -> None:
    provider = connect(slow_array)
    job = provider.create_volume(_pool(provider), "progress", 4 * MiB, True)
    assert (job.state, job.percent, job.result) == (JobState.RUNNING, 0, None)
    assert job.id.startswith("job:") and job.operation == "create_volume"
    assert provider.observe(frozenset({Kind.VOLUMES})).volumes == ()  # not there yet
    seen = [job]
    while not seen[-1].done:
        seen.append(provider.job(job.id))
    assert [j.percent for j in seen] == [0, 25, 50, 75, 100]
    finished = seen[-1]
    assert finished.state is JobState.SUCCEEDED and isinstance(finished.result, Volume)
    assert provider.observe(frozenset({Kind.VOLUMES})).volumes == (finished.result,)
    assert provider.job(job.id) == finished  # answered from memory, the array may prune it
    assert provider.jobs()[0] == finished


def test_session_waits_for_async_jobs(slow_array: Any) -> None:
    provider = connect(slow_array)
    session = Session(provider, parse_uri("smis+https://admin@array/"))
    progress: list[int] = []
    job = session.create_volume(
        _pool(provider), "waited", "4MiB", progress=lambda j: progress.append(j.percent)
    )
    assert job.state is JobState.SUCCEEDED and job.result.name == "waited"
    assert progress == sorted(progress) and progress[-1] == 100


def test_synchronous_array_returns_finished_jobs() -> None:
    provider = connect(build_array(BOLT))
    job = provider.create_volume(_pool(provider), "sync", 4 * MiB, True)
    assert (job.state, job.percent) == (JobState.SUCCEEDED, 100)
    assert job.id.startswith("job:storplan-") and provider.job(job.id) == job


def test_failed_job_reports_the_array_error(slow_array: Any) -> None:
    provider = connect(slow_array)
    session = Session(provider, parse_uri("smis+https://admin@array/"))
    slow_array.jobs.fail_next = "RAID group 7 is rebuilding"
    with pytest.raises(ProviderError, match="RAID group 7 is rebuilding"):
        session.create_volume(_pool(provider), "doomed", "4MiB")
    failed = provider.jobs()[0]
    assert failed.state is JobState.FAILED and "rebuilding" in failed.error.message
    assert session.volumes() == ()


def test_job_started_by_another_connection_can_be_polled(slow_array: Any) -> None:
    first, second = connect(slow_array), connect(slow_array)
    job = first.create_volume(_pool(first), "elsewhere", 4 * MiB, True)
    polled = second.job(job.id)
    while not polled.done:
        polled = second.job(job.id)
    assert (polled.state, polled.operation, polled.result) == (
        JobState.SUCCEEDED,
        "array job",
        None,
    )


def test_unknown_jobs_are_not_found(provider: Any) -> None:
    for job_id in ("job:JOB-999999", "nonsense", "vol:x:y"):
        with pytest.raises(NotFound):
            provider.job(job_id)


def test_intermediate_step_failure_stops_the_operation(mock_array: Any) -> None:
    """Mapping to a new host on a group-masking array creates a device group first; when
    that array job fails, nothing else is attempted and nothing is left behind."""
    if not mock_array.f.group_masking:
        pytest.skip("only group masking has multi-step mapping")
    provider = connect(mock_array)
    session = Session(provider, parse_uri("smis+https://admin@array/"))
    system = session.observe({Kind.SYSTEMS}).systems[0]
    volume = session.create_volume(_pool(provider), "step", "4MiB").result
    host = session.create_access_group(system, "h1", ["iqn.1994-05.com.example:h1"]).result
    mock_array.jobs.fail_next = "device group table full"
    with pytest.raises(JobFailed, match="device group table full"):
        session.map_volume(volume, host)
    assert session.observe({Kind.MAPPINGS}).mappings == ()
    assert "CreateMaskingView" not in mock_array.method_calls


def test_intermediate_step_timeout(mock_array: Any) -> None:
    if not mock_array.f.group_masking:
        pytest.skip("only group masking has multi-step mapping")
    provider = connect(mock_array, "smis+https://admin@array/?job_timeout=0.3")
    session = Session(provider, parse_uri("smis+https://admin@array/"))
    system = session.observe({Kind.SYSTEMS}).systems[0]
    volume = session.create_volume(_pool(provider), "stuck", "4MiB").result
    host = session.create_access_group(system, "h2", ["iqn.1994-05.com.example:h2"]).result
    mock_array.jobs.hold = True
    with pytest.raises(Timeout, match="job_timeout"):
        session.map_volume(volume, host)
