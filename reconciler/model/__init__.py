"""The storplan model: one typed definition of every storage object.

All classes are frozen dataclasses; spec fields (managed by users) are kept apart from status
fields (reported by arrays) — see :mod:`storplan.model.base`.  Names are loaded lazily (PEP 562):
``storplan show systems`` should not pay for defining every class it does not use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..identifiers import InitiatorKind
    from ..size import Size
    from .base import Condition, spec_fields, spec_of, status_field, to_dict
    from .block import AccessGroup, Initiator, Mapping, Pool, Replica, Snapshot, Volume
    from .capabilities import Capabilities, Limits, ProviderVersion
    from .enums import (
        NFS_SECURITY_FLAVOURS,
        Access,
        DiskKind,
        ElementType,
        Health,
        JobState,
        Kind,
        LinkState,
        ReplicaKind,
        ReplicaState,
    )
    from .file import FileSystem, FsSnapshot, NfsExport
    from .job import ErrorInfo, Job
    from .state import State
    from .system import Disk, System, TargetPort

_NAMES_BY_MODULE = {
    "storplan.identifiers": ("InitiatorKind",),
    "storplan.size": ("Size",),
    "storplan.model.base": ("Condition", "spec_fields", "spec_of", "status_field", "to_dict"),
    "storplan.model.block": (
        "AccessGroup",
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
        "Health",
        "JobState",
        "Kind",
        "LinkState",
        "ReplicaKind",
        "ReplicaState",
    ),
    "storplan.model.file": ("FileSystem", "FsSnapshot", "NfsExport"),
    "storplan.model.job": ("ErrorInfo", "Job"),
    "storplan.model.state": ("State",),
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
