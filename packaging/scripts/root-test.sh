#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2016 # dpkg-query's ${Field}s are single-quoted
# root-test.sh DEBS1 V1 DEBS2 V2
# Install the verge .debs of version V1 (from DEBS1) in a fresh Debian 12
# root, upgrade to V2 (DEBS2: the same content built with a bumped
# version), then purge; check files, modes, the verge group, directories,
# conffile handling, units, and that the installed verged and verge run.
# Prints "PASS name" / "FAIL name" and "root: P passed, F failed"; the exit
# status is 1 if anything failed.
#   PKG_OUT     work directory: the root is $PKG_OUT/root, the cached base
#               root $PKG_OUT/cache/bookworm-apt.tar, downloaded packages
#               $PKG_OUT/cache/apt-archives (kept between runs).
#   PKG_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   PKG_CACHE   the fixtures: the guest kernel (Image) for the jailed VM
# Runs itself in a private mount namespace, so /proc and the package cache
# mounted into the root disappear with it, whatever happens.
set -eu
[ $# -eq 4 ] || { echo "usage: $0 DEBS1 V1 DEBS2 V2" >&2; exit 2; }
if [ -z "${ROOT_TEST_NS:-}" ]; then
	ROOT_TEST_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
debs1=$(realpath "$1") v1=$2 debs2=$(realpath "$3") v2=$4
mirror=${PKG_MIRROR:-http://deb.debian.org/debian}
root=$PKG_OUT/root
cache=$PKG_OUT/cache
log=$PKG_OUT/root-test.log
PKGS="verge-hypervisor verged verge-cli verge-guest-agent"
mkdir -p "$cache/apt-archives/partial"
: >"$log"

# The base root (essential packages and apt) is made once and reused: what
# the test checks is what apt installs on top of it.
base=$cache/bookworm-apt.tar
if [ ! -s "$base" ]; then
	echo "  MMDEBSTRAP $base"
	rm -rf "$cache/new.tar"
	mmdebstrap --variant=apt --mode=root bookworm "$cache/new.tar" \
		"deb $mirror bookworm main" \
		"deb $mirror bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" \
		>>"$log" 2>&1 || { tail -n 20 "$log"; exit 1; }
	mv "$cache/new.tar" "$base"
fi
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
# Packages already downloaded on this machine seed the cache (hard links).
cp -n -l /var/cache/apt/archives/*.deb "$cache/apt-archives/" 2>/dev/null || :
mount -t proc proc "$root/proc"
mount --bind "$cache/apt-archives" "$root/var/cache/apt/archives"
mkdir -p "$root/tmp/debs1" "$root/tmp/debs2"
mount --bind "$debs1" "$root/tmp/debs1"
mount --bind "$debs2" "$root/tmp/debs2"
cp /etc/resolv.conf "$root/etc/resolv.conf"

passed=0 failed=0
check() {
	name=$1
	shift
	echo "== $name: $*" >>"$log"
	if "$@" >>"$log" 2>&1; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		echo "FAIL $name (log: $log)"
		failed=$((failed + 1))
	fi
}
in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}
debs_of() {	# DIR VERSION: the packages' .deb files as the root sees them
	for p in $PKGS; do
		for f in "$root/tmp/$1/${p}_$2_"*.deb; do
			case $f in *_all.deb|*_amd64.deb) echo "/tmp/$1/${f##*/}" ;; esac
		done
	done
}
apt_install() {
	# shellcheck disable=SC2046
	in_root apt-get install -y -q --no-install-recommends $(debs_of "$@")
}
# PATH MODE OWNER GROUP: what the installed root must hold.
FILES="
/usr/sbin/verged 755 root root
/usr/bin/verge 755 root root
/usr/sbin/verge-guest-agent 755 root root
/usr/lib/verge/verge-hv.bin 644 root root
/usr/lib/verge/verge-jail 755 root root
/etc/verge/verged.conf 644 root root
/etc/verge/rest.token 640 root verge
/lib/systemd/system/verged.service 644 root root
/lib/systemd/system/verge-guest-agent.service 644 root root
/usr/lib/sysusers.d/verged.conf 644 root root
/usr/lib/tmpfiles.d/verged.conf 644 root root
/usr/share/man/man8/verged.8.gz 644 root root
/usr/share/man/man1/verge.1.gz 644 root root
/usr/share/man/man8/verge-guest-agent.8.gz 644 root root
/usr/share/bash-completion/completions/verge 644 root root
/run/verge 750 root verge
/var/lib/verge 750 root verge
"
files_in_place() {
	echo "$FILES" | while read -r path mode owner group; do
		[ -n "$path" ] || continue
		got=$(in_root stat -c '%a %U %G' "$path") || exit 1
		[ "$got" = "$mode $owner $group" ] ||
			{ echo "$path: $got, expected $mode $owner $group"; exit 1; }
	done
}
versions_are() {
	for p in $PKGS; do
		got=$(in_root dpkg-query -W -f='${Version} ${Status}' "$p")
		[ "$got" = "$1 install ok installed" ] ||
			{ echo "$p: $got, expected $1"; return 1; }
	done
}
system_group() {
	gid=$(in_root getent group verge | cut -d: -f3)
	[ -n "$gid" ] && [ "$gid" -lt 1000 ] && echo "$gid" >"$PKG_OUT/verge.gid"
}
same_group() {
	[ "$(in_root getent group verge | cut -d: -f3)" = "$(cat "$PKG_OUT/verge.gid")" ]
}
is_conffile() {
	in_root dpkg-query -W -f='${Conffiles}\n' verged |
		grep -q '^ /etc/verge/verged.conf [0-9a-f]\{32\}$'
}
enabled() {
	[ -L "$root/etc/systemd/system/multi-user.target.wants/verged.service" ] &&
	[ -L "$root/etc/systemd/system/multi-user.target.wants/verge-guest-agent.service" ]
}
prints_version() {
	out=$(in_root /usr/sbin/verged --version) || return 1
	echo "verged --version: $out"
	echo "$out" | grep -qF "$1"
}
units_verify() {
	in_root systemd-analyze verify --man=no verged.service \
		verge-guest-agent.service
}
no_leftovers() {
	while read -r f; do
		[ -d "$root$f" ] && continue
		if [ -e "$root$f" ] || [ -L "$root$f" ]; then
			echo "left behind: $f"
			return 1
		fi
	done <"$PKG_OUT/installed-files"
	for f in /etc/verge /var/lib/verge /run/verge \
		/etc/systemd/system/multi-user.target.wants/verged.service; do
		if [ -e "$root$f" ] || [ -L "$root$f" ]; then
			echo "left behind: $f"
			return 1
		fi
	done
}
# The installed verged starts a jailed VM with its installed config, run
# as its unit runs it as far as a root without systemd allows: the unit's
# own CapabilityBoundingSet (read from the installed file) and
# NoNewPrivileges through setpriv, ProtectSystem=full (/usr, /boot, /etc
# read-only) and PrivateTmp through a mount namespace. Its other
# options (the system call filter, RestrictAddressFamilies, ...) need
# systemd as PID 1, which this machine does not have. QEMU must run as
# the VM's own uid, in namespaces of its own, and the guest kernel print.
# (--rest off: the host running this test may use verged's port already.)
jailed_vm_starts() {
	unit=$root/lib/systemd/system/verged.service
	grep -qx 'NoNewPrivileges=yes' "$unit" || return 1
	grep -qx 'ProtectSystem=full' "$unit" || return 1
	grep -qx 'PrivateTmp=yes' "$unit" || return 1
	bset=$(sed -n '/^CapabilityBoundingSet=/,/[^\\]$/p' "$unit" |
		sed 's/^CapabilityBoundingSet=//; s/\\$//' | tr -s ' \t\n' ' ' |
		tr '[:upper:]' '[:lower:]' | sed 's/cap_/+/g; s/^ *//; s/ *$//; s/ /,/g')
	echo "bounding set: -all,$bset"
	[ -n "$bset" ] || return 1
	mkdir -p "$root/var/lib/verge-test" "$root/sys/fs/cgroup"
	cp "$PKG_CACHE/Image" "$root/var/lib/verge-test/Image"
	chmod 755 "$root/var/lib/verge-test"
	chmod 644 "$root/var/lib/verge-test/Image"
	mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup" &&
	mount --rbind /dev "$root/dev" || return 1
	# shellcheck disable=SC2016 # expanded by the inner sh
	unshare --mount --propagation private sh -c '
		r=$1 bset=$2
		# the root a mount point, as under systemd: pivot_root needs it
		mount --rbind "$r" "$r" &&
		mount -t tmpfs tmpfs "$r/tmp" || exit 1
		for d in usr boot etc; do
			[ -d "$r/$d" ] || continue
			mount --bind "$r/$d" "$r/$d" &&
			mount -o remount,bind,ro "$r/$d" || exit 1
		done
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin \
			setpriv --no-new-privs --bounding-set "-all,$bset" \
			/usr/sbin/verged --foreground --rest off \
			--config /etc/verge/verged.conf' sh "$root" "$bset" &
	vpid=$!
	st=1
	for _ in $(seq 100); do
		[ -S "$root/run/verge/verged.sock" ] && break
		sleep 0.1
	done
	if in_root verge vm define pkgjail --kernel /var/lib/verge-test/Image \
		--memory 256 --cpus 1 &&
	   in_root verge vm start pkgjail; then
		for _ in $(seq 300); do
			in_root verge --json vm show pkgjail >"$PKG_OUT/jail-vm.json"
			grep -q '"state": *"running"' "$PKG_OUT/jail-vm.json" &&
				grep -q 'Booting Linux' "$root/var/lib/verge/vms/pkgjail/console.log" 2>/dev/null &&
				break
			sleep 0.2
		done
		cat "$PKG_OUT/jail-vm.json"
		qpid=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$PKG_OUT/jail-vm.json" | head -n 1)
		uid=$(sed -n 's/.*"uid": *\([0-9]*\).*/\1/p' "$PKG_OUT/jail-vm.json" | head -n 1)
		echo "QEMU $qpid, VM uid $uid"
		grep Uid "/proc/$qpid/status"
		[ -n "$qpid" ] && [ -n "$uid" ] && [ "$uid" -ge 3000000 ] &&
		grep -q "^Uid:[[:space:]]*${uid}[[:space:]]" "/proc/$qpid/status" &&
		[ "$(readlink "/proc/$qpid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] &&
		grep -q 'Booting Linux' "$root/var/lib/verge/vms/pkgjail/console.log" &&
		st=0
		in_root verge vm kill pkgjail
		in_root verge vm undefine pkgjail
	fi
	kill "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null
	umount -R "$root/dev" "$root/sys/fs/cgroup"
	rm -rf "$root/var/lib/verge-test"
	return $st
}
no_package_state() {
	# shellcheck disable=SC2086
	! in_root dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null |
		grep -v 'not-installed$' | grep .
}

