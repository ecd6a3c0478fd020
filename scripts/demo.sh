#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's first command: builds husk (installing the missing Debian packages) and runs
# a container from the built-in demo bundle, a busybox-static rootfs, showing what the
# container sees. Run as root on Debian 12 from the top of a checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

. scripts/deps.sh
deps_install build

if [ ! -x _build/husk ] || [ -n "$(find src libocispec configure.ac Makefile.am -newer _build/husk -print -quit)" ]; then
    ./autogen.sh > autogen.log 2>&1 || { cat autogen.log; exit 1; }
    mkdir -p _build && cd _build
    [ -f Makefile ] || ../configure -q
    make -j"$(nproc)" -s > /dev/null
    cd "$top"
fi
husk="$top/_build/husk"

demo=$(mktemp -d /tmp/husk-demo.XXXXXX)
trap 'rm -rf "$demo"' EXIT
tests/rootfs/make-rootfs.sh "$demo/rootfs" > /dev/null
"$husk" spec --bundle "$demo"
# The demo's process: show the container's view of itself.
jq '.process.terminal = false
    | .process.args = ["/bin/sh", "-c", "echo \"hello from a husk container: hostname $(hostname), pid $$, uid $(id -u)\"; echo mounts:; cut -d\" \" -f2,3 /proc/mounts; echo processes:; ps"]' \
    "$demo/config.json" > "$demo/config.json.tmp" && mv "$demo/config.json.tmp" "$demo/config.json"
"$husk" validate --bundle "$demo"
exec "$husk" --root "$demo/state" run --bundle "$demo" "husk-demo-$$"
