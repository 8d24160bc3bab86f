"""The condition catalogue: every condition code storplan knows, in one place.

A provider attaches :class:`~storplan.model.Condition` values to the objects it observes; the
code is one of these (or, for a problem only one provider knows, a code of its own, which
is shown as it is with the severity the provider gave, ``warning`` by default).  The
severity here is the default when the provider does not set one.  docs/monitoring.md is
checked against this table by a test, and the shipped alert rules cover every entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from storplan.model.enums import Severity

__all__ = ["CATALOGUE", "ConditionClass", "default_severity", "lookup"]


@dataclass(frozen=True, slots=True)
class ConditionClass:
    """One documented condition code: who reports it, how bad it is, what to do."""

    code: str
    severity: Severity
    kinds: tuple[str, ...]
    summary: str
    runbook: str
    progress: bool = False  # the condition carries a percentage and ends by itself


OK, W, C, U = Severity.OK, Severity.WARNING, Severity.CRITICAL, Severity.UNKNOWN

_ENTRIES = (
    ConditionClass(
        "disk.failed",
        C,
        ("disks",),
        "a disk failed",
        "Replace the disk; its pool runs degraded until the rebuild onto a spare completes.",
    ),
    ConditionClass(
        "disk.predictive_failure",
        W,
        ("disks",),
        "a disk predicts its own failure (SMART)",
        "Schedule a replacement before it fails; copy to a spare if the array can.",
    ),
    ConditionClass(
        "fan.failed",
        W,
        ("systems",),
        "a fan of the system failed",
        "Replace the fan module (component); watch enclosure temperatures meanwhile.",
    ),
    ConditionClass(
        "battery.failed",
        C,
        ("systems",),
        "a cache backup battery failed",
        "Replace the battery; until then the cache cannot protect writes from power loss "
        "and the array usually falls back to write-through (slower writes).",
    ),
    ConditionClass(
        "cache.write_through",
        W,
        ("systems",),
        "the write cache fell back to write-through",
        "Find the cause (battery, controller failover, cache module) and fix it; writes are "
        "slower until write-back returns.",
    ),
    ConditionClass(
        "raid.degraded",
        C,
        ("pools",),
        "a pool's RAID lost redundancy",
        "Replace the failed disk or add a spare; one more failure may lose data.",
    ),
    ConditionClass(
        "raid.rebuilding",
        W,
        ("pools",),
        "a pool's RAID is rebuilding",
        "Wait for the rebuild to finish (percent); avoid heavy maintenance meanwhile.",
        progress=True,
    ),
    ConditionClass(
        "port.down",
        C,
        ("target_ports",),
        "a target port's link is down",
        "Check the cable, the switch port and the SFP; hosts run on their other paths.",
    ),
    ConditionClass(
        "host.not_logged_in",
        W,
        ("access_groups",),
        "a host with mapped volumes has no session (component: the initiator)",
        "Check the host is up and its initiator logged in (iscsiadm -m session), then the "
        "network path and CHAP; unmap what the host no longer uses.",
    ),
    ConditionClass(
        "replication.broken",
        C,
        ("replicas",),
        "a remote replication stopped",
        "Check the replication link and the remote array, then resume or resynchronise "
        "the mirror; the remote copy is ageing meanwhile.",
    ),
    ConditionClass(
        "connection.failed",
        C,
        ("arrays",),
        "storplan cannot reach the array",
        "Check the array's management address, network and credentials; nothing else can "
        "be monitored until it answers.",
    ),
    ConditionClass(
        "observe.failed",
        U,
        ("arrays", "systems"),
        "part of the array could not be read",
        "Look at the message for the kind that failed; the rest was observed.",
    ),
    ConditionClass(
        "pool.capacity",
        W,
        ("pools",),
        "a pool is nearly full (used percent over threshold)",
        "Add capacity, move or delete volumes; a full thin pool stops writes to every "
        "thin volume in it.",
    ),
    ConditionClass(
        "pool.thin.data",
        W,
        ("pools",),
        "a thin pool's data space is nearly exhausted",
        "Extend the thin pool (lvextend) or free space; at 100 % writes fail.",
    ),
    ConditionClass(
        "pool.thin.metadata",
        W,
        ("pools",),
        "a thin pool's metadata is nearly exhausted",
        "Extend the metadata (lvextend --poolmetadatasize); exhausted metadata can make "
        "the pool read-only or corrupt it: act before 100 %.",
    ),
    ConditionClass(
        "pool.oversubscribed",
        W,
        ("pools",),
        "a thin pool promises more than the threshold ratio of its size",
        "Stop creating thin volumes in it or add capacity; watch its used percent.",
    ),
    ConditionClass(
        "volume.capacity",
        W,
        ("volumes",),
        "a volume is nearly full (used percent of size)",
        "Grow the volume or free space in the file system on it.",
    ),
    ConditionClass(
        "job.failed",
        W,
        ("jobs",),
        "a recent job on the array failed",
        "Read the job's error (`storplan show jobs`) and retry the operation.",
    ),
    # Codes the providers reported before this catalogue; kept stable.
    ConditionClass(
        "operational_status",
        W,
        ("systems", "pools", "disks", "volumes"),
        "an SMI-S OperationalStatus other than OK",
        "Read the status text; the array's management software tells more.",
    ),
    ConditionClass(
        "pool.unavailable",
        C,
        ("pools",),
        "a LIO pool's volume group or directory is missing",
        "Activate the volume group or mount the directory.",
    ),
    ConditionClass(
        "filesystem.not_mounted",
        C,
        ("filesystems",),
        "a file system is not mounted where it is exported from (kernel NFS server)",
        "Mount it (`mount <base>/<name>`, storplan's fstab block has the line) or re-apply; "
        "until then its exports serve an empty directory or nothing.",
    ),
    ConditionClass(
        "not_persistent",
        W,
        ("systems",),
        "NFS-Ganesha does not include storplan's exports",
        "Add the %include line the message names, so exports survive a restart.",
    ),
    ConditionClass(
        "unmanaged",
        OK,
        ("filesystems",),
        "a directory storplan did not create",
        "Import it or leave it alone; storplan will not change it.",
    ),
    ConditionClass(
        "subscription_limit",
        OK,
        ("pools",),
        "the array reports no over-subscription limit",
        "Nothing to do; thin capacity checks use the pool size only.",
    ),
    ConditionClass(
        "size_not_enforced",
        OK,
        ("filesystems",),
        "file system sizes are recorded, not enforced (NFS-Ganesha)",
        "Nothing to do unless quotas are needed; the message says why sizes are not enforced.",
    ),
    ConditionClass(
        "wwn_unknown",
        W,
        ("volumes",),
        "the array reports no SCSI NAA identifier",
        "Nothing to do in storplan; hosts may not find the volume by WWN.",
    ),
)

CATALOGUE: dict[str, ConditionClass] = {entry.code: entry for entry in _ENTRIES}
"""Every documented condition code."""


def lookup(code: str) -> ConditionClass | None:
    """The catalogue entry of ``code`` (``observe_volumes`` and the like: ``observe.failed``)."""
    if code.startswith("observe_"):
        return CATALOGUE["observe.failed"]
    return CATALOGUE.get(code)


def default_severity(code: str) -> Severity:
    """The severity of a condition whose provider set none."""
    entry = lookup(code)
    return Severity.WARNING if entry is None else entry.severity
