"""Unit tests for secrets (:mod:`storplan.credentials`) and provider URIs (:mod:`storplan.uri`).

Everything here is real: secrets are read from real environment variables (set with
monkeypatch) and from real files with real modes in ``tmp_path``; URIs are parsed by the real
parser.  The only substitution is ``sys.stdin`` (a non-terminal) for the prompt rule.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
from pathlib import Path

import pytest
from storplan.credentials import Secret, SecretSource, read_secret
from storplan.errors import InvalidArgument, NotFound, PermissionDenied, StorplanError
from storplan.uri import ProviderURI, parse_uri

VALUE = "hunter2-Sup3r$ecret"
ENV = "STORPLAN_TEST_SECRET"


def secret_file(tmp_path: Path, mode: int, content: str = VALUE + "\n") -> Path:
    """Write ``content`` to a file in ``tmp_path`` with permission bits ``mode``."""
    path = tmp_path / "password"
    path.write_text(content, encoding="utf-8")
    os.chmod(path, mode)
    return path


def rendered(err: BaseException) -> str:
    """Every textual rendering of an exception a log or traceback could show."""
    parts = [str(err), repr(err), repr(err.args)]
    if isinstance(err, StorplanError):
        parts += [err.message, err.hint, repr(err.to_dict())]
    return "\n".join(parts)


# --- Secret ----------------------------------------------------------------------------------


def test_secret_never_renders_its_value() -> None:
    secret = Secret(VALUE)
    assert repr(secret) == "Secret('***')"
    assert str(secret) == "***"
    assert f"{secret}" == "***"
    assert f"{secret!r}" == "Secret('***')"
    assert "%s %r" % (secret, secret) == "*** Secret('***')"  # noqa: UP031
    for container in ([secret], {"password": secret}, (secret,), {"nested": [secret]}):
        assert VALUE not in f"{container}"
        assert VALUE not in repr(container)
        assert "***" in f"{container}"
    assert secret.reveal() == VALUE


def test_secret_equality_and_hash() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_secret_cannot_be_pickled(protocol: int) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(Secret(VALUE), protocol=protocol)
    with pytest.raises(TypeError):
        pickle.dumps({"nested": [Secret(VALUE)]}, protocol=protocol)


# --- read_secret -------------------------------------------------------------------------------


def test_read_secret_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, VALUE)
    secret = read_secret(SecretSource(env=ENV))
    assert isinstance(secret, Secret)
    assert secret.reveal() == VALUE


def test_read_secret_missing_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    with pytest.raises(NotFound) as info:
        read_secret(SecretSource(env=ENV))
    assert ENV in info.value.message
    assert f"export {ENV}=" in info.value.hint


@pytest.mark.parametrize("mode", [0o600, 0o400, 0o700])
def test_read_secret_from_private_file(tmp_path: Path, mode: int) -> None:
    path = secret_file(tmp_path, mode)
    assert read_secret(SecretSource(file=str(path))).reveal() == VALUE


def test_read_secret_file_strips_only_line_end(tmp_path: Path) -> None:
    path = secret_file(tmp_path, 0o600, content=f" {VALUE} \r\n")
    assert read_secret(SecretSource(file=str(path))).reveal() == f" {VALUE} "


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o602, 0o610])
def test_read_secret_file_readable_by_others_refused(tmp_path: Path, mode: int) -> None:
    path = secret_file(tmp_path, mode)
    with pytest.raises(PermissionDenied) as info:
        read_secret(SecretSource(file=str(path)))
    err = info.value
    assert err.code == "permission_denied"
    assert str(path) in err.message
    assert f"{mode:04o}" in err.message
    assert err.hint == f"chmod 600 {path}"
    assert VALUE not in rendered(err)


def test_read_secret_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        read_secret(SecretSource(file=str(tmp_path / "absent")))


@pytest.mark.parametrize(
    "source",
    [
        SecretSource(),
        SecretSource(env="", file="", prompt=""),
        SecretSource(env=ENV, file="/tmp/x"),
        SecretSource(env=ENV, prompt="Password"),
        SecretSource(file="/tmp/x", prompt="Password"),
        SecretSource(env=ENV, file="/tmp/x", prompt="Password"),
    ],
)
def test_exactly_one_source(source: SecretSource, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, VALUE)
    with pytest.raises(InvalidArgument, match="exactly one"):
        read_secret(source)


def test_prompt_needs_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(VALUE + "\n"))
    with pytest.raises(InvalidArgument, match="terminal"):
        read_secret(SecretSource(prompt="Password"))


def test_describe_names_the_source_not_the_value() -> None:
    assert SecretSource(env=ENV).describe() == f"environment variable {ENV}"
    assert SecretSource(file="/etc/pw").describe() == "file /etc/pw"
    assert SecretSource(prompt="Password").describe() == "interactive prompt"


# --- parse_uri ---------------------------------------------------------------------------------


def test_sim_uri() -> None:
    assert parse_uri("sim://") == ProviderURI(scheme="sim")
    assert parse_uri("sim://").provider == "sim"
    uri = parse_uri("sim:///tmp/x.db")
    assert (uri.scheme, uri.host, uri.path, uri.port) == ("sim", "", "/tmp/x.db", None)


def test_full_uri() -> None:
    uri = parse_uri("smis+https://admin@array.example.com:5989/?namespace=root/emc")
    assert uri.scheme == "smis" and uri.provider == "smis"
    assert uri.transport == "https"
    assert uri.user == "admin"
    assert uri.host == "array.example.com"
    assert uri.port == 5989
    assert uri.path == "/"
    assert uri.query == {"namespace": "root/emc"}
    assert str(uri) == "smis+https://admin@array.example.com:5989/?namespace=root/emc"


def test_uri_normalisation() -> None:
    uri = parse_uri("SMIS+HTTPS://Admin@ARRAY.example.com/?a=1&a=2&b=")
    assert (uri.scheme, uri.transport, uri.user, uri.host) == (
        "smis",
        "https",
        "Admin",
        "array.example.com",
    )
    assert uri.query == {"a": "1,2", "b": ""}
    assert parse_uri("lio://root%40x@host").user == "root@x"
    assert parse_uri("sim:///tmp/my%20db.db?x=a+b").path == "/tmp/my db.db"
    assert parse_uri("sim://?x=a+b%2Bc").query == {"x": "a b+c"}
    ipv6 = parse_uri("lio://[FE80::1]:3260")
    assert (ipv6.host, ipv6.port) == ("fe80::1", 3260)


@pytest.mark.parametrize(
    "text",
    [
        "smis+https://admin:hunter2@array.example.com:5989/?namespace=root/emc",
        "smis://:hunter2@array.example.com",
        "smis://admin:hunter2@array.example.com:notaport",
        "lio://admin:hunter2@[::1]:3260",
        "://admin:hunter2@array.example.com",
        "1smis://admin:hunter2@array.example.com",
        "smis_https://admin:hunter2@array.example.com",
        "smis://admin:hunter2/x@array.example.com",  # '/', '?' or '#' in the password
        "smis://admin:hunter2#x@array.example.com",
    ],
)
def test_password_refused_and_never_echoed(text: str) -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_uri(text)
    assert "hunter2" not in rendered(info.value)
    assert info.value.__cause__ is None and info.value.__context__ is None


def test_password_error_says_what_to_do() -> None:
    with pytest.raises(InvalidArgument) as info:
        parse_uri("smis://admin:hunter2@host")
    assert "password" in info.value.message
    assert "--password-env" in info.value.hint


@pytest.mark.parametrize("text", ["", "sim", "sim:", "sim:/x", "array.example.com:5989"])
def test_text_without_scheme_separator_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="not a provider URI"):
        parse_uri(text)


@pytest.mark.parametrize(
    "text",
    [
        "smis://host:abc",
        "smis://host:99999",
        "smis://host:65536",
        "smis://host:0",
        "smis://host:-1",
        "smis://admin@host:5x",
        "smis://host:\u00b2",
    ],  # superscript two
)
def test_bad_port_refused(text: str) -> None:
    with pytest.raises(InvalidArgument, match="invalid port"):
        parse_uri(text)


@pytest.mark.parametrize("text", ["smis://[::1", "smis://admin@[bad]:5989"])
def test_malformed_host_is_invalid_argument(text: str) -> None:
    with pytest.raises(InvalidArgument):
        parse_uri(text)
