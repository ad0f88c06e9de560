#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# demo.sh: verge's main job, end to end, as an operator runs it. verged
# starts in a temporary directory; a Linux VM (the Debian arm64 kernel and
# the test initramfs, whose init starts verge-guest-agent) is defined and
# started under verge-hv; `verge vm list`, the agent's report, the guest's
# clock slowed to half speed and `verge clock show`; then everything the
# demo started is stopped by pid, and the demo says how to play on.
# DEMO_KEEP=1 (`make demo DEMO_KEEP=1`) leaves verged and the VM running
# instead and prints the commands that reach them. Builds nothing (`make
# demo` does).
set -eu
cd "$(dirname "$0")/.."
BUILD=${VERGE_BUILD:-build}
CACHE=${VERGE_CACHE:-.cache}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-180}
DEMO_KEEP=${DEMO_KEEP:-}

for f in "$BUILD/verged" "$BUILD/verge-jail" "$BUILD/verge" \
		"$BUILD/verge-hv.bin" "$CACHE/Image" "$BUILD/initrd.gz"; do
	[ -r "$f" ] || { echo "demo: missing $f (run make)" >&2; exit 1; }
done
BUILD=$(cd "$BUILD" && pwd) CACHE=$(cd "$CACHE" && pwd)

dir=$(mktemp -d /tmp/verge-demo.XXXXXX)
verged_pid=
cleanup() {
	set +e
	if [ -n "$verged_pid" ] && kill -0 "$verged_pid" 2>/dev/null; then
		"$BUILD/verge" --socket "$dir/verged.sock" vm kill demo \
			>/dev/null 2>&1
		kill "$verged_pid"
		wait "$verged_pid"
	fi
	# A QEMU left by a failed step: killed by the pid verged recorded.
	for p in "$dir"/run/vms/*/qemu.pid; do
		[ -r "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
verge() {
	echo "\$ verge $*"
	"$BUILD/verge" --socket "$dir/verged.sock" "$@"
}
# The commands to play on, runnable as they are printed.
next_steps() {
	say "what to try next"
	if [ -n "$DEMO_KEEP" ]; then
		cat <<-EOT
		verged (pid $verged_pid) and the VM "demo" keep running; in a shell:
		  export PATH="$BUILD:\$PATH" VERGE_SOCKET="$dir/verged.sock"
		  verge agent show demo
		  verge clock set-rate demo 2
		  verge events demo
		When done: verge vm stop demo; kill $verged_pid; rm -rf $dir
		EOT
	else
		cat <<-EOT
		The demo stopped its VM and verged. To play on with them:
		  make demo DEMO_KEEP=1
		leaves both running and prints the commands that reach them
		(verge agent show demo, verge clock set-rate demo 2, verge events
		demo). verge(1) and docs/verged.md describe the rest.
		EOT
	fi
}
# Polls "verge ARGS" (quietly) until it succeeds or the demo times out.
wait_for() {
	what=$1; shift
	end=$(($(date +%s) + DEMO_TIMEOUT))
	printf 'demo: waiting for %s' "$what"
	until "$BUILD/verge" --socket "$dir/verged.sock" "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] ||
			{ echo; echo "demo: no $what in ${DEMO_TIMEOUT}s" >&2; exit 1; }
		printf .
		sleep 1
	done
	echo
}

say "verged in $dir (SQLite state, JSON-RPC on a Unix socket)"
"$BUILD/verged" --foreground --socket "$dir/verged.sock" \
	--state-dir "$dir/state" --run-dir "$dir/run" --rest off \
	>"$dir/verged.log" 2>&1 </dev/null &
verged_pid=$!
wait_for "verged" version

say "a Linux VM under verge-hv, with the guest agent"
verge vm define demo --kernel "$CACHE/Image" --initrd "$BUILD/initrd.gz" \
	--cmdline "console=ttyAMA0 verge_agent=2" --memory 1024 --cpus 2
verge vm start demo
verge vm list
wait_for "the guest agent's first report" agent show demo

say "the guest agent's report (over the backdoor and the management channel)"
verge agent show demo

say "the guest's clock at half speed"
verge clock set-rate demo 0.5
sleep 4
verge clock show demo
verge agent ping demo

if [ -n "$DEMO_KEEP" ]; then
	verge events demo
	trap - EXIT
	next_steps
	exit 0
fi
say "a clean stop at half speed (the guest's power button), then verged"
verge vm stop demo
verge events demo
kill "$verged_pid"
wait "$verged_pid" || true
verged_pid=
echo "demo: done"
next_steps
