"""The invalid-manifest corpus: every case's diagnostics, exactly, against its golden file.

Real: each case is a file (``.yaml``, or ``.bin`` raw bytes for encoding cases) or a directory
under ``tests/manifests/invalid/``, validated by the real loader
(``storplan.manifest.validate(offline=True)``); a sample also runs through the real CLI entry
point ``storplan.cli.main``.  The too-large, missing and unreadable inputs are made in
``tmp_path`` (a sparse file, so no 16 MiB is committed or written).

Golden files ``NNN-name.expected.json`` list the diagnostics in the loader's order, each with
its code, file basename, line, column, severity and a ``message_contains`` (optionally
``hint_contains``) substring.  They are rewritten only by ``pytest --regen-golden``.  Cases in
``KNOWN_BUGS`` hold the diagnostics the loader *should* give and are strict xfails; regeneration
leaves them alone.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from storplan.cli import main
from storplan.manifest import Diagnostic, ManifestError, validate
from storplan.manifest.schema_check import manifest_schema
from storplan.manifest.yamlsource import MAX_BYTES, read_documents

CORPUS = Path(__file__).parent / "manifests" / "invalid"
GOLDEN = ".expected.json"
FIELDS = ("code", "file", "line", "column", "severity")
PACKAGE = Path(__file__).resolve().parents[1] / "reconciler" / "manifest"

KNOWN_BUGS: dict[str, str] = {}
# Exercised here outside the corpus, or only reachable with a provider (tests/test_examples.py).
CODES_TESTED_ELSEWHERE = {
    "file.missing",
    "file.too_large",
    "file.unreadable",
    "file.not_regular",  # devices and FIFOs: tests/test_manifest_hostile.py
    "capability.missing",
    "name.invalid",
    "value.size_range",
    "value.size_alignment",
    "mapping.lun_range",
    "provider.unreachable",
    "schema.invalid",  # fallback for validator disagreement; unreachable while they agree
}


def case_name(path: Path) -> str:
    """The case's name: its file name without ``.yaml``/``.bin``."""
    return path.name.removesuffix(".yaml").removesuffix(".bin")


def corpus_cases() -> list[Path]:
    """Every case file and directory of the corpus, sorted."""
    return sorted(p for p in CORPUS.iterdir() if not p.name.endswith(GOLDEN))


def golden_path(case: Path) -> Path:
    return CORPUS / f"{case_name(case)}{GOLDEN}"


