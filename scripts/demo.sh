#!/bin/sh
# demo.sh: boot the Debian arm64 kernel and the test initramfs under
# verge-hv with verge_demo=1, showing the console live. The guest's init
# prints a few facts and powers off. Builds nothing (`make demo` does).
# Exit status: QEMU's (124 if it ran out of time).
set -eu
cd "$(dirname "$0")/.."
BUILD=${VERGE_BUILD:-build}
CACHE=${VERGE_CACHE:-.cache}
QEMU=${QEMU:-qemu-system-aarch64}
DEMO_TIMEOUT=${DEMO_TIMEOUT:-180}
KERNEL_ADDR=0x44000000

for f in "$BUILD/verge-hv.bin" "$CACHE/Image" "$BUILD/initrd.gz"; do
	[ -r "$f" ] || { echo "demo: missing $f (run make)" >&2; exit 1; }
done

# Hypervisor options before "--", the guest kernel's command line after.
append="verge.kernel=$KERNEL_ADDR -- console=ttyAMA0 verge_demo=1"

set -x
exec timeout --foreground "$DEMO_TIMEOUT" "$QEMU" \
	-M virt,virtualization=on,gic-version=3 -cpu cortex-a57 -smp 2 -m 1G \
	-nographic -no-reboot \
	-kernel "$BUILD/verge-hv.bin" \
	-device loader,file="$CACHE/Image",addr=$KERNEL_ADDR,force-raw=on \
	-initrd "$BUILD/initrd.gz" \
	-append "$append"
