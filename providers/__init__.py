"""The provider contract: what every storage provider plug-in implements.

A provider is registered under the ``storplan.providers`` entry-point group, keyed by URI scheme
(built-in providers register the same way).  The entry point names a :data:`ProviderFactory`:
a callable taking the parsed :class:`~storplan.uri.ProviderURI` and the password (a
:class:`~storplan.credentials.Secret` or ``None``) and returning a :class:`Provider`.

Rules of the contract (checked by the conformance kit, ``storplan.conformance``):

* ``observe()`` is read-only and bulk: it returns the whole requested state in one call, with a
  number of round trips to the array that does not grow with the number of objects.
* Every operation returns a :class:`~storplan.model.Job`; a synchronous provider returns one that
  has already finished.  ``job(id)`` polls it.
* Operations are idempotent by name: creating an object that already exists with the same
  specification succeeds and returns it; with a different specification it raises
  :class:`~storplan.errors.AlreadyExists`.  Deleting, unmapping or removing something that is
  already gone raises :class:`~storplan.errors.NotFound`.
* The core (:class:`~storplan.session.Session`) checks declared capabilities and limits before
  calling an operation; a provider may still refuse with :class:`~storplan.errors.Unsupported`.
* Errors are :class:`~storplan.errors.StorplanError` subclasses and never contain secrets;
  :class:`~storplan.errors.TransientError` marks an error the core may retry.
* ``identity()`` names the installation, not the way it was reached (see its docstring).
* Optional: ``preflight(requests, state)`` refuses, before anything changes, what the array
  would refuse half-way through an apply (see :class:`storplan.providers.kit.ProviderBase`).
* One provider instance may be called from several threads at once (``apply`` runs independent
  actions in parallel): a provider whose client library is not thread-safe serializes its calls
  itself, and makes operations on one object (e.g. a host's masking view) wait for each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.model import (
        Capabilities,
        ChapCredentials,
        ExportOptions,
        Initiator,
        Job,
        Kind,
        Limits,
        ProviderVersion,
        ReplicaKind,
        State,
        Statistics,
    )
    from storplan.uri import ProviderURI

__all__ = ["Provider", "ProviderBase", "ProviderFactory", "Subscription"]


@runtime_checkable
class Provider(Protocol):
    """The interface between the storplan core and one storage array."""

    name: str
    """Short provider name (``sim``, ``lio``, ``smis``); used in messages."""

    def identity(self) -> str:
        """A stable identity of the storage installation this provider reached.

        The same installation gives the same identity whatever URI spelling, host name,
        address or user reached it, across connections and restarts; two installations never
        share one.  Ownership records, protection memory, the journal and apply locks are
        keyed by it (with the system id), never by the URI's text.  (sim: a UUID written into
        the file when it is created; SMI-S: the array's own system names; LIO: the machine id
        and the target's WWN.)  The conformance kit checks it.
        """

    def capabilities(self) -> Capabilities:
        """The capabilities this array supports through this provider."""

    def limits(self) -> Limits:
        """Name rules, size range and alignment, LUN range."""

    def version(self) -> ProviderVersion:
        """Provider and array software versions."""

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        """The live state, in bulk, of the given kinds (all kinds when ``None``); read-only."""

    def job(self, job_id: str) -> Job[Any]:
        """The current state of a job (polling may advance it)."""

    def jobs(self) -> list[Job[Any]]:
        """Jobs the array still knows about, most recent first."""

    def statistics(self) -> Statistics:
        """One sample of the array's I/O counters; only providers declaring
        ``Capability.STATISTICS`` are asked (:class:`~storplan.providers.kit.ProviderBase`
        refuses it)."""

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        """Ask the array to notify changes: ``on_event()`` is called (from another thread)
        whenever the array reports one, and the caller then observes again; only providers
        declaring ``Capability.EVENTS`` are asked (:class:`~storplan.providers.kit.ProviderBase`
        refuses it).  What a notification says is never parsed: observe stays the one truth.
        ``close()`` of the result ends the subscription."""

    def close(self) -> None:
        """Release connections; the provider is unusable afterwards."""

    # pools
    def create_pool(self, system_id: str, name: str, disk_ids: Sequence[str]) -> Job[Any]: ...
    def delete_pool(self, pool_id: str) -> Job[Any]: ...

    # volumes
    def create_volume(self, pool_id: str, name: str, size: int, thin: bool) -> Job[Any]: ...
    def delete_volume(self, volume_id: str) -> Job[Any]: ...
    def resize_volume(self, volume_id: str, size: int) -> Job[Any]: ...
    def rename_volume(self, volume_id: str, name: str) -> Job[Any]: ...

    # hosts and masking
    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]: ...
    def delete_access_group(self, access_group_id: str) -> Job[Any]: ...
    def add_initiator(self, access_group_id: str, initiator: Initiator) -> Job[Any]: ...
    def remove_initiator(self, access_group_id: str, initiator_id: str) -> Job[Any]: ...
    def set_chap(
        self, access_group_id: str, initiator_id: str, chap: ChapCredentials | None
    ) -> Job[Any]: ...
    def map_volume(self, volume_id: str, access_group_id: str, lun: int | None) -> Job[Any]: ...
    def unmap_volume(self, volume_id: str, access_group_id: str) -> Job[Any]: ...

    # snapshots and replicas
    def create_snapshot(self, volume_id: str, name: str) -> Job[Any]: ...
    def delete_snapshot(self, snapshot_id: str) -> Job[Any]: ...
    def restore_snapshot(self, snapshot_id: str) -> Job[Any]: ...
    def create_replica(
        self, source_volume_id: str, name: str, kind: ReplicaKind, pool_id: str | None
    ) -> Job[Any]: ...
    def delete_replica(self, replica_id: str) -> Job[Any]: ...

    # file systems and exports
    def create_filesystem(self, pool_id: str, name: str, size: int) -> Job[Any]: ...
    def resize_filesystem(self, filesystem_id: str, size: int) -> Job[Any]: ...
    def delete_filesystem(self, filesystem_id: str) -> Job[Any]: ...
    def create_fs_snapshot(self, filesystem_id: str, name: str) -> Job[Any]: ...
    def delete_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]: ...
    def restore_fs_snapshot(self, fs_snapshot_id: str) -> Job[Any]: ...
    def create_fs_clone(self, fs_snapshot_id: str, name: str, size: int | None) -> Job[Any]: ...
    def create_export(self, filesystem_id: str, path: str, options: ExportOptions) -> Job[Any]: ...
    def modify_export(self, export_id: str, options: ExportOptions) -> Job[Any]: ...
    def delete_export(self, export_id: str) -> Job[Any]: ...


class Subscription(Protocol):
    """A provider's subscription to the array's notifications (``subscribe``)."""

    def close(self) -> None:
        """End the subscription: the array stops notifying and what it set up is removed."""


ProviderFactory = Callable[["ProviderURI", "Secret | None"], Provider]
"""What a ``storplan.providers`` entry point resolves to."""


def __getattr__(name: str) -> Any:
    # ProviderBase lives with the provider kit (it needs the operation catalogue, which
    # read-only commands need not load); it is still importable from here.
    if name == "ProviderBase":
        from .kit.base import ProviderBase

        return ProviderBase
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
