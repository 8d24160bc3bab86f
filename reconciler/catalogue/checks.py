"""The checks catalogue entries declare: against limits, and against live state (preflight).

Limit checks need only the parameters and the provider's declared :class:`Limits`; the Session
runs them before calling a provider, and validate and preflight run the same ones with
manifest positions.  Preflight checks also see the live state and the rest of the plan through
a :class:`~.base.Context`, so what the array would refuse half-way through an apply is found
before the first change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..errors import InvalidArgument
from ..keys import Key, ObjectKind
from ..model.enums import ElementType, Provisioning
from .base import Check, Context, Finding, LimitCheck, Params

if TYPE_CHECKING:
    from ..model.capabilities import Limits

__all__ = [
    "all_of",
    "chap_secrets_readable",
    "disks_free",
    "export_options_valid",
    "initiators_unclaimed",
    "lun_free",
    "lun_in_range",
    "name_allowed",
    "pool_holds",
    "volume_size_allowed",
]


def _finding(param: str, exc: InvalidArgument, code: str) -> Finding:
    return Finding(param, exc.message, exc.hint, code)


def all_of(*checks: LimitCheck) -> LimitCheck:
    """One limit check made of several."""

    def run(params: Params, limits: Limits) -> Iterable[Finding]:
        for check in checks:
            yield from check(params, limits)

    return run


def name_allowed(label: str, param: str) -> LimitCheck:
    """The new object's name must follow the provider's name rule."""

    def check(params: Params, limits: Limits) -> Iterable[Finding]:
        try:
            limits.check_name(label, params[param])
        except InvalidArgument as exc:
            yield _finding(param, exc, "name.invalid")

    return check


def volume_size_allowed(params: Params, limits: Limits) -> Iterable[Finding]:
    """The size must be inside the provider's volume size range."""
    try:
        limits.check_volume_size(params["size"])
    except InvalidArgument as exc:
        yield _finding("size", exc, "value.size_range")


def lun_in_range(params: Params, limits: Limits) -> Iterable[Finding]:
    """An explicit LUN must be a whole number in the provider's LUN range."""
    if params.get("lun") is not None:
        try:
            limits.check_lun(params["lun"])
        except InvalidArgument as exc:
            yield _finding("lun", exc, "mapping.lun_range")


def initiator_count(params: Params, limits: Limits) -> Iterable[Finding]:
    """A new host must have as many initiators as the provider allows."""
    try:
        limits.check_initiator_count(params["host"], len(params["initiators"]))
    except InvalidArgument as exc:
        yield _finding("initiators", exc, "host.initiator_count")


def export_path_absolute(params: Params, limits: Limits) -> Iterable[Finding]:
    """A new export's path must be absolute."""
    if not str(params["path"]).startswith("/"):
        yield Finding(
            "path",
            f"export path {params['path']!r} is not absolute",
            "start it with /",
            "export.path",
        )


def export_options_valid(params: Params, limits: Limits) -> Iterable[Finding]:
    """Clients, flavours, ids and versions the model (and NFS) allows."""
    from ..model.nas import ExportOptions

    for param, message, hint in ExportOptions.from_dict(dict(params)).problems():
        yield Finding(param, message, hint, "export.options")


# ------------------------------------------------------------------------------- preflight
def pool_holds(element: ElementType, pool_param: str = "pool") -> Check:
    """The pool must exist (or be created by the plan) and hold this element type; a volume's
    provisioning must be one the pool offers."""

    def check(params: Params, ctx: Context) -> Iterable[Finding]:
        name = params.get(pool_param)
        if name is None:
            return
        key = Key.of(ObjectKind.POOL, name)
        pool = ctx.live(key)
        if pool is None:
            if ctx.planned(key) is None:
                yield Finding(
                    pool_param,
                    f"pool {name!r} does not exist",
                    "create it on the array, or list its disks to let storplan create it",
                    "ref.pool",
                )
            return
        if element not in pool.element_types:
            holds = ", ".join(sorted(f"{t.value}s" for t in pool.element_types)) or "nothing"
            yield Finding(
                pool_param,
                f"pool {name!r} cannot hold {element.value}s (it holds {holds})",
                f"choose a pool that holds {element.value}s",
                "pool.element_type",
            )
            return
        thin = _thin(params, ctx)
        if thin is not None:
            wanted = Provisioning.THIN if thin else Provisioning.THICK
            if wanted not in pool.provisioning:
                yield Finding(
                    "thin" if "thin" in params else pool_param,
                    f"pool {name!r} cannot hold {wanted.value} volumes",
                    f"set thin: {'false' if thin else 'true'} or use another pool",
                    "pool.provisioning",
                )

    return check


