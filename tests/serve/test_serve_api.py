"""The served API end to end: resources, jobs, consent, scopes, arrays, journal, secrecy.

Real: a ``storplan serve`` process over HTTPS (conftest), verified with the test CA by
urllib; simulated arrays with asynchronous jobs; the state store's journal read back with
``storplan journal``.
"""

from __future__ import annotations

import json
import re

import pytest
from planhelpers import cli_env, run_cli
from servehelpers import Client, Served

GIB = 1 << 30


def client(served: Served, role: str | None) -> Client:
    return Client(served.url, None if role is None else served.tokens[role], served.context())


def operation(c: Client, name: str, params: dict[str, object], **flags: bool) -> tuple:
    return c.request("POST", f"/arrays/array1/operations/{name}", {"params": params, **flags})


def test_volume_lifecycle_with_jobs_and_consent(served: Served) -> None:
    c = client(served, "apply1")
    status, job, headers = operation(
        c, "create_volume", {"volume": "api-v1", "pool": "ssd", "size": GIB, "thin": True}
    )
    assert status == 202, job
    assert job["state"] == "running" and headers["location"].endswith(f"/jobs/{job['id']}")
    done = c.wait_job(headers["location"])
    assert done["state"] == "succeeded" and done["percent"] == 100
    assert done["result"]["name"] == "api-v1" and done["result"]["size"] == GIB
    assert "api-v1" in [v["name"] for v in c.get("/arrays/array1/volumes")]
    assert c.get("/arrays/array1/volumes/api-v1")["id"] == done["result"]["id"]

    status, job, headers = operation(
        c, "create_access_group", {"host": "api-h1", "initiators": ["iqn.2024-01.com.example:h1"]}
    )
    assert status == 202 and c.wait_job(headers["location"])["state"] == "succeeded"
    status, job, headers = operation(
        c, "map_volume", {"volume": "api-v1", "host": "api-h1", "lun": 7}
    )
    assert status == 202 and c.wait_job(headers["location"])["state"] == "succeeded"
    mappings = c.get("/arrays/array1/mappings")
    assert any(m["volume_id"] == done["result"]["id"] and m["lun"] == 7 for m in mappings)

    # Unmapping is disruptive, deleting destructive: refused without the request's consent.
    status, problem, headers = operation(c, "unmap_volume", {"volume": "api-v1", "host": "api-h1"})
    assert status == 403 and problem["code"] == "permission_denied"
    assert headers["content-type"] == "application/problem+json"
    assert "allow_disruptive" in problem["hint"]
    status, job, headers = operation(
        c, "unmap_volume", {"volume": "api-v1", "host": "api-h1"}, allow_disruptive=True
    )
    assert status == 202 and c.wait_job(headers["location"])["state"] == "succeeded"
    status, problem, _ = operation(c, "delete_volume", {"volume": "api-v1"}, allow_disruptive=True)
    assert status == 403 and "allow_destroy" in problem["hint"]
    status, job, headers = operation(c, "delete_volume", {"volume": "api-v1"}, allow_destroy=True)
    assert status == 202 and c.wait_job(headers["location"])["state"] == "succeeded"
    status, problem, _ = c.request("GET", "/arrays/array1/volumes/api-v1")
    assert status == 404 and problem["code"] == "not_found"


def test_bad_requests_are_problems_with_stable_codes(served: Served) -> None:
    c = client(served, "apply1")
    status, problem, _ = operation(c, "create_volume", {"volume": "x", "pool": "ssd"})
    assert status == 422 and problem["code"] == "invalid_argument" and problem["errors"]
    status, problem, _ = operation(
        c, "create_volume", {"volume": "bad name!", "pool": "ssd", "size": GIB, "thin": True}
    )
    assert status == 422 and problem["code"] == "invalid_argument", problem
    status, problem, _ = operation(
        c, "create_volume", {"volume": "nopool", "pool": "nope", "size": GIB, "thin": True}
    )
    assert status == 404 and problem["code"] == "not_found"
    status, problem, _ = c.request("POST", "/plans", {"manifest": "apiVersion: [unclosed"})
    assert status == 422 and problem["code"] == "manifest_invalid"
    assert "storplan-serve-" not in json.dumps(problem)  # no server-side temporary paths
    status, problem, _ = c.request("POST", "/plans", {"manifest": "#" * (17 << 20)})
    assert status == 413 and problem["code"] == "too_large"


def test_no_token_is_401_everywhere(served: Served) -> None:
    document = client(served, None).request("GET", "/openapi.json")[1]
    anonymous, forged = client(served, None), client(served, "apply1")
    forged.token = served.tokens["apply1"][:-4] + "AAAA"
    for path, methods in document["paths"].items():
        concrete = re.sub(r"{[a-z]+}", "array1", path)
        for method in methods:
            for c in (anonymous, forged):
                status, problem, headers = c.request(method.upper(), concrete, {})
                assert status == 401, (method, path, status)
                assert problem["code"] == "unauthenticated"
                assert headers["www-authenticate"] == "Bearer"


def test_scopes_and_arrays_are_enforced(served: Served) -> None:
    read, plan, other = client(served, "read1"), client(served, "plan1"), client(served, "apply2")
    assert [a["name"] for a in read.get("/arrays")] == ["array1"]
    assert read.get("/arrays/array1/capabilities")["provider"] == "sim"
    status, problem, _ = operation(read, "create_snapshot", {"volume": "v", "snapshot": "s"})
    assert status == 403 and "scope 'apply'" in problem["detail"]
    status, problem, _ = read.request("POST", "/plans", {"manifest": "{}"})
    assert status == 403
    status, problem, _ = plan.request("POST", "/applies", {"plan": {}})
    assert status == 403
    for path in (
        "/arrays/array1",
        "/arrays/array1/volumes",
        "/arrays/array1/jobs/job1",
        "/arrays/array1/health",
        "/arrays/nowhere/pools",
    ):
        status, problem, _ = other.request("GET", path)
        assert status == 403 and problem["code"] == "permission_denied", path
    assert read.get("/arrays/array1") == {"name": "array1", "uri": served.uris["array1"]}
    assert [a["name"] for a in other.get("/arrays")] == ["array2"]


