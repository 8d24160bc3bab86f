"""The preflight corpus: its case files, the seed steps, and snapshots of the arrays.

The case format is documented at the top of ``test_preflight_corpus.py``.  Nothing here stands
in for storplan: seed steps call the real :class:`~storplan.session.Session` API (on a real
simulator file or a real smis provider over the mock array), and snapshots read what the
array holds (the simulator's SQLite rows and ``observe()``, the mock's CIM repository).
"""

from __future__ import annotations

import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from storplan.model import ExportOptions, Kind
from storplan.model.base import spec_of
from storplan.session import Session, connect

HERE = Path(__file__).resolve().parent
CASES = HERE / "cases"
SITE = HERE / "site"  # the ``lesssim`` distribution (providers with fewer capabilities)
SIM_SYSTEM = "sim-array-1"

__all__ = [
    "CASES",
    "SITE",
    "Case",
    "Expected",
    "load_cases",
    "mock_snapshot",
    "seed",
    "sim_snapshot",
]


@dataclass(frozen=True)
class Expected:
    """The diagnostic a case must produce: code, ``file:line:column`` and a message fragment."""

    code: str
    where: str
    message: str


@dataclass(frozen=True)
class Case:
    """One corpus case (see the test module's docstring for the fields)."""

    name: str
    proves: str
    array: str
    expect: Expected
    env: dict[str, str] = field(default_factory=dict)
    files: tuple[dict[str, Any], ...] = ()
    steps: tuple[dict[str, Any], ...] = ()
    xfail: str = ""

    @property
    def directory(self) -> Path:
        return CASES / self.name

    @property
    def is_smis(self) -> bool:
        return self.array.startswith("smis:")

    @property
    def flavour(self) -> str:
        return self.array.partition(":")[2]

    def manifest_text(self, work: Path) -> str:
        """The manifest with ``{db}`` (the simulator file) and ``{work}`` filled in."""
        text = (self.directory / "manifest.yaml").read_text()
        return text.replace("{db}", str(work / "array.db")).replace("{work}", str(work))

    def prepare(self, work: Path) -> Path:
        """Write the manifest and the case's files into ``work``; returns the manifest."""
        for spec in self.files:
            path = work / spec["name"]
            if "text" in spec:
                path.write_text(spec["text"])
                path.chmod(int(str(spec.get("mode", "0600")), 8))
        manifest = work / "manifest.yaml"
        manifest.write_text(self.manifest_text(work))
        return manifest


def load_cases() -> list[Case]:
    """Every case under ``cases/``, sorted by name."""
    cases = []
    for directory in sorted(p for p in CASES.iterdir() if (p / "case.yaml").is_file()):
        data = yaml.safe_load((directory / "case.yaml").read_text())
        expect = data["expect"]
        cases.append(
            Case(
                name=directory.name,
                proves=" ".join(str(data["proves"]).split()),
                array=data.get("array", "sim"),
                expect=Expected(expect["code"], expect["where"], expect["message"]),
                env={str(k): str(v) for k, v in (data.get("env") or {}).items()},
                files=tuple(data.get("files") or ()),
                steps=tuple(data.get("steps") or ()),
                xfail=data.get("xfail", ""),
            )
        )
    return cases


# ---------------------------------------------------------------------------- seeding
def _named(session: Session, kind: Kind, name: str, system_id: str) -> Any:
    found = [o for o in session.objects(kind) if o.name == name]
    mine = [o for o in found if getattr(o, "system_id", system_id) == system_id]
    assert mine, f"seed: no {kind.value} {name!r}"
    return mine[0]


def seed(session: Session, steps: tuple[dict[str, Any], ...], system_name: str | None) -> None:
    """Run a case's seed steps, in order, through the Session API (``system_name``: the system
    they act on; ``None``: the first one)."""
    systems = session.observe({Kind.SYSTEMS}).systems
    system = next(s for s in systems if system_name in (None, s.name))
    for step in steps:
        do = step["do"]
        if do == "create_volume":
            pool = _named(session, Kind.POOLS, step["pool"], system.id)
            session.create_volume(pool, step["name"], step["size"], thin=step.get("thin", True))
        elif do == "create_host":
            session.create_access_group(system, step["name"], step["initiators"])
        elif do == "map":
            volume = _named(session, Kind.VOLUMES, step["volume"], system.id)
            host = _named(session, Kind.ACCESS_GROUPS, step["host"], system.id)
            session.map_volume(volume, host, step.get("lun"))
        elif do == "create_snapshot":
            volume = _named(session, Kind.VOLUMES, step["volume"], system.id)
            session.create_snapshot(volume, step["name"])
        elif do == "create_filesystem":
            pool = _named(session, Kind.POOLS, step["pool"], system.id)
            session.create_filesystem(pool, step["name"], step["size"])
        elif do == "create_fs_snapshot":
            fs = _named(session, Kind.FILESYSTEMS, step["filesystem"], system.id)
            session.create_fs_snapshot(fs, step["name"])
        elif do == "create_fs_clone":
            source = _named(session, Kind.FILESYSTEMS, step["filesystem"], system.id)
            [snapshot] = [
                s
                for s in session.objects(Kind.FS_SNAPSHOTS)
                if s.filesystem_id == source.id and s.name == step["snapshot"]
            ]
            session.create_fs_clone(snapshot, step["name"])
        elif do == "create_export":
            fs = _named(session, Kind.FILESYSTEMS, step["filesystem"], system.id)
            options = ExportOptions.canonical(clients=step["clients"])
            session.create_export(fs, step["path"], options)
        else:
            raise AssertionError(f"unknown seed step {do!r}")


# ---------------------------------------------------------------------------- snapshots
def sim_snapshot(db: Path) -> dict[str, Any]:
    """What a simulator file holds: the spec view of everything ``observe()`` reports, and
    the rows of every table (read-only; byte hashes would differ after a WAL checkpoint)."""
    with connect(f"sim://{db}") as session:
        state = session.observe()
    views = {
        kind.value: sorted(json.dumps(spec_of(o), sort_keys=True) for o in state.of(kind))
        for kind in Kind
    }
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
    finally:
        conn.close()
    return {"observe": views, "rows": rows}


def mock_snapshot(array: Any) -> dict[str, Any]:
    """What the mock SMI-S array holds: every instance of every namespace (as MOF), and the
    extrinsic methods called so far."""
    repository = array.conn.cimrepository
    contents = {}
    for namespace in sorted(array.conn.namespaces):
        store = repository.get_instance_store(namespace)
        contents[namespace] = sorted(
            (str(instance.path), instance.tomof()) for instance in store.iter_values()
        )
    return {"instances": contents, "methods": list(array.method_calls)}


def process_env(state: Path, case: Case, site: bool) -> dict[str, str]:
    """The environment of a ``storplan`` process for ``case``: no inherited ``STORPLAN_*``,
    its own state store, the case's variables, and the ``lesssim`` site when it needs one."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_")}
    env.update(STORPLAN_STATE=str(state), NO_COLOR="1", **case.env)
    if site:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SITE), env.get("PYTHONPATH")]))
    return env
