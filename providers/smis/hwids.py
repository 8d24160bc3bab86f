"""Initiators on the array: ``CIM_StorageHardwareID`` look-up and creation.

Both masking styles name host ports by StorageHardwareID: Group Masking and Mapping puts their
paths in initiator masking groups, Masking and Mapping passes their ``StorageID`` to
``ExposePaths``.  WWPNs are sent as 16 upper-case hex digits without separators (what arrays
store, libstoragemgmt ``lsm_init_id_to_snia``); what comes back is canonicalized by
:func:`.convert.initiator`.
"""

from __future__ import annotations

from typing import Any

from pywbem import Uint16
from storplan.errors import AlreadyExists, ProviderError
from storplan.model.block import Initiator

from . import convert
from .cim import pkey, prop
from .client import WbemClient
from .jobs import JobBook

__all__ = ["HardwareIds", "members", "refuse_owned"]

_PROPS = ["InstanceID", "StorageID", "IDType"]


class HardwareIds:
    """The array's StorageHardwareIDs, read once per operation."""

    def __init__(self, client: WbemClient, book: JobBook) -> None:
        self.client = client
        self.book = book
        self._by_id: dict[str, Any] | None = None

    def all(self) -> dict[str, Any]:
        """canonical initiator id -> StorageHardwareID path."""
        if self._by_id is None:
            found: dict[str, Any] = {}
            for hwid in self.client.enumerate("CIM_StorageHardwareID", _PROPS):
                init = convert.initiator(hwid)
                if init is not None:
                    found.setdefault(init.id, hwid.path)
            self._by_id = found
        return self._by_id

    def find(self, init: Initiator) -> Any | None:
        """The StorageHardwareID path of ``init``, if the array has one."""
        return self.all().get(init.id)

    def ensure(self, init: Initiator, service: Any) -> Any:
        """The StorageHardwareID path of ``init``, created if missing."""
        existing = self.find(init)
        if existing is not None:
            return existing
        storage_id, id_type = convert.storage_id(init)
        out, _ = self.book.call(
            "CreateStorageHardwareID",
            service,
            {"StorageID": storage_id, "IDType": Uint16(id_type), "ElementName": init.id},
            has_job=False,
        )
        path = out.get("HardwareID")
        if path is None:
            raise ProviderError(f"the array created no hardware id for {init.id}")
        self.all()[init.id] = path
        return path


def members(client: WbemClient, collection: Any) -> list[Initiator]:
    """The initiators in a masking group (sorted, canonical)."""
    found = client.associators(
        collection,
        "CIM_MemberOfCollection",
        "CIM_StorageHardwareID",
        _PROPS,
        role="Collection",
        result_role="Member",
    )
    inits = {convert.initiator(h) for h in found}
    return sorted(i for i in inits if i is not None)


def refuse_owned(init: Initiator, owners: list[Any], group: Any | None = None) -> None:
    """:class:`AlreadyExists` when ``init`` belongs to a host other than ``group`` (a path)."""
    others = [o for o in owners if group is None or pkey(o.path) != pkey(group)]
    if others:
        name = str(prop(others[0], "ElementName", "") or others[0].path)
        raise AlreadyExists(
            f"initiator {init.id} already belongs to access group {name!r}",
            hint="remove it from that group first",
        )
