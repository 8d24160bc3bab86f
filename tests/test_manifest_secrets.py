"""Secrets pasted into manifests never appear in any diagnostic, in any output, at any verbosity.

Real: distinctive canary values are planted where secrets end up by mistake (a password where
a variable's name belongs, a CHAP secret as a ``prompt``, a password in a provider URI with or
without a scheme, an invalid port or IPv6 host after a password, an unknown ``password:`` key,
a trailing newline ...) in corpus-style manifest files; the real loader's diagnostics (text,
JSON, the ManifestError) and real ``storplan validate`` and ``storplan plan`` processes (text
and JSON, ``-v`` and ``-vv``) are scanned for every canary.  Nothing is mocked.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from storplan.manifest import ManifestError, load_manifest, validate

HEAD = "apiVersion: storplan.io/v1\nkind: StorageState\n"
POOL = "    pools: [{name: ssd}]\n    volumes: [{name: v1, pool: ssd, size: 1GiB}]\n"
HOST = (
    "    hosts:\n      - name: h1\n        initiators:\n"
    "          - {id: iqn.2024-01.com.example:h1, chap: CHAP}\n"
)


def canary(n: int) -> str:
    return f"Cz{n}-Canary-Pa55!"


# (name, array entry lines) — each plants canary ``{s}`` where a secret may be pasted by mistake.
CASES: list[tuple[str, str]] = [
    ("env-pattern", "    credentials: {password: {env: '{s}'}}\n"),
    ("env-newline", '    credentials: {password: {env: "{s}\\n"}}\n'),
    ("prompt-text", "    credentials: {password: {prompt: {s}}}\n"),
    ("prompt-quoted", "    credentials: {password: {prompt: '{s}'}}\n"),
    ("password-literal", "    credentials: {password: '{s}'}\n"),
    ("password-number", "    credentials: {password: {env: 31337{n}}}\n"),
    ("two-sources", "    credentials: {password: {env: '{s}', file: /x}}\n"),
    ("file-and-junk", "    credentials: {password: {file: /x, extra: '{s}'}}\n"),
    ("token-key", "    credentials: {password: {env: OK}, token: '{s}'}\n"),
    ("password-key-in-array", "    password: '{s}'\n"),
    ("chap-env", HOST.replace("CHAP", "{user: h1, secret: {env: '{s}'}}")),
    ("chap-prompt", HOST.replace("CHAP", "{user: h1, secret: {prompt: '{s}'}}")),
    ("chap-literal", HOST.replace("CHAP", "{user: h1, secret: '{s}'}")),
    ("chap-mutual", HOST.replace("CHAP", "{user: h1, secret: {env: OK}, mutual: '{s}'}")),
]
PROVIDERS: list[tuple[str, str]] = [
    ("uri-password", "smis+https://admin:{s}@array.example.com:5989/"),
    ("uri-no-scheme", "admin:{s}@array.example.com:5989"),
    ("uri-bad-port", "smis://admin:{s}@array.example.com:99x/"),
    ("uri-user-bad-port", "smis://{s}@array.example.com:99x/"),
    ("uri-user-bad-ipv6", "smis://{s}@[::zz]:5989/"),
    ("uri-slash-password", "smis://admin:{s}/x@array.example.com/"),
    ("uri-space", "smis://admin:{s} @array.example.com/"),
]


def manifests(root: Path) -> list[tuple[Path, str]]:
    """Write one manifest per case; return (path, canary) pairs."""
    written: list[tuple[Path, str]] = []
    for n, (name, body) in enumerate(CASES):
        secret = f"31337{n}" if "{n}" in body else canary(n)  # a PIN-like number
        text = body.replace("{s}", secret).replace("{n}", str(n))
        path = root / f"{n:02d}-{name}.yaml"
        path.write_text(f"{HEAD}arrays:\n  - name: a1\n    provider: sim://\n{text}{POOL}")
        written.append((path, secret))
    for n, (name, uri) in enumerate(PROVIDERS, start=len(CASES)):
        secret = canary(n)
        path = root / f"{n:02d}-{name}.yaml"
        value = json.dumps(uri.replace("{s}", secret))  # a double-quoted YAML scalar
        path.write_text(f"{HEAD}arrays:\n  - name: a1\n    provider: {value}\n{POOL}")
        written.append((path, secret))
    return written


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    return manifests(tmp_path_factory.mktemp("secrets"))


def test_every_case_is_invalid_and_its_file_holds_the_canary(
    planted: list[tuple[Path, str]],
) -> None:
    assert len(planted) == len(CASES) + len(PROVIDERS)
    for path, secret in planted:
        assert secret in path.read_text(), path
        assert not validate([path], offline=True).ok, path


def test_no_diagnostic_prints_a_canary(planted: list[tuple[Path, str]]) -> None:
    for path, secret in planted:
        result = validate([path], offline=True)
        for diagnostic in result.diagnostics:
            text = str(diagnostic) + json.dumps(diagnostic.to_dict()) + repr(diagnostic)
            assert secret not in text, (path.name, text)
        with pytest.raises(ManifestError) as info:
            load_manifest([path], offline=True)
        assert secret not in str(info.value) + repr(info.value.diagnostics) + info.value.hint


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("storplan")), *args],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        env=env,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["validate", "--offline"],
        ["validate", "--offline", "-o", "json"],
        ["-v", "validate"],
        ["-vv", "validate", "-o", "json"],
        ["-vv", "plan"],
        ["plan", "-o", "json"],
    ],
    ids=" ".join,
)
def test_no_process_output_prints_a_canary(
    planted: list[tuple[Path, str]], command: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "STORPLAN_STATE": str(tmp_path / "state.db"), "HOME": str(tmp_path)}
    directory = planted[0][0].parent
    done = run(*command, str(directory), env=env)  # every case at once
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    output = done.stdout + done.stderr
    assert output.strip()
    for _, secret in planted:
        assert secret not in output, secret
    for path, secret in planted[:: max(1, len(planted) // 3)]:  # and some one by one
        one = run(*command, str(path), env=env)
        assert one.returncode == 1 and secret not in one.stdout + one.stderr, path.name
