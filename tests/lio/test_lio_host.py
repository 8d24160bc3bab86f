"""Host-side tests of the ``lio`` provider: what needs no kernel target.

Real: URI/config-file parsing, name rules, the configfs reader and the observation mapping on a
tree of real directories and symlinks laid out like the kernel's (tests/lio/fakeconfigfs.py),
directory pools on real files in a temporary directory (sparse files, fallocate, xattrs, cp),
the atomic save with backups, and `storplan validate` in a real subprocess.  Every behaviour
here is exercised again against a real kernel in the lab VM (tests/lab/test_lio_*.py).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from storplan.errors import ConnectionFailed, InvalidArgument
from storplan.model import Health, Kind, Provisioning
from storplan.providers.lio import LioProvider
from storplan.providers.lio.configfs import read_tree
from storplan.providers.lio.dirpool import DirPool, remove_image
from storplan.providers.lio.inventory import take_inventory
from storplan.providers.lio.names import LIMITS, snapshot_lv_name
from storplan.providers.lio.observe import naa_of, observe_inventory
from storplan.providers.lio.options import parse_options
from storplan.providers.lio.persist import save_config
from storplan.uri import parse_uri

from .fakeconfigfs import TARGET, FakeConfigfs

HOST_A = "iqn.2024-01.com.example:host-a"
HOST_B = "iqn.2024-01.com.example:host-b"
SERIAL = "1b2d7c5c-3a9b-4d21-9c43-aa6ff0e5b9a1"


def options(query: str) -> object:
    return parse_options(parse_uri(f"lio://?{query}"))


# ------------------------------------------------------------------------------ settings
def test_pools_target_and_portals_from_the_uri() -> None:
    parsed = parse_options(
        parse_uri(
            "lio://?pool=fast:lvm-thin:vg0/tp0&pool=bulk:lvm:vg0&pool=files:dir:/srv/luns/"
            f"&target={TARGET.upper()}&portal=127.0.0.1:3261&portal=[::1]:3260"
        )
    )
    assert [(p.name, p.kind, p.location) for p in parsed.pools] == [
        ("fast", "lvm-thin", "vg0/tp0"),
        ("bulk", "lvm", "vg0"),
        ("files", "dir", "/srv/luns"),
    ]
    assert parsed.pools[0].vg == "vg0" and parsed.pools[0].thin_pool == "tp0"
    assert parsed.target == TARGET  # canonical (lower case)
    assert parsed.portals == (("127.0.0.1", 3261), ("::1", 3260))


def test_config_file_with_uri_overrides(tmp_path: Path) -> None:
    config = tmp_path / "lio.yaml"
    config.write_text(
        "target: iqn.2003-01.org.linux-iscsi.h1:t\nportals: ['0.0.0.0:3260']\n"
        "pools:\n  - {name: fast, lvm-thin: vg0/tp0, oversubscription: 3}\n"
    )
    parsed = parse_options(parse_uri(f"lio://?config={config}&portal=10.0.0.1"))
    assert parsed.pools[0].oversubscription == 3.0
    assert parsed.portals == (("10.0.0.1", 3260),)
    assert parsed.target == "iqn.2003-01.org.linux-iscsi.h1:t"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("colour=red", "unknown lio:// option 'colour'"),
        ("pool=fast", "NAME:KIND:LOCATION"),
        ("pool=fast:zfs:tank", "kind 'zfs' is unknown"),
        ("pool=files:dir:relative/path", "is not absolute"),
        ("pool=fast:lvm-thin:vg0", "valid VG/THINPOOL"),
        ("pool=bad.name:lvm:vg0", "not allowed"),
        ("pool=a:lvm:vg0&pool=a:dir:/srv", "used twice"),
        ("pool=a:lvm:" + "v" * 40, "too long"),
        ("portal=localhost:3260", "not IP:PORT"),
        ("portal=127.0.0.1:70000", "out of range"),
        ("target=iqn.2024-01.lab:t0", "iSCSI"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(query: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as refused:
        options(query)
    assert message in str(refused.value)


def test_config_file_errors_name_the_file(tmp_path: Path) -> None:
    config = tmp_path / "lio.yaml"
    config.write_text("pools: [{name: x, lvm: vg0, colour: red}]\n")
    with pytest.raises(InvalidArgument, match=str(config)):
        options(f"config={config}")
    with pytest.raises(InvalidArgument, match="cannot read"):
        options(f"config={tmp_path}/missing.yaml")


def test_the_provider_takes_no_host_and_no_password() -> None:
    from storplan.credentials import Secret

    with pytest.raises(InvalidArgument, match="local host"):
        LioProvider(parse_uri("lio://root@target1"))
    with pytest.raises(InvalidArgument, match="no password"):
        LioProvider(parse_uri("lio://"), Secret("hunter2"))


def test_capabilities_follow_the_configured_pools() -> None:
    from storplan.model import Capability as C

    thin_only = LioProvider(parse_uri("lio://?pool=a:lvm-thin:vg0/tp0")).capabilities()
    assert C.VOLUME_THIN in thin_only and C.VOLUME_THICK not in thin_only
    files = LioProvider(parse_uri("lio://?pool=f:dir:/srv")).capabilities()
    assert {C.VOLUME_THIN, C.VOLUME_THICK} <= files.supported
    assert C.VOLUME_SHRINK not in files and C.SNAPSHOT_RESTORE not in files


# ------------------------------------------------------------------------------ names
@pytest.mark.parametrize("name", ["db01", "db01-data", "a_b", "X" * 48, "snap1"])
def test_names_lio_lvm_and_rtslib_accept(name: str) -> None:
    LIMITS.check_name("volume", name)


@pytest.mark.parametrize(
    "name",
    ["db.01", "-db", "snapshot1", "pvmove0", "data_tmeta", "x_rimage_1", "X" * 49, "é", "a b"],
)
def test_names_one_of_them_refuses_fail_validation(name: str) -> None:
    with pytest.raises(InvalidArgument):
        LIMITS.check_name("volume", name)


def test_snapshot_lvs_have_short_distinct_names() -> None:
    first = snapshot_lv_name("X" * 48, "Y" * 48)
    assert len(first) < 32 and first != snapshot_lv_name("X" * 48, "Y" * 47)
    LIMITS.check_name("snapshot LV", first)  # no LVM reserved word or suffix either


def test_hosts_need_an_initiator_on_lio() -> None:
    with pytest.raises(InvalidArgument, match="add an initiator"):
        LIMITS.check_initiator_count("web", 0)
    LIMITS.check_initiator_count("web", 1)


def test_naa_is_lio_company_id_and_25_serial_digits() -> None:
    assert naa_of(SERIAL) == "naa.6001405" + "1b2d7c5c3a9b4d219c43aa6ff"
    assert naa_of("") == ""


# ------------------------------------------------------------------------------ configfs
def test_reading_without_lio_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailed) as refused:
        read_tree(str(tmp_path / "nothing"))
    assert "modprobe target_core_mod" in refused.value.hint


def test_configfs_tree_is_read_with_links_tags_and_unset_values(tmp_path: Path) -> None:
    fs = FakeConfigfs(tmp_path / "target")
    fs.backstore("fileio", "vol1", "/srv/luns/vol1.img", SERIAL, size=8 << 20)
    fs.backstore("iblock", "vol2", "", "5e1f", index=1)
    fs.lun(0, "fileio", "vol1")
    fs.lun(1, "iblock", "vol2", index=1)
    fs.acl(HOST_A, tag="web", user="alice", mapped={0: 1, 3: 0})
    fs.acl(HOST_B, mapped={})
    fs.portal("0.0.0.0:3260")
    tree = read_tree(str(fs.root))
    by_name = {b.name: b for b in tree.backstores}
    assert by_name["vol1"].size == 8 << 20 and by_name["vol1"].serial == SERIAL
    assert by_name["vol2"].plugin == "iblock"
    tpg = tree.tpg(TARGET)
    assert tpg is not None and tpg.enabled and tpg.portals == ("0.0.0.0:3260",)
    assert tpg.luns == {0: ("fileio", "vol1"), 1: ("iblock", "vol2")}
    acls = {a.initiator: a for a in tpg.acls}
    assert (acls[HOST_A].tag, acls[HOST_A].chap_user, acls[HOST_A].mapped) == (
        "web",
        "alice",
        {0: 1, 3: 0},
    )
    assert (acls[HOST_B].tag, acls[HOST_B].chap_user) == (None, None)


# ------------------------------------------------------------------------------ dir pools
def test_thin_files_are_sparse_and_thick_ones_allocated(tmp_path: Path) -> None:
    pool = DirPool(str(tmp_path / "pool"))
    thin = pool.create("thin1", 16 << 20, thin=True)
    thick = pool.create("thick1", 16 << 20, thin=False)
    images = {i.name: i for i in pool.volumes()}
    assert images["thin1"].thin and images["thin1"].used < (1 << 20)
    assert not images["thick1"].thin and images["thick1"].used >= 16 << 20
    assert stat.S_IMODE(os.stat(thin).st_mode) == 0o600
    pool.grow("thin1", 32 << 20)
    pool.grow("thick1", 32 << 20)
    images = {i.name: i for i in pool.volumes()}
    assert images["thin1"].size == images["thick1"].size == 32 << 20
    assert images["thin1"].thin and images["thick1"].used >= 32 << 20
    with pytest.raises(Exception, match="already exists"):
        pool.create("thin1", 1 << 20, thin=True)
    assert os.path.exists(thick)


def test_file_snapshots_and_replicas_are_recorded(tmp_path: Path) -> None:
    pool = DirPool(str(tmp_path))
    source = pool.create("src", 4 << 20, thin=True)
    Path(source).write_bytes(b"data" * 1024)
    os.truncate(source, 4 << 20)
    pool.copy(source, pool.snapshot_path("src", "s1"), share=True)
    pool.copy(source, pool.path("copy1"), share=False, replica="copy:src")
    assert [i.name for i in pool.snapshots()["src"]] == ["s1"]
    copied = {i.name: i for i in pool.volumes()}["copy1"]
    assert copied.replica == "copy:src" and copied.size == 4 << 20
    assert Path(copied.path).read_bytes()[:8] == b"datadata"
    pool.mark_replica("copy1", None)
    assert {i.name: i for i in pool.volumes()}["copy1"].replica == ""
    remove_image(pool.snapshot_path("src", "s1"))
    assert pool.snapshots() == {}  # the empty per-volume directory went too


# ------------------------------------------------------------------------------ saving
def test_save_is_atomic_private_and_keeps_rotated_backups(tmp_path: Path) -> None:
    path = tmp_path / "target" / "saveconfig.json"
    save_config({"n": 0}, str(path), backups=2)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    save_config({"n": 0}, str(path), backups=2)  # unchanged: no backup
    assert not (path.parent / "backup").exists()
    for n in range(1, 5):
        save_config({"n": n}, str(path), backups=2)
    backups = sorted((path.parent / "backup").iterdir())
    assert len(backups) == 2
    assert sorted(json.loads(b.read_text())["n"] for b in backups) == [2, 3]
    assert json.loads(path.read_text()) == {"n": 4}
    assert [p.name for p in path.parent.iterdir() if p.is_file()] == ["saveconfig.json"]


# ------------------------------------------------------------------------------ observation
def test_observation_joins_configfs_and_files(tmp_path: Path) -> None:
    pool_dir = tmp_path / "luns"
    pool = DirPool(str(pool_dir))
    path = pool.create("vol1", 8 << 20, thin=True)
    fs = FakeConfigfs(tmp_path / "target")
    fs.backstore("fileio", "vol1", path, SERIAL, size=8 << 20)
    fs.lun(0, "fileio", "vol1")
    fs.acl(HOST_A, tag="web", user="alice", mapped={5: 0})
    fs.acl(HOST_B, tag="web", mapped={5: 0})
    fs.acl("iqn.2024-01.com.example:loner", mapped={0: 0, 1: 0})
    fs.portal("0.0.0.0:3260")
    parsed = parse_options(
        parse_uri(f"lio://?pool=files:dir:{pool_dir}&configfs={fs.root}&target={TARGET}")
    )
    state = observe_inventory(take_inventory(parsed), frozenset(Kind))
    [volume] = state.volumes
    assert (volume.name, volume.pool_id, volume.thin, volume.size) == (
        "vol1",
        "pool:files",
        True,
        8 << 20,
    )
    assert volume.wwn == naa_of(SERIAL)
    groups = {g.name: g for g in state.access_groups}
    assert [i.id for i in groups["web"].initiators] == [HOST_A, HOST_B]
    assert [i.chap_user for i in groups["web"].initiators] == ["alice", None]
    loner = groups["iqn.2024-01.com.example:loner"]  # an untagged ACL is its own host
    assert loner.health is Health.OK
    assert {(m.access_group_id, m.lun) for m in state.mappings} == {
        ("host:web", 5),
        (f"host:{loner.name}", 0),
        (f"host:{loner.name}", 1),
    }
    [pool_model] = state.pools
    assert pool_model.provisioning == {Provisioning.THIN, Provisioning.THICK}
    assert pool_model.subscribed == 8 << 20 and pool_model.total > 0
    assert [p.portal for p in state.target_ports] == ["0.0.0.0:3260"]


def test_members_disagreeing_on_luns_make_a_degraded_host(tmp_path: Path) -> None:
    fs = FakeConfigfs(tmp_path / "target")
    fs.backstore("fileio", "vol1", str(tmp_path / "x.img"), SERIAL)
    fs.lun(0, "fileio", "vol1")
    fs.acl(HOST_A, tag="web", mapped={0: 0})
    fs.acl(HOST_B, tag="web", mapped={})
    parsed = parse_options(parse_uri(f"lio://?configfs={fs.root}&target={TARGET}"))
    state = observe_inventory(take_inventory(parsed), frozenset({Kind.ACCESS_GROUPS}))
    assert state.access_groups[0].health is Health.DEGRADED


@pytest.mark.subprocess
def test_validate_refuses_a_host_without_initiators_before_anything_runs(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "m.yaml"
    manifest.write_text(
        "apiVersion: storplan.io/v1\nkind: StorageState\narrays:\n"
        "  - name: t1\n    provider: lio://?pool=files:dir:/srv/luns\n"
        "    pools: [{name: files}]\n"
        "    hosts:\n      - name: web\n        initiators: []\n"
        "    volumes:\n      - {name: db.1, pool: files, size: 1GiB}\n"
    )
    exe = Path(sys.executable).with_name("storplan")
    done = subprocess.run(
        [str(exe), "validate", "-o", "json", str(manifest)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0, done.stdout
    report = json.loads(done.stdout)
    codes = {d["code"] for d in report["diagnostics"]}
    assert {"host.initiator_count", "name.invalid"} <= codes, report


def _stat_files(directory: Path, **values: int) -> None:
    directory.mkdir(parents=True)
    for name, value in values.items():
        (directory / name).write_text(f"{value}\n")


def test_statistics_and_portal_state_from_configfs(tmp_path: Path) -> None:
    """LIO's scsi_lu and scsi_tgt_port counters become volume and port counters; a disabled
    TPG is a port that is down.  (Counters moving with real I/O: tests/lab.)"""
    fs = FakeConfigfs(tmp_path / "target")
    fs.backstore("fileio", "vol1", str(tmp_path / "vol1.img"), SERIAL)
    fs.lun(0, "fileio", "vol1")
    fs.portal("0.0.0.0:3260")
    stats = fs.root / "core" / "fileio_0" / "vol1" / "statistics"
    _stat_files(stats / "scsi_lu", num_cmds=120, read_mbytes=3, write_mbytes=5)
    port = fs.tpg / "lun" / "lun_0" / "statistics" / "scsi_tgt_port"
    _stat_files(port, in_cmds=110, read_mbytes=2, write_mbytes=4)
    uri = f"lio://?pool=files:dir:{tmp_path}&configfs={fs.root}&target={TARGET}"
    provider = LioProvider(parse_uri(uri))
    counters = {(c.kind, c.object_id): c for c in provider.statistics().counters}
    volume = counters[("volume", "vol:vol1")]
    assert (volume.ops, volume.read_bytes, volume.write_bytes) == (120, 3 << 20, 5 << 20)
    assert (volume.read_ops, volume.write_ops) == (None, None)  # LIO does not count them apart
    tpg = counters[("target_port", "port:0.0.0.0:3260")]
    assert (tpg.ops, tpg.read_bytes, tpg.write_bytes) == (110, 2 << 20, 4 << 20)
    [up] = provider.observe(frozenset({Kind.TARGET_PORTS})).target_ports
    assert (up.link.value, up.conditions) == ("up", ())
    (fs.tpg / "enable").write_text("0\n")
    [down] = provider.observe(frozenset({Kind.TARGET_PORTS})).target_ports
    assert down.link.value == "down" and [c.code for c in down.conditions] == ["port.down"]


def test_a_mapped_host_without_an_iscsi_session_is_a_condition(tmp_path: Path) -> None:
    """The ACL's ``info`` (as the kernel writes it) tells whether the initiator is logged in;
    only a host with mapped LUNs is expected to be, and each initiator is its own finding."""
    from storplan.monitoring.probe import Probe
    from storplan.session import Session

    fs = FakeConfigfs(tmp_path / "target")
    fs.backstore("fileio", "vol1", str(tmp_path / "vol1.img"), SERIAL)
    fs.lun(0, "fileio", "vol1")
    fs.acl("iqn.2024-01.com.example:db-a", tag="db", mapped={0: 0})
    fs.acl("iqn.2024-01.com.example:db-b", tag="db", mapped={0: 0}, session="LOGGED_IN")
    fs.acl("iqn.2024-01.com.example:spare")  # nothing mapped: no session is normal
    fs.acl("iqn.2024-01.com.example:web", mapped={0: 0}, session="FAILED")
    uri = f"lio://?pool=files:dir:{tmp_path}&configfs={fs.root}&target={TARGET}"
    provider = LioProvider(parse_uri(uri))
    groups = {g.name: g for g in provider.observe(frozenset({Kind.ACCESS_GROUPS})).access_groups}
    assert groups["iqn.2024-01.com.example:spare"].conditions == ()
    [db] = groups["db"].conditions
    assert (db.code, db.component) == ("host.not_logged_in", "iqn.2024-01.com.example:db-a")
    [web] = groups["iqn.2024-01.com.example:web"].conditions
    assert "FAILED" in web.message
    probe = Probe("lio", lambda: Session(LioProvider(parse_uri(uri)), parse_uri(uri)))
    found = {(f.code, f.kind, f.component, f.severity.value) for f in probe.sample().findings}
    assert ("host.not_logged_in", "access_groups", "iqn.2024-01.com.example:db-a", "warning") in (
        found
    )
    fs.session("iqn.2024-01.com.example:db-a", "LOGGED_IN")  # the host logged in: cleared
    assert not {f for f in probe.sample().findings if f.component.endswith("db-a")}
    probe.close()
