#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds tests/fuzz/fuzz-config.c with libFuzzer, ASan and UBSan (Debian's clang 14) from
# the sources, the generator run into a temporary directory, and fuzzes for
# ${FUZZ_SECONDS:-60} seconds from a seed corpus of tests/unit/ocispec/**/*.json and a
# dictionary of the schemas' names. Not part of `make check`.
#
# Needs: apt-get install -y clang libclang-rt-14-dev libyajl-dev pkg-config python3
# Environment: FUZZ_SECONDS, FUZZ_WORKDIR (kept: binary, corpus, crash files; default a
# new temporary directory), CC (default clang), extra libFuzzer flags as arguments.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${FUZZ_SECONDS:-60}
work=${FUZZ_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/husk-fuzz.XXXXXX")}
cc=${CC:-clang}
mkdir -p "$work/gen" "$work/corpus"

command -v "$cc" >/dev/null || { echo "run-fuzz: $cc not found (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 1; }
python3 "$top/libocispec/gen/generate.py" --schema-dir "$top/libocispec/schema" --out-dir "$work/gen"

# shellcheck disable=SC2046
"$cc" -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Werror \
    -I"$top/libocispec/src" -I"$work/gen" \
    "$top/tests/fuzz/fuzz-config.c" "$work/gen/oci_types.c" "$top/libocispec/src/oci_runtime.c" \
    $(pkg-config --cflags --libs yajl) -o "$work/fuzz-config"

cp "$top"/tests/unit/ocispec/*.json "$top"/tests/unit/ocispec/invalid/*.json "$work/corpus/"

# Every property name and enum value of the schemas, as JSON strings.
python3 - "$top/libocispec/schema" >"$work/ocispec.dict" <<'PY'
import glob, json, os, sys
words = set()
def walk(n):
    if isinstance(n, dict):
        words.update(n.get("properties", {}).keys())
        words.update(v for v in n.get("enum", []) if isinstance(v, str))
        for v in n.values():
            walk(v)
    elif isinstance(n, list):
        for v in n:
            walk(v)
for path in glob.glob(os.path.join(sys.argv[1], "*.schema.json")):
    with open(path) as f:
        walk(json.load(f))
for w in sorted(words):
    print(json.dumps(json.dumps(w)))
for tok in ("{", "}", "[", "]", ":", ",", "null", "true", "false", "-0", "1e3", "1.5",
            "18446744073709551616", "-9223372036854775809", "\\u0000"):
    print(json.dumps(tok))
PY

echo "run-fuzz: fuzzing for ${seconds}s in $work" >&2
set +e
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1 \
    "$work/fuzz-config" -max_total_time="$seconds" -print_final_stats=1 \
    -dict="$work/ocispec.dict" -artifact_prefix="$work/" -max_len=16384 "$@" "$work/corpus"
rc=$?
set -e
if ls "$work"/crash-* "$work"/leak-* "$work"/timeout-* >/dev/null 2>&1; then
    echo "run-fuzz: findings in $work" >&2
fi
exit $rc
