#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkovt-initramfs.sh BASE_INITRD OVT_ROOT OUT
# The test initramfs plus open-vm-tools (the tree fetch-ovt.sh unpacked):
# Linux unpacks concatenated cpio archives in order, so OUT is BASE
# followed by a second gzip'd newc archive of OVT_ROOT (deterministic:
# fixed mtimes, sorted names, root ownership).
set -eu
[ $# -eq 3 ] || { echo "usage: $0 BASE_INITRD OVT_ROOT OUT" >&2; exit 2; }
base=$1 root=$2 out=$3
[ -r "$base" ] || { echo "mkovt-initramfs: $base: not readable" >&2; exit 1; }
[ -e "$root/.complete" ] || {
	echo "mkovt-initramfs: $root: not fetched (run make fixtures)" >&2
	exit 1
}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkovt.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
cp -a "$root" "$tmp/root"
rm -f "$tmp/root/.complete"
find "$tmp/root" -exec touch -h -d @0 {} +
repro=
cpio --help 2>/dev/null | grep -q -- --reproducible && repro=--reproducible
(cd "$tmp/root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet $repro) | gzip -9 -n >"$tmp/ovt.gz"
mkdir -p "$(dirname "$out")"
cat "$base" "$tmp/ovt.gz" >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkovt-initramfs: $out ($(wc -c <"$out") bytes)"
