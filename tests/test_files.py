"""``storplan.files.write_private`` on real files in a temporary directory: the mode (whatever
the umask), atomic replacement (the old file intact until the rename, never a partial file),
and no temporary file left behind when a write fails."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from storplan.files import write_private


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the process umask for one test; the previous one comes back afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


def test_a_new_file_is_0600_even_with_umask_0(tmp_path: Path, umask: Callable[[int], None]) -> None:
    umask(0)
    target = tmp_path / "state.json"
    write_private(target, '{"a": 1}\n')
    assert mode_of(target) == 0o600
    assert target.read_text(encoding="utf-8") == '{"a": 1}\n'
    assert os.listdir(tmp_path) == ["state.json"]


@pytest.mark.parametrize(("mask", "mode"), [(0, 0o644), (0o077, 0o644), (0o022, 0o640)])
def test_the_mode_is_exactly_the_one_asked_for(
    tmp_path: Path, umask: Callable[[int], None], mask: int, mode: int
) -> None:
    """A 0644 file (exports.d, the fstab, node_exporter's textfile) stays 0644 under umask 077,
    and umask 0 widens nothing."""
    umask(mask)
    target = tmp_path / "storplan.exports"
    write_private(target, "x\n", mode=mode)
    assert mode_of(target) == mode


def test_a_wider_old_file_is_replaced_by_a_0600_one(tmp_path: Path) -> None:
    target = tmp_path / "tokens.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o666)
    write_private(target, "new\n")
    assert mode_of(target) == 0o600
    assert target.read_text(encoding="utf-8") == "new\n"


def test_bytes_are_written_as_given_and_text_as_utf8(tmp_path: Path) -> None:
    raw = bytes(range(256)) * 300  # larger than one write may take
    write_private(tmp_path / "raw", raw)
    assert (tmp_path / "raw").read_bytes() == raw
    write_private(str(tmp_path / "text"), "caf\u00e9\n")
    assert (tmp_path / "text").read_bytes() == "caf\u00e9\n".encode()


def test_the_old_file_stays_whole_until_the_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to the rename the target is the old file, and the new content is complete, fsynced
    and already 0600 in the temporary file; a reader that opened the old file keeps reading
    the old inode, whole."""
    target = tmp_path / "saveconfig.json"
    target.write_text("old content\n", encoding="utf-8")
    old_inode = target.stat().st_ino
    reader = target.open(encoding="utf-8")
    new = "new content " * 10_000
    modes_at_write: list[int] = []
    seen_at_rename: list[tuple[str, str, int]] = []
    real_write, real_replace = os.write, os.replace

    def write(fd: int, data: bytes | memoryview) -> int:
        modes_at_write.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_write(fd, data)

    def replace(source: str, destination: str) -> None:
        seen_at_rename.append(
            (
                Path(destination).read_text(encoding="utf-8"),
                Path(source).read_text(encoding="utf-8"),
                mode_of(Path(source)),
            )
        )
        real_replace(source, destination)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "replace", replace)
    write_private(target, new)
    monkeypatch.undo()

    assert modes_at_write and set(modes_at_write) == {0o600}  # before the first byte
    assert seen_at_rename == [("old content\n", new, 0o600)]
    assert target.read_text(encoding="utf-8") == new
    assert target.stat().st_ino != old_inode
    assert reader.read() == "old content\n"
    reader.close()
    assert os.listdir(tmp_path) == ["saveconfig.json"]


def test_a_failed_rename_leaves_no_temporary_file(tmp_path: Path) -> None:
    """The target is a directory: the temporary file is written, the rename fails."""
    target = tmp_path / "plan.json"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError):
        write_private(target, "{}")
    assert os.listdir(tmp_path) == ["plan.json"]
    assert os.listdir(target) == ["inside"]


@pytest.fixture
def read_only_directory(tmp_path: Path) -> Iterator[Path]:
    """A directory nobody may create files in: mode 0555, and immutable (``chattr +i``) when
    the tests run as root, whom modes do not stop."""
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "exports.conf").write_text("old\n", encoding="utf-8")
    folder.chmod(0o555)
    immutable = False
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        done = chattr and subprocess.run([chattr, "+i", str(folder)], capture_output=True)
        if not done or done.returncode != 0:
            folder.chmod(0o755)
            pytest.skip("running as root and chattr +i is not available here")
        immutable = True
    try:
        yield folder
    finally:
        if immutable:
            subprocess.run([str(shutil.which("chattr")), "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_directory_is_an_error_and_nothing_is_left(read_only_directory: Path) -> None:
    with pytest.raises(PermissionError):
        write_private(read_only_directory / "exports.conf", "new\n")
    assert os.listdir(read_only_directory) == ["exports.conf"]
    assert (read_only_directory / "exports.conf").read_text(encoding="utf-8") == "old\n"


def test_a_write_cut_short_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """A file-size limit (``RLIMIT_FSIZE``, in a child process) makes the write fail part way,
    as a full disk would: the old file is untouched and the partial temporary file is gone."""
    target = tmp_path / "fstab"
    target.write_text("old\n", encoding="utf-8")
    child = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "from storplan.files import write_private\n"
        "try:\n"
        "    write_private(sys.argv[1], b'x' * 100_000)\n"
        "except OSError as exc:\n"
        "    print(exc.errno)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, str(target)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(errno.EFBIG)
    assert target.read_text(encoding="utf-8") == "old\n"
    assert os.listdir(tmp_path) == ["fstab"]
