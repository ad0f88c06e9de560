#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# summary.sh RESULTS
# Add up the "tier passed failed" lines that the tiers appended to RESULTS.
# An expected tier with no line (its build failed before it ran) counts as
# 1 failed. The last line printed is exactly "P passed, F failed"; the exit
# status is 1 if anything failed or nothing passed.
set -u
[ $# -eq 1 ] || { echo "usage: $0 RESULTS" >&2; exit 2; }
results=$1
TIERS="unit hv linux host e2e cores unit-asan host-asan fuzz"

[ -f "$results" ] || { echo "summary: no $results"; results=/dev/null; }
passed=0 failed=0
for tier in $TIERS; do
	if ! grep -q "^$tier " "$results" 2>/dev/null; then
		echo "summary: tier $tier did not run (build failed?); counted as 1 failed"
		failed=$((failed + 1))
	fi
done
while read -r tier p f rest; do
	[ -n "$tier" ] || continue
	case "$p$f" in
	'' | *[!0-9]*)
		echo "summary: bad line in $results: $tier $p $f $rest"
		failed=$((failed + 1))
		continue ;;
	esac
	printf '  %-9s %4d passed, %4d failed\n' "$tier" "$p" "$f"
	passed=$((passed + p))
	failed=$((failed + f))
done <"$results"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
