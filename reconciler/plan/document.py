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

from ..errors import InvalidArgument, PlanError, StorplanError
from .actions import Action
from .builder import Problem

__all__ = ["FORMAT_VERSION", "STAGES", "ArrayFailure", "ArrayRecord", "Plan"]

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


STAGES = ("connect", "lock", "observe", "validate", "plan", "preflight", "judge", "consent")
"""Where an array's planning can fail, in the order they come."""


@dataclass(frozen=True, slots=True)
class ArrayFailure:
    """An array entry that could not be planned: at which stage, and every problem found.
    The other arrays are planned (and applied) without it."""

    name: str
    provider: str
    stage: str
    problems: tuple[Problem, ...]
    error: StorplanError | None = field(default=None, compare=False, repr=False)
    """The error itself (in this process; a saved plan has only its problems)."""

    @classmethod
    def of(
        cls, name: str, provider: str, stage: str, error: StorplanError, where: str = ""
    ) -> ArrayFailure:
        """The failure an error makes (a plan error brings its own problems and positions)."""
        if isinstance(error, PlanError):
            problems = tuple(error.problems)
        else:
            problems = (Problem(name, error.message, error.hint, where, error.code),)
        return cls(name, provider, stage, problems, error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "stage": self.stage,
            "problems": [p.to_dict() for p in self.problems],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArrayFailure:
        problems = tuple(Problem.from_dict(p) for p in data["problems"])
        return cls(str(data["name"]), str(data["provider"]), str(data["stage"]), problems)


@dataclass(frozen=True, slots=True)
class Plan:
    """A complete, ordered change plan for every array of a manifest."""

    manifest: str
    arrays: tuple[ArrayRecord, ...]
    actions: tuple[Action, ...]
    failed: tuple[ArrayFailure, ...] = ()
    """Array entries that could not be planned (the plan covers the others)."""
    consent: dict[str, bool] = field(default_factory=dict)
    source: dict[str, Any] | None = field(default=None, compare=False, repr=False)
    """The document as it was read, when the plan comes from a file (its MAC covers it)."""
    targets: tuple[str, ...] = ()
    """The addresses a targeted plan covers (``--target``, ``--array``); empty: everything."""
    outside: tuple[str, ...] = ()
    """Addresses the manifest declares that a targeted plan does not cover."""

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    @property
    def blocked(self) -> list[Action]:
        return [a for a in self.actions if a.blocked]

    @property
    def problems(self) -> list[Problem]:
        """Every problem of the arrays that could not be planned."""
        return [p for failure in self.failed for p in failure.problems]

    def array_status(self) -> list[dict[str, Any]]:
        """Per array entry: ``changes`` (with its summary), ``no changes`` or ``failed`` (with
        the stage), planned arrays first, in plan order."""
        counts = Counter(a.array for a in self.actions)
        status: list[dict[str, Any]] = [
            {
                "name": r.name,
                "status": "changes" if counts[r.name] else "no changes",
                "actions": counts[r.name],
            }
            for r in self.arrays
        ]
        return status + [
            {"name": f.name, "status": "failed", "stage": f.stage, "actions": 0}
            for f in self.failed
        ]

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
        targeted = (
            {"targets": list(self.targets), "outside": list(self.outside)} if self.targets else {}
        )
        return {
            **targeted,
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
            "array_status": self.array_status(),
            "failed_arrays": [f.to_dict() for f in self.failed],
            "actions": [a.to_dict() for a in self.actions],
        }

    def digest(self) -> str:
        """A short digest of what the plan does (its action ids, in order): what a lock's
        holder row records, so that two runners can tell whether they apply the same plan."""
        import hashlib

        text = "\n".join(a.id for a in self.actions)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

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
            failed = tuple(ArrayFailure.from_dict(f) for f in data.get("failed_arrays", ()))
            targets = tuple(str(t) for t in data.get("targets", ()))
            outside = tuple(str(t) for t in data.get("outside", ()))
        except InvalidArgument:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InvalidArgument(
                f"the plan document is damaged: {exc!r}", hint="run storplan plan --out again"
            ) from None
        consent = dict(data.get("consent", {}))
        return cls(data["manifest"], arrays, actions, failed, consent, data, targets, outside)
