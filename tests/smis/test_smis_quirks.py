"""Vendor quirks, each in one named function, and the translation of array answers."""

from __future__ import annotations

import pytest
import pywbem
from pywbem import CIMInstance, CIMInstanceName, Uint16, Uint64
from storplan.credentials import Secret
from storplan.errors import (
    AlreadyExists,
    Busy,
    ConnectionFailed,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ProviderError,
    Timeout,
    Unsupported,
)
from storplan.providers.smis import convert, quirks
from storplan.providers.smis.cim import health_of, lun_of
from storplan.providers.smis.translate import Scrubber, method_error, translate

SCRUB = Scrubber(Secret("pw-123"))


def volume(**props: object) -> CIMInstance:
    path = CIMInstanceName("X_StorageVolume", {"SystemName": "S", "DeviceID": "1"})
    return CIMInstance("X_StorageVolume", properties=props, path=path)


def test_ontap_profile_name_typo() -> None:
    assert quirks.canonical_profile_name("FC Target Port") == "FC Target Ports"
    assert quirks.canonical_profile_name(" Array ") == "Array"


def test_vnx_group_masking_is_ignored() -> None:
    assert quirks.advertised_group_masking_is_broken("Clar_StorageSystem")
    assert not quirks.advertised_group_masking_is_broken("Symm_StorageSystem")


@pytest.mark.parametrize(
    ("props", "wwn"),
    [
        ({"Name": "600A0B80002A0B6C", "NameFormat": Uint16(9)}, "naa.600a0b80002a0b6c"),
        (
            {
                "Name": "LUN 7",
                "NameFormat": Uint16(1),
                "OtherIdentifyingInfo": ["SN1", "6" + "0" * 31],
                "IdentifyingDescriptions": ["Serial Number", "NAA;VPD83Type3"],
            },
            "naa.6" + "0" * 31,
        ),
        (
            {
                "Name": "/vol/lun0",
                "NameFormat": Uint16(1),
                "OtherNameFormat": "NAA",
                "OtherNameNamespace": "VPD83Type3",
                "OtherIdentifyingInfo": ["60a98000486e2f65"],
            },
            "naa.60a98000486e2f65",
        ),  # NetApp ONTAP
        ({"Name": "not-an-id", "NameFormat": Uint16(9)}, ""),
    ],
)
def test_vpd83_is_found_wherever_the_vendor_keeps_it(props: dict[str, object], wwn: str) -> None:
    assert convert.wwn(volume(**props)) == wwn


def test_emc_subscription_limit() -> None:
    pool = CIMInstance(
        "Symm_VirtualProvisioningPool",
        properties={
            "EMCMaxSubscriptionPercent": Uint16(250),
            "TotalManagedSpace": Uint64(100),
        },
        path=CIMInstanceName("Symm_VirtualProvisioningPool", {"InstanceID": "p"}),
    )
    assert quirks.subscription_limit_ratio(pool) == 2.5
    assert convert.pool(pool, "sys:s", frozenset({5}), 0).oversubscription_limit == 2.5


def test_health_and_lun_decoding() -> None:
    assert health_of(volume(OperationalStatus=[Uint16(2)]))[0] == "ok"
    health, conditions = health_of(volume(OperationalStatus=[Uint16(2), Uint16(5)]))
    assert health == "degraded" and conditions[0].message == "predictive failure"
    assert health_of(volume())[0] == "unknown"
    assert lun_of(volume(DeviceNumber="000A")) == 10 and lun_of(volume(DeviceNumber="x")) is None


@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (pywbem.CIMError(pywbem.CIM_ERR_NOT_FOUND, "gone"), NotFound),
        (pywbem.CIMError(pywbem.CIM_ERR_ACCESS_DENIED, "no"), PermissionDenied),
        (pywbem.CIMError(pywbem.CIM_ERR_NOT_SUPPORTED, "no"), Unsupported),
        (pywbem.CIMError(pywbem.CIM_ERR_ALREADY_EXISTS, "dup"), AlreadyExists),
        (pywbem.CIMError(pywbem.CIM_ERR_FAILED, "pw-123 leaked"), ProviderError),
        (pywbem.AuthError("401"), PermissionDenied),
        (pywbem.TimeoutError("slow"), Timeout),
        (pywbem.ConnectionError("Read timed out."), Timeout),
        (pywbem.ConnectionError("Connection refused"), ConnectionFailed),
        (pywbem.ParseError("junk"), ProviderError),
    ],
)
def test_pywbem_errors_become_storplan_errors(exc: pywbem.Error, cls: type) -> None:
    error = translate(exc, "doing it", "https://a:5989", SCRUB)
    assert type(error) is cls and "pw-123" not in str(error)


@pytest.mark.parametrize(
    ("method", "rc", "cls"),
    [
        ("ReturnToStoragePool", 6, Busy),
        ("CreateOrModifyElementFromStoragePool", 4097, InvalidArgument),
        ("ExposePaths", 4102, AlreadyExists),
        ("HidePaths", 4100, NotFound),
        ("AnyMethod", 1, Unsupported),
        ("AnyMethod", 32788, ProviderError),
    ],
)
def test_method_return_codes(method: str, rc: int, cls: type) -> None:
    error = method_error(method, rc, "", SCRUB)
    assert type(error) is cls and f"return code {rc}" in str(error)
