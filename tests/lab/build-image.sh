#!/bin/sh
# Build the storplan lab VM image: a Debian 12 root file system with a stock Debian kernel,
# LIO (targetcli-fb, python3-rtslib-fb), LVM thin, open-iscsi and the kernel NFS server, plus a
# venv /opt/storplan holding storplan's Python dependencies (storplan itself is installed per
# test session).
#
# Usage (as root):
#   build-image.sh [--mirror URL] [--deb-cache DIR] [--wheels DIR] [--size SIZE] OUTDIR
#
#   OUTDIR        receives root.img (raw ext4, the guest's /dev/vda), vmlinuz, initrd.img and
#                 id_ed25519{,.pub} (root's ssh key). Rerunning over the same OUTDIR rebuilds it
#                 from scratch.
#   --mirror      Debian mirror; default: the first one in this machine's apt sources.
#   --deb-cache   directory where debootstrap keeps downloaded .debs between builds.
#   --wheels      directory of wheels plus requirements.txt, installed into /opt/storplan.
#   --size        size of root.img (sparse), default 4G.
#
# Needs debootstrap, mkfs.ext4 (e2fsprogs >= 1.43 for -d) and ssh-keygen. No mount of the image.
set -eu

SUITE=bookworm
PACKAGES="linux-image-amd64,systemd-sysv,udev,kmod,lvm2,thin-provisioning-tools,targetcli-fb,\
python3-rtslib-fb,nfs-kernel-server,open-iscsi,python3,python3-yaml,python3-venv,sg3-utils,\
e2fsprogs,xfsprogs,iproute2,openssh-server,procps,dbus"
# Loaded by the initrd so that the root disk (virtio-blk, ext4) can be mounted.
INITRD_MODULES="virtio_pci virtio_blk virtio_net ext4"

usage() {
    sed -n '8,9p' "$0" >&2
    exit 2
}

mirror=""
deb_cache=""
wheels=""
size=4G
while [ $# -gt 0 ]; do
    case "$1" in
        --mirror) mirror="$2"; shift 2 ;;
        --deb-cache) deb_cache="$2"; shift 2 ;;
        --wheels) wheels="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "build-image.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -eq 1 ] || usage
[ "$(id -u)" -eq 0 ] || { echo "build-image.sh: must run as root" >&2; exit 1; }

out=$(realpath -m "$1")
rootfs="$out/rootfs"

# The mirror apt uses on this machine (deb822 sources first, then the one-line format).
detect_mirror() {
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '/^URIs:/ && $2 !~ /security/ { print $2; exit }' "$f"
    done | head -n 1 | grep . && return 0
    awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
        /etc/apt/sources.list 2>/dev/null | grep . && return 0
    echo http://deb.debian.org/debian
}

# Unmount whatever a previous (interrupted) run left mounted inside the root file system.
unmount_rootfs() {
    for m in proc sys; do
        if mountpoint -q "$rootfs/$m" 2>/dev/null; then umount -l "$rootfs/$m"; fi
    done
}

# A command in the chroot, with none of the host's environment (PIP_*, proxies, locale).
in_root() {
    env -i DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin chroot "$rootfs" "$@"
}

bootstrap() {
    set -- --variant=minbase --include="$PACKAGES"
    if [ -n "$deb_cache" ]; then
        mkdir -p "$deb_cache"
        set -- "$@" --cache-dir="$(realpath "$deb_cache")"
    fi
    debootstrap "$@" "$SUITE" "$rootfs" "$mirror"
}

configure_system() {
    echo storplan-lab > "$rootfs/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tstorplan-lab\n::1\tlocalhost ip6-localhost\n' \
        > "$rootfs/etc/hosts"
    echo "deb $mirror $SUITE main" > "$rootfs/etc/apt/sources.list"
    printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t1\n' > "$rootfs/etc/fstab"
    # A fixed machine id: the first boot is not a "first boot" (no systemd-firstboot prompts).
    echo 5f0e1a3c9d7b4e2a8c6f1b0d2e4a6c8e > "$rootfs/etc/machine-id"
    in_root passwd -d root >/dev/null   # console login without password, for debugging only
}

configure_network() {
    mkdir -p "$rootfs/etc/systemd/network"
    printf '[Match]\nName=en*\n\n[Network]\nDHCP=ipv4\n' > "$rootfs/etc/systemd/network/20-lab.network"
    in_root systemctl enable systemd-networkd.service
}

configure_ssh() {
    rm -f "$out/id_ed25519" "$out/id_ed25519.pub"
    ssh-keygen -q -t ed25519 -N '' -C storplan-lab -f "$out/id_ed25519"
    install -d -m 700 "$rootfs/root/.ssh"
    install -m 600 "$out/id_ed25519.pub" "$rootfs/root/.ssh/authorized_keys"
    printf 'PermitRootLogin prohibit-password\nUseDNS no\nMaxStartups 64\n' \
        > "$rootfs/etc/ssh/sshd_config.d/lab.conf"
}

configure_initrd() {
    conf="$rootfs/etc/initramfs-tools"
    sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
    echo RESUME=none > "$conf/conf.d/resume"
    for m in $INITRD_MODULES; do echo "$m"; done > "$conf/modules"
    in_root update-initramfs -u -k all
}

install_python_deps() {
    in_root python3 -m venv --system-site-packages /opt/storplan
    [ -n "$wheels" ] || return 0
    rm -rf "$rootfs/tmp/wheels"
    cp -r "$wheels" "$rootfs/tmp/wheels"
    in_root /opt/storplan/bin/python -m pip install --no-index --find-links /tmp/wheels \
        --disable-pip-version-check --root-user-action=ignore -q -r /tmp/wheels/requirements.txt
    rm -rf "$rootfs/tmp/wheels"
    # The CLI and pytest of the venv come first on root's PATH.
    echo 'PATH=/opt/storplan/bin:$PATH' > "$rootfs/etc/profile.d/storplan.sh"
    sed -i '1i export PATH=/opt/storplan/bin:$PATH' "$rootfs/root/.bashrc"
}

export_boot_files() {
    cp "$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -n 1)" "$out/vmlinuz"
    cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -n 1)" "$out/initrd.img"
}

make_image() {
    in_root apt-get clean
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/tmp/*
    rm -f "$out/root.img"
    truncate -s "$size" "$out/root.img"
    mkfs.ext4 -q -F -L storplan-root -E root_owner=0:0 -d "$rootfs" "$out/root.img"
}

[ -n "$mirror" ] || mirror=$(detect_mirror)
mkdir -p "$out"
unmount_rootfs
rm -rf "$rootfs"
trap unmount_rootfs EXIT
bootstrap
mount -t proc proc "$rootfs/proc"
configure_system
configure_network
configure_ssh
configure_initrd
install_python_deps
export_boot_files
unmount_rootfs
make_image
rm -rf "$rootfs"
echo "build-image.sh: built $out/root.img"
