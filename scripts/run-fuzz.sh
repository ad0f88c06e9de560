#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-fuzz.sh RESULTS SECONDS BIN...
# Runs each libFuzzer harness for SECONDS (FUZZ_JOBS at a time), on its seed
# corpus tests/fuzz/corpus/NAME and the corpus it grew before
# (DIR/corpus/NAME, DIR being the harnesses' directory). Prints per
# harness the executions, executions per second and coverage (cov: edges
# reached, of the instrumented PCs; ft: features) of the run, and "fuzz: P passed, F failed" (a harness passes when it
# ran its time without a crash, leak, timeout or failed check); appends
# "fuzz P F" to RESULTS. Crashing inputs are kept in DIR/artifacts.
# FUZZ_JOBS (default 1) harnesses run at once, each for its SECONDS, on
# a core of its own where there are as many cores (make check runs two at
# once on a 2-core machine: nothing else of the check runs beside them);
# the reports come in the order of the arguments.
set -u
[ $# -ge 2 ] || { echo "usage: $0 RESULTS SECONDS BIN..." >&2; exit 2; }
results=$1 seconds=$2
shift 2
SEEDS=${FUZZ_SEEDS:-tests/fuzz/corpus}
JOBS=${FUZZ_JOBS:-1}
case "$JOBS" in '' | *[!0-9]* | 0) echo "fuzz: FUZZ_JOBS=$JOBS: not a" \
	"positive number" >&2; exit 2 ;; esac
logs=$(mktemp -d "${TMPDIR:-/tmp}/run-fuzz.XXXXXX")
trap 'rm -rf "$logs"' EXIT
trap 'exit 1' INT TERM

# run_one BIN LOG: one harness for SECONDS; its exit status in LOG.rc.
run_one() {
	bin=$1 log=$2
	name=$(basename "$bin" | sed 's/^fuzz_//')
	dir=$(dirname "$bin")
	corpus=$dir/corpus/$name
	mkdir -p "$corpus" "$dir/artifacts"
	# -timeout: one input may take 10 s at most (a hang is a finding);
	# the whole run gets a minute more than asked for, then it is killed.
	timeout -s KILL $((seconds + 60)) "$bin" -max_total_time="$seconds" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/$name-" \
		"$corpus" "$SEEDS/$name" >"$log" 2>&1
	echo $? >"$log.rc"
}

# report BIN LOG: its line (and the finding, if any); counts it.
report() {
	bin=$1 log=$2
	name=$(basename "$bin" | sed 's/^fuzz_//')
	rc=$(cat "$log.rc" 2>/dev/null || echo 1)
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
}

passed=0 failed=0
[ $# -gt 0 ] || { echo "fuzz: no harnesses" >&2; failed=1; }
# Batches of JOBS harnesses: started together, waited for, reported.
while [ $# -gt 0 ]; do
	batch= i=0
	while [ $# -gt 0 ] && [ "$i" -lt "$JOBS" ]; do
		bin=$1
		shift
		name=$(basename "$bin" | sed 's/^fuzz_//')
		if [ ! -d "$SEEDS/$name" ]; then
			echo "fuzz: $name: no seed corpus $SEEDS/$name; counted as failed"
			failed=$((failed + 1))
			continue
		fi
		i=$((i + 1))
		run_one "$bin" "$logs/$i" &
		batch="$batch $bin"
	done
	wait
	i=0
	for bin in $batch; do
		i=$((i + 1))
		report "$bin" "$logs/$i"
	done
done

echo "fuzz: $passed passed, $failed failed"
mkdir -p "$(dirname "$results")"
echo "fuzz $passed $failed" >>"$results"
[ "$failed" -eq 0 ]
