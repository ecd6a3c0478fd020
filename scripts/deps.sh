# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by scripts/demo.sh and tests/run-all.sh: installs the Debian packages husk needs
# to build (and, for "test", to test), only those that are missing.
HUSK_BUILD_DEPS="autoconf automake libtool pkg-config make gcc libc6-dev python3
libyajl-dev libseccomp-dev libcap-dev libselinux1-dev busybox-static jq"
HUSK_TEST_DEPS="python3-pytest uidmap procps podman conmon containerd catatonit"

deps_install() {
    local want="$HUSK_BUILD_DEPS" missing=() p
    [ "${1:-}" = test ] && want="$want $HUSK_TEST_DEPS"
    for p in $want; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing from Debian: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q > /dev/null
    apt-get install -y -q "${missing[@]}" > /dev/null
}
