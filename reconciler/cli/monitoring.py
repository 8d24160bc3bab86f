"""``storplan health``, ``watch`` and ``exporter``: conditions for people, scripts, monitoring
systems and Prometheus (docs/monitoring.md).

``health`` exits in the Nagios/Icinga plugin convention (0 OK, 1 WARNING, 2 CRITICAL,
3 UNKNOWN) in every output format, so it drops into existing monitoring as a plugin.
The monitoring modules are imported inside the commands (start-up time of the others).
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from storplan.monitoring.probe import Probe

__all__ = ["register"]

_THRESHOLDS = ("pool_used", "thin_data", "thin_metadata", "oversubscription", "volume_used")


def _add_targets(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "manifests",
        nargs="*",
        metavar="MANIFEST",
        help="watch the arrays these manifests name (default: the array of --uri)",
    )
    for name in _THRESHOLDS:
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            metavar="WARN:CRIT",
            help=f"threshold of the {name.replace('_', ' ')} (see docs/monitoring.md); "
            "overrides a manifest's monitoring: thresholds:",
        )
    parser.add_argument(
        "--failed-jobs",
        type=int,
        default=0,
        metavar="N",
        help="report failures among the array's N most recent jobs (default 0: none)",
    )


def register(commands: Any) -> None:
    health = commands.add_parser(
        "health",
        help="every condition of the arrays, worst first (Nagios exit codes)",
        description="Every condition of the array (--uri) or of the arrays manifests name, "
        "worst first. Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
    )
    _add_targets(health)
    health.add_argument(
        "-o",
        "--output",
        choices=("table", "json", "nagios"),
        default="table",
        help="table, json, or nagios (status line with perfdata, then one line per condition)",
    )
    health.set_defaults(handler=run_health)

    watch = commands.add_parser(
        "watch",
        help="poll the arrays; one JSON line per condition raised, cleared or progressing",
        description="Poll at an interval, and observe an array at once when it notifies a "
        "change itself (providers with the events capability: SMI-S indications), and print "
        "one JSON line per change of a condition "
        "(raised, cleared, progress, changed); run a command or POST a webhook per event. "
        "An unreachable array is a condition (connection.failed); the watch goes on.",
    )
    _add_targets(watch)
    watch.add_argument(
        "--interval", type=float, default=60.0, help="seconds between polls (default 60)"
    )
    watch.add_argument(
        "--count",
        type=int,
        default=0,
        metavar="N",
        help="stop after N observations (polls, or samples an array's notification asked for; "
        "default: never)",
    )
    watch.add_argument(
        "--exec",
        dest="exec_",
        metavar="CMD",
        help="run CMD per event (split like a shell would, run without one), event JSON on stdin",
    )
    watch.add_argument("--webhook", metavar="URL", help="POST each event as JSON to URL")
    watch.set_defaults(handler=run_watch)

    exporter = commands.add_parser(
        "exporter",
        help="Prometheus metrics over HTTP or into a textfile",
        description="Serve Prometheus metrics (capacity, health, every condition, "
        "statistics); the arrays are observed at most once per --interval however many "
        "scrapers ask.",
    )
    _add_targets(exporter)
    exporter.add_argument(
        "--listen",
        default="127.0.0.1:9877",
        metavar="HOST:PORT",
        help="address to serve /metrics on (default 127.0.0.1:9877, loopback only)",
    )
    exporter.add_argument(
        "--interval", type=float, default=30.0, help="seconds an observation is reused (30)"
    )
    exporter.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate")
    exporter.add_argument("--tls-key", metavar="PEM", help="the certificate's private key")
    exporter.add_argument("--basic-auth-user", metavar="USER", help="require this user")
    exporter.add_argument(
        "--basic-auth-password-file",
        metavar="PATH",
        help="the user's password (a mode 0600 file)",
    )
    exporter.add_argument(
        "--textfile",
        metavar="PATH",
        help="write the metrics to PATH every --interval instead of serving them "
        "(node_exporter's textfile collector)",
    )
    exporter.add_argument(
        "--once", action="store_true", help="with --textfile: write once and exit"
    )
    exporter.set_defaults(handler=run_exporter)


def _probes(args: argparse.Namespace, *, statistics: bool = False) -> list[Probe]:
    from storplan.monitoring.probe import Probe
    from storplan.monitoring.thresholds import Thresholds, parse_threshold

    from .common import open_session

    changes = {
        name: parse_threshold(getattr(args, name))
        for name in _THRESHOLDS
        if getattr(args, name) is not None
    }
    thresholds = Thresholds().replace(changes)
    options = {"failed_jobs": args.failed_jobs, "statistics": statistics}
    if not args.manifests:
        label = args.uri.partition("?")[0]  # the options are no part of the array's name
        return [Probe(label, partial(open_session, args), thresholds, **options)]
    from storplan.manifest.loader import connect_array, load_manifest

    manifest = load_manifest(args.manifests, offline=True)
    return [  # an array's monitoring: block, then the options over it
        Probe(
            array.name,
            partial(connect_array, array),
            (array.monitoring or Thresholds()).replace(changes),
            **options,
        )
        for array in manifest.arrays
    ]


def run_health(args: argparse.Namespace) -> int:
    from storplan.monitoring.findings import sort
    from storplan.monitoring.nagios import exit_status, health_document, plugin_output
    from storplan.monitoring.probe import sample_all

    probes = _probes(args)
    observations = sample_all(probes)
    for probe in probes:
        probe.close()
    findings = sort(f for o in observations for f in o.findings)
    measures = [m for o in observations for m in o.measures]
    status = exit_status(findings)
    if args.output == "nagios":
        print(plugin_output(findings, measures))
    elif args.output == "json":
        document = health_document(findings, measures)
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif not findings:
        print("OK: no conditions")
    else:
        _table(findings)
    return status


def _table(findings: list[Any]) -> None:
    from .output import emit

    columns = ("severity", "array", "kind", "name", "code", "percent", "message")
    rows = [{c: f.to_dict()[c] for c in columns} for f in findings]
    emit(rows, argparse.Namespace(output="table", bytes=False), "conditions")


def run_watch(args: argparse.Namespace) -> int:
    import shlex

    from storplan.monitoring.events import command_delivery, deliver_all, webhook_delivery
    from storplan.monitoring.watching import Watch

    deliveries = []
    if args.exec_:
        deliveries.append(command_delivery(shlex.split(args.exec_)))
    if args.webhook:
        deliveries.append(webhook_delivery(args.webhook))

    def emit(event: dict[str, Any]) -> None:
        print(json.dumps(event), flush=True)
        deliver_all([event], deliveries)

    return Watch(_probes(args), args.interval, emit, rounds=args.count).run()


def run_exporter(args: argparse.Namespace) -> int:
    import time

    from storplan.monitoring.exporter import Access, Snapshots, make_server, write_textfile

    snapshots = Snapshots(_probes(args, statistics=True), args.interval)
    if args.textfile:
        while True:
            write_textfile(args.textfile, snapshots.text())
            if args.once:
                return 0
            time.sleep(args.interval)
    host, _, port = args.listen.rpartition(":")
    access = Access(tls_cert=args.tls_cert or "", tls_key=args.tls_key or "")
    if args.basic_auth_user:
        from storplan.credentials import SecretSource, read_secret
        from storplan.errors import InvalidArgument

        if not args.basic_auth_password_file:
            raise InvalidArgument(
                "--basic-auth-user needs --basic-auth-password-file",
                hint="put the password in a mode 0600 file",
            )
        password = read_secret(SecretSource(file=args.basic_auth_password_file))
        access = Access(args.basic_auth_user, password, access.tls_cert, access.tls_key)
    server = make_server(snapshots, host.strip("[]") or "127.0.0.1", int(port), access)
    scheme = "https" if access.tls_cert else "http"
    bound_host, bound_port = server.server_address[:2]
    print(f"serving {scheme}://{bound_host!s}:{bound_port}/metrics", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
