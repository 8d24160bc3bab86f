"""The ganesha provider's pure parts (no server needed): configuration syntax, client matches,
settings, the include check on real files, and the version gates of the known issues."""

from __future__ import annotations

from pathlib import Path

import pytest
from storplan.errors import InvalidArgument, Unsupported
from storplan.model import Access
from storplan.model.nas import ExportClient, ExportOptions, Squash
from storplan.providers.ganesha import quirks
from storplan.providers.ganesha.clients import canonical_match, served_order
from storplan.providers.ganesha.exportfile import (
    ExportRecord,
    check_options,
    read_export,
    render_export,
)
from storplan.providers.ganesha.mainconf import include_problem, require_include
from storplan.providers.ganesha.options import parse_options
from storplan.providers.ganesha.served import rules_for, same_service
from storplan.providers.ganesha.syntax import include_targets, parse
from storplan.uri import parse_uri


def options(text: str) -> object:
    return parse_options(parse_uri(text))


# ----------------------------------------------------------------------------- client matches
@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (" * ", "*"),
        ("10.0.0.5", "10.0.0.5"),
        ("10.0.0.5/32", "10.0.0.5"),
        ("10.1.2.3/16", "10.1.0.0/16"),
        ("FD00:0::1", "fd00::1"),
        ("fd00::/64", "fd00::/64"),
        ("DB01.Example.COM.", "db01.example.com"),
        ("*.Example.com", "*.example.com"),
        ("@ops", "@ops"),
    ],
)
def test_canonical_match(typed: str, canonical: str) -> None:
    assert canonical_match(typed) == canonical


@pytest.mark.parametrize("bad", ["", "10.0.0.0/33", "a b", "host;evil", '"*"', "@", "-x.com"])
def test_bad_matches_are_refused(bad: str) -> None:
    with pytest.raises(InvalidArgument):
        canonical_match(bad)


def test_served_order_is_most_specific_first() -> None:
    matches = ["*", "@ops", "*.example.com", "db01", "10.0.0.0/8", "10.0.0.0/24", "10.0.0.5"]
    assert served_order(sorted(matches)) == [
        "10.0.0.5", "10.0.0.0/24", "10.0.0.0/8", "db01", "*.example.com", "@ops", "*",
    ]  # fmt: skip


# ----------------------------------------------------------------------------- export files
FULL = ExportOptions(
    clients=(
        ExportClient("*", Access.RO, Squash.ALL),
        ExportClient("10.0.0.0/24", Access.RW, Squash.NONE),
        ExportClient("db01.example.com", Access.RW, Squash.ROOT),
    ),
    anon_uid=65534,
    anon_gid=65533,
    security=("krb5p", "sys"),
    nfs_versions=("3", "4"),
)


def test_render_then_read_round_trips() -> None:
    record = ExportRecord(1000, "/srv/nfs/home", "/home", check_options(FULL))
    text = render_export(record)
    assert read_export(text, "export-1000.conf") == record
    body = parse(text).children("export")[0]
    assert body.one("access_type") == "None"  # unlisted clients get nothing
    assert [c.get("clients") for c in body.children("client")] == [
        ["10.0.0.0/24"], ["db01.example.com"], ["*"],
    ]  # fmt: skip


def test_hand_edited_synonyms_read_as_what_they_mean() -> None:
    text = """
    # someone's edit
    export {
      export_id = 7; path = '/srv/nfs/x'; PSEUDO = "/x";
      Anonymous_uid = 100;
      fsal { name = VFS; }
      client { clients = 10.0.0.5, *.lab; access_type = rw; squash = noidsquash; }
      client { clients = 10.0.0.9; access_type = none; }
      client { clients = *; access_type = mdonly_ro; squash = allanonymous; protocols = nfsv4; }
    }
    """
    record = read_export(text, "edited.conf")
    assert (record.export_id, record.directory, record.pseudo) == (7, "/srv/nfs/x", "/x")
    assert record.options.clients == (
        ExportClient("*", Access.RO, Squash.ALL),
        ExportClient("*.lab", Access.RW, Squash.NONE),
        ExportClient("10.0.0.5", Access.RW, Squash.NONE),
    )
    assert record.options.anon_uid == 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("EXPORT { Export_Id = 1; Path = /a; ", "not closed"),
        ("EXPORT { Export_Id = 1 Path = /a; }", "unexpected"),
        ("EXPORT { Path = /a; Pseudo = /a; }", "Export_Id"),
        ("EXPORT {} EXPORT {}", "one EXPORT block"),
    ],
)
def test_broken_files_are_reported_with_their_source(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message) as refused:
        read_export(text, "export-1.conf")
    assert "export-1.conf" in str(refused.value)


