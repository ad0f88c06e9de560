#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# stage.sh DIR: copy the source tree (what git tracks or would track: no
# build output, no fixtures) into DIR, with VERSION set to $PKG_VERSION and
# .cache pointing at $PKG_CACHE. Run from the top of the tree.
set -eu
dir=$1
rm -rf "$dir"
mkdir -p "$dir"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -co --exclude-standard | while IFS= read -r f; do
		[ -e "$f" ] && [ "$f" != .cache ] && printf '%s\n' "$f"
	done | tar -c -T - -f - | tar -x -C "$dir"
else
	tar -c --exclude=./.git --exclude=./.cache --exclude=./build -f - . |
		tar -x -C "$dir"
fi
printf '%s\n' "$PKG_VERSION" >"$dir/VERSION"
ln -s "$PKG_CACHE" "$dir/.cache"
