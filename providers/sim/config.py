"""Simulator settings from the URI query and the environment.

URI: ``sim:///path/to/state.db?jobs=async&job_seconds=0.5&latency=*:0.01,create_volume:0.05
&faults=create_volume:fail@3,map_volume:transient@1-2,delete_volume:hang``

* path: the SQLite file (``sim://`` alone: ``$STORPLAN_SIM_DB``, else
  ``$XDG_DATA_HOME/storplan/sim.db``, i.e. ``~/.local/share/storplan/sim.db``).
* ``jobs``: ``sync`` (default; operations finish before they return) or ``async`` (they return
  a running job that finishes ``job_seconds`` later, default 0.2, with progress).
* ``latency``: seconds each call sleeps before it runs: an operation, or ``connect`` (opening
  the connection) or ``observe`` (each bulk read); ``*`` for all of them, as a remote array's
  round trips would cost; also ``$STORPLAN_SIM_LATENCY``.
* ``faults``: injected failures, ``operation:kind[@N[-M]]`` where kind is ``fail`` (the call
  raises a provider error and changes nothing), ``transient`` (a retryable error), ``hang`` (the
  job never finishes, so waiting for it times out) or ``jobfail`` (the job starts, then fails);
  ``@N`` limits the fault to the N-th call (``@N-M`` calls N..M, counted per connection),
  without it every call fails.  ``*`` is every operation.  ``connect:fail`` makes the array
  unreachable (``connect:transient``: briefly so), ``observe:fail@2`` fails the second
  bulk read of a connection (apply's verification); these two take ``fail`` and ``transient``
  only and are never part of ``*``.  Also ``$STORPLAN_SIM_FAULTS``.  Hardware faults go in
  the same list (``disk-fail:disk3``, ``raid-rebuild:ssd@2-6``, ...; :mod:`.hardware`).
* ``endpoint`` and ``max_requests``: the file behaves as one array behind a management server
  named ``endpoint`` (default: the file) that takes at most ``max_requests`` requests at once
  (default 0: no limit).  The simulator declares that limit to storplan and refuses a request
  beyond it, as an overloaded server would, so a client that ignores it fails.
* ``seed``: ``default`` (a realistic installation, used when the file is new) or ``empty``.
* ``lock_timeout``: seconds to wait for another process's write to the file (default 30);
  longer is a transient error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from storplan.errors import InvalidArgument
from storplan.paths import xdg_path
from storplan.providers.kit.options import (
    OptionSpec,
    choice,
    integer,
    number,
    parse_options,
    text,
)
from storplan.uri import ProviderURI

if TYPE_CHECKING:
    from .hardware import HardwareFault

__all__ = ["Fault", "SimConfig", "default_path", "parse_config"]

FAULT_KINDS = ("fail", "transient", "hang", "jobfail")
CALLS = ("connect", "observe")
"""What latency and faults may name besides operations (``*`` covers them for latency only)."""


@dataclass(frozen=True, slots=True)
class Fault:
    """One injected fault: ``kind`` on calls ``first``..``last`` (1-based) of ``operation``."""

    operation: str
    kind: str
    first: int = 1
    last: int | None = None

    def applies(self, operation: str, call: int) -> bool:
        everything = self.operation == "*" and operation not in CALLS
        return (
            (self.operation == operation or everything)
            and call >= self.first
            and (self.last is None or call <= self.last)
        )


@dataclass(frozen=True, slots=True)
class SimConfig:
    path: str
    jobs_async: bool = False
    job_seconds: float = 0.2
    latency: dict[str, float] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    seed: str = "default"
    lock_timeout: float = 30.0
    endpoint: str = ""
    max_requests: int = 0
    hardware: tuple[HardwareFault, ...] = ()

    def faulty(self, call: str, number: int = 1) -> str | None:
        """The kind of fault injected into the ``number``-th ``connect`` or ``observe``."""
        return next((f.kind for f in self.faults if f.applies(call, number)), None)

    def latency_of(self, operation: str) -> float:
        return self.latency.get(operation, self.latency.get("*", 0.0))


def default_path() -> str:
    """Where ``sim://`` keeps its state when the URI names no file."""
    return xdg_path("data", "sim.db", override="STORPLAN_SIM_DB")


