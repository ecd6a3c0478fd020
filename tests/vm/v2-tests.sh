#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# v2-tests.sh: the cgroup-v2 lane's tests. busybox sh; run as root on a pure cgroup2 host
# (the VM of tests/vm/run-v2-lane.sh, or by hand: HUSK=... ROOTFS=... sh v2-tests.sh).
# Prints TAP lines, the plan, and a closing summary line "N passed, N failed, N skipped".
#
# Every check reads the host side: /sys/fs/cgroup as the VM sees it, /proc of the VM.
# The cgroup checks run when `husk features` says linux.cgroup.v2 is true; until then each
# group is reported as "ok N - ... # SKIP cgroups not built", never as a pass. Expected
# values follow runc's conversions (cpu.weight from shares, io.weight from blockIO.weight).
set -eu

HUSK=${HUSK:-husk}
ROOTFS=${ROOTFS:-/rootfs}
CG=/sys/fs/cgroup
work=$(mktemp -d /tmp/husk-v2-lane.XXXXXX)
root=$work/state
# The parent of the cgroupsPath given to the containers that name one.
parent=husk-v2-lane-$$

n=0
passed=0
failed=0
skipped=0
ids=

ok() {
    n=$((n + 1)) passed=$((passed + 1))
    echo "ok $n - $1"
}
# not_ok DESC [DETAIL...]: each DETAIL a diagnostic line; "@FILE" prints FILE's lines.
not_ok() {
    n=$((n + 1)) failed=$((failed + 1))
    echo "not ok $n - $1"
    shift
    for d in "$@"; do
        case "$d" in
            @*) if [ -s "${d#@}" ]; then sed "s|^|#   ${d#@}: |" "${d#@}"; fi ;;
            *) printf '%s\n' "$d" | sed 's/^/#   /' ;;
        esac
    done
}
skip() {
    n=$((n + 1)) skipped=$((skipped + 1))
    echo "ok $n - $1 # SKIP $2"
}
diag() { echo "# $*"; }
# expect DESC GOT WANT [DETAIL...]
expect() {
    _desc=$1 _got=$2 _want=$3
    shift 3
    if [ "$_got" = "$_want" ]; then ok "$_desc"; else not_ok "$_desc" "got:  '$_got'" "want: '$_want'" "$@"; fi
}

h() { timeout 60 "$HUSK" --root "$root" "$@"; }

# bundle ID ARGS [RESOURCES [LINUX [MOUNTS]]]: $work/ID/config.json running ARGS (a JSON
# array) in the test rootfs. RESOURCES: the members of linux.resources (default: deny every
# device, as `husk spec` does); LINUX: more members of linux, MOUNTS more mounts (after
# the usual ones), each followed by a comma.
bundle() {
    _b=$work/$1
    _res=${3:-'"devices": [{"allow": false, "access": "rwm"}]'}
    mkdir -p "$_b"
    cat > "$_b/config.json" << EOF
{
    "ociVersion": "1.3.0",
    "process": {
        "terminal": false,
        "user": {"uid": 0, "gid": 0},
        "args": $2,
        "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
        "cwd": "/",
        "capabilities": {
            "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
            "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        },
        "noNewPrivileges": true
    },
    "root": {"path": "$ROOTFS", "readonly": true},
    "hostname": "v2-lane",
    "mounts": [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"]},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs",
         "options": ["nosuid", "noexec", "nodev", "ro"]},
        ${5:-}
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
         "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
    ],
    "linux": {
        ${4:-}
        "resources": {$_res},
        "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                       {"type": "mount"}]
    }
}
EOF
}

