"""The documentation: its Python examples run, its references cover every command, option and
manifest key, and the man pages committed in ``docs/man/`` are the ones its sources build.

Real: the ``pycon`` blocks of ``docs/**/*.md`` run as doctests against a real simulator file in
``tmp_path``; one real Sphinx build of the man pages (the sources, configuration and extension
``scripts/docs`` uses, warnings as errors) into a temporary directory; the real parser
(``storplan.cli.build_parser``), the shipped schema, the spec dataclasses; the internal-link
checker on real HTML files.  The man build stands in for the three formats (``scripts/docs``
builds all of them in CI): it is the quickest full build (about 15 seconds, against about a
minute for HTML and PDF as well) and holds both generated references.
"""

from __future__ import annotations

import argparse
import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest
import storplan.errors
from storplan.cli import build_parser
from storplan.manifest import validate
from storplan.manifest.schema_check import manifest_schema

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

from storplan_docs import cli as cli_docs  # noqa: E402
from storplan_docs import links, schema  # noqa: E402

PYCON = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)
EXAMPLE_MANIFEST = DOCS / "reference" / "manifest-example.yaml"


def doc_pages() -> list[Path]:
    return sorted(p for p in DOCS.rglob("*.md") if "_build" not in p.parts)


# ------------------------------------------------------------------ examples run


def pages_with_examples() -> list[Path]:
    return [p for p in doc_pages() if PYCON.search(p.read_text(encoding="utf-8"))]


def test_the_api_reference_has_examples() -> None:
    assert DOCS / "reference" / "api.md" in pages_with_examples()


@pytest.mark.parametrize("page", pages_with_examples(), ids=lambda p: str(p.relative_to(DOCS)))
def test_python_examples_run(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every ``pycon`` block of a page, in order, in one namespace, on a fresh simulator."""
    monkeypatch.setenv("STORPLAN_SIM_DB", str(tmp_path / "sim.db"))
    monkeypatch.setenv("STORPLAN_STATE", str(tmp_path / "state.db"))
    monkeypatch.chdir(tmp_path)
    text = page.read_text(encoding="utf-8")
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    namespace: dict[str, object] = {}
    for match in PYCON.finditer(text):
        line = text.count("\n", 0, match.start(1))
        test = parser.get_doctest(match.group(1), namespace, page.name, str(page), line)
        runner.run(test, out=sys.stdout.write, clear_globs=False)
        namespace.update(test.globs)  # DocTest copies its globals; later blocks continue
    result = runner.summarize(verbose=False)
    report = capsys.readouterr().out
    assert result.attempted > 0
    assert result.failed == 0, report


# ------------------------------------------------------------------ what the build checks too


def test_every_command_has_a_reference_page() -> None:
    for command in cli_docs.top_level():
        assert (DOCS / cli_docs.CLI_DOCS / f"{command.name}.md").exists(), command.name


def test_build_parser_has_every_command() -> None:
    from storplan.cli import _COMMAND_MODULES

    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert set(action.choices) == set(_COMMAND_MODULES)


def test_the_manifest_example_is_valid_and_has_an_example_for_every_key() -> None:
    result = validate([EXAMPLE_MANIFEST], offline=True)
    assert [d for d in result.diagnostics if d.severity == "error"] == []
    examples = schema.example_values([EXAMPLE_MANIFEST])
    for obj in schema.collect(manifest_schema()):
        for key in obj.schema.get("properties", {}):
            paths = [f"{p}.{key}" if p else key for p in obj.paths]
            assert any(p in examples for p in paths), f"no example for {paths[0]}"


def test_troubleshooting_covers_every_error_code() -> None:
    def codes(cls: type[storplan.errors.StorplanError]) -> set[str]:
        found = {cls.code}
        for sub in cls.__subclasses__():
            if sub.__module__ == "storplan.errors":
                found |= codes(sub)
        return found

    page = (DOCS / "guide" / "troubleshooting.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## `([a-z_]+)`$", page, re.MULTILINE))
    assert sections == codes(storplan.errors.StorplanError)


def test_link_checker_reports_missing_files_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a> <a href="sub/page.html#gone">anchor</a>'
        ' <a href="missing.html">file</a> <a href="https://example.com/x.html">external</a>'
        ' <a href="#top">self</a><span id="top"></span>',
        encoding="utf-8",
    )
    (tmp_path / "sub" / "page.html").write_text(
        '<h1 id="here">x</h1><a href="../index.html">up</a>', encoding="utf-8"
    )
    assert links.broken_links(tmp_path) == [
        "index.html: link to missing anchor sub/page.html#gone",
        "index.html: link to missing missing.html",
    ]


# ------------------------------------------------------------------ the built man pages


@pytest.fixture(scope="module")
def man_pages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("man")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "man",
            "-W",
            "--keep-going",
            "-n",
            "-q",
            "-d",
            str(out / ".doctrees"),
            str(DOCS),
            str(out / "man"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    return out / "man"


def comparable(page: Path) -> list[str]:
    """A man page without what differs between equal builds: comments (tool versions) and the
    date of the title line."""
    lines = []
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith('.\\"'):
            continue
        if line.startswith(".TH "):
            fields = line.split('"')
            line = '"'.join(fields[:5] + fields[6:])  # drop the date field
        lines.append(line)
    return lines


def plain(page: Path) -> str:
    """The text of a man page's roff source, without escapes."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"\\f[BIRP]|\\%|\\&|\\\(.{2}", "", text)
    return text.replace("\\-", "-").replace("\\e", "\\")


def test_committed_man_pages_are_current(man_pages: Path) -> None:
    built = sorted(p.name for p in man_pages.glob("*.[157]"))
    committed = {p.name: p for p in (DOCS / "man").glob("man[157]/*")}
    hint = "run scripts/docs --update-man and commit docs/man/"
    assert built == sorted(committed), hint
    for name in built:
        assert committed[name].parent.name == f"man{name[-1]}", name
        assert comparable(man_pages / name) == comparable(committed[name]), f"{name}: {hint}"


def test_every_command_and_option_is_in_the_man_pages(man_pages: Path) -> None:
    root = build_parser()
    top = plain(man_pages / "storplan.1")
    for action in root._actions:
        for option in action.option_strings:
            assert option in top, option
    for group in cli_docs.top_level():
        page = plain(man_pages / f"storplan-{group.name}.1")
        assert f"storplan-{group.name}(1)" in top
        for command in [group, *cli_docs.walk(group.parser, f"{group.name} ")]:
            assert command.program in page, command.program
            for action in command.parser._actions:
                for option in action.option_strings:
                    assert option in page, f"{command.program} {option}"
                if not action.option_strings and not isinstance(action, argparse._SubParsersAction):
                    assert cli_docs._signature(command.parser, action) in page


def test_exit_codes_are_in_the_man_page(man_pages: Path) -> None:
    from storplan.cli import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK
    from storplan.cli.plan_apply import EXIT_CHANGES

    top = plain(man_pages / "storplan.1")
    exit_status = top[top.index("EXIT STATUS") :]
    for code in (EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BUG, EXIT_INTERRUPTED):
        assert re.search(rf"^{code}\b", exit_status, re.MULTILINE), code


def test_every_manifest_key_is_in_the_man_page(man_pages: Path) -> None:
    page = plain(man_pages / "storplan-manifest.5")
    paths = schema.key_paths(manifest_schema())
    assert "arrays[].volumes[].mappings[].lun" in paths
    for path in paths:
        assert path in page, path
