"""The storplan model: one typed definition of every storage object.

All classes are frozen dataclasses; spec fields (managed by users) are kept apart from status
fields (reported by arrays) — see :mod:`storplan.model.base`.
"""

from __future__ import annotations

from ..identifiers import InitiatorKind
from ..size import Size
from .base import Condition, Health, spec_fields, spec_of, status_field, to_dict
from .block import (
    AccessGroup,
    ElementType,
    Initiator,
    Mapping,
    Pool,
    Replica,
    ReplicaKind,
    ReplicaState,
    Snapshot,
    Volume,
)
from .capabilities import Capabilities, Capability, Limits, ProviderVersion
from .file import NFS_SECURITY_FLAVOURS, Access, FileSystem, FsSnapshot, NfsExport
from .job import ErrorInfo, Job, JobState
from .state import Kind, State
from .system import Disk, DiskKind, LinkState, System, TargetPort

__all__ = [
    "NFS_SECURITY_FLAVOURS",
    "Access",
    "AccessGroup",
    "Capabilities",
    "Capability",
    "Condition",
    "Disk",
    "DiskKind",
    "ElementType",
    "ErrorInfo",
    "FileSystem",
    "FsSnapshot",
    "Health",
    "Initiator",
    "InitiatorKind",
    "Job",
    "JobState",
    "Kind",
    "Limits",
    "LinkState",
    "Mapping",
    "NfsExport",
    "Pool",
    "ProviderVersion",
    "Replica",
    "ReplicaKind",
    "ReplicaState",
    "Size",
    "Snapshot",
    "State",
    "System",
    "TargetPort",
    "Volume",
    "spec_fields",
    "spec_of",
    "status_field",
    "to_dict",
]
