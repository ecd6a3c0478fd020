#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-v2-lane.sh: the cgroup-v2 test lane. Boots Debian's kernel under qemu (TCG) with an
# initramfs holding busybox, the static husk, the test rootfs and tests/vm/v2-tests.sh, on a
# pure cgroup2 hierarchy with every controller enabled; prints the lane's TAP lines and its
# summary line ("N passed, N failed, N skipped"). Exits non-zero when a test fails, when the
# VM prints no summary, or when it does not power off within HUSK_VM_TIMEOUT seconds of
# being started (its qemu is then killed by pid).
#
# Run as root on Debian 12 from anywhere in a checkout, after husk is built:
#   HUSK=_build/husk tests/vm/run-v2-lane.sh
# Environment: HUSK (default _build/husk), HUSK_VM_CACHE (the unpacked kernel and the test
# rootfs; default vm-cache next to HUSK, _build/vm-cache), HUSK_VM_TIMEOUT (default 300),
# HUSK_VM_SMP (default 1), HUSK_VM_KERNEL (a vmlinuz to boot instead of Debian's package).
# The VM's console log is kept in vm-lane/console.log next to HUSK.
set -euo pipefail
trap 'echo "v2 lane: failed at line $LINENO" >&2' ERR

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
husk=${HUSK:-$top/_build/husk}
[ -x "$husk" ] || { echo "v2 lane: $husk not found; build husk or set HUSK" >&2; exit 1; }
husk=$(cd "$(dirname "$husk")" && pwd)/$(basename "$husk")
build=$(dirname "$husk")
cache=${HUSK_VM_CACHE:-$build/vm-cache}
work=$build/vm-lane
limit=${HUSK_VM_TIMEOUT:-300}
# One virtual CPU: with two, the guest hung once in six runs here (soft lockups on both
# vCPUs under multi-threaded TCG); one is as fast for this serial suite.
smp=${HUSK_VM_SMP:-1}
started=$(date +%s)

say() { echo "v2 lane: $*"; }
die() { echo "v2 lane: $*" >&2; exit 1; }

# ---- packages from Debian -------------------------------------------------------------
apt_updated=0
apt_update() {
    [ "$apt_updated" = 1 ] && return 0
    apt-get update -q > /dev/null
    apt_updated=1
}

want=()
for p in qemu-system-x86 busybox-static cpio file; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || want+=("$p")
done
if [ ${#want[@]} -gt 0 ]; then
    say "installing from Debian: ${want[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_update
    apt-get install -y -q --no-install-recommends "${want[@]}" > /dev/null
fi

# ---- husk must run alone in the initramfs: a static binary ----------------------------
case "$(file -b "$husk")" in
    *"static-pie linked"* | *"statically linked"*) ;;
    *) die "$husk is not a static binary ($(file -b "$husk")): configure husk where the static libraries are installed" ;;
esac

# ---- the kernel: linux-image-amd64's versioned dependency, unpacked with dpkg-deb ------
mkdir -p "$cache"
kernel_package() {
    apt-cache depends linux-image-amd64 2> /dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}

if [ -n "${HUSK_VM_KERNEL:-}" ]; then
    vmlinuz=$HUSK_VM_KERNEL
else
    pkg=$(kernel_package)
    if [ -z "$pkg" ]; then
        apt_update
        pkg=$(kernel_package)
    fi
    if [ -z "$pkg" ]; then
        # No package lists: boot the kernel a previous run unpacked, if there is one.
        vmlinuz=$(find "$cache/kernel" -name 'vmlinuz-*' 2> /dev/null | sort | tail -n 1 || true)
        [ -n "$vmlinuz" ] || die "apt-cache knows no linux-image-amd64 dependency and $cache holds no kernel"
    else
        kdir=$cache/kernel/$pkg
        vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' 2> /dev/null | head -n 1 || true)
        if [ -z "$vmlinuz" ]; then
            debs=$cache/debs
            mkdir -p "$debs"
            # apt drops privileges to _apt for downloads: give it a directory it may write.
            chmod 0777 "$debs"
            if [ -z "$(find "$debs" -name "${pkg}_*.deb")" ]; then
                say "downloading $pkg"
                (cd "$debs" && apt-get download -q "$pkg" > /dev/null 2>&1) || {
                    apt_update
                    (cd "$debs" && apt-get download -q "$pkg" > /dev/null)
                }
            fi
            deb=$(find "$debs" -name "${pkg}_*.deb" | sort | tail -n 1)
            # Only boot/ is needed: the kernel has what the lane uses built in (8250
            # console, devtmpfs, cgroup2 with every controller, BPF device programs), and
            # its 400 MB of modules would only fill the disk. dpkg-deb unpacks the files.
            rm -rf "$cache/kernel"
            mkdir -p "$kdir"
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$kdir" --wildcards './boot/*'
            # The unpacked kernel is the cache from now on; a new package means a new download.
            rm -f "$deb"
            vmlinuz=$(find "$kdir/boot" -name 'vmlinuz-*' | head -n 1)
        fi
    fi
