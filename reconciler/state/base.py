"""What a state store keeps and promises, whatever holds it (an SQLite file, a database server).

Live state is the source of truth; a state store keeps only:

* **ownership** — which objects storplan created on which array (keyed by the array's own
  identity and system, never by a URI's text), and whether the manifest protected them, so
  pruning never touches what storplan did not create and remembers protection;
* **the journal** — every apply, the arrays it concerned, each step with its true outcome, and
  the apply's final status (``ok``, ``failed``, ``interrupted``, ``abandoned``);
* **locks** — one per array identity, so two applies of one array never interleave; a lock
  whose holder died is taken over and the holder's apply marked ``abandoned``;
* **keys** — the secret that signs saved plans and keys the digests of applied CHAP secrets
  (so a rotated secret is seen as a change without ever being stored).

A step and the ownership change it makes are written in one transaction: a process killed at
any point leaves either both or neither.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ABANDONED",
    "FAILED",
    "INTERRUPTED",
    "OK",
    "RUNNING",
    "ApplyRecord",
    "Lock",
    "LockInfo",
    "Ownership",
    "StateStore",
    "Step",
    "Unfinished",
]

RUNNING, OK, FAILED, INTERRUPTED, ABANDONED = "running", "ok", "failed", "interrupted", "abandoned"
"""An apply's status: running; ok (applied and verified); failed (an action failed, the arrays
did not converge, or an error stopped it); interrupted (Ctrl-C or SIGTERM); abandoned (its
process died holding the lock; the next apply of the array found it)."""


@dataclass(frozen=True, slots=True)
class Ownership:
    """An ownership change written with a journal step: ``add`` or ``forget`` ``key``, or
    ``rename`` ``key`` to ``new``."""

    change: str
    key: str
    new: str = ""


@dataclass(frozen=True, slots=True)
class LockInfo:
    """Who holds the lock of an array identity."""

    lock_key: str
    lock_id: str
    pid: int
    host: str
    acquired_at: float
    apply_id: str = ""
    command: str = ""
    plan: str = ""
    """The digest of the plan its apply runs (:meth:`storplan.plan.Plan.digest`)."""


@dataclass(frozen=True, slots=True)
class Lock:
    """A lock this process holds; ``token`` grows with every grant (fencing)."""

    lock_key: str
    lock_id: str
    token: int


@dataclass(frozen=True, slots=True)
class ApplyRecord:
    """One apply of the journal."""

    id: str
    started_at: float
    finished_at: float | None
    status: str
    manifest: str
    arrays: tuple[str, ...] = ()
    host: str = ""
    pid: int = 0
    command: str = ""


@dataclass(frozen=True, slots=True)
class Unfinished:
    """A create an abandoned apply started and never recorded the outcome of."""

    apply_id: str
    action_id: str
    key: str


@dataclass(frozen=True, slots=True)
class Step:
    """One journal step: an action's state at a moment (``started``, ``submitted``, ``done``,
    ``failed``, ``not attempted``, ``interrupted``, ``unknown``)."""

    seq: int
    at: float
    action: str
    state: str
    message: str


class StateStore(ABC):
    """The interface every state store implements (see the module docstring)."""

    location: str
    """Where the store is, for messages (a path; never a password)."""
    read_only: bool
    """True when opened for reading only (``plan``, ``journal``): writes raise."""

    # -------------------------------------------------------------------- ownership
    @abstractmethod
    def owned(self, array_key: str) -> dict[str, bool]:
        """Keys storplan owns on an array (identity#system), with their protect flag."""

    @abstractmethod
    def record_owned(self, array_key: str, key: str, protect: bool = False) -> None:
        """Record ``key`` as owned (keeping its protect flag if it was recorded)."""

    @abstractmethod
    def forget_owned(self, array_key: str, key: str) -> None:
        """Forget an owned object (it was deleted)."""

    @abstractmethod
    def set_protected(self, array_key: str, protected: Iterable[str]) -> None:
        """Make the protect flags of owned objects match ``protected``."""

    @abstractmethod
    def adopt_legacy(self, legacy_key: str, array_key: str) -> int:
        """Move ownership recorded under a URI-text key of an older storplan to the array's
        identity key (only when the identity has none yet); returns how many moved."""

    # -------------------------------------------------------------------- journal
    @abstractmethod
    def begin_apply(self, manifest: str, arrays: Sequence[tuple[str, str]], command: str) -> str:
        """Start an apply of ``arrays`` (name, array key); returns its id."""

    @abstractmethod
    def step(
        self,
        apply_id: str,
        action_id: str,
        state: str,
        message: str = "",
        *,
        array_key: str = "",
        ownership: Ownership | None = None,
        owns: str = "",
    ) -> None:
        """Append one step, and the ownership change it makes, in one transaction.

        ``owns`` (on ``started``) is the key the action would own if it succeeds: a process
        killed before it records the outcome leaves that trace for the next apply.
        """

    @abstractmethod
    def end_apply(self, apply_id: str, status: str) -> None:
        """Record an apply's final status."""

    @abstractmethod
    def applies(self, limit: int = 20) -> list[ApplyRecord]:
        """The most recent applies, newest first."""

    @abstractmethod
    def steps(self, apply_id: str) -> list[Step]:
        """Every step of one apply, in order.

        Raises:
            NotFound: no such apply.
        """

    @abstractmethod
    def unfinished_creates(self, array_key: str) -> list[Unfinished]:
        """Creates of abandoned applies of this array whose outcome was never recorded: the
        next apply reconciles their ownership with the live state."""

    def settle_unfinished(self, unfinished: Unfinished, outcome: str) -> None:
        """Record (as a step of the abandoned apply) what the next apply found."""
        self.step(unfinished.apply_id, unfinished.action_id, "unknown", outcome)

    # -------------------------------------------------------------------- locks
    @abstractmethod
    def acquire(
        self, lock_key: str, *, timeout: float = 0.0, command: str = "", label: str = ""
    ) -> Lock:
        """Take the lock of an array identity, waiting up to ``timeout`` seconds; a dead
        holder's lock is taken over and its apply marked ``abandoned``.  ``label`` names the
        array in the message (its manifest name and URI).

        Raises:
            LockHeld: another live apply holds it (the message names the holder).
        """

    @abstractmethod
    def attach(self, lock: Lock, apply_id: str, plan: str = "") -> None:
        """Record which apply holds ``lock``, and the digest of the plan it runs."""

    @abstractmethod
    def release(self, lock: Lock) -> None:
        """Give a lock back."""

    @abstractmethod
    def unlock(self, lock_id: str, *, terminate: bool = False) -> str:
        """Remove a lock by id (manual recovery; the holder's apply is marked abandoned and
        the removal journalled in it); returns the array identity it locked.  ``terminate``
        (PostgreSQL) first ends the holder's live database session, which frees its lock.

        Raises:
            NotFound: no such lock.
            StateStoreError: the holder is alive and cannot be stopped this way.
        """

    @abstractmethod
    def locks(self) -> list[LockInfo]:
        """Every lock held now."""

    # -------------------------------------------------------------------- keys
    @abstractmethod
    def secret_key(self, *, create: bool) -> bytes | None:
        """The store's secret key (signs saved plans, keys CHAP digests); created when asked
        and missing; ``None`` if missing and not created."""

    @abstractmethod
    def chap_digest(self, array_key: str, initiator: str) -> str | None:
        """The keyed digest of the CHAP secret storplan last set for an initiator key."""

    @abstractmethod
    def record_chap_digest(self, array_key: str, initiator: str, digest: str) -> None:
        """Remember the keyed digest of the CHAP secret just set."""

    # -------------------------------------------------------------------- migration
    @abstractmethod
    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every record but the locks, by table (:data:`.migrate.COLUMNS`); empty when the
        store does not exist yet."""

    @abstractmethod
    def load(self, records: dict[str, list[tuple[Any, ...]]]) -> None:
        """Insert records :meth:`dump` returned, in one transaction (the store is empty)."""

    @abstractmethod
    def close(self) -> None:
        """Release the store."""

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()
