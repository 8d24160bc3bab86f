"""Round trips: observing 1,000 volumes takes as many WBEM requests as observing 100.

Requests are counted with pywbem's own statistics (``stats_enabled=True``), reset after the
array is built and the provider connected, so only the observation is counted.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from mockarray import build_array
from mockarray.population import add_volumes
from smishelpers import connect, thin_pool
from storplan.model import Kind

PULLS = {"PullInstancesWithPath", "PullInstancePaths"}


def requests(array: Any) -> dict[str, int]:
    """pywbem's per-operation request counts since the last reset."""
    return {name: stat.count for name, stat in array.conn.statistics.snapshot()}


def observed_requests(flavour: Any, volumes: int, page_size: int) -> tuple[dict[str, int], Any]:
    array = build_array(flavour)
    add_volumes(array, volumes, size=1 << 30)
    provider = connect(array, f"smis+https://admin@array/?page_size={page_size}")
    array.conn.statistics.reset()
    state = provider.observe()
    assert len(state.volumes) == volumes
    return requests(array), state


def test_observe_requests_do_not_grow_with_volumes(flavour: Any) -> None:
    small, _ = observed_requests(flavour, 100, page_size=5000)
    large, state = observed_requests(flavour, 1000, page_size=5000)
    assert small == large, (small, large)
    assert sum(large.values()) <= 30
    assert {m for m in large if m.startswith("Open")} == (
        {"OpenEnumerateInstances", "OpenAssociatorInstances"} if flavour.pull else set()
    )
    assert len(state.pools) == 2 and len(state.disks) == 12


@pytest.mark.parametrize("page_size", [100, 1000])
def test_only_pagination_grows(flavour: Any, page_size: int) -> None:
    if not flavour.pull:
        pytest.skip("without pull operations every enumeration is one request")
    small, _ = observed_requests(flavour, 100, page_size)
    large, _ = observed_requests(flavour, 1000, page_size)
    assert {k: v for k, v in small.items() if k not in PULLS} == {
        k: v for k, v in large.items() if k not in PULLS
    }
    # Two classes grow with the volumes: the volumes and their pool allocations.
    extra_pages = 2 * (math.ceil(1000 / page_size) - math.ceil(100 / page_size))
    grown = sum(large.get(k, 0) for k in PULLS) - sum(small.get(k, 0) for k in PULLS)
    assert 0 <= grown <= extra_pages, (small, large)


def test_observing_one_kind_reads_less(flavour: Any) -> None:
    array = build_array(flavour, volumes=50)
    provider = connect(array)
    array.conn.statistics.reset()
    provider.observe(frozenset({Kind.SYSTEMS}))
    systems = sum(requests(array).values())
    array.conn.statistics.reset()
    provider.observe()
    assert systems <= 7 < sum(requests(array).values())  # 7: with the fans and batteries


def test_operations_take_a_bounded_number_of_requests(flavour: Any) -> None:
    """Creating a volume costs the same number of requests on a small and a big array."""
    counts = []
    for volumes in (10, 1000):
        array = build_array(flavour, volumes=volumes)
        provider = connect(array, "smis+https://admin@array/?page_size=5000")
        pool_id = thin_pool(provider.observe(frozenset({Kind.POOLS})).pools).id
        array.conn.statistics.reset()
        provider.create_volume(pool_id, "new-volume", 1 << 30, True)
        counts.append(requests(array))
    assert counts[0] == counts[1]
