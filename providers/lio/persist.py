"""Keep LIO's configuration across reboots, the way targetcli does.

After every change the whole configuration is written to ``saveconfig.json`` (by default the
file the distribution's ``target`` / ``rtslib-fb-targetctl`` service restores at boot)
atomically (:func:`storplan.files.write_private`: a temporary file in the same directory,
fsync, rename, fsync of the directory).
The previous file, when it differs, is kept first as
``backup/saveconfig-YYYYMMDD-HH:MM:SS.json`` and only the newest ``backups`` copies are kept.
"""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

from storplan.files import write_private

__all__ = ["save_config"]


def save_config(config: dict[str, Any], path: str, backups: int) -> None:
    """Write ``config`` to ``path`` atomically (mode 0600), backing up the previous file."""
    target = Path(path)
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    text = json.dumps(config, sort_keys=True, indent=2) + "\n"
    try:
        previous = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        previous = None
    if previous == text:
        return
    if previous is not None and backups > 0:
        _back_up(target, backups)
    write_private(target, text)  # 0600: it holds CHAP secrets


def _back_up(target: Path, keep: int) -> None:
    folder = target.parent / "backup"
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H:%M:%S")
    stem = target.stem
    destination = folder / f"{stem}-{stamp}.json"
    counter = 1
    while destination.exists():  # two saves within one second
        destination = folder / f"{stem}-{stamp}.{counter}.json"
        counter += 1
    shutil.copy2(target, destination)
    kept = sorted(folder.glob(f"{stem}-*.json"), key=lambda p: p.stat().st_mtime_ns)
    for old in kept[:-keep]:
        old.unlink(missing_ok=True)
