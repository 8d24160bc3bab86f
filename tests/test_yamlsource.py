"""Unit tests of the strict YAML reader, ``storplan.manifest.yamlsource.read_documents``.

Real: every test feeds real YAML text (or bytes, or a file in ``tmp_path``) to the reader, which
parses it with PyYAML/libyaml, and checks the exact data, positions (1-based line:column of
values and keys) and diagnostics.  Nothing is mocked; the one timer (``signal.setitimer``) only
bounds how long the merge-bomb test may run.
"""

from __future__ import annotations

import math
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from storplan.manifest import ManifestError, validate
from storplan.manifest.yamlsource import (
    MAX_DEPTH,
    AmbiguousScalar,
    Document,
    pointer,
    read_documents,
)


def one(text: str) -> Document:
    """The single document of ``text``."""
    documents = read_documents(text.encode(), "t.yaml")
    assert len(documents) == 1
    return documents[0]


def value(text: str) -> Any:
    """The value of key ``v`` in the one-line document ``v: <text>``."""
    return one(f"v: {text}\n").data["v"]


def failure(data: str | bytes) -> list[tuple[str, int, int]]:
    """(code, line, column) of every diagnostic ``read_documents`` raises for ``data``."""
    raw = data.encode() if isinstance(data, str) else data
    with pytest.raises(ManifestError) as info:
        read_documents(raw, "t.yaml")
    return [(d.code, d.mark.line, d.mark.column) for d in info.value.diagnostics]


# ------------------------------------------------------------------ positions


def test_positions_of_block_keys_and_values() -> None:
    doc = one("a: 1\nb:\n  c: text\n  d:\n    - x1\n    - {e: 2}\n")
    assert doc.values[()] == (1, 1)
    assert doc.keys[("a",)] == (1, 1) and doc.values[("a",)] == (1, 4)
    assert doc.keys[("b", "c")] == (3, 3) and doc.values[("b", "c")] == (3, 6)
    assert doc.values[("b", "d")] == (5, 5)
    assert doc.values[("b", "d", 0)] == (5, 7)
    assert doc.values[("b", "d", 1)] == (6, 7)
    assert doc.keys[("b", "d", 1, "e")] == (6, 8) and doc.values[("b", "d", 1, "e")] == (6, 11)


def test_positions_inside_flow_mappings() -> None:
    doc = one("b: {c: 2, d: [x1, yy]}\n")
    assert doc.values[("b",)] == (1, 4)
    assert doc.keys[("b", "c")] == (1, 5) and doc.values[("b", "c")] == (1, 8)
    assert doc.keys[("b", "d")] == (1, 11) and doc.values[("b", "d")] == (1, 14)
    assert doc.values[("b", "d", 0)] == (1, 15) and doc.values[("b", "d", 1)] == (1, 19)


def test_positions_after_a_merge_point_into_the_anchor() -> None:
    doc = one("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n")
    assert doc.data["m"] == {"x": 1, "y": 3}
    assert doc.keys[("m", "x")] == (1, 11) and doc.values[("m", "x")] == (1, 14)
    assert doc.keys[("m", "y")] == (4, 3) and doc.values[("m", "y")] == (4, 6)


def test_mark_falls_back_to_the_nearest_enclosing_value() -> None:
    doc = one("a:\n  b: 1\n")
    assert doc.mark(("a", "missing", 3)) == ("t.yaml", 2, 3)
    assert doc.mark(("a", "b"), key=True) == ("t.yaml", 2, 3)
    assert doc.mark(("a", "b")) == ("t.yaml", 2, 6)
    assert doc.mark(("a", "nokey"), key=True) == ("t.yaml", 2, 3)


def test_columns_count_characters_not_bytes() -> None:
    assert failure("a: café😀: x\n") == [("yaml.syntax", 1, 9)]


def test_pointer_escapes() -> None:
    assert pointer(()) == ""
    assert pointer(("arrays", 0, "a/b", "c~d")) == "/arrays/0/a~1b/c~0d"


# ------------------------------------------------------------------ YAML 1.2 scalars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("true", True),
        ("True", True),
        ("TRUE", True),
        ("false", False),
        ("False", False),
        ("FALSE", False),
        ("null", None),
        ("Null", None),
        ("NULL", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("-0", 0),
        ("42", 42),
        ("+5", 5),
        ("-17", -17),
        ("1.5", 1.5),
        (".5", 0.5),
        ("-2.0", -2.0),
        ("5.", 5.0),
        ("1.5e3", 1500.0),
        ("'yes'", "yes"),
        ('"no"', "no"),
        ("!!str yes", "yes"),
        ("!!str 0755", "0755"),
        ("10GiB", "10GiB"),
        ("tRuE", "tRuE"),
        ("nothing", "nothing"),
        ("o", "o"),
        ("'0755'", "0755"),
        ('""', ""),
    ],
)
def test_yaml_1_2_scalars(text: str, expected: Any) -> None:
    got = value(text)
    assert got == expected and type(got) is type(expected)


