"""Hostile and odd inputs: devices, FIFOs, sockets, links, directory rules, size bounds.

Real: ``/dev/zero`` and ``/dev/urandom``, FIFOs made with ``os.mkfifo``, a listening Unix
socket, symlinks and directories in ``tmp_path``, read by the real loader and by real
``storplan validate`` processes (exit codes are what users and CI see).  Every FIFO case runs
in a child process with a timeout only as a safety net: a hang fails the test instead of
stopping the suite; the test's verdict is the exit code and the message.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from storplan.manifest import ManifestError, validate
from storplan.manifest.filesource import MAX_BYTES, FileProblem, read_bounded
from storplan.manifest.yamlsource import MAX_EXPANSION, read_documents

VALID = (
    "apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n"
    "  - name: a1\n    provider: sim://\n    pools: [{name: ssd}]\n"
    "    volumes: [{name: v1, pool: ssd, size: 1GiB}]\n"
)
SAFETY_NET = 60  # seconds: a hang is a failure, never the normal way out


def storplan(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A real ``storplan`` process (the console script installed next to this Python)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("storplan")), *args],
        capture_output=True,
        text=True,
        timeout=SAFETY_NET,
        stdin=subprocess.DEVNULL,
        env=env,
    )


# ------------------------------------------------------------------ devices, FIFOs, sockets


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_without_reading(device: str) -> None:
    (found,) = validate([device], offline=True).diagnostics
    assert (found.code, found.mark.file) == ("file.not_regular", device)
    assert "character device" in found.message and "not a regular file" in found.message


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_storplan_validate_of_a_device_exits_1(device: str) -> None:
    done = storplan("validate", "--offline", device)
    assert done.returncode == 1, done.stderr
    assert f"{device}: error: this is a character device" in done.stdout
    assert "[file.not_regular]" in done.stdout


def test_a_fifo_alone_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "manifest.yaml"
    os.mkfifo(fifo)
    done = storplan("validate", "--offline", "-o", "json", str(fifo))
    assert done.returncode == 1, done.stderr
    assert '"code": "file.not_regular"' in done.stdout
    assert "a FIFO (named pipe)" in done.stdout


def test_a_fifo_in_a_manifest_directory_is_refused_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    os.mkfifo(tmp_path / "b.yaml")
    done = storplan("validate", "--offline", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert f"{tmp_path / 'b.yaml'}: error: this is a FIFO (named pipe)" in done.stdout
    assert "invalid: 1 error(s)" in done.stderr


def test_a_symlink_to_a_device_in_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    (found,) = validate([tmp_path], offline=True).diagnostics
    assert (found.code, Path(found.mark.file).name) == ("file.not_regular", "zero.yaml")


def test_a_socket_named_yaml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(path))
        server.listen(1)
        (found,) = validate([path], offline=True).diagnostics
        assert found.code == "file.not_regular" and "a socket" in found.message
    finally:
        server.close()


def test_read_bounded_never_opens_a_fifo(tmp_path: Path) -> None:
    """In-process too: the refusal comes from stat, before any open (which would block)."""
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from storplan.manifest.filesource import read_bounded, FileProblem\n"
            "try:\n    read_bounded(sys.argv[1])\nexcept FileProblem as p:\n    print(p.code)",
            str(fifo),
        ],
        capture_output=True,
        text=True,
        timeout=SAFETY_NET,
    )
    assert child.stdout.strip() == "file.not_regular", child.stderr


def test_bounded_read_of_a_file_larger_than_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * 1000)
    assert read_bounded(path, limit=1000) == b"#" * 1000
    with pytest.raises(FileProblem) as info:
        read_bounded(path, limit=999)
    assert info.value.code == "file.too_large"


def test_a_file_that_reports_size_zero_is_still_read_bounded() -> None:
    """/proc files report st_size 0 yet have content: it is read, within the bound."""
    data = read_bounded("/proc/self/status")
    assert data.startswith(b"Name:") and len(data) <= MAX_BYTES


def test_a_directory_given_as_a_file_is_walked(tmp_path: Path) -> None:
    (tmp_path / "sub.yaml").mkdir()
    (tmp_path / "sub.yaml" / "m.yml").write_text(VALID)
    assert validate([tmp_path], offline=True).ok


# ------------------------------------------------------------------ the directory rule


def test_suffixes_match_in_any_case(tmp_path: Path) -> None:
    (tmp_path / "A.YAML").write_text(VALID)
    (tmp_path / "b.Yml").write_text(VALID.replace("a1", "a2"))
    (tmp_path / "notes.txt").write_text("not a manifest")
    result = validate([tmp_path], offline=True)
    assert result.manifest is not None
    assert [a.name for a in result.manifest.arrays] == ["a1", "a2"]


def test_symlinked_directories_are_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "more.yaml").write_text(VALID.replace("a1", "a2"))
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.yaml").write_text(VALID)
    (tree / "linked").symlink_to(outside)
    result = validate([tree], offline=True)
    assert result.manifest is not None
    assert sorted(a.name for a in result.manifest.arrays) == ["a1", "a2"]


def test_a_directory_linked_twice_is_refused_naming_both_paths(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "m.yaml").write_text(VALID)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "one").symlink_to(shared)
    (tree / "two").symlink_to(shared)
    (found,) = validate([tree], offline=True).diagnostics
    assert (found.code, found.mark.file) == ("file.symlink_loop", str(tree / "two"))
    assert str(tree / "one") in found.message


def test_a_symlink_loop_exits_1_not_3(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / "loop").symlink_to(tmp_path)
    done = storplan("validate", "--offline", str(tmp_path))
    assert done.returncode == 1, done.stderr
    assert "[file.symlink_loop]" in done.stdout


def test_hidden_entries_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID)
    (tmp_path / ".hidden.yaml").write_text("not: [valid")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text("not: [valid")
    assert validate([tmp_path], offline=True).ok


# ------------------------------------------------------------------ bounds: expansion, not size


def test_more_than_a_million_honest_values_are_read() -> None:
    """The bound that stops alias bombs does not refuse a large file written out."""
    text = "x: [" + "a," * 1_000_001 + "a]\n"
    (doc,) = read_documents(text.encode(), "big.yaml")
    assert len(doc.data["x"]) == 1_000_002 > MAX_EXPANSION


def test_aliases_that_nest_too_deep_are_refused() -> None:
    """Sharing an anchored value must not let aliases build deeper data than written."""
    inner = "[" * 40 + "]" * 40
    text = f"a: &a {inner}\nb: {'[' * 40}*a{']' * 40}\n"
    with pytest.raises(ManifestError) as info:
        read_documents(text.encode(), "deep.yaml")
    (found,) = info.value.diagnostics
    assert found.code == "yaml.too_deep" and (found.mark.line, found.mark.column) == (2, 44)


def test_alias_expansion_is_still_bounded_and_names_aliases() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 8)]
    with pytest.raises(ManifestError) as info:
        read_documents("\n".join(lines).encode(), "bomb.yaml")
    (found,) = info.value.diagnostics
    assert found.code == "yaml.too_many_values"
    assert "aliases" in found.message and "billion laughs" in found.hint


def test_a_duplicate_merge_key_is_an_error_at_its_position() -> None:
    text = "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n"
    with pytest.raises(ManifestError) as info:
        read_documents(text.encode(), "m.yaml")
    (found,) = info.value.diagnostics
    assert (found.code, found.mark.line, found.mark.column) == ("yaml.duplicate_key", 5, 3)
    assert "line 4" in found.hint and found.path == "/c/<<"
