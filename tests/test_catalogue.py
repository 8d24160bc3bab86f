"""The operation catalogue is the one home of each operation: every other place agrees with it.

Real: the catalogue, the provider contract (the ``Provider`` Protocol), the Session, the
manifest loader with a real simulator provider, the planner against a real simulator file,
the CLI parser.  The three tables that used to disagree (validate, plan, the Session gate) are
shown to ask for the same capabilities because all three read the catalogue.
"""

from __future__ import annotations

import argparse
import inspect
from pathlib import Path
from typing import Any

import pytest
from planhelpers import connector, write_manifest
from storplan.catalogue import OPERATIONS, ArgKind, Risk, Verb, operation
from storplan.cli import _parser
from storplan.cli.commands_nas import EXPORT_FLAGS
from storplan.errors import InvalidArgument, Unsupported
from storplan.keys import Key, ObjectKind
from storplan.manifest import load_manifest
from storplan.manifest.requests import create_requests
from storplan.manifest.semantic import required_capabilities
from storplan.model import EXPORT_OPTION_FIELDS, Capabilities, Capability
from storplan.plan import make_plan
from storplan.providers import Provider
from storplan.providers.kit import ProviderBase, ProviderWrapper
from storplan.providers.kit.forward import contract_parameters
from storplan.session import Session, connect

IQN = "iqn.2024-01.com.example:"


def test_every_operation_is_in_the_provider_contract_with_its_arguments() -> None:
    """The Protocol's operation methods are exactly the catalogue's, and each catalogue entry
    describes one argument per contract parameter."""
    contract = {
        name
        for name, member in vars(Provider).items()
        if inspect.isfunction(member)
        and name not in {"identity", "capabilities", "limits", "version", "observe", "job"}
        and name not in {"jobs", "close", "statistics", "subscribe"}
        and not name.startswith("_")
    }
    assert contract == set(OPERATIONS)
    for op in OPERATIONS.values():
        assert len(op.args) == len(contract_parameters(op.name)), op.name


def test_providers_get_the_contracts_enum_types_not_plan_strings() -> None:
    """A parameter the contract types as an enumeration reaches the provider as that enum,
    whatever a plan file held (lio's ``create_replica`` read ``kind.value`` of a plain string)."""
    import enum

    from storplan.model import enums

    enum_names = {
        n for n, v in vars(enums).items() if isinstance(v, type) and issubclass(v, enum.Enum)
    }
    checked = 0
    for op in OPERATIONS.values():
        signature = inspect.signature(getattr(Provider, op.name))
        for arg, parameter in zip(op.args, contract_parameters(op.name), strict=True):
            annotation = str(signature.parameters[parameter].annotation)
            if annotation in enum_names:  # annotations are strings (postponed evaluation)
                checked += 1
                assert arg.how is not ArgKind.VALUE, f"{op.name}({parameter}) needs a conversion"
    assert checked  # the contract has enum parameters: the check is not vacuous
    from storplan.calls import provider_args
    from storplan.model import ReplicaKind

    params = {"source": "v", "replica": "r", "kind": "copy", "pool": None}
    args = provider_args(operation("create_replica"), params, lambda arg, p: "id")
    assert args[2] is ReplicaKind.COPY


def test_every_operation_is_a_session_method_with_a_docstring() -> None:
    for name in OPERATIONS:
        method = getattr(Session, name)
        assert method.__doc__, name


def test_entries_are_consistent() -> None:
    ranks = [op.rank for op in OPERATIONS.values()]
    assert len(ranks) == len(set(ranks)), "ranks order the plan: no ties"
    for op in OPERATIONS.values():
        names = {p.name for p in op.params}
        for arg in op.args:
            if arg.how not in (ArgKind.SYSTEM,):
                assert set(arg.params) <= names, (op.name, arg)
        if op.verb is Verb.DELETE:
            assert op.fixed_risk in (Risk.DISRUPTIVE, Risk.DESTRUCTIVE), op.name
        assert op.summary and op.summary[0].islower(), op.name


def test_unknown_operation_is_a_clear_error() -> None:
    with pytest.raises(InvalidArgument, match="unknown operation 'format_disk'"):
        operation("format_disk")


def test_saved_plan_parameters_are_checked_against_the_catalogue() -> None:
    op = OPERATIONS["create_volume"]
    assert op.check_params({"volume": "v", "pool": "p", "size": 1, "thin": True}) == []
    assert op.check_params({"volume": "v", "pool": "p", "size": True, "thin": True})
    assert op.check_params({"volume": "v", "pool": "p", "size": "1", "thin": True})
    assert op.check_params({"volume": "v", "pool": "p", "size": 1})
    assert op.check_params({"volume": "v", "pool": "p", "size": 1, "thin": True, "x": 1})


