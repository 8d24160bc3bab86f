"""The event reader's two modes agree, and positions of valid files are found on demand.

Real: every example file, every corpus case and random YAML (hypothesis) go through the real
libyaml event stream twice, in the fast mode (no positions, gives up at the first problem) and
in the slow mode (positions and diagnostics); whenever the fast mode reads a text, the slow
mode must read the same documents from it and report nothing.  Nothing is mocked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storplan.manifest.events import Built, Retry, build
from storplan.manifest.yamlsource import read_documents

ROOT = Path(__file__).resolve().parents[1]
TEXTS = sorted(ROOT.glob("examples/**/*.yaml")) + sorted(
    ROOT.glob("tests/manifests/invalid/**/*.yaml")
)
SETTINGS = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def both(text: str) -> tuple[list[Built] | None, list[Built] | None, list[str]]:
    """The fast result (None if it gave up), the slow result (None if it raised), reports."""
    reports: list[str] = []

    def report(code: str, message: str, where: int, hint: str, path: tuple[Any, ...]) -> None:
        reports.append(code)

    try:
        fast: list[Built] | None = build(text, None)
    except (Retry, yaml.YAMLError, Exception):
        fast = None
    try:
        slow: list[Built] | None = build(text, report)
    except Exception:
        slow = None
    return fast, slow, reports


def assert_agree(text: str) -> None:
    fast, slow, reports = both(text)
    if fast is None:
        return  # the slow mode reports what the fast one gave up on (the corpus checks that)
    assert slow is not None and reports == []
    assert repr([d.data for d in fast]) == repr([d.data for d in slow])  # nan != nan
    assert [(d.ambiguous, d.floats) for d in fast] == [(d.ambiguous, d.floats) for d in slow]


@pytest.mark.parametrize("path", TEXTS, ids=lambda p: p.name)
def test_fast_and_slow_modes_agree_on_real_files(path: Path) -> None:
    assert_agree(path.read_text(encoding="utf-8"))


def test_valid_examples_are_read_in_the_fast_mode() -> None:
    for path in sorted(ROOT.glob("examples/**/*.yaml")):
        assert build(path.read_text(encoding="utf-8"), None), path


ANCHORED = [
    "a: &a {x: 1, y: [1, 2]}\nb: *a\nc: {<<: *a, y: 3}\n",
    "a: &a [1, {b: &b {c: d}}]\ne: [*a, *b]\nf: {<<: [*b, {g: h}]}\n",
    "k: &k text\n? *k\n: v\n",
    "a: &x 1\nb: !!str 2\nc: ! 3\nd: !!int 4\ne: ''\nf:\n",
    "---\n---\na: 1\n---\n",
    "a: yes\nb: 0755\nc: 1.5\nd: [no, .inf]\n",
]


@pytest.mark.parametrize("text", ANCHORED)
def test_modes_agree_on_anchors_merges_and_tags(text: str) -> None:
    assert_agree(text)


SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
VALUES = st.recursive(
    SCALARS | st.sampled_from(["yes", "no", "0755", "<<", "~", "1e3", "!x"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=20,
)


@SETTINGS
@given(value=VALUES, flow=st.booleans())
def test_modes_agree_on_random_yaml(value: Any, flow: bool) -> None:
    assert_agree(yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True))


TOKENS = [*"{}[]:-,&*!|>'\"#<~ \n.0123456789ab", "<<: ", "&a ", "*a", "\n  ", "- ", "---\n"]


@SETTINGS
@given(text=st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_modes_agree_on_yaml_like_text(text: str) -> None:
    assert_agree(text)


def test_positions_of_a_valid_file_are_found_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a: &a {x: 1}\nb: *a\nc:\n  <<: *a\n  y: 2\n")
    (doc,) = read_documents(path)
    assert doc.mark(("c", "y")) == (str(path), 5, 6)
    assert doc.mark(("c", "x")) == (str(path), 1, 11)  # merged: where it is written
    assert doc.mark(("c", "x"), key=True) == (str(path), 1, 8)
    assert doc.mark(("b", "x")) == (str(path), 1, 11)  # aliased: the anchor's value
    assert doc.alias_mark(("b", "x")) == (str(path), 2, 4)
    assert doc.alias_mark(("a", "x")) is None
    assert doc.written_at(("b", "x")) == ("a", "x")
    assert ("c", "x") in doc.values and ("c", "z") not in doc.values


def test_a_released_document_still_answers_where_and_whether(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "defaults:\n  volume: {thin: false}\narrays:\n"
        "  - name: a1\n    provider: sim://\n    volumes:\n      - {name: v1, size: 1GiB}\n"
    )
    (doc,) = read_documents(path)
    from storplan.manifest.defaults import apply_defaults

    apply_defaults(doc)
    doc.release()
    assert doc.data is None
    assert ("arrays", 0, "provider") in doc.values  # from the kept skeleton
    assert ("arrays", 0, "system") not in doc.values
    assert ("arrays", 0, "volumes", 0, "size") in doc.values  # from the positions
    assert ("arrays", 0, "volumes", 0, "thin") in doc.values  # defaulted
    assert ("arrays", 0, "volumes", 0, "pool") not in doc.values
    assert doc.mark(("arrays", 0, "volumes", 0, "thin")) == (str(path), 2, 18)


def test_a_file_changed_after_reading_has_no_positions(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("a:\n  b: 1\n")
    (doc,) = read_documents(path)
    path.write_text("# edited since\na:\n  b: 1\n")
    assert doc.mark(("a", "b")) == (str(path), 0, 0)  # never a wrong line


def test_lazy_marks_behave_like_tuples(tmp_path: Path) -> None:
    from storplan.manifest import Mark

    path = tmp_path / "m.yaml"
    path.write_text("a:\n  b: 1\n")
    (doc,) = read_documents(path)
    lazy = doc.mark(("a", "b"))
    assert lazy == Mark(str(path), 2, 6) == (str(path), 2, 6)
    assert hash(lazy) == hash(Mark(str(path), 2, 6))
    file, line, column = lazy
    assert (file, line, column, lazy[1], len(lazy)) == (str(path), 2, 6, 2, 3)
    assert str(lazy) == f"{path}:2:6" and str(Mark("x")) == "x"
    assert {lazy: 1}[(str(path), 2, 6)] == 1