echo "  APT     update (log: $log)"
in_root apt-get update -q >>"$log" 2>&1
check install apt_install debs1 "$v1"
check versions versions_are "$v1"
check depends-installed in_root dpkg-query -W qemu-system-arm libc6
check files-modes-owners files_in_place
check verge-system-group system_group
check conffile is_conffile
check units-enabled enabled
check units-verify units_verify
check verged-version prints_version "$v1"
check verge-help in_root /usr/bin/verge --help
check dpkg-audit-clean sh -c "[ -z \"\$(chroot '$root' dpkg --audit)\" ]"
check jailed-vm-under-unit-limits jailed_vm_starts

echo "# local change" >>"$root/etc/verge/verged.conf"
check upgrade apt_install debs2 "$v2"
check upgrade-versions versions_are "$v2"
check upgrade-keeps-local-conffile grep -qx '# local change' "$root/etc/verge/verged.conf"
check upgrade-no-conffile-copies sh -c "! ls '$root'/etc/verge | grep -q dpkg"
check upgrade-same-group same_group
check upgrade-files-modes-owners files_in_place
check upgrade-verged-version prints_version "$v2"
check upgrade-units-enabled enabled

# shellcheck disable=SC2086
in_root dpkg-query -L $PKGS >"$PKG_OUT/installed-files"
# shellcheck disable=SC2086
check purge in_root apt-get purge -y -q $PKGS
check purge-no-leftovers no_leftovers
check purge-no-package-state no_package_state
check purge-keeps-group same_group

echo "root: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
