"""Shared pytest configuration: the ``--regen-golden`` option and the markers the tests use.

Nothing is faked here; the option only decides whether the manifest corpus test compares the
loader's real output with the golden files or rewrites them from it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from pgserver import PgServer, running_server

# No test may fail on time: hypothesis's per-example deadline is a wall-clock limit, and this
# suite shares two cores with other work (a slow example is not a failure).
settings.register_profile("storplan", deadline=None)
settings.load_profile("storplan")

# The qemu lab VM (tests/lab): the ``lab`` marker and the session-scoped ``lab`` fixture.
# The provider conformance kit is opt-in (``-p storplan.conformance``); this suite uses it.
pytest_plugins = ["lab.plugin", "storplan.conformance"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite tests/manifests/invalid/*.expected.json from the loader's output "
        "instead of comparing (cases listed as known bugs are left alone)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: hypothesis fuzzing of the manifest loader")
    config.addinivalue_line(
        "markers", "online: validates manifests against a real simulator provider"
    )


@pytest.fixture(scope="session")
def regen_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with ``--regen-golden``."""
    return bool(request.config.getoption("--regen-golden"))


@pytest.fixture(autouse=True, scope="session")
def _chap_secret_of_the_rich_manifest() -> None:
    """The rich test manifest (planhelpers) sets CHAP from ``$STORPLAN_TEST_CHAP``; preflight
    refuses a plan whose secrets cannot be read, so the whole session has it (tests of that
    refusal delete it with monkeypatch)."""
    os.environ.setdefault("STORPLAN_TEST_CHAP", "chap-secret-of-the-test-suite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs the PostgreSQL cluster ``postgresql`` (``-m``)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        params = getattr(getattr(item, "callspec", None), "params", {})
        if {"pg_server", "pg_url"} & set(names) or params.get("state_location") == "postgresql":
            item.add_marker(pytest.mark.postgresql)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL cluster for the session (tests/pgserver.py; STORPLAN_PG)."""
    with running_server() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """The URL of a new, empty database of the session's cluster (one per test)."""
    return pg_server.url(pg_server.create_database())


@pytest.fixture(params=["sqlite", "postgresql"])
def state_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty state store's location on each backend: an SQLite file, and a database
    of the session's real PostgreSQL cluster (skipped or failed per STORPLAN_PG)."""
    if request.param == "sqlite":
        return str(tmp_path / "state.db")
    return str(request.getfixturevalue("pg_url"))
