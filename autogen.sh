#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Regenerates configure and Makefile.in from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf --install --force
# automake does not install its TAP driver by itself.
for d in /usr/share/automake-*; do
    if [ -f "$d/tap-driver.sh" ]; then
        cp -f "$d/tap-driver.sh" build-aux/tap-driver.sh
        break
    fi
done
test -f build-aux/tap-driver.sh || { echo "autogen.sh: automake's tap-driver.sh not found" >&2; exit 1; }
