"""What every ``ganesha`` operation shares: the lock, the D-Bus connection, finished jobs.

Operations are synchronous and short; one runs at a time per provider (an ``RLock``: the
jeepney connection is not thread-safe) and, across processes, under the export directory's
``flock`` (:func:`.files.directory_lock`).
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storplan.errors import StorplanError
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.model.state import State
from storplan.providers.kit import JobBook, ProviderBase

from . import quirks
from .dbus import GaneshaBus
from .observe import KINDS, observe_state
from .options import GaneshaOptions

__all__ = ["GaneshaBase"]

_KEPT_JOBS = 200
_BUS_KINDS = frozenset({Kind.EXPORTS})


class GaneshaBase(ProviderBase):
    """Shared state and helpers of the operation mixins."""

    name = "ganesha"

    def __init__(self, options: GaneshaOptions) -> None:
        self.options = options
        self.bus = GaneshaBus(options.bus, options.dbus_name)
        self._lock = threading.RLock()
        self._jobs = JobBook("ganesha-", keep=_KEPT_JOBS)
        self._version: str | None = None

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def operation(self, name: str) -> Iterator[None]:
        """Run one change under the provider lock, recording a failed job on error."""
        with self._lock:
            try:
                yield
            except StorplanError as exc:
                self._jobs.failed(name, exc)
                raise

    def server_version(self) -> str:
        """Ganesha's release: ``VERSION_RELEASE`` over D-Bus, else ``ganesha.nfsd -v``."""
        if self._version is None:
            with self._lock:
                try:
                    self._version = self.bus.version()
                except StorplanError:
                    self._version = _local_version()
                    if not self._version:
                        raise
        return self._version

    def version_tuple(self) -> quirks.Version:
        """:meth:`server_version` as numbers, for the quirk checks."""
        return quirks.parse_version(self.server_version())

    def finish(self, operation: str, kind: Kind | None, object_id: str | None) -> Job[Any]:
        """A finished job whose result is ``object_id`` as observing reports it now."""
        result = None
        if kind is not None and object_id is not None:
            state = self.observe(frozenset({kind}))
            result = next((o for o in state.of(kind) if o.id == object_id), None)
        return self.finished(operation, result)

    def finished(self, operation: str, result: Any) -> Job[Any]:
        """Record and return a succeeded job with ``result``."""
        return self._jobs.finished(operation, result)

    # ------------------------------------------------------------------ queries
    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        """The live state of the requested kinds (read-only)."""
        wanted = KINDS if kinds is None else frozenset(kinds) & KINDS
        with self._lock:
            version = self.server_version() if Kind.SYSTEMS in wanted else ""
            bus = self.bus if wanted & _BUS_KINDS else None
            return State(**observe_state(bus, self.options, wanted, version))  # type: ignore[arg-type]

    def job(self, job_id: str) -> Job[Any]:
        """A job this connection ran (operations are synchronous: always finished)."""
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job[Any]]:
        """This connection's jobs, newest first."""
        return self._jobs.recent()

    def close(self) -> None:
        """Close the D-Bus connection."""
        with self._lock:
            self.bus.close()


def _local_version() -> str:
    """``4.3`` from ``ganesha.nfsd -v`` on this host, or ``""``."""
    try:
        run = subprocess.run(
            ["ganesha.nfsd", "-v"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    for line in run.stdout.splitlines():
        if "Release" in line:
            return line.split("=", 1)[-1].strip().lstrip("Vv")
    return ""
