"""Keeping secrets out of diagnostics.

A secret pasted where a reference belongs (``env: 'My-Pa55!'`` instead of a variable's name,
``prompt: My-Pa55!`` instead of ``true``) fails validation, and a message that quotes the value
would print it.  So no message quotes a value that stands under a secret-bearing key
(``credentials``, ``chap``, ``secret``, ``password``, ``mutual``, ``token`` ...) unless it is
``true``, ``false`` or null, and the user-info of anything URI-like (``user:password@``) is
never quoted at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..uri import hide_userinfo

__all__ = ["HIDDEN", "hide_userinfo", "is_secret_path", "shown"]

HIDDEN = "the value (not shown: it may be a secret)"
# Parts of key names that mark what is under them as secret (compared in lower case).
_SECRET_WORDS: tuple[str, ...] = ("credential", "password", "passwd", "passphrase", "secret")
_SECRET_WORDS += ("chap", "mutual", "token", "apikey", "api_key", "private")


def is_secret_path(path: tuple[Any, ...]) -> bool:
    """True if a key on ``path`` marks what is under it as secret."""
    return any(
        isinstance(step, str) and any(word in step.lower() for word in _SECRET_WORDS)
        for step in path
    )


def shown(value: Any, path: tuple[Any, ...], spell: Callable[[Any], str] = repr) -> str:
    """How a message may quote ``value`` found at ``path`` (written by ``spell``)."""
    if is_secret_path(path) and not (value is None or isinstance(value, bool)):
        return HIDDEN
    if isinstance(value, str):
        return spell(hide_userinfo(value))
    return spell(value)
