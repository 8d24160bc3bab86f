"""Plan and apply a manifest against the mock SMI-S array, through the smis provider.

Real: the manifest loader (with online validation against the provider's capabilities and
limits), the planner, the executor, a state store file, and the provider on the mock array.
The manifest is the shape of ``examples/database-hosts.yaml`` with this array's pools and a
``copy`` replica (the smis provider offers copies, not space-efficient clones).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from mockarray.array import MockArray
from smishelpers import connect
from storplan.apply import DONE, ApplyOptions, apply_manifest
from storplan.manifest import ArraySpec, load_manifest
from storplan.model import Kind
from storplan.plan import Consent, StoreMemory, make_plan
from storplan.session import Session
from storplan.state import open_store
from storplan.uri import parse_uri

URI = "smis+https://admin@array.example.com:5989/"
ALL = Consent(allow_destroy=True, allow_disruptive=True)


def manifest_for(array: MockArray, path: Path) -> Path:
    thin_pool, thick_pool = (name for name, *_ in array.f.pools)
    hosts = [
        {"name": "db01", "initiators": ["iqn.1994-05.com.example:db01"]},
        {"name": "db02", "initiators": ["iqn.1994-05.com.example:db02", "21:00:00:24:ff:4c:aa:01"]},
    ]
    volumes = [
        {
            "name": "db01-data",
            "pool": thin_pool,
            "size": "2GiB",
            "thin": True,
            "mappings": [{"host": "db01"}],
            "snapshots": [{"name": "nightly"}],
        },
        {
            "name": "db02-data",
            "pool": thin_pool,
            "size": "2GiB",
            "thin": True,
            "mappings": [{"host": "db02"}],
            "replicas": [{"name": "db02-report", "kind": "copy"}],
        },
        {
            "name": "db-archive",
            "pool": thick_pool,
            "size": "1GiB",
            "thin": False,
            "mappings": [{"host": "db01"}, {"host": "db02"}],
        },
    ]
    document = {
        "apiVersion": "storplan.io/v1",
        "kind": "StorageState",
        "metadata": {"name": "smis-db"},
        "arrays": [
            {
                "name": "array1",
                "provider": URI,
                "system": array.f.system_name.lower(),
                "pools": [{"name": thin_pool}, {"name": thick_pool}],
                "hosts": hosts,
                "volumes": volumes,
            }
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Any:
    state = open_store(str(tmp_path / "state.db"))
    yield state
    state.close()


def test_plan_apply_and_converge(mock_array: MockArray, tmp_path: Path, store: Any) -> None:
    def connector(spec: ArraySpec) -> Session:
        return Session(connect(mock_array, spec.provider), parse_uri(spec.provider))

    manifest = load_manifest([manifest_for(mock_array, tmp_path / "m.yaml")], connector=connector)
    plan = make_plan(manifest, connector, StoreMemory(store), ALL)
    operations = {a.operation for a in plan.actions}
    assert {"create_volume", "map_volume", "create_snapshot", "create_replica"} <= operations
    assert not [a.blocked for a in plan.actions if a.blocked]
    options = ApplyOptions(consent=ALL, verify_delay=0.05)
    report = apply_manifest(manifest, connector, store, options)
    assert report.ok, [(r.action, r.state, r.error) for r in report.results]
    assert {r.state for r in report.results} == {DONE}
    state = connect(mock_array).observe()
    assert sorted(v.name for v in state.volumes) == [
        "db-archive",
        "db01-data",
        "db02-data",
        "db02-report",
    ]
    assert sorted(g.name for g in state.access_groups) == ["db01", "db02"]
    assert len(state.mappings) == 4 and [s.name for s in state.snapshots] == ["nightly"]
    assert [r.kind for r in state.replicas] == ["copy"]
    again = apply_manifest(manifest, connector, store, options)
    assert again.ok and again.results == []  # a second apply is a no-op
    assert make_plan(manifest, connector, StoreMemory(store), ALL).actions == ()
    assert connect(mock_array).observe(frozenset({Kind.VOLUMES})).volumes == state.volumes
