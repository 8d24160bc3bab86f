"""Fixtures of the smis provider tests: a mock SMI-S array per test (both vendor flavours),
the provider connected to it through an injected connection, and a Session over it.

The ``array`` fixture overrides the conformance kit's, so the kit's suite (imported in
``test_smis_conformance.py``) runs against the mock array through this provider.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mockarray import FLAVOURS, build_array
from mockarray.array import MockArray
from smishelpers import URI, connect
from storplan.conformance.plugin import remove_leftovers
from storplan.providers.smis import SmisProvider
from storplan.session import Session
from storplan.uri import ProviderURI, parse_uri
from tlsserver import Pki, make_pki


@pytest.fixture(params=sorted(FLAVOURS), ids=lambda name: f"{name}")
def flavour(request: pytest.FixtureRequest) -> Any:
    """Each test runs against both vendor flavours."""
    return FLAVOURS[request.param]


@pytest.fixture
def mock_array(flavour: Any) -> MockArray:
    """A fresh mock array (no volumes)."""
    return build_array(flavour)


@pytest.fixture
def smis_uri() -> ProviderURI:
    return parse_uri(URI)


@pytest.fixture
def provider(mock_array: MockArray, smis_uri: ProviderURI) -> SmisProvider:
    return connect(mock_array, smis_uri)


@pytest.fixture
def session(provider: SmisProvider, smis_uri: ProviderURI) -> Iterator[Session]:
    with Session(provider, smis_uri) as opened:
        yield opened


@pytest.fixture
def array(
    provider: SmisProvider, smis_uri: ProviderURI, conformance_prefix: str
) -> Iterator[Session]:
    """The conformance kit's ``array``: a Session over the smis provider and a mock array."""
    opened = Session(provider, smis_uri)
    try:
        yield opened
        remove_leftovers(opened, conformance_prefix)
    finally:
        opened.close()


@pytest.fixture
def reconnect(mock_array: MockArray, smis_uri: ProviderURI) -> Any:
    """The conformance kit's ``reconnect``: a second provider connection to the same mock."""
    return lambda: Session(connect(mock_array, smis_uri), smis_uri)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA, server and client certificates (made with the openssl CLI)."""
    return make_pki(tmp_path_factory.mktemp("pki"))
