"""The shipped alert rules: valid, unit-tested, covering every condition class, and firing in a
real Prometheus that scrapes a real exporter.

Real: ``promtool check rules`` and ``promtool test rules`` (Debian's ``prometheus`` package),
a ``prometheus`` server started on 127.0.0.1 with a scrape configuration pointing at a
``storplan exporter`` child process over a simulator with an injected disk failure; the test
asks Prometheus's HTTP API for the series and the firing alert.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from monhelpers import busy_array
from storplan.monitoring.conditions import CATALOGUE

RULES = Path(__file__).parents[2] / "examples" / "monitoring"
ISSUE_CLASSES = {
    "disk.failed",
    "fan.failed",
    "battery.failed",
    "raid.degraded",
    "raid.rebuilding",
    "cache.write_through",
    "connection.failed",
    "port.down",
    "replication.broken",
    "pool.thin.data",
    "pool.thin.metadata",
    "pool.capacity",
    "volume.capacity",
    "job.failed",
}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is needed: apt-get install prometheus (Debian 12)")
    return path


def _rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((RULES / "storplan-rules.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_condition_class_has_an_alert_with_a_runbook() -> None:
    rules = _rules()
    own = {rule["labels"]["oid"] for rule in rules}
    assert ISSUE_CLASSES <= own <= set(CATALOGUE) | {"up", "other"}
    for rule in rules:
        assert rule["annotations"]["summary"] and rule["annotations"]["runbook"], rule["alert"]
        inherits = "storplan_condition{" in rule["expr"]  # the condition's own severity label
        assert inherits or rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
    tests = yaml.safe_load((RULES / "storplan-rules.test.yml").read_text())["tests"]
    tested = {t["alertname"] for test in tests for t in test["alert_rule_test"] if t["exp_alerts"]}
    assert tested == {rule["alert"] for rule in rules}  # every rule is seen firing


def test_promtool_checks_and_unit_tests_the_rules() -> None:
    promtool = _tool("promtool")
    for command in (
        ["check", "rules", "storplan-rules.yml"],
        ["test", "rules", "storplan-rules.test.yml"],
    ):
        done = subprocess.run(
            [promtool, *command], cwd=RULES, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _until(what: str, check: Any, seconds: float = 90.0) -> Any:
    """Poll ``check`` until it returns something true (a bound, not a measurement)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[str]:
    array = busy_array(tmp_path)
    child = subprocess.Popen(
        [Path(sys.executable).with_name("storplan"), "-u", f"{array}?faults=disk-fail:disk3",
         "exporter", "--listen", "127.0.0.1:0", "--interval", "1"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stderr is not None
    match = re.match(r"serving http://(127\.0\.0\.1:\d+)/metrics", child.stderr.readline())
    try:
        assert match
        yield match.group(1)
    finally:
        child.terminate()
        child.wait(timeout=30)
        child.stderr.close()


def test_a_real_prometheus_scrapes_the_exporter_and_fires_an_alert(
    exporter: str, tmp_path: Path
) -> None:
    prometheus = _tool("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES / "storplan-rules.yml")],
                "scrape_configs": [
                    {"job_name": "storplan", "static_configs": [{"targets": [exporter]}]}
                ],
            }
        )
    )
    port = _free_port()
    server = subprocess.Popen(
        [prometheus, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    api = f"http://127.0.0.1:{port}/api/v1"
    try:
        query = urllib.parse.quote('storplan_condition{code="disk.failed"}')
        series = _until(
            "the disk.failed series", lambda: _get(f"{api}/query?query={query}")["data"]["result"]
        )
        assert series[0]["metric"]["name"] == "ssd02"
        assert series[0]["metric"]["job"] == "storplan"

        def firing() -> list[Any]:
            alerts = _get(f"{api}/alerts")["data"]["alerts"]
            return [a for a in alerts if a["labels"]["alertname"] == "StorplanDiskFailed"
                    and a["state"] == "firing"]  # fmt: skip

        alert = _until("StorplanDiskFailed to fire", firing)[0]
        assert alert["labels"]["severity"] == "critical"
        assert "ssd02" in alert["annotations"]["summary"]
        up = _get(f"{api}/query?query=storplan_up")["data"]["result"]
        assert [r["value"][1] for r in up] == ["1"]
    finally:
        server.terminate()
        server.wait(timeout=30)
