"""Where the state store is: ``--state`` > ``$STORPLAN_STATE`` > ``.storplan.yaml`` > default.

``.storplan.yaml`` sits next to the manifests (the directory of the first manifest path, or
the current directory) so that every machine working on one repository of manifests finds
the same shared store::

    state:
      url: postgresql://storplan@db.example.com/storplan   # never with a password
      password: {env: STORPLAN_DB_PASSWORD}   # or {file: /path/0600} or {prompt: true}
      sslmode: verify-full                    # the default for a host that is not local
      sslrootcert: /etc/storplan/db-ca.pem    # also sslcert, sslkey (client certificates)
      schema: storplan                        # PostgreSQL schema of the tables
      session_timeout: 60                     # seconds a silent lock holder keeps its lock

Without a password source libpq's own ``PGPASSWORD`` and ``~/.pgpass`` still apply.
Every command resolves the store through :func:`resolve` (and :func:`storplan.state.open_store`
takes what it returns), so none of them can disagree about where the state is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..credentials import SecretRef
from ..errors import InvalidArgument, StateStoreError

__all__ = ["CONFIG_NAME", "StateConfig", "find_config", "resolve"]

CONFIG_NAME = ".storplan.yaml"
_KEYS = {"url", "password", "sslmode", "sslrootcert", "sslcert", "sslkey", "schema"}
_KEYS |= {"session_timeout"}


@dataclass(frozen=True, slots=True)
class StateConfig:
    """A resolved state store location with its connection settings (no secret values)."""

    location: str
    """A path, ``sqlite:PATH`` or ``postgresql://user@host[:port]/db``."""
    source: str = "default"
    """Where the location came from: ``--state``, ``$STORPLAN_STATE``, a config file, or
    ``default``."""
    password: SecretRef | None = None
    tls: dict[str, str] = field(default_factory=dict)
    """libpq TLS settings: ``sslmode``, ``sslrootcert``, ``sslcert``, ``sslkey``."""
    schema: str = "storplan"
    session_timeout: float = 60.0


def find_config(paths: Sequence[str] = ()) -> str | None:
    """The ``.storplan.yaml`` next to the first manifest path (a file's directory, or the
    directory itself), else in the current directory; ``None`` if there is none."""
    places = []
    if paths:
        first = paths[0]
        places.append(first if os.path.isdir(first) else os.path.dirname(first) or ".")
    places.append(".")
    for place in places:
        candidate = os.path.join(place, CONFIG_NAME)
        if os.path.isfile(candidate):
            return candidate
    return None


def resolve(state: str | None = None, paths: Sequence[str] = ()) -> StateConfig:
    """The state store a command uses: ``state`` (``--state``), else ``$STORPLAN_STATE``,
    else the ``state:`` block of :func:`find_config`, else the default SQLite file.  The
    config file's connection settings (password source, TLS, schema) apply to whichever
    PostgreSQL location is chosen.

    Raises:
        StateStoreError: the config file cannot be read or its ``state:`` block is invalid.
    """
    found = find_config(paths)
    settings = _read(found) if found else {}
    origin = str(found)
    if state:
        return _config(state, "--state", settings, origin)
    if os.environ.get("STORPLAN_STATE"):
        return _config(os.environ["STORPLAN_STATE"], "$STORPLAN_STATE", settings, origin)
    if settings.get("url"):
        return _config(str(settings["url"]), origin, settings, origin)
    from . import default_location

    return StateConfig(default_location())


def _config(location: str, source: str, settings: dict[str, Any], origin: str) -> StateConfig:
    password = None
    if settings.get("password") is not None:
        try:
            password = SecretRef.from_dict(settings["password"])
        except InvalidArgument as exc:
            raise StateStoreError(
                f"{origin}: state.password: {exc.message}", hint=exc.hint
            ) from None
    tls: dict[str, str] = {}
    for name in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if name in settings:
            tls[name] = str(settings[name])
    timeout = settings.get("session_timeout", 60)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise StateStoreError(
            f"{origin}: state.session_timeout: {timeout!r} is not a number of seconds > 0",
            hint="write e.g. session_timeout: 60",
        )
    schema = str(settings.get("schema", "storplan"))
    return StateConfig(location, source, password, tls, schema, float(timeout))


def _read(path: str) -> dict[str, Any]:
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise StateStoreError(
            f"{path}: cannot be read ({exc})", hint=f"fix or remove {path}"
        ) from None
    block = document.get("state") if isinstance(document, dict) else None
    if block is None:
        return {}
    if not isinstance(block, dict):
        raise StateStoreError(f"{path}: state: must be a mapping", hint="see docs/plan-apply.md")
    unknown = sorted(set(map(str, block)) - _KEYS)
    if unknown:
        raise StateStoreError(
            f"{path}: state: unknown setting(s) {', '.join(unknown)}",
            hint="known: " + ", ".join(sorted(_KEYS)),
        )
    return {str(k): v for k, v in block.items()}
