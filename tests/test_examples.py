"""Every example in ``examples/`` validates, offline and against a real simulator.

Real: the example files themselves, the real CLI entry point (``storplan.cli.main``), and for
the online checks the real ``sim://`` provider on SQLite files in ``tmp_path`` (each example is
copied there with its ``provider: sim://...`` URIs pointed at a fresh file; nothing else
changes), so capabilities and limits come from the provider itself.  The online invalid
manifests at the end reach the codes only a provider can produce.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from storplan.cli import main
from storplan.manifest import validate

ROOT = Path(__file__).resolve().parents[1]
NOT_MANIFESTS = {"monitoring"}  # Prometheus alert rules and their tests (tests/monitoring)
EXAMPLES = sorted(
    p
    for p in (ROOT / "examples").iterdir()
    if (p.suffix == ".yaml" or p.is_dir()) and p.name not in NOT_MANIFESTS
)
SIM_URI = re.compile(r"^(\s*provider:\s*)sim://\S*", re.MULTILINE)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def localize(example: Path, target: Path) -> list[Path]:
    """Copy ``example`` (file or tree) into ``target`` with every sim:// URI pointing at a new
    SQLite file there; returns the database files the URIs name."""
    databases: list[Path] = []

    def rewrite(source: Path, destination: Path) -> None:
        def point(match: re.Match[str]) -> str:
            stem = Path(match.group(0).split("://", 1)[1]).stem or source.stem
            database = target / f"{stem}.db"
            databases.append(database)
            return f"{match.group(1)}sim://{database}"

        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(SIM_URI.sub(point, source.read_text()))

    if example.is_dir():
        for source in sorted(example.rglob("*")):
            if source.is_file():
                destination = target / example.name / source.relative_to(example)
                if source.suffix == ".yaml":
                    rewrite(source, destination)
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy(source, destination)
    else:
        rewrite(example, target / example.name)
    return databases


def test_there_are_examples_of_every_kind() -> None:
    names = {p.name for p in EXAMPLES}
    assert {"quickstart.yaml", "database-hosts.yaml", "nfs-fileserver.yaml", "gitops"} <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_validates_offline(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "--offline", str(example))
    assert (code, err) == (0, "")
    assert out.startswith("valid: ") and "warning" not in out
    code, out, _ = run(capsys, "validate", "--offline", "-o", "json", str(example))
    assert code == 0 and json.loads(out) == {"valid": True, "diagnostics": []}


@pytest.mark.online
@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_validates_against_the_simulator(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    databases = localize(example, tmp_path)
    assert databases, "every example names a sim:// provider"
    copy = tmp_path / example.name
    code, out, err = run(capsys, "validate", "-o", "json", str(copy))
    assert (code, json.loads(out), err) == (0, {"valid": True, "diagnostics": []}, "")
    for database in databases:
        assert database.is_file()  # the provider was really opened to ask for its limits
    offline = validate([example], offline=True).manifest
    online = validate([copy]).manifest
    assert offline is not None and online is not None
    assert [a.name for a in online.arrays] == [a.name for a in offline.arrays]
    assert [a.volumes for a in online.arrays] == [a.volumes for a in offline.arrays]


def test_gitops_merges_across_files() -> None:
    manifest = validate([ROOT / "examples" / "gitops"], offline=True).manifest
    assert manifest is not None and manifest.name == "prod-east"
    east1 = manifest.array("east1")
    assert east1.provider == "sim:///var/lib/storplan/prod-east-array1.db"
    assert [h.name for h in east1.hosts] == ["web01", "web02"]
    assert [(v.name, str(v.size), v.pool) for v in east1.volumes] == [
        ("web01-root", "50GiB", "ssd"),
        ("web02-root", "50GiB", "ssd"),
        ("web-shared", "200GiB", "ssd"),
    ]


# ------------------------------------------------------------------ codes only a provider gives

ONLINE = """\
apiVersion: storplan.io/v1
kind: StorageState
arrays:
  - name: a1
    provider: {uri}
    pools: [{{name: ssd}}]
    hosts: [{{name: h1, initiators: [iqn.2024-01.com.example:h1]}}]
    volumes:
      - {{name: bad name, pool: ssd, size: 1GiB}}
      - {{name: tiny, pool: ssd, size: 512KiB}}
      - {{name: odd, pool: ssd, size: 1536KiB}}
      - {{name: huge, pool: ssd, size: 300TiB}}
      - {{name: far, pool: ssd, size: 1GiB, mappings: [{{host: h1, lun: 5000}}]}}
