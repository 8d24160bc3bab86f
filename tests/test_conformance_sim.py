"""The provider conformance kit, run against the simulator in CI.

Every test of the kit is re-exported here, so it runs in this session against a fresh real
simulator SQLite file per test (the kit's default when no ``--storplan-uri`` is given).  The
other tests run the kit as provider authors do, as real ``python -m pytest`` subprocesses:
``-p storplan.conformance --pyargs storplan.conformance --storplan-uri sim:///...`` against
one shared real file (sync and async jobs), against a real third-party-style provider entry
point that declares only a few capabilities (everything else must be a skip naming the
capability), and with the kit's fixtures in an author's own failing test (cleanup must still
restore the array).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import storplan
from storplan.conformance.test_conformance import *  # noqa: F403
from storplan.conformance.test_conformance_block import *  # noqa: F403
from storplan.conformance.test_conformance_gate import *  # noqa: F403
from storplan.conformance.test_conformance_masking import *  # noqa: F403
from storplan.conformance.test_conformance_nas import *  # noqa: F403


@pytest.mark.subprocess
def test_kit_is_opt_in(tmp_path: Path) -> None:
    """Another project's pytest run (a real subprocess) does not get the kit's generic
    fixtures; with ``-p storplan.conformance`` it does."""
    (tmp_path / "test_other.py").write_text("def test_uses_array(array):\n    pass\n")
    common = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_other.py"]
    plain = subprocess.run(common, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert plain.returncode != 0 and "fixture 'array' not found" in plain.stdout
    opted = subprocess.run(
        [*common, "-p", "storplan.conformance", "--storplan-uri", f"sim://{tmp_path / 'a.db'}"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert opted.returncode == 0, opted.stdout + opted.stderr


def test_identity_differs_between_arrays_and_not_between_spellings(tmp_path: Path) -> None:
    """Two simulator files are two arrays; one file reached by two spellings of its path
    (a symlink, ``/./``, a doubled slash, URI options) is one."""
    (tmp_path / "d").mkdir()
    os.symlink(tmp_path / "d", tmp_path / "link")
    spellings = [
        f"sim://{tmp_path}/d/x.db",
        f"sim://{tmp_path}/d//x.db",
        f"sim://{tmp_path}/./d/x.db",
        f"sim://{tmp_path}/link/x.db",
        f"sim://{tmp_path}/d/x.db?latency=*:0",
    ]
    identities = set()
    for uri in spellings:
        with storplan.connect(uri) as array:
            identities.add(array.provider.identity())
    with storplan.connect(f"sim://{tmp_path}/d/y.db") as other:
        assert other.provider.identity() not in identities
    assert len(identities) == 1


@pytest.mark.subprocess
@pytest.mark.parametrize("options", ["", "?jobs=async&job_seconds=0"], ids=["sync", "async"])
def test_kit_passes_as_a_subprocess_against_one_sim_file(tmp_path: Path, options: str) -> None:
    uri = f"sim://{tmp_path / 'x.db'}{options}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_SIM_")}
    env["CFK_TEST_PASSWORD"] = "not-used-by-the-simulator"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "storplan.conformance",
         "--pyargs", "storplan.conformance", "--storplan-uri", uri,
         "--storplan-password-env", "CFK_TEST_PASSWORD", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    summary = report.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?|xpassed)\b", summary), summary
    with storplan.connect(uri) as array:  # the kit's cleanup left nothing behind
        leftovers = [v.name for v in array.volumes() if v.name.startswith("cfk-")]
        assert leftovers == [] and not array.access_groups()


LIMITED_PROVIDER = '''
from storplan.model import Capabilities, Capability as C
from storplan.providers.sim import SimProvider


class LimitedProvider(SimProvider):
    """The simulator, declaring only thick volumes, iSCSI hosts and masking."""

    name = "lim"

    def capabilities(self):
        declared = {C.VOLUMES, C.VOLUME_THICK, C.ACCESS_GROUPS, C.INITIATOR_ISCSI, C.MASKING}
        return Capabilities(self.name, frozenset(declared))
'''


@pytest.mark.subprocess
def test_kit_skips_what_a_provider_does_not_declare(tmp_path: Path) -> None:
    """A third-party provider (a real entry point on sys.path) declaring a few capabilities:
    everything else is an explicit skip whose reason names the capability."""
    (tmp_path / "limited_provider.py").write_text(LIMITED_PROVIDER, encoding="utf-8")
    metadata = tmp_path / "limited_provider-1.0.dist-info"
    metadata.mkdir()
    (metadata / "entry_points.txt").write_text(
        "[storplan.providers]\nlim = limited_provider:LimitedProvider\n", encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_SIM_")}
    env["PYTHONPATH"] = str(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "storplan.conformance",
         "--pyargs", "storplan.conformance", "-rs",
         "--storplan-uri", f"lim://{tmp_path / 'lim.db'}", "-p", "no:cacheprovider"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    summary = report.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary) and re.search(r"\b\d+ skipped\b", summary)
    assert not re.search(r"\b\d+ (failed|errors?|xpassed)\b", summary), summary
    for capability in (
        "filesystems",
        "volume.thin",
        "snapshots",
        "replica.clone",
        "chap",
        "masking.lun_choice",
        "initiator.fc",
        "volume.grow",
        "pool.create",
    ):
        assert f"provider lim does not declare {capability}" in report, capability
    assert "provider lim does not declare volumes" not in report


FAILING_TEST = """
from storplan.model import ReplicaKind


def test_fails_after_creating_everything(array, new_volume, new_group, new_filesystem, names):
    volume, group, filesystem = new_volume(), new_group(), new_filesystem()
    array.map_volume(volume, group)
    array.create_snapshot(volume, names("snap"))
    array.create_replica(volume, names("mirror"), ReplicaKind.MIRROR_ASYNC)
    array.create_fs_snapshot(filesystem, names("fsnap"))
    array.create_export(filesystem, "/" + names("export"))
    raise AssertionError("on purpose")
"""


@pytest.mark.subprocess
def test_cleanup_runs_even_when_a_test_fails(tmp_path: Path) -> None:
    """The plug-in's fixtures in a provider author's own test file: a failing test still leaves
    the array as it found it (dependents deleted before what they depend on)."""
    (tmp_path / "test_author.py").write_text(FAILING_TEST, encoding="utf-8")
    uri = f"sim://{tmp_path / 'author.db'}"
    with storplan.connect(uri) as array:
        before = array.observe()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "storplan.conformance", "test_author.py",
         "--storplan-uri", uri, "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    summary = (run.stdout + run.stderr).strip().splitlines()[-1]
    assert run.returncode == 1 and re.match(r"1 failed in ", summary), run.stdout + run.stderr
    with storplan.connect(uri) as array:
        assert array.observe() == before
