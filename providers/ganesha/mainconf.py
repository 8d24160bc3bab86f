"""The one line storplan needs in Ganesha's main configuration, checked and never written.

Exports added over D-Bus live only until ganesha.nfsd stops; they survive a restart because
the main configuration includes storplan's index file, which includes every export file::

    %include "/etc/ganesha/storplan.d/exports.conf"

storplan never edits the main configuration: it checks the line is there (following nested
``%include`` files) before every change and refuses with the line to add when it is not.
``%dir`` of the export directory is refused: it would also read storplan's temporary files,
and one half-written file would stop Ganesha at its next start (seen with 4.3: any file in a
``%dir`` directory is parsed, dotfiles included).  A ``%include`` of a missing file also stops
Ganesha at start (4.3), so the hint creates the (empty) index together with the line.
"""

from __future__ import annotations

import os

from storplan.errors import InvalidArgument

from .options import GaneshaOptions
from .syntax import include_targets

__all__ = ["include_line", "include_problem", "require_include"]

_MAX_DEPTH = 8


def include_line(options: GaneshaOptions) -> str:
    """The line the main configuration needs."""
    return f'%include "{options.index}"'


def include_problem(options: GaneshaOptions) -> str | None:
    """Why the main configuration does not (safely) include storplan's index, or ``None``."""
    seen: set[str] = set()
    pending = [(options.main_config, 0)]
    found_dir = False
    while pending:
        path, depth = pending.pop()
        real = os.path.realpath(path)
        if real in seen or depth > _MAX_DEPTH:
            continue
        seen.add(real)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError as exc:
            if depth == 0:
                return f"cannot read the Ganesha configuration {path}: {exc.strerror}"
            continue
        for directive, target in include_targets(text):
            target = os.path.normpath(os.path.join(os.path.dirname(path), target))
            if directive == "include" and target == options.index:
                return None
            if directive == "dir" and target == options.export_dir:
                found_dir = True
            if directive == "include":
                pending.append((target, depth + 1))
    if found_dir:
        return (
            f"{options.main_config} reads {options.export_dir} with %dir, which would also read "
            "storplan's temporary files"
        )
    return f"{options.main_config} does not include {options.index}"


def require_include(options: GaneshaOptions) -> None:
    """Refuse to change exports that would not survive a Ganesha restart.

    Raises:
        InvalidArgument: the include line is missing; the hint gives it.
    """
    problem = include_problem(options)
    if problem is not None:
        raise InvalidArgument(
            f"{problem}: exports storplan adds would be lost when ganesha.nfsd restarts",
            hint=f"create the index (install -D -m 0600 /dev/null {options.index}) and add "
            f"this line to {options.main_config}: {include_line(options)}",
        )