@pytest.mark.parametrize(
    ("given", "error"),
    [
        (ExportOptions(sync=False), Unsupported),
        (ExportOptions(clients=()), InvalidArgument),
        (ExportOptions(clients=(ExportClient("a"), ExportClient("A"))), InvalidArgument),
        (ExportOptions(security=("ntlm",)), InvalidArgument),
        (ExportOptions(anon_uid=-1), InvalidArgument),
        (ExportOptions(nfs_versions=("4.2",)), InvalidArgument),
    ],
)
def test_options_ganesha_cannot_serve_are_refused(given: ExportOptions, error: type) -> None:
    with pytest.raises(error):
        check_options(given)


def test_unresolvable_host_names_compare_as_ganeshas_unknown_entry() -> None:
    wanted = check_options(ExportOptions(clients=(ExportClient("no-such-host.invalid"),)))
    [rule] = rules_for(wanted)
    assert rule.match == "<unknown>" and same_service(wanted, [rule])


# ----------------------------------------------------------------------------- settings
def test_uri_settings() -> None:
    parsed = options("ganesha:///srv/nfs?export_ids=10-20&pool=fast&bus=unix:path=/b.sock")
    assert (parsed.base, parsed.export_ids, parsed.pool, parsed.bus) == (  # type: ignore[attr-defined]
        "/srv/nfs", (10, 20), "fast", "unix:path=/b.sock",
    )  # fmt: skip
    assert parsed.index == "/etc/ganesha/storplan.d/exports.conf"  # type: ignore[attr-defined]


def test_settings_file_then_query(tmp_path: Path) -> None:
    settings = tmp_path / "ganesha.yaml"
    settings.write_text("base: /srv/a\nexport_ids: 5-6\npool: p\n", encoding="utf-8")
    parsed = options(f"ganesha://?settings={settings}&pool=q")
    assert (parsed.base, parsed.export_ids, parsed.pool) == ("/srv/a", (5, 6), "q")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "uri",
    [
        "ganesha://",  # no base
        "ganesha:///",
        "ganesha:///srv/nfs?colour=red",
        "ganesha://host/srv/nfs",
        "ganesha:///srv/nfs?export_ids=0-10",
        "ganesha:///srv/nfs?export_ids=20-10",
        "ganesha:///srv/nfs?export_ids=1-70000",
        "ganesha:///srv/nfs?export_dir=relative",
        "ganesha:///srv/nfs?export_dir=/srv/nfs/conf",
        "ganesha:///srv/my%20nfs",
        "ganesha:///srv/nfs?dbus_name=org.example",
    ],
)
def test_bad_settings_are_refused(uri: str) -> None:
    with pytest.raises(InvalidArgument):
        options(uri)


# ----------------------------------------------------------------------------- include check
def test_include_line_found_through_nested_includes(tmp_path: Path) -> None:
    parsed = options(f"ganesha:///srv/nfs?export_dir={tmp_path}/d&main_config={tmp_path}/m.conf")
    main, nested = tmp_path / "m.conf", tmp_path / "nested.conf"
    main.write_text('NFS_CORE_PARAM { Protocols = 4; }\n# %include "d/exports.conf"\n')
    assert include_problem(parsed) is not None  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument) as refused:
        require_include(parsed)  # type: ignore[arg-type]
    assert f'%include "{tmp_path}/d/exports.conf"' in refused.value.hint
    main.write_text('%include "nested.conf"\n')
    nested.write_text(f"%include {tmp_path}/d/exports.conf\n")
    assert include_problem(parsed) is None  # type: ignore[arg-type]
    main.write_text(f"%dir {tmp_path}/d\n")
    assert "temporary files" in str(include_problem(parsed))  # type: ignore[arg-type]


def test_include_targets_ignore_comments() -> None:
    text = '%include "a.conf"\n  # %include b.conf\n%dir /x # trailing\n%url rados://p/o\n'
    assert include_targets(text) == [("include", "a.conf"), ("dir", "/x"), ("url", "rados://p/o")]


