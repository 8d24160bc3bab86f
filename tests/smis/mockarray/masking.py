"""Masking methods: StorageHardwareID management, Masking and Mapping (ExposePaths,
HidePaths) and Group Masking and Mapping (CreateGroup ... DeleteMaskingView)."""

from __future__ import annotations

from typing import Any

from pywbem import NocaseDict

from .array import MockArray, same
from .repo import U16, U32, fail, key

__all__ = ["gmm_handlers", "hwid_handlers", "spc_handlers"]

_GROUP_CLASS = {
    2: "CIM_InitiatorMaskingGroup",
    3: "CIM_TargetMaskingGroup",
    4: "CIM_DeviceMaskingGroup",
}


def _hwid(array: MockArray, storage_id: str) -> Any | None:
    for hwid in array.repo.each("CIM_StorageHardwareID"):
        if str(hwid["StorageID"]).lower() == storage_id.lower():
            return hwid.path
    return None


def _new_hwid(array: MockArray, storage_id: str, id_type: int) -> Any:
    path = array.repo.path(array.f.cls("CIM_StorageHardwareID"), InstanceID=f"HWID-{storage_id}")
    array.repo.add(path, StorageID=storage_id, IDType=U16(id_type), ElementName=storage_id)
    return path


def _units(array: MockArray, spc: Any) -> list[Any]:
    return array.repo.links("CIM_ProtocolControllerForUnit", Antecedent=spc)


def _free_lun(array: MockArray, spc: Any) -> int:
    used = {int(str(u["DeviceNumber"]), 16) for u in _units(array, spc)}
    return next(n for n in range(len(used) + 1) if n not in used)


def _expose(array: MockArray, spc: Any, volume: Any, lun: int | None) -> None:
    lun = _free_lun(array, spc) if lun is None else lun
    array.repo.link(
        "CIM_ProtocolControllerForUnit",
        {"DeviceNumber": f"{lun:04X}", "DeviceAccess": U16(2)},
        Antecedent=spc,
        Dependent=volume,
    )


def _lun_taken(array: MockArray, spc: Any, lun: int) -> bool:
    return any(int(str(u["DeviceNumber"]), 16) == lun for u in _units(array, spc))


def hwid_handlers(array: MockArray) -> dict[str, Any]:
    """Handlers of the StorageHardwareIDManagementService."""

    def create(_target: Any, p: NocaseDict) -> Any:
        storage_id, id_type = p.get("StorageID"), int(p.get("IDType") or 0)
        if not storage_id or id_type not in array.f.hwid_types:
            return U32(4097 if storage_id else 5), {}
        if _hwid(array, storage_id) is not None:
            return U32(4096), {}  # 0x1000: already exists
        array.method_calls.append("CreateStorageHardwareID")
        return U32(0), {"HardwareID": _new_hwid(array, storage_id, id_type)}

    return {"CreateStorageHardwareID": create}


# ---------------------------------------------------------------------- Masking and Mapping
def _spc_initiators(array: MockArray, spc: Any) -> list[tuple[Any, Any]]:
    """(privilege, hardware id) pairs authorized on an SPC."""
    pairs = []
    for target in array.repo.links("CIM_AuthorizedTarget", TargetElement=spc):
        for subject in array.repo.links("CIM_AuthorizedSubject", Privilege=target["Privilege"]):
            pairs.append((target["Privilege"], subject["PrivilegedElement"]))
    return pairs


def _owner_spcs(array: MockArray, hwid: Any) -> list[Any]:
    spcs = []
    for subject in array.repo.links("CIM_AuthorizedSubject", PrivilegedElement=hwid):
        spcs += [
            t["TargetElement"]
            for t in array.repo.links("CIM_AuthorizedTarget", Privilege=subject["Privilege"])
        ]
    return spcs


