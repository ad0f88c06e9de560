#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Install what verge's build and tests need on Debian 12 (as root or with
# sudo). Does nothing when everything is already there, so `make check`
# and `make demo` can call it every time. With --bench, also what `make
# bench` compares against (wrk, nginx, hyperfine): not needed by the tests.
# Then QEMU 10 into $CACHE/qemu10 (fetch-qemu10.sh; the system QEMU 7.2
# stays the default).
set -eu
CACHE=${CACHE:-.cache}
export CACHE
qemu10() {
	"$(dirname "$0")/fetch-qemu10.sh"
}
PKGS="make gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-system-arm ipxe-qemu qemu-utils
	libuv1-dev libjansson-dev libfdt-dev libsqlite3-dev libinih-dev
	libcurl4-openssl-dev libcmocka-dev etcd-server etcd-client prometheus
	python3 python3-pytest python3-pytest-xdist python3-prometheus-client
	python3-yaml
	device-tree-compiler cpio gzip mandoc acpica-tools pkg-config ca-certificates
	e2fsprogs iproute2
	debhelper lintian rpm rpmlint elfutils mmdebstrap
	clang libclang-rt-14-dev clang-format"
# qemu-efi-aarch64: EDK2 for scripts/acpi-compare.py (QEMU's own tables).
# libvirt: bench/vs_libvirt.py runs Debian's libvirtd beside verged.
[ "${1:-}" = --bench ] &&
	PKGS="$PKGS wrk nginx-light hyperfine qemu-efi-aarch64
	libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
	python3-libvirt"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
has_arm64=1
dpkg --print-foreign-architectures | grep -qx arm64 || has_arm64=0
[ -z "$missing" ] && [ $has_arm64 = 1 ] && { qemu10; exit 0; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# The arm64 architecture lets apt fetch the guest kernel, busybox and the
# arm64 libfdt from the configured Debian archive (they are unpacked, never
# installed: see fetch-fixtures.sh).
[ $has_arm64 = 1 ] || $SUDO dpkg --add-architecture arm64
echo "deps: installing:${missing:- (none; adding arm64 lists)}"
$SUDO apt-get update -q
# shellcheck disable=SC2086
[ -z "$missing" ] || $SUDO apt-get install -y -q --no-install-recommends $missing
qemu10
