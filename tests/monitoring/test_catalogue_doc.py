"""The condition catalogue: documented, and covering what the providers report.

Real: docs/monitoring.md and docs/simulator.md as committed, the catalogue module, the
simulator's fault table.
"""

from __future__ import annotations

import re
from pathlib import Path

from monhelpers import FAULTS
from storplan.monitoring.conditions import CATALOGUE, lookup
from storplan.providers.sim.hardware import HARDWARE

DOCS = Path(__file__).parents[2] / "docs"


def _first_column(page: str, header: str) -> set[str]:
    text = (DOCS / page).read_text()
    table = text[text.index(header) :].split("\n\n", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE))


def test_every_code_is_documented_and_every_documented_code_exists() -> None:
    assert _first_column("monitoring.md", "| code | default severity |") == set(CATALOGUE)


def test_every_simulated_fault_is_documented_and_tested() -> None:
    assert _first_column("simulator.md", "| fault | target |") == set(HARDWARE)
    assert {f[0].split(":")[0] for f in FAULTS} == set(HARDWARE)
    assert all(lookup(f[1]) is not None for f in FAULTS)


def test_the_codes_providers_emit_are_in_the_catalogue() -> None:
    root = Path(__file__).parents[2] / "providers"
    emitted = set()
    for source in root.rglob("*.py"):
        emitted |= set(re.findall(r'Condition\(\s*"([a-z_.]+)"', source.read_text()))
        emitted |= set(re.findall(r'_condition\(\s*"([a-z_.]+)"', source.read_text()))
    assert emitted, "the providers' Condition(...) calls were not found"
    assert {code for code in emitted if lookup(code) is None} == set()
