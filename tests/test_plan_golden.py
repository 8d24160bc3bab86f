"""Golden plan cases: a manifest plus a seeded simulator in, the exact plan text and JSON out.

Each directory under tests/plans/ holds ``case.yaml`` (a description, the command line's
consent, which provider, and the imperative steps that seed the array through the Python API),
``manifest.yaml`` (``{db}`` stands for the simulator file; ``targets`` and ``arrays`` in
``case.yaml`` are the command line's ``--target`` and ``--array``) and the expected ``plan.txt`` and
``plan.json`` or, for plans that cannot be made, ``error.txt``.  Rewrite the expected files
with ``pytest --regen-golden``.

Real: the simulator file, the state store, the loader, the planner, the renderers.  The one
stand-in is ``limitsim``: a provider registered through a real ``entry_points.txt`` that is the
simulator declaring fewer capabilities (the simulator itself declares every one).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from planhelpers import ALL, SYSTEM, apply, load, observe_state
from planhelpers import plan as make_plan_for
from storplan.model import ExportOptions, Kind
from storplan.plan import Consent, Plan, PlanError, plan_lines
from storplan.plan.target import Scope
from storplan.session import Session, connect
from storplan.state import StateStore, open_store

CASES = Path(__file__).with_name("plans")
NAMES = sorted(p.name for p in CASES.iterdir() if (p / "case.yaml").exists())

LIMITED = """
from storplan.model.capabilities import Capabilities
from storplan.model.enums import Capability
from storplan.providers.sim import SimProvider

MISSING = {Capability.VOLUME_GROW, Capability.VOLUME_RENAME}


class LimitedSim(SimProvider):
    \"\"\"The simulator, declaring every capability but growing and renaming volumes.\"\"\"

    name = "limitsim"

    def capabilities(self):
        return Capabilities(self.name, frozenset(Capability) - MISSING)
"""


@pytest.fixture
def limitsim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Install the ``limitsim`` provider as a real (tiny) distribution on sys.path."""
    site = tmp_path / "site"
    dist = site / "limitsim-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "entry_points.txt").write_text(
        "[storplan.providers]\nlimitsim = limitsim_provider:LimitedSim\n"
    )
    (site / "limitsim_provider.py").write_text(textwrap.dedent(LIMITED))
    monkeypatch.syspath_prepend(str(site))


def _object(session: Session, kind: Kind, name: str) -> Any:
    system = next(s for s in session.observe({Kind.SYSTEMS}).systems if s.name == SYSTEM)
    return next(o for o in session.objects(kind) if o.name == name and o.system_id == system.id)


def _seed(session: Session, steps: list[dict[str, Any]], work: Path, store: StateStore) -> None:
    """Perform a case's steps against the array, in order."""
    system = next(s for s in session.observe({Kind.SYSTEMS}).systems if s.name == SYSTEM)
    for step in steps:
        do = step["do"]
        if do == "create_volume":
            pool = _object(session, Kind.POOLS, step["pool"])
            session.create_volume(pool, step["name"], step["size"], thin=step.get("thin", True))
        elif do == "create_host":
            session.create_access_group(system, step["name"], step["initiators"])
        elif do == "map":
            volume = _object(session, Kind.VOLUMES, step["volume"])
            host = _object(session, Kind.ACCESS_GROUPS, step["host"])
            session.map_volume(volume, host, step.get("lun"))
        elif do == "create_snapshot":
            session.create_snapshot(_object(session, Kind.VOLUMES, step["volume"]), step["name"])
        elif do == "create_filesystem":
            pool = _object(session, Kind.POOLS, step["pool"])
            session.create_filesystem(pool, step["name"], step["size"])
        elif do == "create_export":
            fs = _object(session, Kind.FILESYSTEMS, step["filesystem"])
            options = {k: v for k, v in step.items() if k not in ("do", "filesystem", "path")}
            session.create_export(fs, step["path"], ExportOptions.canonical(**options))
        elif do == "import":  # the storplan import command, in this process
            from storplan.cli import main

            argv = ["import", "--uri", str(session.uri), "--system", SYSTEM, "--name", "sim"]
            argv += [f"--select={s}" for s in step.get("select", [])]
            argv += ["--adopt"] if step.get("adopt") else []
            out = work / "imported.yaml"
            assert main([*argv, "--state", store.location, "--out", str(out), "--force"]) == 0
        elif do == "apply":  # through storplan itself, so that it records ownership
            report = apply(load(_manifest(work, step["manifest"])), store, ALL, parallelism=1)
            assert report.ok, report.results
        else:
            raise AssertionError(f"unknown step {do!r}")


