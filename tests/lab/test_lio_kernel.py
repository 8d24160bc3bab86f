"""The ``lio`` provider on a real kernel: LIO, LVM thin pools, ext4 and open-iscsi in the lab VM.

Real: the guest's kernel target (configfs, target_core_iblock/file, iscsi_target_mod), LVM and
device-mapper, rtslib-fb from Debian, open-iscsi logging in over the guest's loopback, and the
working tree's storplan installed in the guest.  Nothing is faked.  The tests share one VM and
run in file order: the conformance kit first, then one manifest's life from first apply to
clean-up, then CHAP, read-only planning and a reboot.
"""

from __future__ import annotations

import json
import os
import re

import pytest

from .lio_guest import FILES_DIR, LioGuest, prepare_lio_host
from .vm import GUEST_VENV, LabVM

pytestmark = pytest.mark.lab

WEB = "iqn.2024-01.com.example:web"
DB = "iqn.2024-01.com.example:db"
STRANGER = "iqn.2024-01.com.example:stranger"
MIB = 1 << 20
AUTH_FAILURE = 24  # iscsiadm's exit code for "authorization failure"


@pytest.fixture(scope="module")
def guest(lab: LabVM) -> LioGuest:
    prepare_lio_host(lab)
    return LioGuest(lab)


def manifest(*, web_size: str = "64MiB", shared_size: str = "32MiB", with_db: bool = True,
             snapshot: bool = False, chap: bool = False) -> str:
    """The end-to-end manifest: two hosts, three volumes in the three kinds of pool."""
    web_initiator = (
        f"{{id: {WEB}, chap: {{user: webuser, secret: {{env: CHAP_SECRET}}}}}}"
        if chap else f"{{id: {WEB}}}"
    )
    text = f"""\
apiVersion: storplan.io/v1
kind: StorageState
metadata: {{name: lab-e2e}}
arrays:
  - name: lab
    provider: lio://
    prune: true
    pools: [{{name: thin}}, {{name: thick}}, {{name: files}}]
    hosts:
      - {{name: web, initiators: [{web_initiator}]}}
"""
    if with_db:
        text += f"      - {{name: db, initiators: [{DB}]}}\n"
    text += f"""\
    volumes:
      - name: web-data
        pool: thin
        size: {web_size}
        mappings: [{{host: web, lun: 0}}]
"""
    if snapshot:
        text += "        snapshots: [{name: before-upgrade}]\n"
    text += f"""\
      - name: shared
        pool: files
        size: {shared_size}
        thin: false
        mappings: [{{host: web, lun: 1}}{", {host: db, lun: 0}" if with_db else ""}]
"""
    if with_db:
        text += """\
      - name: db-data
        pool: thick
        size: 48MiB
        thin: false
        mappings: [{host: db, lun: 1}]
"""
    return text


def volumes_by_name(guest: LioGuest) -> dict[str, dict[str, object]]:
    return {v["name"]: v for v in guest.show("volumes")}


def write_and_compare(guest: LioGuest, device: str, backing: str) -> None:
    """Write 1 MiB of random data through the initiator; the backing storage must hold it."""
    guest.lab.run(
        "set -e; dd if=/dev/urandom of=/tmp/pattern bs=1M count=1 status=none;"
        f" dd if=/tmp/pattern of={device} bs=1M count=1 oflag=direct conv=fsync status=none;"
        f" cmp -n {MIB} /tmp/pattern {backing}"
    )


# ------------------------------------------------------------------------------ the kit
def test_conformance_kit_passes_against_lio(guest: LioGuest) -> None:
    done = guest.lab.run(
        f"cd /tmp && {GUEST_VENV}/bin/python -m pytest -q -p no:cacheprovider -rfEs --tb=short"
        " -p storplan.conformance --pyargs storplan.conformance --storplan-uri lio://",
        check=False,
        timeout=3600,
    )
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
    # On failure show the summary (every failure and error, one line each) and the last tracebacks.
    output = done.stdout
    cut = output.find("short test summary info")
    assert done.returncode == 0, output[cut:] + "\n...\n" + output[-6000:] + done.stderr[-2000:]
    assert re.search(r"\d+ passed", summary), summary
    leftovers = [v["name"] for v in guest.show("volumes") if v["name"].startswith("cfk-")]
    assert leftovers == []


# ------------------------------------------------------------------------------ end to end
def test_each_host_sees_exactly_its_luns_and_writes_land(guest: LioGuest) -> None:
    guest.apply(manifest())
    volumes = volumes_by_name(guest)
    assert {n: v["size"] for n, v in volumes.items()} == {
        "web-data": 64 * MIB, "shared": 32 * MIB, "db-data": 48 * MIB}
    assert (volumes["web-data"]["thin"], volumes["shared"]["thin"]) == (True, False)
    expected = {
        WEB: {0: "web-data", 1: "shared"},
        DB: {0: "shared", 1: "db-data"},
    }
    backing = {"web-data": "/dev/vg0/web-data", "db-data": "/dev/vg0/db-data",
               "shared": f"{FILES_DIR}/shared.img"}
    for iqn, luns in expected.items():
        with guest.logged_in(iqn):
            seen = guest.luns()
            assert sorted(seen) == sorted(luns), (iqn, seen)
            for lun, name in luns.items():
                device = seen[lun]
                assert guest.size(device) == volumes[name]["size"]
                assert guest.naa(device) == volumes[name]["wwn"]
                write_and_compare(guest, device, backing[name])
    refused = guest.login(STRANGER)
    assert refused.returncode == AUTH_FAILURE, refused.stdout + refused.stderr
    assert "authorization failure" in (refused.stdout + refused.stderr).lower()
    guest.logout()


