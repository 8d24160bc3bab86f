"""``storplan watch``: one ``raised`` and one ``cleared`` event per injected fault, progress
of a rebuild, an outage that is a condition, commands and webhooks per event.

Real: the simulator (faults limited to observes N..M of the connection, so a condition comes
and goes without waiting for a clock), the CLI's ``main``, a real child process for
``--exec`` and a real HTTP server (``http.server`` on 127.0.0.1) for ``--webhook``.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from monhelpers import FAULTS, busy_array
from storplan.cli import main


@pytest.fixture(scope="module")
def array(tmp_path_factory: pytest.TempPathFactory) -> str:
    return busy_array(tmp_path_factory.mktemp("watch"))


def _watch(capsys: pytest.CaptureFixture[str], uri: str, polls: int, *options: str) -> list[Any]:
    assert main(["-u", uri, "watch", "--interval", "0", "--count", str(polls), *options]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize(
    ("fault", "code", "severity", "kind", "name"), [f[:3] + f[4:] for f in FAULTS]
)
def test_each_fault_is_raised_once_and_cleared_once(
    array: str, capsys: pytest.CaptureFixture[str], fault: str, code: str, severity: str,
    kind: str, name: str,
) -> None:  # fmt: skip
    events = _watch(capsys, f"{array}?faults={fault}@2-3", 5)
    mine = [(e["event"], e["severity"]) for e in events if e["code"] == code and e["name"] == name]
    moves = [m for m in mine if m[0] != "progress"]
    assert moves == [("raised", severity), ("cleared", severity)]
    since = {e["since"] for e in events if e["code"] == code}
    assert len(since) == 1 and since.pop()  # first seen, kept until cleared
    for other in {e["code"] for e in events} - {code}:  # a failed battery: write-through too
        assert [e["event"] for e in events if e["code"] == other] == ["raised", "cleared"]


def test_a_rebuild_reports_its_progress(array: str, capsys: pytest.CaptureFixture[str]) -> None:
    events = _watch(capsys, f"{array}?faults=raid-rebuild:ssd@1-4", 5)
    assert [(e["event"], e["percent"]) for e in events] == [
        ("raised", 0), ("progress", 25), ("progress", 50), ("progress", 75), ("cleared", 75),
    ]  # fmt: skip


def test_an_outage_is_a_condition_and_the_watch_goes_on(
    array: str, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"{array}?faults=disk-fail:disk3,observe:transient@2-3"
    events = _watch(capsys, uri, 5)
    assert [(e["event"], e["code"]) for e in events] == [
        ("raised", "disk.failed"),  # poll 1
        ("raised", "connection.failed"),  # poll 2: the disk's condition is kept, not cleared
        ("cleared", "connection.failed"),  # poll 4
    ]


def test_a_command_runs_per_event_with_the_event_on_stdin(
    array: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "events.log"
    script = tmp_path / "hook.py"
    script.write_text(
        "import os, sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        "    out.write(os.environ['STORPLAN_EVENT'] + ' ' + sys.stdin.read() + '\\n')\n"
    )
    events = _watch(
        capsys, f"{array}?faults=port-down:tp2@1", 2, "--exec", f"{sys.executable} {script}"
    )
    lines = log.read_text().splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["raised", "cleared"]
    assert [json.loads(line.split(" ", 1)[1]) for line in lines] == events


def test_a_webhook_receives_every_event(array: str, capsys: pytest.CaptureFixture[str]) -> None:
    received: list[Any] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        events = _watch(capsys, f"{array}?faults=fan:sys1@2", 3, "--webhook", url)
    finally:
        server.shutdown()
        server.server_close()
    assert [e["event"] for e in received] == ["raised", "cleared"]
    assert received == events


def test_a_failing_webhook_does_not_stop_the_watch(
    array: str, capsys: pytest.CaptureFixture[str]
) -> None:
    events = _watch(capsys, f"{array}?faults=fan:sys1@2", 3, "--webhook", "http://127.0.0.1:9/")
    assert [e["event"] for e in events] == ["raised", "cleared"]
