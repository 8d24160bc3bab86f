"""The core of a session: queries, waiting for jobs, and the one gate every operation passes.

Every operation goes through :meth:`SessionBase.run`, which reads the operation's catalogue
entry: it checks the parameters against the provider's limits, checks the capabilities the
provider declared (refusing with :class:`~storplan.errors.Unsupported` naming the provider and
the capability), builds the provider's arguments, calls it, then waits for the job unless
``wait=False``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol, Self, TypedDict, TypeVar, Unpack

from .errors import InvalidArgument, NotFound
from .jobs import DEFAULT_JOB_TIMEOUT, ProgressCallback, wait_for_job
from .model.enums import Kind

# Model classes are imported only for type checking: a session that only lists systems should
# not pay for defining every class (see docs/architecture.md, "Start-up time").
if TYPE_CHECKING:
    from storplan.providers import Provider, Subscription
    from storplan.uri import ProviderURI

    from .catalogue import Arg, Operation, Params
    from .model.block import AccessGroup, Pool, Volume
    from .model.capabilities import Capabilities, Limits, ProviderVersion
    from .model.job import Job
    from .model.state import State
    from .model.stats import Statistics

__all__ = ["Around", "Ref", "Resolve", "SessionBase", "WaitOptions", "pick", "ref_id"]

T = TypeVar("T")


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


class WaitOptions(TypedDict, total=False):
    """Keyword options every operation accepts.

    ``wait`` (default True) waits for the job to finish; ``timeout`` bounds the wait in seconds
    (``None``: forever); ``progress`` is called with each new state of the job.
    """

    wait: bool
    timeout: float | None
    progress: ProgressCallback | None


Ref = str | _HasId
"""An object reference: its provider id, or the model object itself."""

Resolve = Callable[["Arg", "Params"], Any]
"""Turns a reference argument of an operation into the id of the object it names."""

Around = Callable[["Operation", "Params", Any, Callable[[], "Job[Any]"]], "Job[Any]"]
"""Runs one operation's call (see :attr:`SessionBase.around`)."""


def ref_id(ref: Ref) -> str:
    """The provider id behind a reference."""
    return ref if isinstance(ref, str) else ref.id


