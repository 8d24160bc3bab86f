"""Reading a manifest file's bytes: bounded, and only from regular files.

``os.path.getsize`` is 0 for devices, so a size check alone lets ``/dev/zero`` be read without
limit, and opening a FIFO blocks until a writer appears.  So the path is ``stat``-ed first and
anything but a regular file (a device, FIFO, socket or directory) is refused without being
opened; a regular file is opened with ``O_NONBLOCK`` (a FIFO swapped in after the ``stat`` does
not block the open), checked again with ``fstat``, and read with a bounded read whatever its
reported size (``/proc`` files report 0 and grow while read).
"""

from __future__ import annotations

import os
import stat

__all__ = ["MAX_BYTES", "FileProblem", "kind_of", "read_bounded"]

MAX_BYTES = 32 << 20

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


class FileProblem(Exception):
    """Why a file could not be read: a diagnostic code, a message and a hint."""

    def __init__(self, code: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def kind_of(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words (``"a regular file"`` for files)."""
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a regular file" if stat.S_ISREG(mode) else "not a regular file"


def _not_regular(mode: int) -> FileProblem:
    return FileProblem(
        "file.not_regular",
        f"this is {kind_of(mode)}, not a regular file; it was not read",
        "point at a manifest file (or a directory of them); to check generated YAML, "
        "write it to a file first",
    )


def _too_large(size: str) -> FileProblem:
    return FileProblem(
        "file.too_large",
        f"the file is {size} bytes, more than the {MAX_BYTES:,} a manifest may have",
        "split it into several files in one directory",
    )


def read_bounded(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Raises:
        FileProblem: the path is not a regular file, is larger than ``limit``, or cannot be read.
    """
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise _not_regular(before.st_mode)
        if before.st_size > limit:
            raise _too_large(f"{before.st_size:,}")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileProblem(
            "file.unreadable",
            f"cannot read the file: {exc.strerror or exc}",
            "check the path and its permissions",
        ) from None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):  # replaced between stat and open
            raise _not_regular(after.st_mode)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # it grew while being read (or its size was not reported)
            raise _too_large(f"more than {limit:,}")
        return b"".join(chunks)
    except OSError as exc:
        raise FileProblem(
            "file.unreadable",
            f"cannot read the file: {exc.strerror or exc}",
            "check the path and its permissions",
        ) from None
    finally:
        os.close(fd)