def load_golden(case: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(golden_path(case).read_text(encoding="utf-8"))
    return rows


def row(diagnostic: Diagnostic) -> dict[str, Any]:
    """The golden-file projection of a diagnostic (file as a basename)."""
    data = diagnostic.to_dict()
    data["file"] = os.path.basename(data["file"])
    return {key: data[key] for key in FIELDS}


def relative(text: str) -> str:
    """``text`` with the corpus directory removed from the paths it mentions."""
    return text.replace(f"{CORPUS}{os.sep}", "")


def default_substring(message: str) -> str:
    """A stable part of a message: its first line (paths relative), at most 80 characters."""
    return relative(message).split("\n")[0][:80].rstrip()


def regenerate(case: Path, diagnostics: list[Diagnostic]) -> None:
    """Rewrite the golden file, keeping hand-written substrings that still match."""
    old = load_golden(case) if golden_path(case).exists() else []
    rows = []
    for index, diagnostic in enumerate(diagnostics):
        new = row(diagnostic)
        previous = old[index] if index < len(old) else {}
        same = all(previous.get(k) == new[k] for k in FIELDS)
        keep = previous.get("message_contains", "")
        new["message_contains"] = (
            keep
            if same and keep and keep in relative(diagnostic.message)
            else default_substring(diagnostic.message)
        )
        hint = previous.get("hint_contains")
        if same and hint and hint in relative(diagnostic.hint):
            new["hint_contains"] = hint
        rows.append(new)
    text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    golden_path(case).write_text(text, encoding="utf-8")


def assert_matches(diagnostics: list[Diagnostic], expected: list[dict[str, Any]]) -> None:
    assert [row(d) for d in diagnostics] == [{k: e[k] for k in FIELDS} for e in expected]
    for diagnostic, wanted in zip(diagnostics, expected, strict=True):
        assert wanted["message_contains"] in relative(diagnostic.message)
        assert wanted.get("hint_contains", "") in relative(diagnostic.hint)


def _params() -> list[Any]:
    params = []
    for case in corpus_cases():
        reason = KNOWN_BUGS.get(case_name(case))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(case, id=case_name(case), marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_corpus_case(case: Path, regen_golden: bool) -> None:
    result = validate([case], offline=True)
    assert result.manifest is None and not result.ok
    if regen_golden and case_name(case) not in KNOWN_BUGS:
        regenerate(case, result.diagnostics)
        return
    assert_matches(result.diagnostics, load_golden(case))


def test_corpus_shape() -> None:
    cases = corpus_cases()
    assert len(cases) >= 70
    assert sum(case.is_dir() for case in cases) >= 5
    assert sum(case.suffix == ".bin" for case in cases) >= 5
    for case in cases:
        assert re.fullmatch(r"\d{3}-[a-z0-9-]+(\.yaml|\.bin)?", case.name), case.name
        assert golden_path(case).is_file(), f"no golden file for {case.name}"
    names = {case_name(case) for case in cases}
    goldens = {p.name.removesuffix(GOLDEN) for p in CORPUS.glob(f"*{GOLDEN}")}
    assert goldens == names, "golden files without a case"
    assert set(KNOWN_BUGS) <= names


def test_corpus_covers_every_code() -> None:
    """Every diagnostic code in the manifest package appears in a passing golden file."""
    source = "".join(p.read_text() for p in PACKAGE.glob("*.py"))
    codes = set(
        re.findall(
            r'"((?:yaml|file|manifest|schema|value|name|ref|mapping|initiator'
            r'|array|export|capability|provider)\.[a-z_]+)"',
            source,
        )
    )
    keywords: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("properties", "$defs"):  # names, not keywords
                    for child in value.values():
                        walk(child)
                else:
                    keywords.add(key)
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(manifest_schema())
    structural = {
        "type",
        "enum",
        "const",
        "required",
        "additionalProperties",
        "anyOf",
        "$ref",
        "items",
        "description",
        "$schema",
        "$id",
        "title",
        "if",  # if/not/then: a failed then is reported as what failed inside it (required)
        "not",
        "then",
    }
    codes |= {f"schema.{k.lower()}" for k in keywords - structural}
    seen = {
        entry["code"]
        for case in corpus_cases()
        if case_name(case) not in KNOWN_BUGS
        for entry in load_golden(case)
    }
    assert len(codes) >= 45
    assert codes - CODES_TESTED_ELSEWHERE - seen == set()


def test_several_errors_are_collected() -> None:
    for name in (
        "150-multiple-schema-errors",
        "151-multiple-semantic-errors",
        "152-multiple-yaml-errors",
        "153-yaml-ambiguous-and-schema",
    ):
        result = validate([CORPUS / f"{name}.yaml"], offline=True)
        assert len(result.diagnostics) >= 3, name
        assert len({(d.mark.line, d.mark.column) for d in result.diagnostics}) >= 3, name


CLI_CASES = [
    "003-syntax-tab-indentation.yaml",
    "035-latin1.bin",
    "060-unknown-key-typo.yaml",
    "134-lun-conflict.yaml",
    "170-dir-array-conflict",
]


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_json(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    case = CORPUS / name
    code = main(["validate", "--offline", "-o", "json", str(case)])
    out, _ = capsys.readouterr()
    assert code == 1
    report = json.loads(out)
    assert set(report) == {"valid", "diagnostics"} and report["valid"] is False
    keys = {"file", "line", "column", "severity", "code", "message", "hint", "path"}
    for entry in report["diagnostics"]:
        assert set(entry) == keys
        assert isinstance(entry["line"], int) and isinstance(entry["column"], int)
        assert entry["severity"] in ("error", "warning") and entry["message"]
        assert os.path.realpath(entry["file"]).startswith(os.path.realpath(case))
    projected = [
        {**{k: e[k] for k in FIELDS}, "file": os.path.basename(e["file"])}
        for e in report["diagnostics"]
    ]
    assert projected == [{k: e[k] for k in FIELDS} for e in load_golden(case)]


def test_cli_text_exit_code(capsys: pytest.CaptureFixture[str]) -> None:
    case = CORPUS / "132-ref-host.yaml"
    assert main(["validate", "--offline", str(case)]) == 1
    out, err = capsys.readouterr()
    assert f"{case}:16:27: error: host 'h2' is not declared in this array [ref.host]" in out
    assert "hint: declare it under arrays[a1].hosts" in out
    assert "invalid: 1 error(s)" in err


def test_password_in_uri_is_never_echoed(capsys: pytest.CaptureFixture[str]) -> None:
    case = CORPUS / "117-provider-password.yaml"
    secret = "Pa55w0rd-XYZZY"
    assert secret in case.read_text()
    result = validate([case], offline=True)
    assert [d.code for d in result.diagnostics] == ["value.provider"]
    for diagnostic in result.diagnostics:
        assert secret not in str(diagnostic) + json.dumps(diagnostic.to_dict())
    for output in ("text", "json"):
        main(["validate", "--offline", "-o", output, str(case)])
        out, err = capsys.readouterr()
        assert "password" in out + err and secret not in out + err
    with pytest.raises(ManifestError) as info:
        from storplan.manifest import load_manifest

        load_manifest([case], offline=True)
    assert secret not in str(info.value) + repr(info.value.diagnostics)


def test_messages_spell_values_as_yaml() -> None:
    result = validate([CORPUS / "090-value-prompt-false.yaml"], offline=True)
    (diagnostic,) = result.diagnostics
    assert "false" in diagnostic.message and "True" not in diagnostic.hint


def test_validator_disagreement_is_never_silently_accepted() -> None:
    """What the fast validator refuses is refused, even where jsonschema sees nothing wrong."""
    result = validate([CORPUS / "105-pattern-trailing-newline.yaml"], offline=True)
    assert not result.ok and result.diagnostics
    first = result.diagnostics[0]
    assert first.code in ("schema.pattern", "schema.invalid")
    assert (first.mark.line, first.mark.column, first.path) == (5, 11, "/arrays/0/name")


# ------------------------------------------------------------------ inputs made in tmp_path


def only(result_diagnostics: list[Diagnostic]) -> Diagnostic:
    assert len(result_diagnostics) == 1, result_diagnostics
    return result_diagnostics[0]


def test_file_missing(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    found = only(validate([missing], offline=True).diagnostics)
    assert (found.code, found.mark, found.severity) == (
        "file.missing",
        (str(missing), 0, 0),
        "error",
    )


def test_file_too_large_sparse_file(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no 16 MiB written to disk
    found = only(validate([big], offline=True).diagnostics)
    assert (found.code, found.mark.line) == ("file.too_large", 0)
    assert f"{MAX_BYTES + 1:,} bytes" in found.message
    assert "split" in found.hint


def test_file_too_large_bytes() -> None:
    with pytest.raises(ManifestError) as info:
        read_documents(b"#" * (MAX_BYTES + 1), "huge.yaml")
    found = only(info.value.diagnostics)
    assert (found.code, found.mark.file) == ("file.too_large", "huge.yaml")
    assert read_documents(b"#" * MAX_BYTES, "limit.yaml") == []  # exactly the limit is read


def test_file_unreadable_broken_symlink(tmp_path: Path) -> None:
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "does-not-exist.yaml")
    found = only(validate([tmp_path], offline=True).diagnostics)
    assert (found.code, os.path.basename(found.mark.file)) == ("file.unreadable", "gone.yaml")
    assert "cannot read the file" in found.message
