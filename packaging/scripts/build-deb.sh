#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-deb.sh: the .deb files, by dpkg-buildpackage (debhelper) in a copy
# of the tree whose debian/ is packaging/deb plus a changelog generated from
# the version. Results go to $PKG_OUT/debs.
#   PKG_OUT, PKG_VERSION, PKG_CACHE   set by packaging/module.mk
#   PKG_ONLY=agent-arm64              only the cross-built arm64 guest agent
#   PKG_ONLY=native                   only the build machine's packages
# Native build: every package (verge-hypervisor is Architecture: all).
# The arm64 guest agent: a cross build (-a arm64) with the build profile
# pkg.verge.agent-only, which leaves out verged and verge-cli, whose arm64
# libraries (libuv, SQLite, ...) are not installed here; the agent is
# static and only needs the cross compiler.
set -eu
only=${PKG_ONLY:-all}
work=$PKG_OUT/deb-src${PKG_ONLY:+-$PKG_ONLY}
src=$work/verge-$PKG_VERSION
out=$PKG_OUT/debs
log=$PKG_OUT/deb-build.log
mkdir -p "$out"
: >"$log"

packaging/scripts/stage.sh "$src"
cp -a "$src/packaging/deb" "$src/debian"
cp "$src/packaging/sysusers/verged.conf" "$src/debian/verged.sysusers"
packaging/scripts/mkchangelog.sh "$PKG_VERSION" deb >"$src/debian/changelog"

build() {
	echo "  DPKG-BUILDPACKAGE $*"
	if ! (cd "$src" && dpkg-buildpackage -us -uc "$@") >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "build-deb: dpkg-buildpackage $* failed; full log: $log" >&2
		exit 1
	fi
}
if [ "$only" != agent-arm64 ]; then
	build -b
	mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
fi
if [ "$only" != native ]; then
	build -B -a arm64 -Ppkg.verge.agent-only
	mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
fi
for f in "$out"/*_"$PKG_VERSION"_*.deb; do
	echo "  DEB     $f"
done
