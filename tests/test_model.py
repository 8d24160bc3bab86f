"""Unit tests for the storplan model (:mod:`storplan.model`).

Everything here is real: one instance of every model class is built by hand, serialised with
the real ``to_dict``/``spec_of`` and round-tripped through :mod:`json`; capability and limit
checks raise the real storplan errors.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storplan.errors import InvalidArgument, Unsupported
from storplan.model import (
    Access,
    AccessGroup,
    Capabilities,
    Capability,
    Condition,
    Disk,
    DiskKind,
    ElementType,
    ErrorInfo,
    ExportClient,
    FileSystem,
    FsSnapshot,
    Health,
    Initiator,
    InitiatorKind,
    Job,
    JobState,
    Kind,
    Limits,
    Mapping,
    NfsExport,
    Pool,
    ProviderVersion,
    Replica,
    ReplicaKind,
    Size,
    Snapshot,
    Squash,
    State,
    System,
    TargetPort,
    Volume,
    spec_fields,
    spec_of,
    to_dict,
)

GiB = 2**30
COND = Condition("disk_failed", "disk 3 failed")
SYSTEM = System("sys1", "array1", vendor="ACME", health=Health.DEGRADED, conditions=(COND,))
POOL = Pool(
    "p1",
    "sys1",
    "ssd",
    frozenset({ElementType.VOLUME, ElementType.FILESYSTEM}),
    total=Size(100 * GiB),
    free=Size(60 * GiB),
    oversubscription_limit=2.5,
)
VOLUME = Volume("v1", "sys1", "p1", "db01", Size(10 * GiB), True, wwn="naa.6001405abcdef012")
INITIATOR = Initiator.parse("IQN.2024-01.COM.Example:Host1", chap_user="chap1")
GROUP = AccessGroup("ag1", "sys1", "host1", (INITIATOR, Initiator.parse("0x5001438012345678")))
MAPPING = Mapping("v1", "ag1", 3)
SNAPSHOT = Snapshot("s1", "v1", "snap1", created_at="2024-01-01T00:00:00Z", size=Size(GiB))
REPLICA = Replica("r1", "v1", "v2", ReplicaKind.MIRROR_ASYNC, percent_synced=40)
FILESYSTEM = FileSystem("fs1", "sys1", "p1", "home", Size(5 * GiB), used=Size(GiB))
FS_SNAPSHOT = FsSnapshot("fss1", "fs1", "nightly")
EXPORT = NfsExport(
    "e1",
    "fs1",
    "/export/home",
    clients=(ExportClient("10.0.0.0/8", Access.RO, Squash.NONE),),
    anon_uid=65534,
    anon_gid=65534,
)
DISK = Disk("d1", "sys1", "disk1", DiskKind.NVME, Size(GiB), pool_id=None, serial="S1")
PORT = TargetPort("t1", "sys1", InitiatorKind.ISCSI, "iqn.2024-01.com.example:tgt", "10.0.0.1:3260")
CAPS = Capabilities("sim", frozenset({Capability.VOLUMES, Capability.SNAPSHOTS}))
LIMITS = Limits(extra={"vendor": "acme"})
VERSION = ProviderVersion("sim", "0.1.0", "simulator", "1")
JOB = Job("j1", "create_volume", JobState.SUCCEEDED, 100, VOLUME)
FAILED_JOB = Job("j2", "delete_pool", JobState.FAILED, error=ErrorInfo("busy", "pool in use"))
STATE = State(
    systems=(SYSTEM,),
    pools=(POOL,),
    disks=(DISK,),
    volumes=(VOLUME,),
    access_groups=(GROUP,),
    mappings=(MAPPING,),
    snapshots=(SNAPSHOT,),
    replicas=(REPLICA,),
    filesystems=(FILESYSTEM,),
    fs_snapshots=(FS_SNAPSHOT,),
    exports=(EXPORT,),
    target_ports=(PORT,),
)
ALL: list[Any] = [
    COND,
    SYSTEM,
    POOL,
    VOLUME,
    INITIATOR,
    GROUP,
    MAPPING,
    SNAPSHOT,
    REPLICA,
    FILESYSTEM,
    FS_SNAPSHOT,
    EXPORT,
    DISK,
    PORT,
    CAPS,
    LIMITS,
    VERSION,
    JOB,
    FAILED_JOB,
    ErrorInfo("a", "b"),
    STATE,
]


def ident(obj: object) -> str:
    """A readable pytest id for a model instance."""
    return type(obj).__name__


# --- spec versus status --------------------------------------------------------------------


def test_volume_spec_and_status_fields() -> None:
    assert spec_fields(Volume) == ("id", "system_id", "pool_id", "name", "size", "thin")
    spec = spec_of(VOLUME)
    assert spec == {
        "id": "v1",
        "system_id": "sys1",
        "pool_id": "p1",
        "name": "db01",
        "size": 10 * GiB,
        "thin": True,
    }
    for status in ("used", "wwn", "health", "block_size", "conditions"):
        assert status not in spec
        assert status in to_dict(VOLUME)


@pytest.mark.parametrize(
    ("cls", "spec"),
    [
        (Pool, ("id", "system_id", "name")),
        (Snapshot, ("id", "volume_id", "name")),
        (Replica, ("id", "source_volume_id", "target_volume_id", "kind")),
        (FileSystem, ("id", "system_id", "pool_id", "name", "size", "clone_of")),
        (System, ("id", "name")),
        (Disk, ("id", "system_id", "name")),
        (AccessGroup, ("id", "system_id", "name", "initiators")),
        (TargetPort, ("id", "system_id", "kind", "address", "portal")),
    ],
)
def test_spec_fields(cls: type, spec: tuple[str, ...]) -> None:
    assert spec_fields(cls) == spec


@given(
    used=st.integers(0, 2**50),
    wwn=st.text(max_size=10),
    health=st.sampled_from(Health),
    block_size=st.sampled_from([512, 4096]),
)
def test_status_never_changes_spec(used: int, wwn: str, health: Health, block_size: int) -> None:
    other = dataclasses.replace(
        VOLUME, used=Size(used), wwn=wwn, health=health, block_size=block_size, conditions=(COND,)
    )
    assert spec_of(other) == spec_of(VOLUME)


@pytest.mark.parametrize(
    ("field", "value"), [("name", "db02"), ("size", Size(GiB)), ("thin", False), ("pool_id", "p2")]
)
def test_spec_changes_are_visible(field: str, value: object) -> None:
    assert spec_of(dataclasses.replace(VOLUME, **{field: value})) != spec_of(VOLUME)


# --- serialisation -------------------------------------------------------------------------


@pytest.mark.parametrize("obj", ALL, ids=ident)
def test_to_dict_is_json_serialisable(obj: Any) -> None:
    data = to_dict(obj)
    assert set(data) == {f.name for f in dataclasses.fields(obj)}
    assert json.loads(json.dumps(data)) == data


def test_to_dict_plain_values() -> None:
    pool = to_dict(POOL)
    assert pool["element_types"] == ["filesystem", "volume"]
    assert pool["total"] == 100 * GiB and type(pool["total"]) is int
    assert pool["health"] == "ok"
    assert to_dict(SYSTEM)["conditions"] == [
        {
            "code": "disk_failed",
            "message": "disk 3 failed",
            "severity": "",
            "since": "",
            "percent": None,
            "component": "",
        }
    ]
    assert to_dict(JOB)["result"]["size"] == 10 * GiB
    assert to_dict(FAILED_JOB)["error"] == {"code": "busy", "message": "pool in use"}
    assert to_dict(CAPS)["supported"] == ["snapshots", "volumes"]
    assert to_dict(GROUP)["initiators"][0] == {
        "id": "iqn.2024-01.com.example:host1",
        "kind": "iscsi",
        "chap_user": "chap1",
        "mutual_chap_user": None,
    }
    assert to_dict(STATE)["volumes"] == [to_dict(VOLUME)]


# --- immutability --------------------------------------------------------------------------


@pytest.mark.parametrize("obj", ALL, ids=ident)
def test_objects_are_frozen(obj: Any) -> None:
    name = dataclasses.fields(obj)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, name, "changed")


# --- initiators ----------------------------------------------------------------------------


def test_initiator_parse_canonicalises() -> None:
    assert Initiator("iqn.2024-01.com.example:host1", InitiatorKind.ISCSI, "chap1") == INITIATOR
    fc = Initiator.parse("50-01-43-80-12-34-56-78")
    assert (fc.id, fc.kind, fc.chap_user) == ("50:01:43:80:12:34:56:78", InitiatorKind.FC, None)
    nvme = Initiator.parse(" nqn.2024-01.com.example:Host1 ", InitiatorKind.NVME)
    assert nvme.id == "nqn.2024-01.com.example:Host1"
    assert Initiator.parse("iqn.2024-01.com.example:a") < Initiator.parse(
        "iqn.2024-01.com.example:b"
    )
    with pytest.raises(InvalidArgument):
        Initiator.parse("iqn.2024-01.lab:t0")


# --- state ---------------------------------------------------------------------------------


def test_state_by_id() -> None:
    assert STATE.by_id["v1"] is VOLUME
    assert STATE.by_id["v1@ag1"] is MAPPING
    assert STATE.by_id["e1"] is EXPORT
    assert len(STATE.by_id) == 12
    assert State().by_id == {}


def test_state_of_and_find() -> None:
    assert STATE.of(Kind.VOLUMES) == (VOLUME,)
    other = dataclasses.replace(VOLUME, id="v9", system_id="sys2")
    state = dataclasses.replace(STATE, volumes=(VOLUME, other))
    assert state.find(Kind.VOLUMES, "db01") == [VOLUME, other]
    assert state.find(Kind.VOLUMES, "db01", system_id="sys2") == [other]
    assert state.find(Kind.VOLUMES, "nope") == []
    assert state.find(Kind.SNAPSHOTS, "snap1", system_id="sys1") == [SNAPSHOT]
    assert state.find(Kind.MAPPINGS, "anything") == []


# --- capabilities and limits ---------------------------------------------------------------


def test_capabilities_contains_and_require() -> None:
    assert Capability.VOLUMES in CAPS and Capability.CLONES not in CAPS
    CAPS.require(Capability.VOLUMES)
    with pytest.raises(Unsupported) as info:
        CAPS.require(Capability.CLONES, "clone db01")
    err = info.value
    assert "'sim'" in err.message and "'replica.clone'" in err.message
    assert "to clone db01" in err.message
    assert (err.provider, err.capability, err.code) == ("sim", "replica.clone", "unsupported")
    assert isinstance(err, NotImplementedError)


@pytest.mark.parametrize("name", ["db01", "a", "A.b-c_d", "x" * 63])
def test_check_name_ok(name: str) -> None:
    LIMITS.check_name("volume", name)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("", "non-empty"),
        ("x" * 64, "longer than 63"),
        ("-db", "not allowed"),
        ("db 01", "not allowed"),
        ("db/01", "not allowed"),
        (None, "non-empty"),
    ],
)
def test_check_name_rejected(name: Any, fragment: str) -> None:
    with pytest.raises(InvalidArgument, match=fragment):
        LIMITS.check_name("volume", name)


def test_check_volume_size() -> None:
    LIMITS.check_volume_size(2**20)
    LIMITS.check_volume_size(2**50)
    for bad in (2**20 - 1, 2**50 + 1, 0):
        with pytest.raises(InvalidArgument, match=r"outside 1MiB\.\.1PiB"):
            LIMITS.check_volume_size(bad)


@pytest.mark.parametrize("lun", [0, 1, 16383])
def test_check_lun_ok(lun: int) -> None:
    LIMITS.check_lun(lun)


@pytest.mark.parametrize("lun", [-1, 16384, True, "3", 1.0, None])
def test_check_lun_rejected(lun: Any) -> None:
    with pytest.raises(InvalidArgument, match=r"number 0\.\.16383|maximum 16383"):
        LIMITS.check_lun(lun)


@pytest.mark.parametrize(
    ("size", "expected"), [(0, 0), (1, 2**20), (2**20, 2**20), (2**20 + 1, 2**21)]
)
def test_align(size: int, expected: int) -> None:
    aligned = LIMITS.align(size)
    assert aligned == expected and type(aligned) is Size
    assert Limits(size_alignment=4096).align(1) == 4096
