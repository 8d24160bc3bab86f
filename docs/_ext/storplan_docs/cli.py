"""The CLI reference, generated from ``storplan.cli.build_parser()`` (the parser ``--help`` uses).

``{storplan-cli}`` renders one command group (``{storplan-cli} volume``: its usage, options and
every sub-command, recursively) or, without an argument, the ``storplan`` command itself (global
options and the list of commands).  Options become Sphinx ``program``/``option`` objects, the way
Sphinx's own man pages are written: a definition list in man pages (``.TP``), index entries and
``{option}`` cross-references in HTML and PDF.

Why not sphinx-argparse-cli: it renders a whole parser as nested bullet lists, which reads badly
as a man page, and it cannot render one command per page (one man page per command group).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

LOGGER = logging.getLogger(__name__)
USAGE_WIDTH = 76  # fits a man page on an 80-column terminal
CLI_DOCS = "reference/cli"
TEXT_BLOCK = (".. code-block:: text", "")  # usage lines: no highlighting guesses


@dataclass(frozen=True)
class Command:
    """One (sub-)command of the parser."""

    name: str  # as typed: "volume create"
    parser: argparse.ArgumentParser
    help: str
    aliases: tuple[str, ...]

    @property
    def program(self) -> str:
        return f"storplan {self.name}"


def full_parser() -> argparse.ArgumentParser:
    from storplan.cli import build_parser

    parser: argparse.ArgumentParser = build_parser()
    return parser


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:  # type: ignore[type-arg]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def subcommands(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[Command]:
    """The direct sub-commands of ``parser`` (an alias is folded into its command)."""
    action = _subparsers(parser)
    if action is None:
        return
    helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
    names: dict[int, list[str]] = {}
    for name, sub in action.choices.items():
        names.setdefault(id(sub), []).append(name)
    seen: set[int] = set()
    for name, sub in action.choices.items():
        if id(sub) in seen:
            continue
        seen.add(id(sub))
        aliases = tuple(n for n in names[id(sub)] if n != name)
        yield Command(f"{prefix}{name}", sub, helps.get(name, ""), aliases)


def walk(parser: argparse.ArgumentParser, prefix: str = "") -> Iterator[Command]:
    """Every sub-command below ``parser``, depth first."""
    for command in subcommands(parser, prefix):
        yield command
        yield from walk(command.parser, f"{command.name} ")


def top_level() -> list[Command]:
    return list(subcommands(full_parser()))


def rst_escape(text: str) -> str:
    """argparse help is plain text: keep reST from reading markup into it."""
    return re.sub(r"([\\`*_|])", r"\\\1", text)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, "")
    return formatter.format_help().strip()


def _signature(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    formatter = parser._get_formatter()
    if not action.option_strings:
        metavar = formatter._metavar_formatter(action, action.dest)(1)[0]
        return str(metavar)
    if action.nargs == 0:
        return ", ".join(action.option_strings)
    args = formatter._format_args(action, formatter._get_default_metavar_for_optional(action))
    return ", ".join(f"{option} {args}" for option in action.option_strings)


def _help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%" in text:
        params = {k: getattr(v, "__name__", v) for k, v in vars(action).items()}
        params["prog"] = prog
        if action.choices is not None:
            params["choices"] = ", ".join(map(str, action.choices))
        text = text % params
    text = rst_escape(text)
    shown = action.default not in (None, argparse.SUPPRESS, False, [], ())
    if shown and "default" not in text.lower() and action.nargs != 0:
        default = action.default
        if isinstance(default, list):
            default = " ".join(map(str, default))
        text = f"{text} (default: ``{default}``)" if text else f"Default: ``{default}``"
    if action.required and action.option_strings:
        text = f"{text} (required)" if text else "Required."
    if action.choices is not None and not action.option_strings:
        text += f" One of: {', '.join(f'``{c}``' for c in action.choices)}."
    return text or "\\"  # an empty option body is a warning; a lone escape renders nothing


def _options_rst(parser: argparse.ArgumentParser, program: str) -> list[str]:
    lines = [f".. program:: {program}", ""]
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(action, argparse._SubParsersAction):
            continue
        lines += [
            f".. option:: {_signature(parser, action)}",
            "",
            f"   {_help(action, program)}",
            "",
        ]
    return lines


@dataclass
class Part:
    """A section of generated reST: a title, its body, its sub-sections."""

    title: str
    body: list[str]
    children: list[Part]


def _command_part(command: Command, usage: bool = True) -> Part:
    title = command.program + (f" (alias: {', '.join(command.aliases)})" if command.aliases else "")
    body: list[str] = []
    description = command.parser.description or command.help
    if description:
        body += [rst_escape(description), ""]
    if usage:
        body += [*TEXT_BLOCK, *(f"   {line}" for line in _usage(command.parser).splitlines()), ""]
    if any(
        a.help != argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
        for a in command.parser._actions
    ):
        body += _options_rst(command.parser, command.program)
    if command.parser.epilog:
        body += [rst_escape(command.parser.epilog), ""]
    return Part(title, body, [])


def root_parts(root: argparse.ArgumentParser) -> list[Part]:
    synopsis = [*TEXT_BLOCK, *(f"   {line}" for line in _usage(root).splitlines()), ""]
    options = [
        "They come before the command: ``storplan --uri sim:///tmp/a.db show pools``.",
        "",
        *_options_rst(root, "storplan"),
    ]
    commands = ["Each has its own page (and man page).", ""]
    for command in subcommands(root):
        alias = f" (alias ``{'``, ``'.join(command.aliases)}``)" if command.aliases else ""
        commands += [
            f":doc:`storplan {command.name} </{CLI_DOCS}/{command.name}>`{alias}",
            f"   {rst_escape(command.help)}",
            "",
        ]
    return [
        Part("Synopsis", synopsis, []),
        Part("Global options", options, []),
        Part("Commands", commands, []),
    ]  # :parts: synopsis global commands


def group_parts(command: Command) -> list[Part]:
    synopsis = list(TEXT_BLOCK)
    for each in [command, *walk(command.parser, f"{command.name} ")]:
        if _subparsers(each.parser) is None:
            synopsis += [f"   {line}" for line in _usage(each.parser).splitlines()]
    synopsis.append("")
    # The synopsis already shows a single command's usage; a group's own is worth repeating.
    top = _command_part(command, usage=_subparsers(command.parser) is not None)
    top.title = "Description"
    top.children = [_command_part(sub) for sub in walk(command.parser, f"{command.name} ")]
    return [Part("Synopsis", synopsis, []), top]


class CliDirective(SphinxDirective):
    """``{storplan-cli} [COMMAND]``: the reference of one command group, or of ``storplan``.

    The directive's content, if any, becomes the Description section after the synopsis.
    """

    optional_arguments = 1
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = {"parts": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(__file__)
        root = full_parser()
        if not self.arguments:
            parts = root_parts(root)
        else:
            wanted = self.arguments[0]
            found = [c for c in subcommands(root) if c.name == wanted]
            if not found:
                raise self.error(f"storplan has no command {wanted!r}")
            parts = group_parts(found[0])
        # :parts: synopsis -> only the parts whose titles start with these words
        chosen = self.options.get("parts", "").lower().split()
        if chosen:
            parts = [p for p in parts if p.title.split()[0].lower() in chosen]
        sections = [self._section(part) for part in parts]
        if self.content:
            description = nodes.section("", nodes.title("", "Description"))
            description["ids"].append(nodes.make_id(f"{self.env.docname}-description"))
            self.state.document.note_implicit_target(description)
            self.state.nested_parse(self.content, self.content_offset, description)
            sections.insert(1 if parts and parts[0].title == "Synopsis" else 0, description)
        return sections

    def _section(self, part: Part) -> nodes.section:
        section = make_section(self, part.title, f"{self.env.docname}-{part.title}", part.body)
        for child in part.children:
            section += self._section(child)
        return section


def make_section(
    directive: SphinxDirective, title: str, anchor: str, body: list[str], *, label: bool = False
) -> nodes.section:
    """A section node holding ``body`` (reST without titles), as a directive may return it.

    reST titles inside a directive's content are not allowed in a MyST page, so sections are
    built as nodes; with ``label`` the anchor is also a ``{ref}`` target.
    """
    section = nodes.section()
    section += nodes.title(text=title)
    section["names"].append(anchor if label else nodes.fully_normalize_name(anchor))
    section["ids"].append(nodes.make_id(anchor))
    if label:
        directive.state.document.note_explicit_target(section)
    else:
        directive.state.document.note_implicit_target(section)
    section += parse_rst(directive, body)
    return section


def parse_rst(directive: SphinxDirective, lines: list[str]) -> list[nodes.Node]:
    """Parse generated reST, also from a MyST (Markdown) page.

    ``state.nested_parse`` would parse with the page's own parser (Markdown in a MyST page),
    so the text is parsed as a separate reST document, as MyST's ``eval-rst`` does.
    """
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    document = directive.state.document
    generated = new_document(document["source"], document.settings)
    generated.reporter = document.reporter
    Parser().parse("\n".join(lines) + "\n", generated)
    for node in generated:
        if isinstance(node, nodes.Element) and node["names"]:
            document.note_explicit_target(node, node)
    return list(generated.children)


def add_man_pages(app: Sphinx, config: Config) -> None:
    """One man page per command group: ``storplan-plan(1)`` from ``reference/cli/plan``."""
    pages = list(config.man_pages)
    for command in top_level():
        pages.append(
            (
                f"{CLI_DOCS}/{command.name}",
                f"storplan-{command.name}",
                command.help,
                [config.author],
                1,
            )
        )
    config.man_pages = pages


def check_pages(app: Sphinx) -> None:
    """Every command group needs its page (a short stub around ``{storplan-cli} NAME``)."""
    for command in top_level():
        page = app.srcdir / CLI_DOCS / f"{command.name}.md"
        if not page.exists():
            LOGGER.warning(
                "storplan command %r has no reference page %s (copy a sibling page)",
                command.name,
                page,
                type="storplan",
            )
