"""pytest plug-in of the provider conformance kit, loaded on request: ``pytest -p
storplan.conformance`` (the package re-exports this module's hooks and fixtures).

It is not registered as an automatic ``pytest11`` plug-in: its fixtures have generic names
(``array``, ``pool``, ``system``) that must not appear in other projects' test runs.  Importing
it costs little and changes nothing: storplan itself is imported inside the fixtures.

Options:
    ``--storplan-uri URI``: the provider to test (default: a fresh ``sim:///<tmp>/array.db``
    per test, so the kit tests itself).  ``--storplan-password-env VAR``: read the password from
    that environment variable (passwords never go in URIs).

Fixtures:
    ``conformance_uri``, ``array`` (an open :class:`storplan.Session`; everything the test
    created is deleted afterwards), ``caps``, ``limits``, ``requires(*capabilities)`` (skips,
    naming the provider and the capability), ``names(stem)`` (unique names with the per-run
    prefix ``cfk-<random6>-``), ``unit`` (the smallest aligned volume size), ``pool``,
    ``fs_pool``, ``system``, the factories ``new_volume``, ``new_initiator``, ``new_group``,
    and ``new_filesystem``.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from storplan.providers.kit.wrapper import ProviderWrapper

if TYPE_CHECKING:
    from storplan.model import (
        AccessGroup,
        Capabilities,
        Capability,
        ElementType,
        FileSystem,
        InitiatorKind,
        Kind,
        Limits,
        Pool,
        State,
        System,
        Volume,
    )
    from storplan.session import Session

__all__ = ["HidingProvider", "default_thin", "find", "remove_leftovers", "spec_view"]

Names = Callable[[str], str]
NEEDED_UNITS = 64
"""A test pool needs this many smallest volumes' worth of free space."""
CLEANUP_TIMEOUT = 600.0


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--storplan-uri`` and ``--storplan-password-env``."""
    group = parser.getgroup("storplan-conformance", "storplan provider conformance kit")
    group.addoption(
        "--storplan-uri",
        dest="storplan_uri",
        default=None,
        metavar="URI",
        help="provider URI the conformance kit tests (default: a fresh simulator per test)",
    )
    group.addoption(
        "--storplan-password-env",
        dest="storplan_password_env",
        default=None,
        metavar="VAR",
        help="environment variable holding the password for --storplan-uri",
    )


# ------------------------------------------------------------------------- helpers for tests
def find(array: Session, kind: Kind, obj_id: str) -> Any:
    """The observed object of ``kind`` with id ``obj_id``, or ``None``."""
    return next((obj for obj in array.observe({kind}).of(kind) if obj.id == obj_id), None)


def default_thin(caps: Capabilities, pool: Pool) -> bool:
    """The provisioning tests use when they do not care: thin where the pool can hold it."""
    from storplan.model import Capability, Provisioning

    if Capability.VOLUME_THIN not in caps or Provisioning.THIN not in pool.provisioning:
        return False
    return (
        pool.oversubscription_limit is not None
        or Capability.VOLUME_THICK not in caps
        or Provisioning.THICK not in pool.provisioning
    )


def spec_view(state: State) -> dict[str, dict[str, Any]]:
    """Every object's spec, keyed by ``kind:id`` (what must not change when nothing is done)."""
    from storplan.model import Kind, spec_of

    return {f"{kind.value}:{obj.id}": spec_of(obj) for kind in Kind for obj in state.of(kind)}


class HidingProvider(ProviderWrapper):
    """A provider wrapper declaring every capability but ``hidden``; it records (and forwards)
    each operation it is asked to run, so a test can show the core never called it."""

    def __init__(self, inner: Any, hidden: Capability) -> None:
        super().__init__(inner)
        self.hidden = hidden
        self.calls: list[str] = []

    def capabilities(self) -> Capabilities:
        """Everything the model knows, except ``hidden``."""
        from storplan.model import Capabilities, Capability

        return Capabilities(self.inner.name, frozenset(Capability) - {self.hidden})

    def operate(self, operation: str, args: tuple[Any, ...]) -> Any:
        self.calls.append(operation)
        return super().operate(operation, args)

    def close(self) -> None:
        """Nothing: the ``array`` fixture closes the real provider."""


