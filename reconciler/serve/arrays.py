"""The configured arrays: one long-lived session each, and sessions for plans and applies.

Reads and operations share one session per array (opened on first use, kept so that the jobs
of synchronous providers stay known to ``GET .../jobs``), one request at a time per array.
Listing reads share observations: a request that waited for the array is answered from an
observation of its kind that *started after the request arrived* (made for another request
that got the array first), so an answer is never older than its request, and a crowd of
readers costs one observation (and one JSON encoding) per turn instead of one each.
Plans and applies open their own sessions through :meth:`ArrayHub.connect_entry` and
:meth:`ArrayHub.connect_record`: the arrays a manifest or a saved plan names are the server's
configured arrays, with the server's credentials; a manifest's ``provider:`` and
``credentials:`` are replaced, a saved plan's URI must be a configured one.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import NotFound, PermissionDenied

if TYPE_CHECKING:
    from ..manifest.spec import ArraySpec, Manifest
    from ..model.enums import Kind
    from ..session import Session
    from .auth import Identity
    from .config import ArrayConfig, ServeConfig

__all__ = ["ArrayHub", "Observed", "forbidden"]


class Observed:
    """One observation of one kind, and its JSON (``to_dict`` of each), encoded once."""

    def __init__(self, started: float, objects: tuple[Any, ...]) -> None:
        self.started = started
        self.objects = objects
        self._encoded: bytes | None = None
        self._lock = threading.Lock()

    def encoded(self) -> bytes:
        """The objects as the JSON list the API answers."""
        with self._lock:
            if self._encoded is None:
                from ..model.base import to_dict

                records = [to_dict(obj) for obj in self.objects]
                self._encoded = json.dumps(records, separators=(",", ":")).encode()
            return self._encoded


def forbidden(array: str) -> PermissionDenied:
    """The one answer for an array the caller may not use (configured or not)."""
    return PermissionDenied(
        f"this token may not use array {array!r}",
        hint="create a token for it: storplan serve token create --array NAME",
    )


class ArrayHub:
    """Sessions to the arrays of one serve configuration."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self._sessions: dict[str, Session] = {}
        self._locks = {name: threading.Lock() for name in config.arrays}
        self._observed: dict[tuple[str, Kind], Observed] = {}

    def visible(self, identity: Identity) -> list[ArrayConfig]:
        """The configured arrays ``identity`` may use, by name."""
        return [a for n, a in sorted(self.config.arrays.items()) if identity.sees(n)]

    def entry(self, name: str, identity: Identity) -> ArrayConfig:
        """The configured array ``name``, if ``identity`` may use it.

        Raises:
            PermissionDenied: the token does not name it (whether configured or not).
            NotFound: the token names it but the server does not configure it.
        """
        if not identity.sees(name):
            raise forbidden(name)
        found = self.config.array(name)
        if found is None:
            raise NotFound(
                f"array {name!r} is not configured on this server",
                hint="add it under arrays: in serve.yaml",
            )
        return found

    @contextmanager
    def session(self, name: str, identity: Identity) -> Iterator[Session]:
        """The shared session of array ``name``, held for the caller alone."""
        entry = self.entry(name, identity)
        with self._locks[name]:
            yield self._session(entry)

    def _session(self, entry: ArrayConfig) -> Session:
        session = self._sessions.get(entry.name)
        if session is None:
            session = _connect(entry)
            self._sessions[entry.name] = session
        return session

    def observed(self, name: str, identity: Identity, kind: Kind) -> Observed:
        """The objects of ``kind`` from an observation that started after this call."""
        arrived = time.monotonic()
        entry = self.entry(name, identity)
        with self._locks[name]:
            last = self._observed.get((name, kind))
            if last is not None and last.started >= arrived:
                return last
            started = time.monotonic()
            objects = self._session(entry).objects(kind)
            last = Observed(started, objects)
            self._observed[(name, kind)] = last
            return last

    def close(self) -> None:
        """Close every shared session."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()

    def manifest_for(self, manifest: Manifest, identity: Identity) -> Manifest:
        """``manifest`` with each entry's provider and credentials the server's own.

        Raises:
            PermissionDenied, NotFound: an entry names an array the caller may not use.
        """
        arrays = []
        for spec in manifest.arrays:
            entry = self.entry(spec.name, identity)
            arrays.append(dataclasses.replace(spec, provider=entry.uri, credentials=None))
        return dataclasses.replace(manifest, arrays=tuple(arrays))

    def connect_entry(self, spec: ArraySpec) -> Session:
        """A new session for a manifest entry (made by :meth:`manifest_for`)."""
        entry = self.config.array(spec.name)
        if entry is None:  # manifest_for let only configured arrays through
            raise forbidden(spec.name)
        return _connect(entry)

    def record_entry(self, uri: str, identity: Identity) -> ArrayConfig:
        """The configured array a saved plan's URI names, if ``identity`` may use it."""
        entry = self.config.array_by_uri(uri)
        if entry is None or not identity.sees(entry.name):
            raise PermissionDenied(
                "the plan names an array this token may not use (or that this server does "
                "not configure)",
                hint="make the plan with POST /plans on this server",
            )
        return entry

    def connect_record(self, uri: str, _credentials: Any) -> Session:
        """A new session for a saved plan's array (the plan's credentials are ignored)."""
        entry = self.config.array_by_uri(uri)
        if entry is None:
            raise forbidden(uri)
        return _connect(entry)


def _connect(entry: ArrayConfig) -> Session:
    from ..session import connect

    return connect(entry.uri, credentials=entry.credentials)
