"""``storplan state migrate``: move a state store to another backend (e.g. SQLite to
PostgreSQL when a team outgrows one machine), keeping every record."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    state = commands.add_parser(
        "state",
        help="manage the state store (migrate it to another backend)",
        description="Manage the state store itself.",
    )
    actions = state.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    migrate = actions.add_parser(
        "migrate",
        help="copy every record of one state store into a new, empty one",
        description="Copy ownership (with protect flags), every apply and journal step, the "
        "secret key that signs saved plans and the CHAP digests from --from into the empty "
        "store --to, in one transaction. Refused while the source holds a lock or when the "
        "target already holds records. The source keeps its records (an older SQLite store is "
        "first upgraded to the current schema, as any write would). Connection settings "
        "(password source, TLS, schema) come from the state: block of .storplan.yaml in "
        "the current directory.",
    )
    migrate.add_argument(
        "--from", dest="source", required=True, metavar="LOCATION", help="the store to copy"
    )
    migrate.add_argument(
        "--to", dest="target", required=True, metavar="LOCATION", help="the new store"
    )
    migrate.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    from storplan.state import open_store
    from storplan.state.config import resolve
    from storplan.state.migrate import migrate

    with (
        open_store(resolve(args.source), write=True) as source,  # an older schema is upgraded
        open_store(resolve(args.target), write=True) as target,
    ):
        moved = migrate(source, target)
        print(f"migrated {source.location} -> {target.location}: {moved.summary()}")
    return 0
