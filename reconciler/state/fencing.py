"""Fencing tokens and lock holders: what both state-store backends share about locks.

Every lock grant gets a token larger than any earlier grant's.  A store remembers the grants
it holds (:class:`Fence`); each journal and ownership write checks, inside its own
transaction, that the lock of the array it concerns still carries this process's token.  A
process that was paused (SIGSTOP, a long pause, a network partition) while its lock was
removed and granted to another apply finds a newer token and is refused with
:class:`~storplan.errors.LockLost`, so it can never write after the other apply started.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

from ..errors import LockHeld, LockLost
from .base import Lock, LockInfo

__all__ = ["Fence", "alive", "held_error", "host_name", "lost_error", "new_id", "unlock_note"]


class Fence:
    """The locks one store instance holds, by lock key (thread-safe)."""

    def __init__(self) -> None:
        self._held: dict[str, Lock] = {}
        self._mutex = threading.Lock()

    def granted(self, lock: Lock) -> None:
        """Remember a grant."""
        with self._mutex:
            self._held[lock.lock_key] = lock

    def released(self, lock: Lock) -> None:
        """Forget a grant (given back, or removed)."""
        with self._mutex:
            if self._held.get(lock.lock_key) == lock:
                del self._held[lock.lock_key]

    def holds(self, lock_key: str) -> bool:
        """True if this store holds the lock of ``lock_key``."""
        with self._mutex:
            return lock_key in self._held

    def held(self) -> list[Lock]:
        """Every grant held now."""
        with self._mutex:
            return list(self._held.values())

    def covering(self, array_key: str) -> list[Lock]:
        """The grants a write about ``array_key`` (``identity#system``) must still hold: the
        lock of its identity, or every grant when the write names no array (an apply's own
        rows)."""
        with self._mutex:
            if not array_key:
                return list(self._held.values())
            return [
                lock
                for key, lock in self._held.items()
                if array_key == key or array_key.startswith(key + "#")
            ]

    @staticmethod
    def check(lock: Lock, current: int | None, location: str) -> None:
        """Raise :class:`LockLost` unless the lock's current token (``None``: no lock) is the
        one this process was granted."""
        if current != lock.token:
            raise lost_error(lock, location, current)

    def check_all(self, locks: Iterable[Lock], tokens: dict[str, int], location: str) -> None:
        """:meth:`check` each of ``locks`` against ``tokens`` (lock key -> current token)."""
        for lock in locks:
            self.check(lock, tokens.get(lock.lock_key), location)


def lost_error(lock: Lock, location: str, current: int | None) -> LockLost:
    """The error of a write whose lock is gone or was granted again."""
    why = (
        "it was removed (storplan unlock) or its database session ended"
        if current is None
        else f"it was granted to another apply (token {current}, this apply holds {lock.token})"
    )
    return LockLost(
        f"state store {location}: this apply no longer holds the lock of {lock.lock_key}: "
        f"{why}; its write was refused",
        hint="nothing more is written by this apply; check `storplan journal` and run "
        "storplan apply again once the other apply is done",
    )


def held_error(label: str, holder: LockInfo, extra: str = "") -> LockHeld:
    """The error of a lock another apply holds, naming that holder (never the requester)."""
    taken = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(holder.acquired_at))
    plan = f", plan {holder.plan}" if holder.plan else ""
    return LockHeld(
        f"{label or holder.lock_key} is locked by pid {holder.pid} on {holder.host} "
        f"({holder.command or 'an apply'}; lock {holder.lock_id}, taken {taken}{plan}{extra})",
        hint="wait for it, pass --lock-timeout SECONDS, or if that apply is gone: "
        f"storplan unlock {holder.lock_id}",
    )


def alive(pid: int) -> bool:
    """True if a process with this id runs on this host (or may: not ours to signal)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


def host_name() -> str:
    """This host's name, as lock holders and journal entries record it."""
    import socket  # only when a lock is taken or an apply begins: plan and show never need it

    return socket.gethostname()


def new_id(length: int) -> str:
    """A random hexadecimal id of ``length`` digits (apply and lock ids; no uuid import)."""
    return os.urandom((length + 1) // 2).hex()[:length]


def unlock_note(lock_id: str, session: int) -> str:
    """The journal step ``storplan unlock`` leaves in the holder's apply."""
    ended = f"; its database session {session} was terminated" if session else ""
    return f"lock {lock_id} removed by storplan unlock (pid {os.getpid()} on {host_name()}){ended}"
