"""The compiled schema validator lives in the package; nothing is executed from a cache.

Real: the checked-in generated module is compared with what the generator produces now from
``schemas/manifest-v1.json`` (the test fails while it is stale); an evil Python file that would
write a marker file when executed, and truncated, empty and directory entries, are planted in
a private ``$XDG_CACHE_HOME/storplan/`` under the names the old cache used, and real
``storplan validate`` and ``storplan plan`` processes must neither run them nor fail (exit 3).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import fastjsonschema
import pytest
from storplan.manifest import schema_compiled
from storplan.manifest.schema_check import is_schema_valid, manifest_schema
from storplan.manifest.schema_codegen import TARGET, digest, draft07, generate
from storplan.schemas import schema_bytes

VALID = (
    "apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n"
    "  - name: a1\n    provider: sim://SIM\n    system: sim-array-1\n    pools: [{name: ssd}]\n"
    "    volumes: [{name: v1, pool: ssd, size: 1GiB}]\n"
)


def test_the_generated_module_is_not_stale() -> None:
    raw = schema_bytes("manifest-v1")
    assert digest(raw) == schema_compiled.SCHEMA_DIGEST, (
        "schemas/manifest-v1.json changed: run python -m storplan.manifest.schema_codegen"
    )
    assert f"fastjsonschema {fastjsonschema.VERSION}" == schema_compiled.GENERATED_BY
    assert TARGET.read_text(encoding="utf-8") == generate(raw)


def test_the_generated_module_is_the_one_used() -> None:
    assert is_schema_valid({"apiVersion": "storplan.io/v1", "kind": "StorageState", "arrays": []})
    assert not is_schema_valid({"kind": "StorageState"})
    assert schema_compiled.validate.__module__ == schema_compiled.__name__


def test_checking_a_manifest_does_not_import_fastjsonschema(tmp_path: Path) -> None:
    """The generated module raises storplan's own copies of fastjsonschema's errors, so the
    check of a valid (and of an invalid) manifest loads no part of fastjsonschema, its code
    generator included (a real interpreter, fresh modules)."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(VALID.replace("SIM", str(tmp_path / "a.db")))
    bad.write_text(VALID.replace("size: 1GiB", "size: [1]").replace("SIM", "/x.db"))
    code = (
        "import sys\nfrom storplan.manifest import validate\n"
        f"print(validate([{str(good)!r}], offline=True).ok,"
        f" validate([{str(bad)!r}], offline=True).ok,"
        " any(m.split('.')[0] == 'fastjsonschema' for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["True", "False", "False"], done.stderr


def old_cache_name() -> str:
    """The name the removed cache gave the generated code (predictable, hence the hole)."""
    text = json.dumps(draft07(manifest_schema()), sort_keys=True)
    return hashlib.sha256((fastjsonschema.VERSION + text).encode()).hexdigest()[:16]


def plant(cache: Path, marker: Path, kind: str) -> None:
    folder = cache / "storplan"
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"manifest_schema_{old_cache_name()}.py", "manifest_schema.py"]
    evil = f"open({str(marker)!r}, 'w').write('executed')\nraise SystemExit(3)\n"
    for name in names:
        path = folder / name
        if kind == "evil":
            path.write_text(evil)
        elif kind == "truncated":
            path.write_text("VERSION = '2.22.3'\ndef validate_https(data, custom_formats={}, n")
        elif kind == "empty":
            path.write_text("")
        elif kind == "directory":
            path.mkdir()


@pytest.mark.parametrize("kind", ["evil", "truncated", "empty", "directory"])
def test_cache_entries_are_never_loaded(tmp_path: Path, kind: str) -> None:
    cache, marker = tmp_path / "cache", tmp_path / "EXECUTED"
    plant(cache, marker, kind)
    plant(tmp_path / "home" / ".cache", marker, kind)  # the default when XDG is unset
    manifest = tmp_path / "m.yaml"
    manifest.write_text(VALID.replace("SIM", str(tmp_path / "sim.db")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_")}
    env.update(XDG_CACHE_HOME=str(cache), HOME=str(tmp_path / "home"))
    env["STORPLAN_STATE"] = str(tmp_path / "state.db")
    storplan = str(Path(sys.executable).with_name("storplan"))
    for argv in (["validate", "--offline", str(manifest)], ["plan", "--check", str(manifest)]):
        done = subprocess.run(
            [storplan, *argv], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode in (0, 2), (argv, done.returncode, done.stderr[-2000:])
        assert not marker.exists(), "code from the cache was executed"
    without_xdg = {k: v for k, v in env.items() if k != "XDG_CACHE_HOME"}
    done = subprocess.run(
        [storplan, "validate", "--offline", str(manifest)],
        capture_output=True,
        text=True,
        env=without_xdg,
        timeout=120,
    )
    assert done.returncode == 0 and not marker.exists(), done.stderr
