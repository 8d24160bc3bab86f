"""Fixtures of the served-API tests: one real ``storplan serve`` for the session (see
:mod:`servehelpers`), and the test CA."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from servehelpers import ASYNC, Served, free_port, start, stop, write_config
from smis.tlsserver import Pki, make_pki
from storplan.serve.tokens import TokenStore


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throw-away CA and a server certificate for 127.0.0.1 (openssl)."""
    return make_pki(tmp_path_factory.mktemp("serve-pki"))


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, pki: Pki) -> Iterator[Served]:
    """One server for the session: arrays ``array1`` (async jobs), ``array2``, ``fuzz``
    (schemathesis's) and ``clients`` (the example clients'), tokens per scope."""
    folder = tmp_path_factory.mktemp("served")
    uris = {
        "array1": f"sim://{folder}/array1.db{ASYNC}",
        "array2": f"sim://{folder}/array2.db",
        "fuzz": f"sim://{folder}/fuzz.db",
        "clients": f"sim://{folder}/clients.db{ASYNC}",
    }
    port = free_port()
    config = write_config(folder, pki, port, uris)
    store = TokenStore(str(folder / "tokens.json"))
    roles = {
        "read1": ("read", ("array1",)),
        "plan1": ("plan", ("array1",)),
        "apply1": ("apply", ("array1",)),
        "apply2": ("apply", ("array2",)),
        "fuzz": ("apply", ("fuzz",)),
        "clients": ("apply", ("clients",)),
    }
    tokens = {role: store.create(role, scope, arrays)[1] for role, (scope, arrays) in roles.items()}
    process, log = start(folder, config)
    yield Served(
        f"https://127.0.0.1:{port}",
        port,
        pki.ca,
        folder,
        config,
        folder / "state.db",
        tokens,
        uris,
        process,
        log,
    )
    stop(process)
