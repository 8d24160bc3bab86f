"""Load on the served API: many concurrent read clients against ``storplan serve`` on a
10,000-volume simulated array (the state of ``observe.py``).

Real: the installed ``storplan serve`` process (uvicorn, TLS with a throw-away certificate
made by the openssl command), a bearer token, and ``clients`` threads of this process, each
with its own keep-alive HTTPS connection, sending requests back to back.  Three loads, one
figure each (samples are per-request latencies: min and median; details give requests/s,
p99 and the errors, which must be 0):

* small reads: ``GET /arrays/big/capabilities`` and ``.../limits`` taking turns;
* one volume by name: ``GET /arrays/big/volumes/bench-vol-NNNNN`` (observes the array's
  10,000 volumes, then picks one);
* the full list: ``GET /arrays/big/volumes`` (10,000 volumes, about 3 MB of JSON).

Run: ``.venv/bin/python bench/serve.py [--clients 16] [--requests 40]``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import Figure, format_table

STORPLAN = str(Path(sys.executable).with_name("storplan"))


def _certificate(folder: Path) -> tuple[Path, Path]:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
         "subjectAltName=IP:127.0.0.1", "-keyout", "key.pem", "-out", "cert.pem"],
        cwd=folder, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return folder / "cert.pem", folder / "key.pem"


def _start(folder: Path, sim: Path) -> tuple[subprocess.Popen[bytes], int, str]:
    from storplan.serve.tokens import TokenStore

    cert, key = _certificate(folder)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (folder / "serve.yaml").write_text(
        f"listen: 127.0.0.1:{port}\nstate: state.db\ntokens: tokens.json\n"
        f"tls: {{cert: {cert}, key: {key}}}\n"
        f"arrays:\n  big: {{uri: 'sim://{sim}', system: sim-array-1}}\n"
    )
    _, token = TokenStore(str(folder / "tokens.json")).create("bench", "read", ("big",))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_")}
    process = subprocess.Popen(
        [STORPLAN, "serve", "--config", str(folder / "serve.yaml")],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port, token
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("storplan serve did not start")


def _load(
    port: int, token: str, context: ssl.SSLContext, paths: list[str], clients: int, each: int
) -> tuple[list[float], float, int]:
    """Latencies of ``clients`` x ``each`` requests, the wall time, and the errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}"}

    def client(index: int) -> None:
        connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=120)
        mine: list[float] = []
        failed = 0
        for n in range(each):
            path = paths[(index + n) % len(paths)]
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                if response.status != 200 or not body:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                connection.close()
            mine.append(time.perf_counter() - start)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - start, errors[0]


def _figure(name: str, latencies: list[float], wall: float, errors: int, clients: int) -> Figure:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return Figure(
        name,
        latencies,
        None,
        {
            "throughput": f"{len(latencies) / wall:.1f} requests/s ({clients} clients, "
            f"{len(latencies)} requests in {wall:.2f} s)",
            "latency": f"p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"p99 {p99 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms",
            "errors": str(errors),
        },
    )


def run_serve(work: Path, clients: int = 16, each: int = 40) -> list[Figure]:
    """Build the 10k-volume array, start the server, run the three loads."""
    from observe import build_state

    sim = work / "serve-big.db"
    built = build_state(sim)
    process, port, token = _start(work, sim)
    context = ssl.create_default_context(cafile=str(work / "cert.pem"))
    try:
        base = "/arrays/big"
        warm = _load(port, token, context, [f"{base}/volumes"], 1, 2)  # first observe, imports
        figures = []
        for name, paths, count in (
            ("small reads (capabilities, limits)", [f"{base}/capabilities", f"{base}/limits"],
             each),
            ("one volume by name of 10k", [f"{base}/volumes/bench-vol-{n:05d}" for n in
                                           range(0, 10_000, 97)], max(each // 4, 2)),
            ("all 10k volumes (list)", [f"{base}/volumes"], max(each // 8, 1)),
        ):  # fmt: skip
            latencies, wall, errors = _load(port, token, context, paths, clients, count)
            figures.append(_figure(f"serve: {name}", latencies, wall, errors, clients))
        figures[0].details["array"] = f"{built['volumes']} volumes, warm-up errors {warm[2]}"
        size = len(json.dumps(_one(port, token, context, f"{base}/volumes")))
        figures[-1].details["list size"] = f"{size / 1e6:.1f} MB of JSON"
        return figures
    finally:
        process.terminate()
        process.wait(timeout=30)


def _one(port: int, token: str, context: ssl.SSLContext, path: str) -> object:
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=120)
    connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    body = json.loads(connection.getresponse().read())
    connection.close()
    return body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40, help="small reads per client")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="storplan-bench-serve-") as work:
        figures = run_serve(Path(work), args.clients, args.requests)
    print(format_table(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