def _leftovers(state: State, prefix: str) -> list[tuple[str, Any]]:
    """Objects this run created, in the order they must be deleted (dependents first)."""

    def mine(name: str) -> bool:
        return name.startswith(prefix)

    pools = {p.id for p in state.pools if mine(p.name)}
    volumes = {v.id for v in state.volumes if mine(v.name) or v.pool_id in pools}
    groups = {g.id for g in state.access_groups if mine(g.name)}
    filesystems = {f.id for f in state.filesystems if mine(f.name) or f.pool_id in pools}
    return [
        *(
            ("export", e)
            for e in state.exports
            if e.filesystem_id in filesystems or prefix in e.path
        ),
        *(("fs snapshot", s) for s in state.fs_snapshots if s.filesystem_id in filesystems),
        *(("file system", f) for f in state.filesystems if f.id in filesystems),
        *(
            ("mapping", m)
            for m in state.mappings
            if m.volume_id in volumes or m.access_group_id in groups
        ),
        *(
            ("replica", r)
            for r in state.replicas
            if r.source_volume_id in volumes or r.target_volume_id in volumes
        ),
        *(("snapshot", s) for s in state.snapshots if s.volume_id in volumes or mine(s.name)),
        *(("volume", v) for v in state.volumes if v.id in volumes),
        *(("access group", g) for g in state.access_groups if g.id in groups),
        *(("pool", p) for p in state.pools if p.id in pools),
    ]


_DELETERS: dict[str, Callable[[Session, Any], object]] = {
    "export": lambda s, o: s.delete_export(o.id, timeout=CLEANUP_TIMEOUT),
    "fs snapshot": lambda s, o: s.delete_fs_snapshot(o.id, timeout=CLEANUP_TIMEOUT),
    "file system": lambda s, o: s.delete_filesystem(o.id, timeout=CLEANUP_TIMEOUT),
    "mapping": lambda s, o: s.unmap_volume(o.volume_id, o.access_group_id, timeout=CLEANUP_TIMEOUT),
    "replica": lambda s, o: s.delete_replica(o, timeout=CLEANUP_TIMEOUT),
    "snapshot": lambda s, o: s.delete_snapshot(o.id, timeout=CLEANUP_TIMEOUT),
    "volume": lambda s, o: s.delete_volume(o.id, timeout=CLEANUP_TIMEOUT),
    "access group": lambda s, o: s.delete_access_group(o.id, timeout=CLEANUP_TIMEOUT),
    "pool": lambda s, o: s.delete_pool(o.id, timeout=CLEANUP_TIMEOUT),
}


def remove_leftovers(session: Session, prefix: str, attempts: int = 3) -> None:
    """Delete every object whose name (or whose parent's name) starts with ``prefix``.

    Raises:
        AssertionError: something could not be deleted; the message lists what and why.
    """
    from storplan.errors import NotFound, StorplanError

    problems: list[str] = []
    for _ in range(attempts):
        steps = _leftovers(session.observe(), prefix)
        if not steps:
            return
        problems = []
        for label, obj in steps:
            try:
                _DELETERS[label](session, obj)
            except NotFound:
                continue
            except StorplanError as exc:
                problems.append(f"{label} {obj.id}: {exc}")
    left = [f"{label} {obj.id}" for label, obj in _leftovers(session.observe(), prefix)]
    if left:
        raise AssertionError(f"conformance cleanup left {', '.join(left)} behind: {problems}")


# ----------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def conformance_prefix() -> str:
    """The per-run name prefix, ``cfk-<random6>-``: runs against one array never collide."""
    return f"cfk-{secrets.token_hex(3)}-"


@pytest.fixture(scope="session")
def _conformance_counter() -> Iterator[int]:
    return itertools.count(1)


@pytest.fixture
def names(conformance_prefix: str, _conformance_counter: Iterator[int]) -> Callable[[str], str]:
    """A factory of unique object names: ``names("vol")`` -> ``cfk-1a2b3c-vol7``."""

    def make(stem: str = "obj") -> str:
        return f"{conformance_prefix}{stem}{next(_conformance_counter)}"

    return make


