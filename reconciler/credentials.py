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
from typing import Any

from .errors import InvalidArgument, NotFound, PermissionDenied, StorplanError

__all__ = ["Secret", "SecretRef", "SecretSource", "read_secret"]


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


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A reference to a secret, as manifests and plans hold it (never the value): exactly one
    of an environment variable, a 0600 file, or an interactive prompt."""

    env: str | None = None
    file: str | None = None
    prompt: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON form plans keep: ``{"env": NAME}``, ``{"file": PATH}`` or
        ``{"prompt": true}``."""
        if self.env:
            return {"env": self.env}
        if self.file:
            return {"file": self.file}
        return {"prompt": True}

    @classmethod
    def from_dict(cls, data: Any) -> SecretRef:
        """Inverse of :meth:`to_dict`.

        Raises:
            InvalidArgument: not exactly one well-formed source (e.g. a damaged saved plan).
        """
        if not isinstance(data, dict) or set(data) - {"env", "file", "prompt"}:
            raise InvalidArgument(
                "a secret reference is {env: NAME}, {file: PATH} or {prompt: true}"
            )
        ref = cls(data.get("env"), data.get("file"), data.get("prompt") is True)
        given = [v for v in (ref.env, ref.file, ref.prompt) if v]
        kinds_ok = all(isinstance(data.get(k), str) for k in ("env", "file") if k in data)
        if len(given) != 1 or not kinds_ok:
            raise InvalidArgument("a secret reference names exactly one source")
        return ref

    def source(self, label: str) -> SecretSource:
        """The :class:`SecretSource` to read it from (``label`` is the prompt's text)."""
        return SecretSource(env=self.env, file=self.file, prompt=label if self.prompt else None)

    def read(self, label: str = "Password") -> Secret:
        """The secret (see :func:`read_secret`)."""
        return read_secret(self.source(label))

    def problem(self) -> str | None:
        """Why the secret cannot be read right now, without prompting (``None``: it can)."""
        if self.prompt:
            return None if sys.stdin.isatty() else "a prompt for the secret needs a terminal"
        try:
            read_secret(self.source(""))
        except StorplanError as exc:
            return exc.message
        return None

    def describe(self) -> str:
        """Where the secret comes from, for messages (never the value)."""
        return self.source("").describe()


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
