"""The benchmarks keep up with the code: every name ``bench/*.py`` imports from storplan,
at module level or inside a function, exists (the benchmarks import lazily, so a renamed
function used to surface only when someone ran the suite).  Real: the modules are imported
and the names looked up; nothing is timed here."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _imports() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("storplan"):
                found += [(path.name, node.module or "", alias.name) for alias in node.names]
    return found


@pytest.mark.parametrize(("bench", "module", "name"), _imports())
def test_bench_imports_exist(bench: str, module: str, name: str) -> None:
    imported = importlib.import_module(module)
    if not hasattr(imported, name):
        importlib.import_module(f"{module}.{name}")  # a submodule, else ImportError


def test_bench_imports_found() -> None:
    assert len(_imports()) > 20  # the walk sees the function-local imports too
