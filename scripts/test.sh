#!/bin/sh
# scripts/test.sh - installs what is missing, builds, and runs the whole
# test suite: the C unit tests under AddressSanitizer/UBSan, then the
# system tests (pytest) against real etcd and the ASan-built programs.
# Ends with the line "N passed, N failed". Extra arguments go to pytest.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh || exit 1
echo "== build (variant=asan)"
scons -Q -j"$(nproc)" variant=asan >/tmp/corral-build.log 2>&1 || { cat /tmp/corral-build.log; exit 1; }
bin="$top/build/asan/bin"
echo "== unit tests (ASan/UBSan)"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CR_TEST_TIMEOUT_MULTIPLIER=3 "$bin/corral-unit" | tee /tmp/corral-unit.log
unit_line=$(tail -n 1 /tmp/corral-unit.log)
unit_pass=$(echo "$unit_line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
unit_fail=$(echo "$unit_line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
[ -n "$unit_pass" ] || { unit_pass=0; unit_fail=1; }
echo "== system tests"
CORRAL_BIN="$bin" ASAN_OPTIONS=detect_leaks=0 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/system "$@" 2>&1 | tee /tmp/corral-system.log
sys_line=$(grep -E '^(=+ )?.*[0-9]+ (passed|failed|error)' /tmp/corral-system.log | tail -n 1)
sys_pass=$(echo "$sys_line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
sys_fail=$(echo "$sys_line" | grep -oE '[0-9]+ (failed|error|errors)' | awk '{ s += $1 } END { print s + 0 }')
[ -n "$sys_pass" ] || sys_pass=0
[ -n "$sys_fail" ] || sys_fail=0
if [ -z "$sys_line" ]; then sys_fail=$((sys_fail + 1)); fi
total_pass=$((unit_pass + sys_pass))
total_fail=$((unit_fail + sys_fail))
echo
echo "unit: $unit_pass passed, $unit_fail failed; system: $sys_pass passed, $sys_fail failed"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
