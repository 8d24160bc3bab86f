"""The ``nfs`` provider on a real kernel: nfsd, LVM thin pools, XFS and ext4 in the lab VM.

Real: the guest's kernel NFS server (exportfs, mountd, etab), its NFS client in separate
network namespaces with their own addresses, LVM and device-mapper thin pools, XFS and ext4,
systemd's fstab mounts at a real reboot, and the working tree's storplan installed in the
guest.  Nothing is faked.  The tests share one VM (and the volume group the ``lio`` tests may
have left) and run in file order: the conformance kit (ext4: its pool needs 64 of the smallest
file systems, and XFS's smallest is 300 MB), then one manifest's life on XFS.
"""

from __future__ import annotations

import json
import re

import pytest

from .nfs_guest import Client, NfsGuest, prepare_nfs_host
from .vm import GUEST_VENV, LabVM

pytestmark = pytest.mark.lab

URI = "nfs:///srv/storplan"
ANON = 4242
MIB = 1 << 20
EXPORTS = "/etc/exports.d/storplan.exports"
EROFS = "Read-only file system"


@pytest.fixture(scope="module")
def guest(lab: LabVM) -> NfsGuest:
    prepare_nfs_host(lab)
    return NfsGuest(lab, URI)


@pytest.fixture(scope="module")
def clients(guest: NfsGuest) -> dict[str, Client]:
    """``team``: the client the exports name (10.77.0.2); ``stranger``: one they do not."""
    return {"team": guest.add_client("team", 77), "stranger": guest.add_client("stranger", 78)}


def manifest(*, team_size: str = "320MiB", snapshot: bool = False, clone: bool = False) -> str:
    """Two XFS file systems, four exports (rw with an anonymous uid, ro by network, no root
    squash, ro by host name), optionally a snapshot and a clone of it (exported rw)."""
    snapshots = "        snapshots: [{name: before}]\n" if snapshot else ""
    clones = CLONE if clone else ""
    return f"""\
apiVersion: storplan.io/v1
kind: StorageState
metadata: {{name: nfs-e2e}}
arrays:
  - name: lab
    provider: {URI}
    pools: [{{name: thin}}]
    filesystems:
      - name: team
        pool: thin
        size: {team_size}
{snapshots}        exports:
          - path: /team
            clients: [10.77.0.2]
            access: rw
            anon_uid: {ANON}
            anon_gid: {ANON}
          - path: /team-ro
            clients: [10.77.0.0/24]
            access: ro
      - name: archive
        pool: thin
        size: 320MiB
        exports:
          - path: /archive
            clients: [{{match: 10.77.0.2, access: rw, squash: none}}]
          - path: /archive-ro
            clients: [{{match: nfs-client, access: ro}}]
{clones}"""


CLONE = """\
      - name: team-test
        clone_of: {filesystem: team, snapshot: before}
        exports:
          - path: /team-test
            clients: [10.77.0.2]
            access: rw
"""
FULL = {"team_size": "512MiB", "snapshot": True, "clone": True}
"""The manifest's last state: the team file system grown, its snapshot and clone."""


def observed(guest: NfsGuest) -> dict[str, object]:
    state = {kind: guest.show(kind) for kind in ("filesystems", "fs-snapshots", "exports")}
    for filesystem in state["filesystems"]:
        filesystem.pop("used", None)  # XFS allocation moves (log, inode chunks)
    return state


# ------------------------------------------------------------------------------ the kit
def test_conformance_kit_passes_against_nfs(guest: NfsGuest) -> None:
    uri = "nfs:///srv/cfk?fs_type=ext4&export_root=/srv/cfk-exports"
    done = guest.lab.run(
        f"cd /tmp && {GUEST_VENV}/bin/python -m pytest -q -p no:cacheprovider -rfEs --tb=short"
        f" -p storplan.conformance --pyargs storplan.conformance --storplan-uri '{uri}'",
        check=False,
        timeout=3600,
    )
    output = done.stdout
    cut = output.find("short test summary info")
    assert done.returncode == 0, output[cut:] + "\n...\n" + output[-6000:] + done.stderr[-2000:]
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary), summary
    print(f"conformance kit against {uri}: {summary}")  # shown with -rP
    left = guest.lab.run("lvs --noheadings -o lv_tags vg0; cat /etc/exports.d/*.exports").stdout
    assert "cfk-" not in left


