#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkinitramfs.sh BUSYBOX INIT OUT [TOOL...]
# Build a gzip'd newc cpio initramfs holding a static busybox (with its
# applet links), INIT as /init, each TOOL (a static arm64 program) as
# /bin/<its name> (a kernel module, *.ko, as /usr/lib/modules/<its name>:
# no /lib directory, which an appended archive may bring as the
# merged-/usr symlink), and
# the /dev /proc /sys /tmp mount points.
# No root needed: ownership is forced to 0:0 by cpio. The output is
# deterministic (fixed mtimes, sorted names, no gzip name or time stamp).
set -eu
umask 022
[ $# -ge 3 ] || { echo "usage: $0 BUSYBOX INIT OUT [TOOL...]" >&2; exit 2; }
busybox=$1 init=$2 out=$3
shift 3
for f in "$busybox" "$init" "$@"; do
	[ -r "$f" ] || { echo "mkinitramfs: $f: not readable" >&2; exit 1; }
done
for f in "$busybox" "$@"; do
	case $(od -An -tx1 -j18 -N2 "$f" | tr -d ' ') in
	b700) ;;	# e_machine EM_AARCH64
	*) echo "mkinitramfs: $f: not an arm64 ELF" >&2; exit 1 ;;
	esac
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
root=$tmp/root
mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" \
	"$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/root" \
	"$root/etc" "$root/run" "$root/usr/lib/modules"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$init" "$root/init"
chmod 755 "$root/bin/busybox" "$root/init"
for f in "$@"; do
	case $f in
	*.ko) cp "$f" "$root/usr/lib/modules/$(basename "$f")" ;;
	*) cp "$f" "$root/bin/$(basename "$f")"
	   chmod 755 "$root/bin/$(basename "$f")" ;;
	esac
done

# The applet list comes from the arm64 binary's own --list-full when it can
# run here (binfmt/qemu-user); otherwise /init runs `busybox --install -s`.
if "$root/bin/busybox" --list-full >"$tmp/applets" 2>/dev/null &&
	[ -s "$tmp/applets" ]; then
	while read -r a; do
		[ "$a" = bin/busybox ] && continue
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done <"$tmp/applets"
else
	ln -s busybox "$root/bin/sh"
fi

# Deterministic archive: one fixed time stamp, names sorted in C order.
find "$root" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
repro=
cpio --help 2>/dev/null | grep -q -- --reproducible && repro=--reproducible
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet $repro) >"$tmp/initrd.cpio"
gzip -9 -n <"$tmp/initrd.cpio" >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(wc -c <"$out") bytes)"
