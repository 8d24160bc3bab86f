"""Targeted plans and applies: ``--target ADDRESS`` and ``--array NAME``.

Real: simulator files seeded by storplan applies, a state store file, manifests read by the
loader (a multi-file layout for ``--array``), the planner and the executor; the command line
through ``storplan.cli.main`` in this process.  Outcomes are checked by observing the
simulator and reading the state store.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from planhelpers import IQN, SYSTEM, apply, array_key_of, load, observe_state, write_manifest
from storplan.cli import main
from storplan.plan.target import Scope
from storplan.state import open_store


def entry(uri: str, volumes: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
    return {
        "name": "sim",
        "provider": uri,
        "system": SYSTEM,
        "pools": [{"name": "ssd"}],
        "hosts": [{"name": "app01", "initiators": [IQN + "app01"]}],
        "volumes": volumes,
        **more,
    }


def test_targeted_apply_prunes_and_unprotects_nothing_outside(tmp_path: Path) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    first = [
        {"name": "data", "pool": "ssd", "size": "1GiB"},
        {"name": "keep", "pool": "ssd", "size": "1GiB", "protect": True},
        {"name": "gone", "pool": "ssd", "size": "1GiB"},
    ]
    store = open_store(str(tmp_path / "state.db"))
    try:
        assert apply(load(write_manifest(tmp_path / "a.yaml", [entry(uri, first)])), store).ok
        later = [
            {"name": "data", "pool": "ssd", "size": "2GiB"},
            {"name": "keep", "pool": "ssd", "size": "3GiB", "protect": True},  # grown
        ]
        manifest = load(write_manifest(tmp_path / "b.yaml", [entry(uri, later, prune=True)]))
        report = apply(manifest, store, scope=Scope.of(["sim/volume/data"]))
        assert report.ok, report.results
        assert [r.action_id for r in report.results] == ["sim/volume/data/resize_volume"]
        assert report.plan.targets == ("sim/volume/data",)
        assert "sim: prune of volume:gone" in report.plan.outside
        live = observe_state(uri)
        assert live.volumes["data"][1] == 2 << 30 and live.volumes["keep"][1] == 1 << 30
        assert "gone" in live.volumes, "prune acted outside the target"
        assert store.owned(array_key_of(uri))["volume:keep"] is True, "protect flag dropped"
    finally:
        store.close()


def test_array_plans_one_entry_of_a_split_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--array`` reads every file: the host in one file and the volume mapped to it in
    another are planned together; the other array is not planned."""
    layout = tmp_path / "gitops"
    layout.mkdir()
    one, two = f"sim://{tmp_path / 'one.db'}", f"sim://{tmp_path / 'two.db'}"
    base = {"name": "one", "provider": one, "system": SYSTEM, "pools": [{"name": "ssd"}]}
    hosts = {"name": "one", "hosts": [{"name": "app01", "initiators": [IQN + "app01"]}]}
    mapped = {"host": "app01", "lun": 4}
    volumes = {"name": "one", "volumes": [{"name": "v", "pool": "ssd", "size": "1GiB",
                                           "mappings": [mapped]}]}  # fmt: skip
    other = {"name": "two", "provider": two, "system": SYSTEM, "pools": [{"name": "ssd"}],
             "volumes": [{"name": "w", "pool": "ssd", "size": "1GiB"}]}  # fmt: skip
    for name, array in (
        ("a.yaml", base),
        ("b.yaml", hosts),
        ("c.yaml", volumes),
        ("d.yaml", other),
    ):
        write_manifest(layout / name, [array])
    state = str(tmp_path / "state.db")
    assert main(["plan", str(layout), "--array", "one", "-o", "json", "--state", state]) == 2
    document = json.loads(capsys.readouterr().out)
    assert document["targets"] == ["one"] and document["outside"] == ["two"]
    assert [a["id"] for a in document["actions"]] == [
        "one/host/app01/create_access_group",
        "one/volume/v/create_volume",
        "one/mapping/v@app01/map_volume",
    ]
    assert not (tmp_path / "two.db").exists(), "the array outside the target was connected to"


def test_a_saved_targeted_plan_stays_targeted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    volumes = [{"name": "v1", "pool": "ssd", "size": "1GiB"}, {"name": "v2", "pool": "ssd",
               "size": "1GiB"}]  # fmt: skip
    path = write_manifest(tmp_path / "m.yaml", [entry(uri, volumes)])
    state, saved = str(tmp_path / "state.db"), str(tmp_path / "plan.json")
    argv = ["plan", str(path), "--target", "sim/volume/v1", "--out", saved, "--state", state]
    assert main(argv) == 2
    out = capsys.readouterr().out  # the pool is required by v1: planned, not outside
    assert "not planned (outside the target): sim/host/app01, sim/volume/v2\n" in out
    assert json.loads(Path(saved).read_text())["targets"] == ["sim/volume/v1"]
    assert main(["apply", saved, "--yes", "--target", "sim", "--state", state]) == 1
    assert "a saved plan keeps the target" in capsys.readouterr().err
    assert main(["apply", saved, "--yes", "--state", state]) == 0
    live = observe_state(uri)
    assert set(live.volumes) == {"v1"} and live.hosts == {}


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nope", "the manifest has no array entry 'nope'"),
        ("sim/volume/nope", "array 'sim' declares no volume 'nope'"),
        ("sim/lun/1", "is not an address"),
        ("sim/volume", "is not an address"),
    ],
)
def test_bad_addresses_are_refused(
    tmp_path: Path, target: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"sim://{tmp_path / 'array.db'}"
    path = write_manifest(tmp_path / "m.yaml", [entry(uri, [])])
    document = yaml.safe_load(path.read_text())
    assert document["arrays"][0]["name"] == "sim"
    assert main(["plan", str(path), "--target", target, "--state", str(tmp_path / "s")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "array.db").exists(), "a refused target still connected"