# create ID: husk create with the container's stdio on $work/ID/{out,err}.
create() {
    ids="$ids $1"
    h create --bundle "$work/$1" "$1" < /dev/null > "$work/$1/out" 2> "$work/$1/err"
}
# run ID: husk run, stdio likewise; returns the container's exit status.
run() {
    ids="$ids $1"
    h run --bundle "$work/$1" "$1" < /dev/null > "$work/$1/out" 2> "$work/$1/err"
}
state_field() { h state "$1" 2> /dev/null | sed -n "s/.*\"$2\": *\"*\([^\",]*\).*/\1/p" | head -n 1; }
status() { state_field "$1" status; }
init_pid() { state_field "$1" pid; }
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
    _i=$(($1 * 10))
    shift
    while [ "$_i" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        _i=$((_i - 1))
    done
    "$@"
}
is_status() { [ "$(status "$1")" = "$2" ]; }
has_line() { grep -qx "$2" "$1" 2> /dev/null; }
# The cgroup of PID as the host sees it (the cgroup2 line of /proc/PID/cgroup).
cgroup_of() { sed -n 's/^0:://p' "/proc/$1/cgroup" 2> /dev/null || true; }
cg_value() { cat "$CG$1/$2" 2> /dev/null || true; }
# cg_key CGROUP FILE KEY: the value of KEY in a flat keyed file (memory.events...).
cg_key() { sed -n "s/^$3 //p" "$CG$1/$2" 2> /dev/null || true; }
cg_key_is() { [ "$(cg_key "$1" "$2" "$3")" = "$4" ]; }
cg_empty() { [ ! -s "$CG$1/cgroup.procs" ]; }
gone() { [ ! -e "$1" ]; }
# own_cgroup CGROUP: a cgroup of the container's own (not the root, not unknown).
own_cgroup() { [ -n "$1" ] && [ "$1" != / ] && [ -d "$CG$1" ]; }
# removed CGROUP: it was the container's own and its directory is gone.
removed() { [ -n "$1" ] && [ "$1" != / ] && wait_for 10 gone "$CG$1"; }
# dead PID: gone, or a zombie no one has reaped yet.
dead() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2> /dev/null; }
# Processes whose pid namespace is NSLINK (a readlink of /proc/PID/ns/pid).
in_pidns() {
    for _p in /proc/[0-9]*; do
        if [ "$(readlink "$_p/ns/pid" 2> /dev/null || true)" = "$1" ]; then echo "${_p#/proc/}"; fi
    done
}
no_pidns() { [ -z "$(in_pidns "$1")" ]; }

cgroups_built=0
if "$HUSK" features 2> /dev/null | sed -n '/"cgroup": *{/,/}/p' | grep -q '"v2": *true'; then
    cgroups_built=1
fi
# cgroup_gate DESC: true when the cgroup checks run, else reports DESC as skipped.
cgroup_gate() {
    [ "$cgroups_built" = 1 ] && return 0
    skip "$1" "cgroups not built"
    return 1
}

echo "# husk cgroup-v2 lane: $(uname -r), $(nproc) CPUs"

# ---- the host: the lane is only worth something on a pure cgroup2 hierarchy --------------
t_host() {
    expect "the host has cgroup2 on /sys/fs/cgroup" "$(stat -f -c %t "$CG")" 63677270
    _missing=
    for c in cpuset cpu io memory pids; do
        grep -qw "$c" "$CG/cgroup.subtree_control" || _missing="$_missing $c"
    done
    expect "the root's cgroup.subtree_control enables cpuset cpu io memory pids" "$_missing" ""
    diag "controllers: $(cat "$CG/cgroup.subtree_control")"
}

t_version() {
    _v=$("$HUSK" --version 2>&1) || true
    case "$_v" in
        "husk version "*) ok "husk --version" ;;
        *) not_ok "husk --version" "output: $_v" ;;
    esac
    diag "$(echo "$_v" | head -n 1)"
}

t_features() {
    if "$HUSK" features > "$work/features" 2>&1 && grep -q '"ociVersionMax"' "$work/features"; then
        ok "husk features"
    else
        not_ok "husk features" "@$work/features"
    fi
    if [ "$cgroups_built" = 1 ]; then
        diag "husk features: linux.cgroup.v2 is true: the cgroup checks run"
    else
        diag "husk features: linux.cgroup.v2 is not true: the cgroup checks are skipped"
    fi
}