# ----------------------------------------------------------------------------- known issues
def test_versions_are_read_from_both_sources() -> None:
    assert quirks.parse_version("4.3") == (4, 3)
    assert quirks.parse_version("NFS-Ganesha Release = V4.0.6") == (4, 0, 6)
    assert quirks.parse_version("5.7.1-dev") == (5, 7, 1)


@pytest.mark.parametrize(
    ("version", "refused"),
    [((4, 0, 5), True), ((4, 0, 6), False), ((4, 3), False), ((5, 1, 2), True), ((5, 2), False)],
)
def test_versions_with_dbus_bugs_are_refused(version: tuple[int, ...], refused: bool) -> None:
    def check() -> None:
        quirks.second_add_export_fails_818(version)
        quirks.dbus_export_changes_crash_999(version)

    if refused:
        with pytest.raises(Unsupported, match=r"nfs-ganesha#(818|999)"):
            check()
    else:
        check()


def test_missing_export_directory_is_refused(tmp_path: Path) -> None:
    quirks.missing_export_path_266((4, 3), str(tmp_path))
    with pytest.raises(InvalidArgument, match="#266"):
        quirks.missing_export_path_266((2, 5, 4), str(tmp_path / "gone"))
    with pytest.raises(InvalidArgument, match="does not exist"):
        quirks.missing_export_path_266((4, 3), str(tmp_path / "gone"))


def test_no_bus_is_a_clear_connection_error(tmp_path: Path) -> None:
    from storplan.errors import ConnectionFailed
    from storplan.providers.ganesha.dbus import GaneshaBus

    bus = GaneshaBus(f"unix:path={tmp_path}/no-bus.sock")
    with pytest.raises(ConnectionFailed, match="cannot connect to D-Bus at unix:path") as failed:
        bus.show_exports()
    assert "bus=" in failed.value.hint


def test_preflight_refuses_what_ganesha_could_not_take() -> None:
    """The provider's preflight runs on the plan, before anything changes (no server needed:
    building the provider touches nothing)."""
    from storplan.providers.ganesha import GaneshaProvider
    from storplan.providers.kit import Request

    provider = GaneshaProvider(parse_uri("ganesha:///srv/nfs"))
    good = ExportOptions().to_dict()
    requests = [
        Request("create_export", {"filesystem": "home", "path": "/home", **good}),
        Request("create_export", {"filesystem": "home", "path": "/my home", **good}),
        Request("modify_export", {"path": "/home", **{**good, "nfs_versions": ["4.1"]}}),
        Request(
            "create_export",
            {
                "filesystem": "home",
                "path": "/h2",
                **{**good, "clients": ["10.0.0.5", "10.0.0.5/32"]},
            },
        ),
        Request("create_filesystem", {"pool": "nfs", "name": "x", "size": 1 << 20}),
    ]
    refused = provider.preflight(requests, None)  # type: ignore[arg-type]
    assert [r.index for r in refused] == [1, 2, 3]
    assert "is not usable" in refused[0].message
    assert "Minor_Versions" in refused[1].hint
    assert "listed twice" in refused[2].message


def test_pseudo_paths_go_through_the_kits_export_path_check() -> None:
    """Preflight and create_export refuse every path the kit's check_export_path refuses (the
    same list as the nfs provider's tests), before anything reads the server."""
    from export_paths import BAD_PATHS, GOOD_PATHS
    from storplan.providers.ganesha import GaneshaProvider
    from storplan.providers.kit import Request

    provider = GaneshaProvider(parse_uri("ganesha:///srv/nfs"))
    good = ExportOptions().to_dict()
    requests = [Request("create_export", {"filesystem": "home", "path": p, **good})
                for p in [*GOOD_PATHS, *BAD_PATHS]]  # fmt: skip
    refused = provider.preflight(requests, None)  # type: ignore[arg-type]
    assert [r.index for r in refused] == [len(GOOD_PATHS) + i for i in range(len(BAD_PATHS))]
    assert all("is not usable" in r.message and "/projects/alpha" in r.hint for r in refused)
    for path in BAD_PATHS:
        with pytest.raises(InvalidArgument, match="is not usable"):
            provider.create_export("filesystem:home", path, ExportOptions())
