"""Benchmark: observe a mock SMI-S array with many volumes through the smis provider.

Reports the WBEM requests one ``observe()`` takes (pywbem's own statistics) and the seconds
it takes, split into the time inside the mock WBEM server (pywbem_mock, which stands in for
the array and the network) and the provider's own time::

    .venv/bin/python bench/smis_observe.py                 # 10,000 volumes, both flavours
    .venv/bin/python bench/smis_observe.py --volumes 1000 --flavour acme --page-size 500

The mock array is the one the tests use (``tests/smis/mockarray``): ``acme`` speaks pull
operations and Group Masking and Mapping, ``bolt`` only the traditional operations.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "smis"))

from mockarray import FLAVOURS, build_array
from mockarray.population import add_volumes
from storplan.credentials import Secret
from storplan.providers.smis import SmisProvider
from storplan.uri import parse_uri


def run(flavour_name: str, volumes: int, page_size: int) -> dict[str, Any]:
    """Build the array, connect, observe once; return the figures."""
    started = time.perf_counter()
    array = build_array(FLAVOURS[flavour_name])
    add_volumes(array, volumes)
    built = time.perf_counter() - started
    uri = parse_uri(f"smis+https://admin@array.example.com/?page_size={page_size}")
    provider = SmisProvider(uri, Secret("bench"), connection_factory=lambda _o, _p: array.conn)
    array.conn.statistics.reset()
    started = time.perf_counter()
    state = provider.observe()
    seconds = time.perf_counter() - started
    stats = array.conn.statistics.snapshot()
    requests = {name: stat.count for name, stat in stats}
    server = sum(stat.avg_time * stat.count for _, stat in stats)
    return {
        "flavour": flavour_name,
        "volumes": len(state.volumes),
        "requests": sum(requests.values()),
        "by_operation": requests,
        "seconds": seconds,
        "server_seconds": server,
        "provider_seconds": seconds - server,
        "build_seconds": built,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--volumes", type=int, default=10_000)
    parser.add_argument("--flavour", choices=[*sorted(FLAVOURS), "both"], default="both")
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args(argv)
    flavours = sorted(FLAVOURS) if args.flavour == "both" else [args.flavour]
    for name in flavours:
        figures = run(name, args.volumes, args.page_size)
        operations = ", ".join(f"{op} {n}" for op, n in sorted(figures["by_operation"].items()))
        print(
            f"{figures['flavour']}: observed {figures['volumes']} volumes with "
            f"{figures['requests']} WBEM requests ({operations}) in {figures['seconds']:.2f} s "
            f"({figures['server_seconds']:.2f} s in the mock WBEM server, "
            f"{figures['provider_seconds']:.2f} s in the provider; "
            f"building the mock array took {figures['build_seconds']:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
