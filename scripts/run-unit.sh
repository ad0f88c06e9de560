#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-unit.sh RESULTS BIN...
# Run each cmocka test binary, add up the "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s)," lines, print "unit: P passed, F failed" and
# append "unit P F" to RESULTS. A binary that crashes, times out, prints no
# summary or exits non-zero with no failure reported counts as 1 failed
# (plus the tests it reported OK before it stopped). $UNIT_TIER names
# the tier (default unit; unit-asan for the sanitizer build).
set -u
[ $# -ge 1 ] || { echo "usage: $0 RESULTS BIN..." >&2; exit 2; }
results=$1
shift
UNIT_TIMEOUT=${UNIT_TIMEOUT:-300}
tier=${UNIT_TIER:-unit}
export CMOCKA_MESSAGE_OUTPUT=stdout
out=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX")
trap 'rm -f "$out"' EXIT
trap 'exit 1' INT TERM

passed=0 failed=0
[ $# -gt 0 ] || { echo "unit: no test binaries" >&2; failed=1; }
for bin; do
	echo "== $bin"
	timeout -s KILL "$UNIT_TIMEOUT" "$bin" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" |
		awk '{ s += $1 } END { print s + 0 }')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test.*/\1/p' "$out" |
		awk '{ s += $1 } END { print s + 0 }')
	if ! grep -q '^\[  PASSED  \]\|^\[  FAILED  \]' "$out"; then
		echo "unit: $bin: no cmocka summary (exit status $rc); counted as 1 failed"
		p=$(grep -c '^\[       OK \]' "$out")
		f=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "unit: $bin: exit status $rc with no failed test; counted as 1 failed"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$tier: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "$tier $passed $failed" >>"$results"
[ "$failed" -eq 0 ]
