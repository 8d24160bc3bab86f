"""Hosts and masking on LIO: node ACLs grouped by tag, mapped LUNs, CHAP per ACL.

A host (access group) is the set of node ACLs carrying its name as their tag, so it exists
only through its initiators: creating one needs at least one initiator, and its last initiator
cannot be removed (delete the host instead).  Mapping a volume gives every member ACL a mapped
LUN with the same number, pointing at the volume's TPG LUN.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storplan.errors import AlreadyExists, Busy, InvalidArgument, NotFound
from storplan.model.enums import Kind
from storplan.model.job import Job

from . import ids
from .configfs import Acl
from .inventory import Inventory
from .names import LIMITS, check_object_name
from .ops_volumes import VolumeOps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from storplan.model.block import ChapCredentials, Initiator

__all__ = ["MaskingOps"]


def _members(inventory: Inventory, group: str) -> list[Acl]:
    members = inventory.groups().get(group)
    if not members:
        raise NotFound(f"host {group!r} does not exist")
    return members


def _owner(inventory: Inventory, initiator: str) -> str | None:
    return next(
        (
            name
            for name, acls in inventory.groups().items()
            if any(a.initiator == initiator for a in acls)
        ),
        None,
    )


def _luns(members: list[Acl]) -> dict[int, int]:
    """Mapped LUN -> TPG LUN over all members of a host."""
    return {mlun: tpg_lun for acl in members for mlun, tpg_lun in acl.mapped.items()}


class MaskingOps(VolumeOps):
    """Host and masking operations."""

    def create_access_group(
        self, system_id: str, name: str, initiators: Sequence[Initiator]
    ) -> Job[Any]:
        """Node ACLs tagged ``name`` for each initiator; idempotent by name."""
        check_object_name("host", name)
        wanted = sorted({i.id for i in initiators})
        LIMITS.check_initiator_count(name, len(wanted))
        with self.operation("create_access_group"):
            inventory = self.inventory(storage=False)
            existing = inventory.groups().get(name)
            if existing is not None:
                have = sorted(a.initiator for a in existing)
                if have != wanted:
                    raise AlreadyExists.conflict("host", name, {"initiators": (have, wanted)})
            else:
                for initiator in wanted:
                    self._refuse_claimed(inventory, initiator, name)
                added: list[str] = []
                try:
                    for initiator in wanted:
                        self.target.add_acl(name, initiator)
                        added.append(initiator)
                except BaseException:
                    for initiator in added:
                        self.target.remove_acl(initiator)
                    raise
            return self._finish("create_access_group", Kind.ACCESS_GROUPS, ids.host(name))

    def delete_access_group(self, access_group_id: str) -> Job[Any]:
        """Delete every node ACL of the host (it must have no mapped volumes)."""
        group = ids.name_of(access_group_id)
        with self.operation("delete_access_group"):
            members = _members(self.inventory(storage=False), group)
            mapped = _luns(members)
            if mapped:
                raise Busy(
                    f"host {group!r} has {len(mapped)} mapped volume(s)",
                    hint="unmap them first",
                )
            for acl in members:
                self.target.remove_acl(acl.initiator)
            return self._finish("delete_access_group", None, None)

    def add_initiator(self, access_group_id: str, initiator: Initiator) -> Job[Any]:
        """A node ACL for ``initiator`` with the host's tag and mapped LUNs."""
        group = ids.name_of(access_group_id)
        with self.operation("add_initiator"):
            inventory = self.inventory(storage=False)
            members = _members(inventory, group)
            if all(a.initiator != initiator.id for a in members):
                LIMITS.check_initiator_count(group, len(members) + 1)
                self._refuse_claimed(inventory, initiator.id, group)
                self.target.add_acl(group, initiator.id)
            return self._finish("add_initiator", Kind.ACCESS_GROUPS, access_group_id)

    def remove_initiator(self, access_group_id: str, initiator_id: str) -> Job[Any]:
        """Delete the initiator's node ACL (not the host's last one)."""
        group = ids.name_of(access_group_id)
        with self.operation("remove_initiator"):
            members = _members(self.inventory(storage=False), group)
            if all(a.initiator != initiator_id for a in members):
                raise NotFound(f"initiator {initiator_id} is not in host {group!r}")
            if len(members) == 1:
                raise InvalidArgument(
                    f"{initiator_id} is the last initiator of host {group!r}; on LIO a host "
                    "exists only through its initiators",
                    hint="add the new initiator first, or delete the host",
                )
            self.target.remove_acl(initiator_id)
            return self._finish("remove_initiator", Kind.ACCESS_GROUPS, access_group_id)

    def set_chap(
        self, access_group_id: str, initiator_id: str, chap: ChapCredentials | None
    ) -> Job[Any]:
        """CHAP credentials of one initiator (``None`` clears them), mutual CHAP included;
        secrets are written to configfs and to the saved configuration (mode 0600), never to
        storplan's output."""
        group = ids.name_of(access_group_id)
        with self.operation("set_chap"):
            members = _members(self.inventory(storage=False), group)
            if all(a.initiator != initiator_id for a in members):
                raise NotFound(f"initiator {initiator_id} is not in host {group!r}")
            self.target.set_chap(initiator_id, chap)
            return self._finish("set_chap", Kind.ACCESS_GROUPS, access_group_id)

    def map_volume(self, volume_id: str, access_group_id: str, lun: int | None) -> Job[Any]:
        """Expose the volume to every initiator of the host as ``lun`` (lowest free if
        ``None``); idempotent."""
        group = ids.name_of(access_group_id)
        with self.operation("map_volume"):
            inventory = self.inventory(storage=False)
            stored = self.stored_volume(inventory, volume_id)
            tpg_lun = inventory.lun_of(stored.name)
            if tpg_lun is None:
                raise InvalidArgument(
                    f"volume {stored.name!r} is not exported as a LUN of {self.options.target}",
                    hint="export it with targetcli, or let storplan create its volumes",
                )
            luns = _luns(_members(inventory, group))
            current = next((m for m, t in luns.items() if t == tpg_lun), None)
            if current is not None:
                if lun is not None and lun != current:
                    raise AlreadyExists.conflict(
                        "mapping", f"{stored.name}@{group}", {"lun": (current, lun)}
                    )
            else:
                if lun is None:
                    lun = next(n for n in range(len(luns) + 1) if n not in luns)
                elif lun in luns:
                    raise AlreadyExists(
                        f"LUN {lun} of host {group!r} is already used",
                        hint="choose another LUN or leave it unset",
                    )
                LIMITS.check_lun(lun)
                self.target.map(group, tpg_lun, lun)
            return self._finish("map_volume", Kind.MAPPINGS, ids.mapping(stored.name, group))

    def unmap_volume(self, volume_id: str, access_group_id: str) -> Job[Any]:
        """Remove the volume's mapped LUN from every initiator of the host."""
        group = ids.name_of(access_group_id)
        with self.operation("unmap_volume"):
            inventory = self.inventory(storage=False)
            stored = self.stored_volume(inventory, volume_id)
            tpg_lun = inventory.lun_of(stored.name)
            if tpg_lun is None or tpg_lun not in _luns(_members(inventory, group)).values():
                raise NotFound(f"volume {stored.name!r} is not mapped to host {group!r}")
            self.target.unmap(group, tpg_lun)
            return self._finish("unmap_volume", None, None)

    @staticmethod
    def _refuse_claimed(inventory: Inventory, initiator: str, group: str) -> None:
        owner = _owner(inventory, initiator)
        if owner is not None and owner != group:
            raise AlreadyExists(
                f"initiator {initiator} already belongs to host {owner!r}",
                hint="remove it from that host first",
            )
