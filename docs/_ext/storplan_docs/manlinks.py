"""Man-page conventions for pages written for HTML and PDF too.

- A link to a page that is itself a man page names it as one (``storplan-plan(1)``); other
  internal links become plain text (a man page cannot follow them, and Sphinx would print an
  empty ``<>`` after each).
- Text before a page's first section goes under DESCRIPTION (Sphinx would leave it under NAME).
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import docname_join


def _man_pages(config: Any) -> dict[str, str]:
    return {doc: f"{name}({section})" for doc, name, _, _, section in config.man_pages}


class ManPageReferences(SphinxPostTransform):
    """Before references are resolved: ``{doc}`` links to man-page documents."""

    default_priority = 5
    builders = ("man",)

    def run(self, **kwargs: Any) -> None:
        pages = _man_pages(self.config)
        labels = self.env.domaindata["std"]["labels"]
        for node in list(self.document.findall(pending_xref)):
            target = node.get("reftarget", "")
            if node.get("reftype") == "doc":
                docname = docname_join(node.get("refdoc", ""), target)
            elif node.get("reftype") == "ref" and target in labels:
                docname = labels[target][0]
                if docname not in pages or labels[target][1]:
                    continue  # a section inside a page keeps its own text
            else:
                continue
            if docname in pages:
                node.replace_self(nodes.strong("", pages[docname]))


class PlainInternalLinks(SphinxPostTransform):
    """After references are resolved: internal links become their text."""

    default_priority = 900
    builders = ("man",)

    def run(self, **kwargs: Any) -> None:
        for node in list(self.document.findall(nodes.reference)):
            uri = node.get("refuri", "")
            if "://" in uri or uri.startswith("mailto:"):
                continue
            node.replace_self(nodes.inline("", "", *node.children))


class DescriptionSection(SphinxPostTransform):
    """The introduction of a page becomes the DESCRIPTION section of its man page."""

    default_priority = 901
    builders = ("man",)

    def run(self, **kwargs: Any) -> None:
        top = next(iter(self.document.findall(nodes.section)), None)
        if top is None:
            return
        intro = [
            child
            for child in top.children[1:]
            if not isinstance(child, (nodes.section, nodes.target, nodes.comment))
        ]
        first_section = next((c for c in top.children if isinstance(c, nodes.section)), None)
        if first_section is not None:
            before = top.children[: top.index(first_section)]
            intro = [c for c in intro if c in before]
        if not intro:
            return
        description = nodes.section("", nodes.title("", "Description"), ids=["man-description"])
        position = top.index(intro[0])
        for child in intro:
            top.remove(child)
        description.extend(intro)
        top.insert(position, description)
