"""``{storplan-modules}``: the API reference of a list of modules, one module name per line.

A module added to the code base is documented by adding its name to the list in the page (the
plug-in reference is laid out this way on purpose: the provider kit is still moving), and
``package.*`` stands for every module of a package, so a renamed or new module of the model is
picked up without a change here.  After the name, a line may list the members to document and
autodoc flags: ``storplan.session Session :inherited-members:dict``; ``storplan
:no-members:`` documents only the module's docstring.
"""

from __future__ import annotations

import importlib
import pkgutil

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from .cli import make_section


def expand(name: str) -> list[str]:
    """``pkg.*`` -> every module of ``pkg`` (sorted); any other name -> itself."""
    if not name.endswith(".*"):
        return [name]
    package = importlib.import_module(name[:-2])
    found = pkgutil.iter_modules(package.__path__, prefix=f"{package.__name__}.")
    return sorted(info.name for info in found if not info.name.rsplit(".", 1)[1].startswith("_"))


class ModulesDirective(SphinxDirective):
    has_content = True

    def run(self) -> list[nodes.Node]:
        sections: list[nodes.Node] = []
        for raw in self.content:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            name, *rest = line.split()
            members = [word for word in rest if not word.startswith(":")]
            flags = [word for word in rest if word.startswith(":")]
            for module in expand(name):
                lines = [f".. automodule:: {module}"]
                if members:
                    lines.append(f"   :members: {', '.join(members)}")
                # ":inherited-members:dict" -> "   :inherited-members: dict"
                lines += [f"   :{flag[1:].replace(':', ': ', 1)}".rstrip() for flag in flags]
                # One section per module: a heading in the page, the PDF outline and man.
                sections.append(make_section(self, module, f"api-{module}", lines))
        return sections
