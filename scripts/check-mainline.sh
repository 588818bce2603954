#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# On-demand check (not part of scripts/test.sh): does the series apply to,
# and compile against, the newest mainline kernel Debian packages, the
# linux-source-7.* of trixie-backports?
#
#   1. adds trixie-backports to apt, pinned at -1 so that nothing is ever
#      installed from it, and fetches the newest linux-source-7.* there
#      with `apt-get download` (from the mirror apt already uses);
#   2. unpacks its tarball into $BUILD/linux-7 as a git tree with a "base"
#      commit, with scripts/prepare-tree.sh's own functions;
#   3. applies patches/ one patch at a time in the scratch work tree
#      $BUILD/linux-7-am and reports each: applies cleanly / applies with
#      3-way merge / conflicts (files, and the hunks whose context changed
#      since 6.12); a conflicting patch is skipped and the later ones are
#      still tried; the report is $BUILD/mainline-report.txt;
#   4. when all apply: tinyconfig + the fragments scripts/build-kernel.sh
#      uses + olddefconfig in $BUILD/obj-7, then
#      `make net/quic/ net/ipv4/ net/ipv6/`, with ccache; errors go to
#      $BUILD/mainline-build.log and are printed.
#
# Records "pass|fail mainline:<step>" with results.sh (suite "mainline").
# Everything runs at nice 10. MAINLINE_BUILD=0 stops after step 3.
# Idempotent: the package is fetched and unpacked again only when a newer
# version appears.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

renice -n 10 -p $$ >/dev/null 2>&1 || true

SUITE=mainline
SRC=$BUILD/linux-7
AM_TREE=$BUILD/linux-7-am
OBJ7=$BUILD/obj-7
DL=$BUILD/mainline
APT_SOURCES=/etc/apt/sources.list.d/quic-offload-mainline.sources
APT_PREFS=/etc/apt/preferences.d/quic-offload-mainline
unset KERNEL_TREE

for c in apt-get apt-cache dpkg-deb git patch make ccache gcc; do
	command -v "$c" >/dev/null || die "$c missing; run scripts/setup.sh"
