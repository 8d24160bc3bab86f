"""Sphinx configuration: one source (these Markdown files and the code) for HTML, PDF and man.

Built by ``scripts/docs`` (warnings are errors); see docs/contributing-docs.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

from storplan import __version__  # noqa: E402

project = "storplan"
author = "storplan developers"
copyright = "storplan developers, LGPL-2.1-or-later"
version = release = __version__
# The date of man pages and the PDF: the build date, or $SOURCE_DATE_EPOCH (scripts/docs sets
# it to the last commit's time, so a build of one commit is reproducible).
today_fmt = "%Y-%m-%d"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "storplan_docs",
]

root_doc = "index"
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "man", "_ext"]
nitpicky = True  # every unresolved cross-reference is a warning (an error under -W)
# Names without a page here (the standard library, third-party types: no intersphinx, the build
# never touches the network) are shown as code by the storplan_docs extension (xref.py).

# No typographic quotes or dashes: "--" stays two hyphens (option names are everywhere in the
# text), and the builders share one read of the sources (Sphinx would skip smartquotes for man
# pages only when they are read on their own: the output would depend on the build order).
smartquotes = False

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True  # "Attributes:" as fields: no second description of an attribute


html_theme = "alabaster"
html_title = f"storplan {release}"
html_static_path: list[str] = []
html_theme_options = {
    "description": "Vendor-neutral storage management",
    "fixed_sidebar": True,
    "page_width": "1200px",  # usage lines and code blocks fit without scrolling
    "sidebar_width": "250px",
}
html_show_sourcelink = False
html_copy_source = False

# The PDF: LaTeX (XeLaTeX, for the Unicode of the diagrams and tables; Debian's texlive, see
# docs/developers/docs.md for why not rinohtype), built by scripts/docs with latexmk.
latex_engine = "xelatex"
latex_use_xindy = False  # makeindex: xindy is one more Debian package for the same index
latex_documents = [("index", "storplan.tex", "storplan documentation", author, "manual")]
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    # Long option lists and URIs in code blocks wrap instead of running off the page.
    "sphinxsetup": "verbatimwrapslines=true, verbatimforcewraps=true",
    # Sphinx names the table of contents after the root's first toctree caption ("User guide").
    "preamble": r"\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}",
}
latex_show_urls = "no"

# man pages: storplan(1), one per command (storplan-plan(1), ...; added by the storplan_docs
# extension from the parser, so a new command gets its page), storplan-manifest(5),
# storplan-providers(7).
man_pages = [
    ("reference/storplan", "storplan", "vendor-neutral storage management", [author], 1),
    ("reference/manifest", "storplan-manifest", "the storplan desired-state manifest", [author], 5),
    ("plugins/index", "storplan-providers", "storplan provider plug-ins", [author], 7),
]
man_show_urls = False
man_make_section_directory = False  # build/docs/man/storplan.1; --update-man sorts them
