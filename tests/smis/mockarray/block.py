"""Block Services methods: CreateOrModifyElementFromStoragePool, ReturnToStoragePool,
GetSupportedSizeRange."""

from __future__ import annotations

from typing import Any

from pywbem import NocaseDict

from .array import MIB, MockArray
from .repo import U32, U64, fail

__all__ = ["block_handlers", "pool_handlers"]

_THIN, _THICK, _GENERIC = 5, 7, 2


def _rounded(size: int) -> int:
    return -(-size // MIB) * MIB


def block_handlers(array: MockArray) -> dict[str, Any]:
    """Handlers of the StorageConfigurationService."""
    repo, f = array.repo, array.f

    def create_or_modify(_target: Any, p: NocaseDict) -> Any:
        if p.get("TheElement") is not None:
            return modify(p)
        pool, size, element_type = p.get("InPool"), p.get("Size"), p.get("ElementType")
        name = p.get("ElementName") or f"vol-{repo.next_id()}"
        if pool is None or size is None:
            return U32(5), {}
        size = _rounded(int(size))
        if size < MIB or size > f.max_volume_size:
            return U32(4097), {}
        types = array.element_types(pool)
        element_type = int(element_type if element_type is not None else _GENERIC)
        if element_type not in types:
            return U32(5), {}
        if f.unique_names and array.find_volume(name=name) is not None:
            return U32(32788), {}  # vendor code: ElementName in use
        thin = element_type == _THIN
        array.check_room(pool, size, thin)  # refuse at once, as arrays validate requests

        def action() -> tuple[dict[str, Any], list[Any]]:
            volume = array.new_volume(pool, name, size, thin)
            return {"TheElement": volume, "Size": U64(size)}, [volume]

        return array.respond("CreateOrModifyElementFromStoragePool", action)

    def modify(p: NocaseDict) -> Any:
        volume = repo.require(p["TheElement"], "the volume")
        new_name, new_size = p.get("ElementName"), p.get("Size")
        if new_name is not None and 5 not in f.element_features:
            return U32(1), {}
        if new_size is not None:
            new_size = _rounded(int(new_size))
            current = array.volume_size(volume)
            if new_size < current and 13 not in f.element_features:
                return U32(1), {}
            if new_size > current:
                allocation = array.pool_of(volume.path)
                array.check_room(
                    allocation["Antecedent"], new_size - current, bool(volume["ThinlyProvisioned"])
                )

        def action() -> tuple[dict[str, Any], list[Any]]:
            instance = repo.require(volume.path, "the volume")
            if new_name is not None:
                instance["ElementName"] = new_name
            if new_size is not None:
                instance["NumberOfBlocks"] = U64(new_size // 512)
                instance["ConsumableBlocks"] = U64(new_size // 512)
                if not instance["ThinlyProvisioned"]:
                    allocation = array.pool_of(volume.path)
                    allocation["SpaceConsumed"] = U64(new_size)
                    repo.put(allocation)
            repo.put(instance)
            array.recompute(array.pool_of(volume.path)["Antecedent"])
            return {"TheElement": volume.path, "Size": U64(array.volume_size(instance))}, [
                volume.path
            ]

        return array.respond("CreateOrModifyElementFromStoragePool", action)

    def return_to_pool(_target: Any, p: NocaseDict) -> Any:
        volume = repo.require(p.get("TheElement"), "the volume")
        if array.is_in_use(volume.path):
            return U32(6), {}

        def action() -> tuple[dict[str, Any], list[Any]]:
            reason = array.is_in_use(volume.path)
            if reason:
                raise fail(reason)
            array.remove_volume(volume.path)
            return {}, []

        return array.respond("ReturnToStoragePool", action)

    return {
        "CreateOrModifyElementFromStoragePool": create_or_modify,
        "ReturnToStoragePool": return_to_pool,
    }


def pool_handlers(array: MockArray) -> dict[str, Any]:
    """Handlers of the StoragePool class (GetSupportedSizeRange)."""

    def size_range(_target: Any, p: NocaseDict) -> Any:
        if int(p.get("ElementType") or 0) not in (3, 5):
            return U32(3), {}
        return U32(0), {
            "MinimumVolumeSize": U64(MIB),
            "MaximumVolumeSize": U64(array.f.max_volume_size),
            "VolumeSizeDivisor": U64(MIB),
        }

    return {"GetSupportedSizeRange": size_range}
