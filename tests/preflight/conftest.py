"""The preflight corpus runs cases against the mock SMI-S array too: its package
(``mockarray``) and helpers (``smishelpers``) live in ``tests/smis``, which pytest puts on
``sys.path`` only for the tests collected there."""

from __future__ import annotations

import sys
from pathlib import Path

SMIS_TESTS = str(Path(__file__).resolve().parents[1] / "smis")
if SMIS_TESTS not in sys.path:
    sys.path.insert(0, SMIS_TESTS)
