#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-fuzz.sh RESULTS SECONDS BIN...
# Runs each libFuzzer harness for SECONDS (one at a time), on its seed
# corpus tests/fuzz/corpus/NAME and the corpus it grew before
# (DIR/corpus/NAME, DIR being the harnesses' directory). Prints per
# harness the executions, executions per second and coverage (cov: edges
# reached, of the instrumented PCs; ft: features) of the run, and "fuzz: P passed, F failed" (a harness passes when it
# ran its time without a crash, leak, timeout or failed check); appends
# "fuzz P F" to RESULTS. Crashing inputs are kept in DIR/artifacts.
set -u
[ $# -ge 2 ] || { echo "usage: $0 RESULTS SECONDS BIN..." >&2; exit 2; }
results=$1 seconds=$2
shift 2
SEEDS=${FUZZ_SEEDS:-tests/fuzz/corpus}
log=$(mktemp "${TMPDIR:-/tmp}/run-fuzz.XXXXXX")
trap 'rm -f "$log"' EXIT
trap 'exit 1' INT TERM

passed=0 failed=0
[ $# -gt 0 ] || { echo "fuzz: no harnesses" >&2; failed=1; }
for bin; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	dir=$(dirname "$bin")
	corpus=$dir/corpus/$name
	mkdir -p "$corpus" "$dir/artifacts"
	if [ ! -d "$SEEDS/$name" ]; then
		echo "fuzz: $name: no seed corpus $SEEDS/$name; counted as failed"
		failed=$((failed + 1))
		continue
	fi
	# -timeout: one input may take 10 s at most (a hang is a finding);
	# the whole run gets a minute more than asked for, then it is killed.
	timeout -s KILL $((seconds + 60)) "$bin" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" \
		"$corpus" "$SEEDS/$name" >"$log" 2>&1
	rc=$?
	stats=$(awk '
		/ (cov|ft): / { for (i = 1; i <= NF; i++) {
			if ($i == "cov:") cov = $(i + 1)
			if ($i == "ft:") ft = $(i + 1)
			if ($i == "corp:") corp = $(i + 1) } }
		/Loaded [0-9]+ PC tables/ { pcs = $6; sub(/^\(/, "", pcs) }
		/^stat::number_of_executed_units:/ { runs = $2 }
		/^stat::average_exec_per_sec:/ { eps = $2 }
		END { printf "%s runs, %s exec/s, cov %s (of %s PCs), ft %s," \
			" corpus %s", runs, eps, cov, pcs, ft, corp }' "$log")
	if [ "$rc" -eq 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
		echo "fuzz: $name: ok: $stats"
		passed=$((passed + 1))
	else
		echo "fuzz: $name: FAILED (exit status $rc): $stats"
		grep -E '^==[0-9]+==|ERROR|SUMMARY|check failed|Test unit written|runtime error' \
			"$log" | head -n 20
		failed=$((failed + 1))
	fi
done

echo "fuzz: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "fuzz $passed $failed" >>"$results"
[ "$failed" -eq 0 ]
