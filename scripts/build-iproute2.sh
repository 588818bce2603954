#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build ss with userspace-example/iproute2/0001-ss-show-the-ULP-of-UDP-sockets.patch
# (`ss -u -i` shows "udp-ulp-quic conns:N"), for scripts/guest-ss-check.sh,
# and install it as $BUILD/iproute2/ss; its path goes to stdout.
#
# The source is Debian's iproute2 at the installed package's source
# version (6.1.0-3 on bookworm), fetched once with `apt-get source` into
# $BUILD/iproute2-src and kept there, so that later runs are offline. It
# needs deb-src entries for bookworm: the ones scripts/setup.sh
# --qemu-plugin-api adds, added the same way here if they are missing
# (root, or password-less sudo, that once).
#
# Only ss is built, and only from what build-essential and bison give:
# configure runs with PKG_CONFIG=false, so no optional library (libmnl,
# libelf, libtirpc, SELinux, libcap, libbpf) is looked for or linked and
# the binary needs nothing but libc. A copy of the source with the patch
# applied is built in $BUILD/iproute2/tree. A re-run with the same patch,
# source and script does nothing; otherwise the copy is made again and
# rebuilt from scratch, which takes seconds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PATCH=$TOP/userspace-example/iproute2/0001-ss-show-the-ULP-of-UDP-sockets.patch
SRC_DIR=$BUILD/iproute2-src
OUT=$BUILD/iproute2
TREE=$OUT/tree
SS=$OUT/ss
LOG=$OUT/build.log

[ -f "$PATCH" ] || die "${PATCH#"$TOP"/} missing"
for t in gcc make bison patch; do
	command -v "$t" >/dev/null || die "$t missing; run scripts/setup.sh"
done

# The unpacked source apt-get source left in $SRC_DIR, if any
unpacked() {
	local d
	for d in "$SRC_DIR"/iproute2-*/; do
		if [ -f "$d/misc/ss.c" ] && [ -f "$d/configure" ]; then
			echo "${d%/}"
			return 0
		fi
	done
	return 1
}

fetch() {
	local want tmp
	# the installed iproute2's source version; any version if none is
	want=$(dpkg-query -W -f='${source:Package}=${source:Version}' iproute2 2>/dev/null) ||
		want=iproute2
	deb_src_for "${want%%=*}"
	mkdir -p "$BUILD"
	tmp=$(mktemp -d "$BUILD/iproute2-src.XXXXXX")
	note "iproute2: apt-get source $want"
	# (the source of an iproute2 from a suite without deb-src: bookworm's)
	if ! (cd "$tmp" && { apt-get source -qq "$want" ||
		{ [ "$want" != iproute2 ] && rm -rf ./* && apt-get source -qq iproute2; }; }) \
		>"$BUILD/iproute2-apt-source.log" 2>&1; then
		rm -rf "$tmp"
		die "apt-get source $want failed: $(grep -m1 '^E: ' "$BUILD/iproute2-apt-source.log")"
	fi
	rm -rf "$SRC_DIR"
	mv "$tmp" "$SRC_DIR"
	rm -f "$BUILD/iproute2-apt-source.log"
}

start=$(date +%s)
src=$(unpacked) || { fetch; src=$(unpacked) || die "apt-get source left no iproute2 tree in $SRC_DIR"; }
# What the binary is made of: the source (its .dsc names every file of
# it), the patch, and how it is built (this script)
key=$(cat "$SRC_DIR"/*.dsc "$PATCH" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if stamp_ok iproute2-ss "$key" && [ -x "$SS" ]; then
	note "iproute2: ${SS#"$TOP"/} up to date (${src##*/})"
	echo "$SS"
	exit 0
fi

note "iproute2: building ss of ${src##*/} with ${PATCH#"$TOP"/}"
rm -rf "$TREE" "$SS"
mkdir -p "$OUT"
cp -a "$src" "$TREE"
# (patch, not git apply: $BUILD may lie inside this git work tree)
patch -d "$TREE" -p1 --batch --quiet --no-backup-if-mismatch <"$PATCH" >"$LOG" 2>&1 ||
	{ cat "$LOG" >&2; die "${PATCH##*/} does not apply to ${src##*/}"; }
# The top Makefile exports the compiler flags (-I../include/uapi, ...) to
# its sub-makes, so lib and misc are built through it rather than with
# make -C; TARGETS=ss (a command-line variable, which misc/Makefile's own
# assignment does not override) makes misc build ss alone.
if ! (cd "$TREE" && PKG_CONFIG=false ./configure &&
	make -j"$JOBS" SUBDIRS="lib misc" TARGETS=ss) >>"$LOG" 2>&1; then
	tail -n 30 "$LOG" >&2
	die "building ss failed; see ${LOG#"$TOP"/}"
fi
grep -q 'udp-ulp-' "$TREE/misc/ss" || die "$TREE/misc/ss lacks the patch"
install -m 0755 "$TREE/misc/ss" "$SS.tmp"
mv "$SS.tmp" "$SS"
stamp_set iproute2-ss "$key"
note "iproute2: ${SS#"$TOP"/} ($("$SS" -V)), $(($(date +%s) - start)) s"
echo "$SS"