fi
[ -f "$vmlinuz" ] || die "no kernel at $vmlinuz"

# ---- the initramfs --------------------------------------------------------------------
probe=$build/tests/helpers/probe
if [ -x "$probe" ]; then
    PROBE=$probe "$top/tests/rootfs/make-rootfs.sh" "$cache/rootfs"
else
    "$top/tests/rootfs/make-rootfs.sh" "$cache/rootfs"
fi

rm -rf "$work"
mkdir -p "$work/initramfs"
stage=$work/initramfs
for d in bin sbin usr/bin usr/sbin dev proc sys run tmp newroot; do
    mkdir -p "$stage/$d"
done
chmod 1777 "$stage/tmp"
# The kernel opens /dev/console for /init before anything is mounted.
mknod -m 0600 "$stage/dev/console" c 5 1
install -m 0755 /bin/busybox "$stage/bin/busybox"
ln -s busybox "$stage/bin/sh"
install -m 0755 "$husk" "$stage/bin/husk"
strip "$stage/bin/husk" 2> /dev/null || true
install -m 0755 "$here/init.sh" "$stage/init"
install -m 0644 "$here/v2-tests.sh" "$stage/v2-tests.sh"
cp -a "$cache/rootfs" "$stage/rootfs"
(cd "$stage" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) > "$work/initramfs.cpio"
rm -rf "$stage"

# ---- boot it --------------------------------------------------------------------------
log=$work/console.log
say "booting $(basename "$vmlinuz") under qemu (TCG, $smp CPUs), limit ${limit}s"
qemu-system-x86_64 -accel tcg -smp "$smp" -m 1024 -nographic -no-reboot -nic none \
    -kernel "$vmlinuz" -initrd "$work/initramfs.cpio" \
    -append "console=ttyS0 panic=-1 quiet" < /dev/null > "$log" 2>&1 &
qemu=$!
# An interrupted lane takes its VM with it.
trap 'kill "$qemu" 2> /dev/null || true' EXIT
booted=$(date +%s)
timed_out=0
while kill -0 "$qemu" 2> /dev/null; do
    if [ $(($(date +%s) - booted)) -ge "$limit" ]; then
        timed_out=1
        kill "$qemu" 2> /dev/null || true
        sleep 2
        kill -9 "$qemu" 2> /dev/null || true
        break
    fi
    sleep 0.5
done
qemu_rc=0
wait "$qemu" || qemu_rc=$?

# The serial console ends lines with CR LF and carries the firmware's terminal escapes;
# the lane's own output starts at its marker.
tr -d '\r' < "$log" | sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b.//g' > "$log.txt"
summary_re='^[0-9]+ passed, [0-9]+ failed'
sed -n '/^# husk cgroup-v2 lane/,$p' "$log.txt" | grep -Ev "$summary_re|^husk-v2-init: |^\[ *[0-9]+\.[0-9]+\] " || true
summary=$(grep -E "$summary_re" "$log.txt" | tail -n 1 || true)
elapsed=$(($(date +%s) - started))

if [ "$timed_out" = 1 ]; then
    tail -n 30 "$log.txt"
    die "the VM did not finish within ${limit}s (console: $log)"
fi
if [ -z "$summary" ]; then
    tail -n 30 "$log.txt"
    die "no summary line from the VM (qemu exited $qemu_rc; console: $log)"
fi
passed=$(echo "$summary" | sed -E 's/^([0-9]+) passed.*/\1/')
failed=$(echo "$summary" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
# The last line is the lane's summary, as the VM printed it.
echo "$summary (cgroup-v2 lane under qemu, ${elapsed}s)"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
