#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The whole test suite, as README.md says: installs what it needs from Debian, builds husk
# with -Werror, runs the C unit tests (TAP), `make distcheck` and the pytest integration
# tests, then the cgroup-v2 lane under qemu (tests/vm/run-v2-lane.sh; HUSK_SKIP_VM=1 skips
# it). Run as root on Debian 12 from the top of a checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

. scripts/deps.sh
deps_install test

./autogen.sh > autogen.log 2>&1 || { cat autogen.log; exit 1; }
rm -rf _build && mkdir _build && cd _build
../configure --enable-werror -q
make -j"$(nproc)" -s
if make -j"$(nproc)" check > unit-check.log 2>&1; then
    grep -E '^# (TOTAL|PASS|FAIL|ERROR):' unit-check.log | tr '\n' ' '; echo "(C unit tests, TAP)"
else
    grep -E '^(FAIL|ERROR)' unit-check.log; tail -30 unit-check.log; exit 1
fi
if [ "${SKIP_DISTCHECK:-0}" != 1 ]; then
    make -s distcheck > distcheck.log 2>&1 || { tail -50 distcheck.log; exit 1; }
    echo "make distcheck: ok"
fi
cd "$top"

export HUSK="$top/_build/husk"
rc=0
/usr/bin/python3 -m pytest -p no:cacheprovider -q -ra tests/integration tests/clients "$@" || rc=$?
# pytest exits 5 when it collected nothing: that is a failure of the suite here.

# The cgroup-v2 lane (docs/testing.md): husk on pure cgroup v2 under Debian's kernel in qemu.
if [ "${HUSK_SKIP_VM:-0}" = 1 ]; then
    echo "cgroup-v2 lane: skipped (HUSK_SKIP_VM=1)"
else
    vm_rc=0
    tests/vm/run-v2-lane.sh || vm_rc=$?
    [ "$rc" != 0 ] || rc=$vm_rc
fi
exit $rc
