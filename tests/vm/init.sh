#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0-or-later
# /init of the cgroup-v2 lane's initramfs (tests/vm/run-v2-lane.sh builds it): busybox,
# /bin/husk, /rootfs (the test rootfs) and /v2-tests.sh.
#
# Stage 1 copies the initramfs onto a tmpfs and switch_roots into it: pivot_root(2), which
# husk uses, refuses to move the initramfs itself. Stage 2 mounts proc, sys, devtmpfs and
# cgroup2 on /sys/fs/cgroup, enables every controller in the root's
# cgroup.subtree_control, runs the tests and powers the VM off whatever happens (the host
# sees no summary line when something here failed).
set -eu
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
trap 'echo "husk-v2-init: failed"; poweroff -f' EXIT

if [ "${1:-}" != stage2 ]; then
    /bin/busybox --install -s
    mount -t devtmpfs devtmpfs /dev
    exec < /dev/console > /dev/console 2>&1
    mount -t tmpfs -o mode=0755 tmpfs /newroot
    for f in /*; do
        case "$f" in
            /dev | /proc | /sys | /newroot) mkdir -p "/newroot$f" ;;
            *) cp -a "$f" /newroot/ ;;
        esac
    done
    umount -l /dev
    trap - EXIT
    # shellcheck disable=SC2093 # when switch_root fails, power off
    exec switch_root /newroot /init stage2
    poweroff -f
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
read -r controllers < /sys/fs/cgroup/cgroup.controllers
for c in $controllers; do
    echo "+$c" > /sys/fs/cgroup/cgroup.subtree_control
done
# Kernel messages (the OOM killer's, say) stay off the console the tests print to.
dmesg -n 1
hostname husk-v2
ip link set lo up

rc=0
sh /v2-tests.sh || rc=$?
echo "husk-v2-init: tests exited $rc"
trap - EXIT
sync
poweroff -f
