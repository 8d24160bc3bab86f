"""Settings of the ``nfs`` provider, validated before anything on the host is touched.

The URI's path is the base directory under which file systems are mounted (so two bases are
two arrays to the state store and its locks); the query, or a YAML file named by
``settings=`` (default ``/etc/storplan/nfs.yaml`` when it exists), gives the rest::

    nfs:///srv/storplan?pool=thin:lvm-thin:vg0/tp0&export_root=/srv/nfs&fs_type=xfs

    # /etc/storplan/nfs.yaml
    base: /srv/storplan
    export_root: /srv/nfs
    fs_type: xfs
    pools:
      - {name: thin, lvm-thin: vg0/tp0}
      - {name: thick, lvm: vg0}

Query keys override the file.  ``export_root`` is where exports appear: an export with path
``/projects`` is the directory ``<export_root>/projects`` (a bind mount of its file system),
which is what clients mount.  storplan owns ``exports_file`` and one marked block of
``fstab``; it never edits anything else there.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from typing import Any

from storplan.errors import InvalidArgument
from storplan.providers.kit.options import OptionSpec, read_settings_file, text
from storplan.providers.kit.options import parse_options as kit_options
from storplan.providers.kit.pools import PoolConfig, PoolRules, pool_from_mapping, pool_from_text
from storplan.uri import ProviderURI

from .names import NAME_MAX_LENGTH, check_name

__all__ = ["DEFAULT_SETTINGS", "FS_TYPES", "NfsOptions", "parse_options"]

DEFAULT_SETTINGS = "/etc/storplan/nfs.yaml"
FS_TYPES = ("xfs", "ext4")
_PATH_KEYS = ("base", "export_root", "exports_file", "fstab", "etab")
_FILE_KEYS = {*_PATH_KEYS, "fs_type", "pools"}
_QUERY_OPTIONS = tuple(
    OptionSpec(key, text) for key in ("settings", "pool", "fs_type", *_PATH_KEYS[1:])
)  # parsed below, with the settings file they override
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._/+@:-]*")
_RULES = PoolRules("nfs", ("lvm", "lvm-thin"), check_name, NAME_MAX_LENGTH + 8)


@dataclass(frozen=True, slots=True)
class NfsOptions:
    """Validated provider settings."""

    base: str = "/srv/storplan"
    export_root: str = "/srv/nfs"
    pools: tuple[PoolConfig, ...] = ()
    fs_type: str = "xfs"
    exports_file: str = "/etc/exports.d/storplan.exports"
    fstab: str = "/etc/fstab"
    etab: str = "/var/lib/nfs/etab"
    """What the kernel exports now, as ``exportfs`` last told it (``exportfs -v`` reads it)."""

    def pool(self, name: str) -> PoolConfig | None:
        """The pool called ``name``."""
        return next((p for p in self.pools if p.name == name), None)

    def mount_point(self, filesystem: str) -> str:
        """Where file system ``filesystem`` is mounted."""
        return os.path.join(self.base, filesystem)

    def snapshot_point(self, filesystem: str, snapshot: str) -> str:
        """Where snapshot ``snapshot`` of ``filesystem`` is mounted (read-only)."""
        return os.path.join(self.base, ".snapshots", filesystem, snapshot)

    def export_dir(self, path: str) -> str:
        """The server directory of export ``path`` (what clients mount)."""
        return os.path.normpath(self.export_root + path)

    def export_path(self, directory: str) -> str | None:
        """The export path of a server directory under ``export_root``, else ``None``."""
        root = self.export_root.rstrip("/")
        if directory.startswith(root + "/"):
            return directory[len(root) :]
        return None

    @property
    def lock_file(self) -> str:
        """The ``flock`` file serialising storplan processes (exportfs ignores dot files)."""
        head, tail = os.path.split(self.exports_file)
        return os.path.join(head, f".{tail}.lock")


def parse_options(uri: ProviderURI) -> NfsOptions:
    """Validate the URI and the settings file it names (or the default one).

    Raises:
        InvalidArgument: an unknown key, a relative or unsafe path, a bad pool.
    """
    query = {
        key: value
        for key, value in kit_options("nfs", uri.query, _QUERY_OPTIONS).items()
        if value is not None
    }  # unknown keys refused here, with the closest known one
    if uri.host or uri.user or uri.port is not None:
        raise InvalidArgument(
            "the nfs provider manages the local kernel NFS server: write nfs:///BASE_DIR",
            hint="run storplan on the NFS server itself (e.g. over ssh) as root",
        )
    settings = _read_file(query.pop("settings", None))
    if uri.path not in ("", "/"):
        settings["base"] = uri.path
    if "pool" in query:
        settings["pools"] = [pool_from_text(_RULES, t) for t in query.pop("pool").split(",")]
    settings.update(query)
    return _build(settings)


def _read_file(path: str | None) -> dict[str, Any]:
    data = read_settings_file(path, DEFAULT_SETTINGS, _FILE_KEYS, "the nfs settings", "settings")
    if not data:
        return data
    chosen = path or DEFAULT_SETTINGS
    pools = data.get("pools", [])
    if not isinstance(pools, list):
        raise InvalidArgument(f"{chosen}: pools must be a list")
    data["pools"] = [pool_from_mapping(_RULES, chosen, item) for item in pools]
    return data


def _path(key: str, value: object) -> str:
    path = str(value)
    if _SAFE_PATH.fullmatch(path) is None or "/../" in f"{path}/" or "//" in path:
        raise InvalidArgument(
            f"nfs {key} {path!r} must be an absolute path of letters, digits and ._/+@:-",
            hint="exports and fstab lines cannot hold spaces or quotes safely",
        )
    return os.path.normpath(path)


def _build(settings: dict[str, Any]) -> NfsOptions:
    paths = {key: _path(key, settings[key]) for key in _PATH_KEYS if key in settings}
    options = NfsOptions(**paths)  # type: ignore[arg-type]
    for key in ("base", "export_root"):
        if getattr(options, key) == "/":
            raise InvalidArgument(f"the nfs {key} cannot be /", hint="use e.g. /srv/nfs")
    if os.path.commonpath([options.base, options.export_root]) in (
        options.base,
        options.export_root,
    ):
        raise InvalidArgument(
            f"base {options.base} and export_root {options.export_root} must not contain "
            "each other",
            hint="e.g. base /srv/storplan (mount points), export_root /srv/nfs (exports)",
        )
    if not options.exports_file.endswith(".exports"):
        raise InvalidArgument(
            f"exports_file {options.exports_file} must end in .exports",
            hint="exportfs reads only /etc/exports.d/*.exports",
        )
    fs_type = str(settings.get("fs_type", "xfs"))
    if fs_type not in FS_TYPES:
        raise InvalidArgument(
            f"nfs fs_type {fs_type!r} is not supported", hint=f"use one of {', '.join(FS_TYPES)}"
        )
    pools: list[PoolConfig] = list(settings.get("pools") or [])
    names = [p.name for p in pools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidArgument(f"nfs pool name(s) used twice: {', '.join(duplicates)}")
    return replace(options, pools=tuple(pools), fs_type=fs_type)
