"""The storplan model: one typed definition of every storage object.

All classes are frozen dataclasses; spec fields (managed by users) are kept apart from status
fields (reported by arrays) — see :mod:`storplan.model.base`.  Names are loaded lazily (PEP 562):
``storplan show systems`` should not pay for defining every class it does not use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..identifiers import (
        InitiatorKind as InitiatorKind,
    )
    from ..size import (
        Size as Size,
    )
    from .base import (
        Condition as Condition,
    )
    from .base import (
        spec_fields as spec_fields,
    )
    from .base import (
        spec_of as spec_of,
    )
    from .base import (
        status_field as status_field,
    )
    from .base import (
        to_dict as to_dict,
    )
    from .block import (
        AccessGroup as AccessGroup,
    )
    from .block import (
        ChapCredentials as ChapCredentials,
    )
    from .block import (
        Initiator as Initiator,
    )
    from .block import (
        Mapping as Mapping,
    )
    from .block import (
        Pool as Pool,
    )
    from .block import (
        Replica as Replica,
    )
    from .block import (
        Snapshot as Snapshot,
    )
    from .block import (
        Volume as Volume,
    )
    from .capabilities import (
        Capabilities as Capabilities,
    )
    from .capabilities import (
        Limits as Limits,
    )
    from .capabilities import (
        ProviderVersion as ProviderVersion,
    )
    from .enums import (
        NFS_SECURITY_FLAVOURS as NFS_SECURITY_FLAVOURS,
    )
    from .enums import (
        Access as Access,
    )
    from .enums import (
        DiskKind as DiskKind,
    )
    from .enums import (
        ElementType as ElementType,
    )
    from .enums import (
        Health as Health,
    )
    from .enums import (
        JobState as JobState,
    )
    from .enums import (
        Kind as Kind,
    )
    from .enums import (
        LinkState as LinkState,
    )
    from .enums import (
        Provisioning as Provisioning,
    )
    from .enums import (
        ReplicaKind as ReplicaKind,
    )
    from .enums import (
        ReplicaState as ReplicaState,
    )
    from .enums import (
        Severity as Severity,
    )
    from .job import (
        ErrorInfo as ErrorInfo,
    )
    from .job import (
        Job as Job,
    )
    from .nas import (
        EXPORT_OPTION_FIELDS as EXPORT_OPTION_FIELDS,
    )
    from .nas import (
        ExportClient as ExportClient,
    )
    from .nas import (
        ExportOptions as ExportOptions,
    )
    from .nas import (
        FileSystem as FileSystem,
    )
    from .nas import (
        FsSnapshot as FsSnapshot,
    )
    from .nas import (
        NfsExport as NfsExport,
    )
    from .nas import (
        Squash as Squash,
    )
    from .state import (
        State as State,
    )
    from .stats import (
        Counters as Counters,
    )
    from .stats import (
        Statistics as Statistics,
    )
    from .system import (
        Disk as Disk,
    )
    from .system import (
        System as System,
    )
    from .system import (
        TargetPort as TargetPort,
    )

_NAMES_BY_MODULE = {
    "storplan.identifiers": ("InitiatorKind",),
    "storplan.size": ("Size",),
    "storplan.model.base": ("Condition", "spec_fields", "spec_of", "status_field", "to_dict"),
    "storplan.model.block": (
        "AccessGroup",
        "ChapCredentials",
        "Initiator",
        "Mapping",
        "Pool",
        "Replica",
        "Snapshot",
        "Volume",
    ),
    "storplan.model.capabilities": ("Capabilities", "Limits", "ProviderVersion"),
    "storplan.model.enums": (
        "NFS_SECURITY_FLAVOURS",
        "Access",
        "Capability",
        "DiskKind",
        "ElementType",
        "Provisioning",
        "Health",
        "JobState",
        "Kind",
        "LinkState",
        "ReplicaKind",
        "ReplicaState",
        "Severity",
    ),
    "storplan.model.nas": (
        "EXPORT_OPTION_FIELDS",
        "ExportClient",
        "ExportOptions",
        "FileSystem",
        "FsSnapshot",
        "NfsExport",
        "Squash",
    ),
    "storplan.model.job": ("ErrorInfo", "Job"),
    "storplan.model.state": ("State",),
    "storplan.model.stats": ("Counters", "Statistics"),
    "storplan.model.system": ("Disk", "System", "TargetPort"),
}
_WHERE = {name: module for module, names in _NAMES_BY_MODULE.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'storplan.model' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
