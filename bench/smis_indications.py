"""Benchmark: how soon ``storplan watch`` reports a failure an SMI-S array notifies.

One watch (the loop of ``storplan watch``, polling every hour) over the mock SMI-S array the
tests use, subscribed through a real ``WBEMListener`` on loopback; each run fails a disk in
the mock, POSTs one CIM-XML ExportIndication as the array would, and times the delivery
until the watch emits the ``raised`` event, beside the time one ``observe()`` takes alone
(what the delay is mostly made of).  Also: how long subscribing takes and how many WBEM
requests it sends::

    .venv/bin/python bench/smis_indications.py                # 7 runs, 1,000 volumes
    .venv/bin/python bench/smis_indications.py --runs 3 --volumes 10000
"""

from __future__ import annotations

import argparse
import queue
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "smis"))

from mockarray import FLAVOURS, build_array
from mockarray.hardware import set_status
from mockarray.indications import export_indication
from mockarray.population import add_volumes
from pywbem import CIMInstance, Uint16
from storplan.credentials import Secret
from storplan.monitoring.probe import Probe
from storplan.monitoring.watching import Watch
from storplan.providers.smis import SmisProvider
from storplan.session import Session
from storplan.uri import parse_uri


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--volumes", type=int, default=1000)
    args = parser.parse_args()
    array = build_array(FLAVOURS["acme"])
    add_volumes(array, args.volumes)
    port = _free_port()
    uri = parse_uri(f"smis+https://admin@array.example.com/?listener=127.0.0.1:{port}")

    def session() -> Session:
        return Session(
            SmisProvider(uri, Secret("b"), connection_factory=lambda *_: array.conn), uri
        )

    alone = session()
    array.conn.statistics.reset()
    started = time.perf_counter()
    subscription = alone.subscribe(lambda: None)
    subscribe_s = time.perf_counter() - started
    requests = sum(stat.count for _name, stat in array.conn.statistics.snapshot())
    subscription.close()
    observe_s = []
    for _ in range(args.runs):
        started = time.perf_counter()
        alone.observe()
        observe_s.append(time.perf_counter() - started)
    alone.close()

    events: queue.Queue[dict[str, object]] = queue.Queue()
    watch = Watch([Probe("east", session)], 3600.0, events.put, rounds=args.runs + 1)
    threading.Thread(target=watch.run, daemon=True).start()
    events.get(timeout=600)  # the first poll raises the seeded predicting disk
    delays = []
    alert = CIMInstance("CIM_AlertIndication", {"PerceivedSeverity": Uint16(6)})
    for run in range(args.runs):
        disk = f"disk{run + 1:02d}"
        set_status(array, "CIM_DiskDrive", disk, 6)
        started = time.perf_counter()
        export_indication(f"http://127.0.0.1:{port}", alert)
        event = events.get(timeout=600)
        delays.append(time.perf_counter() - started)
        assert event["name"] == disk, event

    def line(label: str, values: list[float]) -> str:
        return f"{label:<44} min {min(values):.3f} s  median {statistics.median(values):.3f} s"

    print(f"acme mock array, {args.volumes} volumes, {args.runs} runs, watch --interval 3600")
    print(f"{'subscribe (destination, 9 filters, 9 subscriptions)':<44} {subscribe_s:.3f} s, "
          f"{requests} WBEM requests")  # fmt: skip
    print(line("observe() alone", observe_s))
    print(line("indication POST -> watch emits 'raised'", delays))
    return 0


if __name__ == "__main__":
    sys.exit(main())
