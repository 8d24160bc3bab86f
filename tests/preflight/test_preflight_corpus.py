"""The preflight corpus: manifests every check before the first change must refuse.

Each directory under ``tests/preflight/cases/`` is one case: ``manifest.yaml`` (``{db}`` is
the simulator file of the case, ``{work}`` its work directory) and ``case.yaml``::

    proves: what the case shows (one sentence)
    array: sim | nomutualsim | syncsim | smis:acme | smis:bolt | smis:acme-iscsi
    env: {VAR: value}            # the environment it runs with (besides a clean one)
    files:                       # files made in the work directory before it runs
      - {name: chap.secret, mode: "0644", text: "..."}
    steps:                       # seed steps, through the Session API, in order
      - {do: create_volume, pool: ssd, name: foreign, size: 1GiB, thin: true}
      - {do: create_host, name: other, initiators: [iqn...]}
      - {do: map, volume: foreign, host: other, lun: 5}
      - {do: create_snapshot, volume: foreign, name: nightly}
      - {do: create_filesystem, pool: nas, name: fs, size: 1GiB}
      - {do: create_fs_snapshot, filesystem: fs, name: daily}
      - {do: create_fs_clone, filesystem: fs, snapshot: daily, name: fs-test}
      - {do: create_export, filesystem: fs, path: /x, clients: ["*"]}
    expect:                      # the diagnostic plan and apply must both report
      code: pool.provisioning
      where: manifest.yaml:10:49 # file:line:column (the run's current directory is the case's)
      message: cannot hold thin   # a fragment of the message
    xfail: reason                # the case is a known gap (strict: it must still fail)

``nomutualsim``/``syncsim`` are the simulator declaring fewer capabilities, registered by the
real ``entry_points.txt`` in ``tests/preflight/site`` (on ``PYTHONPATH`` for those runs).

Per case, a fresh array is seeded (a real simulator file, or a new mock SMI-S array of the
flavour with the real smis provider on it) and snapshotted: the simulator's ``observe()``
spec views and every table's rows, or the mock's whole CIM repository and its method calls.
Simulator cases run ``storplan plan`` and ``storplan apply --yes`` as real processes: both
must exit 1 with the expected diagnostic line on stderr and leave the array as it was.
smis cases call the library (the mock cannot be reached by URI): ``load_manifest`` (online
validation against the provider) or ``make_plan`` must raise with a diagnostic at the
expected position, and ``apply_manifest`` — given the manifest loaded offline when online
validation refused it, so that the preflight stage itself is proved — must raise
``PlanError`` with the same diagnostic before any method is called on the array.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from corpus import SIM_SYSTEM, Case, load_cases, mock_snapshot, process_env, seed, sim_snapshot
from storplan.errors import PlanError
from storplan.manifest import ManifestError, load_manifest
from storplan.session import Session, connect

STORPLAN = str(Path(sys.executable).with_name("storplan"))
CASES = load_cases()
SIM_CASES = [c for c in CASES if not c.is_smis]
SMIS_CASES = [c for c in CASES if c.is_smis]
SITE_PROVIDERS = ("nomutualsim", "syncsim")


def _params(cases: list[Case]) -> list[Any]:
    marks = lambda c: [pytest.mark.xfail(reason=c.xfail, strict=True)] if c.xfail else []  # noqa: E731
    return [pytest.param(c, id=c.name, marks=marks(c)) for c in cases]


@dataclass(frozen=True)
class Seen:
    """One diagnostic as the run reported it."""

    code: str
    where: str
    message: str


def _matches(case: Case, seen: list[Seen]) -> bool:
    want = case.expect
    return any(
        s.code == want.code and s.where == want.where and want.message in s.message for s in seen
    )


# ---------------------------------------------------------------------------- simulator
def _run(work: Path, case: Case, *args: str) -> subprocess.CompletedProcess[str]:
    env = process_env(work / "state.db", case, site=case.array in SITE_PROVIDERS)
    return subprocess.run(
        [STORPLAN, *args],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,  # not a terminal: a prompt for a secret cannot be answered
        timeout=120,
        check=False,
    )


def _stderr_seen(stderr: str) -> list[Seen]:
    """``file:line:column: error: <message> [code]`` lines of a storplan run."""
    seen = []
    for line in stderr.splitlines():
        head, sep, rest = line.partition(": error: ")
        if sep and rest.endswith("]") and " [" in rest:
            message, _, code = rest[:-1].rpartition(" [")
            seen.append(Seen(code, head, message))
    return seen


@pytest.mark.subprocess
@pytest.mark.parametrize("case", _params(SIM_CASES))
def test_sim_case(case: Case, tmp_path: Path) -> None:
    db = tmp_path / "array.db"
    with connect(f"sim://{db}") as session:
        seed(session, case.steps, SIM_SYSTEM)
    case.prepare(tmp_path)
    before = sim_snapshot(db)
    for command in (["plan", "manifest.yaml"], ["apply", "--yes", "manifest.yaml"]):
        done = _run(tmp_path, case, *command)
        where = f"{command[0]}: exit {done.returncode}\n{done.stdout}{done.stderr}"
        assert done.returncode == 1, where
        assert _matches(case, _stderr_seen(done.stderr)), where
        assert sim_snapshot(db) == before, f"{command[0]} changed the array"


# ---------------------------------------------------------------------------- smis mock
def _flavour(name: str) -> Any:
    from mockarray import ACME_ISCSI, FLAVOURS

    return {**FLAVOURS, ACME_ISCSI.name: ACME_ISCSI}[name]


def _manifest_seen(exc: ManifestError) -> list[Seen]:
    return [
        Seen(d.code, f"{d.mark.file}:{d.mark.line}:{d.mark.column}", d.message)
        for d in exc.diagnostics
        if d.severity == "error"
    ]


def _plan_seen(exc: PlanError) -> list[Seen]:
    return [Seen(p.code, p.where, p.message) for p in exc.problems]


@dataclass
class SmisOutcome:
    """What plan and apply reported for one smis case, and whether the array changed."""

    plan: list[Seen]
    plan_changed: bool
    apply: list[Seen] | None = None  # None: the manifest cannot be loaded even offline
    apply_changed: bool = False


def smis_outcome(case: Case, work: Path) -> SmisOutcome:
    """Seed a new mock array for ``case``, then plan and apply the case's manifest (in the
    current directory, which must be ``work``) through the library."""
    from mockarray import build_array
    from smishelpers import URI
    from smishelpers import connect as connect_mock
    from storplan.apply import ApplyOptions, apply_manifest
    from storplan.plan import ReadOnlyProvider, StoreMemory, make_plan
    from storplan.state import open_store
    from storplan.uri import parse_uri

    array = build_array(_flavour(case.flavour))
    with Session(connect_mock(array), parse_uri(URI)) as session:
        seed(session, case.steps, None)
    case.prepare(work)
    before = mock_snapshot(array)

    def writable(spec: Any) -> Session:
        return Session(connect_mock(array, spec.provider), parse_uri(spec.provider))

    def read_only(spec: Any) -> Session:
        provider = ReadOnlyProvider(connect_mock(array, spec.provider)).as_provider()
        return Session(provider, parse_uri(spec.provider))

    store = open_store(str(work / "state.db"))
    try:
        manifest: Any = None
        try:  # plan: online validation, then the planner and its preflight
            manifest = load_manifest(["manifest.yaml"], connector=read_only)
        except ManifestError as exc:
            seen = _manifest_seen(exc)
            # refused without a provider too: then there is nothing apply could run
            with contextlib.suppress(ManifestError):
                manifest = load_manifest(["manifest.yaml"], offline=True)
        else:
            try:
                make_plan(manifest, read_only, StoreMemory(store))
                seen = []
            except PlanError as exc:
                seen = _plan_seen(exc)
        outcome = SmisOutcome(seen, mock_snapshot(array) != before)
        if manifest is not None:
            try:
                apply_manifest(manifest, writable, store, ApplyOptions(verify_delay=0.05))
                outcome.apply = []
            except PlanError as exc:
                outcome.apply = _plan_seen(exc)
            outcome.apply_changed = mock_snapshot(array) != before
        return outcome
    finally:
        store.close()


@pytest.mark.parametrize("case", _params(SMIS_CASES))
def test_smis_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [v for v in os.environ if v.startswith("STORPLAN_PF_")]:
        monkeypatch.delenv(name)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    outcome = smis_outcome(case, tmp_path)
    assert _matches(case, outcome.plan), outcome.plan
    assert not outcome.plan_changed, "planning changed the array"
    if outcome.apply is not None:
        assert _matches(case, outcome.apply), outcome.apply
        assert not outcome.apply_changed, "apply changed the array"


# The codes the corpus must prove, by array: the preflight checks (catalogue, capacity), the
# capability gate, and what validate refuses before them.
SIM_CODES = {
    "capability.missing",
    "capacity_exceeded",
    "chap.secret",
    "export.client",
    "export.conflict",
    "export.duplicate_client",
    "host.initiator_count",
    "initiator.taken",
    "mapping.lun_range",
    "mapping.lun_taken",
    "name.invalid",
    "name.previous_claimed",
    "pool.disk",
    "pool.element_type",
    "pool.provisioning",
    "ref.pool",
    "schema.pattern",
    "value.size_range",
}
SMIS_CODES = {
    "capability.missing",
    "capacity_exceeded",
    "host.initiator_count",
    "initiator.taken",
    "mapping.lun_range",
    "mapping.lun_taken",
    "name.invalid",
    "pool.provisioning",
    "ref.pool",
    "value.size_range",
}


def test_the_corpus_is_large_and_covers_both_providers() -> None:
    assert len(CASES) >= 30
    assert len(SIM_CASES) >= 15 and len(SMIS_CASES) >= 10
    assert {c.flavour for c in SMIS_CASES} >= {"acme", "bolt", "acme-iscsi"}
    assert {c.expect.code for c in SIM_CASES} >= SIM_CODES
    assert {c.expect.code for c in SMIS_CASES} >= SMIS_CODES
    for case in CASES:
        assert case.proves and case.expect.where.startswith("manifest.yaml:"), case.name
        assert (case.directory / "manifest.yaml").is_file(), case.name


def test_the_snapshots_see_every_kind_of_change(tmp_path: Path) -> None:
    """The comparison the cases rely on is not blind: one small change shows in each."""
    from mockarray import ACME, build_array
    from smishelpers import URI
    from smishelpers import connect as connect_mock
    from storplan.uri import parse_uri

    db = tmp_path / "array.db"
    with connect(f"sim://{db}") as session:
        before = sim_snapshot(db)
        host = {"do": "create_host", "name": "h", "initiators": ["iqn.2024-01.com.example:h"]}
        seed(session, (host,), None)
        after = sim_snapshot(db)
    assert after["observe"] != before["observe"] and after["rows"] != before["rows"]
    array = build_array(ACME)
    with Session(connect_mock(array), parse_uri(URI)) as session:
        before = mock_snapshot(array)
        seed(session, ({"do": "create_volume", "pool": "gold", "name": "v", "size": "1GiB"},), None)
    after = mock_snapshot(array)
    assert after["instances"] != before["instances"] and after["methods"] != before["methods"]