RESTORE = f"""
import storplan, subprocess
from pathlib import Path
from storplan.model import Kind
with storplan.connect("{URI}") as nas:
    pool = nas.get(Kind.POOLS, "thin")
    fs = nas.create_filesystem(pool, "scratch", 300 << 20).result
    Path("/srv/storplan/scratch/data").write_text("old")
    snap = nas.create_fs_snapshot(fs, "s1").result
    Path("/srv/storplan/scratch/data").write_text("new")
    restored = nas.restore_fs_snapshot(snap).result
    print(Path("/srv/storplan/scratch/data").read_text(),
          Path("/srv/storplan/.snapshots/scratch/s1/data").read_text(),
          int(restored.size), [s.name for s in nas.observe({{Kind.FS_SNAPSHOTS}}).fs_snapshots])
    nas.delete_fs_snapshot(snap)
    nas.delete_filesystem(fs)
"""


def test_restore_on_xfs_keeps_the_snapshot_mounted(guest: NfsGuest) -> None:
    """XFS refuses two mounts of one UUID without nouuid: restoring unmounts the snapshots,
    swaps the LV and mounts everything again (the conformance kit ran this on ext4)."""
    done = guest.lab.run(f"{GUEST_VENV}/bin/python -", input=RESTORE, timeout=1800)
    assert done.stdout.split() == ["old", "old", str(300 << 20), "['s1']"], done.stderr
    left = guest.lab.run("lvs --noheadings -o lv_name vg0; cat /etc/fstab").stdout
    assert "scratch" not in left


# ------------------------------------------------------------------------------ end to end
def test_apply_then_clients_get_exactly_their_access(
    guest: NfsGuest, clients: dict[str, Client]
) -> None:
    guest.apply(manifest())
    lab, team, stranger = guest.lab, clients["team"], clients["stranger"]
    lab.run(
        "set -e; chmod 1777 /srv/storplan/team; install -d -o 1000 -g 1000 /srv/storplan/team/u1000"
    )

    # rw: a user writes; root is squashed to the export's anonymous uid
    done = guest.on_client(team, "/srv/nfs/team",
                           "setpriv --reuid 1000 --regid 1000 --clear-groups"
                           " sh -c 'echo v1 > u1000/data' && touch by-root")  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    owners = lab.run("stat -c %u /srv/storplan/team/u1000/data /srv/storplan/team/by-root").stdout
    assert owners.split() == ["1000", str(ANON)]

    # no_root_squash: root stays root
    done = guest.on_client(team, "/srv/nfs/archive", "touch by-root")
    assert done.returncode == 0, done.stdout + done.stderr
    assert lab.run("stat -c %u /srv/storplan/archive/by-root").stdout.split() == ["0"]

    # ro, by network and by host name: reads work, writes fail with EROFS
    for export in ("/srv/nfs/team-ro", "/srv/nfs/archive-ro"):
        done = guest.on_client(team, export, "ls >/dev/null && touch nope")
        assert done.returncode != 0 and EROFS in done.stderr, (export, done.stderr)

    # a client outside the list cannot mount
    done = guest.on_client(stranger, "/srv/nfs/team", "true")
    assert done.returncode == 90, done.stdout + done.stderr
    assert "access denied" in done.stderr.lower(), done.stderr


