"""Showing a plan to people: terminal text (Terraform-like ``+ ~ -``) and Markdown.

Actions are grouped by array, in execution order.  Each line shows the marker, the kind and
target, then the changed fields as ``before → after``; destructive and disruptive actions are
labelled (and coloured on a terminal), blocked ones say why.  A summary line ends the plan.
"""

from __future__ import annotations

from typing import Any

from .actions import Action, Risk
from .document import ArrayFailure, Plan

__all__ = ["plan_lines", "render_markdown", "summary_line"]


_SQUASH = {"root": "root_squash", "all": "all_squash", "none": "no_root_squash"}


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict) and "match" in value:  # an export client rule, as exports(5)
        return f"{value['match']}({value['access']},{_SQUASH[value['squash']]})"
    return str(value)


def _changes(action: Action) -> list[str]:
    lines = []
    for change in action.changes:
        if action.verb == "create":
            lines.append(f"{change.field} = {_value(change.after)}")
        elif action.verb == "delete":
            continue
        else:
            lines.append(f"{change.field}: {_value(change.before)} → {_value(change.after)}")
    return lines


def summary_line(plan: Plan) -> str:
    s = plan.summary()
    failed = ""
    if plan.failed:
        names = ", ".join(f.name for f in plan.failed)
        failed = f" {len(plan.failed)} array(s) could not be planned: {names}."
    if not plan.has_changes:
        if plan.failed:
            return f"No changes in the {len(plan.arrays)} array(s) planned.{failed}"
        return "No changes. The arrays match the manifest."
    text = (
        f"Plan: {s['create']} to create, {s['update']} to change, {s['delete']} to "
        f"delete ({s['disruptive']} disruptive, {s['destructive']} destructive)"
    )
    if s["blocked"]:
        text += f"; {s['blocked']} blocked"
    return text + "." + failed


def _failure_lines(failure: ArrayFailure) -> list[str]:
    first = failure.problems[0].message if failure.problems else "(no detail)"
    more = f" (and {len(failure.problems) - 1} more)" if len(failure.problems) > 1 else ""
    return [
        f"array {failure.name} ({failure.provider}): NOT PLANNED ({failure.stage})",
        first + more,
    ]


def _target_lines(plan: Plan) -> list[str]:
    """What a targeted plan covers, and what it leaves out."""
    if not plan.targets:
        return []
    lines = ["targeted plan: " + ", ".join(plan.targets)]
    if plan.outside:
        lines.append("not planned (outside the target): " + ", ".join(plan.outside))
    return lines


def plan_lines(plan: Plan) -> list[tuple[str, str]]:
    """(style, text) lines for a terminal; style is a rich style name or ''."""
    lines: list[tuple[str, str]] = []
    by_array: dict[str, list[Action]] = {}
    for action in plan.actions:
        by_array.setdefault(action.array, []).append(action)
    for record in plan.arrays:
        actions = by_array.get(record.name, [])
        lines.append(
            (
                "bold",
                f"array {record.name} ({record.system_name} via "
                f"{record.provider}): {len(actions) or 'no'} change(s)",
            )
        )
        for action in actions:
            style = {"create": "green", "update": "yellow", "delete": "red"}[action.verb]
            label = "" if action.risk is Risk.SAFE else f"  [{action.risk.value}]"
            if action.risk is Risk.DESTRUCTIVE:
                style = "bold red"
            lines.append((style, f"  {action.symbol} {action.kind} {action.target}{label}"))
            lines += [("", f"      {line}") for line in _changes(action)]
            lines += [("dim", f"      note: {note}") for note in action.notes]
            if action.blocked:
                lines.append(("bold magenta", f"      BLOCKED: {action.blocked}"))
    for failure in plan.failed:
        head, detail = _failure_lines(failure)
        lines += [("bold red", head), ("red", f"  {detail}")]
    lines += [("dim", line) for line in _target_lines(plan)]
    lines.append(("bold", summary_line(plan)))
    return lines


def render_markdown(plan: Plan) -> str:
    """The plan as Markdown, for a pull-request comment."""
    out = [f"### storplan plan: {plan.manifest}", "", f"**{summary_line(plan)}**", ""]
    by_array: dict[str, list[Action]] = {}
    for action in plan.actions:
        by_array.setdefault(action.array, []).append(action)
    for record in plan.arrays:
        actions = by_array.get(record.name, [])
        out.append(f"#### array `{record.name}` ({record.system_name})")
        if not actions:
            out += ["", "No changes.", ""]
            continue
        out += ["", "| | object | change | risk |", "|---|---|---|---|"]
        for action in actions:
            detail = "; ".join(_changes(action)) or action.operation.replace("_", " ")
            if action.blocked:
                detail += f" — **blocked**: {action.blocked}"
            risk = action.risk.value if action.risk is Risk.SAFE else f"**{action.risk.value}**"
            target = action.target.replace("|", "\\|")
            detail = detail.replace("|", "\\|")
            out.append(f"| `{action.symbol}` | {action.kind} `{target}` | {detail} | {risk} |")
        out.append("")
    for failure in plan.failed:
        head, detail = _failure_lines(failure)
        out += [f"#### {head}", "", detail.replace("|", "\\|"), ""]
    targeted = _target_lines(plan)
    out += [*(f"- {line}" for line in targeted), ""] if targeted else []
    return "\n".join(out) + "\n"
