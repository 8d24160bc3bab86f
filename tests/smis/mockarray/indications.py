"""Indications on the mock array: the interop classes subscriptions are made of (served by
pywbem_mock's own subscription providers), the object manager instance pywbem's
``WBEMServer`` reads, and the array's side of delivery: a CIM-XML ``ExportIndication``
HTTP POST to a listener, as an SMI-S array sends one (pywbem_mock does not send any).
"""

from __future__ import annotations

import urllib.request
from itertools import count
from typing import Any

from pywbem import CIMInstance
from pywbem_mock._subscriptionproviders import (
    CIMIndicationFilterProvider,
    CIMIndicationSubscriptionProvider,
    CIMListenerDestinationProvider,
)

__all__ = ["INTEROP_MOF", "export_indication", "install_indications", "subscriptions"]

INTEROP_MOF = """
class CIM_ObjectManager : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
};
class CIM_IndicationFilter : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
    string SourceNamespace;
    string SourceNamespaces[];
    string Query;
    string QueryLanguage;
    boolean IndividualSubscriptionSupported;
};
[Abstract] class CIM_ListenerDestination : CIM_ManagedElement {
    [Key] string SystemCreationClassName;
    [Key] string SystemName;
    [Key] string CreationClassName;
    [Key] string Name;
    uint16 PersistenceType;
    string Destination;
};
class CIM_ListenerDestinationCIMXML : CIM_ListenerDestination {
    uint16 Protocol;
};
[Association] class CIM_IndicationSubscription {
    [Key] CIM_IndicationFilter REF Filter;
    [Key] CIM_ListenerDestination REF Handler;
    uint16 OnFatalErrorPolicy;
    uint16 RepeatNotificationPolicy;
    uint16 SubscriptionState;
    uint64 SubscriptionDuration;
    uint64 SubscriptionTimeRemaining;
    datetime SubscriptionStartTime;
    datetime TimeOfLastStateChange;
    string SubscriptionInfo;
};
"""


def install_indications(conn: Any, interop: str) -> None:
    """The object manager instance and the subscription providers in ``interop``."""
    path = conn.cimrepository.get_instance_store(interop)
    from pywbem import CIMInstanceName

    keys = {
        "SystemCreationClassName": "CIM_ComputerSystem",
        "SystemName": "mock-smis-server",
        "CreationClassName": "CIM_ObjectManager",
        "Name": "MockCIMOM",
    }
    name = CIMInstanceName("CIM_ObjectManager", keybindings=keys, namespace=interop)
    instance = CIMInstance(
        "CIM_ObjectManager",
        properties={**keys, "ElementName": "Mock SMI-S provider", "Description": "mock"},
        path=name,
    )
    path.create(name, instance)
    for provider in (
        CIMIndicationFilterProvider,
        CIMListenerDestinationProvider,
        CIMIndicationSubscriptionProvider,
    ):
        conn.register_provider(provider(conn.cimrepository), namespaces=[interop])


def subscriptions(conn: Any, interop: str) -> dict[str, list[Any]]:
    """The destinations, filters and subscriptions the array holds (instances)."""
    return {
        name: conn.EnumerateInstances(f"CIM_{name}", namespace=interop)
        for name in ("ListenerDestinationCIMXML", "IndicationFilter", "IndicationSubscription")
    }


_MESSAGE_IDS = count(1000)


def export_indication(url: str, indication: CIMInstance, context: Any = None) -> int:
    """POST ``indication`` to the listener at ``url`` as a CIM-XML ExportIndication request
    (DSP0200); returns the HTTP status."""
    message_id = next(_MESSAGE_IDS)
    body = (
        '<?xml version="1.0" encoding="utf-8" ?>\n'
        '<CIM CIMVERSION="2.0" DTDVERSION="2.4">'
        f'<MESSAGE ID="{message_id}" PROTOCOLVERSION="1.0"><SIMPLEEXPREQ>'
        '<EXPMETHODCALL NAME="ExportIndication"><EXPPARAMVALUE NAME="NewIndication">'
        f"{indication.tocimxmlstr()}"
        "</EXPPARAMVALUE></EXPMETHODCALL></SIMPLEEXPREQ></MESSAGE></CIM>"
    )
    request = urllib.request.Request(
        url,
        data=body.encode(),
        method="POST",
        headers={
            "Content-Type": 'application/xml; charset="utf-8"',
            "CIMExport": "MethodRequest",
            "CIMExportMethod": "ExportIndication",
        },
    )
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        response.read()
        return int(response.status)