def test_block_scalars_are_text() -> None:
    assert one("a: |\n  yes\nb: >-\n  0755\n").data == {"a": "yes\n", "b": "0755"}


@pytest.mark.parametrize(
    "text",
    [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "n",
        "Yes",
        "NO",
        "On",
        "OFF",
        "Y",
        "N",
        "0755",
        "00",
        "-010",
        "+0_1",
    ],
)
def test_yaml_1_1_look_alikes_are_ambiguous(text: str) -> None:
    doc = one(f"v: {text}\nw: [{text}]\n")
    assert type(doc.data["v"]) is AmbiguousScalar and doc.data["v"] == text
    assert doc.ambiguous == [("v",), ("w", 0)]


def test_quoted_and_tagged_look_alikes_are_plain_strings() -> None:
    doc = one("a: 'no'\nb: \"on\"\nc: !!str yes\nd: !!str 010\n")
    assert doc.data == {"a": "no", "b": "on", "c": "yes", "d": "010"}
    assert all(type(v) is str for v in doc.data.values()) and doc.ambiguous == []


def test_ambiguous_scalar_is_rejected_by_validate(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    line = "  - {name: a1, provider: 'sim://', allow_empty: yes}"
    path.write_text(f"apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n{line}\n")
    (found,) = validate([path], offline=True).diagnostics
    where = (found.code, found.mark.line, found.mark.column)
    assert where == ("yaml.ambiguous_scalar", 4, line.index("yes") + 1)
    assert 'quote it ("yes")' in found.hint and found.path == "/arrays/0/allow_empty"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0x1F", 31), ("0o17", 15), ("1e3", 1000.0), (".inf", math.inf)],
)
def test_yaml_1_2_core_schema_numbers(text: str, expected: Any) -> None:
    got = value(text)
    assert got == expected and isinstance(got, type(expected))


@pytest.mark.parametrize("text", ["1:20", "10:30:00", "1_000"])
def test_yaml_1_1_sexagesimal_and_underscores_are_never_numbers(text: str) -> None:
    """YAML 1.1 reads 1:20 as 80 and 1_000 as 1000; in YAML 1.2 they are text."""
    got = value(text)
    assert isinstance(got, str) and got == text


def test_keys_are_always_text() -> None:
    doc = one("1: a\ntrue: b\nno: c\n~: d\n")
    assert doc.data == {"1": "a", "true": "b", "no": "c", "~": "d"}
    assert doc.ambiguous == []


# ------------------------------------------------------------------ anchors and merges


def test_merge_keys_explicit_keys_win_in_any_order() -> None:
    doc = one("b: &b {x: 1, y: 2}\nbefore: {y: 3, <<: *b}\nafter: {<<: *b, y: 4}\n")
    assert doc.data["before"] == {"y": 3, "x": 1}
    assert doc.data["after"] == {"y": 4, "x": 1}


def test_merge_list_earlier_sources_win() -> None:
    doc = one("m: {<<: [{a: 1, b: 1}, {a: 2, c: 2}], c: 3}\n")
    assert doc.data["m"] == {"c": 3, "a": 1, "b": 1}


def test_quoted_merge_key_is_a_plain_key() -> None:
    assert one('"<<": {a: 1}\n').data == {"<<": {"a": 1}}