def test_reapplying_the_same_manifest_changes_nothing(guest: LioGuest) -> None:
    assert guest.plan(manifest()).returncode == 0
    before = guest.lab.run(f"sha256sum {guest.save_file}").stdout
    done = guest.apply(manifest())  # raises unless it exits 0
    assert "no change" in done.stdout.lower(), done.stdout
    assert guest.lab.run(f"sha256sum {guest.save_file}").stdout == before


def test_grow_and_snapshot_are_seen_by_the_initiator(guest: LioGuest) -> None:
    with guest.logged_in(WEB):
        luns = guest.luns()
        guest.apply(manifest(web_size="128MiB", shared_size="64MiB", snapshot=True))
        guest.rescan(luns[0])  # an LVM volume grows online: the session stays
        assert guest.size(luns[0]) == 128 * MIB
    with guest.logged_in(WEB):  # a file-backed LUN was re-created around the grown file
        luns = guest.luns()
        assert guest.size(luns[1]) == 64 * MIB
        assert guest.naa(luns[1]) == volumes_by_name(guest)["shared"]["wwn"]
    [snapshot] = guest.show("snapshots")
    assert snapshot["name"] == "before-upgrade"
    tags = guest.lab.run("lvs --noheadings -o lv_tags,origin vg0").stdout
    assert "storplan-snapshot:before-upgrade" in tags and "web-data" in tags
    assert guest.plan(manifest(web_size="128MiB", shared_size="64MiB", snapshot=True)
                      ).returncode == 0


def test_removing_from_the_manifest_cleans_up_only_with_consent(guest: LioGuest) -> None:
    smaller = manifest(web_size="128MiB", shared_size="64MiB", snapshot=True, with_db=False)
    refused = guest.apply(smaller, check=False)
    assert refused.returncode == 1 and "BLOCKED" in refused.stdout + refused.stderr
    assert "db-data" in volumes_by_name(guest)
    guest.apply(smaller, "--allow-destroy")
    assert set(volumes_by_name(guest)) == {"web-data", "shared"}
    assert guest.lab.run("lvs vg0/db-data", check=False).returncode != 0
    assert [g["name"] for g in guest.show("hosts")] == ["web"]
    refused_login = guest.login(DB)
    assert refused_login.returncode == AUTH_FAILURE
    guest.logout()


# ------------------------------------------------------------------------------ CHAP
def test_chap_is_enforced_and_the_secret_never_printed(guest: LioGuest) -> None:
    secret = "lab-chap-secret-0123"
    chapped = manifest(web_size="128MiB", shared_size="64MiB", snapshot=True, with_db=False,
                       chap=True)
    done = guest.apply(chapped, env={"CHAP_SECRET": secret})
    assert secret not in done.stdout + done.stderr
    [web] = [g for g in guest.show("hosts") if g["name"] == "web"]
    assert [i["chap_user"] for i in web["initiators"]] == ["webuser"]
    without = guest.login(WEB)
    assert without.returncode == AUTH_FAILURE, without.stdout + without.stderr
    guest.logout()
    with guest.logged_in(WEB, chap=("webuser", secret)):
        assert sorted(guest.luns()) == [0, 1]
    mode = guest.lab.run(f"stat -c %a {guest.save_file}").stdout.strip()
    assert mode == "600"


# ------------------------------------------------------------------------------ read-only
def test_plan_and_show_change_nothing_on_the_host(guest: LioGuest) -> None:
    snapshot_state = (
        f"{GUEST_VENV}/bin/python -c 'import json, rtslib_fb;"
        " print(json.dumps(rtslib_fb.RTSRoot().dump(), sort_keys=True))' | sha256sum;"
        f" sha256sum {guest.save_file}; cat /sys/kernel/config/target/dbroot;"
        f" ls {os.path.dirname(guest.save_file)}/backup | wc -l;"
        " lvs --noheadings -o lv_name,lv_size vg0"
    )
    before = guest.lab.run(snapshot_state).stdout
    bigger = manifest(web_size="1GiB", shared_size="64MiB", snapshot=True, with_db=False,
                      chap=True)
    assert guest.plan(bigger, env={"CHAP_SECRET": "x" * 12}).returncode == 2
    for kind in ("volumes", "hosts", "mappings", "snapshots", "pools", "target-ports"):
        guest.show(kind)
    assert guest.lab.run(snapshot_state).stdout == before


