"""Read LIO's configuration from configfs, without writing anything.

``observe()`` and ``plan`` must not change the host, and rtslib's ``RTSRoot()`` may mount
configfs, load modules and write ``dbroot``.  This module therefore reads the configfs tree
with plain file reads: backstores under ``core/``, and the iSCSI target's TPGs, LUNs, node ACLs
(with their group tag, CHAP user and mapped LUNs) and network portals under ``iscsi/``.
Unreadable parts become problems in :attr:`LioTree.problems` instead of failing the listing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from storplan.errors import ConnectionFailed

__all__ = ["Acl", "Backstore", "LioTree", "Tpg", "read_tree", "require_lio"]

BACKSTORE_PLUGINS = ("fileio", "iblock")
SESSION_UP = frozenset({"LOGGED_IN", "ACTIVE"})  # TARG_SESS_STATE_* of a usable session


@dataclass(frozen=True, slots=True)
class Backstore:
    """A storage object: ``plugin`` is ``fileio`` or ``iblock``; ``serial`` its unit serial."""

    plugin: str
    name: str
    path: str
    serial: str
    size: int
    block_size: int = 512


@dataclass(frozen=True, slots=True)
class Acl:
    """A node ACL: ``mapped`` maps each mapped LUN number to the TPG LUN it exposes;
    ``session`` the state of its initiator's iSCSI session (``LOGGED_IN``, ...), ``None``
    when it has none."""

    initiator: str
    tag: str | None
    chap_user: str | None
    mapped: dict[int, int] = field(default_factory=dict)
    mutual_user: str | None = None
    session: str | None = None

    @property
    def logged_in(self) -> bool:
        """True when the initiator has a session in full-feature phase."""
        return self.session in SESSION_UP


@dataclass(frozen=True, slots=True)
class Tpg:
    """A target portal group: ``luns`` maps TPG LUN numbers to ``(plugin, name)``."""

    target: str
    tag: int
    enabled: bool
    luns: dict[int, tuple[str, str]]
    acls: tuple[Acl, ...]
    portals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LioTree:
    """Everything read from configfs in one pass."""

    backstores: tuple[Backstore, ...]
    tpgs: tuple[Tpg, ...]
    problems: tuple[str, ...] = ()

    def tpg(self, target: str, tag: int = 1) -> Tpg | None:
        """The TPG ``tag`` of ``target``, if it exists."""
        return next((t for t in self.tpgs if t.target == target and t.tag == tag), None)


def require_lio(root: str) -> None:
    """Raise :class:`ConnectionFailed` with what to do when LIO is not available at ``root``."""
    if not os.path.isdir(os.path.join(root, "core")):
        raise ConnectionFailed(
            f"the Linux LIO target is not available here ({root} does not exist)",
            hint="load it with `modprobe target_core_mod iscsi_target_mod` and mount configfs "
            "(`mount -t configfs none /sys/kernel/config`); storplan does not do this while "
            "only observing",
        )


def read_tree(root: str) -> LioTree:
    """Read backstores and iSCSI TPGs under the configfs target directory ``root``."""
    require_lio(root)
    problems: list[str] = []
    backstores = tuple(_backstores(Path(root) / "core", problems))
    tpgs = tuple(_tpgs(Path(root) / "iscsi", problems))
    return LioTree(backstores, tpgs, tuple(problems))


def _read(path: Path, default: str = "") -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return default


def _dirs(path: Path) -> list[Path]:
    try:
        return sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


def _backstores(core: Path, problems: list[str]) -> list[Backstore]:
    found = []
    for hba in _dirs(core):
        plugin = hba.name.rpartition("_")[0]
        if plugin not in BACKSTORE_PLUGINS:
            continue
        for so in _dirs(hba):
            if so.name in ("hba_info", "hba_mode"):
                continue
            try:
                found.append(_backstore(plugin, so))
            except (OSError, ValueError) as exc:
                problems.append(f"backstore {plugin}/{so.name} could not be read: {exc}")
    return found


def _backstore(plugin: str, so: Path) -> Backstore:
    serial = _read(so / "wwn" / "vpd_unit_serial").partition(":")[2].strip()
    path = _read(so / "udev_path")
    info = _read(so / "info")
    size = _info_size(info) if plugin == "fileio" else _block_device_size(path)
    block_size = int(_read(so / "attrib" / "block_size", "512") or 512)
    return Backstore(plugin, so.name, path, serial, size, block_size)


def _info_size(info: str) -> int:
    words = info.split()
    for index, word in enumerate(words[:-1]):
        if word == "Size:":
            return int(words[index + 1])
    return 0


def _block_device_size(path: str) -> int:
    """Bytes of the block device at ``path`` (from sysfs, without opening the device)."""
    if not path:
        return 0
    device = os.stat(path).st_rdev
    sectors = Path(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/size")
    return int(_read(sectors, "0")) * 512


def _tpgs(iscsi: Path, problems: list[str]) -> list[Tpg]:
    result = []
    for target in _dirs(iscsi):
        if not target.name.startswith(("iqn.", "eui.", "naa.")):
            continue  # discovery_auth and other fabric-wide directories
        for tpg in _dirs(target):
            if not tpg.name.startswith("tpgt_"):
                continue
            try:
                result.append(_tpg(target.name, tpg))
            except (OSError, ValueError) as exc:
                problems.append(f"{target.name}/{tpg.name} could not be read: {exc}")
    return result


def _tpg(target: str, tpg: Path) -> Tpg:
    luns: dict[int, tuple[str, str]] = {}
    for lun in _dirs(tpg / "lun"):
        link = _only_link(lun)
        if link is not None:
            hba, name = link.parent.name, link.name
            luns[int(lun.name.removeprefix("lun_"))] = (hba.rpartition("_")[0], name)
    acls = tuple(_acl(acl) for acl in _dirs(tpg / "acls"))
    portals = tuple(p.name for p in _dirs(tpg / "np"))
    enabled = _read(tpg / "enable", "0") == "1"
    return Tpg(target, int(tpg.name.removeprefix("tpgt_")), enabled, luns, acls, portals)


def _acl(acl: Path) -> Acl:
    mapped: dict[int, int] = {}
    for mlun in _dirs(acl):
        if not mlun.name.startswith("lun_"):
            continue
        link = _only_link(mlun)
        if link is not None:
            mapped[int(mlun.name.removeprefix("lun_"))] = int(link.name.removeprefix("lun_"))
    tag = _unset_is_none(_read(acl / "tag"))
    user = _unset_is_none(_read(acl / "auth" / "userid"))
    mutual = _unset_is_none(_read(acl / "auth" / "userid_mutual"))
    return Acl(acl.name, tag, user, mapped, mutual, session_state(_read(acl / "info")))


def session_state(info: str) -> str | None:
    """The session state in an ACL's ``info`` (the kernel's ``lio_target_nacl_info_show``:
    ``No active iSCSI Session ...`` without one, else a ``Session State: TARG_SESS_STATE_X``
    line; rtslib's ``NodeACL.session`` reads the same file); ``None``: no session."""
    if not info or info.startswith("No active"):
        return None
    for line in info.splitlines():
        if line.startswith("Session State:"):
            return line.partition("_STATE_")[2].split()[0] if "_STATE_" in line else "UNKNOWN"
    return "UNKNOWN"


def _unset_is_none(value: str) -> str | None:
    """configfs shows an unset tag or CHAP attribute as empty or as ``NULL``."""
    return None if value in ("", "NULL") else value


def _only_link(directory: Path) -> Path | None:
    """Where the one symbolic link in ``directory`` points (LUN -> backstore, mapped LUN ->
    TPG LUN), resolved against configfs' own relative links."""
    try:
        with os.scandir(directory) as entries:
            links = [e.path for e in entries if e.is_symlink()]
        return Path(os.path.normpath(os.path.join(directory, os.readlink(links[0]))))
    except (OSError, IndexError):
        return None
