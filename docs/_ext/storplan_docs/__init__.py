"""Sphinx extension for storplan's documentation: the generated references and build checks.

- ``{storplan-cli}``: the CLI reference from the argparse parser (:mod:`.cli`);
- ``{storplan-manifest-reference}``: the manifest reference from the JSON Schema (:mod:`.schema`);
- ``{storplan-modules}``: API reference of a list of modules (:mod:`.modules`);
- one man page per command group, added to ``man_pages`` from the parser;
- a check of every internal link of the HTML output (:mod:`.links`);
- man pages name linked man pages as ``storplan-plan(1)`` (:mod:`.manlinks`);
- Python cross-references to re-exported and undocumented names (:mod:`.xref`).
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from . import cli, links, manlinks, modules, schema, xref


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("storplan-cli", cli.CliDirective)
    app.add_directive("storplan-manifest-reference", schema.ManifestReferenceDirective)
    app.add_directive("storplan-modules", modules.ModulesDirective)
    app.connect("config-inited", cli.add_man_pages)
    app.connect("builder-inited", cli.check_pages)
    app.connect("build-finished", links.check_html_links)
    app.connect("missing-reference", xref.resolve)
    app.add_post_transform(manlinks.ManPageReferences)
    app.add_post_transform(manlinks.PlainInternalLinks)
    app.add_post_transform(manlinks.DescriptionSection)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
