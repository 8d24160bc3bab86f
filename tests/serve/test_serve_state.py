"""serve.yaml's state store is resolved like every command's: a file path (relative to the
file) or a ``postgresql://`` URL kept as written, and without ``state:`` the environment.
Real: an SQLite file and a database of the session's PostgreSQL cluster (tests/pgserver.py);
the server's store and a second store opened by location see the same lock."""

from __future__ import annotations

from pathlib import Path

import pytest
from storplan.serve.config import load_config
from storplan.serve.server import services_for
from storplan.state import open_store


def _config(folder: Path, state: str | None) -> str:
    lines = [f"state: {state}"] if state else []
    lines += ["arrays:", f"  a1: {{uri: 'sim://{folder}/a1.db'}}"]
    path = folder / "serve.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _same_lock(config: str, location: str) -> None:
    services = services_for(load_config(config))
    try:
        lock = services.store.acquire("array-identity", command="served apply")
        with open_store(location, write=False) as other:
            assert [held.command for held in other.locks()] == ["served apply"]
        services.store.release(lock)
    finally:
        services.store.close()


def test_state_is_a_path_or_a_url(state_location: str, tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, state_location))
    assert config.state == state_location  # absolute path or URL: unchanged
    _same_lock(_config(tmp_path, state_location), state_location)


def test_a_relative_state_path_is_beside_serve_yaml(tmp_path: Path) -> None:
    assert load_config(_config(tmp_path, "state.db")).state == str(tmp_path / "state.db")


def test_without_state_the_environment_chooses(
    state_location: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORPLAN_STATE", state_location)
    _same_lock(_config(tmp_path, None), state_location)
