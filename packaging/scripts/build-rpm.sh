#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# build-rpm.sh: the .rpm files, by rpmbuild from packaging/rpm/verge.spec,
# with a source tarball of the tree and a changelog generated from the
# version. Results go to $PKG_OUT/rpms.
#   PKG_OUT, PKG_VERSION, PKG_CACHE   set by packaging/module.mk
# --nodeps: on Debian, rpm's database does not know the packages that dpkg
# installed; `make deps` installs the build dependencies with apt.
# The arm64 guest agent is cross-built alone (--target aarch64, --with
# agent_only), stripped by the cross binutils.
# Debian's rpm runs brp-compress (man pages) with /bin/sh, but the script
# needs bash (`read -d`): it is run with bash here.
set -eu
v=$PKG_VERSION
top=$PKG_OUT/rpm
out=$PKG_OUT/rpms
log=$PKG_OUT/rpm-build.log
rm -rf "$top" "$out"
mkdir -p "$top/SOURCES" "$top/stage" "$out"
: >"$log"

packaging/scripts/stage.sh "$top/stage/verge-$v"
tar -C "$top/stage" --exclude="verge-$v/.cache" -czf "$top/SOURCES/verge-$v.tar.gz" "verge-$v"
packaging/scripts/mkchangelog.sh "$v" rpm >"$top/SOURCES/changelog"

build() {
	echo "  RPMBUILD $*"
	if ! rpmbuild -bb --nodeps --define "_topdir $top" \
			--define "verge_version $v" --define "verge_cache $PKG_CACHE" \
			--define '__brp_compress bash %{_rpmconfigdir}/brp-compress %{?_prefix}' \
			"$@" packaging/rpm/verge.spec >>"$log" 2>&1; then
		tail -n 40 "$log" >&2
		echo "build-rpm: rpmbuild $* failed; full log: $log" >&2
		exit 1
	fi
}
build
build --target aarch64 --with agent_only --define "__strip aarch64-linux-gnu-strip"
find "$top/RPMS" -name '*.rpm' -exec mv {} "$out"/ \;
for f in "$out"/*.rpm; do
	echo "  RPM     $f"
done