def spc_handlers(array: MockArray) -> dict[str, Any]:
    """ExposePaths / HidePaths (one host per initiator, SPCs may have no LUs)."""
    repo, f = array.repo, array.f

    def expose(_target: Any, p: NocaseDict) -> Any:
        lus, inits = p.get("LUNames") or [], p.get("InitiatorPortIDs") or []
        numbers, accesses = p.get("DeviceNumbers"), p.get("DeviceAccesses")
        controllers = p.get("ProtocolControllers") or []
        if len(controllers) > 1 or (not controllers and not inits):
            return U32(5), {}
        if lus and (accesses is None or len(accesses) != len(lus)):
            return U32(5), {}
        if numbers is not None and (not f.lun_choice or len(numbers) != len(lus)):
            return U32(5), {}
        spc = controllers[0] if controllers else None
        if spc is not None:
            repo.require(spc, "the SPC")
        volumes = []
        for name in lus:
            volume = array.find_volume(lu_name=name)
            if volume is None:
                return U32(4097), {}
            if spc is not None and any(
                same(u["Dependent"], volume.path) for u in _units(array, spc)
            ):
                return U32(4101), {}
            volumes.append(volume.path)
        for storage_id in inits:
            hwid = _hwid(array, storage_id)
            owners = _owner_spcs(array, hwid) if hwid is not None else []
            if any(spc is None or not same(o, spc) for o in owners):
                return U32(4098), {}
        luns = [int(n, 16) for n in numbers] if numbers is not None else [None] * len(volumes)
        if spc is not None and any(n is not None and _lun_taken(array, spc, n) for n in luns):
            return U32(4102), {}

        def action() -> tuple[dict[str, Any], list[Any]]:
            target = spc
            if target is None:
                number = repo.next_id()
                target = repo.device_path("CIM_SCSIProtocolController", f"SPC{number:04d}")
                repo.add(
                    target,
                    ElementName=f"spc-{number}",
                    OperationalStatus=[U16(2)],
                    NameFormat=U16(3),
                )
            present = {key(h) for _, h in _spc_initiators(array, target)}
            for storage_id in inits:
                hwid = _hwid(array, storage_id) or _new_hwid(
                    array, storage_id, 5 if storage_id.lower()[:4] in ("iqn.", "eui.") else 2
                )
                if key(hwid) in present:
                    continue
                privilege = repo.path(
                    f.cls("CIM_AuthorizedPrivilege"), InstanceID=f"PRIV-{repo.next_id()}"
                )
                repo.add(privilege, Activities=[U16(5), U16(6)])
                repo.link("CIM_AuthorizedSubject", Privilege=privilege, PrivilegedElement=hwid)
                repo.link("CIM_AuthorizedTarget", Privilege=privilege, TargetElement=target)
            for volume, lun in zip(volumes, luns, strict=True):
                _expose(array, target, volume, lun)
            return {"ProtocolControllers": [target]}, [target]

        return array.respond("ExposePaths", action)

    def hide(_target: Any, p: NocaseDict) -> Any:
        lus, inits = p.get("LUNames") or [], p.get("InitiatorPortIDs") or []
        controllers = p.get("ProtocolControllers") or []
        if len(controllers) != 1:
            return U32(5), {}
        spc = repo.require(controllers[0], "the SPC").path
        units = _units(array, spc)
        pairs = _spc_initiators(array, spc)
        doomed_units = []
        for name in lus:
            volume = array.find_volume(lu_name=name)
            found = [u for u in units if volume is not None and same(u["Dependent"], volume.path)]
            if not found:
                return U32(4100), {}
            doomed_units += found
        doomed_pairs = []
        for storage_id in inits:
            found = [
                (pr, h)
                for pr, h in pairs
                if str(repo.get(h)["StorageID"]).lower() == storage_id.lower()
            ]
            if not found:
                return U32(4100), {}
            doomed_pairs += found

        def action() -> tuple[dict[str, Any], list[Any]]:
            for unit in doomed_units:
                repo.delete(unit.path)
            for privilege, _hwid in doomed_pairs:
                repo.unlink("CIM_AuthorizedSubject", Privilege=privilege)
                repo.unlink("CIM_AuthorizedTarget", Privilege=privilege)
                repo.delete(privilege)
            if not _spc_initiators(array, spc):  # SPCAllowsNoInitiators = false
                for unit in _units(array, spc):
                    repo.delete(unit.path)
                repo.delete(spc)
            return {"ProtocolControllers": [spc]}, []

        return array.respond("HidePaths", action)

    return {"ExposePaths": expose, "HidePaths": hide}


# ---------------------------------------------------------------------- Group Masking and Mapping
def _members(array: MockArray, group: Any) -> list[Any]:
    return array.repo.others("CIM_MemberOfCollection", "Collection", group, "Member")


def _views_of(array: MockArray, assoc: str, group: Any) -> list[Any]:
    return array.repo.others(assoc, "Dependent", group, "Antecedent")


