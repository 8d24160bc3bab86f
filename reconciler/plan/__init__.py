"""Planning: diff a manifest against live state into an ordered, typed, risk-rated plan.

``make_plan(manifest, connector, memory)`` returns a :class:`Plan` (or raises
:class:`PlanError` listing why the manifest cannot be reached); render it with
:func:`plan_lines` / :func:`render_markdown`, save it with ``Plan.to_json``.
"""

from __future__ import annotations

from .actions import Action, Change, Risk
from .builder import Ownership, Problem
from .checks import Consent
from .document import FORMAT_VERSION, ArrayRecord, Plan
from .memory import EMPTY, Memory, StoreMemory
from .planner import PlanError, ReadOnlyProvider, array_key, make_plan, plan_sessions
from .render import plan_lines, render_markdown, summary_line

__all__ = [
    "EMPTY",
    "FORMAT_VERSION",
    "Action",
    "ArrayRecord",
    "Change",
    "Consent",
    "Memory",
    "Ownership",
    "Plan",
    "PlanError",
    "Problem",
    "ReadOnlyProvider",
    "Risk",
    "StoreMemory",
    "array_key",
    "make_plan",
    "plan_lines",
    "plan_sessions",
    "render_markdown",
    "summary_line",
]
