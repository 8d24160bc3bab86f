"""``storplan import`` of a real NFS-Ganesha server plans clean (real processes).

What is real: the ganesha.nfsd of conftest on its private D-Bus, the installed ``storplan``
script (apply to make the exports, import to write them back, plan to judge the import).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .server import GaneshaServer
from .test_ganesha_cli import manifest, run

pytestmark = pytest.mark.subprocess


def test_import_of_applied_exports_plans_clean(
    ganesha: GaneshaServer, fs_name: Callable[[], str], tmp_path: Path
) -> None:
    name = fs_name()
    path = manifest(ganesha, name, tmp_path)
    document = yaml.safe_load(path.read_text())
    exports = document["arrays"][0]["filesystems"][0]["exports"]
    exports[1].update(anon_uid=65534, anon_gid=65534, security=["sys", "krb5"])
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    applied = run(tmp_path, "apply", str(path), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    try:
        out = tmp_path / "imported.yaml"
        imported = run(
            tmp_path, "import", "--uri", ganesha.uri(), "--select", f"filesystem={name}",
            "--name", "nas", "--out", str(out),
        )  # fmt: skip
        assert imported.returncode == 0, imported.stdout + imported.stderr
        text = out.read_text()
        assert f"path: /{name}-ro" in text and "anon_uid: 65534" in text
        planned = run(tmp_path, "plan", str(out))
        assert planned.returncode == 0, planned.stdout + planned.stderr
        assert "no change" in planned.stdout
    finally:
        cleanup = yaml.safe_load(path.read_text())
        cleanup["arrays"][0]["filesystems"][0]["exports"] = []
        path.write_text(yaml.safe_dump(cleanup, sort_keys=False), encoding="utf-8")
        removed = run(tmp_path, "apply", str(path), "--yes", "--allow-disruptive")
        assert removed.returncode == 0, removed.stdout + removed.stderr
