"""The mock array's shared state and rules: volumes, pools, capacity, method plumbing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pywbem import CIMError, NocaseDict
from pywbem_mock import MethodProvider

from .flavours import Flavour
from .hardware import VOLUME, add_statistics, remove_statistics
from .repo import U16, U32, U64, Repo, fail, key
from .server import JobRunner

__all__ = ["MIB", "Methods", "MockArray"]

MIB = 1 << 20
Handler = Callable[[Any, NocaseDict], tuple[Any, dict[str, Any]]]


class MockArray:
    """One simulated SMI-S array: its repository, jobs and the rules every method shares."""

    def __init__(self, conn: Any, flavour: Flavour) -> None:
        self.conn = conn
        self.f = flavour
        self.repo = Repo(conn, flavour)
        self.jobs = JobRunner(self.repo, flavour.job_polls)
        self.pools: dict[str, Any] = {}  # name -> pool path
        self.delta_pool: Any = None
        self.primordial_pool: Any = None
        self.method_calls: list[str] = []

    # ------------------------------------------------------------------ method plumbing
    def respond(self, method: str, action: Callable[[], tuple[dict[str, Any], list[Any]]]) -> Any:
        """Run ``action`` now (return 0) or as a job (return 4096 and the job)."""
        self.method_calls.append(method)
        if method in self.f.async_methods:
            return U32(4096), {"Job": self.jobs.start(method, action)}
        failing, self.jobs.fail_next = self.jobs.fail_next, None
        if failing is not None:
            raise CIMError(1, failing)
        out, _ = action()
        return U32(0), out

    # ------------------------------------------------------------------ volumes
    def vpd83(self, number: int) -> str:
        """A unique NAA 6 identifier (32 hex digits)."""
        oui = "60000A0B" if self.f.prefix == "ACME" else "6000B017"
        return f"{oui}{self.f.prefix.encode().hex()[:8].upper()}{number:016X}"

    def volume_props(self, number: int, name: str, size: int, thin: bool) -> dict[str, Any]:
        """Properties of a new volume, with the VPD83 id where this vendor keeps it."""
        props: dict[str, Any] = {
            "ElementName": name,
            "BlockSize": U64(512),
            "NumberOfBlocks": U64(size // 512),
            "ConsumableBlocks": U64(size // 512),
            "ThinlyProvisioned": thin,
            "OperationalStatus": [U16(2)],
            "Usage": U16(2),
            "Primordial": False,
        }
        naa = self.vpd83(number)
        if self.f.vpd83_in_name:
            props.update(Name=naa, NameFormat=U16(9), NameNamespace=U16(2))
        else:
            props.update(
                Name=f"{self.f.prefix}-LUN-{number:05X}",
                NameFormat=U16(1),
                OtherIdentifyingInfo=[f"SN{number:08d}", naa],
                IdentifyingDescriptions=["Serial Number", "NAA;VPD83Type3"],
            )
        return props

    def new_volume(self, pool: Any, name: str, size: int, thin: bool, **extra: Any) -> Any:
        """Create a volume and its allocation from ``pool`` (capacity is checked first)."""
        self.check_room(pool, size, thin)
        number = self.repo.next_id()
        path = self.repo.device_path("CIM_StorageVolume", f"{number:05X}")
        props = self.volume_props(number, name, size, thin)
        props.update(extra)
        self.repo.add(path, **props)
        consumed = 0 if thin else size
        self.repo.link(
            "CIM_AllocatedFromStoragePool",
            {"SpaceConsumed": U64(consumed)},
            Antecedent=pool,
            Dependent=path,
        )
        self.recompute(pool)
        add_statistics(self, path, VOLUME)
        return path

    def volume_size(self, instance: Any) -> int:
        return int(instance["BlockSize"]) * int(instance["NumberOfBlocks"])

    def pool_of(self, volume: Any) -> Any:
        links = self.repo.links("CIM_AllocatedFromStoragePool", Dependent=volume)
        if not links:
            raise fail("the volume has no pool")
        return links[0]

    def find_volume(self, *, name: str | None = None, lu_name: str | None = None) -> Any:
        for instance in self.repo.each("CIM_StorageVolume"):
            if name is not None and instance["ElementName"] == name:
                return instance
            if lu_name is not None and instance["Name"] == lu_name:
                return instance
        return None

    def remove_volume(self, path: Any) -> None:
        allocation = self.pool_of(path)
        pool = allocation["Antecedent"]
        self.repo.delete(allocation.path)
        self.repo.unlink("CIM_AffectedJobElement", AffectedElement=path)
        remove_statistics(self, path)
        self.repo.delete(path)
        self.recompute(pool)

    # ------------------------------------------------------------------ capacity
    def pool_usage(self, pool: Any) -> tuple[int, int]:
        """(space consumed, space subscribed) of a pool."""
        consumed = subscribed = 0
        for link in self.repo.links("CIM_AllocatedFromStoragePool", Antecedent=pool):
            volume = self.repo.peek(link["Dependent"])
            consumed += int(link["SpaceConsumed"] or 0)
            subscribed += self.volume_size(volume) if volume is not None else 0
        return consumed, subscribed

    def recompute(self, pool: Any) -> None:
        instance = self.repo.get(pool)
        consumed, _ = self.pool_usage(pool)
        instance["RemainingManagedSpace"] = U64(
            max(0, int(instance["TotalManagedSpace"]) - consumed)
        )
        self.repo.put(instance)

    def check_room(self, pool: Any, size: int, thin: bool) -> None:
        """CIM_ERR_FAILED with the reason when the pool cannot take ``size`` more."""
        instance = self.repo.peek(pool)
        if instance is None:
            raise fail("the pool does not exist", 6)
        if thin:
            limit = instance.get("SpaceLimit")
            _, subscribed = self.pool_usage(pool)
            if limit is not None and subscribed + size > int(limit):
                raise fail(f"pool {instance['ElementName']}: subscription limit exceeded")
        elif size > int(instance["RemainingManagedSpace"]):
            raise fail(f"pool {instance['ElementName']}: not enough free space")

    def element_types(self, pool: Any) -> set[int]:
        caps = self.repo.others("CIM_ElementCapabilities", "ManagedElement", pool, "Capabilities")
        types: set[int] = set()
        for path in caps:
            instance = self.repo.peek(path)
            types |= {int(t) for t in instance["SupportedStorageElementTypes"] or []}
        return types

    def is_in_use(self, volume: Any) -> str | None:
        """Why a volume cannot be deleted, or ``None``."""
        if self.repo.links("CIM_ProtocolControllerForUnit", Dependent=volume):
            return "the volume is mapped"
        if self.repo.links("CIM_MemberOfCollection", Member=volume):
            return "the volume is in a device masking group"
        syncs = self.repo.links("CIM_StorageSynchronized", SystemElement=volume)
        syncs += self.repo.links("CIM_StorageSynchronized", SyncedElement=volume)
        if syncs:
            return "the volume is in a replication relationship"
        return None


class Methods(MethodProvider):
    """A MethodProvider dispatching extrinsic methods of some vendor classes to handlers."""

    provider_type = "method"

    def __init__(self, cimrepository: Any, classnames: list[str], handlers: dict[str, Handler]):
        super().__init__(cimrepository)
        self.provider_classnames = classnames
        self.handlers = {name.lower(): handler for name, handler in handlers.items()}

    def InvokeMethod(self, methodname: str, objectname: Any, params: Any) -> Any:
        handler = self.handlers.get(methodname.lower())
        if handler is None:
            raise CIMError(17, f"{methodname} is not implemented by this mock")
        values = NocaseDict({name: param.value for name, param in params.items()})
        return handler(objectname, values)


def same(one: Any, other: Any) -> bool:
    """Two paths name the same instance."""
    return key(one) == key(other)
