"""Writing a file whole: the one way storplan replaces the files it owns.

State and secrets (signed plans, API tokens, LIO's saved configuration with its CHAP secrets)
and the server files providers own (Ganesha's export files, exports.d, storplan's fstab block)
are replaced by :func:`write_private`: a temporary file in the same directory, created with
``O_EXCL`` and its final mode, written, fsynced, renamed over the old file, then the directory
fsynced.  A reader (a daemon at its restart, a boot, another storplan) sees the old file or
the new one, never part of one, and the file is never readable by more than ``mode`` allows.

The core and the providers both import it (``storplan.files``); it imports nothing of
storplan.
"""

from __future__ import annotations

import os
import secrets
from contextlib import suppress

__all__ = ["write_private"]


def write_private(path: str | os.PathLike[str], data: bytes | str, *, mode: int = 0o600) -> None:
    """Replace ``path`` by ``data`` (``str`` is written as UTF-8) atomically, with exactly
    ``mode``.

    ``mode`` is 0600 unless the file's readers need more (``/etc/exports.d`` files and the
    fstab are 0644, node_exporter's textfile is read by its own user).  The umask narrows
    neither it nor widens it: the mode is set on the temporary file before anything is
    written, so there is no moment at which the file is readable by more than ``mode``.  The
    temporary file (``.<name>.<random>.storplan-tmp``, a dot file no server reads) is removed
    when anything fails.

    Raises:
        OSError: the directory cannot be written, the disk is full, ``path`` is a directory...;
            ``path`` is then as it was.
    """
    target = os.fspath(path)
    directory, name = os.path.split(target)
    directory = directory or "."
    content = data.encode("utf-8") if isinstance(data, str) else data
    temporary = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.storplan-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            os.fchmod(fd, mode)  # exactly mode: the umask may have narrowed it
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
