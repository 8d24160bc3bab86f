"""Hosts and masking through Group Masking and Mapping (SMI-S 1.5+).

The provider runs masking operations one at a time (see ``SmisProvider._masking_lock``), and
creating or deleting a masking view is waited for inside the operation, so concurrent
mappings to one host (storplan applies actions in parallel) never build two views.

A storplan access group is a ``CIM_InitiatorMaskingGroup``.  Mapping a volume puts it in the
device group of the group's masking view; the first mapping creates that view
(``CreateGroup`` of a device group, a target group with the front-end ports unless one exists,
``CreateMaskingView``).  When a view's device group may not become empty (no value 5 in
``SupportedDeviceGroupFeatures``), unmapping its last volume deletes the view first, as
libstoragemgmt's ``_volume_unmask_group`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pywbem import Uint16
from storplan.errors import AlreadyExists, NotFound
from storplan.model.block import AccessGroup, Initiator
from storplan.model.job import Job

from . import cim
from .base import SmisBase
from .cim import pkey, prop
from .hwids import HardwareIds, members, refuse_owned
from .ids import system_id_of_system
from .masking_common import device_number, existing_mapping, mapping_of, same_system, units_of

__all__ = ["GroupMasking"]


class GroupMasking:
    """Access-group and mapping operations on a Group Masking and Mapping array."""

    def __init__(self, provider: SmisBase) -> None:
        self.p = provider
        self.client = provider.client
        self.book = provider.book

    # ------------------------------------------------------------------ look-ups
    def _system_of(self, group: Any) -> str:
        if len(self.p.info.systems) == 1:
            return next(iter(self.p.info.systems))
        hosted = self.client.references(group, "CIM_HostedCollection", ["Antecedent"])
        return system_id_of_system(hosted[0]["Antecedent"]) if hosted else "sys:"

    def _named(self, system_id: str, name: str) -> list[Any]:
        groups = self.client.enumerate("CIM_InitiatorMaskingGroup", ["ElementName"])
        return [
            g.path
            for g in groups
            if prop(g, "ElementName") == name and self._system_of(g.path) == system_id
        ]

    def _load(self, path: Any, system_id: str | None = None) -> AccessGroup:
        instance = self.client.require(path, ["ElementName"], "the access group")
        group_id = self.p.resolver.remember("host", path)
        return AccessGroup(
            group_id,
            system_id or self._system_of(path),
            str(prop(instance, "ElementName", "")),
            tuple(members(self.client, path)),
        )

    def _owners(self, hwid: Any) -> list[Any]:
        return self.client.associators(
            hwid,
            "CIM_MemberOfCollection",
            "CIM_InitiatorMaskingGroup",
            ["ElementName"],
            role="Member",
            result_role="Collection",
        )

    def _view(self, group: Any) -> Any | None:
        views = self.client.associator_names(
            group, "CIM_AssociatedInitiatorMaskingGroup", "CIM_SCSIProtocolController"
        )
        return views[0] if views else None

    def _device_group(self, view: Any) -> Any | None:
        groups = self.client.associator_names(
            view, "CIM_AssociatedDeviceMaskingGroup", "CIM_DeviceMaskingGroup"
        )
        return groups[0] if groups else None

    def _gmm(self, system_id: str) -> Any:
        return self.p.info.service(system_id, "gmm")

    # ------------------------------------------------------------------ access groups
    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]:
        """``CreateGroup`` (Type 2) with the initiators' StorageHardwareIDs."""
        if system_id not in self.p.info.systems:
            raise NotFound(f"system {system_id} does not exist")
        wanted = sorted(set(initiators))
        for path in self._named(system_id, name):
            existing = self._load(path, system_id)
            if list(existing.initiators) != wanted:
                have = [i.id for i in existing.initiators]
                raise AlreadyExists(
                    f"access group {name!r} already exists with initiators {have}",
                    hint="choose another name or change the existing group",
                )
            return self.book.finished("create_access_group", existing)
        hwids = HardwareIds(self.client, self.book)
        for init in wanted:
            found = hwids.find(init)
            if found is not None:
                refuse_owned(init, self._owners(found))
        service = self._gmm(system_id)
        paths = [hwids.ensure(init, self.p.info.service(system_id, "hwid")) for init in wanted]
        params = {
            "GroupName": name,
            "Type": Uint16(cim.GROUP_INITIATOR),
            "Members": paths or None,
            "DeleteOnEmpty": False,
        }

        def finish(out: Any, affected: list[Any]) -> AccessGroup:
            group = out.get("MaskingGroup") or next(
                p for p in affected if "InstanceID" in p.keybindings
            )
            return self._load(group, system_id)

        return self.book.invoke("create_access_group", "CreateGroup", service, params, finish)

    def delete_access_group(self, group_id: str) -> Job[Any]:
        """``DeleteGroup``; refused while the group's view exposes volumes."""
        group = self.p._require(group_id, ["ElementName"]).path
        system_id = self._system_of(group)
        view = self._view(group)
        if view is not None:
            units = units_of(self.client, view)
            if units:
                raise_busy(group_id, len(units))
            self._delete_view(view, system_id)

        def finish(_out: Any, _affected: list[Any]) -> None:
            self.p.resolver.forget(group_id)

        return self.book.invoke(
            "delete_access_group",
            "DeleteGroup",
            self._gmm(system_id),
            {"MaskingGroup": group, "Force": True},
            finish,
        )

    def _delete_view(self, view: Any, system_id: str) -> None:
        device_group = self._device_group(view)
        self.book.call("DeleteMaskingView", self._gmm(system_id), {"ProtocolController": view})
        if device_group is not None:
            self.book.call(
                "DeleteGroup", self._gmm(system_id), {"MaskingGroup": device_group, "Force": True}
            )

    def add_initiator(self, group_id: str, initiator: Initiator) -> Job[Any]:
        """``AddMembers`` (a no-op when the initiator is already in the group)."""
        group = self.p._require(group_id, ["ElementName"]).path
        system_id = self._system_of(group)
        if initiator in members(self.client, group):
            return self.book.finished("add_initiator", self._load(group, system_id))
        hwids = HardwareIds(self.client, self.book)
        found = hwids.find(initiator)
        if found is not None:
            refuse_owned(initiator, self._owners(found), group)
        hwid = hwids.ensure(initiator, self.p.info.service(system_id, "hwid"))
        return self.book.invoke(
            "add_initiator",
            "AddMembers",
            self._gmm(system_id),
            {"MaskingGroup": group, "Members": [hwid]},
            lambda _o, _a: self._load(group, system_id),
        )

    def remove_initiator(self, group_id: str, initiator_id: str) -> Job[Any]:
        """``RemoveMembers`` of one StorageHardwareID."""
        group = self.p._require(group_id, ["ElementName"]).path
        system_id = self._system_of(group)
        current = {i.id: i for i in members(self.client, group)}
        if initiator_id not in current:
            raise NotFound(f"initiator {initiator_id} is not in access group {group_id}")
        hwid = HardwareIds(self.client, self.book).find(current[initiator_id])
        return self.book.invoke(
            "remove_initiator",
            "RemoveMembers",
            self._gmm(system_id),
            {"MaskingGroup": group, "Members": [hwid], "DeleteOnEmpty": False},
            lambda _o, _a: self._load(group, system_id),
        )

    # ------------------------------------------------------------------ masking
    def map_volume(self, volume_id: str, group_id: str, lun: int | None) -> Job[Any]:
        """Add the volume to the group's view (creating the view on first use)."""
        volume = self.p._require(volume_id, ["ElementName"]).path
        group_instance = self.p._require(group_id, ["ElementName"])
        group = group_instance.path
        system_id = self._system_of(group)
        same_system(volume, system_id)
        numbers = [device_number(lun)] if lun is not None else None
        view = self._view(group)
        if view is not None:
            found = existing_mapping(units_of(self.client, view), volume, lun, volume_id, group_id)
            if found is not None:
                return self.book.finished("map_volume", found)
            device_group = self._device_group(view)
            if device_group is not None:
                return self.book.invoke(
                    "map_volume",
                    "AddMembers",
                    self._gmm(system_id),
                    {"MaskingGroup": device_group, "Members": [volume], "DeviceNumbers": numbers},
                    lambda _o, _a: mapping_of(self.client, volume, view, group_id),
                )
            self._delete_view(view, system_id)
        return self._new_view(
            system_id,
            str(prop(group_instance, "ElementName", "")),
            group,
            volume,
            numbers,
            group_id,
        )

    def _new_view(
        self,
        system_id: str,
        name: str,
        group: Any,
        volume: Any,
        numbers: list[str] | None,
        group_id: str,
    ) -> Job[Any]:
        service = self._gmm(system_id)
        targets = self._target_group(system_id, service)
        out, affected = self.book.call(
            "CreateGroup",
            service,
            {
                "GroupName": f"{name}-devices",
                "Type": Uint16(cim.GROUP_DEVICE),
                "Members": [volume],
                "DeleteOnEmpty": False,
            },
        )
        devices = out.get("MaskingGroup") or affected[0]
        params = {
            "ElementName": f"{name}-view",
            "InitiatorMaskingGroup": group,
            "TargetMaskingGroup": targets,
            "DeviceMaskingGroup": devices,
            "DeviceNumbers": numbers,
        }

        try:  # waited for: a concurrent mapping to this host must find the view
            out, affected = self.book.call("CreateMaskingView", service, params)
        except Exception:
            self.book.call("DeleteGroup", service, {"MaskingGroup": devices, "Force": True})
            raise
        view = out.get("ProtocolController") or next(
            p for p in affected if "DeviceID" in p.keybindings
        )
        return self.book.finished("map_volume", mapping_of(self.client, volume, view, group_id))

    def _target_group(self, system_id: str, service: Any) -> Any:
        """An existing target masking group of the system, else one with every front-end
        SCSI (FC) and iSCSI endpoint."""
        for group in self.client.enumerate("CIM_TargetMaskingGroup", ["ElementName"]):
            if self._system_of(group.path) == system_id:
                return group.path
        endpoints = [
            e.path
            for e in self.client.enumerate("CIM_SCSIProtocolEndpoint", ["Role"])
            if int(prop(e, "Role", 3)) in (3, 4)
            and f"sys:{e.path.keybindings.get('SystemName', '')}" == system_id
        ]
        out, affected = self.book.call(
            "CreateGroup",
            service,
            {
                "GroupName": "storplan-targets",
                "Type": Uint16(cim.GROUP_TARGET),
                "Members": endpoints or None,
                "DeleteOnEmpty": False,
            },
        )
        return out.get("MaskingGroup") or affected[0]

    def unmap_volume(self, volume_id: str, group_id: str) -> Job[Any]:
        """``RemoveMembers`` from the view's device group (or delete the view with its last
        volume when the array does not allow empty device groups in views)."""
        volume = self.p._require(volume_id, ["ElementName"]).path
        group = self.p._require(group_id, ["ElementName"]).path
        system_id = self._system_of(group)
        view = self._view(group)
        units = units_of(self.client, view) if view is not None else []
        if view is None or not any(pkey(u["Dependent"]) == pkey(volume) for u in units):
            raise NotFound(f"volume {volume_id} is not mapped to access group {group_id}")
        device_group = self._device_group(view)
        service = self._gmm(system_id)
        if len(units) == 1 and not self.p.info.features.device_group_may_be_empty:
            # waited for: a concurrent mapping must not meet a half-deleted view
            self.book.call("DeleteMaskingView", service, {"ProtocolController": view})
            self.book.call("DeleteGroup", service, {"MaskingGroup": device_group, "Force": True})
            return self.book.finished("unmap_volume", None)
        return self.book.invoke(
            "unmap_volume",
            "RemoveMembers",
            service,
            {"MaskingGroup": device_group, "Members": [volume], "DeleteOnEmpty": False},
            lambda _o, _a: None,
        )


def raise_busy(group_id: str, count: int) -> None:
    """A host with mapped volumes cannot be deleted."""
    from storplan.errors import Busy

    raise Busy(f"access group {group_id} has {count} mapped volume(s)", hint="unmap them first")
