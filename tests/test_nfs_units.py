"""The nfs provider's host-side parts (no kernel NFS server needed): the exports file writer
and reader, the etab parser (on lines the lab VM's exportfs 2.6.2 wrote), comparing what was
written with what the kernel serves, storplan's fstab block (on real files in a temporary
directory), settings, and preflight's refusals.  The kernel side runs in tests/lab/."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_paths import BAD_PATHS, GOOD_PATHS
from storplan.errors import InvalidArgument, Unsupported
from storplan.model import Access
from storplan.model.nas import ExportClient, ExportOptions, Squash
from storplan.model.state import State
from storplan.providers.kit import Request
from storplan.providers.kit.nfsclients import check_export_path
from storplan.providers.nfs import NfsProvider
from storplan.providers.nfs.etab import options_from_entries, parse_etab, rule_from_options
from storplan.providers.nfs.exportsfile import fsid_of, read_exports, render_exports
from storplan.providers.nfs.fstab import BEGIN, END, MountEntry, read_block, render, write_block
from storplan.providers.nfs.observe import same_service
from storplan.providers.nfs.ops_exports import check_export_options
from storplan.providers.nfs.options import parse_options
from storplan.uri import parse_uri

# Written by exportfs (nfs-utils 2.6.2) in the lab VM: storplan's line, then the same export
# after a hand-made `exportfs -o ro host-a:/srv/nfs/home` (the flavour section keeps rw).
ETAB = (
    "/srv/nfs/home\thost-a(rw,sync,wdelay,hide,nocrossmnt,secure,root_squash,no_all_squash,"
    "no_subtree_check,secure_locks,acl,no_pnfs,fsid=db24c3dbf4f8248e267d1cc7a7ba0408,"
    "anonuid=1000,anongid=65534,sec=krb5:sys,rw,secure,root_squash,no_all_squash)\n"
    "/srv/nfs/home\t10.9.0.0/24(ro,sync,wdelay,hide,nocrossmnt,secure,root_squash,"
    "no_all_squash,no_subtree_check,secure_locks,acl,no_pnfs,"
    "fsid=db24c3dbf4f8248e267d1cc7a7ba0408,anonuid=1000,anongid=65534,sec=krb5:sys,ro,"
    "secure,root_squash,no_all_squash)\n"
    "/srv/nfs/home\thost-a(ro,sync,wdelay,hide,nocrossmnt,secure,root_squash,no_all_squash,"
    "no_subtree_check,secure_locks,acl,no_pnfs,anonuid=65534,anongid=65534,sec=sys,rw,"
    "secure,root_squash,no_all_squash)\n"
    "/srv/other\t*(async,all_squash,anonuid=65534,anongid=65534,sec=sys,ro,all_squash)\n"
    "not an entry\n"
)
TEAM = ExportOptions(
    clients=(ExportClient("10.9.0.0/24", Access.RO), ExportClient("host-a")),
    anon_uid=1000,
    security=("krb5", "sys"),
)


def provider(query: str = "pool=thin:lvm-thin:vg0/tp0") -> NfsProvider:
    return NfsProvider(parse_uri(f"nfs:///srv/storplan?{query}"))


# ----------------------------------------------------------------------------- exports file
def test_exports_file_spells_out_every_option_and_reads_back() -> None:
    text = render_exports({"/srv/nfs/home": TEAM, "/srv/nfs/all": ExportOptions(sync=False)})
    lines = text.splitlines()
    assert lines[0].startswith("# Written by storplan")
    fsid = fsid_of("/srv/nfs/home")
    assert lines[2] == (
        f"/srv/nfs/home 10.9.0.0/24(sec=krb5:sys,ro,root_squash,sync,no_subtree_check,"
        f"fsid={fsid},anonuid=1000) host-a(sec=krb5:sys,rw,root_squash,sync,no_subtree_check,"
        f"fsid={fsid},anonuid=1000)"
    )
    assert "*(sec=sys,rw,root_squash,async," in lines[1]
    back = read_exports(text)
    assert back["/srv/nfs/home"].options == TEAM
    assert back["/srv/nfs/all"].options == ExportOptions(sync=False)


def test_each_export_has_its_own_stable_fsid() -> None:
    assert fsid_of("/srv/nfs/a") == fsid_of("/srv/nfs/a") != fsid_of("/srv/nfs/b")
    assert len(fsid_of("/srv/nfs/a")) == 32 and int(fsid_of("/srv/nfs/a"), 16) >= 0


def test_squash_choices_are_written_as_exportfs_names() -> None:
    options = ExportOptions(
        clients=(ExportClient("a", squash=Squash.NONE), ExportClient("b", squash=Squash.ALL))
    )
    text = render_exports({"/srv/nfs/x": options})
    assert "a(sec=sys,rw,no_root_squash," in text and "b(sec=sys,rw,all_squash," in text
    assert read_exports(text)["/srv/nfs/x"].options == options


def test_unsafe_directories_are_never_written() -> None:
    with pytest.raises(InvalidArgument):
        render_exports({"/srv/nfs/x y": ExportOptions()})


# ----------------------------------------------------------------------------- etab
def test_etab_entries_and_the_per_flavour_access() -> None:
    entries = parse_etab(ETAB)
    assert [(e.directory, e.client) for e in entries] == [
        ("/srv/nfs/home", "host-a"),
        ("/srv/nfs/home", "10.9.0.0/24"),
        ("/srv/nfs/home", "host-a"),
        ("/srv/other", "*"),
    ]
    hand_edited = rule_from_options(entries[2].options)
    assert hand_edited.access is Access.RW  # `exportfs -o ro` left rw in the flavour section
    other = rule_from_options(entries[3].options)
    assert (other.access, other.squash, other.sync) == (Access.RO, Squash.ALL, False)


def test_etab_options_of_one_export() -> None:
    home = [e for e in parse_etab(ETAB)[:2]]
    assert options_from_entries(home) == TEAM
    [other] = [e for e in parse_etab(ETAB) if e.directory == "/srv/other"]
    assert options_from_entries([other]) == ExportOptions(
        clients=(ExportClient("*", Access.RO, Squash.ALL),), sync=False
    )  # the kernel's default anonymous ids read as "not set"


def test_written_and_served_compare_through_one_canonical_form() -> None:
    served = options_from_entries(parse_etab(ETAB)[:2])
    assert same_service(TEAM, served)
    explicit = ExportOptions(anon_uid=65534, anon_gid=65534)
    assert same_service(explicit, ExportOptions())  # the default, asked for explicitly
    as_address = ExportOptions(clients=(ExportClient("127.0.0.1"),))
    assert same_service(ExportOptions(clients=(ExportClient("localhost"),)), as_address)
    assert not same_service(TEAM, ExportOptions(clients=TEAM.clients[:1], anon_uid=1000,
                                                security=TEAM.security))  # fmt: skip


# ----------------------------------------------------------------------------- fstab
def test_fstab_block_is_the_only_part_storplan_writes(tmp_path: Path) -> None:
    fstab = tmp_path / "fstab"
    theirs = "# <file system> <mount point>\nUUID=abc / ext4 errors=remount-ro 0 1\n\n"
    fstab.write_text(theirs)
    fstab.chmod(0o644)
    fs = MountEntry("fs", "/dev/vg0/nfs_home", "/srv/storplan/home", "xfs")
    snap = MountEntry("snapshot", "/dev/vg0/nfs_home+s1", "/srv/storplan/.snapshots/home/s1", "xfs")
    bind = MountEntry("bind", "/srv/storplan/home", "/srv/nfs/home", "none")
    write_block(str(fstab), [bind, snap, fs])
    text = fstab.read_text()
    assert text.startswith(theirs.rstrip("\n"))
    assert text.splitlines()[-5:] == [
        BEGIN,
        "/dev/vg0/nfs_home /srv/storplan/home xfs defaults,nofail 0 0",
        "/dev/vg0/nfs_home+s1 /srv/storplan/.snapshots/home/s1 xfs ro,nofail,nouuid 0 0",
        "/srv/storplan/home /srv/nfs/home none"
        " bind,nofail,x-systemd.requires-mounts-for=/srv/storplan/home 0 0",
        END,
    ]
    assert sorted(read_block(str(fstab))) == sorted([fs, snap, bind])
    assert fstab.stat().st_mode & 0o777 == 0o644
    fstab.write_text(text + "tmpfs /tmp tmpfs defaults 0 0\n")  # a line added after the block
    write_block(str(fstab), [fs])
    assert read_block(str(fstab)) == [fs]
    assert fstab.read_text().endswith("tmpfs /tmp tmpfs defaults 0 0\n")
    write_block(str(fstab), [])
    assert BEGIN not in fstab.read_text() and "tmpfs /tmp" in fstab.read_text()


def test_mount_options_of_entries() -> None:
    assert MountEntry("snapshot", "/dev/a", "/b", "xfs").options == ["ro", "nouuid"]
    assert MountEntry("snapshot", "/dev/a", "/b", "ext4").options == ["ro"]
    assert MountEntry("fs", "/dev/a", "/b", "xfs").options == []
    with pytest.raises(InvalidArgument):
        MountEntry("fs", "/dev/a", "/b c", "xfs").line()
    assert render("", []) == ""


# ----------------------------------------------------------------------------- settings
def test_settings_from_the_uri_and_a_file(tmp_path: Path) -> None:
    settings = tmp_path / "nfs.yaml"
    settings.write_text("export_root: /exports\nfs_type: ext4\npools:\n"
                        "  - {name: thick, lvm: vg1}\n")  # fmt: skip
    options = parse_options(parse_uri(f"nfs:///data?settings={settings}&fs_type=xfs"))
    assert (options.base, options.export_root, options.fs_type) == ("/data", "/exports", "xfs")
    assert [(p.name, p.kind, p.vg) for p in options.pools] == [("thick", "lvm", "vg1")]
    assert options.export_dir("/a/b") == "/exports/a/b"
    assert options.export_path("/exports/a/b") == "/a/b" and options.export_path("/x") is None
    assert options.snapshot_point("home", "s1") == "/data/.snapshots/home/s1"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("export_root=/srv/storplan/x", "must not contain each other"),
        ("export_root=srv", "absolute path"),
        ("fs_type=btrfs", "not supported"),
        ("pool=files:dir:/srv/files", "pool kind 'dir' is unknown"),
        ("exports_file=/etc/exports.d/x", "must end in .exports"),
        ("expor_root=/x", "export_root"),
    ],
)
def test_bad_settings_are_refused(query: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as caught:
        parse_options(parse_uri(f"nfs:///srv/storplan?{query}"))
    assert message in caught.value.message + caught.value.hint


def test_the_provider_takes_no_password_and_no_host() -> None:
    from storplan.credentials import Secret

    with pytest.raises(InvalidArgument):
        NfsProvider(parse_uri("nfs:///srv/storplan"), Secret("x"))
    with pytest.raises(InvalidArgument, match="local kernel NFS server"):
        parse_options(parse_uri("nfs://server1/srv/storplan"))


def test_limits_follow_the_file_system_type() -> None:
    assert provider().limits().min_volume_size == 300 << 20
    assert provider("fs_type=ext4").limits().min_volume_size == 16 << 20
    provider().limits().check_name("file system", "cfk-abc123-fs-1")
    with pytest.raises(InvalidArgument):
        provider().limits().check_name("file system", "a.b")  # LV names: no dots


# ----------------------------------------------------------------------------- preflight
def test_preflight_refuses_what_exportfs_would_drop_or_refuse() -> None:
    requests = [
        Request("create_export", {"filesystem": "a", "path": "/ok", "clients": ["localhost"]}),
        Request("create_export", {"filesystem": "a", "path": "/x",
                                  "clients": ["no-such-host.invalid"]}),
        Request("create_export", {"filesystem": "a", "path": "relative", "clients": ["*"]}),
        Request("modify_export", {"path": "/ok", "clients": ["*"], "nfs_versions": ["4.2"]}),
        Request("modify_export", {"path": "/ok", "clients": ["*.example.com", "@ops",
                                                             "10.0.0.0/8", "fd00::/64"]}),
        Request("create_filesystem", {"filesystem": "a", "pool": "thin", "size": 1}),
    ]  # fmt: skip
    refused = {r.index: r for r in provider().preflight(requests, State())}
    assert sorted(refused) == [1, 2, 3]
    assert "does not resolve" in refused[1].message and "/etc/hosts" in refused[1].hint
    assert "not usable" in refused[2].message
    assert "per-export NFS versions" in refused[3].message


@pytest.mark.parametrize("path", GOOD_PATHS)
def test_export_path_check_accepts(path: str) -> None:
    assert check_export_path(path) == path


@pytest.mark.parametrize("path", [*BAD_PATHS, None, b"/a", 5])
def test_export_path_check_refuses(path: object) -> None:
    with pytest.raises(InvalidArgument, match="is not usable") as caught:
        check_export_path(path)  # type: ignore[arg-type]
    assert "/projects/alpha" in (caught.value.hint or "")


def test_preflight_and_create_export_refuse_every_bad_path() -> None:
    """The provider's preflight and its create_export both use the kit's check (create_export
    refuses before it reads or changes anything)."""
    requests = [Request("create_export", {"filesystem": "a", "path": p, "clients": ["*"]})
                for p in [*GOOD_PATHS, *BAD_PATHS]]  # fmt: skip
    refused = provider().preflight(requests, State())
    assert [r.index for r in refused] == [len(GOOD_PATHS) + i for i in range(len(BAD_PATHS))]
    assert all("is not usable" in r.message for r in refused)
    everyone = ExportOptions(clients=(ExportClient("*"),))
    for path in BAD_PATHS:
        with pytest.raises(InvalidArgument, match="is not usable"):
            provider().create_export("filesystem:a", path, everyone)


def test_export_options_checks() -> None:
    with pytest.raises(InvalidArgument, match="listed twice"):
        check_export_options(ExportOptions(clients=(ExportClient("10.0.0.5"),
                                                    ExportClient("10.0.0.5/32"))))  # fmt: skip
    with pytest.raises(Unsupported):
        check_export_options(ExportOptions(nfs_versions=("3",)))
    with pytest.raises(InvalidArgument, match="at least one client"):
        check_export_options(ExportOptions(clients=()))
    kept = check_export_options(ExportOptions(clients=(ExportClient(" LocalHost "),)))
    assert kept.clients == (ExportClient("LocalHost"),)  # the spelling is kept


def test_the_kernel_nfsd_example_validates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from storplan.cli import main

    text = (Path(__file__).resolve().parents[1] / "examples" / "nfs-fileserver.yaml").read_text()
    block = text.split("# kernel-nfsd:\n", 1)[1]
    manifest = tmp_path / "kernel.yaml"
    manifest.write_text("".join(line[2:] + "\n" for line in block.splitlines()))
    assert "provider: nfs:///srv/storplan" in manifest.read_text()
    assert main(["validate", "--offline", str(manifest)]) == 0, capsys.readouterr()