@pytest.fixture
def conformance_uri(request: pytest.FixtureRequest) -> str:
    """``--storplan-uri``, else a fresh simulator file for this test."""
    uri: str | None = request.config.getoption("storplan_uri")
    if uri:
        return uri
    return f"sim://{request.getfixturevalue('tmp_path') / 'array.db'}"


@pytest.fixture
def array(
    request: pytest.FixtureRequest, conformance_uri: str, conformance_prefix: str
) -> Iterator[Session]:
    """An open session to the provider under test; what the test created is deleted after it."""
    import storplan

    password = None
    variable: str | None = request.config.getoption("storplan_password_env")
    if variable:
        from storplan.credentials import SecretSource, read_secret

        password = read_secret(SecretSource(env=variable))
    session = storplan.connect(conformance_uri, password=password)
    try:
        yield session
        remove_leftovers(session, conformance_prefix)
    finally:
        session.close()


@pytest.fixture
def reconnect(request: pytest.FixtureRequest, conformance_uri: str) -> Callable[[], Session]:
    """``reconnect()``: a second, independent session to the array under test (tests that
    inject their provider override this fixture along with ``array``)."""
    import storplan

    def open_again() -> Session:
        password = None
        variable: str | None = request.config.getoption("storplan_password_env")
        if variable:
            from storplan.credentials import SecretSource, read_secret

            password = read_secret(SecretSource(env=variable))
        return storplan.connect(conformance_uri, password=password)

    return open_again


@pytest.fixture
def caps(array: Session) -> Capabilities:
    """The capabilities the provider declared."""
    return array.capabilities


@pytest.fixture
def limits(array: Session) -> Limits:
    """The provider's limits."""
    return array.limits


@pytest.fixture
def requires(array: Session) -> Callable[..., None]:
    """``requires(*capabilities)`` skips the test unless the provider declares all of them."""

    def check(*capabilities: Capability) -> None:
        for capability in capabilities:
            if capability not in array.capabilities:
                pytest.skip(f"provider {array.provider.name} does not declare {capability.value}")

    return check


@pytest.fixture
def unit(limits: Limits) -> int:
    """The smallest volume size the provider accepts, aligned: tests size things in units."""
    return int(limits.align(limits.min_volume_size))


def _pick_pool(array: Session, element: ElementType, needed: int, thin: bool | None) -> Pool:
    """A pool holding ``element`` with ``needed`` bytes free; with ``thin`` set, one that
    holds such volumes (``False``/``None`` for file systems: any)."""
    from storplan.model import Provisioning

    candidates = [p for p in array.pools() if element in p.element_types and p.free >= needed]
    wanted = Provisioning.THIN if thin else Provisioning.THICK
    fitting = [p for p in candidates if thin is None or wanted in p.provisioning]
    if not fitting:
        what = f"{wanted.value} {element.value}s" if thin is not None else f"{element.value}s"
        pytest.skip(
            f"no pool of provider {array.provider.name} holds {what} and has {needed} bytes free"
        )
    thin_ones = [p for p in fitting if p.oversubscription_limit is not None]
    return (thin_ones if thin and thin_ones else fitting)[0]


@pytest.fixture
def pool_for(array: Session, requires: Callable[..., None], unit: int) -> Callable[[bool], Pool]:
    """``pool_for(thin)``: a pool with room that holds thin (or thick) volumes, else skip."""
    from storplan.model import Capability, ElementType

    def pick(thin: bool) -> Pool:
        requires(Capability.VOLUMES, Capability.VOLUME_THIN if thin else Capability.VOLUME_THICK)
        return _pick_pool(array, ElementType.VOLUME, NEEDED_UNITS * unit, thin)

    return pick


@pytest.fixture
def pool(array: Session, requires: Callable[..., None], pool_for: Callable[[bool], Pool]) -> Pool:
    """The first pool that holds volumes and has room (thin-capable if thin is declared)."""
    from storplan.model import Capability

    requires(Capability.VOLUMES)
    return pool_for(Capability.VOLUME_THIN in array.capabilities)


