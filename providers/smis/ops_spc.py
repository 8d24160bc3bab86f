"""Hosts and masking through plain Masking and Mapping (``ExposePaths`` / ``HidePaths``).

A storplan access group is a ``CIM_SCSIProtocolController`` (SPC): ``ExposePaths`` with
initiators and no logical units creates one (arrays that allow SPCs without LUs), its
``ElementName`` is then set to the host's name; initiators are authorized to it
(``CIM_AuthorizedTarget`` / ``CIM_AuthorizedSubject``), volumes exposed through it
(``CIM_ProtocolControllerForUnit``).  ``HidePaths`` undoes each; the array deletes an SPC when
its last initiator goes unless ``SPCAllowsNoInitiators``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pywbem import Uint16
from storplan.errors import AlreadyExists, Busy, InvalidArgument, NotFound
from storplan.model.block import AccessGroup, Initiator
from storplan.model.job import Job

from . import cim, convert
from .base import SmisBase
from .cim import pkey, prop
from .hwids import HardwareIds, refuse_owned
from .ids import system_id_of
from .masking_common import device_number, existing_mapping, mapping_of, same_system, units_of

__all__ = ["SpcMasking"]

_HWID_PROPS = ["InstanceID", "StorageID", "IDType"]


class SpcMasking:
    """Access-group and mapping operations on a Masking and Mapping array."""

    def __init__(self, provider: SmisBase) -> None:
        self.p = provider
        self.client = provider.client
        self.book = provider.book

    # ------------------------------------------------------------------ look-ups
    def _initiators(self, spc: Any) -> dict[str, Any]:
        """canonical initiator id -> StorageHardwareID instance authorized on ``spc``."""
        found: dict[str, Any] = {}
        for privilege in self.client.associator_names(spc, "CIM_AuthorizedTarget"):
            for hwid in self.client.associators(
                privilege, "CIM_AuthorizedSubject", "CIM_StorageHardwareID", _HWID_PROPS
            ):
                init = convert.initiator(hwid)
                if init is not None:
                    found[init.id] = hwid
        return found

    def _owners(self, hwid: Any) -> list[Any]:
        """The SPCs an existing StorageHardwareID is authorized on."""
        owners: list[Any] = []
        for privilege in self.client.associator_names(hwid, "CIM_AuthorizedSubject"):
            owners += self.client.associators(
                privilege, "CIM_AuthorizedTarget", "CIM_SCSIProtocolController", ["ElementName"]
            )
        return owners

    def _load(self, spc: Any) -> AccessGroup:
        instance = self.client.require(spc, ["ElementName", "OperationalStatus"], "the host")
        found = [convert.initiator(h) for h in self._initiators(spc).values()]
        health, _ = cim.health_of(instance)
        return AccessGroup(
            self.p.resolver.remember("host", spc),
            system_id_of(spc),
            str(prop(instance, "ElementName", "")),
            tuple(sorted(i for i in found if i is not None)),
            health if health is not cim.Health.UNKNOWN else cim.Health.OK,
        )

    def _controller(self, system_id: str) -> Any:
        return self.p.info.service(system_id, "controller")

    # ------------------------------------------------------------------ access groups
    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]:
        """``ExposePaths`` with the initiators and no LUs, then name the new SPC."""
        if system_id not in self.p.info.systems:
            raise NotFound(f"system {system_id} does not exist")
        wanted = sorted(set(initiators))
        for spc in self.client.enumerate("CIM_SCSIProtocolController", ["ElementName"]):
            if prop(spc, "ElementName") == name and system_id_of(spc) == system_id:
                existing = self._load(spc.path)
                if list(existing.initiators) != wanted:
                    have = [i.id for i in existing.initiators]
                    raise AlreadyExists(
                        f"access group {name!r} already exists with initiators {have}",
                        hint="choose another name or change the existing group",
                    )
                return self.book.finished("create_access_group", existing)
        if not wanted:
            raise InvalidArgument(
                "this array creates a host only together with an initiator",
                hint="give at least one initiator (Masking and Mapping without groups)",
            )
        hwids = HardwareIds(self.client, self.book)
        for init in wanted:
            found = hwids.find(init)
            if found is not None:
                refuse_owned(init, self._owners(found))
        out, affected = self.book.call(
            "ExposePaths",
            self._controller(system_id),
            {
                "InitiatorPortIDs": [convert.storage_id(i)[0] for i in wanted],
            },
        )
        created = (out.get("ProtocolControllers") or affected or [None])[0]
        if created is None:
            raise InvalidArgument("the array did not say which host (SPC) it created")
        instance = self.client.require(created, ["ElementName"], "the new host")
        instance["ElementName"] = name
        self.client.modify(instance, ["ElementName"])
        return self.book.finished("create_access_group", self._load(created))

    def delete_access_group(self, group_id: str) -> Job[Any]:
        """Hide every initiator (the array then deletes the SPC)."""
        spc = self.p._require(group_id, ["ElementName"]).path
        units = units_of(self.client, spc)
        if units:
            raise Busy(
                f"access group {group_id} has {len(units)} mapped volume(s)",
                hint="unmap them first",
            )
        inits = self._initiators(spc)

        def finish(_out: Any, _affected: list[Any]) -> None:
            if self.client.get(spc, ["ElementName"]) is not None:  # SPCAllowsNoInitiators
                self.client.call("deleting the SPC", self.client.conn.DeleteInstance, spc)
            self.p.resolver.forget(group_id)

        if not inits:
            finish(None, [])
            return self.book.finished("delete_access_group", None)
        ids = [str(prop(h, "StorageID", "")) for h in inits.values()]
        return self.book.invoke(
            "delete_access_group",
            "HidePaths",
            self._controller(system_id_of(spc)),
            {"InitiatorPortIDs": ids, "ProtocolControllers": [spc]},
            finish,
        )

    def add_initiator(self, group_id: str, initiator: Initiator) -> Job[Any]:
        """``ExposePaths`` of one more initiator on the SPC (no-op when already there)."""
        spc = self.p._require(group_id, ["ElementName"]).path
        if initiator.id in self._initiators(spc):
            return self.book.finished("add_initiator", self._load(spc))
        found = HardwareIds(self.client, self.book).find(initiator)
        if found is not None:
            refuse_owned(initiator, self._owners(found), spc)
        return self.book.invoke(
            "add_initiator",
            "ExposePaths",
            self._controller(system_id_of(spc)),
            {"InitiatorPortIDs": [convert.storage_id(initiator)[0]], "ProtocolControllers": [spc]},
            lambda _o, _a: self._load(spc),
        )

    def remove_initiator(self, group_id: str, initiator_id: str) -> Job[Any]:
        """``HidePaths`` of one initiator; refused for the last one when the array would
        delete the host with it."""
        spc = self.p._require(group_id, ["ElementName"]).path
        current = self._initiators(spc)
        if initiator_id not in current:
            raise NotFound(f"initiator {initiator_id} is not in access group {group_id}")
        if len(current) == 1 and not self.p.info.features.spc_allows_no_initiators:
            raise Busy(
                f"{initiator_id} is the last initiator of {group_id}; this array deletes a "
                "host with its last initiator",
                hint="delete the access group instead",
            )
        storage_id = str(prop(current[initiator_id], "StorageID", ""))
        return self.book.invoke(
            "remove_initiator",
            "HidePaths",
            self._controller(system_id_of(spc)),
            {"InitiatorPortIDs": [storage_id], "ProtocolControllers": [spc]},
            lambda _o, _a: self._load(spc),
        )

    # ------------------------------------------------------------------ masking
    def map_volume(self, volume_id: str, group_id: str, lun: int | None) -> Job[Any]:
        """``ExposePaths`` of the volume's ``Name`` through the SPC (read-write)."""
        volume = self.p._require(volume_id, ["Name"])
        spc = self.p._require(group_id, ["ElementName"]).path
        same_system(volume.path, system_id_of(spc))
        found = existing_mapping(units_of(self.client, spc), volume.path, lun, volume_id, group_id)
        if found is not None:
            return self.book.finished("map_volume", found)
        params = {
            "LUNames": [str(prop(volume, "Name", ""))],
            "DeviceAccesses": [Uint16(cim.ACCESS_READ_WRITE)],
            "DeviceNumbers": [device_number(lun)] if lun is not None else None,
            "ProtocolControllers": [spc],
        }
        return self.book.invoke(
            "map_volume",
            "ExposePaths",
            self._controller(system_id_of(spc)),
            params,
            lambda _o, _a: mapping_of(self.client, volume.path, spc, group_id),
        )

    def unmap_volume(self, volume_id: str, group_id: str) -> Job[Any]:
        """``HidePaths`` of the volume from the SPC."""
        volume = self.p._require(volume_id, ["Name"])
        spc = self.p._require(group_id, ["ElementName"]).path
        if not any(pkey(u["Dependent"]) == pkey(volume.path) for u in units_of(self.client, spc)):
            raise NotFound(f"volume {volume_id} is not mapped to access group {group_id}")
        return self.book.invoke(
            "unmap_volume",
            "HidePaths",
            self._controller(system_id_of(spc)),
            {"LUNames": [str(prop(volume, "Name", ""))], "ProtocolControllers": [spc]},
            lambda _o, _a: None,
        )
