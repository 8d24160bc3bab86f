"""Manifests: the desired-state language (``apiVersion: storplan.io/v1``).

``load_manifest(paths)`` returns a validated :class:`Manifest` or raises
:class:`ManifestError` listing every problem with file:line:column, a stable code and a hint;
``validate(paths)`` returns the diagnostics instead of raising.  See docs/manifests.md.
"""

from __future__ import annotations

from .diagnostics import Diagnostic, ManifestError, Mark
from .dump import dump_manifest
from .loader import API_VERSION, KIND, Validation, load_manifest, validate
from .spec import (
    ArraySpec,
    ChapSpec,
    ExportSpec,
    FileSystemSpec,
    HostSpec,
    InitiatorSpec,
    Manifest,
    MappingSpec,
    PoolSpec,
    ReplicaSpec,
    SecretRef,
    SnapshotSpec,
    VolumeSpec,
)

__all__ = [
    "API_VERSION",
    "KIND",
    "ArraySpec",
    "ChapSpec",
    "Diagnostic",
    "ExportSpec",
    "FileSystemSpec",
    "HostSpec",
    "InitiatorSpec",
    "Manifest",
    "ManifestError",
    "MappingSpec",
    "Mark",
    "PoolSpec",
    "ReplicaSpec",
    "SecretRef",
    "SnapshotSpec",
    "Validation",
    "VolumeSpec",
    "dump_manifest",
    "load_manifest",
    "validate",
]
