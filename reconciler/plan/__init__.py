"""Planning: diff a manifest against live state into an ordered, typed, risk-rated plan.

``make_plan(manifest, connector, owned)`` returns a :class:`Plan` (or raises
:class:`PlanError` listing why the manifest cannot be reached); render it with
:func:`plan_lines` / :func:`render_markdown`, save it with ``Plan.to_json``.
"""

from __future__ import annotations

from .actions import Action, Change, Risk
from .builder import Ownership, Problem
from .checks import Consent
from .document import FORMAT_VERSION, ArrayRecord, Plan
from .planner import PlanError, ReadOnlyProvider, array_key, make_plan
from .render import plan_lines, render_markdown, summary_line

__all__ = [
    "FORMAT_VERSION",
    "Action",
    "ArrayRecord",
    "Change",
    "Consent",
    "Ownership",
    "Plan",
    "PlanError",
    "Problem",
    "ReadOnlyProvider",
    "Risk",
    "array_key",
    "make_plan",
    "plan_lines",
    "render_markdown",
    "summary_line",
]
