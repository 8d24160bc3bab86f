"""What both masking styles share: a host's LUNs, mapping results, and LUN text.

``DeviceNumber`` (on ``CIM_ProtocolControllerForUnit`` and in ``DeviceNumbers[]``
parameters) is a hexadecimal string on SMI-S arrays.
"""

from __future__ import annotations

from typing import Any

from storplan.errors import AlreadyExists, InvalidArgument, NotFound
from storplan.model.block import Mapping

from .cim import lun_of, pkey
from .client import WbemClient
from .ids import object_id, system_id_of

__all__ = ["device_number", "mapping_of", "same_system", "units_of"]

UNIT_PROPS = ["Antecedent", "Dependent", "DeviceNumber"]


def device_number(lun: int) -> str:
    """A LUN as SMI-S ``DeviceNumbers[]`` text (hexadecimal)."""
    return f"{lun:04X}"


def units_of(client: WbemClient, controller: Any) -> list[Any]:
    """The ``CIM_ProtocolControllerForUnit`` links of an SPC (its volumes and LUNs)."""
    return client.references(controller, "CIM_ProtocolControllerForUnit", UNIT_PROPS, "Antecedent")


def existing_mapping(
    units: list[Any], volume: Any, lun: int | None, volume_id: str, group_id: str
) -> Mapping | None:
    """The mapping of ``volume`` in ``units`` if there is one; refuses conflicting requests
    (:class:`AlreadyExists`: mapped at another LUN, or the LUN is taken)."""
    for unit in units:
        if pkey(unit["Dependent"]) == pkey(volume):
            have = lun_of(unit)
            if have is None:
                continue
            if lun is not None and have != lun:
                raise AlreadyExists(
                    f"volume {volume_id} is already mapped to {group_id} at LUN {have}",
                    hint="unmap it first to change the LUN",
                )
            return Mapping(volume_id, group_id, have)
    if lun is not None:
        for unit in units:
            if lun_of(unit) == lun:
                raise AlreadyExists(
                    f"LUN {lun} of access group {group_id} is used by "
                    f"{object_id('vol', unit['Dependent'])}",
                    hint="choose another LUN or leave it unset",
                )
    return None


def mapping_of(client: WbemClient, volume: Any, controller: Any, group_id: str) -> Mapping:
    """The mapping of ``volume`` through ``controller``, as observed now."""
    for unit in client.references(volume, "CIM_ProtocolControllerForUnit", UNIT_PROPS, "Dependent"):
        if pkey(unit["Antecedent"]) == pkey(controller):
            lun = lun_of(unit)
            if lun is not None:
                return Mapping(object_id("vol", volume), group_id, lun)
    raise NotFound(f"the array reports no mapping of {object_id('vol', volume)} to {group_id}")


def same_system(volume: Any, group_system_id: str) -> None:
    """Refuse to map a volume to a host of another system."""
    if system_id_of(volume) != group_system_id:
        raise InvalidArgument(
            "the volume and the access group are on different systems",
            hint="objects can only be related within one system",
        )