def test_without_lio_observing_fails_clearly(guest: LioGuest) -> None:
    done = guest.storplan("-u", "lio://?configfs=/nonexistent/target", "show", "volumes",
                          check=False)
    assert done.returncode == 1
    assert "modprobe target_core_mod" in done.stderr


# ------------------------------------------------------------------------------ reboot
def test_a_reboot_restores_the_saved_configuration(guest: LioGuest, lab: LabVM) -> None:
    kinds = ("volumes", "hosts", "mappings", "snapshots", "target-ports")
    before = {kind: guest.show(kind) for kind in kinds}
    lab.reboot()
    after = {kind: guest.show(kind) for kind in kinds}
    for volume in (*before["volumes"], *after["volumes"]):
        volume.pop("used", None)  # allocation moves as the thin pool settles; the rest may not
    for snapshot in (*before["snapshots"], *after["snapshots"]):
        snapshot.pop("used", None)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    chapped = manifest(web_size="128MiB", shared_size="64MiB", snapshot=True, with_db=False,
                       chap=True)
    assert guest.plan(chapped, env={"CHAP_SECRET": "lab-chap-secret-0123"}).returncode == 0


# ------------------------------------------------------------------------------ import
def test_import_of_the_configured_target_plans_clean(guest: LioGuest) -> None:
    """``storplan import`` of the LIO target the tests above configured (three kinds of pool,
    CHAP, a snapshot, explicit LUNs) writes a manifest whose plan has no changes."""
    from storplan.export import chap_variable

    secret = "lab-chap-secret-0123"
    chapped = manifest(web_size="128MiB", shared_size="64MiB", snapshot=True, with_db=False,
                       chap=True)
    guest.apply(chapped, "--allow-destroy", env={"CHAP_SECRET": secret})
    done = guest.storplan("import", "--uri", "lio://", "--name", "lab",
                          "--out", "/root/imported.yaml", "--force")
    variable = chap_variable("lab", "web", WEB)
    assert variable in done.stdout, done.stdout
    text = guest.lab.run("cat /root/imported.yaml").stdout
    assert secret not in text and f"env: {variable}" in text
    assert "lun: 0" in text and "lun: 1" in text and "name: before-upgrade" in text
    planned = guest.storplan("plan", "/root/imported.yaml", check=False,
                             env={variable: secret})
    assert planned.returncode == 0, planned.stdout + planned.stderr


# ------------------------------------------------------------------------------ monitoring
def _value(metrics: str, series: str) -> float:
    [line] = [line for line in metrics.splitlines() if line.startswith(series + " ")]
    return float(line.rsplit(" ", 1)[1])


def test_thin_pool_filling_and_io_through_iscsi_are_monitored(guest: LioGuest) -> None:
    """``storplan health`` judges the LVM thin pool's data percent as writes through iSCSI
    fill it; LIO's configfs counters of the volume and of the TPG advance with those writes;
    the thin pool's metadata percent is exported."""
    secret = "lab-chap-secret-0123"
    text = manifest(web_size="128MiB", shared_size="64MiB", snapshot=True, with_db=False,
                    chap=True)
    text += ("      - name: fill\n        pool: thin\n        size: 256MiB\n"
             "        mappings: [{host: web, lun: 2}]\n")
    guest.apply(text, env={"CHAP_SECRET": secret})

    def health(*options: str) -> dict[str, object]:
        done = guest.storplan("-u", "lio://", "health", "-o", "json", *options, check=False)
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def metrics() -> str:
        guest.storplan("-u", "lio://", "exporter", "--textfile", "/root/storplan.prom", "--once")
        return guest.lab.run("cat /root/storplan.prom").stdout

    perfdata = health()["perfdata"]
    start = next(m["value"] for m in perfdata if m["label"] == "pool thin used")  # type: ignore[attr-defined, index]
    levels = f"{start + 1.5:.2f}:{start + 60:.2f}"  # 64 MiB is 3.1 % of the 2 GiB thin pool
    codes = [f["code"] for f in health("--thin-data", levels)["findings"]]  # type: ignore[attr-defined, index]
    assert "pool.thin.data" not in codes
    before = metrics()
    with guest.logged_in(WEB, ("webuser", secret)):
        device = guest.luns()[2]
        guest.lab.run(f"dd if=/dev/zero of={device} bs=1M count=64 oflag=direct conv=fsync"
                      " status=none", timeout=1800)
    after_health = health("--thin-data", levels)
    found = {f["code"]: f for f in after_health["findings"]}  # type: ignore[attr-defined]
    assert found["pool.thin.data"]["severity"] == "warning", after_health
    assert found["pool.thin.data"]["name"] == "thin"
    assert after_health["exit_status"] in (1, 2)
    after = metrics()
    volume = 'storplan_volume_write_bytes_total{array="lio://",id="vol:fill"}'
    assert _value(after, volume) - _value(before, volume) >= 64 * MIB
    port = 'storplan_target_port_ops_total{array="lio://",id="port:0.0.0.0:3260"}'
    assert _value(after, port) > _value(before, port)
    assert 'storplan_pool_metadata_used_ratio{array="lio://",pool="thin"' in after
