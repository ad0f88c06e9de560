#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fetch QEMU 10 (Debian bookworm-backports' qemu-system-arm,
# qemu-system-common and qemu-system-data) into $CACHE/qemu10, for the
# newer CPU models (docs/testing.md, "Cores"). Nothing is installed and the
# host's apt sources stay as they are: apt runs with a private state,
# cache and sources list under $CACHE/qemu10/apt, the packages are
# unpacked with dpkg-deb -x. The backport is built for Debian 12, so it
# runs with the host's libraries:
#   $CACHE/qemu10/usr/bin/qemu-system-aarch64 -L $CACHE/qemu10/usr/share/qemu
# Does nothing when $CACHE/qemu10 is complete. No root needed.
set -eu
CACHE=${CACHE:-.cache}
MIRROR=${QEMU10_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm-backports
PKGS="qemu-system-arm qemu-system-common qemu-system-data"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
q=$CACHE/qemu10
[ -e "$q/.complete" ] && exit 0

fail() {
	echo "fetch-qemu10: $*" >&2
	exit 1
}
[ -r "$KEYRING" ] || fail "$KEYRING missing (package debian-archive-keyring)"
arch=$(dpkg --print-architecture)

apt=$q/apt
mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" \
	"$apt/debs"
echo "deb [arch=$arch signed-by=$KEYRING] $MIRROR $SUITE main" \
	>"$apt/sources.list"
# Only this private state: the host's lists, sources and preferences are
# never read or written.
set -- -q -o Dir::State="$apt/state" -o Dir::Cache="$apt/cache" \
	-o Dir::Etc::SourceList="$apt/sources.list" \
	-o Dir::Etc::SourceParts=/dev/null \
	-o Dir::Etc::Preferences=/dev/null \
	-o Dir::Etc::PreferencesParts=/dev/null \
	-o APT::Architectures="$arch" -o Debug::NoLocking=1
apt-get "$@" --error-on=any update >"$apt/update.log" 2>&1 ||
	fail "apt-get update of $MIRROR $SUITE failed: $(tail -n 3 "$apt/update.log")"

cd "$apt/debs"
rm -f ./*.deb
for p in $PKGS; do
	# pkg/suite: the backports candidate, whatever the host has installed
	apt-get "$@" download "$p/$SUITE" >"$apt/download.log" 2>&1 ||
		fail "apt-get download $p/$SUITE failed: $(tail -n 3 "$apt/download.log")"
done

rm -rf "$q/x"
trap 'rm -rf "$q/x"' EXIT
for d in ./*.deb; do
	dpkg-deb -x "$d" "$q/x"
done
[ -x "$q/x/usr/bin/qemu-system-aarch64" ] ||
	fail "no usr/bin/qemu-system-aarch64 in: $(ls)"
ver=$("$q/x/usr/bin/qemu-system-aarch64" -L "$q/x/usr/share/qemu" -version |
	head -n 1) || fail "the unpacked QEMU does not run on this host"
rm -rf "$q/usr" "$q/etc" "$q/lib"
for d in "$q"/x/*; do
	mv "$d" "$q/"
done
rm -rf "$apt/state" "$apt/cache"
touch "$q/.complete"
echo "fetch-qemu10: $ver in $q (run it with -L $q/usr/share/qemu)"
