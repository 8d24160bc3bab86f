"""Fixtures of the ganesha provider tests: one real ganesha.nfsd for the whole session.

``STORPLAN_GANESHA`` decides what happens to tests marked ``ganesha`` (every test here):

* unset or ``auto``: they run when this machine can run Ganesha, else they are skipped with
  a message naming the packages to install;
* ``require``: they run, and fail loudly when Ganesha cannot run (CI sets this);
* ``skip``: they are skipped.

The server is shared by every test of the session (starting one takes about a second); tests
name their file systems uniquely and delete what they create.  The ``array`` fixture
overrides the conformance kit's, so the kit's suite (``test_ganesha_conformance.py``) runs
against this server through the provider.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import storplan
from storplan.conformance.plugin import remove_leftovers
from storplan.session import Session

from .server import GaneshaServer, unavailable_reason

ENV = "STORPLAN_GANESHA"
MODES = ("auto", "require", "skip")
_HERE = Path(__file__).parent


def ganesha_mode() -> str:
    """The value of ``STORPLAN_GANESHA`` (``auto`` when unset)."""
    mode = os.environ.get(ENV, "").strip().lower() or "auto"
    if mode not in MODES:
        raise pytest.UsageError(f"{ENV}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test of this directory ``ganesha`` and skip them when they cannot run."""
    mine = [item for item in items if _HERE in Path(str(item.path)).parents]
    mode = ganesha_mode()
    reason = f"{ENV}=skip" if mode == "skip" else unavailable_reason()
    for item in mine:
        item.add_marker(pytest.mark.ganesha)
        if reason and mode != "require":
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def ganesha(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GaneshaServer]:
    """A running ganesha.nfsd on a private bus (stopped at the end of the session)."""
    reason = unavailable_reason()
    if reason:
        if ganesha_mode() == "require":
            pytest.fail(f"{ENV}=require, but {reason}", pytrace=False)
        pytest.skip(reason)
    server = GaneshaServer(tmp_path_factory.mktemp("ganesha"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def session(ganesha: GaneshaServer) -> Iterator[Session]:
    """A Session over the provider connected to the test server."""
    with storplan.connect(ganesha.uri()) as opened:
        yield opened


@pytest.fixture
def array(ganesha: GaneshaServer, conformance_prefix: str) -> Iterator[Session]:
    """The conformance kit's ``array``: the ganesha provider on the test server."""
    opened = storplan.connect(ganesha.uri())
    try:
        yield opened
        remove_leftovers(opened, conformance_prefix)
    finally:
        opened.close()


@pytest.fixture
def reconnect(ganesha: GaneshaServer) -> Callable[[], Session]:
    """The conformance kit's ``reconnect``: a second, independent session to the server."""
    return lambda: storplan.connect(ganesha.uri())


_names = itertools.count(1)


@pytest.fixture
def fs_name(request: pytest.FixtureRequest) -> Callable[[], str]:
    """Unique file-system names for one test (``g<n>-<test>``)."""
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40].strip("-")

    def make() -> str:
        return f"g{next(_names)}-{stem}"

    return make