def test_anchor_and_alias_share_data_and_position() -> None:
    doc = one("a: &v {x: [1, 2]}\nb: *v\n")
    assert doc.data["a"] == doc.data["b"] == {"x": [1, 2]}
    assert doc.values[("b",)] == doc.values[("a",)] == (1, 4)
    assert doc.values[("b", "x", 1)] == (1, 15)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<<: 5\n", [("yaml.merge", 1, 5)]),
        ("a: &x [1]\nb: {<<: *x}\n", [("yaml.merge", 1, 8)]),  # a list: its items merge
        ("a: &a {b: *a}\n", [("yaml.recursive_alias", 1, 4)]),
        ("a: &a [1, *a]\n", [("yaml.recursive_alias", 1, 4)]),
        ("a: *nope\n", [("yaml.syntax", 1, 4)]),
        ("[a, b]: c\n", [("yaml.key", 1, 1)]),
        ("a: 1\na: 2\n", [("yaml.duplicate_key", 2, 1)]),
        ("a: !!set {x}\n", [("yaml.tag", 1, 4)]),
        ("a: !!python/name:os.system x\n", [("yaml.tag", 1, 4)]),
    ],
)
def test_reader_diagnostics(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert failure(text) == expected


def test_nesting_bound() -> None:
    assert MAX_DEPTH == 64
    inner = one("x: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n").data["x"]
    depth = 0
    while isinstance(inner, list) and inner:
        inner, depth = inner[0], depth + 1
    assert depth == MAX_DEPTH - 1
    too_deep = "x: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    assert failure(too_deep) == [("yaml.too_deep", 1, 4 + MAX_DEPTH)]
    assert failure("[" * 100_000 + "]" * 100_000)[0][0] == "yaml.syntax"  # libyaml's own bound


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeoutError in this (main) thread after ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_merge_bomb_is_bounded() -> None:
    """Merged mappings count toward the expansion bound: ~600 bytes of nested
    ``<<: [*m, *m, ...]`` over an empty mapping would otherwise take 10^8 steps."""
    lines = ["l0: &l0 {}"]
    for level in range(1, 9):  # 10^8 merge steps unbounded; a bound stops it near 10^6
        sources = ", ".join([f"*l{level - 1}"] * 10)
        lines.append(f"l{level}: &l{level} {{<<: [{sources}]}}")
    with time_limit(10.0):  # bounded: ~2 s here; unbounded: minutes
        codes = [code for code, _, _ in failure("\n".join(lines) + "\n")]
    assert codes == ["yaml.too_many_values"]


# ------------------------------------------------------------------ documents and files


def test_multiple_documents_keep_their_own_positions() -> None:
    documents = read_documents(b"a: 1\n---\nb: 2\n--- \nc: [3]\n", "multi.yaml")
    assert [d.data for d in documents] == [{"a": 1}, {"b": 2}, {"c": [3]}]
    assert [d.values[()] for d in documents] == [(1, 1), (3, 1), (5, 1)]
    assert documents[2].values[("c", 0)] == (5, 5)
    assert all(d.file == "multi.yaml" for d in documents)


def test_comment_only_input_has_no_documents() -> None:
    assert read_documents(b"# nothing\n", "c.yaml") == []
    assert read_documents(b"", "e.yaml") == []


def test_empty_documents_are_skipped(tmp_path: Path) -> None:
    """An explicit empty document (a trailing or leading ``---``) is no document."""
    assert [d.data for d in read_documents(b"a: 1\n---\n", "t.yaml")] == [{"a": 1}]
    assert [d.data for d in read_documents(b"---\n---\na: 1\n", "t.yaml")] == [{"a": 1}]
    assert read_documents(b"---\n...\n", "t.yaml") == []
    path = tmp_path / "m.yaml"
    path.write_text(
        "apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n"
        "  - {name: a1, provider: 'sim://', allow_empty: true}\n---\n"
    )
    assert validate([path], offline=True).ok


def test_byte_order_mark_is_dropped_and_positions_unchanged() -> None:
    (doc,) = read_documents(b"\xef\xbb\xbfname: x\nlist: [a]\n", "bom.yaml")
    assert doc.data == {"name": "x", "list": ["a"]}
    assert doc.keys[("name",)] == (1, 1) and doc.values[("list", 0)] == (2, 8)


def test_encoding_errors() -> None:
    assert failure(b"a: 1\nb: caf\xe9\n") == [("file.encoding", 2, 7)]
    assert failure("a: 1".encode("utf-16")) == [("file.encoding", 1, 1)]


def test_reading_a_path_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\na: 2\n")
    for source in (path, str(path)):
        with pytest.raises(ManifestError) as info:
            read_documents(source)
        (found,) = info.value.diagnostics
        assert found.mark == (str(path), 2, 1) and found.code == "yaml.duplicate_key"
    assert read_documents(b"a: 1\n", "named.yaml")[0].file == "named.yaml"
    assert read_documents(b"a: 1\n")[0].file == "<bytes>"


def test_manifest_error_summarises_the_first_problem() -> None:
    with pytest.raises(ManifestError) as info:
        read_documents(b"a: 1\na: 2\nb: !!binary eA==\n", "s.yaml")
    error = info.value
    assert [d.code for d in error.diagnostics] == ["yaml.duplicate_key", "yaml.tag"]
    assert str(error).startswith("s.yaml:2:1: duplicate key 'a' (and 1 more)")
