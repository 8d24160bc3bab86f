"""The manifest examples the tests check: YAML files in ``examples/`` and the folders of
them (a GitOps layout is one example).  ``examples/monitoring`` holds Prometheus alert rules
(``.yml``, checked by tests/monitoring) and ``examples/clients`` API clients (tests/serve):
neither holds a manifest."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "ROOT"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(
    p
    for p in (ROOT / "examples").iterdir()
    if p.suffix == ".yaml" or (p.is_dir() and any(p.rglob("*.yaml")))
)
