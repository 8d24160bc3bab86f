"""Export semantics on a real ganesha.nfsd, checked with a real NFSv4 client (libnfs-utils).

What is real: ganesha.nfsd and its D-Bus (conftest), the provider, the files it writes, and
``nfs-cp``/``nfs-cat``/``nfs-ls`` talking NFSv4 to the server over loopback.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from storplan.errors import AlreadyExists, InvalidArgument, NotFound, Unsupported
from storplan.model import Access, Kind
from storplan.model.nas import ExportClient, ExportOptions, Squash
from storplan.providers.ganesha.dbus import GaneshaBus
from storplan.session import Session

from .server import GaneshaServer

Names = Callable[[], str]


def put(ganesha: GaneshaServer, tmp_path: Path, remote: str, text: str) -> str:
    """Copy a local file with ``text`` to ``remote`` over NFS; the client's error output."""
    local = tmp_path / "upload.txt"
    local.write_text(text, encoding="utf-8")
    run = ganesha.nfs("nfs-cp", str(local), ganesha.nfs_url(remote))
    return "" if run.returncode == 0 else run.stdout + run.stderr


def listing(ganesha: GaneshaServer, path: str = "/") -> list[str]:
    """Names ``nfs-ls`` shows at ``path``."""
    run = ganesha.nfs("nfs-ls", ganesha.nfs_url(path))
    assert run.returncode == 0, run.stdout + run.stderr
    return [line.split()[-1] for line in run.stdout.splitlines() if line.strip()]


def export_with(session: Session, filesystem_id: str, path: str, options: ExportOptions) -> str:
    """Create an export through the Session (the core's checks and capability gate); its id."""
    job = session.create_export(filesystem_id, path, options)
    assert job.result is not None
    return str(job.result.id)


def served_clients(session: Session, export_id: str) -> tuple[ExportClient, ...]:
    """The client rules an export is observed with now."""
    return tuple(session.observe({Kind.EXPORTS}).by_id[export_id].clients)


LOCAL_RW = ExportOptions(clients=(ExportClient("127.0.0.1", Access.RW, Squash.NONE),))


