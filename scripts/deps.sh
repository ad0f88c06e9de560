#!/bin/sh
# Install what verge's build and tests need on Debian 12 (as root or with sudo).
set -eu
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
# The arm64 architecture lets apt fetch the guest kernel, busybox and the
# arm64 libfdt from the configured Debian archive (they are unpacked, never
# installed: see fetch-fixtures.sh).
dpkg --print-foreign-architectures | grep -qx arm64 ||
	$SUDO dpkg --add-architecture arm64
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
	make gcc libc6-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	qemu-system-arm ipxe-qemu \
	libuv1-dev libjansson-dev libfdt-dev libsqlite3-dev \
	libcurl4-openssl-dev libmicrohttpd-dev libcmocka-dev \
	python3 python3-pytest device-tree-compiler cpio gzip \
	pkg-config ca-certificates
