"""``smis`` URI options: safe defaults and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from storplan.errors import InvalidArgument
from storplan.providers.smis.options import parse_options
from storplan.uri import parse_uri


def options(text: str):  # type: ignore[no-untyped-def]
    return parse_options(parse_uri(text))


def test_defaults_are_https_with_verification_and_timeouts() -> None:
    parsed = options("smis+https://admin@array.example.com/")
    assert (parsed.transport, parsed.port, parsed.user) == ("https", 5989, "admin")
    assert parsed.url == "https://array.example.com:5989"
    assert not parsed.insecure and parsed.ca_bundle is None and parsed.client_cert is None
    assert parsed.timeout == 60.0 and parsed.job_timeout == 600.0
    assert parsed.page_size == 1000 and parsed.pull is None and parsed.namespace is None


def test_all_options(tmp_path: Path) -> None:
    ca, cert, key = (tmp_path / name for name in ("ca.pem", "cert.pem", "key.pem"))
    for path in (ca, cert, key):
        path.write_text("-----BEGIN CERTIFICATE-----\n")
    parsed = options(
        f"smis+https://admin@[2001:db8::1]:15989/?namespace=root/emc&interop=root/pg_interop"
        f"&ca_bundle={ca}&client_cert={cert}&client_key={key}&timeout=5&job_timeout=30"
        f"&page_size=250&pull=false"
    )
    assert parsed.url == "https://[2001:db8::1]:15989"
    assert (parsed.namespace, parsed.interop) == ("root/emc", "root/pg_interop")
    assert (parsed.ca_bundle, parsed.client_cert, parsed.client_key) == (
        str(ca),
        str(cert),
        str(key),
    )
    assert (parsed.timeout, parsed.job_timeout, parsed.page_size, parsed.pull) == (
        5,
        30,
        250,
        False,
    )


@pytest.mark.parametrize(
    ("uri", "complaint"),
    [
        ("smis+http://admin@array/", "unencrypted"),
        ("smis+ftp://admin@array/", "not https or http"),
        ("smis+https://array/", "user name"),
        ("smis+https://admin@/", "host"),
        ("smis+https://admin@array/root/emc", "no path"),
        ("smis+https://admin@array/?verify=no", "unknown smis:// option 'verify'"),
        ("smis+https://admin@array/?timeout=0", "seconds"),
        ("smis+https://admin@array/?timeout=soon", "seconds"),
        ("smis+https://admin@array/?page_size=0", "page_size"),
        ("smis+https://admin@array/?insecure=maybe", "true or false"),
        ("smis+https://admin@array/?ca_bundle=/nonexistent/ca.pem", "does not exist"),
    ],
)
def test_bad_uris_are_refused(uri: str, complaint: str) -> None:
    with pytest.raises(InvalidArgument, match=complaint):
        options(uri)


def test_client_key_needs_a_client_certificate(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    with pytest.raises(InvalidArgument, match="needs client_cert"):
        options(f"smis+https://admin@array/?client_key={key}")


def test_plain_http_needs_explicit_insecure() -> None:
    parsed = options("smis+http://admin@array/?insecure=true")
    assert (parsed.url, parsed.insecure) == ("http://array:5988", True)


def test_password_in_uri_is_refused_before_the_provider_sees_it() -> None:
    with pytest.raises(InvalidArgument, match="password") as refused:
        parse_uri("smis+https://admin:hunter2@array/")
    assert "hunter2" not in str(refused.value)


def test_arrays_behind_one_server_share_its_request_limit() -> None:
    """The endpoint key is the server, whoever logs in and however the URI is spelled."""
    from storplan.providers.smis.provider import SmisProvider

    admin = SmisProvider.endpoint(parse_uri("smis+https://admin@array.example.com/"))
    other = SmisProvider.endpoint(
        parse_uri("smis+https://monitor@array.example.com:5989/?namespace=root/emc")
    )
    assert admin == other and admin.max_requests == 8
    elsewhere = SmisProvider.endpoint(parse_uri("smis+https://admin@array2.example.com/"))
    assert elsewhere.key != admin.key
    unlimited = SmisProvider.endpoint(parse_uri("smis+https://a@array.example.com/?max_requests=0"))
    assert unlimited.max_requests == 0
    with pytest.raises(InvalidArgument, match="max_requests"):
        options("smis+https://a@array.example.com/?max_requests=-1")