def test_rw_then_ro_then_removed(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    export_id = export_with(session, filesystem.id, f"/{name}", LOCAL_RW)
    assert name in listing(ganesha)
    assert put(ganesha, tmp_path, f"/{name}/hello.txt", "written over NFS\n") == ""
    landed = ganesha.base / name / "hello.txt"
    assert landed.read_text(encoding="utf-8") == "written over NFS\n"
    assert landed.stat().st_uid == 0  # no_root_squash: root stays root
    read = ganesha.nfs("nfs-cat", ganesha.nfs_url(f"/{name}/hello.txt"))
    assert read.returncode == 0 and read.stdout == "written over NFS\n"

    read_only = ExportOptions(clients=(ExportClient("127.0.0.1", Access.RO, Squash.NONE),))
    session.modify_export(export_id, read_only)
    refused = put(ganesha, tmp_path, f"/{name}/second.txt", "refused\n")
    assert "NFS4ERR_ROFS" in refused
    assert not (ganesha.base / name / "second.txt").exists()

    session.delete_export(export_id)
    assert name not in listing(ganesha)  # the pseudo root stays, without this export
    assert session.observe({Kind.EXPORTS}).by_id.get(export_id) is None
    session.delete_filesystem(filesystem)
    assert not (ganesha.base / name).exists()


def test_all_squash_writes_as_the_anonymous_ids(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    (ganesha.base / name).chmod(0o777)
    options = ExportOptions(
        clients=(ExportClient("127.0.0.1", Access.RW, Squash.ALL),), anon_uid=4321, anon_gid=4322
    )
    export_id = export_with(session, filesystem.id, f"/{name}", options)
    assert put(ganesha, tmp_path, f"/{name}/squashed.txt", "anonymous\n") == ""
    written = (ganesha.base / name / "squashed.txt").stat()
    assert (written.st_uid, written.st_gid) == (4321, 4322)
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def test_most_specific_client_rule_wins(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    """The model sorts clients by match ('*' first); Ganesha takes the first CLIENT block that
    matches, so the provider must write 127.0.0.1 (rw) before '*' (ro)."""
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    options = ExportOptions(
        clients=(
            ExportClient("*", Access.RO, Squash.ROOT),
            ExportClient("127.0.0.0/8", Access.RW, Squash.NONE),
        )
    )
    export_id = export_with(session, filesystem.id, f"/{name}", options)
    assert put(ganesha, tmp_path, f"/{name}/rule.txt", "local rule\n") == ""
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def test_host_names_are_observed_as_written(
    session: Session, ganesha: GaneshaServer, fs_name: Names
) -> None:
    """Ganesha reports 'localhost' as the address it resolved to; the provider reports the
    name again because the served rules match what its file asks for."""
    filesystem = session.create_filesystem("pool:nfs", fs_name(), "16MiB").result
    options = ExportOptions.canonical(
        clients=(
            ExportClient("localhost", Access.RW, Squash.ROOT),
            ExportClient("no-such-host.invalid", Access.RO, Squash.ROOT),
            ExportClient("*.example.com", Access.RO, Squash.ALL),
            ExportClient("@ops", Access.RO, Squash.ROOT),
            ExportClient("fd00::/64", Access.RO, Squash.ROOT),
        )
    )
    export_id = export_with(session, filesystem.id, f"/{filesystem.name}", options)
    assert served_clients(session, export_id) == options.clients  # as written, names included
    bus = GaneshaBus(ganesha.bus)
    try:
        shown = bus.display_export(int(export_id.removeprefix("export:")))
    finally:
        bus.close()
    assert shown is not None
    assert {c[0] for c in shown.clients} == {
        "127.0.0.1/32", "<unknown>", "*.example.com", "ops", "fd00::/64",
    }  # fmt: skip
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def test_idempotent_create_and_conflicts(
    session: Session, ganesha: GaneshaServer, fs_name: Names
) -> None:
    filesystem = session.create_filesystem("pool:nfs", fs_name(), "16MiB").result
    other = session.create_filesystem("pool:nfs", fs_name(), "16MiB").result
    path = f"/{filesystem.name}"
    first = export_with(session, filesystem.id, path, LOCAL_RW)
    assert export_with(session, filesystem.id, path, LOCAL_RW) == first
    with pytest.raises(AlreadyExists, match="filesystem"):
        export_with(session, other.id, path, LOCAL_RW)
    with pytest.raises(NotFound):
        session.modify_export("export:65000", LOCAL_RW)
    with pytest.raises(InvalidArgument, match="is not usable"):
        export_with(session, filesystem.id, "/bad path", LOCAL_RW)
    four_one = ExportOptions(nfs_versions=("4.1",))
    with pytest.raises(Unsupported, match=r"nfs\.versions"):  # not declared: the core refuses
        export_with(session, filesystem.id, path + "-v", four_one)
    with pytest.raises(InvalidArgument, match="per export between NFSv3 and NFSv4"):
        session.provider.create_export(filesystem.id, path + "-v", four_one)
    session.delete_export(first)
    for made in (filesystem, other):
        session.delete_filesystem(made)


def test_exports_survive_a_restart(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    export_id = export_with(session, filesystem.id, f"/{name}", LOCAL_RW)
    before = session.observe({Kind.EXPORTS}).by_id[export_id]
    session.provider.close()
    ganesha.restart()
    assert session.observe({Kind.EXPORTS}).by_id[export_id] == before
    assert put(ganesha, tmp_path, f"/{name}/after-restart.txt", "still here\n") == ""
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def test_versions_change_by_re_adding_the_export(
    session: Session, ganesha: GaneshaServer, fs_name: Names
) -> None:
    """nfs-ganesha#1128: UpdateExport does not re-mount an export whose Protocols change, so
    the provider removes and re-adds it; the change is served at once.  (Through the provider:
    it does not declare nfs.versions, whose minor versions Ganesha cannot set per export.)"""
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    v3_only = ExportOptions(clients=(ExportClient("127.0.0.1"),), nfs_versions=("3",))
    export_id = str(session.provider.create_export(filesystem.id, f"/{name}", v3_only).result.id)
    assert name not in listing(ganesha)  # an NFSv3-only export is not in the v4 pseudo fs
    session.provider.modify_export(export_id, ExportOptions(nfs_versions=("4",)))
    assert name in listing(ganesha)
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def test_changes_refused_without_the_include_line(
    ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    import storplan

    bare = tmp_path / "ganesha.conf"
    bare.write_text(ganesha.main_config.read_text().split("%include")[0], encoding="utf-8")
    files_before = sorted(os.listdir(ganesha.export_dir))
    with storplan.connect(ganesha.uri(main_config=str(bare))) as session:
        filesystem = session.create_filesystem("pool:nfs", fs_name(), "16MiB").result
        with pytest.raises(InvalidArgument) as refused:
            session.create_export(filesystem, f"/{filesystem.name}", LOCAL_RW)
        assert f'%include "{ganesha.export_dir}/exports.conf"' in refused.value.hint
        [system] = session.observe({Kind.SYSTEMS}).systems
        assert [c.code for c in system.conditions] == ["not_persistent"]
        session.delete_filesystem(filesystem)
    assert sorted(os.listdir(ganesha.export_dir)) == files_before


def test_hand_edits_are_observed(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    """What Ganesha serves wins over storplan's file: an UpdateExport from another file, and
    an edit of storplan's file followed by a reload (SIGHUP), both show."""
    name = fs_name()
    filesystem = session.create_filesystem("pool:nfs", name, "16MiB").result
    export_id = export_with(session, filesystem.id, f"/{name}", LOCAL_RW)
    number = int(export_id.removeprefix("export:"))
    ours = ganesha.export_dir / f"export-{number}.conf"
    theirs = tmp_path / "by-hand.conf"
    theirs.write_text(ours.read_text().replace("Access_Type = RW", "Access_Type = RO"))
    bus = GaneshaBus(ganesha.bus)
    try:
        bus.update_export(str(theirs), number)
    finally:
        bus.close()
    assert served_clients(session, export_id) == (
        ExportClient("127.0.0.1", Access.RO, Squash.NONE),
    )
    assert "Access_Type = RW" in ours.read_text()  # observing never writes

    session.modify_export(export_id, LOCAL_RW)  # back to what storplan says
    assert served_clients(session, export_id) == LOCAL_RW.clients
    ours.write_text(ours.read_text().replace("Squash = no_root_squash", "Squash = all_squash"))
    pid = int((ganesha.root / "ganesha.pid").read_text())
    os.kill(pid, signal.SIGHUP)
    _wait_for(lambda: served_clients(session, export_id)[0].squash is Squash.ALL)
    session.delete_export(export_id)
    session.delete_filesystem(filesystem)


def _wait_for(condition: Callable[[], bool], attempts: int = 200) -> None:
    """Poll ``condition`` (a reload is asynchronous); bounded, fails when it never holds."""
    import time

    for _ in range(attempts):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition never held")


FOREIGN = """EXPORT {{
    Export_Id = {number}; Path = "{path}"; Pseudo = "{pseudo}";
    FSAL {{ Name = VFS; }}
    CLIENT {{ Clients = 10.9.0.0/16; Access_Type = RO; }}
}}
"""


def test_someone_elses_export_is_observed_and_left_alone(
    session: Session, ganesha: GaneshaServer, fs_name: Names, tmp_path: Path
) -> None:
    """An export added by hand (its own file, over D-Bus) of a directory under the base is
    observed as Ganesha serves it; storplan neither changes nor deletes it, and Ganesha
    refuses a storplan export at the same pseudo path."""
    from storplan.errors import StorplanError

    filesystem = session.create_filesystem("pool:nfs", fs_name(), "16MiB").result
    pseudo = f"/{filesystem.name}-theirs"
    conf = tmp_path / "theirs.conf"
    conf.write_text(FOREIGN.format(number=60001, path=ganesha.base / filesystem.name,
                                   pseudo=pseudo))  # fmt: skip
    bus = GaneshaBus(ganesha.bus)
    try:
        bus.add_export(str(conf), 60001)
        theirs = session.observe({Kind.EXPORTS}).by_id["export:60001"]
        assert (theirs.filesystem_id, theirs.clients) == (
            filesystem.id, (ExportClient("10.9.0.0/16", Access.RO, Squash.ROOT),),
        )  # fmt: skip
        files_before = sorted(os.listdir(ganesha.export_dir))
        with pytest.raises(InvalidArgument, match="not created by storplan"):
            session.delete_export("export:60001")
        with pytest.raises(InvalidArgument, match="not created by storplan"):
            session.modify_export("export:60001", LOCAL_RW)
        with pytest.raises(StorplanError, match="AddExport failed") as refused:
            export_with(session, filesystem.id, pseudo, LOCAL_RW)
        assert "duplicate" in refused.value.hint
        assert sorted(os.listdir(ganesha.export_dir)) == files_before
        with pytest.raises(Exception, match="exported"):
            session.delete_filesystem(filesystem)  # theirs still exports it
    finally:
        bus.remove_export(60001)
        bus.close()
    session.delete_filesystem(filesystem)
