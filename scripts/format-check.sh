#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# format-check.sh [CLANG_FORMAT]
# Checks every C source and header of the tree (git ls-files, or find
# outside a git checkout) against .clang-format. Lists the files that
# clang-format would change and how many lines, and exits 1 if there are
# any. FORMAT_DIFF=1 also prints the diffs. Changes nothing.
set -u
cf=${1:-clang-format}
command -v "$cf" >/dev/null 2>&1 ||
	{ echo "format-check: $cf not found (Debian: clang-format)" >&2; exit 2; }
cd "$(dirname "$0")/.." || exit 2
if git rev-parse --git-dir >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find . -path ./build -prune -o -name '*.[ch]' -print |
		sed 's|^\./||' | sort)
fi
tmp=$(mktemp "${TMPDIR:-/tmp}/format-check.XXXXXX")
trap 'rm -f "$tmp"' EXIT
trap 'exit 1' INT TERM

total=0 bad=0 lines=0
for f in $files; do
	total=$((total + 1))
	"$cf" --style=file "$f" >"$tmp" || { echo "format-check: $f: $cf failed"; exit 2; }
	n=$(diff "$f" "$tmp" | grep -c '^<')
	[ "$n" -gt 0 ] || continue
	bad=$((bad + 1))
	lines=$((lines + n))
	echo "format-check: $f: $n lines"
	[ -z "${FORMAT_DIFF:-}" ] || diff -u "$f" "$tmp" | sed "1,2s|$tmp|$f (clang-format)|"
done
echo "format-check: $bad of $total files would change ($lines lines)"
[ "$bad" -eq 0 ]