def test_snapshot_and_clone_keep_the_old_content_and_growth_is_seen(
    guest: NfsGuest, clients: dict[str, Client]
) -> None:
    guest.apply(manifest(snapshot=True, clone=True))  # the clone is made after its snapshot
    team, lab = clients["team"], guest.lab
    done = guest.on_client(team, "/srv/nfs/team",
                           "setpriv --reuid 1000 --regid 1000 --clear-groups"
                           " sh -c 'echo v2 > u1000/data'")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert lab.run("cat /srv/storplan/.snapshots/team/before/u1000/data").stdout == "v1\n"
    assert lab.run("cat /srv/storplan/team/u1000/data").stdout == "v2\n"
    snapshot_mount = lab.run("findmnt -no OPTIONS /srv/storplan/.snapshots/team/before")
    assert "ro" in snapshot_mount.stdout.split(",") and "nouuid" in snapshot_mount.stdout

    # the clone: the snapshot's content, writable over NFS, independent of team and snapshot
    done = guest.on_client(team, "/srv/nfs/team-test",
                           "cat u1000/data && setpriv --reuid 1000 --regid 1000"
                           " --clear-groups sh -c 'echo v3 > u1000/data'")  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "v1\n"), done.stderr
    files = "/srv/storplan/team-test /srv/storplan/team /srv/storplan/.snapshots/team/before"
    contents = lab.run(f"for d in {files}; do cat $d/u1000/data; done").stdout
    assert contents.split() == ["v3", "v2", "v1"]
    clone_mount = lab.run("findmnt -no OPTIONS,SOURCE /srv/storplan/team-test").stdout
    assert "rw" in clone_mount.split()[0].split(",") and "nouuid" not in clone_mount
    uuids = lab.run("blkid -s UUID -o value /dev/vg0/nfs_team /dev/vg0/nfs_team-test")
    assert len(set(uuids.stdout.split())) == 2, uuids.stdout  # its own XFS identity
    [clone_fs] = [f for f in guest.show("filesystems") if f["name"] == "team-test"]
    [snapshot] = guest.show("fs-snapshots")
    assert (clone_fs["clone_of"], clone_fs["size"]) == (snapshot["id"], 320 * MIB)

    before = guest.on_client(team, "/srv/nfs/team", "df -B1 --output=size . | tail -1")
    guest.apply(manifest(**FULL))
    after = guest.on_client(team, "/srv/nfs/team", "df -B1 --output=size . | tail -1")
    grown = int(after.stdout) - int(before.stdout)
    assert 180 * MIB < grown <= 192 * MIB, (before.stdout, after.stdout)
    sizes = {f["name"]: f["size"] for f in guest.show("filesystems")}
    assert (sizes["team"], sizes["team-test"]) == (512 * MIB, 320 * MIB)  # the clone's own


def test_reapply_changes_nothing(guest: NfsGuest) -> None:
    wanted = manifest(**FULL)
    before = guest.lab.run(f"sha256sum {EXPORTS} /etc/fstab /var/lib/nfs/etab").stdout
    assert guest.plan(wanted).returncode == 0
    done = guest.apply(wanted)
    assert "no change" in done.stdout.lower(), done.stdout
    assert guest.lab.run(f"sha256sum {EXPORTS} /etc/fstab /var/lib/nfs/etab").stdout == before


def test_a_hand_edit_of_the_kernel_exports_is_drift(
    guest: NfsGuest, clients: dict[str, Client]
) -> None:
    wanted = manifest(**FULL)
    guest.lab.run("exportfs -u 10.77.0.2:/srv/nfs/team")  # the kernel stops serving it
    assert guest.on_client(clients["team"], "/srv/nfs/team", "true").returncode == 90
    planned = guest.plan(wanted, "-o", "json")
    assert planned.returncode == 2, planned.stdout
    [action] = json.loads(planned.stdout)["actions"]
    assert (action["operation"], action["params"]["path"]) == ("create_export", "/team"), action
    guest.apply(wanted, "--allow-disruptive")
    assert guest.plan(wanted).returncode == 0
    assert guest.on_client(clients["team"], "/srv/nfs/team", "cat u1000/data").stdout == "v2\n"


def test_a_reboot_restores_the_same_state(
    guest: NfsGuest, lab: LabVM, clients: dict[str, Client]
) -> None:
    before = observed(guest)
    lab.reboot()
    after = observed(guest)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert guest.plan(manifest(**FULL)).returncode == 0
    team = guest.add_client("team", 77)  # network namespaces do not survive a reboot
    assert team == clients["team"]
    done = guest.on_client(team, "/srv/nfs/team", "cat u1000/data")
    assert done.stdout == "v2\n", done.stderr
    done = guest.on_client(team, "/srv/nfs/team-test", "cat u1000/data")
    assert done.stdout == "v3\n", done.stderr  # the clone's own fstab entry brought it back
