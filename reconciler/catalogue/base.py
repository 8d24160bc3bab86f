"""What an operation is: the fields of a catalogue entry and the vocabulary they use.

An :class:`Operation` says everything the core needs to know about one provider operation:
its name (the provider method and the plan's ``operation``), the kind of object it acts on,
its verb and risk, where it ranks when actions are ordered, its parameters, the capabilities
it needs (as a function of the parameters and the live object), the checks it makes before
anything runs, how the provider is called, how its result is learned and how its effect is
verified afterwards.  The entries themselves are in :mod:`.block` and :mod:`.nas`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from ..keys import Key, ObjectKind
from ..model.enums import Capability

if TYPE_CHECKING:
    from ..model.capabilities import Limits

__all__ = [
    "Arg",
    "ArgKind",
    "Check",
    "Context",
    "Finding",
    "Learn",
    "Operation",
    "Param",
    "Params",
    "Risk",
    "Verb",
]

Params = Mapping[str, Any]
"""An action's parameters: JSON-ready, naming objects by name."""


class Verb(StrEnum):
    """What an operation does to its object (the plan's ``+ ~ -``)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Risk(StrEnum):
    """How much an action can hurt.

    ``safe`` changes nothing hosts depend on; ``disruptive`` takes access away (unmapping,
    removing an initiator, narrowing an export) but loses no data; ``destructive`` loses data
    (deleting, shrinking, restoring over data).
    """

    SAFE = "safe"
    DISRUPTIVE = "disruptive"
    DESTRUCTIVE = "destructive"


class Learn(StrEnum):
    """What a successful operation teaches the name index of the apply that ran it."""

    NOTHING = "nothing"
    RESULT = "result"  # the job's result is the object behind the target key
    FORGET = "forget"  # the target no longer exists
    RENAME = "rename"  # the result moved from the ``previous`` key to the target key
    REPLICA = "replica"  # the result is a replica; its target volume now has the new name


class ArgKind(StrEnum):
    """How one argument of the provider call is made from the parameters."""

    SYSTEM = "system"  # the id of the system the array entry manages
    REF = "ref"  # the id of the object the named parameters identify
    VALUE = "value"  # the parameter as it is
    DISKS = "disks"  # disk ids from disk names or ids
    INITIATOR = "initiator"  # an Initiator from its identifier
    INITIATORS = "initiators"  # Initiators from identifiers
    CHAP = "chap"  # ChapCredentials from user and secret references (None: clear)
    OPTIONS = "options"  # ExportOptions from the option parameters
    REPLICA_KIND = "replica_kind"  # a ReplicaKind from its name


@dataclass(frozen=True, slots=True)
class Arg:
    """One positional argument of the provider method, made from parameters ``params``."""

    how: ArgKind
    params: tuple[str, ...] = ()
    kind: ObjectKind | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter of an action: its name and the JSON type(s) it may have."""

    name: str
    type: type | tuple[type, ...]
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    """Why an action cannot run: the parameter it concerns (``""``: the action), a message,
    a hint and a stable code."""

    param: str
    message: str
    hint: str = ""
    code: str = "preflight"


class Context(Protocol):
    """What a preflight check may ask about the array and the rest of the plan."""

    @property
    def limits(self) -> Limits: ...

    def live(self, key: Key) -> Any:
        """The observed object behind ``key``, or ``None``."""

    def planned(self, key: Key) -> Params | None:
        """The parameters of the action of this plan that creates ``key``, if any."""

    def managed(self, key: Key) -> bool:
        """True if the manifest declares the object."""

    def removed(self, key: Key) -> bool:
        """True if an action of this plan removes the object or relation behind ``key``."""

    def lun_holder(self, host: str, lun: int) -> str | None:
        """The name of the volume mapped to ``host`` at ``lun`` now, if any."""

    def initiator_holder(self, initiator: str) -> str | None:
        """The name of the host holding ``initiator`` now, if any."""

    def secret_problem(self, reference: Params) -> str | None:
        """Why the secret a reference names cannot be read now, or ``None``."""


