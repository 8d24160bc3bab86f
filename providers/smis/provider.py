"""``smis+https://``: SNIA SMI-S arrays through pywbem.

Connecting discovers the array (:mod:`.discovery`); capabilities come from its registered
profiles and capabilities instances (:mod:`.capabilities`); ``observe()`` reads every kind in
bulk (:mod:`.observe`); operations call the SMI-S extrinsic methods and return storplan jobs
backed by ``CIM_ConcreteJob`` (:mod:`.jobs`).

Tests and tools hand the provider a ready connection with ``connection_factory`` (for
example one returning ``pywbem_mock.FakedWBEMConnection``); the default factory builds a real
``pywbem.WBEMConnection`` with storplan's TLS policy (:mod:`.connection`).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from storplan.errors import InvalidArgument
from storplan.model.capabilities import Capabilities, Limits, ProviderVersion
from storplan.model.enums import Kind
from storplan.model.job import Job
from storplan.model.state import State
from storplan.providers.kit.endpoint import Endpoint

from . import capabilities as caps
from .client import WbemClient
from .connection import ConnectionFactory, open_connection
from .discovery import discover
from .ids import Resolver
from .jobs import JobBook
from .observe import BLOCK_KINDS, observe
from .ops_group import GroupMasking
from .ops_replication import ReplicationOps
from .ops_spc import SpcMasking
from .ops_volumes import VolumeOps
from .options import parse_options
from .reader import Reader
from .translate import Scrubber

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from storplan.credentials import Secret
    from storplan.model.block import Initiator
    from storplan.model.stats import Statistics
    from storplan.providers import Subscription
    from storplan.uri import ProviderURI

__all__ = ["SmisProvider"]

_KIND_CAPABILITY = {
    Kind.DISKS: caps.C.DISKS,
    Kind.TARGET_PORTS: caps.C.TARGET_PORTS,
    Kind.ACCESS_GROUPS: caps.C.ACCESS_GROUPS,
    Kind.MAPPINGS: caps.C.MASKING,
}


class SmisProvider(VolumeOps, ReplicationOps):
    """The SMI-S provider (entry point ``smis``)."""

    name = "smis"

    @classmethod
    def endpoint(cls, uri: ProviderURI) -> Endpoint:
        """The WBEM server a URI reaches (arrays behind one server share its request limit)."""
        options = parse_options(uri)
        return Endpoint(f"smis:{options.url}", options.max_requests)

    def __init__(
        self,
        uri: ProviderURI,
        password: Secret | None = None,
        *,
        connection_factory: ConnectionFactory | None = None,
    ) -> None:
        """Connect and discover the array.

        Raises:
            InvalidArgument: bad URI options.
            ConnectionFailed, PermissionDenied, Timeout: the array could not be reached,
                refused the credentials or the certificate did not verify.
        """
        if uri.provider != "smis":
            raise InvalidArgument(f"{uri.scheme}:// is not an smis URI")
        self.options = parse_options(uri)
        factory = connection_factory or open_connection
        self.client = WbemClient(
            factory(self.options, password),
            url=self.options.url,
            scrub=Scrubber(password),
            page_size=self.options.page_size,
            pull=self.options.pull,
        )
        try:
            self.info = discover(self.client, self.options.interop, self.options.namespace)
        except BaseException:
            self.close()  # do not leak the connection (and its sockets) of a failed connect
            raise
        masking_class = (
            "CIM_InitiatorMaskingGroup"
            if self.info.masking == "group"
            else ("CIM_SCSIProtocolController")
        )
        self.resolver = Resolver(
            self.client,
            {
                "sys": "CIM_ComputerSystem",
                "pool": "CIM_StoragePool",
                "vol": "CIM_StorageVolume",
                "snap": "CIM_StorageVolume",
                "rep": "CIM_StorageVolume",
                "host": masking_class,
                "disk": "CIM_DiskDrive",
                "job": "CIM_ConcreteJob",
            },
        )
        for path in self.info.systems.values():
            self.resolver.remember("sys", path)
        self.book = JobBook(self.client, self.resolver, self.options.job_timeout)
        self._declared = caps.declared(self.info)
        self._masking_lock = threading.RLock()

    # ------------------------------------------------------------------ queries
    def identity(self) -> str:
        """SMI-S systems are named world-wide uniquely by the array (a serial or WWN in their
        ``Name``, which every system id carries), so the installation is just "an SMI-S
        array": the same whichever management server, address or user reached it."""
        return "smis"

    def capabilities(self) -> Capabilities:
        """What the array's profiles and capabilities instances offer."""
        return Capabilities(self.name, self._declared)

    @cached_property
    def _limits(self) -> Limits:
        pools = self.client.enumerate("CIM_StoragePool", ["Primordial", "Usage"])
        from .convert import hidden_pool

        limits = caps.limits_of(self.client, [p.path for p in pools if not hidden_pool(p)])
        if self.info.masking == "spc":
            # Masking and Mapping without groups: a host is an SCSIProtocolController, which
            # ExposePaths creates only together with an initiator (so validate and preflight
            # refuse an empty host before anything changes, not create_access_group half-way)
            limits = replace(limits, min_initiators_per_group=1)
        return limits

    def limits(self) -> Limits:
        """Size range and granularity the array reports (``GetSupportedSizeRange``); at least
        one initiator per host on arrays without group masking."""
        return self._limits

    def version(self) -> ProviderVersion:
        """This provider's version and the array's firmware."""
        from storplan import __version__

        state = self.observe(frozenset({Kind.SYSTEMS}))
        system = state.systems[0] if state.systems else None
        return ProviderVersion(
            self.name,
            __version__,
            f"{system.vendor} {system.model}".strip() if system else "",
            system.firmware if system else "",
        )

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        """The live state, read in bulk (a fixed number of requests, paged)."""
        available = frozenset(
            k
            for k in BLOCK_KINDS
            if k not in _KIND_CAPABILITY or _KIND_CAPABILITY[k] in self._declared
        )
        return observe(Reader(self.client), self.info, self.resolver, kinds, available)

    def job(self, job_id: str) -> Job[Any]:
        """Poll one job."""
        return self.book.poll(job_id)

    def statistics(self) -> Statistics:
        """``CIM_BlockStorageStatisticalData`` of volumes, front-end ports and disks."""
        from .hardware import statistics

        return statistics(Reader(self.client))

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        """The array's indications (alerts, health changes) delivered to a listener on the
        URI's ``listener=`` address; ``on_event()`` per indication (:mod:`.indications`)."""
        from .indications import subscribe

        return subscribe(self.client, self.options, self.info.namespace, on_event)

    def jobs(self) -> list[Job[Any]]:
        """This connection's jobs, newest first."""
        return self.book.recent()

    def close(self) -> None:
        """Close the WBEM connection."""
        closer = getattr(self.client.conn, "close", None)
        if callable(closer):
            closer()

    @property
    def request_statistics(self) -> Any:
        """pywbem's per-operation request statistics of this connection."""
        return self.client.conn.statistics

    # ------------------------------------------------------------------ hosts and masking
    @cached_property
    def _masking(self) -> GroupMasking | SpcMasking:
        if self.info.masking == "group":
            return GroupMasking(self)
        if self.info.masking == "spc":
            return SpcMasking(self)
        from storplan.errors import Unsupported

        raise Unsupported("this array offers no masking profile", provider=self.name)

    # Masking changes read, decide and write several related objects (groups, views, SPCs):
    # they run one at a time on this connection.
    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]:
        with self._masking_lock:
            return self._masking.create_access_group(system_id, name, initiators)

    def delete_access_group(self, access_group_id: str) -> Job[Any]:
        with self._masking_lock:
            return self._masking.delete_access_group(access_group_id)

    def add_initiator(self, access_group_id: str, initiator: Initiator) -> Job[Any]:
        with self._masking_lock:
            return self._masking.add_initiator(access_group_id, initiator)

    def remove_initiator(self, access_group_id: str, initiator_id: str) -> Job[Any]:
        with self._masking_lock:
            return self._masking.remove_initiator(access_group_id, initiator_id)

    def map_volume(self, volume_id: str, access_group_id: str, lun: int | None) -> Job[Any]:
        with self._masking_lock:
            return self._masking.map_volume(volume_id, access_group_id, lun)

    def unmap_volume(self, volume_id: str, access_group_id: str) -> Job[Any]:
        with self._masking_lock:
            return self._masking.unmap_volume(volume_id, access_group_id)
