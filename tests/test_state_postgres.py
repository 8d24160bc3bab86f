"""What only the PostgreSQL state store does: advisory-lock keys per store, live holders,
``unlock --terminate``, passwords and TLS settings, poolers.

Real: a PostgreSQL 15 cluster this session owns (tests/pgserver.py), its ``pg_locks``,
``pg_stat_activity`` and ``pg_terminate_backend``, scram-sha-256 password checks over TCP,
Debian's PgBouncer in both pool modes, and the installed ``storplan`` command.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pytest
from pgserver import CERT_USER, PASSWORD, PgServer, pgbouncer
from planhelpers import SYSTEM, cli_env, run_cli, write_manifest
from storplan.errors import LockHeld, LockLost, StateStoreError
from storplan.state import open_store
from storplan.state.config import StateConfig, resolve
from storplan.state.postgres_connect import connection_settings

ARRAY = "array-1#sys"


def test_lock_keys_never_collide_across_schemas_or_databases(
    pg_server: PgServer, pg_url: str
) -> None:
    other_db = pg_server.url(pg_server.create_database())
    team1 = StateConfig(pg_url, schema="team1")
    team2 = StateConfig(pg_url, schema="team2")
    with (
        open_store(team1) as one,
        open_store(team2) as two,
        open_store(other_db) as three,
        open_store(StateConfig(pg_url, schema="team1")) as one_again,
    ):
        locks = [store.acquire("array-1") for store in (one, two, three)]  # no collision
        with pytest.raises(LockHeld):
            one_again.acquire("array-1")  # the same store: the same lock
        for store, lock in zip((one, two, three), locks, strict=True):
            store.release(lock)
        one.record_owned(ARRAY, "volume:a")
        assert two.owned(ARRAY) == {} and one_again.owned(ARRAY) == {"volume:a": False}


def test_a_closed_holder_frees_its_lock_and_its_apply_is_abandoned(pg_url: str) -> None:
    """The holder's session ends without releasing (as when its process is killed)."""
    holder = open_store(pg_url)
    lock = holder.acquire("array-1", command="storplan apply m.yaml")
    apply_id = holder.begin_apply("m.yaml", [("a", ARRAY)], "storplan apply m.yaml")
    holder.attach(lock, apply_id)
    holder.step(apply_id, "a/volume/v/create_volume", "started", array_key=ARRAY,
                owns="volume:v")  # fmt: skip
    holder.locking.close()  # its lock session ends; the data connection lives on
    with open_store(pg_url) as store:
        assert store.locks() == []  # a row without a live session is no lock
        with pytest.raises(LockLost):
            holder.step(apply_id, "a/volume/v/create_volume", "done", array_key=ARRAY)
        again = store.acquire("array-1")
        assert again.token > lock.token
        assert store.applies()[0].status == "abandoned"
        [unfinished] = store.unfinished_creates(ARRAY)
        assert unfinished.key == "volume:v"
    holder.close()


@pytest.mark.subprocess
def test_unlock_terminates_a_live_holder_only_when_asked(pg_url: str, tmp_path: Path) -> None:
    env = {**cli_env(tmp_path / "unused.db"), "STORPLAN_STATE": pg_url}
    with open_store(pg_url) as holder:
        lock = holder.acquire("array-1", command="storplan apply m.yaml")
        apply_id = holder.begin_apply("m.yaml", [("a", ARRAY)], "storplan apply m.yaml")
        holder.attach(lock, apply_id)
        refused = run_cli("unlock", lock.lock_id, env=env)
        assert refused.returncode == 1 and "--terminate" in refused.stderr, refused.stderr
        assert [info.lock_id for info in holder.locks()] == [lock.lock_id]
        done = run_cli("unlock", "--terminate", lock.lock_id, env=env)
        assert done.returncode == 0 and "unlocked array-1" in done.stdout, done.stderr
        assert holder.locks() == []
        with pytest.raises(LockLost):
            holder.record_owned(ARRAY, "volume:v")
        [record] = holder.applies()
        assert record.status == "abandoned"
        note = holder.steps(apply_id)[-1].message
        assert "terminated" in note and "storplan unlock" in note


