"""Token commands and serve.yaml errors, through the installed ``storplan`` script.

Real: ``storplan serve token create|list|revoke`` as processes on the token file of the
running server of conftest (which reads it again when it changes), and serve.yaml files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from planhelpers import cli_env, run_cli
from servehelpers import Client, Served


def serve_cli(served: Served, *args: str) -> tuple[int, str, str]:
    done = run_cli("serve", *args, env=cli_env(served.state))
    return done.returncode, done.stdout, done.stderr


def test_create_list_revoke_without_restart(served: Served) -> None:
    code, out, err = serve_cli(
        served, "token", "create", "--config", str(served.config), "--scope", "read",
        "--array", "array1", "--name", "auditor",
    )  # fmt: skip
    assert code == 0, err
    token = out.strip()
    assert token.startswith("stp_") and "\n" not in token and token not in err
    c = Client(served.url, token, served.context())
    assert [a["name"] for a in c.get("/arrays")] == ["array1"]
    code, out, _ = serve_cli(served, "token", "list", "--config", str(served.config), "-o", "json")
    listed = {t["name"]: t for t in json.loads(out)}
    assert listed["auditor"]["scope"] == "read" and listed["auditor"]["arrays"] == ["array1"]
    assert token not in out and "sha256" not in out
    code, out, _ = serve_cli(
        served, "token", "revoke", "--config", str(served.config), listed["auditor"]["id"]
    )
    assert code == 0
    assert c.request("GET", "/arrays")[0] == 401
    assert (served.folder / "tokens.json").stat().st_mode & 0o777 == 0o600


def test_token_for_an_unconfigured_array_is_refused(served: Served) -> None:
    code, out, err = serve_cli(
        served, "token", "create", "--config", str(served.config), "--scope", "apply",
        "--array", "nowhere",
    )  # fmt: skip
    assert code == 1 and out == "" and "configures no array 'nowhere'" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("listen: 8443\n", "is not HOST:PORT"),
        ("colour: blue\n", "unknown key(s) colour"),
        ("arrays: {a: {uri: 'sim://', password_env: A, password_file: f}}\n", "not both"),
        ("arrays: {a: {url: 'sim://'}}\n", "unknown key(s) url"),
        ("failed_logins: {max: 0}\n", "failed_logins.max"),
        ("clients: {ci: {scope: read, arrays: [a]}}\n", "needs tls.client_ca"),
        ("listen: 127.0.0.1:8443\n", "TLS needs tls.cert and tls.key"),
    ],
)
def test_bad_configurations_are_refused(
    served: Served, tmp_path: Path, text: str, message: str
) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text(text)
    code, _, err = serve_cli(served, "--config", str(config), "--listen", "127.0.0.1:1")
    assert code == 1 and message in err, err


def test_plain_http_is_refused_off_loopback(served: Served) -> None:
    code, _, err = serve_cli(served, "--config", str(served.config), "--plain-http",
                             "--listen", "0.0.0.0:1")  # fmt: skip
    assert code == 1 and "only on loopback" in err
