"""``storplan import``: write a manifest of what an array holds (and, with ``--adopt``, own it).

Reading the array never changes it; the state store is opened only with ``--adopt``.  The
manifest goes to stdout (or ``--out``); what the manifest needs (variables) and what stays
unmanaged go to stderr when the manifest is on stdout, to stdout otherwise.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, TextIO

__all__ = ["imported_entry", "register", "secret_reference"]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "import",
        help="write a manifest of what an array holds",
        description="Observe an array (read-only) and write the manifest that declares what "
        "it holds: storplan plan of it reports no changes. Secrets are written as {env: NAME} "
        "references; the variables the manifest needs and what stays unmanaged are printed "
        "and written in the file's header. Nothing is recorded in the state store unless "
        "--adopt is given. Exit 0 written, 1 error.",
    )
    parser.add_argument(
        "--uri",
        "-u",
        default=argparse.SUPPRESS,
        help="provider URI of the array (default: the global --uri, $STORPLAN_URI or sim://)",
    )
    parser.add_argument("--system", metavar="ID", help="the system to import (id or name)")
    parser.add_argument(
        "--name", metavar="NAME", help="the array entry's name (default: the system's name)"
    )
    parser.add_argument(
        "--select",
        action="append",
        default=[],
        metavar="KIND=GLOB",
        help="import only matching objects (and the pools and hosts they need); KIND is "
        "pools, hosts, volumes or filesystems; repeatable",
    )
    parser.add_argument(
        "--out",
        metavar="FILE|DIR",
        help="write the manifest to FILE, or to DIR (an existing directory, or a path "
        "ending in /) as one file per kind; default: stdout",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite files that --out would replace"
    )
    parser.add_argument(
        "--adopt",
        action="store_true",
        help="record the imported objects (pools excepted) as owned in the state store, "
        "so that prune: true can later delete them",
    )
    from .plan_apply import state_option

    state_option(parser)
    parser.set_defaults(handler=run_import)


def secret_reference(args: argparse.Namespace) -> Any:
    """The password reference the command line used (``None`` when none was given)."""
    from storplan.credentials import SecretRef

    if args.password_env:
        return SecretRef(env=args.password_env)
    if args.password_file:
        return SecretRef(file=os.path.abspath(args.password_file))
    if args.password_prompt:
        return SecretRef(prompt=True)
    return None


def _write(path: str, text: str, force: bool) -> None:
    from storplan.errors import InvalidArgument

    if os.path.lexists(path) and not force:
        raise InvalidArgument(f"{path} exists", hint="choose another --out, or add --force")
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _report(imported: Any, stream: TextIO) -> None:
    from storplan.text import printable

    if imported.variables:
        print("variables the manifest needs:", file=stream)
        for variable in imported.variables:
            print(f"  {variable.name}: {printable(variable.purpose)}", file=stream)
    if imported.unmanaged:
        print("not managed by the manifest:", file=stream)
        for item in imported.unmanaged:
            print(f"  - {printable(item)}", file=stream)


def imported_entry(args: argparse.Namespace, select: list[str]) -> tuple[Any, str, str]:
    """Observe ``--uri`` and import its system (``--system``; ``--name`` if the parser has
    it): the imported entry, how to name where it came from, and the array's identity."""
    from storplan.errors import InvalidArgument
    from storplan.export import array_name, import_array, parse_select
    from storplan.plan.view import ArrayView

    from .common import open_session

    selects = [parse_select(text) for text in select]
    name = getattr(args, "name", None)
    if name is not None and array_name(name) != name:
        raise InvalidArgument(
            f"--name {name!r} is not a valid array entry name",
            hint="use letters, digits, '_', '.' and '-', starting with a letter or digit "
            f"(e.g. {array_name(name)!r}), at most 63",
        )
    with open_session(args) as session:
        state = session.observe()
        capabilities = session.capabilities
        identity = session.provider.identity()
        source = str(session.uri)
    if args.system is None and len(state.systems) > 1:
        names = ", ".join(s.name for s in state.systems)
        raise InvalidArgument(
            f"the array has {len(state.systems)} systems ({names})",
            hint="choose one with --system",
        )
    system = ArrayView(state, args.system).system
    imported = import_array(
        state,
        name=name or array_name(system.name),
        provider=args.uri,
        system=args.system,
        credentials=secret_reference(args),
        select=selects,
        capabilities=capabilities,
    )
    return imported, source, identity


def run_import(args: argparse.Namespace) -> int:
    from storplan.export import manifest_files, manifest_text

    imported, source, identity = imported_entry(args, args.select)
    out = args.out
    written: list[str] = []
    if out and (out.endswith(os.sep) or os.path.isdir(out)):
        os.makedirs(out, exist_ok=True)
        for file, text in manifest_files(imported, source=source).items():
            path = os.path.join(out, file)
            _write(path, text, args.force)
            written.append(path)
    elif out:
        _write(out, manifest_text(imported, source=source), args.force)
        written.append(out)
    else:
        sys.stdout.write(manifest_text(imported, source=source))
    stream = sys.stdout if out else sys.stderr
    for path in written:
        print(f"wrote {path}", file=stream)
    _report(imported, stream)
    if args.adopt:
        _adopt(args, identity, imported, stream)
    return 0


def _adopt(args: argparse.Namespace, identity: str, imported: Any, stream: TextIO) -> None:
    from storplan.export.adopt import adopt
    from storplan.plan.planner import array_key
    from storplan.text import printable

    from .plan_apply import open_state

    with open_state(args, write=True, paths=[args.out] if args.out else []) as store:
        # Under the array's lock, as an apply writes ownership: never during an apply of it.
        lock = store.acquire(identity, command="storplan import --adopt", label=f"array {identity}")
        try:
            done = adopt(store, array_key(identity, imported.system_id), imported.array)
        finally:
            store.release(lock)
    print(
        f"adopted {len(done.adopted)} object(s) on array {printable(done.array_key)}"
        + (f" ({len(done.already_owned)} already owned)" if done.already_owned else "")
        + ":",
        file=stream,
    )
    for key in done.adopted:
        print(f"  + {printable(key)}", file=stream)
