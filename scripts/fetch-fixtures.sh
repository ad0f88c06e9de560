#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fetch the arm64 fixtures from the configured Debian archive into $CACHE
# (git-ignored): the current Debian arm64 kernel, busybox-static and the
# arm64 libfdt that the hypervisor links. Nothing here is installed.
set -eu
CACHE=${CACHE:-.cache}
mkdir -p "$CACHE/debs"
CACHE=$(cd "$CACHE" && pwd)
cd "$CACHE/debs"

dpkg --print-foreign-architectures | grep -qx arm64 || {
	echo "fetch-fixtures: dpkg has no arm64 architecture; run 'make deps'" >&2
	exit 1
}
# linux-image-arm64 is a meta package: follow it to the real kernel.
kpkg=$(apt-cache depends linux-image-arm64:arm64 |
	sed -n 's/^ *Depends: \(linux-image-[0-9][^: ]*\).*/\1/p' | head -n 1)
[ -n "$kpkg" ] || { echo "fetch-fixtures: no linux-image-arm64 in apt" >&2; exit 1; }
for p in "$kpkg" busybox-static libfdt-dev; do
	ls ./"$p"_*_arm64.deb >/dev/null 2>&1 || apt-get download "$p:arm64"
done

rm -rf "$CACHE/arm64" "$CACHE/kernel" "$CACHE/bb"
dpkg-deb -x libfdt-dev_*_arm64.deb "$CACHE/arm64"
dpkg-deb -x "$kpkg"_*_arm64.deb "$CACHE/kernel"
dpkg-deb -x busybox-static_*_arm64.deb "$CACHE/bb"

img=$(ls "$CACHE"/kernel/boot/vmlinuz-* | head -n 1)
# Debian's arm64 vmlinuz is a plain Image on some releases, gzip on others.
if gzip -t "$img" 2>/dev/null; then
	gzip -dc "$img" > "$CACHE/Image.tmp"
else
	cp "$img" "$CACHE/Image.tmp"
fi
mv "$CACHE/Image.tmp" "$CACHE/Image"
cp "$CACHE/bb/bin/busybox" "$CACHE/busybox"
# The power button of QEMU's virt machine is a gpio-keys device; its
# driver and evdev are modules in Debian's kernel: keep those two for the
# test initramfs, so `system_powerdown` stops a guest cleanly. sbsa_gwdt
# drives the boot guard's emulated SBSA watchdog (docs/bootguard.md). The
# virtio PCI, block and network drivers give a VM its disks and cards;
# ext4 and what it needs (jbd2, mbcache, crc16, the crc32c it checksums
# with) let a VM boot from an ext4 root disk (root=/dev/vda).
mkdir -p "$CACHE/modules"
for m in drivers/input/evdev.ko drivers/input/keyboard/gpio_keys.ko \
	drivers/watchdog/sbsa_gwdt.ko \
	drivers/virtio/virtio_pci_legacy_dev.ko \
	drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko \
	drivers/block/virtio_blk.ko net/core/failover.ko \
	drivers/net/net_failover.ko drivers/net/virtio_net.ko \
	lib/crc16.ko crypto/crc32c_generic.ko fs/mbcache.ko fs/jbd2/jbd2.ko \
	fs/ext4/ext4.ko; do
	cp "$CACHE"/kernel/lib/modules/*/kernel/$m "$CACHE/modules/"
done
rm -rf "$CACHE/kernel/lib" "$CACHE/bb"
echo "fetch-fixtures: $kpkg, busybox-static and libfdt-dev (arm64) in $CACHE"