def _items(text: str) -> list[str]:
    return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]


def _parse_latency(text: str) -> dict[str, float]:
    latency: dict[str, float] = {}
    for item in _items(text):
        operation, _, seconds = item.rpartition(":")
        try:
            latency[operation or "*"] = number(0.0, 3600.0)(seconds)
        except ValueError:
            raise InvalidArgument(
                f"sim latency {item!r} is not operation:seconds",
                hint="e.g. latency=*:0.01,create_volume:0.05",
            ) from None
    return latency


def _parse_fault(item: str) -> Fault:
    operation, _, spec = item.partition(":")
    kind, _, calls = spec.partition("@")
    if not operation or kind not in FAULT_KINDS:
        raise InvalidArgument(
            f"sim fault {item!r} is not operation:kind[@N[-M]]",
            hint=f"kind is one of {', '.join(FAULT_KINDS)}, e.g. create_volume:fail@3",
        )
    if operation in CALLS and kind not in ("fail", "transient"):
        raise InvalidArgument(
            f"sim fault {item!r}: {operation} faults are fail or transient",
            hint=f"e.g. {operation}:fail",
        )
    if not calls:
        return Fault(operation, kind)
    first, _, last = calls.partition("-")
    if not first.isdigit() or (last and not last.isdigit()) or int(first) < 1:
        raise InvalidArgument(f"sim fault {item!r}: calls must be N or N-M with N >= 1")
    return Fault(operation, kind, int(first), int(last) if last else int(first))


_OPTIONS = (
    OptionSpec("jobs", choice("sync", "async"), "sync", "jobs=sync or jobs=async"),
    OptionSpec("job_seconds", number(0.0, 86400.0), 0.2, "seconds an async job takes"),
    OptionSpec("latency", text, "", "e.g. latency=*:0.01,create_volume:0.05"),
    OptionSpec("faults", text, "", "e.g. faults=create_volume:fail@3"),
    OptionSpec("seed", choice("default", "empty"), "default", "seed=default or seed=empty"),
    OptionSpec(
        "lock_timeout", number(0.0, 3600.0), 30.0, "seconds to wait for another process's write"
    ),
    OptionSpec("endpoint", text, "", "the management server's name, e.g. endpoint=mgmt1"),
    OptionSpec(
        "max_requests", integer(0, 10_000), 0, "requests the endpoint takes at once (0: no limit)"
    ),
)


def parse_config(uri: ProviderURI) -> SimConfig:
    """Build the simulator settings from a ``sim://`` URI and the environment."""
    options = parse_options("sim", uri.query, _OPTIONS)
    path = (uri.host + uri.path) if uri.host else uri.path
    latency = _parse_latency(os.environ.get("STORPLAN_SIM_LATENCY", ""))
    latency.update(_parse_latency(options["latency"]))
    items = _items(os.environ.get("STORPLAN_SIM_FAULTS", "")) + _items(options["faults"])
    hardware: tuple[HardwareFault, ...] = ()
    if items:  # imported only then: start-up time of every other command
        from .hardware import HARDWARE, parse_hardware

        hardware = tuple(parse_hardware(i) for i in items if i.partition(":")[0] in HARDWARE)
        items = [i for i in items if i.partition(":")[0] not in HARDWARE]
    faults = [_parse_fault(i) for i in items]
    return SimConfig(
        path=path or default_path(),
        jobs_async=options["jobs"] == "async",
        job_seconds=options["job_seconds"],
        latency=latency,
        faults=tuple(faults),
        seed=options["seed"],
        lock_timeout=options["lock_timeout"],
        endpoint=options["endpoint"] or f"file:{path or default_path()}",
        max_requests=options["max_requests"],
        hardware=hardware,
    )