def test_mutations_are_journaled_with_identity_and_tokens_never_logged(served: Served) -> None:
    c = client(served, "apply1")
    status, _, headers = operation(
        c, "create_volume", {"volume": "journaled", "pool": "ssd", "size": GIB, "thin": True}
    )
    assert status == 202
    c.wait_job(headers["location"])
    entries = c.get("/journal")
    mine = [e for e in entries if e["manifest"] == "storplan serve"]
    assert mine and all(e["arrays"] == ["array1"] for e in mine)
    steps = c.get(f"/journal/{mine[0]['id']}")
    assert steps[0]["state"] == "submitted" and "create_volume" in steps[0]["action"]
    # The journal the command line reads names the identity and the request.
    out = run_cli("journal", "-o", "json", "--state", str(served.state), env=cli_env(served.state))
    assert out.returncode == 0
    assert all(e["arrays"] == ["array2"] for e in client(served, "apply2").get("/journal"))
    assert mine[0]["id"] not in json.dumps(client(served, "apply2").get("/journal"))
    assert client(served, "apply2").request("GET", f"/journal/{mine[0]['id']}")[0] == 404
    from storplan.state import open_store

    with open_store(str(served.state), write=False) as store:
        commands = [a.command for a in store.applies(50)]
    assert any(
        re.match(r"storplan serve: token:apply1\(\w+\) POST /arrays/array1/", cmd)
        for cmd in commands
    ), commands
    log = served.log.read_text()
    stored = (served.folder / "tokens.json").read_text()
    for token in served.tokens.values():
        assert token not in log and token not in stored
        assert token[:12] not in json.dumps(entries)
    assert (served.folder / "tokens.json").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("listen", ["0.0.0.0:8443", "192.0.2.1:8443"])
def test_plain_http_only_on_loopback(served: Served, listen: str) -> None:
    from storplan.errors import InvalidArgument
    from storplan.serve.config import load_config
    from storplan.serve.server import check_listen

    config = load_config(str(served.config))
    assert check_listen(config, "127.0.0.1:1", plain_http=True) == ("127.0.0.1", 1)
    with pytest.raises(InvalidArgument, match="only on loopback"):
        check_listen(config, listen, plain_http=True)


def test_failed_logins_are_rate_limited(tmp_path) -> None:
    """A second real server, plain HTTP on loopback, that allows 3 failures a window."""
    import ssl

    from servehelpers import free_port, start, stop, write_config
    from storplan.serve.tokens import TokenStore

    port = free_port()
    config = write_config(tmp_path, None, port, {"a": f"sim://{tmp_path}/a.db"}, failures=3)
    _, token = TokenStore(str(tmp_path / "tokens.json")).create("t", "read", ("a",))
    process, _ = start(tmp_path, config, "--plain-http")
    try:
        url = f"http://127.0.0.1:{port}"
        good = Client(url, token, ssl.create_default_context())
        bad = Client(url, "stp_nothing_here", ssl.create_default_context())
        assert good.get("/arrays") == [{"name": "a", "uri": f"sim://{tmp_path}/a.db"}]
        assert [bad.request("GET", "/arrays")[0] for _ in range(3)] == [401, 401, 401]
        status, problem, headers = bad.request("GET", "/arrays")
        assert status == 429 and problem["code"] == "rate_limited"
        assert int(headers["retry-after"]) >= 1
        assert good.request("GET", "/arrays")[0] == 429  # the address, not the token
    finally:
        stop(process)


def test_listings_are_never_older_than_the_request(served: Served) -> None:
    """Readers share observations, but only ones that started after they arrived: a volume
    made behind the server's back (another process's session on the same sim file) is in the
    very next listing, every time."""
    import storplan
    from storplan.model import Kind

    c = client(served, "apply2")
    assert c.get("/arrays/array2/volumes") is not None  # an observation to (wrongly) reuse
    with storplan.connect(served.uris["array2"]) as session:
        pool = session.get(Kind.POOLS, "ssd")
        for n in range(5):
            session.create_volume(pool, f"behind-{n}", GIB, thin=True)
            assert f"behind-{n}" in {v["name"] for v in c.get("/arrays/array2/volumes")}
            assert c.get(f"/arrays/array2/volumes/behind-{n}")["size"] == GIB


def test_health_is_what_storplan_health_says(served: Served) -> None:
    """The simulator's default seed has one HDD with a predictive failure: the served health
    is the same document as ``storplan health -o json`` (a real CLI process) for that array."""
    health = client(served, "read1").get("/arrays/array1/health")
    [disk] = [f for f in health["findings"] if f["kind"] == "disks" and f["name"] == "hdd03"]
    assert (disk["code"], disk["severity"]) == ("disk.predictive_failure", "warning")
    assert (health["status"], health["exit_status"]) == ("warning", 1)
    done = run_cli("--uri", served.uris["array1"], "health", "-o", "json",
                   env=cli_env(served.state))  # fmt: skip
    assert done.returncode == 1, done.stderr
    cli = json.loads(done.stdout)
    for document in (cli, health):
        for finding in document["findings"]:
            finding["array"] = "-"  # the CLI names the array by its URI, the API by its name
    assert health == cli
