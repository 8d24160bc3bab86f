"""Settings of the ``lio`` provider: which target, which portals, which pools.

Pools are configured on the provider, because a Linux host has no notion of "storage pool" of
its own.  A pool is one of:

* ``lvm:VG``            thick volumes as logical volumes of volume group ``VG``;
* ``lvm-thin:VG/POOL``  thin volumes as thin LVs of the thin pool ``VG/POOL``;
* ``dir:/PATH``         volumes as files in a directory (sparse files for thin volumes).

Settings come from a YAML file (``config=`` in the URI, else ``/etc/storplan/lio.yaml`` when it
exists) and URI query keys, which override the file::

    lio://?pool=fast:lvm-thin:vg0/tp0&pool=bulk:lvm:vg0&pool=files:dir:/srv/luns
          &target=iqn.2003-01.org.linux-iscsi.host1:storplan&portal=0.0.0.0:3260

    # /etc/storplan/lio.yaml
    target: iqn.2003-01.org.linux-iscsi.host1:storplan
    portals: ["0.0.0.0:3260"]
    pools:
      - {name: fast, lvm-thin: vg0/tp0, oversubscription: 5}
      - {name: files, dir: /srv/luns}

Every value is validated here, before anything touches the host: names end up as configfs
directory names and as arguments of LVM commands (never through a shell).
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass
from typing import Any

from storplan.errors import InvalidArgument
from storplan.identifiers import canonical_iqn
from storplan.providers.kit.options import OptionSpec, read_settings_file, text
from storplan.providers.kit.options import parse_options as kit_options
from storplan.providers.kit.pools import PoolConfig, PoolRules, pool_from_mapping, pool_from_text
from storplan.uri import ProviderURI

from .names import NAME_MAX_LENGTH, check_object_name

__all__ = ["DEFAULT_CONFIG", "LioOptions", "PoolConfig", "parse_options"]

DEFAULT_CONFIG = "/etc/storplan/lio.yaml"
DEFAULT_CONFIGFS = "/sys/kernel/config/target"
POOL_KINDS = ("lvm", "lvm-thin", "dir")
_QUERY_OPTIONS = tuple(
    OptionSpec(key, text)
    for key in ("config", "pool", "target", "portal", "saveconfig", "configfs", "backups")
)  # parsed below, with the configuration file they override
_FILE_KEYS = {"target", "portals", "pools", "saveconfig", "configfs", "backups"}


@dataclass(frozen=True, slots=True)
class LioOptions:
    """Validated provider settings."""

    target: str
    portals: tuple[tuple[str, int], ...]
    pools: tuple[PoolConfig, ...]
    saveconfig: str = ""
    """Where to save the configuration; empty: rtslib's default file (the one the distribution's
    boot-time restore reads: ``/etc/target/`` upstream, ``/etc/rtslib-fb-target/`` on Debian)."""
    configfs: str = DEFAULT_CONFIGFS
    backups: int = 10

    def pool(self, name: str) -> PoolConfig | None:
        """The pool called ``name``."""
        return next((p for p in self.pools if p.name == name), None)


def default_target() -> str:
    """``iqn.2003-01.org.linux-iscsi.<host>:storplan``, the name targetcli would suggest."""
    host = re.sub(r"[^a-z0-9.-]", "-", socket.gethostname().lower()).strip(".-") or "localhost"
    return f"iqn.2003-01.org.linux-iscsi.{host}:storplan"


def parse_options(uri: ProviderURI) -> LioOptions:
    """Validate the URI query and the config file it names (or the default one)."""
    kit_options("lio", uri.query, _QUERY_OPTIONS)  # unknown keys, with the closest known one
    if uri.host or uri.user or uri.port is not None:
        raise InvalidArgument(
            "the lio provider manages the local host: write lio:// or lio:///?options",
            hint="run storplan on the target host itself (e.g. over ssh)",
        )
    settings = _read_file(uri.query.get("config"))
    query = uri.query
    if "target" in query:
        settings["target"] = query["target"]
    if "portal" in query:
        settings["portals"] = query["portal"].split(",")
    if "pool" in query:
        settings["pools"] = [_pool_from_text(text) for text in query["pool"].split(",")]
    for key in ("saveconfig", "configfs", "backups"):
        if key in query:
            settings[key] = query[key]
    return _build(settings)


def _read_file(path: str | None) -> dict[str, Any]:
    data = read_settings_file(path, DEFAULT_CONFIG, _FILE_KEYS, "the lio configuration", "config")
    if not data:
        return data
    chosen = path or DEFAULT_CONFIG
    pools = data.get("pools", [])
    if not isinstance(pools, list):
        raise InvalidArgument(f"{chosen}: pools must be a list")
    data["pools"] = [_pool_from_mapping(chosen, item) for item in pools]
    return data


_RULES = PoolRules("lio", POOL_KINDS, check_object_name, NAME_MAX_LENGTH)


def _pool_from_text(text: str) -> PoolConfig:
    """``NAME:KIND:LOCATION`` from the URI."""
    return pool_from_text(_RULES, text)


def _pool_from_mapping(source: str, item: object) -> PoolConfig:
    return pool_from_mapping(_RULES, source, item)


def _build(settings: dict[str, Any]) -> LioOptions:
    target = canonical_iqn(str(settings.get("target") or default_target()))
    if not target.startswith("iqn."):
        raise InvalidArgument(f"the lio target name must be an iqn. name, not {target!r}")
    portals = tuple(_portal(str(p)) for p in settings.get("portals") or ["0.0.0.0:3260"])
    pools: list[PoolConfig] = list(settings.get("pools") or [])
    names = [p.name for p in pools]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidArgument(f"lio pool name(s) used twice: {', '.join(duplicates)}")
    try:
        backups = int(settings.get("backups", 10))
    except (TypeError, ValueError):
        raise InvalidArgument("backups must be a whole number") from None
    for key in ("saveconfig", "configfs"):
        if key in settings and not str(settings[key]).startswith("/"):
            raise InvalidArgument(f"{key} must be an absolute path")
    return LioOptions(
        target=target,
        portals=portals,
        pools=tuple(pools),
        saveconfig=str(settings.get("saveconfig", "")),
        configfs=str(settings.get("configfs", DEFAULT_CONFIGFS)),
        backups=max(0, backups),
    )


def _portal(text: str) -> tuple[str, int]:
    if text.startswith("["):
        address, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    elif text.count(":") == 1:
        address, _, port = text.partition(":")
    else:
        address, port = text, ""
    try:
        number = int(port) if port else 3260
        socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    except (ValueError, OSError):
        raise InvalidArgument(
            f"portal {text!r} is not IP:PORT", hint="e.g. 0.0.0.0:3260 or [::]:3260"
        ) from None
    if not 0 < number < 65536:
        raise InvalidArgument(f"portal {text!r}: port out of range")
    return address, number