def gmm_handlers(array: MockArray) -> dict[str, Any]:
    """Group Masking and Mapping methods (plus the inherited ExposePaths/HidePaths)."""
    repo, f = array.repo, array.f

    def initiator_owner(hwid: Any, except_group: Any | None = None) -> Any | None:
        for link in repo.links("CIM_MemberOfCollection", Member=hwid):
            group = link["Collection"]
            if group.classname.lower() == f.cls("CIM_InitiatorMaskingGroup").lower() and not (
                except_group is not None and same(group, except_group)
            ):
                return group
        return None

    def device_view(group: Any) -> Any | None:
        views = _views_of(array, "CIM_AssociatedDeviceMaskingGroup", group)
        return views[0] if views else None

    def create_group(_target: Any, p: NocaseDict) -> Any:
        kind, name, members = int(p.get("Type") or 0), p.get("GroupName"), p.get("Members") or []
        if kind not in _GROUP_CLASS or not name:
            return U32(5), {}
        for member in members:
            repo.require(member, "a member")
            if kind == 2 and initiator_owner(member) is not None:
                raise fail("the initiator is already in an initiator masking group")

        def action() -> tuple[dict[str, Any], list[Any]]:
            group = repo.path(f.cls(_GROUP_CLASS[kind]), InstanceID=f"MG-{repo.next_id():05d}")
            repo.add(group, ElementName=name, DeleteOnEmpty=bool(p.get("DeleteOnEmpty")))
            repo.link("CIM_HostedCollection", Antecedent=repo.system, Dependent=group)
            for member in members:
                repo.link("CIM_MemberOfCollection", Collection=group, Member=member)
            return {"MaskingGroup": group}, [group]

        return array.respond("CreateGroup", action)

    def delete_group(_target: Any, p: NocaseDict) -> Any:
        group = repo.require(p.get("MaskingGroup"), "the masking group").path
        for assoc in (
            "CIM_AssociatedInitiatorMaskingGroup",
            "CIM_AssociatedTargetMaskingGroup",
            "CIM_AssociatedDeviceMaskingGroup",
        ):
            if _views_of(array, assoc, group):
                return U32(6), {}

        def action() -> tuple[dict[str, Any], list[Any]]:
            repo.unlink("CIM_MemberOfCollection", Collection=group)
            repo.unlink("CIM_HostedCollection", Dependent=group)
            repo.delete(group)
            return {}, []

        return array.respond("DeleteGroup", action)

    def add_members(_target: Any, p: NocaseDict) -> Any:
        group = repo.require(p.get("MaskingGroup"), "the masking group").path
        members, numbers = p.get("Members") or [], p.get("DeviceNumbers")
        view = device_view(group)
        for member in members:
            repo.require(member, "a member")
            if initiator_owner(member, group) is not None:
                raise fail("the initiator is already in another initiator masking group")
        luns = [int(n, 16) for n in numbers] if numbers else [None] * len(members)
        if view is not None and any(n is not None and _lun_taken(array, view, n) for n in luns):
            return U32(6), {}

        def action() -> tuple[dict[str, Any], list[Any]]:
            present = {key(m) for m in _members(array, group)}
            for member, lun in zip(members, luns, strict=False):
                if key(member) in present:
                    continue
                repo.link("CIM_MemberOfCollection", Collection=group, Member=member)
                if view is not None:
                    _expose(array, view, member, lun)
            return {}, [group]

        return array.respond("AddMembers", action)

    def remove_members(_target: Any, p: NocaseDict) -> Any:
        group = repo.require(p.get("MaskingGroup"), "the masking group").path
        members = p.get("Members") or []
        present = {key(m) for m in _members(array, group)}
        if any(key(m) not in present for m in members):
            return U32(5), {}
        view = device_view(group)
        if view is not None and len(present) == len(members) and not f.device_group_may_be_empty:
            return U32(6), {}  # a device group in a view may not become empty

        def action() -> tuple[dict[str, Any], list[Any]]:
            for member in members:
                repo.unlink("CIM_MemberOfCollection", Collection=group, Member=member)
                if view is not None:
                    repo.unlink("CIM_ProtocolControllerForUnit", Antecedent=view, Dependent=member)
            return {}, [group]

        return array.respond("RemoveMembers", action)

    def create_view(_target: Any, p: NocaseDict) -> Any:
        groups = [
            p.get(n) for n in ("InitiatorMaskingGroup", "TargetMaskingGroup", "DeviceMaskingGroup")
        ]
        if any(g is None for g in groups):
            return U32(5), {}
        initiators, targets, devices = (repo.require(g, "a masking group").path for g in groups)
        volumes = _members(array, devices)
        numbers = p.get("DeviceNumbers")
        luns = [int(n, 16) for n in numbers] if numbers else [None] * len(volumes)

        def action() -> tuple[dict[str, Any], list[Any]]:
            view = repo.device_path("CIM_SCSIProtocolController", f"VIEW{repo.next_id():04d}")
            repo.add(
                view,
                ElementName=p.get("ElementName") or "view",
                OperationalStatus=[U16(2)],
                NameFormat=U16(3),
            )
            repo.link("CIM_AssociatedInitiatorMaskingGroup", Antecedent=view, Dependent=initiators)
            repo.link("CIM_AssociatedTargetMaskingGroup", Antecedent=view, Dependent=targets)
            repo.link("CIM_AssociatedDeviceMaskingGroup", Antecedent=view, Dependent=devices)
            for volume, lun in zip(volumes, luns, strict=False):
                _expose(array, view, volume, lun)
            return {"ProtocolController": view}, [view]

        return array.respond("CreateMaskingView", action)

    def delete_view(_target: Any, p: NocaseDict) -> Any:
        view = repo.require(p.get("ProtocolController"), "the masking view").path

        def action() -> tuple[dict[str, Any], list[Any]]:
            repo.unlink("CIM_ProtocolControllerForUnit", Antecedent=view)
            for assoc in (
                "CIM_AssociatedInitiatorMaskingGroup",
                "CIM_AssociatedTargetMaskingGroup",
                "CIM_AssociatedDeviceMaskingGroup",
            ):
                repo.unlink(assoc, Antecedent=view)
            repo.delete(view)
            return {}, []

        return array.respond("DeleteMaskingView", action)

    return {
        **spc_handlers(array),
        "CreateGroup": create_group,
        "DeleteGroup": delete_group,
        "AddMembers": add_members,
        "RemoveMembers": remove_members,
        "CreateMaskingView": create_view,
        "DeleteMaskingView": delete_view,
    }
