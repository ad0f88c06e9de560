#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# package-check.sh: the packages' acceptance tests, after `make deb rpm`.
#   PKG_OUT, PKG_VERSION, PKG_CACHE   set by packaging/module.mk
#   PKG_RESULTS                       optional: append "package P F" there
# lintian (no errors) on the .debs, rpmlint (no errors) on the .rpms, the
# same contents in both formats, the arm64 agent in its .deb, then
# install / upgrade / purge in a fresh Debian 12 root (root-test.sh) with
# the same content built again under a bumped version.
# Prints PASS/FAIL lines and a last line "P passed, F failed".
set -u
debs=$PKG_OUT/debs
rpms=$PKG_OUT/rpms
v=$PKG_VERSION
vup=$v+up1
log=$PKG_OUT/package-check.log
: >"$log"
passed=0 failed=0
result() {	# NAME STATUS
	if [ "$2" -eq 0 ]; then
		echo "PASS $1"
		passed=$((passed + 1))
	else
		echo "FAIL $1"
		failed=$((failed + 1))
	fi
}

# lintian: errors fail; warnings are listed (and justified in
# packaging/README.md). Both builds' .changes: every .deb, dbgsym included.
lintian --fail-on error --tag-display-limit 0 \
	"$debs/verge_${v}_amd64.changes" "$debs/verge_${v}_arm64.changes" \
	>"$PKG_OUT/lintian.txt" 2>&1
st=$?
grep -v '^N:\|root privileges' "$PKG_OUT/lintian.txt" | sed 's/^/  lintian: /'
result lintian-no-errors $st

# rpmlint: errors fail (its exit status is non-zero then); the -debuginfo
# packages hold detached debug files, which rpmlint checks as programs.
set --
for f in "$rpms"/*-"$v"-*.rpm; do
	case $f in *-debuginfo-*) ;; *) set -- "$@" "$f" ;; esac
done
rpmlint -c packaging/rpm/rpmlint.toml "$@" >"$PKG_OUT/rpmlint.txt" 2>&1
st=$?
grep ': [EW]: \|checked;' "$PKG_OUT/rpmlint.txt" | sed 's/^/  rpmlint: /'
result rpmlint-no-errors $st

packaging/scripts/compare-contents.py "$debs" "$rpms" "$v"
result rpm-deb-same-contents $?

# The comparison can fail: verge-cli's rpm in place of verged's must differ.
compare_detects_swap() {
	x=$PKG_OUT/check-swap
	rm -rf "$x"
	mkdir -p "$x"
	cp "$rpms"/verge*-"$v"-*.rpm "$x"/ &&
	cp "$rpms/verge-cli-$v-1.x86_64.rpm" "$x/verged-$v-1.x86_64.rpm" &&
	! packaging/scripts/compare-contents.py "$debs" "$x" "$v"
}
compare_detects_swap >>"$log" 2>&1
result compare-detects-difference $?

# systemd's own exposure score for the verged unit (0 safe .. 10 unsafe; the
# unit without its hardening options scores 9.6): it must stay below 7,
# systemd's "EXPOSED" level.
exposure_below_7() {
	systemd-analyze security --offline=yes packaging/systemd/verged.service |
		sed -n 's/.*Overall exposure level for verged.service: \([0-9.]*\).*/\1/p' |
		tee "$PKG_OUT/exposure.txt" | awk '{ ok = NF > 0 && $1 + 0 < 7.0 } END { exit !ok }'
}
exposure_below_7 >>"$log" 2>&1
st=$?
echo "  systemd-analyze security: verged.service exposure $(cat "$PKG_OUT/exposure.txt")"
result verged-unit-exposure $st

# The arm64 guest agent, as the guest tests get it: a static AArch64 ELF.
agent_is_static_arm64() {
	x=$PKG_OUT/check-agent
	rm -rf "$x"
	dpkg-deb -x "$debs/verge-guest-agent_${v}_arm64.deb" "$x" || return 1
	f=$x/usr/sbin/verge-guest-agent
	[ "$(od -An -tx1 -j18 -N2 "$f" | tr -d ' ')" = b700 ] || return 1
	! readelf -l "$f" | grep -q 'Requesting program interpreter'
}
agent_is_static_arm64 >>"$log" 2>&1
result agent-deb-static-arm64 $?

echo "  DEB     $vup (upgrade test build)"
PKG_OUT=$PKG_OUT/upgrade PKG_VERSION=$vup PKG_ONLY=native \
	packaging/scripts/build-deb.sh >>"$log" 2>&1
st=$?
result upgrade-build $st
if [ $st -eq 0 ]; then
	packaging/scripts/root-test.sh "$debs" "$v" "$PKG_OUT/upgrade/debs" "$vup" |
		tee "$PKG_OUT/root-test.txt"
	p=$(grep -c '^PASS ' "$PKG_OUT/root-test.txt")
	f=$(grep -c '^FAIL ' "$PKG_OUT/root-test.txt")
	grep -q '^root: ' "$PKG_OUT/root-test.txt" || f=$((f + 1))
	passed=$((passed + p))
	failed=$((failed + f))
fi

echo "package: $passed passed, $failed failed"
[ -z "${PKG_RESULTS:-}" ] || echo "package $passed $failed" >>"$PKG_RESULTS"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
