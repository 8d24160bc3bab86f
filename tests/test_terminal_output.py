"""Terminal escapes from arrays and manifests never reach a terminal raw.

Real: a simulator file changed behind storplan's back (what a hostile or broken array could
report: names holding escape sequences), real ``storplan`` processes whose output is read as
bytes, and the identifier rules.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from planhelpers import cli_env, run_cli, write_manifest
from storplan.errors import InvalidArgument
from storplan.identifiers import canonical_initiator, check_client
from storplan.text import printable

ESCAPE = "\x1b]0;owned\x07\x1b[31m"


def test_printable_escapes_controls_and_bidi_overrides() -> None:
    assert printable(f"vol{ESCAPE}x") == "vol\\x1b]0;owned\\x07\\x1b[31mx"
    assert printable("a\u202eb\tc\nd") == "a\\u202eb\tc\\nd"
    assert printable("line\nnext", newlines=True) == "line\nnext"


@pytest.fixture
def hostile(tmp_path: Path) -> str:
    """A simulator whose system and one volume have names with terminal escapes."""
    db = tmp_path / "x.db"
    uri = f"sim://{db}"
    assert run_cli("--uri", uri, "show", "systems", env=cli_env(tmp_path / "s.db")).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("UPDATE systems SET name = ? WHERE id = 1", (f"sim-array-1{ESCAPE}",))
    conn.execute(
        "INSERT INTO volumes(system_id, pool_id, name, size, thin, wwn) "
        "VALUES (1, 1, ?, 1048576, 1, 'naa.6000000000000000000000000000abcd')",
        (f"evil{ESCAPE}",),
    )
    conn.commit()
    conn.close()
    return uri


@pytest.mark.subprocess
def test_show_escapes_what_an_array_reports(tmp_path: Path, hostile: str) -> None:
    env = cli_env(tmp_path / "s.db")
    table = run_cli("--uri", hostile, "show", "volumes", env=env)
    assert table.returncode == 0 and "\x1b" not in table.stdout
    assert "evil\\x1b]0;owned\\x07\\x1b[31m" in table.stdout
    data = run_cli("--uri", hostile, "show", "volumes", "-o", "json", env=env)
    assert json.loads(data.stdout)[0]["name"] == f"evil{ESCAPE}"  # machine output is exact


@pytest.mark.subprocess
def test_plan_escapes_what_an_array_reports(tmp_path: Path, hostile: str) -> None:
    manifest = write_manifest(
        tmp_path / "m.yaml",
        [{"name": "a", "provider": hostile, "system": "sys1", "pools": [{"name": "ssd"}],
          "volumes": [{"name": "v1", "pool": "ssd", "size": "1GiB"}]}],
    )  # fmt: skip
    for output in ("text", "markdown"):
        done = run_cli("plan", str(manifest), "-o", output, env=cli_env(tmp_path / "s.db"))
        assert done.returncode == 2, done.stderr
        assert "\x1b" not in done.stdout and "sim-array-1\\x1b" in done.stdout


@pytest.mark.parametrize(
    "text",
    [
        "iqn.2024-01.com.example:a;reboot",
        f"iqn.2024-01.com.example:a{ESCAPE}",
        "nqn.2024-01.x.y:a;b",
    ],
)
def test_identifiers_refuse_control_characters_and_semicolons(text: str) -> None:
    with pytest.raises(InvalidArgument, match="control character or ';'") as refused:
        canonical_initiator(text)
    assert "\x1b" not in refused.value.message  # the message quotes it escaped (repr)


def test_export_clients_refuse_what_a_server_would_misread() -> None:
    for bad in ("a b", "host(rw)", "a,b", "x\x00", "10.0.0.0/33", "10.0.0.0/8;rm"):
        with pytest.raises(InvalidArgument):
            check_client(bad)