def _manifest(tmp_path: Path, uri: str) -> Path:
    return write_manifest(
        tmp_path / "m.yaml",
        [
            {
                "name": "a",
                "provider": uri,
                "system": "sim-array-1",
                "pools": [{"name": "ssd"}, {"name": "nas"}],
                "hosts": [{"name": "h1", "initiators": [IQN + "h1"]}],
                "volumes": [
                    {
                        "name": "v1",
                        "pool": "ssd",
                        "size": "1GiB",
                        "mappings": [{"host": "h1", "lun": 3}],
                        "snapshots": [{"name": "s1"}],
                        "replicas": [{"name": "v1-copy", "kind": "copy"}],
                    }
                ],
                "filesystems": [
                    {
                        "name": "f1",
                        "pool": "nas",
                        "size": "1GiB",
                        "exports": [
                            {
                                "path": "/f1",
                                "clients": ["10.0.0.0/24", {"match": "h2", "access": "ro"}],
                                "anon_uid": 65534,
                                "security": ["sys", "krb5"],
                            }
                        ],
                    }
                ],
            }
        ],
    )


def test_validate_plan_and_session_gate_need_the_same_capabilities(tmp_path: Path) -> None:
    """The three former capability tables agree because all three read the catalogue: what
    validate requires of a manifest, what its plan against an empty array needs, and what the
    Session's gate refuses for each of those operations."""
    uri = f"sim://{tmp_path / 'array.db'}"
    manifest = load_manifest([_manifest(tmp_path, uri)])
    [array] = manifest.arrays
    from_validate = {capability for capability, _ in required_capabilities(array)}
    plan = make_plan(manifest, connector)
    from_plan = {c for a in plan.actions for c in a.op.capabilities(a.params, a.live)}
    assert Capability.VOLUMES in from_validate  # the old validate table forgot it
    assert from_validate == from_plan
    with connect(uri) as session:
        for request in create_requests(array):
            op = OPERATIONS[request.operation]
            for capability in op.capabilities(request.params):
                hidden = _Hiding(session.provider, capability)
                gated = Session(hidden.as_provider(), session.uri)
                with pytest.raises(Unsupported) as refused:
                    # a Session caller's parameters: the gate refuses before ids matter
                    gated.run(op, {**request.params, "system": "sys1"})
                assert refused.value.capability == capability.value
                assert hidden.calls == []


class _Hiding(ProviderWrapper):
    def __init__(self, inner: Any, hidden: Capability) -> None:
        super().__init__(inner)
        self.hidden, self.calls = hidden, []

    def capabilities(self) -> Capabilities:
        return Capabilities("hiding", frozenset(Capability) - {self.hidden})

    def operate(self, operation: str, args: tuple[Any, ...]) -> Any:
        self.calls.append(operation)
        raise AssertionError(f"the core called {operation}")


def test_provider_base_refuses_what_it_does_not_implement() -> None:
    class Tiny(ProviderBase):
        name = "tiny"

    with pytest.raises(Unsupported, match="provider 'tiny' does not implement create_volume"):
        Tiny().create_volume("p", "v", 1, True)  # type: ignore[attr-defined]


def test_keys_round_trip_and_refuse_what_is_not_a_key() -> None:
    for key in (
        Key.of(ObjectKind.SNAPSHOT, "db", "nightly"),
        Key.of(ObjectKind.MAPPING, "db", "host1"),
        Key.of(ObjectKind.INITIATOR, "host1", IQN + "x"),
        Key.of(ObjectKind.EXPORT, "/srv/a/b"),
        Key.of(ObjectKind.VOLUME, "a:b"),
    ):
        assert Key.parse(str(key)) == key
    with pytest.raises(ValueError):
        Key.parse("nonsense:x")
    with pytest.raises(ValueError):
        Key.parse("snapshot:no-owner")


def test_export_cli_options_cover_the_one_export_options_definition() -> None:
    assert list(EXPORT_FLAGS) == list(EXPORT_OPTION_FIELDS)
    parser: Any = _parser(["export", "create"])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    export = sub.choices["export"]
    create = next(a for a in export._actions if isinstance(a, argparse._SubParsersAction))
    args = create.choices["create"].parse_args(
        ["fs1", "/x", "--client", "10.0.0.0/24", "--client", "h2,ro,all", "--async",
         "--nfs-version", "4.2", "--anon-uid", "7", "--sec", "krb5"]
    )  # fmt: skip
    from storplan.cli.commands_nas import _export_options

    options = _export_options(args)
    assert [c.to_dict() for c in options.clients] == [
        {"match": "10.0.0.0/24", "access": "rw", "squash": "root"},
        {"match": "h2", "access": "ro", "squash": "all"},
    ]
    assert (options.sync, options.nfs_versions, options.anon_uid, options.security) == (
        False,
        ("4.2",),
        7,
        ("krb5",),
    )


def test_cli_commands_take_help_and_confirmation_from_the_catalogue() -> None:
    """Every imperative command's help is its operation's summary, and every command of an
    operation that can hurt takes --yes."""
    parser: Any = _parser([])
    found = 0
    for top in _subparsers(parser):
        for name, command in top.items():
            for action_name, action in (
                _subparsers(command)[0].items() if _subparsers(command) else ()
            ):
                text = action.description or ""
                matches = [op for op in OPERATIONS.values() if op.summary == text]
                if not matches:
                    continue
                found += 1
                flags = {s for a in action._actions for s in a.option_strings}
                if matches[0].may_hurt and not matches[0].name.startswith("resize_"):
                    assert "--yes" in flags, f"{name} {action_name}"
    assert found >= 20


def _subparsers(parser: Any) -> list[dict[str, Any]]:
    return [a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
