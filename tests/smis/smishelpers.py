"""Helpers the smis tests share (a module of its own: ``conftest`` is not importable by name
when the test tree has several conftest files)."""

from __future__ import annotations

from typing import Any

from mockarray.array import MockArray
from storplan.credentials import Secret
from storplan.providers.smis import SmisProvider
from storplan.uri import ProviderURI, parse_uri

__all__ = ["PASSWORD", "URI", "connect", "thin_pool"]

PASSWORD = "s3cr3t-Pa55w0rd-never-logged"
URI = "smis+https://admin@array.example.com:5989/"


def connect(array: MockArray, uri: str | ProviderURI = URI, password: str = PASSWORD) -> Any:
    """A provider connected to ``array`` through an injected connection."""
    parsed = parse_uri(uri) if isinstance(uri, str) else uri
    return SmisProvider(parsed, Secret(password), connection_factory=lambda _o, _p: array.conn)


def thin_pool(pools: Any) -> Any:
    """The first pool that can hold thin volumes (the mock has one per flavour)."""
    return next(p for p in pools if p.oversubscription_limit is not None)
