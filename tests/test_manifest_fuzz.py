"""Fuzzing the manifest loader with hypothesis: no input may escape as anything but diagnostics.

Real: arbitrary bytes and text, random YAML documents (``yaml.safe_dump`` of a recursive
strategy, bare or inside a manifest skeleton) and random mutations of the real files in
``examples/`` go through the real ``read_documents`` (which may only raise
``storplan.manifest.ManifestError``) and the real ``validate(offline=True)`` reading real files
(which may not raise at all).  Nothing is mocked.  Examples per test are kept modest so the whole
module runs in well under a minute on two cores (``STORPLAN_FUZZ_EXAMPLES`` raises the
budget for a deeper local run); the hypothesis database is off (no files are
written outside ``tmp_path``).
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storplan.manifest import Diagnostic, ManifestError, Validation, validate
from storplan.manifest.yamlsource import read_documents

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_FILES = sorted((ROOT / "examples").rglob("*.yaml"))
CODE = re.compile(r"[a-z]+\.[a-z_]+")
# STORPLAN_FUZZ_EXAMPLES=5000 fuzzes deeper (locally); CI keeps the modest default.
FUZZ = settings(
    max_examples=int(os.environ.get("STORPLAN_FUZZ_EXAMPLES", "250")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def check_diagnostics(diagnostics: list[Diagnostic], file: str | None = None) -> None:
    """Every diagnostic is well formed: a stable code, a position, a message, JSON-ready."""
    for diagnostic in diagnostics:
        assert CODE.fullmatch(diagnostic.code), diagnostic.code
        assert diagnostic.severity in ("error", "warning") and diagnostic.message
        assert diagnostic.mark.line >= 0 and diagnostic.mark.column >= 0
        assert diagnostic.mark.column == 0 or diagnostic.mark.line > 0
        assert set(diagnostic.to_dict()) >= {"file", "line", "column", "code", "message"}
        if file is not None:
            assert diagnostic.mark.file == file
    assert diagnostics == sorted(diagnostics, key=Diagnostic.sort_key)


def read_only_manifest_errors(data: bytes) -> None:
    try:
        documents = read_documents(data, "fuzz.yaml")
    except ManifestError as error:
        assert error.diagnostics and all(d.severity == "error" for d in error.diagnostics)
        check_diagnostics(error.diagnostics, "fuzz.yaml")
    else:
        assert all(doc.file == "fuzz.yaml" for doc in documents)


def validate_bytes(data: bytes, workdir: Path) -> Validation:
    path = workdir / "fuzz.yaml"
    path.write_bytes(data)
    result = validate([path], offline=True)  # must not raise, whatever the input
    check_diagnostics(result.diagnostics)
    assert result.ok == (not any(d.severity == "error" for d in result.diagnostics))
    return result


# ------------------------------------------------------------------ (a) arbitrary input

TOKENS = [
    *"{}[]:-,&*!|>'\"#%@?<~ \n\t\r.0123456789abcnoyes",
    "<<",
    "---",
    "...",
    "!!",
    "\ufeff",
    "\x85",
    "é",
    "&a ",
    "*a",
    "\n  ",
    ": ",
    "- ",
]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)


@FUZZ
@given(data=st.binary(max_size=400))
def test_read_documents_arbitrary_bytes(data: bytes) -> None:
    read_only_manifest_errors(data)


@FUZZ
@given(text=st.text(max_size=300) | YAMLISH)
def test_read_documents_arbitrary_text(text: str) -> None:
    read_only_manifest_errors(text.encode("utf-8"))


@FUZZ
@given(data=st.binary(max_size=300) | YAMLISH.map(lambda t: t.encode("utf-8")))
def test_validate_arbitrary_input(data: bytes, workdir: Path) -> None:
    validate_bytes(data, workdir)


# ------------------------------------------------------------------ (b) random YAML documents

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "yes",
            "no",
            "on",
            "0755",
            "10G",
            "1.5GiB",
            "sim://",
            "rw",
            "iqn.2024-01.com.example:h1",
            "/export",
            "storplan.io/v1",
        ]
    )
)
KEY_WORDS = [
    "name",
    "pool",
    "size",
    "arrays",
    "volumes",
    "hosts",
    "pools",
    "filesystems",
    "exports",
    "mappings",
    "lun",
    "initiators",
    "provider",
    "defaults",
    "volume",
    "metadata",
    "<<",
    "sise",
    "password",
    "apiVersion",
    "kind",
]
KEYS = st.text(max_size=8) | st.sampled_from(KEY_WORDS)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


@FUZZ
@given(value=VALUES, wrap=st.booleans())
def test_validate_random_yaml(value: Any, wrap: bool, workdir: Path) -> None:
    if wrap:  # inside a manifest skeleton, so the schema and semantic passes see it
        value = {"apiVersion": "storplan.io/v1", "kind": "StorageState", "arrays": [value]}
    text = yaml.safe_dump(value, allow_unicode=True)
    read_only_manifest_errors(text.encode("utf-8"))
    validate_bytes(text.encode("utf-8"), workdir)


def example_data() -> list[Any]:
    return [doc.data for path in EXAMPLE_FILES for doc in read_documents(path)]


def paths_of(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += paths_of(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += paths_of(value, (*path, index))
    return found


@FUZZ
@given(data=st.data())
def test_validate_examples_with_random_subtrees(data: st.DataObject, workdir: Path) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(example_data())))
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.sampled_from(paths_of(document)[1:]))
        parent = document
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = data.draw(VALUES)
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    validate_bytes(text.encode("utf-8"), workdir)


# ------------------------------------------------------------------ (c) mutations of examples


@st.composite
def mutated_examples(draw: st.DrawFn) -> bytes:
    source = draw(st.sampled_from(EXAMPLE_FILES)).read_bytes()
    lines = source.decode("utf-8").splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        action = draw(
            st.sampled_from(["delete", "duplicate", "indent", "dedent", "scalar", "key", "swap"])
        )
        if action == "delete":
            del lines[index]
        elif action == "duplicate":
            lines.insert(index, line)
        elif action == "indent":
            lines[index] = " " * draw(st.integers(1, 4)) + line
        elif action == "dedent":
            lines[index] = line[draw(st.integers(1, 4)) :] if line.startswith(" ") else line
        elif action == "scalar" and ": " in line:
            head = line.split(": ", 1)[0]
            lines[index] = f"{head}: {draw(SCALARS.map(str) | YAMLISH)}\n"
        elif action == "key" and ": " in line:
            key = draw(st.sampled_from(KEY_WORDS))  # no backslashes: usable as a replacement
            lines[index] = re.sub(r"[A-Za-z_]+(?=:)", key, line, count=1)
        elif action == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        if not lines:
            lines = ["\n"]
    data = "".join(lines).encode("utf-8")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncate, maybe mid-character
    return data


@FUZZ
@given(data=mutated_examples())
def test_validate_mutated_examples(data: bytes, workdir: Path) -> None:
    read_only_manifest_errors(data)
    validate_bytes(data, workdir)


def test_mutations_are_mostly_invalid_but_not_all(workdir: Path) -> None:
    """The unmutated examples are valid here too, so the fuzzing above starts from real input."""
    for path in EXAMPLE_FILES:
        # GitOps layouts split arrays over files: valid only together (tests/test_examples.py)
        if "gitops" not in path.relative_to(ROOT / "examples").parts:
            assert validate_bytes(path.read_bytes(), workdir).ok, path


# ------------------------------------------------------------------ what fuzzing found

HUGE = "1" * 5000  # more digits than Python converts by default (sys.get_int_max_str_digits)


def test_huge_plain_integer_is_a_diagnostic(workdir: Path) -> None:
    read_only_manifest_errors(f"a: {HUGE}\n".encode())
    result = validate_bytes(
        f"apiVersion: storplan.io/v1\nkind: StorageState\narrays: []\nx: {HUGE}\n".encode(), workdir
    )
    assert not result.ok


def test_huge_size_is_a_diagnostic(workdir: Path) -> None:
    result = validate_bytes(
        f"apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n"
        f"  - name: a1\n    provider: sim://\n    pools: [{{name: ssd}}]\n"
        f"    volumes: [{{name: v1, pool: ssd, size: '{HUGE}GiB'}}]\n".encode(),
        workdir,
    )
    assert [d.code for d in result.diagnostics] == ["value.size"]
