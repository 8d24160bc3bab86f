"""``storplan exporter``: every injected condition is a series; one observation per interval
however many scrapers; scrape errors are series; counters advance; TLS and basic auth.

Real: the simulator, the exporter's HTTP server on 127.0.0.1 (``http.server``) scraped by
``urllib`` from several threads, the ``storplan exporter`` command as a child process, TLS
with a certificate made by the ``openssl`` command, the textfile written by ``main``.
"""

from __future__ import annotations

import base64
import re
import ssl
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import storplan
from monhelpers import FAULTS, busy_array
from storplan.cli import main
from storplan.credentials import Secret
from storplan.monitoring.exporter import Access, Snapshots, make_server
from storplan.monitoring.exposition import names
from storplan.monitoring.probe import Probe


@pytest.fixture(scope="module")
def array(tmp_path_factory: pytest.TempPathFactory) -> str:
    return busy_array(tmp_path_factory.mktemp("exporter"))


def _textfile(uri: str, path: Path) -> str:
    assert main(["-u", uri, "exporter", "--textfile", str(path), "--once"]) == 0
    return path.read_text()


def _value(text: str, series: str) -> float:
    """The value of the one sample whose name and labels start with ``series``."""
    found = [line for line in text.splitlines() if line.startswith(series)]
    assert len(found) == 1, (series, found)
    return float(found[0].rsplit(" ", 1)[1])


@pytest.mark.parametrize(
    ("fault", "code", "severity", "kind", "name"), [f[:3] + f[4:] for f in FAULTS]
)
def test_each_condition_is_a_series(
    array: str, tmp_path: Path, fault: str, code: str, severity: str, kind: str, name: str
) -> None:
    text = _textfile(f"{array}?faults={fault}", tmp_path / "storplan.prom")
    series = re.findall(r"^storplan_condition\{(.*)\} 1$", text, re.MULTILINE)
    assert any(
        f'code="{code}",severity="{severity}",kind="{kind}"' in s and f'name="{name}"' in s
        for s in series
    )
    worst = {"warning": 1, "critical": 2}[severity]
    assert _value(text, "storplan_health_status{") >= worst


def test_the_exposition_follows_the_conventions(array: str, tmp_path: Path) -> None:
    text = _textfile(f"{array}?faults=raid-rebuild:ssd=40", tmp_path / "m.prom")
    families = list(names(text))
    assert len(families) == len(set(families))
    for line in text.splitlines():
        if line.startswith("# TYPE ") and line.endswith(" counter"):
            assert line.split()[2].endswith("_total")
    assert _value(text, "storplan_condition_progress_ratio{") == 0.4
    assert re.search(r'^storplan_pool_size_bytes\{[^}]*pool="ssd"[^}]*\} [1-9]\d*$', text, re.M)
    assert "storplan_volume_read_bytes_total" in families
    assert "storplan_target_port_write_ops_total" in families
    assert "storplan_disk_read_ops_total" in families


def _scrape(url: str, **kwargs: object) -> str:
    with urllib.request.urlopen(url, timeout=30, **kwargs) as response:  # type: ignore[arg-type]
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return str(response.read().decode())


@pytest.fixture
def serving(array: str) -> Iterator[tuple[str, Snapshots]]:
    probe = Probe("east", lambda: storplan.connect(array), statistics=True)
    snapshots = Snapshots([probe], interval=3600)
    server = make_server(snapshots, "127.0.0.1", 0, Access())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/metrics", snapshots
    server.shutdown()
    server.server_close()
    probe.close()


def test_one_observation_per_interval_however_many_scrapers(
    serving: tuple[str, Snapshots],
) -> None:
    url, snapshots = serving
    bodies: list[str] = []
    scrapers = [threading.Thread(target=lambda: bodies.append(_scrape(url))) for _ in range(8)]
    for t in scrapers:
        t.start()
    for t in scrapers:
        t.join()
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert snapshots.rounds == 1
    snapshots.interval = 0  # the interval has passed: the next scrape observes again
    later = _scrape(url)
    assert snapshots.rounds == 2
    series = 'storplan_volume_read_ops_total{array="east",id="vol1"}'
    assert _value(later, series) > _value(bodies[0], series) > 0


def test_a_failed_observation_is_a_series_not_an_http_error(array: str) -> None:
    probe = Probe("east", lambda: storplan.connect(f"{array}?faults=observe:fail@2"))
    snapshots = Snapshots([probe], interval=0)
    first, second, third = (snapshots.text() for _ in range(3))
    assert [_value(t, 'storplan_up{array="east"}') for t in (first, second, third)] == [1, 0, 1]
    assert _value(third, 'storplan_scrape_errors_total{array="east"}') == 1
    assert 'code="observe.failed"' in second
    probe.close()


def _certificate(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def test_tls_and_basic_auth(array: str, tmp_path: Path) -> None:
    cert, key = _certificate(tmp_path)
    probe = Probe("east", lambda: storplan.connect(array))
    access = Access("prometheus", Secret("s3cret-scrape"), str(cert), str(key))
    server = make_server(Snapshots([probe], 3600), "127.0.0.1", 0, access)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/metrics"
    trusted = ssl.create_default_context(cafile=str(cert))
    try:
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            _scrape(url)  # an unknown certificate is refused by a verifying client
        with pytest.raises(urllib.error.HTTPError, match="401"):
            _scrape(url, context=trusted)
        wrong = base64.b64encode(b"prometheus:guess").decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {wrong}"})
        with pytest.raises(urllib.error.HTTPError, match="401"):
            _scrape(request, context=trusted)  # type: ignore[arg-type]
        right = base64.b64encode(b"prometheus:s3cret-scrape").decode()
        request = urllib.request.Request(url, headers={"Authorization": f"Basic {right}"})
        assert 'storplan_up{array="east"} 1' in _scrape(request, context=trusted)  # type: ignore[arg-type]
    finally:
        server.shutdown()
        server.server_close()
        probe.close()


def test_the_command_serves_on_loopback(array: str, tmp_path: Path) -> None:
    child = subprocess.Popen(
        [Path(sys.executable).with_name("storplan"), "-u", array, "exporter", "--listen",
         "127.0.0.1:0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
        match = re.match(r"serving (http://127\.0\.0\.1:\d+/metrics)", line)
        assert match, line
        assert "storplan_up{" in _scrape(match.group(1))
    finally:
        child.terminate()
        child.wait(timeout=30)
        if child.stderr is not None:
            child.stderr.close()
