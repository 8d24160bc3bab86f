"""What every ``nfs`` operation shares: the locks, the inventory, ``exportfs``, finished jobs.

Operations are synchronous and short.  One runs at a time per provider (an ``RLock``) and,
across processes, under an exclusive ``flock`` next to the exports file, so two storplan
processes never rewrite the exports file or the fstab block at once.
"""

from __future__ import annotations

import fcntl
import os
import platform
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storplan.errors import NotFound, StorplanError
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.model.state import State
from storplan.providers.kit import JobBook, ProviderBase
from storplan.providers.kit.pools import PoolConfig

from . import ids
from .observe import KINDS, observe_state
from .options import NfsOptions
from .storage import Inventory, StoredFs, take_inventory

__all__ = ["NfsBase"]

_KEPT_JOBS = 200


class NfsBase(ProviderBase):
    """Shared state and helpers of the operation mixins."""

    name = "nfs"

    def __init__(self, options: NfsOptions) -> None:
        self.options = options
        self._lock = threading.RLock()
        self._jobs = JobBook("nfs-", keep=_KEPT_JOBS)

    # ------------------------------------------------------------------ helpers
    @contextmanager
    def operation(self, name: str) -> Iterator[None]:
        """Run one change under both locks, recording a failed job on error."""
        with self._lock:
            try:
                with self._file_lock():
                    yield
            except StorplanError as exc:
                self._jobs.failed(name, exc)
                raise

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        os.makedirs(os.path.dirname(self.options.lock_file), mode=0o755, exist_ok=True)
        fd = os.open(self.options.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def inventory(self) -> Inventory:
        """storplan's file systems and snapshots now."""
        return take_inventory(self.options)

    def pool_config(self, pool_id: str) -> PoolConfig:
        """The configured pool behind ``pool_id``.

        Raises:
            NotFound: no such pool is configured.
        """
        pool = self.options.pool(ids.POOL.name(pool_id))
        if pool is None:
            known = ", ".join(p.name for p in self.options.pools) or "none"
            raise NotFound(f"pool {pool_id} does not exist",
                           hint=f"configured pools: {known} (pools: in the settings)")  # fmt: skip
        return pool

    def filesystem(self, inventory: Inventory, filesystem_id: str) -> StoredFs:
        """The stored file system behind ``filesystem_id``.

        Raises:
            NotFound: there is none.
        """
        stored = inventory.filesystems.get(ids.FILESYSTEM.name(filesystem_id))
        if stored is None:
            raise NotFound(f"file system {filesystem_id} does not exist")
        return stored

    def finish(self, operation: str, kind: Kind | None, object_id: str | None) -> Job[Any]:
        """A finished job whose result is ``object_id`` as observing reports it now."""
        result = None
        if kind is not None and object_id is not None:
            state = self.observe(frozenset({kind}))
            result = next((o for o in state.of(kind) if o.id == object_id), None)
        return self._jobs.finished(operation, result)

    # ------------------------------------------------------------------ queries
    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        """The live state of the requested kinds (read-only)."""
        wanted = KINDS if kinds is None else frozenset(kinds) & KINDS
        with self._lock:
            parts = observe_state(self.options, wanted, platform.release())
            return State(**parts)  # type: ignore[arg-type]

    def job(self, job_id: str) -> Job[Any]:
        """A job this connection ran (operations are synchronous: always finished)."""
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job[Any]]:
        """This connection's jobs, newest first."""
        return self._jobs.recent()

    def close(self) -> None:
        """Nothing to close (every operation runs its commands to the end)."""