@pytest.fixture
def fs_pool(array: Session, requires: Callable[..., None], unit: int) -> Pool:
    """The first pool that holds file systems and has room."""
    from storplan.model import Capability, ElementType

    requires(Capability.FILESYSTEMS)
    return _pick_pool(array, ElementType.FILESYSTEM, NEEDED_UNITS * unit, None)


@pytest.fixture
def system(array: Session, pool: Pool) -> System:
    """The system ``pool`` belongs to (where the block tests create hosts)."""
    from storplan.model import Kind

    return next(s for s in array.observe({Kind.SYSTEMS}).systems if s.id == pool.system_id)


@pytest.fixture
def new_volume(
    array: Session, pool: Pool, pool_for: Callable[[bool], Pool], names: Names, unit: int
) -> Callable[..., Volume]:
    """``new_volume(size=4 units, thin=<pool default>, name=None, pool=None)``: create one, in
    ``pool`` unless it cannot hold the provisioning asked for."""
    from storplan.model import Provisioning

    def make(
        size: int | None = None,
        *,
        thin: bool | None = None,
        name: str | None = None,
        pool: Pool = pool,
    ) -> Volume:
        if thin is None:
            thin = default_thin(array.capabilities, pool)
        if (Provisioning.THIN if thin else Provisioning.THICK) not in pool.provisioning:
            pool = pool_for(thin)
        job = array.create_volume(pool, name or names("vol"), size or 4 * unit, thin=thin)
        volume = job.result
        assert volume is not None
        return volume

    return make


def _initiator_capability(kind: InitiatorKind) -> Capability:
    from storplan.catalogue import INITIATOR_CAPABILITY

    return INITIATOR_CAPABILITY[kind]


@pytest.fixture
def new_initiator(
    array: Session, conformance_prefix: str, _conformance_counter: Iterator[int], requires: Any
) -> Callable[..., str]:
    """``new_initiator(kind=None)``: a fresh identifier no other run uses (the first declared
    kind among iSCSI, FC, NVMe when ``kind`` is ``None``)."""
    from storplan.model import InitiatorKind

    def make(kind: InitiatorKind | None = None) -> str:
        if kind is None:
            declared = [k for k in InitiatorKind if _initiator_capability(k) in array.capabilities]
            kind = declared[0] if declared else InitiatorKind.ISCSI
        requires(_initiator_capability(kind))
        n = next(_conformance_counter)
        if kind is InitiatorKind.FC:  # 2f: a locally administered-looking WWPN of this run
            digits = f"2ff{conformance_prefix[4:10]}{n % 0x10000000:07x}"
            return ":".join(digits[i : i + 2] for i in range(0, 16, 2))
        scheme = "iqn" if kind is InitiatorKind.ISCSI else "nqn"
        return f"{scheme}.2024-01.io.storplan.conformance:{conformance_prefix}init{n}"

    return make


@pytest.fixture
def new_group(
    array: Session, system: System, names: Names, new_initiator: Callable[..., str], requires: Any
) -> Callable[..., AccessGroup]:
    """``new_group(initiators=None, name=None)``: a host with one fresh initiator by default."""
    from storplan.model import Capability

    def make(initiators: list[str] | None = None, name: str | None = None) -> AccessGroup:
        requires(Capability.ACCESS_GROUPS)
        chosen = [new_initiator()] if initiators is None else initiators
        job = array.create_access_group(system, name or names("host"), chosen)
        group = job.result
        assert group is not None
        return group

    return make


@pytest.fixture
def new_filesystem(
    array: Session, fs_pool: Pool, names: Names, unit: int
) -> Callable[..., FileSystem]:
    """``new_filesystem(size=4 units, name=None)``: create and return a file system."""

    def make(size: int | None = None, name: str | None = None) -> FileSystem:
        job = array.create_filesystem(fs_pool, name or names("fs"), size or 4 * unit)
        filesystem = job.result
        assert filesystem is not None
        return filesystem

    return make