Check = Callable[[Params, Context], Iterable[Finding]]
"""A preflight check of one action against the live state and the rest of the plan."""
Needs = Callable[[Params, Any], Iterable[Capability]]
Rate = Callable[[Params, Any], Risk]
Settled = Callable[[Params, Callable[[Key], Any]], bool]
LimitCheck = Callable[[Params, "Limits"], Iterable[Finding]]


def _no_findings(_params: Params, _limits: Any) -> Iterable[Finding]:
    return ()


@dataclass(frozen=True, slots=True)
class Operation:
    """One catalogue entry (see the module docstring)."""

    name: str
    kind: ObjectKind
    verb: Verb
    rank: int
    summary: str
    params: tuple[Param, ...]
    args: tuple[Arg, ...]
    target: Callable[[Params], Key]
    needs: Needs
    risk: Rate
    settled: Settled
    learn: Learn = Learn.NOTHING
    previous: Callable[[Params], Key] | None = None
    limit_checks: LimitCheck = _no_findings
    checks: tuple[Check, ...] = ()
    owns: bool = False
    """True when success creates (or, for a delete, ends) an object storplan records as owned."""

    def __str__(self) -> str:
        return self.name

    def capabilities(self, params: Params, live: Any = None) -> tuple[Capability, ...]:
        """The capabilities this action needs (its parameters, and the live object, included)."""
        return tuple(dict.fromkeys(self.needs(params, live)))

    def rate(self, params: Params, live: Any = None) -> Risk:
        """The risk of this action against the live object it changes."""
        return self.risk(params, live)

    @property
    def fixed_risk(self) -> Risk | None:
        """The operation's risk when it does not depend on parameters or live state."""
        fixed: Risk | None = getattr(self.risk, "fixed", None)
        return fixed

    @property
    def may_hurt(self) -> bool:
        """True unless the operation is always safe (the CLI asks for confirmation)."""
        return self.fixed_risk is not Risk.SAFE

    def check_limits(self, params: Params, limits: Limits) -> list[Finding]:
        """Problems the provider's declared limits (and the model's rules) find in the
        parameters."""
        return list(self.limit_checks(params, limits))

    def check_params(self, params: Any) -> list[str]:
        """Problems with the shape of ``params`` (a saved plan is data from a file)."""
        if not isinstance(params, dict):
            return ["params is not a mapping"]
        declared = {p.name for p in self.params}
        problems = [f"unknown parameter {name!r}" for name in sorted(set(params) - declared)]
        for param in self.params:
            if param.name not in params:
                if not param.optional:
                    problems.append(f"parameter {param.name!r} is missing")
                continue
            value = params[param.name]
            if value is None and param.optional:
                continue
            wanted = param.type if isinstance(param.type, tuple) else (param.type,)
            if isinstance(value, bool) and bool not in wanted:
                problems.append(f"parameter {param.name!r} must not be true or false")
            elif not isinstance(value, wanted):
                problems.append(f"parameter {param.name!r} has the wrong type")
        return problems


def fixed(*capabilities: Capability) -> Needs:
    """Needs that do not depend on the parameters."""
    return lambda _params, _live: capabilities


def always(risk: Risk) -> Rate:
    """A risk that does not depend on the parameters."""

    def rate(_params: Params, _live: Any) -> Risk:
        return risk

    rate.fixed = risk  # type: ignore[attr-defined]  # read by Operation.fixed_risk
    return rate


def key_of(kind: ObjectKind, *names: str) -> Callable[[Params], Key]:
    """The target key built from the named parameters."""
    return lambda params: Key.of(kind, *(str(params[n]) for n in names))


def exists(params_key: Callable[[Params], Key]) -> Settled:
    """Settled when the target exists."""
    return lambda params, live: live(params_key(params)) is not None


def gone(params_key: Callable[[Params], Key]) -> Settled:
    """Settled when the target no longer exists."""
    return lambda params, live: live(params_key(params)) is None
