"""Python cross-references that Sphinx alone cannot resolve, and a clear rule for the rest.

- A re-exported name (``storplan.model.Job``, ``storplan.Session``) links to the object's
  documented home (``storplan.model.job.Job``), found by importing it: the public names stay
  valid in docstrings while modules move underneath (the core is being restructured).
- An unqualified name (``InvalidArgument``) links to the one documented object of that name.
- A name that is real but has no page (a private mixin, a ``TypeVar``) is shown as code,
  without a link.
- Anything else stays unresolved, and ``nitpicky`` makes it a warning (an error under ``-W``):
  a stale or misspelt name in a docstring fails the build.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

PY_ROLES = {"class", "func", "meth", "mod", "obj", "attr", "exc", "data", "const"}


def _import(dotted: str) -> Any:
    """The object a dotted name denotes, or None."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        except Exception:  # a module that fails to import has no page either
            return None
        try:
            for attribute in parts[split:]:
                value = getattr(value, attribute)
        except AttributeError:
            return None
        return value
    return None


def _candidates(target: str, module: str | None) -> list[str]:
    """``target`` as written, then relative to the current module and its packages."""
    names = [target]
    if target.startswith(".") and module:
        package = module.rsplit(".", 1)[0] if "." in module else module
        names.insert(0, f"{package}{target}")
    elif module:
        parts = module.split(".")
        names += [".".join([*parts[:i], target]) for i in range(len(parts), 0, -1)]
    return names


def _home(value: Any) -> str | None:
    if isinstance(value, type(importlib)):
        return value.__name__
    module = getattr(value, "__module__", None)
    qualname = getattr(value, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else None


def resolve(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.Element | None:
    if node.get("refdomain") != "py" or node.get("reftype") not in PY_ROLES:
        return None
    domain: Any = env.get_domain("py")
    target = node["reftarget"].lstrip("~")
    module = node.get("py:module")
    documented = domain.objects  # name -> ObjectEntry
    for name in _candidates(target, module):
        value = _import(name)
        if value is None:
            continue
        home = _home(value)
        for candidate in (name, home):
            if candidate and candidate in documented:
                entry = documented[candidate]
                return _link(app, env, node, contnode, entry.docname, entry.node_id)
        if candidate and candidate in domain.modules:
            entry = domain.modules[candidate]
            return _link(app, env, node, contnode, entry.docname, entry.node_id)
        return nodes.literal("", contnode.astext())  # real, but without a page
    if "." not in target:
        matches = [key for key in documented if key.endswith(f".{target}")]
        if len(matches) == 1:
            entry = documented[matches[0]]
            return _link(app, env, node, contnode, entry.docname, entry.node_id)
        # A type alias or TypeVar named in a signature (``Ref``, ``T``): real if a storplan
        # module defines it.
        for name, loaded in list(sys.modules.items()):
            if name.split(".")[0] == "storplan" and target in vars(loaded):
                return nodes.literal("", contnode.astext())
    return None


def _link(
    app: Sphinx,
    env: BuildEnvironment,
    node: pending_xref,
    contnode: nodes.TextElement,
    docname: str,
    node_id: str,
) -> nodes.Element:
    from sphinx.util.nodes import make_refnode

    return make_refnode(app.builder, node["refdoc"], docname, node_id, contnode)