"""


def at(text: str, line: int, needle: str) -> tuple[int, int]:
    """The 1-based (line, column) of ``needle`` on line ``line`` of ``text``."""
    return line, text.splitlines()[line - 1].index(needle) + 1


@pytest.mark.online
def test_provider_limits_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "limits.yaml"
    text = ONLINE.format(uri=f"sim://{tmp_path}/limits.db")
    path.write_text(text)
    assert validate([path], offline=True).ok  # nothing here is wrong without a provider
    found = [
        (d.code, (d.mark.line, d.mark.column), d.severity) for d in validate([path]).diagnostics
    ]
    assert found == [
        ("name.invalid", at(text, 9, "bad name"), "error"),
        ("value.size_range", at(text, 10, "512KiB"), "error"),
        ("value.size_alignment", at(text, 11, "1536KiB"), "warning"),
        ("value.size_range", at(text, 12, "300TiB"), "error"),
        ("mapping.lun_range", at(text, 13, "5000"), "error"),
    ]
    messages = [d.message for d in validate([path]).diagnostics]
    assert "volume name 'bad name' is not allowed by this provider" in messages[0]
    assert "1536KiB will be rounded up to 2MiB" in messages[2]
    assert "LUN 5000 is above this provider's maximum 4095" in messages[4]


@pytest.mark.online
def test_alignment_warning_alone_keeps_the_manifest_valid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "warn.yaml"
    lines = ONLINE.format(uri=f"sim://{tmp_path}/warn.db").splitlines()
    text = "\n".join([*lines[:8], lines[10]]) + "\n"
    path.write_text(text)
    code, out, err = run(capsys, "validate", str(path))
    assert code == 0 and err == ""
    line, column = at(text, 9, "1536KiB")
    assert f"{path}:{line}:{column}: warning: 1536KiB will be rounded up to 2MiB" in out
    assert out.rstrip().endswith("1 warning(s)")


@pytest.mark.online
def test_unreachable_provider_is_a_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "unreachable.yaml"
    path.write_text(ONLINE.format(uri=f"sim://{tmp_path}/x.db?no_such_option=1"))
    (found,) = validate([path]).diagnostics
    assert (found.code, found.mark.line, found.mark.column) == ("provider.unreachable", 5, 15)
    assert "no_such_option" in found.message
    assert "cannot ask array 'a1' for its capabilities" in found.message
    assert "--offline" in found.hint
    assert validate([path], offline=True).ok


# ------------------------------------------------------------------ variables the examples read
def _env_references(value: object) -> list[str]:
    """Every ``{env: NAME}`` secret reference in a parsed YAML document."""
    if isinstance(value, dict):
        found = [str(value["env"])] if isinstance(value.get("env"), str) else []
        return found + [name for item in value.values() for name in _env_references(item)]
    if isinstance(value, list):
        return [name for item in value for name in _env_references(item)]
    return []


def _readme_examples_section() -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index("### Examples and the variables they read")
    end = text.find("\n#", start + 1)
    return text[start : end if end > 0 else None]


def test_every_variable_an_example_reads_is_documented() -> None:
    """Preflight refuses a plan whose secrets cannot be read, so a user must learn from the
    example itself (a comment where it reads the variable) and from README.md which variables
    to set."""
    import yaml

    section = _readme_examples_section()
    seen = []
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        text = path.read_text()
        lines = text.splitlines()
        for name in _env_references(list(yaml.safe_load_all(text))):
            seen.append(name)
            at = [i for i, line in enumerate(lines) if re.search(rf"\benv:\s*{name}\b", line)]
            assert at, f"{path.name}: {name} is not written as env: {name}"
            for index in at:
                assert name in _comment_at(lines, index), (
                    f"{path.name}:{index + 1}: no comment at the reference names ${name}"
                )
            assert f"`{name}`" in section, f"README.md's examples section does not name {name}"
    assert "DB01_CHAP_SECRET" in seen  # the walk finds the references there are


def _comment_at(lines: list[str], index: int) -> str:
    """The comment on line ``index`` and the comment-only lines right above it."""
    parts = [lines[index].partition("#")[2]]
    above = index - 1
    while above >= 0 and lines[above].lstrip().startswith("#"):
        parts.append(lines[above])
        above -= 1
    return "\n".join(parts)


# ------------------------------------------------------------------ the imported array
IMPORTED = ROOT / "examples" / "gitops" / "imported" / "east3"
IMPORTED_URI = "sim:///var/lib/storplan/prod-east-array3.db"


def _seed_east3(uri: str) -> None:
    """The array examples/gitops/imported/east3 was imported from (made through the API)."""
    from storplan.credentials import Secret
    from storplan.model import ExportOptions, Kind
    from storplan.session import connect

    with connect(uri) as session:
        system = next(s for s in session.observe({Kind.SYSTEMS}).systems if s.name == "sim-array-1")
        pools = {p.name: p for p in session.pools() if p.system_id == system.id}
        db = session.create_volume(pools["ssd"], "db01-data", "200GiB").result
        logs = session.create_volume(pools["hdd"], "db01-logs", "50GiB", thin=False).result
        host = session.create_access_group(
            system.id, "db01", ["iqn.1994-05.com.example:db01", "21:00:00:24:ff:4c:aa:01"]
        ).result
        session.set_chap(host, "iqn.1994-05.com.example:db01", "db01", Secret("not-in-the-file"))
        session.map_volume(db, host, 1)
        session.map_volume(logs, host, 2)
        session.create_snapshot(db, "before-upgrade")
        session.create_replica(db, "db01-reporting", "clone")
        home = session.create_filesystem(pools["nas"], "home", "1TiB").result
        options = ExportOptions.canonical(clients=["10.0.0.0/24"], anon_uid=65534, anon_gid=65534)
        session.create_export(home, "/export/home", options)


def test_gitops_imported_array_is_what_import_writes_and_plans_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], regen_golden: bool
) -> None:
    """examples/gitops/imported/east3 is the output of ``storplan import --out DIR/`` of the
    array made by ``_seed_east3`` (rewrite it with ``pytest --regen-golden``), and its plan
    against that array has no changes."""
    uri = f"sim://{tmp_path / 'east3.db'}"
    _seed_east3(uri)
    out = tmp_path / "east3"
    argv = ["import", "--uri", uri, "--system", "sim-array-1", "--name", "east3"]
    assert main([*argv, "--out", f"{out}/"]) == 0
    capsys.readouterr()
    written = {p.name: p.read_text().replace(uri, IMPORTED_URI) for p in sorted(out.iterdir())}
    if regen_golden:
        shutil.rmtree(IMPORTED, ignore_errors=True)
        IMPORTED.mkdir(parents=True)
        for name, text in written.items():
            (IMPORTED / name).write_text(text)
    committed = {p.name: p.read_text() for p in sorted(IMPORTED.iterdir())}
    assert committed == written, "examples/gitops/imported is stale: pytest --regen-golden"
    assert "not-in-the-file" not in "".join(committed.values())
    state = str(tmp_path / "state.db")
    env = "CHAP_EAST3_DB01_IQN_1994_05_COM_EXAMPLE_DB01"
    assert f"env: {env}" in committed["hosts.yaml"]
    code, out_text, err = run(capsys, "plan", str(out), "--state", state)
    assert (code, err) == (0, ""), out_text
