"""The lab VM as a storplan-managed kernel NFS server, with NFS clients in network namespaces.

:func:`prepare_nfs_host` gives the guest a thin pool for file systems (in the volume group the
``lio`` tests may already have made on the data disk), ``/etc/storplan/nfs.yaml`` naming a thin
and a thick pool, and host names for the conformance kit's clients.  :class:`NfsGuest` adds
NFS clients: each is a network namespace with its own veth pair and address, so the server
sees a real remote client address.  ``ip netns exec`` gives each command its own mount
namespace, so a client mounts, works and unmounts within one command.  Everything is real:
the guest kernel's nfsd and NFS client, LVM thin pools, XFS and ext4.
"""

from __future__ import annotations

import shlex
import subprocess
from dataclasses import dataclass

from .lio_guest import StorplanGuest, write
from .vm import LabVM

SERVER_SETTINGS = """\
pools:
  - {name: thin, lvm-thin: vg0/nfstp}
  - {name: thick, lvm: vg0}
"""
HOSTS = "10.9.0.1 host-a\n10.9.0.2 host-b\n10.77.0.2 nfs-client.lab nfs-client\n"
"""Names the conformance kit's client rules use, and the e2e client's name."""
NFSD_CONF = r"\n[nfsd]\ngrace-time=10\nlease-time=10\n"
"""A 10 s NFSv4 grace period instead of 90 s: after the reboot test, clients wait it out."""
_SLOW = 1800.0


@dataclass(frozen=True)
class Client:
    """One NFS client: a network namespace at ``address``, the server at ``server``."""

    namespace: str
    address: str
    server: str


def prepare_nfs_host(lab: LabVM) -> None:
    """A thin pool for file systems, the provider's settings, host names, nfsd running."""
    lab.run(
        "set -e; vgs vg0 >/dev/null 2>&1 || { pvcreate -q /dev/vdb; vgcreate -q vg0 /dev/vdb; };"
        " lvcreate -q -y --type thin-pool -L 3G -n nfstp vg0; mkdir -p /etc/storplan;"
        f" printf '{NFSD_CONF}' >> /etc/nfs.conf; systemctl restart nfs-server",
        timeout=_SLOW,
    )
    write(lab, "/etc/storplan/nfs.yaml", SERVER_SETTINGS)
    lab.run(f"cat >> /etc/hosts <<'EOF'\n{HOSTS}EOF")


class NfsGuest(StorplanGuest):
    """storplan against ``nfs://`` in the guest, and NFS clients in network namespaces."""

    def add_client(self, name: str, subnet: int) -> Client:
        """A namespace ``name`` linked to the server by a veth pair on ``10.<subnet>.0.0/24``
        (server ``.1``, client ``.2``)."""
        server, address = f"10.{subnet}.0.1", f"10.{subnet}.0.2"
        self.lab.run(
            f"set -e; ip netns add {name}; ip link add v{name} type veth peer name c{name};"
            f" ip link set c{name} netns {name}; ip addr add {server}/24 dev v{name};"
            f" ip link set v{name} up; ip -n {name} addr add {address}/24 dev c{name};"
            f" ip -n {name} link set c{name} up; ip -n {name} link set lo up"
        )
        return Client(name, address, server)

    def on_client(self, client: Client, export_dir: str, script: str, *,
                  options: str = "vers=4.2") -> subprocess.CompletedProcess[str]:  # fmt: skip
        """Mount ``export_dir`` at ``/mnt/nfs`` in the client, run ``script`` there (shell),
        unmount; not checked (callers look at the exit code and output)."""
        inner = (
            f"mkdir -p /mnt/nfs && mount -t nfs -o {options},soft,timeo=50,retrans=2"
            f" {client.server}:{export_dir} /mnt/nfs || exit 90\n"
            f"cd /mnt/nfs\n( {script} )\nstatus=$?\ncd /; umount /mnt/nfs; exit $status"
        )
        return self.lab.run(
            f"ip netns exec {client.namespace} sh -c {shlex.quote(inner)}",
            check=False,
            timeout=_SLOW,
        )
