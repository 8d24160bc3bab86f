"""Start-up time of the ``storplan`` command as a whole process, as a user would run it.

The command is timed from a NON-editable install of the working tree in a throwaway venv kept
outside the repository (``${XDG_CACHE_HOME:-~/.cache}/storplan-bench/venv-TREE``, one per
working tree), so the figures include what a real installation pays (entry-point script,
site-packages, byte-code cache) and nothing an editable install adds (path finders, ``.pth``
hooks).  The venv is rebuilt whenever
a file the package is built from changes (a digest of them is kept next to the venv).

pip builds a project in place (``build/``, ``*.egg-info``), so the tree is first copied to a
temporary staging folder: the benchmark never writes into the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from common import Figure, timed_run

__all__ = ["BenchVenv", "clean_env", "import_times", "run_startup", "time_interleaved"]

TARGET = 0.07
_SKIP = {"__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "storplan-bench"


def _build_inputs(repo: Path) -> list[Path]:
    """Files the package is built from: top-level files and the folders of ``package-dir``."""
    config = tomllib.loads((repo / "pyproject.toml").read_text())
    folders = set(config.get("tool", {}).get("setuptools", {}).get("package-dir", {}).values())
    files = [p for p in repo.iterdir() if p.is_file()]
    for folder in sorted(folders):
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file() and not _SKIP.intersection(path.relative_to(repo).parts):
                files.append(path)
    return sorted(files)


def _digest(repo: Path, base_python: str) -> str:
    digest = hashlib.sha256(base_python.encode())
    for path in _build_inputs(repo):
        digest.update(str(path.relative_to(repo)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def clean_env() -> dict[str, str]:
    """The environment for timed children: no storplan settings, nothing that alters start-up."""
    dropped = ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME", "PYTHONHOME")
    return {
        k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_") and k not in dropped
    }


class BenchVenv:
    """The throwaway venv holding a regular (non-editable) install of the working tree."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        # One venv per working tree: two trees (git worktrees) benchmarked at once must not
        # rebuild one venv from each other's code.
        tree = hashlib.sha256(str(repo.resolve()).encode()).hexdigest()[:10]
        self.root = _cache_dir() / f"venv-{tree}"
        self.python = self.root / "bin" / "python"
        self.storplan = self.root / "bin" / "storplan"
        self.base_python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else "python3"
        self.rebuilt = False
        self.build_seconds = 0.0

    def ensure(self, log: bool = True) -> None:
        """Create or refresh the venv if the tree changed since it was built."""
        stamp = self.root / ".storplan-tree-digest"
        wanted = _digest(self.repo, self.base_python)
        if self.storplan.exists() and stamp.exists() and stamp.read_text() == wanted:
            return
        if log:
            print(f"building bench venv {self.root} (tree changed) ...", file=sys.stderr)
        start = time.perf_counter()
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([self.base_python, "-m", "venv", str(self.root)], check=True)
        with tempfile.TemporaryDirectory(prefix="storplan-bench-src-") as staging:
            for path in _build_inputs(self.repo):
                target = Path(staging) / path.relative_to(self.repo)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
            pip = subprocess.run(
                [str(self.python), "-m", "pip", "install", "--quiet", staging],
                capture_output=True,
                text=True,
                env=clean_env(),
            )
            if pip.returncode != 0:  # pip's warnings are noise unless the install failed
                sys.stderr.write(pip.stdout + pip.stderr)
                raise RuntimeError(f"pip install into {self.root} failed")
        stamp.write_text(wanted)
        self.rebuilt = True
        self.build_seconds = time.perf_counter() - start

    def installed_from(self) -> str:
        """Where the venv imports ``storplan`` from (must be its own site-packages)."""
        code = "import storplan, os; print(os.path.dirname(storplan.__file__))"
        done = subprocess.run(
            [str(self.python), "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env=clean_env(),
            cwd=tempfile.gettempdir(),
        )
        return done.stdout.strip()


_ENV = clean_env()


def _run(argv: list[str], cwd: str) -> float:
    return timed_run(argv, cwd=cwd, env=_ENV)  # stdout piped


def time_interleaved(commands: list[list[str]], runs: int, cwd: str) -> list[list[float]]:
    """Samples of each command, run round-robin so that slow phases of a noisy machine hit every
    command alike (each command first runs twice untimed: byte-code and page caches)."""
    for argv in commands * 2:
        _run(argv, cwd)
    samples: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for argv, into in zip(commands, samples, strict=True):
            into.append(_run(argv, cwd))
    return samples


def import_times(venv: BenchVenv, argv: list[str], cwd: str) -> list[tuple[int, int, str]]:
    """``(self_us, cumulative_us, module)`` for every import of ``python -X importtime argv``."""
    done = subprocess.run(
        [str(venv.python), "-X", "importtime", *argv],
        capture_output=True,
        text=True,
        env=_ENV,
        cwd=cwd,
        check=True,
    )
    rows: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, module = line[len("import time:") :].split("|", 2)
        rows.append((int(own), int(cumulative), module.rstrip()))
    return rows


def _imports_rich(venv: BenchVenv, argv: list[str], cwd: str) -> bool:
    return any("rich" in module for _, _, module in import_times(venv, argv, cwd))


def run_startup(repo: Path, runs: int, work: str) -> tuple[list[Figure], BenchVenv, str]:
    """Time the baselines and ``storplan show systems`` (json and piped table output).

    Children run in ``work`` (a temporary folder), which also holds their sim file.  Returns the
    figures, the venv and the sim URI used (for profiling afterwards).
    """
    venv = BenchVenv(repo)
    venv.ensure()
    location = venv.installed_from()
    uri = f"sim://{work}/sim.db"
    storplan = str(venv.storplan)
    _run([storplan, "-u", uri, "show", "systems"], work)  # create and seed the sim file
    json_argv = [storplan, "-u", uri, "show", "systems", "--output", "json"]
    table_argv = [storplan, "-u", uri, "show", "systems"]
    install = {
        "install": f"non-editable, {location}"
        + (f" (venv rebuilt in {venv.build_seconds:.0f} s)" if venv.rebuilt else ""),
    }
    baseline = [str(venv.python), "-c", "pass"]
    version = [storplan, "--version"]
    pass_s, version_s, json_s, table_s = time_interleaved(
        [baseline, version, json_argv, table_argv], runs, work
    )
    json_rich = "yes (BAD)" if _imports_rich(venv, json_argv, work) else "no"
    table_rich = "yes" if _imports_rich(venv, table_argv, work) else "no"
    figures = [
        Figure("python -c pass (baseline)", pass_s, None, install),
        Figure("storplan --version (baseline)", version_s),
        Figure("storplan show systems --output json", json_s, TARGET, {"imports rich": json_rich}),
        Figure(
            "storplan show systems (table, piped)", table_s, TARGET, {"imports rich": table_rich}
        ),
    ]
    return figures, venv, uri
