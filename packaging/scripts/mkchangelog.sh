#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# mkchangelog.sh VERSION [deb|rpm]
# The package changelog, generated from VERSION (the one version source):
# one entry per release, dated by the last commit (reproducible builds).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 VERSION deb|rpm" >&2; exit 2; }
version=$1
who="verge developers <verge@example.org>"
when=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
case $2 in
deb)
	printf 'verge (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Release %s, built from the verge source tree; the changes\n' "$version"
	printf '    are in its git history.\n\n'
	printf ' -- %s  %s\n' "$who" "$(LC_ALL=C date -u -R -d "@$when")" ;;
rpm)
	printf '* %s %s - %s-1\n' "$(LC_ALL=C date -u -d "@$when" '+%a %b %d %Y')" \
		"$who" "$version"
	printf -- '- Release %s, built from the verge source tree; the changes\n' "$version"
	printf '  are in its git history.\n' ;;
*)	echo "mkchangelog: $2: deb or rpm" >&2; exit 2 ;;
esac