# ---- husk run ---------------------------------------------------------------------------
t_run() {
    _id=v2-run-$$
    bundle "$_id" '["sh", "-c", "echo hello from husk; stat -f -c %t /sys/fs/cgroup; cat /proc/self/cgroup"]'
    if run "$_id"; then _rc=0; else _rc=$?; fi
    expect "husk run: exits 0" "$_rc" 0 "@$work/$_id/err"
    expect "husk run: the container's output" "$(sed -n 1p "$work/$_id/out")" "hello from husk" \
        "@$work/$_id/out"
    expect "husk run: cgroup2 is mounted on the container's /sys/fs/cgroup" \
        "$(sed -n 2p "$work/$_id/out")" 63677270 "@$work/$_id/out"
    case "$(sed -n 3p "$work/$_id/out")" in
        0::/*) ok "husk run: the container is in one cgroup2 group (/proc/self/cgroup 0::)" ;;
        *) not_ok "husk run: the container is in one cgroup2 group (/proc/self/cgroup 0::)" \
            "@$work/$_id/out" ;;
    esac
    expect "husk run: no state left after the run" "$(h list -q 2> /dev/null | grep -cx "$_id")" 0

    _id=v2-exit-$$
    bundle "$_id" '["sh", "-c", "exit 7"]'
    if run "$_id"; then _rc=0; else _rc=$?; fi
    expect "husk run: the container's exit status (7)" "$_rc" 7 "@$work/$_id/err"
}

# ---- create, start, state, kill, delete ------------------------------------------------
t_lifecycle() {
    _id=v2-life-$$
    bundle "$_id" '["sh", "-c", "trap \"exit 0\" TERM; echo started; while :; do sleep 0.1; done"]'
    if create "$_id"; then
        ok "create"
    else
        not_ok "create" "@$work/$_id/err"
        return 0
    fi
    _pid=$(init_pid "$_id")
    expect "state after create: created" "$(status "$_id")" created
    if [ -n "$_pid" ] && [ -d "/proc/$_pid" ] && [ ! -s "$work/$_id/out" ]; then
        ok "create: the init ($_pid) is there and the program has not run"
    else
        not_ok "create: the init is there and the program has not run" "pid: '$_pid'" \
            "@$work/$_id/out"
    fi
    if h start "$_id" 2> "$work/$_id/start.err" && wait_for 30 has_line "$work/$_id/out" started; then
        ok "start: the program runs"
    else
        not_ok "start: the program runs" "@$work/$_id/start.err" "@$work/$_id/err"
    fi
    expect "state after start: running" "$(status "$_id")" running
    if h kill "$_id" TERM 2> "$work/$_id/kill.err" && wait_for 30 is_status "$_id" stopped; then
        ok "kill TERM: the container stops"
    else
        not_ok "kill TERM: the container stops" "status: $(status "$_id")" "@$work/$_id/kill.err"
    fi
    if h delete "$_id" 2> "$work/$_id/delete.err" && ! h state "$_id" > /dev/null 2>&1; then
        ok "delete: the container is gone"
    else
        not_ok "delete: the container is gone" "@$work/$_id/delete.err"
    fi
}

# ---- cgroups: the config's values in the container's cgroup -----------------------------
t_cgroup_resources() {
    cgroup_gate "cgroup: memory.max pids.max cpu.max cpu.weight io.weight cpuset.* from the config" || return 0
    _id=v2-res-$$
    _cpu=$(sed 's/.*[-,]//' "$CG/cpuset.cpus.effective")
    bundle "$_id" '["sleep", "1000"]' "
        \"memory\": {\"limit\": 67108864},
        \"pids\": {\"limit\": 32},
        \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"$_cpu\", \"mems\": \"0\"},
        \"blockIO\": {\"weight\": 500},
        \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]" \
        "\"cgroupsPath\": \"/$parent/$_id\","
    if ! create "$_id"; then
        not_ok "cgroup: create with resources" "@$work/$_id/err"
        return 0
    fi
    _cg=$(cgroup_of "$(init_pid "$_id")")
    expect "cgroup: the init is in cgroupsPath /$parent/$_id" "$_cg" "/$parent/$_id"
    _c=/$parent/$_id
    _had=0
    if own_cgroup "$_c"; then
        _had=1
        ok "cgroup: its directory exists"
    else
        not_ok "cgroup: its directory exists"
    fi
    expect "cgroup: memory.max from memory.limit" "$(cg_value "$_c" memory.max)" 67108864
    expect "cgroup: pids.max from pids.limit" "$(cg_value "$_c" pids.max)" 32
    expect "cgroup: cpu.max from cpu.quota and cpu.period" "$(cg_value "$_c" cpu.max)" "50000 100000"
    # runc: weight = 1 + (shares - 2) * 9999 / 262142
    expect "cgroup: cpu.weight from cpu.shares 512" "$(cg_value "$_c" cpu.weight)" 20
    # runc: io.weight = 1 + (weight - 10) * 9999 / 990 where there is no io.bfq.weight
    if [ -e "$CG$_c/io.bfq.weight" ]; then
        expect "cgroup: io.bfq.weight from blockIO.weight" "$(cg_key "$_c" io.bfq.weight default)" 500
    else
        expect "cgroup: io.weight from blockIO.weight 500" "$(cg_key "$_c" io.weight default)" 4950
    fi
    expect "cgroup: cpuset.cpus from cpu.cpus" "$(cg_value "$_c" cpuset.cpus)" "$_cpu"
    expect "cgroup: cpuset.mems from cpu.mems" "$(cg_value "$_c" cpuset.mems)" 0
    h delete "$_id" 2> "$work/$_id/delete.err" || true
    if [ "$_had" = 1 ] && removed "$_c"; then
        ok "cgroup: delete removes the cgroup"
    else
        not_ok "cgroup: delete removes the cgroup" "@$work/$_id/delete.err"
    fi
}

t_cgroup_default_path() {
    cgroup_gate "cgroup: a container without cgroupsPath gets a cgroup of its own" || return 0
    _id=v2-defpath-$$
    bundle "$_id" '["sleep", "1000"]'
    if ! create "$_id"; then
        not_ok "cgroup: create without cgroupsPath" "@$work/$_id/err"
        return 0
    fi
    _c=$(cgroup_of "$(init_pid "$_id")")
    case "$_c" in
        / | "") not_ok "cgroup: a container without cgroupsPath gets a cgroup of its own" "cgroup: '$_c'" ;;
        *"$_id"*) ok "cgroup: a container without cgroupsPath gets a cgroup of its own ($_c)" ;;
        *) not_ok "cgroup: a container without cgroupsPath gets a cgroup named after its id" "cgroup: '$_c'" ;;
    esac
    h delete "$_id" 2> "$work/$_id/delete.err" || true
    if removed "$_c"; then
        ok "cgroup: delete removes the default cgroup"
    else
        not_ok "cgroup: delete removes the default cgroup" "@$work/$_id/delete.err"
    fi
}

t_cgroup_run_cleanup() {
    cgroup_gate "cgroup: husk run leaves no cgroup behind" || return 0
    _id=v2-runcg-$$
    bundle "$_id" '["cat", "/proc/self/cgroup"]' "" "\"cgroupsPath\": \"/$parent/$_id\","
    run "$_id" || true
    _c=$(sed -n 's/^0:://p' "$work/$_id/out")
    expect "cgroup: husk run puts the container in its cgroupsPath" "$_c" "/$parent/$_id" \
        "@$work/$_id/err"
    if [ "$_c" = "/$parent/$_id" ] && removed "$_c"; then
        ok "cgroup: husk run leaves no cgroup behind"
    else
        not_ok "cgroup: husk run leaves no cgroup behind"
    fi
}

# ---- cgroups: limits that act -------------------------------------------------------------
t_cgroup_oom() {
    cgroup_gate "cgroup: a memory limit OOM-kills (memory.events oom_kill)" || return 0
    _id=v2-oom-$$
    # dd allocates its 64 MiB block and fills it: far past the 16 MiB limit.
    bundle "$_id" '["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]' \
        '"memory": {"limit": 16777216}, "devices": [{"allow": false, "access": "rwm"}]'
    if ! create "$_id"; then
        not_ok "cgroup: create with a memory limit" "@$work/$_id/err"
        return 0
    fi
    _c=$(cgroup_of "$(init_pid "$_id")")
    h start "$_id" 2>> "$work/$_id/err" || true
    wait_for 60 is_status "$_id" stopped || true
    _kills=$(cg_key "$_c" memory.events oom_kill)
    if [ -n "$_kills" ] && [ "$_kills" -gt 0 ]; then
        ok "cgroup: a memory limit OOM-kills (oom_kill $_kills)"
    else
        not_ok "cgroup: a memory limit OOM-kills (memory.events oom_kill)" "cgroup: $_c" \
            "@$CG$_c/memory.events" "@$work/$_id/err"
    fi
    h delete --force "$_id" > /dev/null 2>&1 || true
}

t_cgroup_pids() {
    cgroup_gate "cgroup: a pids limit stops forks (pids.events max)" || return 0
    _id=v2-pids-$$
    # shellcheck disable=SC2016 # $i is the container shell's
    bundle "$_id" '["sh", "-c", "i=0; while [ $i -lt 32 ]; do sleep 60 & i=$((i + 1)); done; echo forked all"]' \
        '"pids": {"limit": 8}, "devices": [{"allow": false, "access": "rwm"}]'
    if ! create "$_id"; then
        not_ok "cgroup: create with a pids limit" "@$work/$_id/err"
        return 0
    fi
    _c=$(cgroup_of "$(init_pid "$_id")")
    h start "$_id" 2>> "$work/$_id/err" || true
    wait_for 60 is_status "$_id" stopped || true
    _max=$(cg_key "$_c" pids.events max)
    if [ -n "$_max" ] && [ "$_max" -gt 0 ] && grep -qi fork "$work/$_id/err" && ! has_line "$work/$_id/out" "forked all"; then
        ok "cgroup: a pids limit stops forks (pids.events max $_max)"
    else
        not_ok "cgroup: a pids limit stops forks (pids.events max)" "cgroup: $_c" \
            "@$CG$_c/pids.events" "@$work/$_id/out" "@$work/$_id/err"
    fi
    h delete --force "$_id" > /dev/null 2>&1 || true
}

# The device program: the host's /dev/kmsg (c 1:11, not one of the default devices, which
# runc and husk allow whatever the rules say) is bind-mounted into the container: the rules
# deny it, then allow it. /dev/zero stays readable: the default devices are allowed.
t_cgroup_devices() {
    cgroup_gate "cgroup: device rules deny and allow (eBPF device program)" || return 0
    _kmsg='{"destination": "/dev/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]},'
    _args='["sh", "-c", "head -c1 /dev/zero | wc -c; echo husk > /dev/kmsg && echo kmsg written"]'

    _id=v2-devdeny-$$
    bundle "$_id" "$_args" '"devices": [{"allow": false, "access": "rwm"}]' "" "$_kmsg"
    run "$_id" || true
    expect "cgroup: the default devices stay allowed (head -c1 /dev/zero)" \
        "$(sed -n 1p "$work/$_id/out")" 1 "@$work/$_id/err"
    if ! has_line "$work/$_id/out" "kmsg written" && grep -q "not permitted" "$work/$_id/err"; then
        ok "cgroup: a device rule denies (/dev/kmsg: EPERM)"
    else
        not_ok "cgroup: a device rule denies (/dev/kmsg: EPERM)" "@$work/$_id/out" "@$work/$_id/err"
    fi

    _id=v2-devallow-$$
    bundle "$_id" "$_args" '"devices": [{"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "rw"}]' "" "$_kmsg"
    run "$_id" || true
    if has_line "$work/$_id/out" "kmsg written"; then
        ok "cgroup: a later device rule allows (/dev/kmsg written)"
    else
        not_ok "cgroup: a later device rule allows (/dev/kmsg written)" "@$work/$_id/out" "@$work/$_id/err"
    fi
}

t_cgroup_pause() {
    cgroup_gate "cgroup: pause and resume (cgroup.freeze)" || return 0
    _id=v2-pause-$$
    bundle "$_id" '["sleep", "1000"]'
    if ! create "$_id" || ! h start "$_id" 2>> "$work/$_id/err"; then
        not_ok "cgroup: a container to pause" "@$work/$_id/err"
        return 0
    fi
    _c=$(cgroup_of "$(init_pid "$_id")")
    if h pause "$_id" 2> "$work/$_id/pause.err" && [ "$(cg_value "$_c" cgroup.freeze)" = 1 ] &&
        wait_for 10 cg_key_is "$_c" cgroup.events frozen 1; then
        ok "cgroup: pause freezes the cgroup (cgroup.freeze 1, frozen 1)"
    else
        not_ok "cgroup: pause freezes the cgroup (cgroup.freeze 1, frozen 1)" "cgroup: $_c" \
            "@$work/$_id/pause.err" "@$CG$_c/cgroup.events"
    fi
    expect "cgroup: state after pause: paused" "$(status "$_id")" paused
    if h resume "$_id" 2> "$work/$_id/resume.err" && [ "$(cg_value "$_c" cgroup.freeze)" = 0 ] &&
        wait_for 10 cg_key_is "$_c" cgroup.events frozen 0; then
        ok "cgroup: resume thaws it (cgroup.freeze 0, frozen 0)"
    else
        not_ok "cgroup: resume thaws it (cgroup.freeze 0, frozen 0)" "@$work/$_id/resume.err" \
            "@$CG$_c/cgroup.events"
    fi
    expect "cgroup: state after resume: running" "$(status "$_id")" running
    h delete --force "$_id" 2> "$work/$_id/delete.err" || true
    if removed "$_c"; then
        ok "cgroup: delete --force removes the cgroup"
    else
        not_ok "cgroup: delete --force removes the cgroup" "@$work/$_id/delete.err"
    fi
}

# kill --all: every process of the container dies. With cgroups, also a process that
# joined the container's cgroup from outside its pid namespace (cgroup.kill reaches it).
t_kill_all() {
    _id=v2-killall-$$
    bundle "$_id" '["sh", "-c", "sleep 1000 & sleep 1000 & echo ready; wait"]'
    if ! create "$_id" || ! h start "$_id" 2>> "$work/$_id/err" || ! wait_for 30 has_line "$work/$_id/out" ready; then
        not_ok "kill --all: a container with three processes" "@$work/$_id/err"
        return 0
    fi
    _pid=$(init_pid "$_id")
    _ns=$(readlink "/proc/$_pid/ns/pid" || true)
    _c=$(cgroup_of "$_pid")
    _outsider=
    if [ "$cgroups_built" = 1 ] && own_cgroup "$_c"; then
        sleep 1000 &
        _outsider=$!
        echo "$_outsider" > "$CG$_c/cgroup.procs" || true
    fi
    expect "kill --all: the container has three processes" "$(in_pidns "$_ns" | wc -l)" 3
    if h kill --all "$_id" KILL 2> "$work/$_id/kill.err" && wait_for 30 is_status "$_id" stopped &&
        wait_for 10 no_pidns "$_ns"; then
        ok "kill --all: every process of the container dies"
    else
        not_ok "kill --all: every process of the container dies" "@$work/$_id/kill.err" \
            "left: $(in_pidns "$_ns" | tr '\n' ' ')"
    fi
    if cgroup_gate "cgroup: kill --all kills what joined the cgroup from outside (cgroup.kill)"; then
        if [ -z "$_outsider" ]; then
            not_ok "cgroup: kill --all kills what joined the cgroup from outside (cgroup.kill)" \
                "the container has no cgroup of its own: '$_c'"
        elif wait_for 10 dead "$_outsider" && wait_for 10 cg_empty "$_c"; then
            ok "cgroup: kill --all kills what joined the cgroup from outside (cgroup.kill)"
        else
            not_ok "cgroup: kill --all kills what joined the cgroup from outside (cgroup.kill)" \
                "@$CG$_c/cgroup.procs"
            kill -9 "$_outsider" 2> /dev/null || true
        fi
        if [ -n "$_outsider" ]; then wait "$_outsider" 2> /dev/null || true; fi
    fi
    h delete "$_id" 2> "$work/$_id/delete.err" || true
    if [ "$cgroups_built" = 1 ]; then
        if removed "$_c"; then
            ok "cgroup: delete after kill --all removes the cgroup"
        else
            not_ok "cgroup: delete after kill --all removes the cgroup" "@$work/$_id/delete.err"
        fi
    fi
}

t_host
t_version
t_features
t_run
t_lifecycle
t_kill_all
t_cgroup_resources
t_cgroup_default_path
t_cgroup_run_cleanup
t_cgroup_oom
t_cgroup_pids
t_cgroup_devices
t_cgroup_pause

# Whatever a failed test left behind.
for id in $ids; do
    h delete --force "$id" > /dev/null 2>&1 || true
done
rmdir "$CG/$parent" 2> /dev/null || true

echo "1..$n"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
