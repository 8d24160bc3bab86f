"""Files storplan owns on a server, replaced atomically: a reader (a daemon at its restart,
a boot) sees the old file or the new one, never half of one."""

from __future__ import annotations

import os
from contextlib import suppress

__all__ = ["write_atomically"]


def write_atomically(path: str, content: str, mode: int = 0o600) -> None:
    """Replace ``path`` by ``content`` (temporary file in the same directory, fsync, rename,
    fsync of the directory)."""
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.storplan-tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    dir_fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
