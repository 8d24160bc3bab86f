"""The storplan lab: a qemu VM with a real Linux kernel (LIO, LVM thin, open-iscsi, NFS)."""
