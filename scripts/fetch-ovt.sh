#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fetch Debian's arm64 open-vm-tools and the shared libraries its
# vmware-checkvm and vmware-rpctool need, from the configured Debian
# archive, into $CACHE/ovt (git-ignored; .cache is shared, so nothing
# outside that subdirectory is written). Nothing is installed: the
# programs and their library closure are unpacked into $CACHE/ovt/root
# (usr/bin, usr/lib/aarch64-linux-gnu), which scripts/mkovt-initramfs.sh
# adds to the test initramfs.
set -eu
CACHE=${CACHE:-.cache}
READELF=${READELF:-aarch64-linux-gnu-readelf}
BINS="vmware-checkvm vmware-rpctool"
# open-vm-tools and the packages holding its programs' library closure
# (the walk below checks that nothing is missing).
PKGS="open-vm-tools libc6 libglib2.0-0 libpcre2-8-0 libtirpc3
	libgssapi-krb5-2 libkrb5-3 libk5crypto3 libcom-err2 libkrb5support0
	libkeyutils1"

mkdir -p "$CACHE/ovt/debs"
ovt=$(cd "$CACHE/ovt" && pwd)
[ -e "$ovt/root/.complete" ] && exit 0

dpkg --print-foreign-architectures | grep -qx arm64 || {
	echo "fetch-ovt: dpkg has no arm64 architecture; run 'make deps'" >&2
	exit 1
}
cd "$ovt/debs"
for p in $PKGS; do
	ls ./"$p"_*_arm64.deb >/dev/null 2>&1 || apt-get download "$p:arm64"
done

rm -rf "$ovt/x" "$ovt/root.tmp"
trap 'rm -rf "$ovt/x" "$ovt/root.tmp"' EXIT
for d in ./*_arm64.deb; do
	dpkg-deb -x "$d" "$ovt/x"
done
lib=$ovt/root.tmp/usr/lib/aarch64-linux-gnu
mkdir -p "$ovt/root.tmp/usr/bin" "$lib"

needed() {
	"$READELF" -d "$1" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'
}

# Breadth-first over DT_NEEDED: copy each library (dereferenced) once.
todo=
for b in $BINS; do
	cp "$ovt/x/usr/bin/$b" "$ovt/root.tmp/usr/bin/$b"
	todo="$todo $ovt/x/usr/bin/$b"
done
while [ -n "$todo" ]; do
	next=
	for f in $todo; do
		for n in $(needed "$f"); do
			[ -e "$lib/$n" ] && continue
			src=$(find "$ovt/x" -name "$n" | head -n 1)
			[ -n "$src" ] || {
				echo "fetch-ovt: $n (needed by $(basename "$f")) is in none of: $PKGS" >&2
				exit 1
			}
			cp -L "$src" "$lib/$n"
			next="$next $lib/$n"
		done
	done
	todo=$next
done
# The programs' interpreter is /lib/ld-linux-aarch64.so.1.
ln -s aarch64-linux-gnu/ld-linux-aarch64.so.1 \
	"$ovt/root.tmp/usr/lib/ld-linux-aarch64.so.1"
ln -s usr/lib "$ovt/root.tmp/lib"
touch "$ovt/root.tmp/.complete"
rm -rf "$ovt/root"
mv "$ovt/root.tmp" "$ovt/root"
echo "fetch-ovt: $BINS and $(ls "$ovt/root/usr/lib/aarch64-linux-gnu" | wc -l) libraries in $ovt/root"
