"""SMI-S indications: the array's own notifications of alerts and state changes.

:func:`subscribe` starts a pywbem ``WBEMListener`` on the URI's ``listener=HOST:PORT``
(HTTPS with ``listener_cert``/``listener_key``) and, through a ``WBEMSubscriptionManager``,
creates in the array's interop namespace one listener destination, the filters below and
their subscriptions.  Every indication received calls ``on_event()``; its content is not read
(the caller observes the array again: observe stays the one truth).  ``close()`` removes the
subscriptions, filters and destination and stops the listener.

The filters (Indication profile): every ``CIM_AlertIndication``, and ``CIM_InstModification``
of each class health is read from (systems, pools, volumes, disks, ports, fans, batteries,
copies).  Their names carry a manager id made from this host and the listener address, so a
watcher that died without closing leaves subscriptions the next one on that address removes
before it subscribes again.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pywbem
from storplan.errors import InvalidArgument

if TYPE_CHECKING:
    from .client import WbemClient
    from .options import SmisOptions

__all__ = ["HEALTH_CLASSES", "IndicationSubscription", "queries", "subscribe"]

log = logging.getLogger("storplan.providers.smis")

HEALTH_CLASSES = (
    "CIM_ComputerSystem",
    "CIM_StoragePool",
    "CIM_StorageVolume",
    "CIM_DiskDrive",
    "CIM_FCPort",
    "CIM_Fan",
    "CIM_Battery",
    "CIM_StorageSynchronized",
)


def queries() -> list[tuple[str, str]]:
    """``(filter id, WQL query)`` of every filter storplan subscribes to."""
    found = [("alerts", "SELECT * FROM CIM_AlertIndication")]
    for name in HEALTH_CLASSES:
        query = f"SELECT * FROM CIM_InstModification WHERE SourceInstance ISA {name}"
        found.append((name.removeprefix("CIM_").lower(), query))
    return found


class IndicationSubscription:
    """A running listener and the array's subscriptions to it (see the module docstring)."""

    def __init__(self, listener: Any, manager: Any, server_id: str, client: WbemClient) -> None:
        self._listener = listener
        self._manager = manager
        self._server_id = server_id
        self._client = client
        self._closed = threading.Lock()

    def close(self) -> None:
        """Remove what was created on the array and stop the listener (once)."""
        if not self._closed.acquire(blocking=False):
            return
        try:
            with self._client.exclusive():
                self._manager.remove_server(self._server_id)
        except pywbem.Error as exc:
            log.warning("removing the indication subscriptions: %s", self._client.error(exc, ""))
        finally:
            self._listener.stop()


def _listener(options: SmisOptions, on_event: Callable[[], None]) -> tuple[Any, str]:
    host, port = options.listener
    https = options.listener_cert is not None
    listener = pywbem.WBEMListener(
        host,
        http_port=None if https else port,
        https_port=port if https else None,
        certfile=options.listener_cert,
        keyfile=options.listener_key,
        max_ind_queue_size=1000,
    )
    listener.queue_get_timeout = 0.2  # how long stop() may wait for the callback thread

    def received(indication: Any, sender: str) -> None:
        log.debug("indication %s from %s", indication.classname, sender)
        on_event()

    listener.add_callback(received)
    try:
        listener.start()
    except (pywbem.ListenerError, OSError) as exc:
        raise InvalidArgument(
            f"cannot receive indications on {host}:{port}: {exc}",
            hint="choose a free local address the array can reach: listener=HOST:PORT",
        ) from None
    shown = f"[{host}]" if ":" in host else host
    return listener, f"{'https' if https else 'http'}://{shown}:{port}"


def _manager_id(url: str) -> str:
    digest = hashlib.sha256(f"{socket.getfqdn()} {url}".encode()).hexdigest()
    return f"storplan-{digest[:16]}"


def subscribe(
    client: WbemClient, options: SmisOptions, namespace: str, on_event: Callable[[], None]
) -> IndicationSubscription:
    """Listen, and subscribe the array to the listener (see the module docstring).

    Raises:
        InvalidArgument: the listener address cannot be bound.
        StorplanError: the array refused a destination, filter or subscription (nothing is
            left behind: what was created is removed again).
    """
    listener, url = _listener(options, on_event)
    manager = pywbem.WBEMSubscriptionManager(_manager_id(url))
    server_id = None
    try:
        with client.exclusive():  # the manager talks over the provider's one connection
            server_id = manager.add_server(pywbem.WBEMServer(client.conn))
            if manager.get_owned_subscriptions(server_id) or manager.get_owned_filters(
                server_id
            ):  # a watcher on this address died without closing: start afresh
                manager.remove_server(server_id)
                server_id = manager.add_server(pywbem.WBEMServer(client.conn))
            destination = manager.add_destination(server_id, url, destination_id="listener")
            for filter_id, query in queries():
                found = manager.add_filter(server_id, namespace, query, "WQL", filter_id=filter_id)
                manager.add_subscriptions(server_id, found.path, [destination.path])
    except pywbem.Error as exc:
        error = client.error(exc, "subscribing to indications")
        if server_id is not None:
            try:
                with client.exclusive():
                    manager.remove_server(server_id)
            except pywbem.Error:
                log.debug("cleaning up a failed subscription", exc_info=True)
        listener.stop()
        raise error from None
    except BaseException:
        listener.stop()
        raise
    log.info("indications from the array go to %s", url)
    return IndicationSubscription(listener, manager, server_id, client)
