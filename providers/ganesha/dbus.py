"""Talking to a running ``ganesha.nfsd`` over D-Bus (``org.ganesha.nfsd``), through jeepney.

jeepney is pure Python (no libdbus, no GLib main loop) and has a blocking API: one
connection, one method call at a time, which is what a provider serialising its calls needs.
The methods used (from Ganesha's introspection data, 4.3):

* ``/org/ganesha/nfsd/ExportMgr``, ``org.ganesha.nfsd.exportmgr``:
  ``ShowExports() -> ((tt), a(qs(...)(tt)))``, ``DisplayExport(q) -> (q, s, s, s,
  a(siyyiuuuuu))``, ``AddExport(s path, s expr) -> s``, ``UpdateExport(s, s) -> s``,
  ``RemoveExport(q)``;
* ``/org/ganesha/nfsd/admin``: the ``VERSION_RELEASE`` property of ``org.ganesha.nfsd.admin``.

Errors come back as D-Bus error replies and are raised as :class:`GaneshaError` with
Ganesha's message (which names the file and line of a configuration error).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storplan.errors import ConnectionFailed, ProviderError, Unsupported

__all__ = ["Displayed", "GaneshaBus", "GaneshaError"]

SERVICE = "org.ganesha.nfsd"
_EXPORTS = ("/org/ganesha/nfsd/ExportMgr", "org.ganesha.nfsd.exportmgr")
_ADMIN = ("/org/ganesha/nfsd/admin", "org.ganesha.nfsd.admin")
DISPLAY_SIGNATURE = "qsssa(siyyiuuuuu)"
"""The ``DisplayExport`` reply storplan can read (Ganesha 3.x to 6.x)."""


class GaneshaError(ProviderError):
    """Ganesha answered a method call with an error; ``name`` is the D-Bus error name."""

    def __init__(self, message: str, *, name: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.name = name


@dataclass(frozen=True, slots=True)
class Displayed:
    """One ``DisplayExport`` reply."""

    export_id: int
    full_path: str
    pseudo_path: str
    tag: str
    clients: tuple[tuple[Any, ...], ...]


class GaneshaBus:
    """A blocking connection to one Ganesha on one bus (not thread-safe: callers serialise).

    ``address`` is a D-Bus address (``unix:path=/run/dbus/system_bus_socket``) or ``""`` for
    the system bus (``DBUS_SYSTEM_BUS_ADDRESS`` or its default socket).
    """

    def __init__(self, address: str = "", service: str = SERVICE, timeout: float = 60.0) -> None:
        self.address = address
        self.service = service
        self.timeout = timeout
        self._connection: Any = None

    # ---------------------------------------------------------------------------- plumbing
    def _connect(self) -> Any:
        if self._connection is None:
            from jeepney.io.blocking import open_dbus_connection

            try:
                self._connection = open_dbus_connection(bus=self.address or "SYSTEM")
            except (OSError, ValueError, KeyError) as exc:
                where = self.address or "the system bus"
                raise ConnectionFailed(
                    f"cannot connect to D-Bus at {where}: {exc}",
                    hint="start dbus-daemon, or give its address as bus= in the URI "
                    "(Ganesha uses the system bus, DBUS_SYSTEM_BUS_ADDRESS)",
                ) from None
        return self._connection

    def call(
        self, target: tuple[str, str], method: str, signature: str = "", *args: Any
    ) -> tuple[Any, ...]:
        """Call ``method`` and return the reply body (raises :class:`GaneshaError`)."""
        from jeepney import DBusAddress, MessageType, new_method_call

        path, interface = target
        address = DBusAddress(path, bus_name=self.service, interface=interface)
        message = new_method_call(address, method, signature or None, args)
        reply = self._send(message)
        if reply.header.message_type is MessageType.error:
            self._raise(method, reply)
        return tuple(reply.body)

    def _send(self, message: Any) -> Any:
        from jeepney.io.blocking import DBusConnection

        connection: DBusConnection = self._connect()  # its ConnectionFailed is an OSError
        try:
            return connection.send_and_get_reply(message, timeout=self.timeout)
        except TimeoutError:
            self.close()
            raise ProviderError(
                f"ganesha.nfsd did not answer {self.service} within {self.timeout:g} s",
                hint="check that ganesha.nfsd is running and not stuck (its log)",
            ) from None
        except (OSError, EOFError) as exc:
            self.close()
            raise ConnectionFailed(
                f"lost the D-Bus connection to {self.service}: {exc}",
                hint="check that dbus-daemon and ganesha.nfsd are running",
            ) from None

    def _raise(self, method: str, reply: Any) -> None:
        from jeepney import HeaderFields

        name = str(reply.header.fields.get(HeaderFields.error_name, ""))
        detail = str(reply.body[0]) if reply.body else name
        if name.endswith(("ServiceUnknown", "NameHasNoOwner")):
            raise ConnectionFailed(
                f"no {self.service} on D-Bus {self.address or '(system bus)'}: {detail}",
                hint="start ganesha.nfsd (it registers on the system bus), or point bus= at "
                "the bus it uses",
            )
        if name.endswith("AccessDenied"):
            raise ConnectionFailed(
                f"D-Bus refused {method} on {self.service}: {detail}",
                hint="run as root, or allow this user in the bus policy of org.ganesha.nfsd",
            )
        raise GaneshaError(f"Ganesha {method} failed: {detail.strip()}", name=name)

    def close(self) -> None:
        """Close the connection (the next call reconnects)."""
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    # ---------------------------------------------------------------------------- methods
    def version(self) -> str:
        """Ganesha's release (``4.3``), from the admin object's ``VERSION_RELEASE``."""
        body = self.call(
            (_ADMIN[0], "org.freedesktop.DBus.Properties"), "Get", "ss", _ADMIN[1],
            "VERSION_RELEASE",
        )  # fmt: skip
        return str(body[0][1])

    def show_exports(self) -> list[tuple[int, str]]:
        """``(export id, path)`` of every export Ganesha serves now."""
        body = self.call(_EXPORTS, "ShowExports")
        return [(int(entry[0]), str(entry[1])) for entry in body[1]]

    def display_export(self, export_id: int) -> Displayed | None:
        """One export's paths and client list; ``None`` when Ganesha has no such export."""
        try:
            body = self.call(_EXPORTS, "DisplayExport", "q", export_id)
        except GaneshaError as exc:
            if exc.name.endswith("InvalidArgs") and "not found" in exc.message:
                return None
            raise
        if len(body) != 5 or any(len(client) != 10 for client in body[4]):
            raise Unsupported(
                f"this Ganesha's DisplayExport reply is not {DISPLAY_SIGNATURE}: storplan cannot "
                "read its client lists",
                hint="use NFS-Ganesha 3.x or later (tested: 4.3)",
                provider="ganesha",
                capability="nfs.exports",
            )
        return Displayed(
            int(body[0]), str(body[1]), str(body[2]), str(body[3]),
            tuple(tuple(c) for c in body[4]),
        )  # fmt: skip

    def add_export(self, config: str, export_id: int) -> str:
        """Ask Ganesha to read export ``export_id`` from the file ``config`` and serve it."""
        return str(self.call(_EXPORTS, "AddExport", "ss", config, _expr(export_id))[0])

    def update_export(self, config: str, export_id: int) -> str:
        """Ask Ganesha to apply the file's version of the active export ``export_id``."""
        return str(self.call(_EXPORTS, "UpdateExport", "ss", config, _expr(export_id))[0])

    def remove_export(self, export_id: int) -> None:
        """Stop serving export ``export_id``."""
        self.call(_EXPORTS, "RemoveExport", "q", export_id)


def _expr(export_id: int) -> str:
    """The expression selecting one EXPORT block of a file by its id."""
    return f"EXPORT(Export_Id={export_id})"
