"""Vendor quirks: one small, named function per known deviation from SMI-S.

Everything else in the provider follows the standard; when an array deviates, the fix goes
here, with the source that documents the behaviour, so it never leaks into the general code.
"""

from __future__ import annotations

from typing import Any

from .cim import prop

__all__ = [
    "advertised_group_masking_is_broken",
    "canonical_profile_name",
    "subscription_limit_ratio",
    "vendor_vpd83",
]

_PROFILE_ALIASES = {
    # NetApp ONTAP registers the FC target port profile without the final "s"
    # (libstoragemgmt smis_cap.fc_tgt_is_supported).
    "fc target port": "FC Target Ports",
}


def canonical_profile_name(name: str) -> str:
    """A registered profile name with known vendor misspellings corrected."""
    return _PROFILE_ALIASES.get(name.strip().lower(), name.strip())


def advertised_group_masking_is_broken(system_classname: str) -> bool:
    """EMC VNX/CLARiiON (``Clar_StorageSystem``) registers Group Masking and Mapping but does
    not implement it; plain Masking and Mapping works (libstoragemgmt ``smis_cap.get``)."""
    return system_classname.lower().startswith("clar_")


def vendor_vpd83(volume: Any) -> str | None:
    """NetApp ONTAP keeps the VPD 0x83 NAA id in ``OtherIdentifyingInfo[0]`` with
    ``OtherNameFormat='NAA'`` and ``OtherNameNamespace='VPD83Type3'``
    (libstoragemgmt ``smis_vol._vpd83_netapp``)."""
    if (
        str(prop(volume, "OtherNameFormat", "")).upper() == "NAA"
        and str(prop(volume, "OtherNameNamespace", "")).upper() == "VPD83TYPE3"
    ):
        info = prop(volume, "OtherIdentifyingInfo", [])
        return str(info[0]) if info else None
    return None


VENDOR_POOL_PROPERTIES = ("EMCMaxSubscriptionPercent",)
"""Vendor pool properties :func:`subscription_limit_ratio` reads (added to pool reads)."""


def subscription_limit_ratio(pool: Any) -> float | None:
    """EMC VMAX/VNX publish a thin pool's over-subscription limit as
    ``EMCMaxSubscriptionPercent`` instead of ``SpaceLimit`` (CoprHD ``SmisConstants``)."""
    percent = prop(pool, "EMCMaxSubscriptionPercent")
    if percent:
        return float(percent) / 100.0
    return None