def _thin(params: Params, ctx: Context) -> bool | None:
    """Whether the volume an action puts in a pool is thin (``None``: not a volume)."""
    if "thin" in params:
        return bool(params["thin"])
    if "source" not in params:
        return None
    if params.get("kind") == "clone":
        return True
    source_key = Key.of(ObjectKind.VOLUME, params["source"])
    source = ctx.live(source_key)
    if source is not None:
        return bool(source.thin)
    planned = ctx.planned(source_key)
    return bool(planned["thin"]) if planned is not None else None


def disks_free(params: Params, ctx: Context) -> Iterable[Finding]:
    """A new pool's disks must exist on the system and belong to no pool."""
    for ref in params["disks"]:
        disk = ctx.live(Key.of(ObjectKind.DISK, ref))
        if disk is None:
            yield Finding(
                "disks",
                f"disk {ref!r} is not a disk of this system",
                "list the free disks with `storplan show disks`",
                "pool.disk",
            )
        elif disk.pool_id is not None:
            yield Finding(
                "disks",
                f"disk {ref!r} already belongs to a pool",
                "choose disks without a pool (`storplan show disks`)",
                "pool.disk",
            )


def lun_free(params: Params, ctx: Context) -> Iterable[Finding]:
    """An explicit LUN must not be held by a volume that keeps its mapping."""
    lun, host = params.get("lun"), params["host"]
    if lun is None:
        return
    holder = ctx.lun_holder(host, lun)
    if holder is None or holder == params["volume"]:
        return
    if ctx.removed(Key.of(ObjectKind.MAPPING, holder, host)):
        return
    managed = ctx.managed(Key.of(ObjectKind.VOLUME, holder))
    yield Finding(
        "lun",
        f"LUN {lun} of host {host!r} is taken by volume {holder!r}"
        + ("" if managed else ", which this manifest does not manage"),
        "choose another LUN, or unmap that volume first",
        "mapping.lun_taken",
    )


def initiators_unclaimed(params: Params, ctx: Context) -> Iterable[Finding]:
    """An initiator a host claims must not stay in a host the manifest does not manage."""
    wanted = params["initiators"] if "initiators" in params else [params["initiator"]]
    for initiator in wanted:
        holder = ctx.initiator_holder(initiator)
        if holder is None or holder == params["host"]:
            continue
        if ctx.removed(Key.of(ObjectKind.INITIATOR, holder, initiator)):
            continue
        yield Finding(
            "initiators" if "initiators" in params else "initiator",
            f"initiator {initiator} already belongs to host {holder!r}"
            + (
                ""
                if ctx.managed(Key.of(ObjectKind.HOST, holder))
                else ", which this manifest does not manage"
            ),
            "remove it from that host first, or declare that host in the manifest",
            "initiator.taken",
        )


def chap_secrets_readable(params: Params, ctx: Context) -> Iterable[Finding]:
    """Every CHAP secret the action sets must be readable now (before any change)."""
    for param in ("secret", "mutual_secret"):
        reference = params.get(param)
        if reference:
            problem = ctx.secret_problem(reference)
            if problem is not None:
                yield Finding(param, problem, "set it before running storplan", "chap.secret")


def refs_exist(*refs: tuple[ObjectKind, tuple[str, ...]]) -> Check:
    """The objects the action refers to must exist, or be created by the plan."""

    def check(params: Params, ctx: Context) -> Iterable[Finding]:
        for kind, names in refs:
            if any(params.get(n) is None for n in names):
                continue
            key = Key.of(kind, *(str(params[n]) for n in names))
            if ctx.live(key) is None and ctx.planned(key) is None:
                yield Finding(
                    names[-1],
                    f"{kind.label} {key.target!r} does not exist",
                    "declare it, or create it first",
                    "ref.missing",
                )

    return check


def when(condition: Callable[[Params], bool], check: Check) -> Check:
    """``check`` only for actions whose parameters meet ``condition``."""

    def run(params: Params, ctx: Context) -> Iterable[Finding]:
        if condition(params):
            yield from check(params, ctx)

    return run
