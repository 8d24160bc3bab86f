"""Secrets and where they come from.

Passwords and CHAP secrets never come from a URI, a manifest value or a command-line argument:
only from an environment variable, a file that only its owner can read, or an interactive
prompt.  Inside storplan they travel as :class:`Secret`, whose ``repr``/``str`` is ``***``, so
they cannot leak into logs, plans, tracebacks or error messages by accident.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass

from .errors import InvalidArgument, NotFound, PermissionDenied

__all__ = ["Secret", "SecretSource", "read_secret"]


class Secret:
    """A secret value that renders as ``***``; call :meth:`reveal` where the value is needed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself; pass it straight to the library that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True)
class SecretSource:
    """Where to read a secret from: exactly one of an env var, a file, or a prompt."""

    env: str | None = None
    file: str | None = None
    prompt: str | None = None

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the value)."""
        if self.env:
            return f"environment variable {self.env}"
        if self.file:
            return f"file {self.file}"
        return "interactive prompt"


def read_secret(source: SecretSource) -> Secret:
    """Read a secret from its source.

    Raises:
        InvalidArgument: no source, or more than one, was given.
        NotFound: the environment variable is unset or the file is missing.
        PermissionDenied: the file is readable by its group or by others.
    """
    given = [v for v in (source.env, source.file, source.prompt) if v]
    if len(given) != 1:
        raise InvalidArgument(
            "give exactly one secret source: an environment variable, a file or a prompt"
        )
    if source.env:
        value = os.environ.get(source.env)
        if value is None:
            raise NotFound(
                f"environment variable {source.env} is not set",
                hint=f"export {source.env}=... before running storplan",
            )
        return Secret(value)
    if source.file:
        return Secret(_read_private_file(source.file))
    if not sys.stdin.isatty():
        raise InvalidArgument(
            "a password prompt needs a terminal",
            hint="use an environment variable or a 0600 file instead",
        )
    import getpass

    return Secret(getpass.getpass(f"{source.prompt}: "))


def _read_private_file(path: str) -> str:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise NotFound(f"secret file {path} does not exist") from None
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionDenied(
            f"secret file {path} is accessible by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):04o})",
            hint=f"chmod 600 {path}",
        )
    with open(path, encoding="utf-8") as handle:
        return handle.read().rstrip("\r\n")
