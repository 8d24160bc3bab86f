"""The import guarantee against the mock SMI-S array, both vendor flavours.

Real: the smis provider over pywbem_mock with the hand-written MOF (tests/smis/mockarray),
the apply that builds the starting state (thin and thick volumes, hosts with iSCSI and FC
initiators, mappings, a snapshot, a copy), the import of what the provider observes, the
loader with online validation against the provider, and the planner.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mockarray.array import MockArray
from smishelpers import URI, connect
from storplan.apply import ApplyOptions, apply_manifest
from storplan.export import import_array, manifest_files, manifest_text
from storplan.manifest import ArraySpec, load_manifest, validate
from storplan.plan import StoreMemory, make_plan
from storplan.session import Session
from storplan.state import open_store
from storplan.uri import parse_uri
from test_smis_plan_apply import ALL, manifest_for


def test_import_of_the_mock_array_plans_clean(mock_array: MockArray, tmp_path: Path) -> None:
    def connector(spec: ArraySpec) -> Session:
        return Session(connect(mock_array, spec.provider), parse_uri(spec.provider))

    store = open_store(str(tmp_path / "state.db"))
    try:
        built = load_manifest([manifest_for(mock_array, tmp_path / "m.yaml")], connector=connector)
        report = apply_manifest(built, connector, store, ApplyOptions(ALL, verify_delay=0.05))
        assert report.ok, report.results
        with connector(built.arrays[0]) as session:
            state = session.observe()
            capabilities = session.capabilities
        imported = import_array(state, name="array1", provider=URI, capabilities=capabilities)
        assert imported.array.credentials is not None  # the URI names a user
        assert [v.name for v in imported.variables] == ["ARRAY1_PASSWORD"]
        text = manifest_text(imported, source=URI)
        volumes = {v.name: v for v in imported.array.volumes}
        assert set(volumes) == {"db-archive", "db01-data", "db02-data"}  # db02-report: a copy
        assert [r.name for r in volumes["db02-data"].replicas] == ["db02-report"]
        (tmp_path / "imported.yaml").write_text(text)
        split = tmp_path / "gitops"
        split.mkdir()
        for name, content in manifest_files(imported, source=URI).items():
            (split / name).write_text(content)
        for paths in ([tmp_path / "imported.yaml"], [split]):
            result = validate(paths, connector=connector)
            assert result.manifest is not None, [str(d) for d in result.diagnostics]
            plan: Any = make_plan(result.manifest, connector, StoreMemory(store))
            assert plan.actions == (), [a.id for a in plan.actions]
    finally:
        store.close()
