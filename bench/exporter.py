"""The exporter's scrape cost at 10,000 volumes, side by side with ``observe()`` alone.

The state is :mod:`observe`'s (10,000 volumes, 2,000 hosts, 20,000 mappings in a sim file),
so every volume is mapped and has counters.  Three figures, each from the same file:

* ``observe()`` alone (what any command pays);
* one exporter round: observe, statistics, findings and thresholds, and the exposition text
  (``Snapshots.text()`` with the interval passed): what one scrape costs every interval;
* a scrape within the interval over HTTP (the cached text served by the exporter's server):
  what every further scraper costs.

Run alone: ``.venv/bin/python bench/exporter.py [--runs N]``; ``bench/run.py`` includes it.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import urllib.request
from pathlib import Path

from common import Figure, format_table, repeat
from observe import build_state

__all__ = ["run_exporter"]

TARGET = 2.0  # seconds per round: a 30 s scrape interval stays mostly idle


def run_exporter(work: Path, runs: int) -> list[Figure]:
    """Build the state, then time observe, an exporter round and a cached HTTP scrape."""
    import storplan
    from storplan.monitoring.exporter import Access, Snapshots, make_server
    from storplan.monitoring.probe import Probe

    path = work / "exporter.db"
    build_state(path)
    uri = f"sim://{path}"
    with storplan.connect(uri) as session:
        observe = repeat(session.observe, runs, warmup=1)
    probe = Probe("bench", lambda: storplan.connect(uri), statistics=True)
    snapshots = Snapshots([probe], interval=0)
    text = snapshots.text()
    rounds = repeat(snapshots.text, runs)
    snapshots.interval = 3600
    server = make_server(snapshots, "127.0.0.1", 0, Access())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"

    def scrape() -> None:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()

    try:
        cached = repeat(scrape, runs, warmup=1)
    finally:
        server.shutdown()
        server.server_close()
        probe.close()
    lines = text.count("\n")
    details = {"series": lines - 2 * text.count("# TYPE "), "bytes": len(text)}
    return [
        Figure("observe() of 10k volumes (exporter state)", observe),
        Figure("exporter round: observe + statistics + exposition", rounds, TARGET, details),
        Figure("exporter scrape within the interval (HTTP, cached)", cached),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        print(format_table(run_exporter(Path(work), args.runs)))


if __name__ == "__main__":
    main()
