"""What every ``lio`` operation shares: the lock, fresh inventories, finished jobs, saving.

LIO, LVM and the pool directories are changed by one operation at a time (one lock per
provider): the kernel's configfs and LVM's metadata are not designed for concurrent writers,
and each operation is short.  Every change ends by saving the LIO configuration, so a reboot
keeps what storplan did.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storplan.errors import InvalidArgument, NotFound, StorplanError
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.model.state import State
from storplan.model.stats import Statistics
from storplan.providers.kit import JobBook, ProviderBase

from . import ids
from .inventory import Inventory, StoredVolume, take_inventory
from .observe import KINDS, observe_inventory
from .options import LioOptions, PoolConfig
from .persist import save_config
from .target import LioTarget

__all__ = ["LioBase"]

_KEPT_JOBS = 200
MASKING_KINDS = frozenset({Kind.ACCESS_GROUPS, Kind.MAPPINGS})
"""Kinds read from configfs alone (no LVM commands)."""


class LioBase(ProviderBase):
    """Shared state and helpers of the operation mixins."""

    name = "lio"

    def __init__(self, options: LioOptions) -> None:
        self.options = options
        self._lock = threading.RLock()
        self._jobs = JobBook("lio-", keep=_KEPT_JOBS)
        self._target: LioTarget | None = None

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

    @property
    def target(self) -> LioTarget:
        """rtslib access, created on the first change (observing never needs it)."""
        if self._target is None:
            self._target = LioTarget(self.options)
        return self._target

    def inventory(self, *, storage: bool = True) -> Inventory:
        """A fresh read of configfs, and of LVM and the pool directories with ``storage``."""
        return take_inventory(self.options, storage=storage)

    def _finish(self, operation: str, kind: Kind | None, object_id: str | None) -> Job[Any]:
        """Save the configuration and record a finished job whose result is the object
        ``object_id`` as the next ``observe()`` reports it."""
        self.save()
        result = None
        if kind is not None and object_id is not None:
            storage = kind not in MASKING_KINDS
            state = observe_inventory(self.inventory(storage=storage), frozenset({kind}))
            result = next((o for o in state.of(kind) if o.id == object_id), None)
        return self._jobs.finished(operation, result)

    def save(self) -> None:
        """Persist the LIO configuration (see :mod:`.persist`)."""
        target = self.target
        save_config(target.dump(), target.save_file(), self.options.backups)

    # ------------------------------------------------------------------ look-ups
    def pool_config(self, pool_id: str) -> PoolConfig:
        """The configured pool behind ``pool_id``."""
        pool = self.options.pool(ids.name_of(pool_id))
        if pool is None:
            raise NotFound(
                f"pool {pool_id} is not configured for this lio provider",
                hint="configured pools: "
                + (", ".join(p.name for p in self.options.pools) or "none"),
            )
        return pool

    @staticmethod
    def stored_volume(inventory: Inventory, volume_id: str) -> StoredVolume:
        """The volume behind ``volume_id`` in ``inventory``."""
        name = ids.name_of(volume_id)
        stored = inventory.volumes.get(name)
        if stored is None:
            raise NotFound(f"volume {name!r} does not exist")
        return stored

    @staticmethod
    def managed(stored: StoredVolume) -> PoolConfig:
        """The pool of a volume storplan may change (not one made outside its pools)."""
        if stored.pool is None:
            raise InvalidArgument(
                f"volume {stored.name!r} ({stored.path}) is not in a configured pool",
                hint="storplan only changes volumes in the pools it is configured with",
            )
        return stored.pool

    # ------------------------------------------------------------------ queries
    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        """The live state of the requested kinds (read-only)."""
        wanted = KINDS if kinds is None else frozenset(kinds) & KINDS
        storage = not wanted <= MASKING_KINDS | {Kind.SYSTEMS, Kind.TARGET_PORTS}
        return observe_inventory(self.inventory(storage=storage), wanted)

    def statistics(self) -> Statistics:
        """LIO's command and byte counters per storage object and per TPG (configfs)."""
        from .stats import statistics

        return statistics(self.options)

    def job(self, job_id: str) -> Job[Any]:
        """A job this connection ran (operations are synchronous: always finished)."""
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job[Any]]:
        """This connection's jobs, newest first."""
        return self._jobs.recent()

    def close(self) -> None:
        """Nothing to release: every operation opens and closes what it uses."""
