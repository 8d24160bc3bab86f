"""storplan ids for CIM objects, and the way back from an id to an instance path.

Ids are readable and stable: a kind prefix and the object's natural keys on the array,
``vol:<SystemName>:<DeviceID>``, ``pool:<InstanceID>``, ``host:<InstanceID>`` ...  They do not
contain class names, so resolving an id needs the instance path, which the :class:`Resolver`
remembers from everything the provider has read; an id it has not seen (one from a saved plan,
say) is found by listing the instance paths of its class once (one request, paged).
"""

from __future__ import annotations

from typing import Any

from storplan.errors import NotFound

from .cim import prop

__all__ = [
    "Resolver",
    "device_key",
    "job_id",
    "key_value",
    "object_id",
    "system_id_of",
    "system_id_of_system",
]

PREFIX_LABELS = {
    "sys": "system",
    "pool": "pool",
    "vol": "volume",
    "snap": "snapshot",
    "rep": "replica",
    "host": "access group",
    "disk": "disk",
    "job": "job",
}


def key_value(path: Any, name: str) -> str:
    """The value of one key of an instance path (key names are case-insensitive)."""
    for key, value in path.keybindings.items():
        if key.lower() == name.lower():
            return str(value)
    return ""


def system_id_of_system(path: Any) -> str:
    """The storplan id of a system from its instance path (its ``Name`` key)."""
    return f"sys:{key_value(path, 'Name')}"


def device_key(path: Any) -> str:
    """``SystemName:DeviceID`` of a logical device path (volumes, disks, SPCs)."""
    return f"{key_value(path, 'SystemName')}:{key_value(path, 'DeviceID')}"


def natural_key(prefix: str, path: Any) -> str:
    """The id part after the prefix, from the path's keys."""
    if prefix == "sys":
        return key_value(path, "Name")
    if prefix in ("vol", "snap", "rep", "disk") or key_value(path, "DeviceID"):
        return device_key(path)
    return key_value(path, "InstanceID")


def object_id(prefix: str, path: Any) -> str:
    """The storplan id of the object at ``path`` (``prefix`` names its kind)."""
    return f"{prefix}:{natural_key(prefix, path)}"


def job_id(path: Any) -> str:
    """The storplan id of a CIM_ConcreteJob."""
    return f"job:{key_value(path, 'InstanceID')}"


def system_id_of(instance_or_path: Any) -> str:
    """The system id of a device path (its ``SystemName`` key) or of a system instance."""
    path = getattr(instance_or_path, "path", instance_or_path)
    name = key_value(path, "SystemName") or prop(instance_or_path, "SystemName", "")
    return f"sys:{name}"


class Resolver:
    """Maps ids back to instance paths (see the module docstring)."""

    def __init__(self, client: Any, classes: dict[str, str]) -> None:
        self.client = client
        self.classes = dict(classes)  # prefix -> CIM class that holds objects of that kind
        self._paths: dict[tuple[str, str], Any] = {}

    def remember(self, prefix: str, path: Any) -> str:
        """Record ``path`` and return its id."""
        natural = natural_key(prefix, path)
        self._paths[(self.classes.get(prefix, prefix), natural)] = path
        return f"{prefix}:{natural}"

    def forget(self, obj_id: str) -> None:
        """Drop a deleted object."""
        prefix, _, natural = obj_id.partition(":")
        self._paths.pop((self.classes.get(prefix, prefix), natural), None)

    def path(self, obj_id: str) -> Any:
        """The instance path behind ``obj_id``.

        Raises:
            NotFound: the id is malformed, of another provider, or names nothing on the array.
        """
        prefix, _, natural = obj_id.partition(":") if isinstance(obj_id, str) else ("", "", "")
        label = PREFIX_LABELS.get(prefix, "object")
        classname = self.classes.get(prefix)
        if classname is None or not natural:
            raise NotFound(
                f"{obj_id!r} is not an id of this smis provider",
                hint="ids look like vol:<system>:<device id>; list them with storplan show",
            )
        found = self._paths.get((classname, natural))
        if found is None:  # not seen by this connection: list the class once (paged)
            for path in self.client.enumerate_paths(classname):
                self._paths.setdefault((classname, natural_key(prefix, path)), path)
            found = self._paths.get((classname, natural))
        if found is None:
            raise NotFound(f"{label} {obj_id} does not exist")
        return found
