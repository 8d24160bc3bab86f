"""What planning remembers from earlier applies: ownership, protection, applied CHAP secrets.

The planner reads the state store only through a :class:`Memory`: which objects storplan owns
on an array (keyed by the array's identity and system; an older store's URI-text keys are read
too until an apply adopts them), and whether a CHAP secret differs from the one storplan last
applied (a keyed digest is kept, never the secret: a rotated secret is a change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .builder import Ownership

if TYPE_CHECKING:
    from ..credentials import Secret, SecretRef
    from ..state import StateStore

__all__ = ["EMPTY", "Memory", "StoreMemory", "secret_digest"]


class Memory(Protocol):
    """The state-store facts a plan depends on."""

    def owned(self, array_key: str, legacy_key: str = "") -> dict[str, Ownership]:
        """Objects storplan owns on an array (``legacy_key``: the URI-text key an older
        storplan used for it)."""

    def secret_changed(self, array_key: str, initiator: str, reference: SecretRef) -> bool:
        """True if the secret ``reference`` names now differs from the one storplan last set
        for ``initiator`` (``host/identifier``); False when it cannot tell."""


def secret_digest(key: bytes, secret: Secret) -> str:
    """The keyed digest storplan keeps of an applied secret (HMAC-SHA-256)."""
    import hashlib  # only for CHAP settings: a plan without them never loads OpenSSL
    import hmac

    return hmac.new(key, secret.reveal().encode(), hashlib.sha256).hexdigest()


class StoreMemory:
    """A :class:`Memory` read from a state store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def owned(self, array_key: str, legacy_key: str = "") -> dict[str, Ownership]:
        found = self.store.owned(array_key)
        if not found and legacy_key:
            found = self.store.owned(legacy_key)
        return {k: Ownership(k, p) for k, p in found.items()}

    def secret_changed(self, array_key: str, initiator: str, reference: SecretRef) -> bool:
        if reference.prompt:
            return False  # reading it would prompt during a dry run
        stored = self.store.chap_digest(array_key, initiator)
        key = self.store.secret_key(create=False)
        if stored is None or key is None:
            return False
        from ..errors import StorplanError

        try:
            secret = reference.read("CHAP secret")
        except StorplanError:
            return False  # preflight reports a secret that cannot be read, where it is named
        import hmac

        return not hmac.compare_digest(stored, secret_digest(key, secret))


class _Empty:
    def owned(self, array_key: str, legacy_key: str = "") -> dict[str, Ownership]:
        return {}

    def secret_changed(self, array_key: str, initiator: str, reference: SecretRef) -> bool:
        return False


EMPTY: Memory = _Empty()
"""The memory of a store that has never applied anything."""
