"""No LUN is exposed before its host's CHAP is set, and a saved plan gets the same preflight
(a secret that cannot be read when the saved plan is applied refuses it before any change).

Real: ``storplan`` processes on a simulator file, the simulator's fault injection
(``faults=set_chap:fail`` in the provider URI: the call raises and changes nothing), the
plan's JSON and the apply's JSON report, and the simulator's rows read back afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from corpus import sim_snapshot
from planhelpers import cli_env, run_cli

IQN = "iqn.2024-01.com.example:h1"
CHAP_ENV = "STORPLAN_PF_ORDER_CHAP"
MANIFEST = f"""\
apiVersion: storplan.io/v1
kind: StorageState
metadata: {{name: chap-order}}
arrays:
  - name: a1
    provider: "{{uri}}"
    system: sim-array-1
    pools: [{{name: ssd}}]
    hosts:
      - name: h1
        initiators:
          - id: {IQN}
            chap: {{user: h1, secret: {{env: {CHAP_ENV}}}}}
    volumes:
      - {{name: v1, pool: ssd, size: 1GiB, mappings: [{{host: h1, lun: 1}}]}}
"""
MAP = "a1/mapping/v1@h1/map_volume"
CHAP = f"a1/initiator/h1/{IQN}/set_chap"


def _write(tmp_path: Path, query: str = "") -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(MANIFEST.replace("{uri}", f"sim://{tmp_path / 'array.db'}{query}"))
    return path


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return cli_env(tmp_path / "state.db", **extra)


def _mappings(tmp_path: Path) -> list[Any]:
    return list(sim_snapshot(tmp_path / "array.db")["rows"]["mappings"])


@pytest.mark.subprocess
def test_the_mapping_requires_the_hosts_chap(tmp_path: Path) -> None:
    manifest = _write(tmp_path)
    done = run_cli("plan", "-o", "json", str(manifest), env=_env(tmp_path, **{CHAP_ENV: "s3cret"}))
    assert done.returncode == 2, done.stderr
    actions = {a["id"]: a for a in json.loads(done.stdout)["actions"]}
    assert CHAP in actions[MAP]["requires"]  # the edge apply waits on
    order = list(actions)
    assert order.index(CHAP) < order.index(MAP)
    assert "s3cret" not in done.stdout  # the plan holds the reference, never the secret


@pytest.mark.subprocess
def test_a_failing_set_chap_leaves_no_mapping(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "?faults=set_chap:fail")
    env = _env(tmp_path, **{CHAP_ENV: "s3cret"})
    done = run_cli("apply", "--yes", "-o", "json", str(manifest), env=env)
    assert done.returncode == 1, done.stderr
    states = {r["action"]: r["state"] for r in json.loads(done.stdout)["results"]}
    assert states[CHAP] == "failed"
    assert states[MAP] == "not attempted"
    assert _mappings(tmp_path) == []  # the LUN was never exposed without authentication


@pytest.mark.subprocess
def test_a_saved_plan_is_refused_when_its_secret_cannot_be_read(tmp_path: Path) -> None:
    manifest = _write(tmp_path)
    saved = tmp_path / "plan.json"
    planned = run_cli(
        "plan", "--out", str(saved), str(manifest), env=_env(tmp_path, **{CHAP_ENV: "s3cret"})
    )
    assert planned.returncode == 2, planned.stderr
    before = sim_snapshot(tmp_path / "array.db")
    done = run_cli("apply", "--yes", str(saved), env=_env(tmp_path))  # the variable is unset
    assert done.returncode == 1
    assert f"environment variable {CHAP_ENV} is not set" in done.stderr
    assert sim_snapshot(tmp_path / "array.db") == before, "apply changed the array"
