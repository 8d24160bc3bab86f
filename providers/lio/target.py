"""Changes to the LIO target through rtslib-fb (only ever while applying a change).

Every object is looked up with ``mode='lookup'`` or created with explicit creation arguments,
never through rtslib's "create if missing" default, so a typo cannot conjure a new object.
rtslib is imported here only: reading (``observe``) does not need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from storplan.errors import NotFound, ProviderError, Unsupported

if TYPE_CHECKING:
    from storplan.model.block import ChapCredentials

from .options import LioOptions

__all__ = ["LioTarget", "rtslib_errors"]


def _rtslib() -> Any:
    try:
        import rtslib_fb
    except ImportError:
        raise Unsupported(
            "rtslib-fb is not installed, so storplan cannot change the LIO target",
            hint="install python3-rtslib-fb (Debian) or `pip install storplan[lio]`",
            provider="lio",
        ) from None
    return rtslib_fb


@contextmanager
def rtslib_errors(what: str) -> Iterator[None]:
    """Turn rtslib's and the kernel's errors into :class:`ProviderError` naming ``what``."""
    rtslib = _rtslib()
    try:
        yield
    except (rtslib.RTSLibError, OSError) as exc:
        raise ProviderError(f"LIO refused to {what}: {exc}") from None


class LioTarget:
    """storplan's iSCSI target (TPG 1 of the configured IQN) and its backstores."""

    def __init__(self, options: LioOptions) -> None:
        self.options = options
        self.rts = _rtslib()
        self._tpg: Any = None

    # ------------------------------------------------------------------ the TPG
    def tpg(self) -> Any:
        """The TPG, created with storplan's settings on first use.

        Initiators only see what their node ACL maps (no generated ACLs, no demo mode);
        CHAP is enforced per ACL once a CHAP user is set.
        """
        if self._tpg is not None and self._tpg.exists:
            return self._tpg  # looked up (and set up) once, while it stays in configfs
        rts = self.rts
        with rtslib_errors("set up the iSCSI target"):
            fabric = rts.FabricModule("iscsi")
            target = rts.Target(fabric, self.options.target, mode="any")
            tpg = rts.TPG(target, 1, mode="any")
            if not tpg.enable:
                for attribute, value in (
                    ("generate_node_acls", "0"),
                    ("demo_mode_write_protect", "1"),
                    ("cache_dynamic_acls", "0"),
                    ("authentication", "0"),
                ):
                    tpg.set_attribute(attribute, value)
            present = {(p.ip_address, p.port) for p in tpg.network_portals}
            for address, port in self.options.portals:
                if (address, port) not in present:
                    rts.NetworkPortal(tpg, address, port, mode="create")
            tpg.enable = True
        self._tpg = tpg
        return tpg

    # ------------------------------------------------------------------ backstores and LUNs
    def export(
        self, name: str, plugin: str, path: str, size: int, serial: str, lun: int | None = None
    ) -> int:
        """Create the storage object ``name`` and its TPG LUN; returns the LUN number."""
        rts = self.rts
        tpg = self.tpg()
        with rtslib_errors(f"export {path} as {name}"):
            if plugin == "fileio":
                so = rts.FileIOStorageObject(name, dev=path, size=size, wwn=serial)
            else:
                so = rts.BlockStorageObject(name, dev=path, wwn=serial)
            try:
                return int(rts.LUN(tpg, lun=lun, storage_object=so).lun)
            except BaseException:
                so.delete()
                raise

    def unexport(self, name: str, plugin: str) -> None:
        """Delete the storage object ``name`` with its LUNs and their mapped LUNs."""
        rts = self.rts
        cls = rts.FileIOStorageObject if plugin == "fileio" else rts.BlockStorageObject
        with rtslib_errors(f"delete backstore {name}"):
            try:
                so = cls(name)
            except rts.RTSLibError:
                raise NotFound(f"backstore {plugin}/{name} does not exist") from None
            so.delete()

    # ------------------------------------------------------------------ ACLs
    def _acl(self, initiator: str) -> Any:
        rts = self.rts
        try:
            return rts.NodeACL(self.tpg(), initiator, mode="lookup")
        except rts.RTSLibError:
            raise NotFound(f"initiator {initiator} has no node ACL on this target") from None

    def members(self, group: str) -> list[Any]:
        """The node ACLs of host ``group``: those tagged ``group``, or the one untagged ACL of
        initiator ``group`` (how an ACL made outside storplan is observed)."""
        return [acl for acl in self.tpg().node_acls if (acl.tag or acl.node_wwn) == group]

    def add_acl(self, group: str, initiator: str) -> None:
        """A node ACL for ``initiator`` in ``group``, with the group's mapped LUNs."""
        rts = self.rts
        tpg = self.tpg()
        with rtslib_errors(f"add {initiator} to host {group}"):
            model = next(iter(self.members(group)), None)
            acl = rts.NodeACL(tpg, initiator, mode="create")
            try:
                if model is not None:
                    for mlun in model.mapped_luns:
                        rts.MappedLUN(acl, mlun.mapped_lun, mlun.tpg_lun.lun)
                acl.tag = group
            except BaseException:
                acl.delete()
                raise

    def remove_acl(self, initiator: str) -> None:
        """Delete ``initiator``'s node ACL (its sessions are dropped by the kernel)."""
        acl = self._acl(initiator)
        with rtslib_errors(f"remove {initiator}"):
            acl.delete()

    def set_chap(self, initiator: str, chap: ChapCredentials | None) -> None:
        """Set (or with ``None`` clear) CHAP for one initiator, mutual CHAP included, and
        enforce it."""
        acl = self._acl(initiator)
        mutual = chap is not None and chap.mutual_user is not None
        with rtslib_errors(f"set CHAP for {initiator}"):
            acl.chap_userid = chap.user if chap else ""
            acl.chap_password = chap.secret.reveal() if chap else ""
            acl.chap_mutual_userid = chap.mutual_user if chap and mutual else ""
            secret = chap.mutual_secret if chap and mutual else None
            acl.chap_mutual_password = secret.reveal() if secret is not None else ""
            acl.set_attribute("authentication", "1" if chap else "0")

    # ------------------------------------------------------------------ mapped LUNs
    def map(self, group: str, tpg_lun: int, lun: int) -> None:
        """Expose TPG LUN ``tpg_lun`` as ``lun`` to every member of ``group``."""
        rts = self.rts
        with rtslib_errors(f"map LUN {lun} for host {group}"):
            done = []
            try:
                for acl in self.members(group):
                    done.append(rts.MappedLUN(acl, lun, tpg_lun))
            except BaseException:
                for mlun in done:
                    mlun.delete()
                raise

    def map_initiator(self, initiator: str, tpg_lun: int, lun: int) -> None:
        """Expose TPG LUN ``tpg_lun`` as ``lun`` to one initiator."""
        acl = self._acl(initiator)
        with rtslib_errors(f"map LUN {lun} for {initiator}"):
            self.rts.MappedLUN(acl, lun, tpg_lun)

    def unmap(self, group: str, tpg_lun: int) -> None:
        """Remove every mapped LUN of ``group``'s members that exposes ``tpg_lun``."""
        with rtslib_errors(f"unmap host {group}"):
            for acl in self.members(group):
                for mlun in acl.mapped_luns:
                    if mlun.tpg_lun.lun == tpg_lun:
                        mlun.delete()

    def save_file(self) -> str:
        """The configured save file, else rtslib's default (what the boot-time restore of the
        distribution's rtslib package reads)."""
        default = getattr(self.rts.root, "default_save_file", "/etc/target/saveconfig.json")
        return self.options.saveconfig or str(default)

    def dump(self) -> dict[str, Any]:
        """The whole LIO configuration in targetcli's saveconfig.json format."""
        with rtslib_errors("read the configuration to save it"):
            config: dict[str, Any] = self.rts.RTSRoot().dump()
        return config
