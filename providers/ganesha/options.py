"""Settings of the ``ganesha`` provider, validated before anything on the host is touched.

The URI's path is the base directory file systems are created in (so two bases are two
arrays to the state store and its locks); the query, or a YAML file named by ``settings=``
(default ``/etc/storplan/ganesha.yaml`` when it exists), gives the rest::

    ganesha:///srv/nfs?export_dir=/etc/ganesha/storplan.d&main_config=/etc/ganesha/ganesha.conf
           &bus=unix:path=/run/dbus/system_bus_socket&export_ids=1000-1999&pool=nfs

    # /etc/storplan/ganesha.yaml
    base: /srv/nfs
    export_dir: /etc/ganesha/storplan.d
    export_ids: 1000-1999

Query keys override the file.  ``export_dir`` is owned by storplan: one ``export-<id>.conf``
per export and the index ``exports.conf`` that the main configuration must ``%include``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from storplan.errors import InvalidArgument
from storplan.providers.kit.options import OptionSpec, read_settings_file, text
from storplan.providers.kit.options import parse_options as kit_options
from storplan.uri import ProviderURI

__all__ = ["DEFAULT_SETTINGS", "GaneshaOptions", "parse_options"]

DEFAULT_SETTINGS = "/etc/storplan/ganesha.yaml"
_KEYS = {"base", "export_dir", "main_config", "bus", "export_ids", "pool", "dbus_name"}
_QUERY_OPTIONS = tuple(
    OptionSpec(key, text) for key in sorted(_KEYS - {"base"} | {"settings"})
)  # parsed below, with the settings file they override
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._/+@:-]*")
_POOL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_BUS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)+")


@dataclass(frozen=True, slots=True)
class GaneshaOptions:
    """Validated provider settings."""

    base: str
    export_dir: str = "/etc/ganesha/storplan.d"
    main_config: str = "/etc/ganesha/ganesha.conf"
    bus: str = ""
    """D-Bus address; empty: the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` or its default)."""
    export_ids: tuple[int, int] = (1000, 9999)
    pool: str = "nfs"
    dbus_name: str = "org.ganesha.nfsd"
    """Ganesha's bus name (``<Dbus_Name_Prefix>.org.ganesha.nfsd`` when a prefix is set)."""

    @property
    def index(self) -> str:
        """The file the main configuration includes; it includes every export file."""
        return os.path.join(self.export_dir, "exports.conf")

    def export_file(self, export_id: int) -> str:
        """The configuration file of export ``export_id``."""
        return os.path.join(self.export_dir, f"export-{export_id}.conf")


def parse_options(uri: ProviderURI) -> GaneshaOptions:
    """Validate the URI and the settings file it names (or the default one).

    Raises:
        InvalidArgument: an unknown key, a relative or unsafe path, a bad id range.
    """
    query = {
        key: value
        for key, value in kit_options("ganesha", uri.query, _QUERY_OPTIONS).items()
        if value is not None
    }  # unknown keys refused here, with the closest known one
    if uri.host or uri.user or uri.port is not None:
        raise InvalidArgument(
            "the ganesha provider manages the local ganesha.nfsd: write ganesha:///BASE_DIR",
            hint="run storplan on the NFS server itself (e.g. over ssh)",
        )
    settings = _read_file(query.get("settings"))
    if uri.path not in ("", "/"):
        settings["base"] = uri.path
    settings.update({k: v for k, v in query.items() if k != "settings"})
    return _build(settings)


def _read_file(path: str | None) -> dict[str, Any]:
    data = read_settings_file(path, DEFAULT_SETTINGS, _KEYS, "the ganesha settings", "settings")
    return {str(k): str(v) for k, v in data.items()}


def _path(key: str, value: object) -> str:
    text = str(value)
    if _SAFE_PATH.fullmatch(text) is None or "/../" in f"{text}/" or "//" in text:
        raise InvalidArgument(
            f"ganesha {key} {text!r} must be an absolute path of letters, digits and ._/+@:-",
            hint="Ganesha configuration strings cannot hold quotes, spaces or line breaks",
        )
    return os.path.normpath(text)


def _build(settings: dict[str, Any]) -> GaneshaOptions:
    if "base" not in settings:
        raise InvalidArgument(
            "the ganesha provider needs a base directory",
            hint="write ganesha:///srv/nfs (the URI path), or base: in the settings file",
        )
    base = _path("base", settings["base"])
    if base == "/":
        raise InvalidArgument("the base directory cannot be /", hint="use e.g. /srv/nfs")
    export_dir = _path("export_dir", settings.get("export_dir", "/etc/ganesha/storplan.d"))
    main_config = _path("main_config", settings.get("main_config", "/etc/ganesha/ganesha.conf"))
    overlap = os.path.commonpath([base, export_dir])
    if overlap in (base, export_dir):
        raise InvalidArgument(
            f"export_dir {export_dir} and the base directory {base} must not contain each other",
            hint="keep configuration and exported data apart",
        )
    pool = str(settings.get("pool", "nfs"))
    if _POOL.fullmatch(pool) is None:
        raise InvalidArgument(f"ganesha pool name {pool!r} is not a valid name")
    name = str(settings.get("dbus_name", "org.ganesha.nfsd"))
    if _BUS_NAME.fullmatch(name) is None or not name.endswith("org.ganesha.nfsd"):
        raise InvalidArgument(
            f"dbus_name {name!r} is not Ganesha's bus name",
            hint="org.ganesha.nfsd, or PREFIX.org.ganesha.nfsd with Dbus_Name_Prefix",
        )
    return GaneshaOptions(
        base=base,
        export_dir=export_dir,
        main_config=main_config,
        bus=str(settings.get("bus", "")),
        export_ids=_id_range(str(settings.get("export_ids", "1000-9999"))),
        pool=pool,
        dbus_name=name,
    )


def _id_range(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*-\s*(\d+)\s*", text)
    low, high = (int(match.group(1)), int(match.group(2))) if match else (0, -1)
    if not 1 <= low <= high <= 65535:
        raise InvalidArgument(
            f"export_ids {text!r} is not a range LOW-HIGH within 1..65535",
            hint="e.g. export_ids=1000-1999 (0 is Ganesha's pseudo root; ids are 16-bit)",
        )
    return low, high