def _manifest(work: Path, name: str) -> Path:
    """Copy a case's manifest into the work directory with the simulator file filled in."""
    case = work / "case"
    text = (case / name).read_text().replace("{db}", str(work / "array.db"))
    target = work / name
    target.write_text(text)
    return target


def _normalize(text: str, work: Path) -> str:
    """The case's paths and the simulator file's random identity, as placeholders."""
    import re

    text = text.replace(str(work / "array.db"), "{db}")
    return re.sub(r"sim-[0-9a-f]{8}-[0-9a-f-]{27}", "{identity}", text)


def _outcome(name: str, work: Path) -> tuple[dict[str, str], Plan | None]:
    """Seed a fresh array for case ``name`` in ``work`` and plan: the expected files' texts."""
    case = yaml.safe_load((CASES / name / "case.yaml").read_text())
    (work / "case").mkdir(parents=True)
    for source in (CASES / name).glob("*.yaml"):
        (work / "case" / source.name).write_text(source.read_text())
    scheme = case.get("provider", "sim")
    os.environ.update(case.get("env", {}))
    store = open_store(str(work / "state.db"))
    try:
        with connect(f"{scheme}://{work / 'array.db'}") as session:
            _seed(session, case.get("steps", []), work, store)
        manifest = load(_manifest(work, "manifest.yaml"))
        consent = Consent(**case.get("consent", {}))
        scope = Scope.of(case.get("targets", []), case.get("arrays", []))  # --target, --array
        before = observe_state(f"sim://{work / 'array.db'}")
        try:
            plan = make_plan_for(manifest, store, consent, scope)
        except PlanError as exc:
            assert observe_state(f"sim://{work / 'array.db'}") == before, "planning changed it"
            lines = [f"{exc}"]
            for problem in exc.problems:
                lines.append(f"- {problem.array}: {problem.message}")
                lines.append(f"  hint: {problem.hint}")
            return {"error.txt": _normalize("\n".join(lines) + "\n", work)}, None
        assert observe_state(f"sim://{work / 'array.db'}") == before, "planning changed it"
    finally:
        store.close()
    text = "".join(line + "\n" for _, line in plan_lines(plan))
    return {
        "plan.txt": _normalize(text, work),
        "plan.json": _normalize(plan.to_json(), work),
    }, plan


@pytest.mark.usefixtures("limitsim")
@pytest.mark.parametrize("name", NAMES)
def test_golden_plan(name: str, tmp_path: Path, regen_golden: bool) -> None:
    files, _ = _outcome(name, tmp_path / "a")
    directory = CASES / name
    if regen_golden:
        for stale in ("plan.txt", "plan.json", "error.txt"):
            (directory / stale).unlink(missing_ok=True)
        for file, text in files.items():
            (directory / file).write_text(text)
        return
    for file, text in files.items():
        assert (directory / file).exists(), f"{name}: no {file}; run pytest --regen-golden"
        assert text == (directory / file).read_text(), f"{name}/{file} differs"
    expected = {p.name for p in directory.iterdir()} & {"plan.txt", "plan.json", "error.txt"}
    assert expected == set(files), f"{name}: expected {sorted(expected)}, got {sorted(files)}"


@pytest.mark.usefixtures("limitsim")
@pytest.mark.parametrize("name", NAMES)
def test_same_input_gives_byte_identical_plan(name: str, tmp_path: Path) -> None:
    """Planning twice, and planning an independently seeded copy, gives identical bytes."""
    first, plan = _outcome(name, tmp_path / "a")
    second, _ = _outcome(name, tmp_path / "b")
    assert first == second
    if plan is not None:
        assert Plan.from_json(plan.to_json()).to_json() == plan.to_json()


def test_cases_cover_the_required_scenarios() -> None:
    assert len(NAMES) >= 8
    kinds = {
        json_action["operation"]
        for name in NAMES
        if (CASES / name / "plan.json").exists()
        for json_action in yaml.safe_load((CASES / name / "plan.json").read_text())["actions"]
    }
    assert {
        "create_volume",
        "resize_volume",
        "rename_volume",
        "unmap_volume",
        "map_volume",
    } <= kinds
    assert {"delete_volume", "modify_export", "add_initiator", "remove_initiator"} <= kinds
