"""``sim://``: a complete simulated storage installation in one SQLite file.

It declares every capability, so the whole engine can be exercised without hardware; latency,
asynchronous jobs and fault injection are configured through the URI (see :mod:`.config`).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from storplan.model.enums import Capability, Kind, ReplicaKind
from storplan.providers.kit import ProviderBase, forwarding
from storplan.size import Size

from .config import SimConfig, parse_config
from .db import FORMAT, Store, file_identity
from .rows import observe
from .seed import seed_default, seed_empty
from .server import request

# Imported where used: read-only commands (``storplan show``) never need them.
if TYPE_CHECKING:
    from storplan.credentials import Secret
    from storplan.model.capabilities import Capabilities, Limits, ProviderVersion
    from storplan.model.job import Job
    from storplan.model.state import State
    from storplan.model.stats import Statistics
    from storplan.providers.kit import Endpoint
    from storplan.uri import ProviderURI

    from .engine import Engine

__all__ = ["SimProvider"]

ALIGNMENT = 1 << 20  # the simulator allocates in 1 MiB extents and rounds sizes up to them


@forwarding("_operation")
class SimProvider(ProviderBase):
    """The simulator provider (entry point ``sim``): every operation runs through
    ``_operation`` and the simulator's job engine."""

    name = "sim"

    def __init__(self, uri: ProviderURI, password: Secret | None = None) -> None:
        self.config: SimConfig = parse_config(uri)
        self._observed = 0
        self._sampled = 0
        with request(self.config, "connect"):
            _inject(self.config.faulty("connect"), "connect", self.config.path)
            self.store = Store(self.config.path, self.config.lock_timeout)
            self.store.initialize(seed_empty if self.config.seed == "empty" else seed_default)

    @classmethod
    def endpoint(cls, uri: ProviderURI) -> Endpoint:
        """The simulated management server (``endpoint``, ``max_requests`` options)."""
        from storplan.providers.kit import Endpoint

        config = parse_config(uri)
        return Endpoint(f"sim:{config.endpoint}", config.max_requests)

    @cached_property
    def engine(self) -> Engine:
        from .engine import Engine

        return Engine(self.store, self.config)

    # ------------------------------------------------------------------ queries
    def identity(self) -> str:
        """The UUID written into the file when it was created."""
        with self.store.read() as tx:
            return file_identity(tx)

    def capabilities(self) -> Capabilities:
        from storplan.model.capabilities import Capabilities

        return Capabilities(self.name, frozenset(Capability))

    def limits(self) -> Limits:
        from storplan.model.capabilities import Limits

        return Limits(
            name_pattern=r"[A-Za-z0-9][A-Za-z0-9_.:-]*",
            name_max_length=63,
            min_volume_size=Size(1 << 20),
            max_volume_size=Size(256 << 40),
            size_alignment=ALIGNMENT,
            max_lun=4095,
            max_initiators_per_group=64,
        )

    def version(self) -> ProviderVersion:
        from storplan import __version__
        from storplan.model.capabilities import ProviderVersion

        return ProviderVersion(self.name, __version__, "storplan simulator", FORMAT)

    def observe(self, kinds: frozenset[Kind] | None = None) -> State:
        self._observed += 1
        with request(self.config, "observe"):
            _inject(self.config.faulty("observe", self._observed), "observe", self.config.path)
            with self.store.read() as tx:
                state = observe(tx, kinds)
        if self.config.hardware:
            from .hardware import inject

            state = inject(state, self.config.hardware, self._observed)
        return state

    def statistics(self) -> Statistics:
        """Counters after one more interval of simulated I/O (:mod:`.hardware`)."""
        import time

        from storplan.model.stats import Statistics

        from .hardware import simulated_io

        self._sampled += 1
        down = frozenset(f.target for f in self.config.hardware if f.name == "port-down")
        with request(self.config, "observe"), self.store.read() as tx:
            counters = simulated_io(tx, self._sampled, down)
        return Statistics(time.time(), tuple(counters))

    def job(self, job_id: str) -> Job[Any]:
        return self.engine.poll(job_id)

    def jobs(self) -> list[Job[Any]]:
        return self.engine.recent()

    def close(self) -> None:
        self.store.close()

    def _operation(self, operation: str, args: dict[str, Any]) -> Job[Any]:
        """Every operation: its arguments made JSON-ready (they are stored with async jobs
        and replayed when the job finishes), sizes rounded up to the allocation unit."""
        plain = {name: self._plain(name, value) for name, value in args.items()}
        return self.engine.submit(operation, plain)

    def _plain(self, name: str, value: Any) -> Any:
        from storplan.model import ChapCredentials, ExportOptions, Initiator

        if name == "size" and value is not None:
            return int(Size(value).align_up(ALIGNMENT))
        if isinstance(value, Initiator):
            return {"id": value.id, "kind": value.kind.value}
        if isinstance(value, list | tuple) and value and isinstance(value[0], Initiator):
            return [self._plain(name, i) for i in value]
        if isinstance(value, ExportOptions):
            return value.options().to_dict()
        if isinstance(value, ChapCredentials):
            return {
                "user": value.user,
                "secret_digest": self._digest(value.secret),
                "mutual_user": value.mutual_user,
                "mutual_digest": self._digest(value.mutual_secret),
            }
        if isinstance(value, ReplicaKind):
            return value.value
        if isinstance(value, tuple):
            return list(value)
        return value

    def _digest(self, secret: Secret | None) -> str | None:
        # The simulator keeps only a keyed digest: enough to tell secrets apart, useless to a
        # reader of the file (the key is per file).
        if secret is None:
            return None
        import hashlib
        import hmac

        return hmac.new(
            self.identity().encode(), secret.reveal().encode(), hashlib.sha256
        ).hexdigest()


def _inject(fault: str | None, call: str, path: str) -> None:
    """Raise the fault injected into a connect or an observe (``faults=connect:fail``)."""
    if fault is None:
        return
    from storplan.errors import ConnectionFailed, ProviderError, TransientError

    if fault == "transient":
        raise TransientError(
            f"injected transient fault: {call} of {path} is temporarily unavailable",
            hint="retry",
        )
    if call == "connect":
        raise ConnectionFailed(
            f"injected fault: the simulated array {path} is unreachable",
            hint="the simulator was configured with faults=connect:fail",
        )
    raise ProviderError(
        f"injected fault: {call} of {path} failed",
        hint="the simulator was configured with faults=observe:fail",
    )
