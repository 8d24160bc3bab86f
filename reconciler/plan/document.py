"""The plan as a value: what it contains, its JSON document, and its summary.

A plan is deterministic (no timestamps, sorted keys, actions in a fixed order), so the same
manifest against the same live state gives a byte-identical document.  Secrets never appear:
credentials and CHAP secrets are kept as references (``{"env": "NAME"}``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidArgument
from .actions import Action
from .builder import Problem

__all__ = ["FORMAT_VERSION", "ArrayRecord", "Plan"]

FORMAT_VERSION = 2
"""Plan documents this storplan writes and reads (1: before identities and MACs)."""


@dataclass(frozen=True, slots=True)
class ArrayRecord:
    """One array as the plan saw it."""

    name: str
    provider: str
    credentials: dict[str, Any] | None
    system_id: str
    system_name: str
    fingerprints: dict[str, str] = field(default_factory=dict)
    protected: tuple[str, ...] = ()  # keys the manifest protects (recorded on apply)
    identity: str = ""  # the array's own identity (Provider.identity()), what locks key on

    @property
    def array_key(self) -> str:
        """What ownership and protection are keyed by: identity and system."""
        return f"{self.identity}#{self.system_id}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A complete, ordered change plan for every array of a manifest."""

    manifest: str
    arrays: tuple[ArrayRecord, ...]
    actions: tuple[Action, ...]
    problems: tuple[Problem, ...] = ()
    consent: dict[str, bool] = field(default_factory=dict)
    source: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """The document as it was read, when the plan comes from a file (its MAC covers it)."""

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def blocked(self) -> list[Action]:
        return [a for a in self.actions if a.blocked]

    def summary(self) -> dict[str, int]:
        """Counts by verb, plus how many actions are disruptive, destructive and blocked."""
        verbs = Counter(a.verb for a in self.actions)
        risks = Counter(a.risk.value for a in self.actions)
        return {
            "create": verbs["create"],
            "update": verbs["update"],
            "delete": verbs["delete"],
            "disruptive": risks["disruptive"],
            "destructive": risks["destructive"],
            "blocked": len(self.blocked),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "manifest": self.manifest,
            "consent": self.consent,
            "arrays": [
                {
                    "name": a.name,
                    "provider": a.provider,
                    "credentials": a.credentials,
                    "system_id": a.system_id,
                    "system_name": a.system_name,
                    "fingerprints": a.fingerprints,
                    "protected": list(a.protected),
                    "identity": a.identity,
                }
                for a in self.arrays
            ],
            "summary": self.summary(),
            "problems": [
                {"array": p.array, "message": p.message, "hint": p.hint} for p in self.problems
            ],
            "actions": [a.to_dict() for a in self.actions],
        }

    def to_json(self, key: bytes | None = None) -> str:
        """The plan document; with the state store's ``key`` it is signed (a MAC)."""
        from .signing import sign

        document = self.to_dict() if key is None else sign(self.to_dict(), key)
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    def signed_by(self, key: bytes | None) -> bool:
        """True if this plan was read from a document whose MAC matches ``key``."""
        from .signing import verify

        return self.source is not None and verify(self.source, key)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a saved plan.

        Raises:
            InvalidArgument: not a plan document, or a format version this storplan can't read.
        """
        try:
            data = json.loads(text)
            version = data.get("format_version")
        except (ValueError, AttributeError):
            raise InvalidArgument(
                "the file is not a storplan plan (not JSON)",
                hint="save plans with storplan plan --out plan.json",
            ) from None
        if version != FORMAT_VERSION:
            raise InvalidArgument(
                f"plan format_version {version!r} is not supported",
                hint=f"this storplan reads format_version {FORMAT_VERSION}: run storplan plan "
                "--out again",
            )
        try:
            arrays = tuple(
                ArrayRecord(
                    a["name"],
                    a["provider"],
                    a["credentials"],
                    a["system_id"],
                    a["system_name"],
                    dict(a["fingerprints"]),
                    tuple(a.get("protected", ())),
                    str(a["identity"]),
                )
                for a in data["arrays"]
            )
            actions = tuple(Action.from_dict(a) for a in data["actions"])
            problems = tuple(
                Problem(p["array"], p["message"], p.get("hint", ""))
                for p in data.get("problems", ())
            )
        except InvalidArgument:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidArgument(
                f"the plan document is damaged: {exc!r}", hint="run storplan plan --out again"
            ) from None
        return cls(data["manifest"], arrays, actions, problems, dict(data.get("consent", {})), data)
