"""The export model this provider translates, until ``storplan.model.nas`` lands on main.

The names and fields are the ones the core will define (``Squash``, ``ExportClient``,
``ExportOptions``); when the core module exists this file becomes a re-export of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storplan.model.enums import Access

__all__ = ["ExportClient", "ExportOptions", "Squash"]


class Squash(StrEnum):
    """Which users a client's requests are mapped to the anonymous ids for."""

    ROOT = "root"  # root_squash
    ALL = "all"  # all_squash
    NONE = "none"  # no_root_squash


@dataclass(frozen=True, slots=True, order=True)
class ExportClient:
    """One client rule: who (``match``), and with which access and squashing."""

    match: str
    access: Access = Access.RW
    squash: Squash = Squash.ROOT


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportOptions:
    """What an export allows; ``clients`` sorted by match, matches unique."""

    clients: tuple[ExportClient, ...] = (ExportClient("*"),)
    anon_uid: int | None = None
    anon_gid: int | None = None
    security: tuple[str, ...] = ("sys",)
    sync: bool = True
    nfs_versions: tuple[str, ...] = ()
