"""One change made by hand, run as the CLI's commands and the served API run it.

An operation outside a plan (``storplan volume delete``, ``POST .../operations/...``) keeps
the rules an apply keeps: it is refused if it would destroy an object a manifest protects
(:mod:`.protection`), it runs under the array's lock (never interleaved with an apply or with
another change of that array) and it is journalled as an apply of one step, so
``storplan journal`` lists it, ``failed`` with the error's code when the array refused.
:func:`journalled` is that sequence; :class:`Imperative` is the CLI's
:attr:`Session.around <storplan.session_base.SessionBase.around>`, which finds the objects an
operation acts on from the ids it is called with.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .catalogue.base import ArgKind, Risk, Verb
from .protection import protected_ids, refusal

if TYPE_CHECKING:
    from .catalogue.base import Operation, Params
    from .model.job import Job
    from .model.state import State
    from .session import Session
    from .state.base import StateStore

__all__ = ["Imperative", "journalled"]


def journalled(
    store: StateStore,
    call: Callable[[], Job[Any]],
    *,
    identity: str,
    array: str,
    array_key: str,
    action: str,
    command: str,
    who: str,
    judge: Callable[[], None] = lambda: None,
    lock_timeout: float = 0.0,
) -> Job[Any]:
    """Run ``call`` under the lock of array ``identity``, journalled as an apply of one step
    (``action``) of ``command`` by ``who``.  ``judge`` runs first under the lock (it refuses
    by raising): what it reads of the store, such as protect flags, cannot change before the
    call, since an apply records them under the same lock.

    Raises:
        LockHeld: an apply or another change holds the array (the message names it).
    """
    lock = store.acquire(identity, timeout=lock_timeout, command=who, label=f"array {array}")
    try:
        judge()
        journal = store.begin_apply(command, [(array, array_key)], who)
        store.attach(lock, journal)
        try:
            job = call()
        except BaseException as exc:  # an interrupt too: the journal says what became of it
            failed = isinstance(exc, Exception)
            code = getattr(exc, "code", "internal") if failed else "interrupted"
            store.step(journal, action, "failed" if failed else "unknown", code)
            store.end_apply(journal, "failed" if failed else "interrupted")
            raise
        state = "done" if job.done else "submitted"
        store.step(journal, action, state, f"job {job.id}", array_key=array_key)
        store.end_apply(journal, "ok")
        return job
    finally:
        store.release(lock)


class Imperative:
    """The rules of a change made by hand, for a session whose operations name objects by
    id (``session.around = Imperative(session, store, command, who, label)``)."""

    def __init__(
        self, session: Session, store: StateStore, command: str, who: str, label: str
    ) -> None:
        self.session = session
        self.store = store
        self.command = command  # what the journal names as the apply's source
        self.who = who
        self.label = label  # the array in messages and the journal

    def __call__(
        self, op: Operation, params: Params, live: Any, call: Callable[[], Job[Any]]
    ) -> Job[Any]:
        ids = [
            str(params[arg.params[-1]])
            for arg in op.args
            if arg.how is ArgKind.REF and params.get(arg.params[-1]) is not None
        ]
        state = self.session.observe()
        identity = self.session.provider.identity()

        def judge() -> None:
            if op.rate(params, live) is Risk.DESTRUCTIVE:
                protected = protected_ids(self.store, identity, state)
                for object_id in ids:
                    if object_id in protected:
                        raise refusal(protected[object_id])

        system = _system_of(state, ids)
        what = ",".join(_named(state, i) for i in ids)  # what it acts on, by name and id
        if op.verb is Verb.CREATE and op.kind.value in params:  # the new object, by name
            what = str(op.target(params))
        return journalled(
            self.store,
            call,
            identity=identity,
            array=self.label,
            array_key=f"{identity}#{system}",
            action=f"{self.label}/{op.name}:{what}",
            command=self.command,
            who=self.who,
            judge=judge,
        )


def _objects(state: State) -> Iterable[Any]:
    from .model.enums import Kind

    for kind in Kind:
        yield from state.of(kind)


def _named(state: State, object_id: str) -> str:
    """``name (id)`` of the object with ``object_id``, or the id."""
    for obj in _objects(state):
        if getattr(obj, "id", None) == object_id:
            name = getattr(obj, "name", None)
            return f"{name} ({object_id})" if name and name != object_id else object_id
    return object_id


def _system_of(state: State, ids: list[str]) -> str:
    """The system the objects behind ``ids`` are on (through their owners: a snapshot's
    volume, an export's file system); the only system when there is one; else ``?``."""
    if len(state.systems) == 1:
        return state.systems[0].id
    by_id = {getattr(o, "id", None): o for o in _objects(state)}
    for object_id in ids:
        obj = by_id.get(object_id)
        for _ in range(3):  # a replica -> its volume -> the system
            if obj is None:
                break
            if getattr(obj, "system_id", None):
                return str(obj.system_id)
            owner = next(
                (getattr(obj, f) for f in ("volume_id", "filesystem_id", "source_volume_id")
                 if getattr(obj, f, None)), None,
            )  # fmt: skip
            obj = by_id.get(owner)
    return "?"
