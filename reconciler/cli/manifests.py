"""``storplan validate`` and ``storplan schema``: the manifest language on the command line."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

__all__ = ["register"]


def register(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="check manifests without changing anything",
        description="Check manifests: YAML, schema, references, and (unless --offline) the "
        "providers' capabilities and limits. Exit 0 valid, 1 invalid.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        default=["."],
        metavar="PATH",
        help="manifest files or directories (default: .)",
    )
    validate.add_argument(
        "--offline", action="store_true", help="skip the checks that ask the providers"
    )
    validate.add_argument(
        "-o",
        "--output",
        choices=("text", "json"),
        default="text",
        help="text for people, json for editors and CI annotations",
    )
    validate.set_defaults(handler=run_validate)

    schema = commands.add_parser("schema", help="print the manifest JSON Schema")
    schema.set_defaults(handler=run_schema)


def run_validate(args: argparse.Namespace) -> int:
    from storplan.manifest import validate

    result = validate(args.paths, offline=args.offline)
    errors = [d for d in result.diagnostics if d.severity == "error"]
    if args.output == "json":
        json.dump(
            {"valid": result.ok, "diagnostics": [d.to_dict() for d in result.diagnostics]},
            sys.stdout,
            indent=2,
        )
        sys.stdout.write("\n")
        return 0 if result.ok else 1
    for diagnostic in result.diagnostics:
        print(diagnostic)
    warnings = len(result.diagnostics) - len(errors)
    if result.manifest is not None:
        arrays = result.manifest.arrays
        volumes = sum(len(a.volumes) for a in arrays)
        print(
            f"valid: {len(arrays)} array(s), {volumes} volume(s), "
            f"{sum(len(a.filesystems) for a in arrays)} file system(s)"
            + (f", {warnings} warning(s)" if warnings else "")
        )
        return 0
    print(
        f"invalid: {len(errors)} error(s)" + (f", {warnings} warning(s)" if warnings else ""),
        file=sys.stderr,
    )
    return 1


def run_schema(args: argparse.Namespace) -> int:
    from storplan.manifest.schema_check import manifest_schema

    json.dump(manifest_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0
