"""iSCSI target portals: iSCSI endpoint -BindsTo- TCP endpoint -BindsTo- IP endpoint.

(SMI-S iSCSI Target Ports profile; libstoragemgmt ``Smis._cim_iscsi_pg_to_lsm`` walks the
same chain per endpoint, here it is three class reads and one association read.)
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from storplan.errors import InvalidArgument
from storplan.identifiers import InitiatorKind, canonical_iqn
from storplan.model.system import TargetPort

from .cim import pkey, prop
from .convert import link_state
from .ids import system_id_of
from .reader import Reader

__all__ = ["iscsi_ports"]

_TARGET_ROLES = {3, 4}  # CIM_SCSIProtocolEndpoint.Role: Target, Both Initiator and Target


def _portal(ip: Any, port: int) -> str | None:
    v4 = str(prop(ip, "IPv4Address", "") or "")
    v6 = str(prop(ip, "IPv6Address", "") or "")
    if v4 and v4 != "0.0.0.0":
        return f"{v4}:{port}"
    if v6 and v6.strip(":0"):
        return f"[{v6}]:{port}"
    return None


def iscsi_ports(reader: Reader) -> list[TargetPort]:
    """One target port per (iSCSI name, portal); an endpoint's ``Name`` may carry the target
    portal group after a comma (``iqn...,t,0x0001``), which is dropped."""
    tcp, ip = reader.by_key("tcp_endpoints"), reader.by_key("ip_endpoints")
    neighbours: dict[tuple[Any, ...], list[tuple[Any, ...]]] = defaultdict(list)
    for link in reader.links("binds"):
        one, other = pkey(link["Antecedent"]), pkey(link["Dependent"])
        neighbours[one].append(other)
        neighbours[other].append(one)
    ports: dict[str, TargetPort] = {}
    for endpoint in reader.all("iscsi_endpoints"):
        if int(prop(endpoint, "Role", 3)) not in _TARGET_ROLES:
            continue
        try:
            address = canonical_iqn(str(prop(endpoint, "Name", "")).split(",")[0])
        except InvalidArgument:
            continue
        system_id = system_id_of(endpoint)
        for tcp_key in neighbours.get(pkey(endpoint.path), []):
            if tcp_key not in tcp:
                continue
            number = int(prop(tcp[tcp_key], "PortNumber", 3260))
            for ip_key in neighbours.get(tcp_key, []):
                portal = _portal(ip[ip_key], number) if ip_key in ip else None
                if portal is None:
                    continue
                port_id = f"port:{system_id.partition(':')[2]}:{address}@{portal}"
                ports.setdefault(
                    port_id,
                    TargetPort(
                        port_id,
                        system_id,
                        InitiatorKind.ISCSI,
                        address,
                        portal,
                        link_state(endpoint),
                    ),
                )
    return sorted(ports.values(), key=lambda p: p.id)
