"""``storplan health``: every injected hardware fault shows with its code, severity and the
Nagios exit status; thresholds, perfdata, outages.

Real: the simulator (a SQLite file, its hardware fault injection), the CLI's ``main``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from monhelpers import FAULTS, busy_array
from storplan.cli import main


@pytest.fixture(scope="module")
def array(tmp_path_factory: pytest.TempPathFactory) -> str:
    return busy_array(tmp_path_factory.mktemp("health"))


def _health(capsys: pytest.CaptureFixture[str], uri: str, *options: str) -> tuple[int, dict]:
    status = main(["-u", uri, "health", "-o", "json", *options])
    return status, json.loads(capsys.readouterr().out)


def test_a_healthy_array_is_ok(array: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, document = _health(capsys, array)
    assert (status, document["status"], document["findings"]) == (0, "ok", [])


@pytest.mark.parametrize(("fault", "code", "severity", "exit_", "kind", "name"), FAULTS)
def test_each_injected_fault_is_a_condition_with_its_exit_status(
    array: str,
    capsys: pytest.CaptureFixture[str],
    fault: str,
    code: str,
    severity: str,
    exit_: int,
    kind: str,
    name: str,
) -> None:
    status, document = _health(capsys, f"{array}?faults={fault}")
    assert status == exit_
    found = [(f["code"], f["severity"], f["kind"], f["name"]) for f in document["findings"]]
    assert (code, severity, kind, name) in found


def test_worst_first_and_the_plugin_output(array: str, capsys: pytest.CaptureFixture[str]) -> None:
    faults = "fan:sys1,disk-fail:disk3,raid-rebuild:ssd=40,pool-fill:hdd=85"
    assert main(["-u", f"{array}?faults={faults}", "health", "-o", "nagios"]) == 2
    lines = capsys.readouterr().out.splitlines()
    status, _, perfdata = lines[0].partition(" | ")
    assert status.startswith("STORPLAN CRITICAL - 1 critical, 3 warning: disk.failed on disk ssd02")
    assert " 'pool hdd used'=85.00%;80;90;0;100 " in f" {perfdata} "
    severities = [line.split(":")[0] for line in lines[1:]]
    assert severities == ["CRITICAL", "WARNING", "WARNING", "WARNING"]
    assert all("|" not in line for line in lines[1:])


def test_thresholds_from_options(array: str, capsys: pytest.CaptureFixture[str]) -> None:
    uri = f"{array}?faults=pool-fill:hdd=55,thin-metadata:nvme=50"
    assert _health(capsys, uri)[0] == 0
    status, document = _health(capsys, uri, "--pool-used", "50:60", "--thin-metadata", ":45")
    assert status == 2
    found = {f["code"]: f["severity"] for f in document["findings"]}
    assert found == {"pool.capacity": "warning", "pool.thin.metadata": "critical"}
    assert main(["-u", uri, "health", "--pool-used", "90:80"]) == 1  # refused: warn > crit
    assert "above the critical" in capsys.readouterr().err


def test_an_unreachable_array_is_critical_and_an_unreadable_one_unknown(
    array: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, document = _health(capsys, f"{array}?faults=connect:fail")
    assert (status, [f["code"] for f in document["findings"]]) == (2, ["connection.failed"])
    status, document = _health(capsys, f"{array}?faults=observe:fail")
    assert (status, [f["code"] for f in document["findings"]]) == (3, ["observe.failed"])


def test_failed_jobs_are_reported_when_asked(
    array: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uri = f"sim://{tmp_path}/jobs.db?faults=create_volume:jobfail&jobs=async&job_seconds=0"
    assert main(["-u", uri, "volume", "create", "v1", "--pool", "ssd", "--size", "1GiB"]) == 1
    capsys.readouterr()
    assert _health(capsys, uri)[1]["findings"][0]["code"] != "job.failed"
    status, document = _health(capsys, uri, "--failed-jobs", "5")
    assert "job.failed" in [f["code"] for f in document["findings"]]
    assert status == 1


def test_manifests_name_the_arrays(
    array: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "arrays.yaml"
    west = busy_array(tmp_path)
    manifest.write_text(
        "apiVersion: storplan.io/v1\nkind: StorageState\nmetadata:\n  name: fleet\narrays:\n"
        f"  - name: east\n    provider: {array}?faults=disk-fail:disk3\n"
        "    pools:\n      - name: ssd\n"
        f"  - name: west\n    provider: {west}\n    pools:\n      - name: ssd\n"
    )
    status = main(["health", "-o", "json", str(manifest)])
    out = capsys.readouterr()
    document = json.loads(out.out or out.err)
    assert status == 2
    assert {(f["array"], f["code"]) for f in document["findings"]} == {("east", "disk.failed")}


def test_thresholds_from_a_manifest_and_options_over_them(
    array: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    manifest = tmp_path / "monitor.yaml"
    manifest.write_text(
        "apiVersion: storplan.io/v1\nkind: StorageState\nmetadata:\n  name: monitor\narrays:\n"
        f"  - name: east\n    provider: {array}?faults=pool-fill:hdd=55\n    allow_empty: true\n"
        "    monitoring:\n      thresholds:\n        pool_used: {warning: 50, critical: 70}\n"
    )
    assert main(["health", "-o", "json", str(manifest)]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["code"] == "pool.capacity"
    assert main(["health", "-o", "json", "--pool-used", "60:70", str(manifest)]) == 0
    capsys.readouterr()
    manifest.write_text(manifest.read_text().replace("warning: 50", "warning: 80"))
    assert main(["health", str(manifest)]) == 1
    assert (
        "the warning level 80 is above the critical 70 [value.threshold]" in capsys.readouterr().err
    )


def test_a_monitoring_block_survives_dump_and_load(tmp_path: Path) -> None:
    from storplan.manifest import validate
    from storplan.manifest.dump import dump_manifest
    from storplan.manifest.spec import ArraySpec, Manifest
    from storplan.monitoring.thresholds import Threshold, Thresholds

    levels = Thresholds(pool_used=Threshold(85.0, 95.0), volume_used=Threshold(None, 98.0))
    manifest = Manifest("m", (ArraySpec("a1", "sim://", allow_empty=True, monitoring=levels),))
    path = tmp_path / "m.yaml"
    path.write_text(dump_manifest(manifest))
    assert "volume_used:\n        critical: 98.0\n" in path.read_text()
    loaded = validate([path], offline=True).manifest
    assert loaded is not None and loaded.arrays[0].monitoring == levels