done
[ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null ||
	die "adding trixie-backports to apt needs root (or password-less sudo)"
[ -f "$TOP/scripts/config/vm.config" ] &&
	[ -f "$TOP/tools/testing/selftests/net/quic/config" ] ||
	die "config fragments missing in $TOP"

result_reset "$SUITE"
STEPS=$BUILD/mainline-steps
: >"$STEPS"
step() {	# pass|fail name
	echo "$1 $SUITE:$2" >>"$STEPS"
}
finish() {
	result_write "$SUITE" <"$STEPS"
	result_print "$SUITE"
}

# --- 1. the package --------------------------------------------------------
# trixie-backports from the mirror that serves bookworm to this system, like
# scripts/setup.sh; priority -1: never a candidate, downloaded by version.
mirror=$(apt-get indextargets --format '$(REPO_URI) $(CODENAME) $(LABEL)' |
	awk '$2 == "bookworm" && $3 == "Debian" { print $1; exit }')
[ -n "$mirror" ] || die "cannot find the Debian bookworm mirror in the apt configuration"
sources="Types: deb
URIs: $mirror
Suites: trixie-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
prefs="# trixie-backports is read only for linux-source-7.*, fetched with
# apt-get download by scripts/check-mainline.sh: nothing is installed from it.
Package: *
Pin: release n=trixie-backports
Pin-Priority: -1"
changed=0
if [ "$(cat "$APT_SOURCES" 2>/dev/null)" != "$sources" ]; then
	echo "$sources" | as_root tee "$APT_SOURCES" >/dev/null
	changed=1
fi
if [ "$(cat "$APT_PREFS" 2>/dev/null)" != "$prefs" ]; then
	echo "$prefs" | as_root tee "$APT_PREFS" >/dev/null
	changed=1
fi

# The newest linux-source-7.* and its newest version in trixie-backports.
newest() {
	local pkg ver
	pkg=$(apt-cache pkgnames linux-source-7. 2>/dev/null | sort -V | tail -n1)
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache madison "$pkg" | awk -F' *\\| *' '$3 ~ /trixie-backports/ { print $2 }' |
		sort -V | tail -n1)
	[ -n "$ver" ] || return 1
	echo "$pkg $ver"
}
# apt-get update on a first run, on a changed configuration, and once a day
# (a newer 7.x may have appeared).
lists=$(ls -t /var/lib/apt/lists/*trixie-backports*Packages* 2>/dev/null | head -n1)
if [ "$changed" = 1 ] || [ -z "$lists" ] || [ -n "$(find "$lists" -mmin +1440)" ] ||
	! newest >/dev/null; then
	note "mainline: apt-get update (trixie-backports, pinned at -1)"
	as_root apt-get update -qq >"$BUILD/mainline-apt.log" 2>&1 ||
		die "apt-get update failed (no network to the package mirror?); see $BUILD/mainline-apt.log"
fi
read -r PKG VER < <(newest) ||
	die "no linux-source-7.* in trixie-backports on $mirror"
TARBALL=$DL/$PKG.tar.xz
note "mainline: $PKG $VER"

mkdir -p "$DL"
if ! stamp_ok mainline-pkg "$PKG $VER" || [ ! -f "$TARBALL" ]; then
	need=$((3 * 1024 * 1024))	# KiB: .deb + tarball + two trees + objects
	avail=$(df -Pk "$BUILD" | awk 'NR == 2 { print $4 }')
	[ "$avail" -ge "$need" ] ||
		die "less than 3 GiB free under $BUILD ($((avail / 1024)) MiB)"
	note "mainline: apt-get download $PKG=$VER"
	rm -f "$DL"/*.deb "$DL"/*.tar.xz
	deb_tarball "$PKG" "$VER" "$TARBALL" "$BUILD/mainline-apt.log" ||
		die "apt-get download $PKG=$VER failed, or its .deb holds no usr/src/$PKG.tar.xz: $(grep -m1 '^E: ' "$BUILD/mainline-apt.log")"
	stamp_set mainline-pkg "$PKG $VER"
fi
step pass package

# --- 2. the base tree ------------------------------------------------------
# scripts/prepare-tree.sh's base_id and unpack_base, and its fixed commit
# identity, with SRC, AM_TREE and BASE_TARBALL pointing at the 7.x tree.
# shellcheck disable=SC2034 # read by the unpack_base taken from prepare-tree.sh
BASE_TARBALL=$TARBALL
funcs=$(sed -n -e '/^export GIT_/p' -e '/^base_id() {$/,/^}$/p' \
	-e '/^unpack_base() {$/,/^}$/p' "$TOP/scripts/prepare-tree.sh")
eval "$funcs"
declare -F base_id >/dev/null && declare -F unpack_base >/dev/null ||
	die "scripts/prepare-tree.sh no longer defines base_id and unpack_base"
id=$(base_id)
if ! stamp_ok mainline-base "$id" || ! git -C "$SRC" rev-parse -q --verify base >/dev/null ||
	[ ! -d "$AM_TREE" ]; then
	rm -f "$BUILD/stamps/mainline-base"
	unpack_base >"$BUILD/mainline-unpack.log" 2>&1 ||
		die "unpacking $TARBALL failed; see $BUILD/mainline-unpack.log"
	stamp_set mainline-base "$id"
fi
KVER=$(make -s -C "$SRC" kernelversion 2>/dev/null)
note "mainline: base $KVER at $(git -C "$SRC" rev-parse --short base)"
step pass unpack

# --- 3. the series ---------------------------------------------------------
mapfile -t series < <(ls "$TOP"/patches/[0-9]*.patch 2>/dev/null | grep -v '/0000-')
[ ${#series[@]} -gt 0 ] || die "no patches in $TOP/patches"

# A 3-way merge needs the blobs the patches' "index" lines name: the 6.12
# files (and what earlier patches made of them). scripts/prepare-tree.sh's
# tree has them all; copy those few into the 7.x repository.
git -C "$BUILD/linux" rev-parse -q --verify base >/dev/null ||
	die "the 3-way merge needs the 6.12 tree's blobs: run scripts/prepare-tree.sh first"
for h in $(sed -n 's/^index \([0-9a-f]*\)\.\.[0-9a-f]*.*/\1/p' "${series[@]}" | grep -v '^0*$' | sort -u); do
	git -C "$SRC" cat-file -e "$h^{blob}" 2>/dev/null && continue
	git -C "$BUILD/linux" cat-file blob "$h" 2>/dev/null |
		git -C "$SRC" hash-object -w --stdin >/dev/null ||
		note "mainline: blob $h of the patches is not in $BUILD/linux"
done
am() {
	git -C "$AM_TREE" -c user.name=am -c user.email=am@localhost \
		-c rerere.enabled=false am -q --keep-cr "$@"
}
# "file: hunk #N FAILED|fuzz N: @@ header @@" for each hunk whose context
# no longer matches exactly (`patch --dry-run`: failed, or needs fuzz).
failed_hunks() {	# patch
	patch -d "$AM_TREE" -p1 --dry-run -f <"$1" 2>&1 |
		awk '/^checking file / { f = $3 }
			/^Hunk #[0-9]+ FAILED/ { sub("#", "", $2); print f, $2, "FAILED" }
			/^Hunk #[0-9]+ succeeded .* with fuzz/ {
				sub("#", "", $2); z = $0; sub(/.*with fuzz /, "", z); sub(/[^0-9].*/, "", z)
				print f, $2, "fuzz-" z }' |
		while read -r f n how; do
			hdr=$(awk -v f="$f" -v n="$n" '
				/^diff --git / { cur = ($3 == "a/" f); k = 0 }
				cur && /^@@ / { if (++k == n) { print; exit } }' "$1")
			echo "$f: hunk #$n ${how/-/ }: $hdr"
		done || true
}

REPORT=$BUILD/mainline-report.txt
: >"$REPORT"
am --abort >/dev/null 2>&1 || true
git -C "$AM_TREE" checkout -q -f --detach base
git -C "$AM_TREE" clean -q -f -d -x
all_applied=1 skipped=
for p in "${series[@]}"; do
	name=$(basename "$p" .patch)
	num=${name%%-*}
	after=${skipped:+ (with $skipped skipped)}
	if am "$p" >"$BUILD/mainline-am.log" 2>&1; then
		echo "$name: applies cleanly$after" >>"$REPORT"
		step pass "apply-$num"
		continue
	fi
	am --abort >/dev/null 2>&1 || true
	hunks=$(failed_hunks "$p")
	if am --3way "$p" >"$BUILD/mainline-am.log" 2>&1; then
		echo "$name: applies with 3-way merge$after" >>"$REPORT"
		sed 's/^/    context changed: /' <<<"$hunks" | grep -v '^ *context changed: $' >>"$REPORT" || true
		step pass "apply-$num"
		continue
	fi
	all_applied=0
	{
		echo "$name: conflicts$after"
		git -C "$AM_TREE" diff --name-only --diff-filter=U | sed 's/^/    conflict in /'
		grep -E '^(CONFLICT|error:)' "$BUILD/mainline-am.log" | sed 's/^/    /'
		sed 's/^/    context changed: /' <<<"$hunks" | grep -v '^ *context changed: $'
		echo "    (conflict markers: ${BUILD#"$TOP"/}/mainline-conflict-$num.diff)"
	} >>"$REPORT" || true
	# the conflicted files, markers and all, for a closer look
	git -C "$AM_TREE" diff >"$BUILD/mainline-conflict-$num.diff" || true
	am --abort >/dev/null 2>&1 || true
	skipped="${skipped:+$skipped, }$num"
	step fail "apply-$num"
done
echo "== $PKG $VER (Linux $KVER): series" >&2
cat "$REPORT" >&2

if [ "$all_applied" = 0 ]; then
	note "mainline: not building: the series does not apply"
	finish
	exit 1
fi
if [ "${MAINLINE_BUILD:-1}" = 0 ]; then
	note "mainline: MAINLINE_BUILD=0: not building"
	finish
	exit 0
fi
git -C "$SRC" checkout -q -f --detach "$(git -C "$AM_TREE" rev-parse HEAD)"

# --- 4. compile net/quic, net/ipv4 (udp_ulp.o), net/ipv6 -------------------
make_k() {
	make -s -C "$SRC" O="$OBJ7" CC="ccache gcc" HOSTCC="ccache gcc" "$@"
}
fragments=("$TOP/scripts/config/vm.config" "$TOP/tools/testing/selftests/net/quic/config")
mkdir -p "$OBJ7"
sum="$(hash_files "${fragments[@]}") $id"
if ! stamp_ok mainline-config "$sum" || [ ! -f "$OBJ7/.config" ]; then
	note "mainline: configuring (tinyconfig + ${#fragments[@]} fragments)"
	if ! { make_k tinyconfig &&
		KCONFIG_CONFIG="$OBJ7/.config" "$SRC/scripts/kconfig/merge_config.sh" \
			-m -O "$OBJ7" "$OBJ7/.config" "${fragments[@]}" &&
		make_k olddefconfig; } >"$BUILD/mainline-config.log" 2>&1; then
		step fail config
		finish
		die "configuring $KVER failed; see $BUILD/mainline-config.log"
	fi
	stamp_set mainline-config "$sum"
fi
# Options of the fragments that 7.x no longer has or that did not survive
# olddefconfig: told, not fatal, unless it is the ULP itself.
dropped=$(cat "${fragments[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=[ym]' |
	while IFS= read -r line; do
		grep -qx "$line" "$OBJ7/.config" ||
			{ [ "${line#*=}" = m ] && grep -qx "${line%=*}=y" "$OBJ7/.config"; } ||
			echo "${line%%=*}"
	done)
[ -z "$dropped" ] || note "mainline: options not set in $KVER: ${dropped//$'\n'/ }"
if ! grep -qE '^CONFIG_QUIC_ULP=[ym]' "$OBJ7/.config"; then
	step fail config
	finish
	die "CONFIG_QUIC_ULP is not set in $OBJ7/.config"
fi
step pass config

note "mainline: building net/quic/ net/ipv4/ net/ipv6/ with $JOBS jobs"
t0=$(date +%s)
rc=0
make_k -k -j"$JOBS" net/quic/ net/ipv4/ net/ipv6/ >"$BUILD/mainline-build.log" 2>&1 || rc=$?
errors=$(grep -E '(error|warning):' "$BUILD/mainline-build.log" |
	grep -E 'net/(quic|ipv4/udp|ipv6/udp)|include/(net/udp|uapi/linux/quic)' | sort -u || true)
if [ "$rc" = 0 ] && [ -f "$OBJ7/net/ipv4/udp_ulp.o" ] && [ -f "$OBJ7/net/quic/quic.o" ]; then
	note "mainline: built in $(($(date +%s) - t0)) s: net/quic/quic.o, net/ipv4/udp_ulp.o"
	[ -z "$errors" ] || echo "$errors" >&2
	step pass build
	finish
	exit 0
fi
echo "== $PKG $VER (Linux $KVER): build failed (exit $rc), $BUILD/mainline-build.log:" >&2
if [ -n "$errors" ]; then
	echo "$errors" >&2
else
	grep -E 'error|Error' "$BUILD/mainline-build.log" | head -n 30 >&2
fi
step fail build
finish
exit 1
