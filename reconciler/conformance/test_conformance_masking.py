# mypy: disable-error-code="union-attr, arg-type"
"""Provider conformance suite, part 2: hosts (access groups), initiators, CHAP and LUN masking
(``pytest -p storplan.conformance --pyargs storplan.conformance --storplan-uri URI``).

Outcomes are checked by observing the array afterwards.  What is real: the provider under test;
without ``--storplan-uri``, a real simulator SQLite file per test.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from storplan.catalogue import INITIATOR_CAPABILITY
from storplan.conformance.plugin import find, spec_view
from storplan.credentials import Secret
from storplan.errors import AlreadyExists, Busy, NotFound, StorplanError
from storplan.model import (
    AccessGroup,
    Initiator,
    InitiatorKind,
    Kind,
    Mapping,
    System,
    Volume,
    spec_of,
    to_dict,
)
from storplan.model import Capability as C
from storplan.session import Session

Factory = Callable[..., Any]
NOT_CANONICAL: dict[InitiatorKind, Callable[[str], str]] = {  # how people type identifiers
    InitiatorKind.ISCSI: str.upper,
    InitiatorKind.FC: lambda wwpn: "0x" + wwpn.replace(":", "").upper(),
    InitiatorKind.NVME: lambda nqn: f"  {nqn}\t",
}


# ----------------------------------------------------------------------- hosts and masking
def initiator_ids(array: Session, group: AccessGroup) -> list[str]:
    """The ids of the initiators ``group`` is observed with now."""
    return [i.id for i in find(array, Kind.ACCESS_GROUPS, group.id).initiators]


def mappings_of(array: Session, volume: Volume) -> list[Mapping]:
    """The observed mappings of ``volume``."""
    return [m for m in array.observe({Kind.MAPPINGS}).mappings if m.volume_id == volume.id]


@pytest.mark.parametrize("kind", list(InitiatorKind), ids=str)
def test_create_access_group_canonicalises_initiators(
    array: Session, system: System, names: Factory, new_initiator: Factory, requires: Factory,
    kind: InitiatorKind,
) -> None:  # fmt: skip
    requires(C.ACCESS_GROUPS, INITIATOR_CAPABILITY[kind])
    first, second = (Initiator.parse(new_initiator(kind), kind) for _ in range(2))
    typed = [NOT_CANONICAL[kind](second.id), first.id, NOT_CANONICAL[kind](first.id)]
    name = names("host")
    job = array.create_access_group(system, name, typed)
    group = find(array, Kind.ACCESS_GROUPS, job.result.id)
    assert (group.name, group.system_id) == (name, system.id)
    assert group.initiators == tuple(sorted([first, second]))
    assert spec_of(group) == spec_of(job.result)


def test_access_group_is_idempotent_by_name(
    array: Session, system: System, new_group: Factory, new_initiator: Factory
) -> None:
    group = new_group()
    members = [i.id for i in group.initiators]
    assert array.create_access_group(system, group.name, members).result.id == group.id
    with pytest.raises(AlreadyExists):
        array.create_access_group(system, group.name, [*members, new_initiator()])
    assert initiator_ids(array, group) == members


def test_initiator_cannot_be_in_two_groups(
    array: Session, system: System, names: Factory, new_group: Factory
) -> None:
    group, other = new_group(), new_group()
    shared = group.initiators[0].id
    with pytest.raises(AlreadyExists):
        array.create_access_group(system, names("host"), [shared])
    with pytest.raises(AlreadyExists):
        array.add_initiator(other, shared)
    owners = [g.id for g in array.access_groups() if shared in {i.id for i in g.initiators}]
    assert owners == [group.id]


def test_add_and_remove_initiator(
    array: Session, new_group: Factory, new_initiator: Factory
) -> None:
    group, extra = new_group(), new_initiator()
    original = group.initiators[0].id
    assert isinstance(array.add_initiator(group, extra).result, AccessGroup)
    assert initiator_ids(array, group) == sorted([original, Initiator.parse(extra).id])
    array.add_initiator(group, extra)  # already there: nothing changes
    assert len(initiator_ids(array, group)) == 2
    assert isinstance(array.remove_initiator(group, extra).result, AccessGroup)
    assert initiator_ids(array, group) == [original]
    with pytest.raises(NotFound):
        array.remove_initiator(group, extra)


def test_chap_user_is_observed_and_secret_never(
    array: Session, new_group: Factory, new_initiator: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.ACCESS_GROUPS, C.INITIATOR_ISCSI, C.CHAP)
    initiator, user = new_initiator(InitiatorKind.ISCSI), names("chap")
    group, secret = new_group([initiator]), f"cfk-secret-{secrets.token_hex(8)}"
    job = array.set_chap(group, initiator, user, Secret(secret))
    observed = find(array, Kind.ACCESS_GROUPS, group.id)
    assert [i.chap_user for i in observed.initiators] == [user]
    assert spec_of(job.result) == spec_of(observed)
    state = array.observe()
    dumped = json.dumps({k.value: [to_dict(o) for o in state.of(k)] for k in Kind})
    assert secret not in dumped + repr(state) + repr(array.jobs()) + repr(job)
    with pytest.raises(StorplanError) as refused:  # not a member of the group
        array.set_chap(group, new_initiator(InitiatorKind.ISCSI), user, Secret(secret))
    assert secret not in str(refused.value) + repr(refused.value.to_dict())
    array.set_chap(group, initiator, None, None)
    assert [i.chap_user for i in find(array, Kind.ACCESS_GROUPS, group.id).initiators] == [None]


def test_mutual_chap_user_is_observed(
    array: Session, new_group: Factory, new_initiator: Factory, names: Factory, requires: Factory
) -> None:
    requires(C.ACCESS_GROUPS, C.INITIATOR_ISCSI, C.CHAP, C.CHAP_MUTUAL)
    initiator, user, target_user = new_initiator(InitiatorKind.ISCSI), names("chap"), names("tgt")
    group = new_group([initiator])
    secret, mutual = (f"cfk-secret-{secrets.token_hex(8)}" for _ in range(2))
    job = array.set_chap(
        group,
        initiator,
        user,
        Secret(secret),
        mutual_user=target_user,
        mutual_secret=Secret(mutual),
    )
    [observed] = find(array, Kind.ACCESS_GROUPS, group.id).initiators
    assert (observed.chap_user, observed.mutual_chap_user) == (user, target_user)
    assert spec_of(job.result) == spec_of(find(array, Kind.ACCESS_GROUPS, group.id))
    assert mutual not in repr(array.observe()) + repr(job)
    array.set_chap(group, initiator, user, Secret(secret))  # mutual CHAP off again
    [observed] = find(array, Kind.ACCESS_GROUPS, group.id).initiators
    assert (observed.chap_user, observed.mutual_chap_user) == (user, None)


def test_delete_access_group_frees_its_initiators(array: Session, new_group: Factory) -> None:
    group = new_group()
    assert array.delete_access_group(group).result is None
    assert find(array, Kind.ACCESS_GROUPS, group.id) is None
    with pytest.raises(NotFound):
        array.delete_access_group(group)
    assert new_group([i.id for i in group.initiators]).initiators == group.initiators


def test_map_volume_at_the_next_free_lun(
    array: Session, new_volume: Factory, new_group: Factory, limits: Any, requires: Factory
) -> None:
    requires(C.MASKING)
    volume, group = new_volume(), new_group()
    job = array.map_volume(volume, group)
    assert isinstance(job.result, Mapping) and mappings_of(array, volume) == [job.result]
    assert job.result.access_group_id == group.id and 0 <= job.result.lun <= limits.max_lun
    assert array.map_volume(volume, group).result == job.result  # idempotent


def test_map_volume_at_a_chosen_lun(
    array: Session, new_volume: Factory, new_group: Factory, limits: Any, requires: Factory
) -> None:
    requires(C.MASKING, C.MASKING_LUN_CHOICE)
    first, second, group = new_volume(), new_volume(), new_group()
    lun = min(7, limits.max_lun)
    assert array.map_volume(first, group, lun).result == Mapping(first.id, group.id, lun)
    assert mappings_of(array, first) == [Mapping(first.id, group.id, lun)]
    before = spec_view(array.observe())
    with pytest.raises(AlreadyExists):  # the LUN is taken
        array.map_volume(second, group, lun)
    with pytest.raises(AlreadyExists):  # already mapped, at another LUN
        array.map_volume(first, group, lun - 1)
    assert spec_view(array.observe()) == before


def test_mapped_volume_is_busy_until_unmapped(
    array: Session, new_volume: Factory, new_group: Factory, requires: Factory
) -> None:
    requires(C.MASKING)
    volume, group = new_volume(), new_group()
    array.map_volume(volume, group)
    with pytest.raises(Busy):
        array.delete_volume(volume)
    with pytest.raises(Busy):
        array.delete_access_group(group)
    assert find(array, Kind.ACCESS_GROUPS, group.id) is not None
    assert array.unmap_volume(volume, group).result is None
    assert mappings_of(array, volume) == []
    with pytest.raises(NotFound):
        array.unmap_volume(volume, group)
    array.delete_volume(volume)
    assert find(array, Kind.VOLUMES, volume.id) is None
