"""Plans and applies through the served API: the CLI's functions, locks and consent rules.

Real: the ``storplan serve`` process of conftest over HTTPS, a simulated array whose jobs run
asynchronously (0.2 s each), the state store file the server and a concurrent ``storplan
apply`` process share (their locks and journal), and the installed ``storplan`` script.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from planhelpers import STORPLAN, cli_env
from servehelpers import Client, Served

IQN = "iqn.2024-01.com.example:"


def manifest(
    name: str,
    volumes: dict[str, str],
    provider: str = "sim://",
    shrink: bool = False,
    protect: bool = False,
) -> str:
    lines = [
        "apiVersion: storplan.io/v1",
        "kind: StorageState",
        f"metadata: {{name: {name}}}",
        "arrays:",
        "  - name: array1",
        f"    provider: '{provider}'",
        "    system: sim-array-1",
        "    pools: [{name: ssd}]",
        "    volumes:",
    ]
    extra = (", allow_shrink: true" if shrink else "") + (", protect: true" if protect else "")
    lines += [
        f"      - {{name: {v}, pool: ssd, size: {s}, thin: true{extra}}}"
        for v, s in volumes.items()
    ]
    return "\n".join(lines) + "\n"


def apply1(served: Served) -> Client:
    return Client(served.url, served.tokens["apply1"], served.context())


def plan_and_apply(c: Client, text: str, **consent: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    status, plan, _ = c.request("POST", "/plans", {"manifest": text, **consent})
    assert status == 200, plan
    status, job, headers = c.request("POST", "/applies", {"plan": plan, **consent})
    assert status == 202 and headers["location"] == f"/applies/{job['id']}", job
    return plan, c.wait_job(headers["location"])


def test_plan_then_apply_and_consent_comes_from_the_request(served: Served) -> None:
    c = apply1(served)
    plan, job = plan_and_apply(c, manifest("grow", {"papi-1": "2GiB"}))
    assert [a["operation"] for a in plan["actions"]] == ["create_volume"]
    assert plan["mac"] and plan["arrays"][0]["provider"] == served.uris["array1"]
    assert job["state"] == "done" and job["report"]["ok"], job
    assert job["identity"].startswith("token:apply1(")
    assert c.get("/arrays/array1/volumes/papi-1")["size"] == 2 << 30

    # Shrinking is destructive: a plan made with consent is still refused without it.
    shrink = manifest("shrink", {"papi-1": "1GiB"}, shrink=True)
    status, plan, _ = c.request("POST", "/plans", {"manifest": shrink, "allow_destroy": True})
    assert status == 200 and plan["actions"][0]["risk"] == "destructive"
    assert not plan["actions"][0]["blocked"]
    status, job, headers = c.request("POST", "/applies", {"plan": plan})
    refused = c.wait_job(headers["location"])
    assert refused["state"] == "failed" or not refused["report"]["ok"], refused
    assert c.get("/arrays/array1/volumes/papi-1")["size"] == 2 << 30
    _, job = plan_and_apply(c, shrink, allow_destroy=True)
    assert job["state"] == "done" and job["report"]["ok"], job
    assert c.get("/arrays/array1/volumes/papi-1")["size"] == 1 << 30
    steps = c.get(f"/journal/{job['report']['apply_id']}")
    assert any(s["state"] == "done" and "resize_volume" in s["action"] for s in steps)


def test_plans_are_signed_and_scoped_to_the_tokens_arrays(served: Served) -> None:
    c = apply1(served)
    status, plan, _ = c.request("POST", "/plans", {"manifest": manifest("m", {"papi-2": "1GiB"})})
    assert status == 200
    plan["actions"][0]["params"]["size"] *= 2  # a hand edit: the MAC no longer matches
    status, problem, _ = c.request("POST", "/applies", {"plan": plan})
    assert status in (409, 422) and problem["code"] in ("apply_refused", "invalid_argument")
    other = Client(served.url, served.tokens["apply2"], served.context())
    status, problem, _ = other.request("POST", "/plans", {"manifest": manifest("x", {"v": "1GiB"})})
    assert status == 403 and problem["code"] == "permission_denied"
    status, plan, _ = c.request("POST", "/plans", {"manifest": manifest("m", {"papi-2": "1GiB"})})
    status, problem, _ = other.request("POST", "/applies", {"plan": plan})
    assert status == 403, problem
    status, _, headers = c.request("POST", "/applies", {"plan": plan})
    assert other.request("GET", headers["location"])[0] == 404


def test_concurrent_api_and_cli_applies_never_interleave(served: Served, tmp_path: Path) -> None:
    """An apply through the API holds the array's lock (six 0.2 s jobs one at a time) when
    ``storplan apply`` of the same array starts: the command waits for the lock, so it begins
    only after the API's apply has finished, and both converge."""
    from storplan.state import open_store

    c = apply1(served)
    api_volumes = {f"race-api-{i}": "1GiB" for i in range(6)}
    cli_volumes = {f"race-cli-{i}": "1GiB" for i in range(2)}
    status, plan, _ = c.request("POST", "/plans", {"manifest": manifest("api-race", api_volumes)})
    assert status == 200
    cli_manifest = tmp_path / "cli.yaml"
    cli_manifest.write_text(manifest("cli-race", cli_volumes, served.uris["array1"]))
    body = {"plan": plan, "lock_timeout": 120, "parallelism": 1}
    status, _, headers = c.request("POST", "/applies", body)
    assert status == 202
    with open_store(str(served.state), write=False) as store:
        # Until this apply has begun (its journal record exists only once it holds the lock,
        # and the lock is released after the record ends): a lock row alone may still be
        # the previous test's apply, releasing (bounded).
        for _ in range(1200):
            if any(a.manifest == "api-race" and a.finished_at is None for a in store.applies(5)):
                break
            time.sleep(0.01)
        else:
            raise AssertionError("the API's apply never began")
    command = [STORPLAN, "apply", "--yes", "--lock-timeout", "120", "--state", str(served.state),
               str(cli_manifest)]  # fmt: skip
    cli = subprocess.run(
        command, capture_output=True, text=True, env=cli_env(served.state), timeout=300,
        check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    done = c.wait_job(headers["location"])
    assert cli.returncode == 0, cli.stderr
    assert done["state"] == "done" and done["report"]["ok"], done["error"]
    with open_store(str(served.state), write=False) as store:
        runs = {a.manifest: a for a in store.applies(50) if a.manifest in ("api-race", "cli-race")}
    api, cli_run = runs["api-race"], runs["cli-race"]
    assert api.finished_at is not None and cli_run.finished_at is not None
    assert api.finished_at <= cli_run.started_at, "the command's apply ran inside the API's"
    names = {v["name"] for v in c.get("/arrays/array1/volumes")}
    assert set(api_volumes) | set(cli_volumes) <= names


def test_operations_never_destroy_what_a_manifest_protects(served: Served) -> None:
    c = apply1(served)
    _, job = plan_and_apply(c, manifest("protected", {"papi-kept": "1GiB"}, protect=True))
    assert job["state"] == "done" and job["report"]["ok"], job
    body = {"params": {"volume": "papi-kept"}, "allow_destroy": True}
    status, problem, _ = c.request("POST", "/arrays/array1/operations/delete_volume", body)
    assert status == 403 and "protected" in problem["detail"], problem
    assert c.get("/arrays/array1/volumes/papi-kept")["name"] == "papi-kept"


def test_manifests_cannot_make_the_server_read_secrets(served: Served) -> None:
    text = manifest("chap", {"papi-3": "1GiB"}).replace(
        "    volumes:",
        "    hosts:\n      - name: chap-host\n        initiators:\n"
        f"          - {{id: '{IQN}chap', chap: {{user: u, secret: {{file: /etc/shadow}}}}}}\n"
        "    volumes:",
    )
    status, problem, _ = apply1(served).request("POST", "/plans", {"manifest": text})
    assert status == 403 and "CHAP secrets are not served" in problem["detail"], problem
