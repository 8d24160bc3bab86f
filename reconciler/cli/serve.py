"""``storplan serve``: the served API, its tokens and its OpenAPI document.

Starlette and uvicorn are imported only when the server starts (``storplan[serve]``).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="serve.yaml (default: $STORPLAN_SERVE_CONFIG or ~/.config/storplan/serve.yaml)",
    )


def register(commands: Any) -> None:
    serve = commands.add_parser(
        "serve",
        help="serve the API over HTTPS (OpenAPI 3.1), with scoped bearer tokens",
        description="Serve the storplan API for the arrays of serve.yaml over HTTPS, "
        "described at /openapi.json (docs/bindings/http.md). Needs storplan[serve].",
    )
    _config_option(serve)
    serve.add_argument("--listen", metavar="HOST:PORT", help="overrides listen: of serve.yaml")
    serve.add_argument(
        "--plain-http",
        action="store_true",
        help="serve without TLS (only on a loopback address, for local tests)",
    )
    serve.set_defaults(handler=run_serve)
    actions = serve.add_subparsers(dest="serve_action", metavar="ACTION")
    token = actions.add_parser("token", help="create, list or revoke bearer tokens")
    verbs = token.add_subparsers(dest="token_action", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="create a token (printed once)")
    create.add_argument("--scope", choices=("read", "plan", "apply"), required=True)
    create.add_argument(
        "--array", action="append", required=True, metavar="NAME", help="an array (repeat)"
    )
    create.add_argument("--name", help="a label journaled with its requests (default: its id)")
    _config_option(create)
    create.set_defaults(handler=run_token_create)
    listing = verbs.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("-o", "--output", choices=("text", "json"), default="text")
    _config_option(listing)
    listing.set_defaults(handler=run_token_list)
    revoke = verbs.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id")
    _config_option(revoke)
    revoke.set_defaults(handler=run_token_revoke)
    document = actions.add_parser("openapi", help="print (or write) the OpenAPI document")
    document.add_argument("--out", metavar="FILE", help="write it to FILE")
    document.set_defaults(handler=run_openapi)


def _config(args: argparse.Namespace) -> Any:
    from storplan.paths import xdg_path
    from storplan.serve.config import load_config

    path = args.config or xdg_path("config", "serve.yaml", override="STORPLAN_SERVE_CONFIG")
    return load_config(path)


def _tokens(args: argparse.Namespace) -> Any:
    from storplan.serve.tokens import TokenStore

    return TokenStore(_config(args).tokens)


def run_serve(args: argparse.Namespace) -> int:
    from storplan.serve.server import serve

    config = _config(args)
    serve(config, args.listen or config.listen, args.plain_http)
    return 0


def run_token_create(args: argparse.Namespace) -> int:
    config = _config(args)
    unknown = [a for a in args.array if a not in config.arrays]
    if unknown:
        from storplan.errors import InvalidArgument

        raise InvalidArgument(
            f"{config.path} configures no array {unknown[0]!r}",
            hint=f"its arrays: {', '.join(sorted(config.arrays)) or 'none'}",
        )
    from storplan.serve.tokens import TokenStore

    info, token = TokenStore(config.tokens).create(args.name or "", args.scope, tuple(args.array))
    print(
        f"token {info.id} ({info.scope}: {', '.join(info.arrays)}); shown only now:",
        file=sys.stderr,
    )
    print(token)
    return 0


def run_token_list(args: argparse.Namespace) -> int:
    rows = [t.public() for t in _tokens(args).list()]
    if args.output == "json":
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for row in rows:
        arrays = ",".join(row["arrays"])
        print(f"{row['id']}  {row['scope']:<5}  {arrays}  {row['name']}")
    return 0


def run_token_revoke(args: argparse.Namespace) -> int:
    _tokens(args).revoke(args.id)
    print(f"revoked {args.id}")
    return 0


def run_openapi(args: argparse.Namespace) -> int:
    from storplan.serve.openapi import openapi_text

    text = openapi_text()
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0
