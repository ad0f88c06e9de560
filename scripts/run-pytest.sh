#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-pytest.sh RESULTS NAME DIR
# Run the pytest tier in DIR (or the space-separated paths DIR holds),
# show its output, print "NAME: P passed, F failed" and append
# "NAME P F" to RESULTS. Errors count as failed; no
# tests collected, or pytest ending badly with no failure counted, counts
# as 1 failed. $PYTHON picks the interpreter; by default the first of
# python3 and /usr/bin/python3 (Debian's python3-pytest) that has pytest.
# PYTEST_JOBS=N (N > 1) runs the tier's test files N at a time
# (pytest-xdist, Debian's python3-pytest-xdist, --dist loadfile: each
# file in one process, so its module fixtures are shared as before);
# without pytest-xdist the tier runs one test at a time, as said.
set -u
[ $# -eq 3 ] || { echo "usage: $0 RESULTS NAME DIR" >&2; exit 2; }
results=$1 name=$2 dir=$3
PYTEST_TIMEOUT=${PYTEST_TIMEOUT:-3600}

if [ -z "${PYTHON:-}" ]; then
	for PYTHON in python3 /usr/bin/python3; do
		"$PYTHON" -c 'import pytest' 2>/dev/null && break
	done
fi
jobs=
if [ "${PYTEST_JOBS:-1}" -gt 1 ]; then
	if "$PYTHON" -c 'import xdist' 2>/dev/null; then
		jobs="-n $PYTEST_JOBS --dist loadfile"
	else
		echo "$name: no pytest-xdist for $PYTHON; one test at a time"
	fi
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-pytest.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

{
	# shellcheck disable=SC2086 # DIR may be several paths, jobs options
	timeout -s INT -k 30 "$PYTEST_TIMEOUT" \
		"$PYTHON" -m pytest -q -p no:cacheprovider $jobs $dir 2>&1
	echo $? >"$tmp/rc"
} | tee "$tmp/out"
rc=$(cat "$tmp/rc")

# pytest's last line: "2 failed, 5 passed, 1 skipped, 1 error in 9.87s".
last=$(grep -E '[0-9]+ (passed|failed|errors?)|no tests ran' "$tmp/out" |
	tail -n 1)
count() {
	echo "$last" | grep -oE "[0-9]+ $1" | awk '{ s += $1 } END { print s + 0 }'
}
passed=$(count passed)
failed=$(( $(count failed) + $(count 'errors?') ))
if [ "$rc" -eq 5 ]; then
	echo "$name: no tests collected in $dir; counted as 1 failed"
	failed=$((failed + 1))
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "$name: pytest exit status $rc with no failed test; counted as 1 failed"
	failed=1
fi

echo "$name: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "$name $passed $failed" >>"$results"
[ "$failed" -eq 0 ]
