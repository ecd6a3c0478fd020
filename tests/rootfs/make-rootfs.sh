#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-rootfs.sh DIR: builds the test rootfs in DIR from Debian's busybox-static (the
# installed /bin/busybox of that package, else `apt-get download` + `dpkg-deb -x`), with
# applet links, /etc/passwd and /etc/group (root, user 1000, nobody), /tmp 1777, /root and
# the static probe at /bin/probe (PROBE=path to copy it, else built from
# tests/helpers/probe.c with gcc -static). Idempotent; returns at once when DIR is complete.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
dir=$1
here=$(cd "$(dirname "$0")" && pwd)
probe_src="$here/../helpers/probe.c"
stamp="$dir/.husk-rootfs-stamp"
version=1

# The probe is current when it is the PROBE given, or newer than its source.
probe_current() {
    [ -x "$dir/bin/probe" ] || return 1
    if [ -n "${PROBE:-}" ]; then
        cmp -s "$PROBE" "$dir/bin/probe"
    else
        [ ! -f "$probe_src" ] || [ "$dir/bin/probe" -nt "$probe_src" ]
    fi
}

install_probe() {
    local tmp="$dir/bin/.probe.$$"
    if [ -n "${PROBE:-}" ]; then
        cp "$PROBE" "$tmp"
    else
        [ -f "$probe_src" ] || { echo "$0: $probe_src not found; set PROBE" >&2; exit 1; }
        gcc -std=gnu11 -D_GNU_SOURCE -static -O2 -o "$tmp" "$probe_src"
    fi
    chmod 0755 "$tmp"
    mv -f "$tmp" "$dir/bin/probe"
}

if [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] && [ -x "$dir/bin/busybox" ]; then
    probe_current || install_probe
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# busybox: the installed busybox-static if there is one, else its .deb from the archive.
busybox=
if dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q "install ok installed" &&
    [ -x /bin/busybox ]; then
    busybox=/bin/busybox
else
    # apt drops privileges to _apt for downloads: give it a directory it may write.
    chmod 0777 "$work"
    (cd "$work" && apt-get download -q busybox-static > /dev/null)
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/pkg"
    busybox="$work/pkg/bin/busybox"
fi

mkdir -p "$dir"
for d in bin sbin usr/bin usr/sbin etc dev proc sys run var/tmp home/user; do
    mkdir -p "$dir/$d"
done
install -d -m 1777 "$dir/tmp"
install -d -m 0700 "$dir/root"
chown 1000:1000 "$dir/home/user" 2> /dev/null || true
chmod 1777 "$dir/var/tmp"

cp "$busybox" "$dir/bin/.busybox.$$"
chmod 0755 "$dir/bin/.busybox.$$"
mv -f "$dir/bin/.busybox.$$" "$dir/bin/busybox"

# Applet links as busybox itself lists them (bin/sh, usr/bin/env, sbin/ifconfig...).
"$dir/bin/busybox" --list-full | while read -r applet; do
    case "$applet" in bin/busybox | bin/probe | "") continue ;; esac
    mkdir -p "$dir/$(dirname "$applet")"
    [ -e "$dir/$applet" ] || [ -L "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
done

cat > "$dir/etc/passwd" << 'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$dir/etc/group" << 'EOF'
root:x:0:
tty:x:5:
users:x:100:user
user:x:1000:
nogroup:x:65534:
EOF
echo husk-test > "$dir/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' > "$dir/etc/hosts"

probe_current || install_probe
echo "$version" > "$stamp"
