"""The provider guide's code is a tested provider.

docs/providers.md builds ``toyarray.py`` step by step in code blocks titled
``toyarray.py``.  This test puts them together into a real module, registers it through a real
``entry_points.txt`` on ``sys.path`` (as ``pip install`` would), and runs the conformance kit
against ``toy://`` in a real ``pytest`` subprocess: every test must pass or skip naming an
undeclared capability.  It also reports how many lines the minimal provider needs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[1] / "docs" / "providers.md"
BLOCK = re.compile(r"```python title=toyarray\.py\n(.*?)```", re.S)


def guide_module() -> str:
    """The guide's provider, its blocks in order."""
    return "".join(BLOCK.findall(GUIDE.read_text(encoding="utf-8")))


def test_guide_has_the_whole_provider_in_order() -> None:
    code = guide_module()
    compile(code, "toyarray.py", "exec")
    lines = [line for line in code.splitlines() if line.strip()]
    assert 150 < len(lines) < 300, len(lines)  # the guide says "about 250 lines"


@pytest.mark.subprocess
def test_conformance_kit_passes_against_the_guide_provider(tmp_path: Path) -> None:
    (tmp_path / "toyarray.py").write_text(guide_module(), encoding="utf-8")
    dist = tmp_path / "toyarray-1.0.dist-info"
    dist.mkdir()
    (dist / "entry_points.txt").write_text(
        "[storplan.providers]\ntoy = toyarray:ToyProvider\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "storplan.conformance", "-p", "no:cacheprovider",
         "--pyargs", "storplan.conformance", "-rs", "-q",
         "--storplan-uri", f"toy://{tmp_path / 'toy.json'}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    summary = report.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary), summary
    assert not re.search(r"\b\d+ (failed|errors?)\b", summary), summary
    for skip in re.findall(r"SKIPPED \[\d+\] [^:]+:\d+: (.*)", report):
        assert skip.startswith(("provider toy does not declare", "no pool of provider")), skip