class SessionBase:
    """Queries, job waiting and the capability gate; operations live in the mixins."""

    def __init__(self, provider: Provider, uri: ProviderURI) -> None:
        self.provider = provider
        self.uri = uri
        self._capabilities: Capabilities | None = None
        self._limits: Limits | None = None
        self.around: Around | None = None
        """When set, each operation's provider call (and wait) runs through it, given the
        operation, its parameters, the live object and the call; it may refuse (raise) or
        wrap the call, as the CLI's :class:`~storplan.imperative.Imperative` does (protection,
        the array's lock, the journal)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the provider connection."""
        self.provider.close()

    # ----------------------------------------------------------------------------- queries
    @property
    def capabilities(self) -> Capabilities:
        """Capabilities the provider declared (fetched once per session)."""
        if self._capabilities is None:
            self._capabilities = self.provider.capabilities()
        return self._capabilities

    @property
    def limits(self) -> Limits:
        """The provider's limits (fetched once per session)."""
        if self._limits is None:
            self._limits = self.provider.limits()
        return self._limits

    def version(self) -> ProviderVersion:
        """Provider and array software versions."""
        return self.provider.version()

    def observe(self, kinds: Iterable[Kind] | None = None) -> State:
        """The live state of the given kinds (everything when ``None``), in one bulk call."""
        return self.provider.observe(None if kinds is None else frozenset(kinds))

    def objects(self, kind: Kind) -> tuple[Any, ...]:
        """All objects of one kind."""
        return self.observe({kind}).of(kind)

    def volumes(self) -> tuple[Volume, ...]:
        """All volumes."""
        return self.observe({Kind.VOLUMES}).volumes

    def pools(self) -> tuple[Pool, ...]:
        """All pools."""
        return self.observe({Kind.POOLS}).pools

    def access_groups(self) -> tuple[AccessGroup, ...]:
        """All access groups (hosts)."""
        return self.observe({Kind.ACCESS_GROUPS}).access_groups

    def get(self, kind: Kind, ref: str) -> Any:
        """One object of ``kind`` by id, or by name when the name is unique; a snapshot also
        as ``OWNER/NAME`` (``db01/nightly``, ``home/daily``: the volume or file system by id
        or unique name, then its snapshot's name — names never contain ``/``).

        Raises:
            NotFound: nothing matches.
            InvalidArgument: the name is used on several systems; pass the id instead.
        """
        objects = self.objects(kind)
        owner_kind = _SNAPSHOT_OWNERS.get(kind)
        if owner_kind is not None and "/" in ref and not any(o.id == ref for o in objects):
            owner_ref, _, name = ref.rpartition("/")
            owner = self.get(owner_kind, owner_ref)
            field = "volume_id" if kind is Kind.SNAPSHOTS else "filesystem_id"
            objects = tuple(o for o in objects if getattr(o, field) == owner.id)
            return pick(objects, kind, name)
        return pick(objects, kind, ref)

    def statistics(self) -> Statistics:
        """One sample of the array's I/O counters (``Unsupported`` unless the provider
        declares ``statistics``)."""
        from .model.enums import Capability

        self.capabilities.require(Capability.STATISTICS, "read statistics")
        return self.provider.statistics()

    def subscribe(self, on_event: Callable[[], None]) -> Subscription:
        """Have ``on_event()`` called whenever the array notifies a change (``Unsupported``
        unless the provider declares ``events``); ``close()`` the result to stop."""
        from .model.enums import Capability

        self.capabilities.require(Capability.EVENTS, "subscribe to notifications")
        return self.provider.subscribe(on_event)

    def jobs(self) -> list[Job[Any]]:
        """Jobs the array knows about."""
        return self.provider.jobs()

    def job(self, job_id: str) -> Job[Any]:
        """One job's current state."""
        return self.provider.job(job_id)

    def wait(
        self,
        job: Job[T] | str,
        *,
        timeout: float | None = DEFAULT_JOB_TIMEOUT,
        progress: ProgressCallback | None = None,
    ) -> Job[T]:
        """Wait for a job (object or id) to finish; see :func:`storplan.jobs.wait_for_job`."""
        current = self.provider.job(job) if isinstance(job, str) else job
        return wait_for_job(self.provider, current, timeout=timeout, progress=progress)

    # ------------------------------------------------------------------------ the one gate
    def run(
        self,
        operation: Operation | str,
        params: Params,
        *,
        resolve: Resolve | None = None,
        live: Any = None,
        **options: Unpack[WaitOptions],
    ) -> Job[Any]:
        """Run one catalogue operation: check its parameters against the provider's limits,
        check the capabilities it needs, call the provider and (unless ``wait=False``) wait.

        ``params`` are the operation's parameters as the catalogue names them.  Objects are
        passed as ids, unless ``resolve`` turns the names of a plan into ids (apply does
        that); a reference made of several names (a snapshot: volume and snapshot) takes the
        id in its last one.  ``live`` is the object the operation changes, when its needs or
        risk depend on it (growing or shrinking).

        Raises:
            InvalidArgument: a parameter breaks the provider's limits.
            Unsupported: the provider did not declare a capability the operation needs.
        """
        from .calls import provider_args

        unknown = set(options) - set(WaitOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}")
        op = _catalogue(operation)
        for finding in op.check_limits(params, self.limits):
            raise InvalidArgument(finding.message, hint=finding.hint)
        for capability in op.capabilities(params, live):
            self.capabilities.require(capability, op.summary)
        args = provider_args(op, params, resolve or _ids)

        def call() -> Job[Any]:
            import logging

            logging.getLogger(__name__).debug("%s: %s", self.provider.name, op.name)
            job: Job[Any] = getattr(self.provider, op.name)(*args)
            if options.get("wait", True):
                job = wait_for_job(
                    self.provider,
                    job,
                    timeout=options.get("timeout", DEFAULT_JOB_TIMEOUT),
                    progress=options.get("progress"),
                )
            return job

        return call() if self.around is None else self.around(op, params, live, call)


_SNAPSHOT_OWNERS = {Kind.SNAPSHOTS: Kind.VOLUMES, Kind.FS_SNAPSHOTS: Kind.FILESYSTEMS}
"""The kind owning each kind of snapshot (``OWNER/NAME`` references)."""


def pick(objects: Iterable[Any], kind: Kind, ref: str) -> Any:
    """The object of ``kind`` among ``objects`` with id ``ref``, or with name ``ref`` when the
    name is unique (see :meth:`SessionBase.get`)."""
    objects = tuple(objects)
    for obj in objects:
        if getattr(obj, "id", None) == ref:
            return obj
    named = [obj for obj in objects if getattr(obj, "name", None) == ref]
    if len(named) == 1:
        return named[0]
    label = kind.value.rstrip("s").replace("_", " ")
    if not named:
        raise NotFound(
            f"no {label} with id or name {ref!r}",
            hint=f"list them with `storplan show {kind.value.replace('_', '-')}`",
        )
    ids = ", ".join(obj.id for obj in named)
    raise InvalidArgument(
        f"{len(named)} {kind.value} are called {ref!r} ({ids})", hint="refer to it by id"
    )


def _catalogue(operation: Operation | str) -> Operation:
    from .catalogue import operation as lookup

    return lookup(operation) if isinstance(operation, str) else operation


def _ids(arg: Arg, params: Params) -> Any:
    """Session callers pass ids: a reference's id is in its last parameter."""
    return params.get(arg.params[-1])
