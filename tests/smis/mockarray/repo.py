"""Small helpers over the pywbem_mock instance store: create, read, link, unlink.

The method providers change the mock array only through these, so every change is a real
change of CIM instances that the provider under test then reads back over WBEM.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from pywbem import CIMError, CIMInstance, CIMInstanceName, CIMProperty, Uint16, Uint32, Uint64

from .flavours import Flavour

__all__ = ["U16", "U32", "U64", "Repo", "fail", "key"]

U16, U32, U64 = Uint16, Uint32, Uint64


def fail(message: str, status: int = 1) -> CIMError:
    """A CIM_ERR_FAILED (or ``status``) error with a description, as arrays raise them."""
    return CIMError(status, message)


def key(path: Any) -> tuple[Any, ...]:
    """A path's identity (keys only, case-insensitive names), like the provider's pkey."""
    items = []
    for name, value in path.keybindings.items():
        if isinstance(value, CIMInstanceName):
            value = key(value)
        items.append((name.lower(), value if isinstance(value, tuple) else str(value)))
    return tuple(sorted(items))


class Repo:
    """The mock array's instances in one vendor namespace (plus its interop namespace)."""

    def __init__(self, conn: Any, flavour: Flavour) -> None:
        self.conn = conn
        self.f = flavour
        self.ns = flavour.namespace
        self._ids = itertools.count(1)
        self.system = self.path(
            flavour.cls("CIM_StorageSystem"),
            CreationClassName=flavour.cls("CIM_StorageSystem"),
            Name=flavour.system_name,
        )

    def next_id(self) -> int:
        """A fresh number for DeviceIDs and InstanceIDs."""
        return next(self._ids)

    def store(self, namespace: str | None = None) -> Any:
        return self.conn.cimrepository.get_instance_store(namespace or self.ns)

    def path(self, classname: str, namespace: str | None = None, **keys: Any) -> CIMInstanceName:
        """An instance path in this array's namespace."""
        return CIMInstanceName(classname, keybindings=keys, namespace=namespace or self.ns)

    def device_path(self, base: str, device_id: str) -> CIMInstanceName:
        """The path of a logical device of the array's system."""
        return self.path(
            self.f.cls(base),
            SystemCreationClassName=self.f.cls("CIM_StorageSystem"),
            SystemName=self.f.system_name,
            CreationClassName=self.f.cls(base),
            DeviceID=device_id,
        )

    def norm(self, path: CIMInstanceName) -> CIMInstanceName:
        """A path as the store keys it (our namespace, no host)."""
        copy = path.copy()
        copy.host = None
        copy.namespace = copy.namespace or self.ns
        return copy

    # ------------------------------------------------------------------ instances
    def add(self, path: CIMInstanceName, **props: Any) -> CIMInstanceName:
        """Create an instance (its key properties come from ``path``)."""
        values: dict[str, Any] = dict(path.keybindings)
        for name, value in props.items():  # an empty array carries no type: these are uint16
            values[name] = (
                CIMProperty(name, [], type="uint16", is_array=True) if value == [] else (value)
            )
        instance = CIMInstance(path.classname, properties=values, path=path)
        self.store(path.namespace).create(path, instance)
        return path

    def get(self, path: CIMInstanceName) -> CIMInstance | None:
        """A copy of the instance, or ``None``."""
        store = self.store(path.namespace or self.ns)
        normal = self.norm(path)
        return store.get(normal) if store.object_exists(normal) else None

    def peek(self, path: CIMInstanceName) -> CIMInstance | None:
        """The stored instance itself (read-only use: no copy), or ``None``."""
        store = self.store(path.namespace or self.ns)
        normal = self.norm(path)
        return store.get(normal, copy=False) if store.object_exists(normal) else None

    def require(self, path: Any, what: str) -> CIMInstance:
        """The instance, or CIM_ERR_NOT_FOUND."""
        found = self.get(path) if isinstance(path, CIMInstanceName) else None
        if found is None:
            raise CIMError(6, f"{what} does not exist")
        return found

    def put(self, instance: CIMInstance) -> None:
        """Store a modified instance."""
        self.store(instance.path.namespace).update(self.norm(instance.path), instance)

    def delete(self, path: CIMInstanceName) -> None:
        """Delete an instance if it exists."""
        store = self.store(path.namespace or self.ns)
        normal = self.norm(path)
        if store.object_exists(normal):
            store.delete(normal)

    def each(self, *bases: str) -> Iterator[CIMInstance]:
        """Instances (not copies: do not modify) of the vendor classes for ``bases``."""
        wanted = {self.f.cls(b).lower() for b in bases} | {b.lower() for b in bases}
        for instance in self.store().iter_values(copy=False):
            if instance.classname.lower() in wanted:
                yield instance

    # ------------------------------------------------------------------ associations
    def link(self, assoc: str, props: dict[str, Any] | None = None, **refs: Any) -> None:
        """Create an association instance between ``refs`` (role name -> path)."""
        normal = {role: self.norm(path) for role, path in refs.items()}
        self.add(self.path(assoc, **normal), **(props or {}))

    def links(self, assoc: str, **match: Any) -> list[CIMInstance]:
        """Association instances of ``assoc`` whose given roles point at the given paths."""
        wanted = {role: key(path) for role, path in match.items()}
        found = []
        for instance in self.each(assoc):
            if all(key(instance[role]) == k for role, k in wanted.items()):
                found.append(instance)
        return found

    def unlink(self, assoc: str, **match: Any) -> int:
        """Delete the matching association instances; returns how many."""
        found = self.links(assoc, **match)
        for instance in found:
            self.delete(instance.path)
        return len(found)

    def others(self, assoc: str, role: str, path: Any, other: str) -> list[CIMInstanceName]:
        """Paths at the ``other`` end of ``assoc`` instances whose ``role`` is ``path``."""
        return [link[other] for link in self.links(assoc, **{role: path})]
