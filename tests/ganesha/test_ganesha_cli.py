"""``storplan apply`` and ``storplan plan`` as real processes against ``ganesha://``.

What is real: the installed ``storplan`` script (its own interpreter and state store), the
ganesha.nfsd of conftest, libnfs-utils for the client's view.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from .server import GaneshaServer

STORPLAN = str(Path(sys.executable).with_name("storplan"))
pytestmark = pytest.mark.subprocess


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "NO_COLOR": "1",
           "STORPLAN_STATE": str(tmp_path / "state.db"), "HOME": str(tmp_path)}  # fmt: skip
    return subprocess.run(
        [STORPLAN, *args], capture_output=True, text=True, env=env, timeout=120,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def manifest(ganesha: GaneshaServer, name: str, tmp_path: Path) -> Path:
    document = {
        "apiVersion": "storplan.io/v1",
        "kind": "StorageState",
        "metadata": {"name": "ganesha-cli"},
        "arrays": [
            {
                "name": "nas",
                "provider": ganesha.uri(),
                "pools": [{"name": "nfs"}],
                "filesystems": [
                    {
                        "name": name,
                        "pool": "nfs",
                        "size": "64MiB",
                        "exports": [
                            {
                                "path": f"/{name}",
                                "clients": ["127.0.0.1"],
                                "access": "rw",
                                "root_squash": False,
                            },
                            {"path": f"/{name}-ro", "clients": ["*"], "access": "ro"},
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "nas.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_apply_then_plan_is_clean_then_drift_shows(
    ganesha: GaneshaServer, fs_name: Callable[[], str], tmp_path: Path
) -> None:
    name = fs_name()
    path = manifest(ganesha, name, tmp_path)
    applied = run(tmp_path, "apply", str(path), "--yes")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert {name, f"{name}-ro"} <= set(ganesha.nfs("nfs-ls", ganesha.nfs_url("/")).stdout.split())

    again = run(tmp_path, "plan", str(path))
    assert again.returncode == 0, again.stdout + again.stderr  # re-apply is a no-op

    # A hand edit through Ganesha's own channel, with dbus-send: the rw export made read-only.
    [number] = [
        int(f.name.removeprefix("export-").removesuffix(".conf"))
        for f in ganesha.export_dir.glob("export-*.conf")
        if f'Pseudo = "/{name}";' in f.read_text()
    ]
    edited = tmp_path / "by-hand.conf"
    text = (ganesha.export_dir / f"export-{number}.conf").read_text()
    edited.write_text(text.replace("Access_Type = RW", "Access_Type = RO"), encoding="utf-8")
    sent = subprocess.run(
        ["dbus-send", f"--bus={ganesha.bus}", "--print-reply", "--dest=org.ganesha.nfsd",
         "/org/ganesha/nfsd/ExportMgr", "org.ganesha.nfsd.exportmgr.UpdateExport",
         f"string:{edited}", f"string:EXPORT(Export_Id={number})"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert sent.returncode == 0 and "1 exports updated" in sent.stdout, sent.stderr
    drift = run(tmp_path, "plan", str(path), "-o", "json")
    assert drift.returncode == 2, drift.stdout + drift.stderr
    [action] = json.loads(drift.stdout)["actions"]
    assert action["operation"] == "modify_export", action
    rule = {"match": "127.0.0.1", "squash": "none"}
    change = {
        "field": "clients",
        "before": [{**rule, "access": "ro"}],
        "after": [{**rule, "access": "rw"}],
    }
    assert change in action["changes"], action

    fixed = run(tmp_path, "apply", str(path), "--yes", "--allow-disruptive")  # access change
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert run(tmp_path, "plan", str(path)).returncode == 0

    cleanup = yaml.safe_load(path.read_text())
    cleanup["arrays"][0]["filesystems"][0]["exports"] = []
    path.write_text(yaml.safe_dump(cleanup, sort_keys=False), encoding="utf-8")
    removed = run(tmp_path, "apply", str(path), "--yes", "--allow-disruptive")
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert name not in ganesha.nfs("nfs-ls", ganesha.nfs_url("/")).stdout.split()
