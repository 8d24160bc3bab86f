"""The example clients of examples/clients/ (Perl, Java, Ruby) against a live server.

Real: each language's own interpreter or JDK, its standard HTTP client and TLS stack
verifying the server with the test CA, a bearer token, the ``storplan serve`` process of
conftest and its simulated array ``clients`` (asynchronous jobs).  A client exits 0 only
after creating a volume and a host, mapping, waiting for every job, listing, planning and
applying a manifest, and deleting what it made; the test then checks the array itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from servehelpers import Client, Served

CLIENTS = Path(__file__).parents[2] / "examples" / "clients"


def missing(what: str) -> None:
    """Skip, naming what to install; fail instead under ``STORPLAN_CLIENTS=require`` (CI)."""
    if os.environ.get("STORPLAN_CLIENTS") == "require":
        pytest.fail(f"STORPLAN_CLIENTS=require: {what}")
    pytest.skip(what)


def _perl(_work: Path) -> list[str]:
    if shutil.which("perl") is None:
        missing("needs perl")
    probe = subprocess.run(["perl", "-MIO::Socket::SSL", "-e1"], capture_output=True, check=False)
    if probe.returncode != 0:
        missing("needs IO::Socket::SSL: apt-get install libio-socket-ssl-perl")
    return ["perl", str(CLIENTS / "storplan_client.pl")]


def _ruby(_work: Path) -> list[str]:
    if shutil.which("ruby") is None:
        missing("needs ruby: apt-get install ruby")
    return ["ruby", str(CLIENTS / "storplan_client.rb")]


def _java(work: Path) -> list[str]:
    if shutil.which("javac") is None or shutil.which("java") is None:
        missing("needs a JDK: apt-get install default-jdk-headless")
    subprocess.run(
        ["javac", "-d", str(work), str(CLIENTS / "StorplanClient.java")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return ["java", "-cp", str(work), "StorplanClient"]


@pytest.mark.parametrize("language", ["perl", "java", "ruby"])
def test_example_client(served: Served, tmp_path: Path, language: str) -> None:
    command = {"perl": _perl, "java": _java, "ruby": _ruby}[language](tmp_path)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STORPLAN_")},
        "STORPLAN_URL": served.url,
        "STORPLAN_TOKEN": served.tokens["clients"],
        "STORPLAN_CA": str(served.ca),
        "STORPLAN_ARRAY": "clients",
    }
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "ok" and "1 planned action(s)" in lines, done.stdout
    assert served.tokens["clients"] not in done.stdout + done.stderr
    c = Client(served.url, served.tokens["clients"], served.context())
    names = {v["name"] for v in c.get("/arrays/clients/volumes")}
    assert not {f"{language}-vol", f"{language}-planned"} & names
    assert f"{language}-host" not in {h["name"] for h in c.get("/arrays/clients/access-groups")}
    applied = [e for e in c.get("/journal") if e["manifest"] == f"{language}-client"]
    assert applied and applied[0]["status"] == "ok"
