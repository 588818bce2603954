#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make $SRC a git work tree holding the pristine base (commit tagged "base")
# with patches/ applied on top by `git am`.
#
# The base is the Debian package and version series/base (or, with
# BACKPORT=6.12, series/6.12/base) names
# (fetched once into $BUILD/base), or KERNEL_TREE when set. The
# series is applied in a scratch work tree and the build tree is then moved
# to the result with `git checkout`, which rewrites only the files that
# differ: a re-run after a one-file change rebuilds only what that touches.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Fixed identity and dates make the base commit id a function of the source
# alone, so `base-commit:` in the cover letter means the same tree anywhere.
export GIT_AUTHOR_NAME=base GIT_AUTHOR_EMAIL=base@localhost
export GIT_COMMITTER_NAME=base GIT_COMMITTER_EMAIL=base@localhost
export GIT_AUTHOR_DATE="2024-01-01T00:00:00Z" GIT_COMMITTER_DATE="2024-01-01T00:00:00Z"

# The pinned version's tarball: the installed package's when it is that
# version, else downloaded. A version the mirror no longer has falls back
# to the installed package, saying so: the series still applies as long as
# its fragments' context did not change, and `series.py check` then
# compares patches/ without the lines that name the base.
base_tarball() {
	local have
	[ -z "${KERNEL_TREE:-}" ] && [ "$BASE_VERSION" != installed ] || return 0
	[ ! -f "$BASE_TARBALL" ] || return 0
	have=$(dpkg-query -W -f='${Version}' "$BASE_PKG" 2>/dev/null) || have=
	if [ "$have" = "$BASE_VERSION" ] && [ -f "$INSTALLED_TARBALL" ]; then
		BASE_TARBALL=$INSTALLED_TARBALL
		return 0
	fi
	note "base: apt-get download $BASE_PKG=$BASE_VERSION"
	mkdir -p "$(dirname "$BASE_TARBALL")"
	deb_tarball "$BASE_PKG" "$BASE_VERSION" "$BASE_TARBALL" "$BUILD/base/apt$TREE_SUFFIX.log" && return 0
	# A version asked for by name (BASE_VERSION) has no stand-in.
	[ "$BASE_VERSION" = "$BASE_PINNED" ] ||
		die "cannot fetch $BASE_PKG=$BASE_VERSION: $(grep -m1 '^E: ' "$BUILD/base/apt$TREE_SUFFIX.log")"
	[ -n "$have" ] && [ -f "$INSTALLED_TARBALL" ] ||
		die "cannot fetch $BASE_PKG=$BASE_VERSION ($(grep -m1 '^E: ' "$BUILD/base/apt$TREE_SUFFIX.log")) and $BASE_PKG is not installed; run scripts/setup.sh"
	note "base: $BASE_PKG=$BASE_VERSION is not on the mirror; using the installed $have"
	BASE_TARBALL=$INSTALLED_TARBALL
}

base_id() {
	if [ -n "${KERNEL_TREE:-}" ]; then
		[ -f "$KERNEL_TREE/Makefile" ] && [ -d "$KERNEL_TREE/net/ipv4" ] ||
			die "KERNEL_TREE=$KERNEL_TREE is not a kernel source tree"
		echo "tree:$(cd "$KERNEL_TREE" && pwd)"
	else
		[ -f "$BASE_TARBALL" ] || die "$BASE_TARBALL missing; run scripts/setup.sh"
		echo "tarball:$BASE_TARBALL $(stat -c '%s %Y' "$BASE_TARBALL")"
	fi
}

unpack_base() {
	note "base: unpacking ${KERNEL_TREE:-$BASE_TARBALL} into $SRC"
	rm -rf "$SRC" "$AM_TREE"
	mkdir -p "$SRC"
	if [ -n "${KERNEL_TREE:-}" ]; then
		rsync -a --exclude=.git "$KERNEL_TREE/" "$SRC/"
	else
		tar -C "$SRC" --strip-components=1 -xf "$BASE_TARBALL"
	fi
	# Debian ships a .gitignore'd tree; commit exactly what is there.
	git -C "$SRC" init -q -b base-tree
	git -C "$SRC" config core.autocrlf false
	git -C "$SRC" config gc.auto 0
	git -C "$SRC" add -A -f .
	git -C "$SRC" commit -q -m "base: $(make -s -C "$SRC" kernelversion 2>/dev/null)"
	git -C "$SRC" tag -f base >/dev/null
	git -C "$SRC" worktree add -q --detach "$AM_TREE" base
}

base_tarball
id=$(base_id)
if ! stamp_ok "base$TREE_SUFFIX" "$id" || ! git -C "$SRC" rev-parse -q --verify base >/dev/null; then
	unpack_base
	stamp_set "base$TREE_SUFFIX" "$id"
	rm -f "$BUILD/stamps/series$TREE_SUFFIX"
fi

# Apply the series only when patches/ changed since the last run.
mapfile -t series < <(ls "$PATCH_DIR"/[0-9]*.patch 2>/dev/null | grep -v '/0000-')
sum=$(hash_files "${series[@]}")
if stamp_ok "series$TREE_SUFFIX" "$sum" && [ -z "$(git -C "$SRC" status --porcelain -uno)" ]; then
	note "series: unchanged, tree at $(git -C "$SRC" rev-parse --short HEAD)"
	exit 0
fi

note "series: applying ${#series[@]} patches with git am"
git -C "$AM_TREE" am --abort >/dev/null 2>&1 || true
git -C "$AM_TREE" checkout -q -f --detach base
if [ ${#series[@]} -gt 0 ] &&
	! git -C "$AM_TREE" -c user.name=am -c user.email=am@localhost \
		am -q --keep-cr "${series[@]}" >"$BUILD/am$TREE_SUFFIX.log" 2>&1; then
	failed=$(sed -n 's/^Patch failed at \(.*\)/\1/p' "$BUILD/am$TREE_SUFFIX.log" | head -n1)
	git -C "$AM_TREE" am --abort >/dev/null 2>&1 || true
	die "the series does not apply to ${KERNEL_TREE:-$BASE_TARBALL}: ${failed:-see $BUILD/am$TREE_SUFFIX.log}"
fi
git -C "$SRC" checkout -q -f --detach "$(git -C "$AM_TREE" rev-parse HEAD)"
stamp_set "series$TREE_SUFFIX" "$sum"
note "series: tree at $(git -C "$SRC" rev-parse --short HEAD)"