def test_a_password_comes_from_its_source_and_never_shows(
    pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = pg_server.create_database()
    url = pg_server.tcp_url(database)  # TCP: the server checks the password (scram)
    config = tmp_path / ".storplan.yaml"
    config.write_text(f"state:\n  url: {url}\n  password: {{env: TEAM_DB_PASSWORD}}\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STORPLAN_STATE", raising=False)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("TEAM_DB_PASSWORD", PASSWORD)
    chosen = resolve(None, [str(tmp_path)])
    assert (chosen.location, chosen.source) == (url, str(config))
    with open_store(chosen) as store:
        store.record_owned(ARRAY, "volume:a")
    monkeypatch.setenv("TEAM_DB_PASSWORD", "wrong-password-xyz")
    with pytest.raises(StateStoreError) as refused:
        open_store(resolve(None, [str(tmp_path)]))
    assert "password authentication failed" in str(refused.value)
    assert "wrong-password-xyz" not in str(refused.value) and PASSWORD not in str(refused.value)


def test_tls_is_verified_by_default_for_hosts_that_are_not_local(
    pg_server: PgServer, pg_url: str
) -> None:
    remote = StateConfig("postgresql://storplan@db.example.com/storplan")
    assert connection_settings(remote)["sslmode"] == "verify-full"
    for local in (pg_url, "postgresql://storplan@localhost/x", "postgresql://u@127.0.0.1/x"):
        assert "sslmode" not in connection_settings(StateConfig(local))
    chosen = StateConfig(remote.location, tls={"sslmode": "require", "sslrootcert": "/ca"})
    assert connection_settings(chosen)["sslmode"] == "require"
    assert (
        connection_settings(StateConfig(remote.location + "?sslmode=disable")).get("sslmode")
        is None
    )  # the URL's own choice stands
    # The settings reach libpq: verify-full with no CA to trust (or no TLS) cannot connect.
    tcp = pg_server.tcp_url(pg_server.create_database())
    with pytest.raises(StateStoreError) as refused:
        open_store(StateConfig(tcp, tls={"sslmode": "verify-full"}))
    assert "ssl" in str(refused.value).lower() and "127.0.0.1" in refused.value.message


def test_a_transaction_mode_pooler_is_refused(pg_server: PgServer) -> None:
    database = pg_server.create_database()
    with pgbouncer(pg_server, "transaction") as template:
        with pytest.raises(StateStoreError, match="transaction mode") as refused:
            open_store(template.format(database=database))
        assert "pool_mode = session" in refused.value.hint
    with (
        pgbouncer(pg_server, "session") as template,
        open_store(template.format(database=database)) as store,
    ):
        lock = store.acquire("array-1")
        store.record_owned(ARRAY, "volume:a")
        store.release(lock)
        assert store.owned(ARRAY) == {"volume:a": False}


def test_an_open_store_keeps_its_lock_session_alive_before_it_locks(pg_url: str) -> None:
    """An apply may connect to its arrays for longer than ``session_timeout`` before it takes
    a lock: the heartbeat keeps the server from ending its lock session meanwhile."""
    import time

    with open_store(StateConfig(pg_url, session_timeout=1.0)) as store:
        time.sleep(2.5)  # the server ends sessions idle for more than 1 s
        lock = store.acquire("array-1")
        store.record_owned(ARRAY, "volume:a")
        store.release(lock)


@pytest.mark.subprocess
def test_an_unreachable_server_is_exit_1_naming_the_store(tmp_path: Path) -> None:
    url = f"postgresql://storplan@/storplan?host={tmp_path}&port=1"  # no server there
    env = cli_env(tmp_path / "unused.db")
    entry = {"name": "a", "provider": f"sim://{tmp_path / 'array.db'}", "system": SYSTEM,
             "pools": [{"name": "ssd"}]}  # fmt: skip
    manifest = str(write_manifest(tmp_path / "m.yaml", [entry]))
    for command in (["plan", manifest], ["apply", "--yes", manifest], ["journal"], ["unlock", "x"]):
        done = run_cli(*command, "--state", url, env=env)
        assert done.returncode == 1, (command, done.stderr)
        assert "state store postgresql://storplan@/storplan" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_the_server_certificate_and_its_name_are_verified(
    pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real TLS server (the cluster's certificate, signed by a throwaway CA, names only
    ``localhost``): verify-full connects with the right CA and name, and refuses a wrong CA
    or a name the certificate does not carry."""
    if not pg_server.ca.exists():
        pytest.skip("openssl is not installed: the cluster has no TLS")
    database = pg_server.create_database()
    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # libpq's own source, as the docs allow
    other_ca = tmp_path / "other-ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp_path / "k"), "-out", str(other_ca), "-days", "1", "-subj", "/CN=x"],
                   check=True, capture_output=True)  # fmt: skip
    by_name = f"postgresql://storplan@localhost:{pg_server.port}/{database}?hostaddr=127.0.0.1"
    verify = {"sslmode": "verify-full", "sslrootcert": str(pg_server.ca)}
    with open_store(StateConfig(by_name, tls=verify)) as store:
        store.record_owned(ARRAY, "volume:a")
        conn = store.conn
        assert conn is not None and conn.info.pgconn.ssl_in_use
    with pytest.raises(StateStoreError, match="certificate verify failed"):
        open_store(StateConfig(by_name, tls={**verify, "sslrootcert": str(other_ca)}))
    by_address = pg_server.tcp_url(database)  # 127.0.0.1: not a name the certificate carries
    with pytest.raises(StateStoreError, match="does not match host name"):
        open_store(StateConfig(by_address, tls=verify))


def test_a_client_certificate_logs_in(pg_server: PgServer, tmp_path: Path) -> None:
    """``sslcert``/``sslkey`` reach the server: a role whose only way in is a certificate."""
    if not pg_server.ca.exists():
        pytest.skip("openssl is not installed: the cluster has no TLS")
    database = pg_server.create_database()
    with contextlib.suppress(Exception):
        pg_server.sql("postgres", f"CREATE ROLE {CERT_USER} LOGIN")
    pg_server.sql("postgres", f'GRANT ALL ON DATABASE "{database}" TO {CERT_USER}')
    cert, key = pg_server.client_certificate(tmp_path)
    url = f"postgresql://{CERT_USER}@localhost:{pg_server.port}/{database}?hostaddr=127.0.0.1"
    tls = {"sslmode": "verify-full", "sslrootcert": str(pg_server.ca)}
    with open_store(StateConfig(url, tls={**tls, "sslcert": str(cert), "sslkey": str(key)})) as s:
        s.record_owned(ARRAY, "volume:a")
        assert s.owned(ARRAY) == {"volume:a": False}
    with pytest.raises(StateStoreError) as refused:
        open_store(StateConfig(url, tls=tls))  # no certificate: refused
    assert "requires a valid client certificate" in refused.value.message
