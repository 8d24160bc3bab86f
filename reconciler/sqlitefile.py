"""Opening the SQLite files storplan keeps (simulator arrays, the state store).

Both are shared by several processes: WAL mode lets readers run beside a writer, and
``synchronous=NORMAL`` keeps commits cheap (in WAL mode it never corrupts a file; it can only
lose the last commits on power loss).  Switching a new file to WAL needs a moment of exclusive
access, for which SQLite does not wait on its own: when two processes create the same file at
once, the loser retries instead of failing with "database is locked".
"""

from __future__ import annotations

import sqlite3
import time

__all__ = ["open_shared"]


def open_shared(path: str, timeout: float = 30.0) -> sqlite3.Connection:
    """An autocommit connection to ``path`` in WAL mode, usable from any thread.

    Raises:
        sqlite3.OperationalError: the file cannot be opened, or stays locked for ``timeout``.
    """
    conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn
