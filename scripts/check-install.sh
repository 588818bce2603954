#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The userspace library as a product, checked from outside the tree: build
# userspace-example's libquic_offload and `make install` it into a scratch
# prefix ($BUILD/install/prefix), then build an out-of-tree program,
# userspace-example/tests/install-consumer.c, with nothing but
# `pkg-config --cflags --libs quic_offload` from that prefix, link it with
# the installed shared library (rpath from pkg-config's libdir) and with
# the static one, and run it on this machine's kernel: without the quic
# ULP, qo_attach() must report no offload (said once on stderr) and a real
# ngtcp2 handshake and stream over 127.0.0.1 must run through the library
# on userspace crypto. Also: the library builds warning-free, the soname
# and file names, the exported symbols (exactly the functions
# quic_offload.h declares and quic_offload.map lists, all QUIC_OFFLOAD_0),
# the installed header alone (C11, pedantic, and winning over a system
# <linux/quic.h>), the man page (no groff or man warnings, a page per
# function), a DESTDIR install with LIBDIR set, and that uninstall leaves
# nothing. qo-server and qo-client link the static library.
#
# One result per check in $BUILD/results/install.result, as the other
# suites'; logs and the scratch prefix stay in $BUILD/install/. Takes
# seconds: one library object, two small programs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

SUITE=install
EX=$TOP/userspace-example
W=$BUILD/install
P=$W/prefix
LINES=$W/lines

result_reset "$SUITE"
rm -rf "$W"
mkdir -p "$W"
: >"$LINES"

# check NAME COMMAND...: one result; on failure the command's output,
# on one line, says why
check() {
	local name=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" = 0 ]; then
		echo "pass install:$name" >>"$LINES"
	else
		echo "fail install:$name: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-400)" >>"$LINES"
	fi
	return "$rc"
}

skip() {	# name why
	echo "skip install:$1: $2" >>"$LINES"
}

finish() {
	result_write "$SUITE" <"$LINES"
	note "install: $(($(date +%s) - start)) s"
	result_print "$SUITE"
	[ "$(result_get "$SUITE" failed)" = 0 ]
	exit
}

# The same list, or the difference
same() {	# what expected actual
	[ "$2" = "$3" ] && return
	echo "$1 differ:"
	diff <(echo "$2") <(echo "$3") | grep '^[<>]' || true
	return 1
}

start=$(date +%s)
for t in cc make pkg-config readelf nm; do
	command -v "$t" >/dev/null || die "$t missing; run scripts/setup.sh"
done
VERSION=$(make -s -C "$EX" --no-print-directory version)
MAJOR=${VERSION%%.*}
SO=libquic_offload.so
API=$(sed -n 's/^[[:space:]]*\(qo_[a-z_0-9]*\);[[:space:]]*$/\1/p' "$EX/quic_offload.map" | sort)
note "install: libquic_offload $VERSION into ${P#"$TOP"/}"

# The library, alone and warning-free
build_lib() {
	make -s -C "$EX" --no-print-directory OUT="$W/build" lib >"$W/build.log" 2>&1 ||
		{ cat "$W/build.log"; return 1; }
	! grep -i 'warning:' "$W/build.log"
}
check build build_lib || finish

install_prefix() {
	make -s -C "$EX" --no-print-directory OUT="$W/build" PREFIX="$P" install \
		>"$W/install.log" 2>&1 || { cat "$W/install.log"; return 1; }
	local want
	want=$({ printf '%s\n' include/quic_offload/linux/quic.h \
		include/quic_offload/quic_offload.h "lib/$SO" "lib/$SO.$MAJOR" \
		"lib/$SO.$VERSION" lib/libquic_offload.a lib/pkgconfig/quic_offload.pc \
		share/doc/quic_offload/LICENSES/GPL-2.0-only \
		share/doc/quic_offload/LICENSES/MIT share/doc/quic_offload/PORTING.md \
		share/man/man3/quic_offload.3
		sed 's|.*|share/man/man3/&.3|' <<<"$API"; } | sort)
	same "installed files" "$want" "$(cd "$P" && find . -type f -o -type l | sed 's|^\./||' | sort)" || return 1
	[ "$(readlink "$P/lib/$SO")" = "$SO.$MAJOR" ] &&
		[ "$(readlink "$P/lib/$SO.$MAJOR")" = "$SO.$VERSION" ] ||
		{ echo "symlinks: $(find "$P/lib" -type l -printf '%f -> %l, ')"; return 1; }
	cmp "$EX/quic_offload.h" "$P/include/quic_offload/quic_offload.h" &&
		cmp "$TOP/include/uapi/linux/quic.h" "$P/include/quic_offload/linux/quic.h"
}
check install install_prefix || finish

export PKG_CONFIG_PATH=$P/lib/pkgconfig
pc() {
	pkg-config --validate quic_offload &&
		[ "$(pkg-config --modversion quic_offload)" = "$VERSION" ] ||
		{ echo "modversion $(pkg-config --modversion quic_offload), not $VERSION"; return 1; }
	pkg-config --cflags quic_offload | grep -- "-I$P/include/quic_offload\b" >/dev/null ||
		{ echo "cflags: $(pkg-config --cflags quic_offload)"; return 1; }
	pkg-config --libs quic_offload | grep -- "-L$P/lib -lquic_offload\b" >/dev/null ||
		{ echo "libs: $(pkg-config --libs quic_offload)"; return 1; }
}
check pkg-config pc || finish
CFLAGS_PC=$(pkg-config --cflags quic_offload)
LIBS_PC=$(pkg-config --libs quic_offload)
LIBDIR_PC=$(pkg-config --variable=libdir quic_offload)

soname() {
	local s
	s=$(readelf -d "$P/lib/$SO.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	[ "$s" = "$SO.$MAJOR" ] || { echo "soname '$s', not $SO.$MAJOR"; return 1; }
}
check soname soname || true

# Exactly the API, versioned: the map, the header and the library agree
exports() {
	local hdr dyn odd
	hdr=$(grep -oE '^[a-z][^(]*[ *]qo_[a-z0-9_]+\(' "$P/include/quic_offload/quic_offload.h" |
		sed -E 's/.*[ *](qo_[a-z0-9_]+)\($/\1/' | sort)
	same "quic_offload.map and quic_offload.h" "$API" "$hdr" || return 1
	nm -D --defined-only "$P/lib/$SO.$VERSION" >"$W/exports"
	odd=$(grep -vE '^[0-9a-f]+ (T qo_[a-z0-9_]+@@QUIC_OFFLOAD_0|A QUIC_OFFLOAD_0)$' "$W/exports" || true)
	[ -z "$odd" ] || { echo "unexpected exports: $odd"; return 1; }
	dyn=$(sed -n 's/^[0-9a-f]* T \(qo_[a-z0-9_]*\)@@.*/\1/p' "$W/exports" | sort)
	same "quic_offload.map and the library's exports" "$API" "$dyn"
}
check exports exports || true

# The header alone, strict C11 and pedantic; then a system <linux/quic.h>
# (-isystem: after pkg-config's -I, before /usr/include, as the system's
# own would be) that must not be the one it gets
header() {
	printf '#include <quic_offload.h>\nint qo_main(void);\nint qo_main(void) { return QO_VERSION_NUMBER; }\n' >"$W/header.c"
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Wextra -Wpedantic -Werror \
		$CFLAGS_PC -c -o "$W/header.o" "$W/header.c"
}
check header header || true
# ngtcp2's own examples are C++: the header must serve them as it is
header_cxx() {
	printf '#include <quic_offload.h>\nunsigned int f(int fd) { return qo_attach(fd, QO_TX); }\n' \
		>"$W/header.cc"
	# shellcheck disable=SC2086
	c++ -Wall -Wextra -Werror $CFLAGS_PC -c -o "$W/header-cxx.o" "$W/header.cc" &&
		nm "$W/header-cxx.o" | grep -q ' U qo_attach$'	# not mangled
}
check header-c++ header_cxx || true
uapi_precedence() {
	mkdir -p "$W/sysinc/linux"
	printf '#error "the system'"'"'s <linux/quic.h> was used, not the library'"'"'s"\n' \
		>"$W/sysinc/linux/quic.h"
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Wextra -Werror $CFLAGS_PC \
		-isystem "$W/sysinc" -c -o "$W/header.o" "$W/header.c"
}
check uapi-header-precedence uapi_precedence || true

# The consumer, with the installed shared library
consumer() {
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Wextra -Werror -O2 -o "$W/consumer" \
		"$EX/tests/install-consumer.c" $CFLAGS_PC $LIBS_PC \
		-Wl,-rpath,"$LIBDIR_PC" || return 1
	readelf -d "$W/consumer" | grep "NEEDED.*\[$SO.$MAJOR\]" >/dev/null ||
		{ echo "not linked with $SO.$MAJOR"; return 1; }
	ldd "$W/consumer" | grep "$SO.$MAJOR => $P/lib/$SO.$MAJOR " >/dev/null ||
		{ echo "does not load the installed library:"; ldd "$W/consumer"; return 1; }
}
if check consumer-build consumer; then
	rc=0
	timeout 60 "$W/consumer" "$VERSION" install:consumer >"$W/consumer.out" \
		2>"$W/consumer.log" || rc=$?
	grep -E '^(pass|fail|skip) ' "$W/consumer.out" >>"$LINES" || true
	sed -n 's/^# //p' "$W/consumer.out" | while read -r l; do note "install: $l"; done
	if [ "$rc" != 0 ] && ! grep -q '^fail ' "$W/consumer.out"; then
		echo "fail install:consumer: exit $rc without a result (see ${W#"$TOP"/}/consumer.log)" >>"$LINES"
	fi
fi

# The same program with the static library: only quic_offload itself is
# linked statically, the libraries it requires stay shared
static() {
	# shellcheck disable=SC2086
	cc -std=c11 -Wall -Wextra -Werror -O2 -o "$W/consumer-static" \
		"$EX/tests/install-consumer.c" $CFLAGS_PC \
		${LIBS_PC/-lquic_offload/-l:libquic_offload.a} || return 1
	! readelf -d "$W/consumer-static" | grep "NEEDED.*libquic_offload" || return 1
	timeout 60 "$W/consumer-static" "$VERSION" install:static \
		>"$W/consumer-static.out" 2>"$W/consumer-static.log" ||
		{ grep '^fail' "$W/consumer-static.out"; return 1; }
}
check static static || true

# The man page: no warnings, the version, every function in the SYNOPSIS,
# and a page per function that man finds and renders
man_page() {
	local page=$P/share/man/man3/quic_offload.3 out f
	out=$(groff -man -ww -z "$page" 2>&1) && [ -z "$out" ] || { echo "groff: $out"; return 1; }
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) &&
		[ -z "$out" ] || { echo "man: $out"; return 1; }
	grep -q "^\.TH QUIC_OFFLOAD 3 .*\"quic_offload $VERSION\"" "$page" ||
		{ echo "title line: $(grep '^\.TH' "$page")"; return 1; }
	for f in $API; do
		grep -q "^\.BI \"[^\"]*[ *]$f(" "$page" || { echo "$f() not in the SYNOPSIS"; return 1; }
	done
	# (man -w follows the link page's .so to quic_offload.3)
	[ "$(MANPATH=$P/share/man man -w qo_conn_bind)" = "$page" ] &&
		MANPATH=$P/share/man MANWIDTH=80 man 3 qo_conn_bind 2>/dev/null |
		grep 'qo_conn_tx_cmsg' >/dev/null ||
		{ echo "man 3 qo_conn_bind does not find or render the page"; return 1; }
}
if command -v groff >/dev/null && command -v man >/dev/null; then
	check man-page man_page || true
else
	skip man-page "groff or man missing (packages groff-base, man-db)"
fi

# A staged install (DESTDIR) with a multiarch LIBDIR, then uninstall
staged() {
	local s=$W/stage ma libdir left
	ma=$(cc -print-multiarch 2>/dev/null || true)
	libdir=/usr/lib${ma:+/$ma}
	make -s -C "$EX" --no-print-directory OUT="$W/build" DESTDIR="$s" \
		PREFIX=/usr LIBDIR="$libdir" install || return 1
	[ -f "$s$libdir/$SO.$VERSION" ] && [ -L "$s$libdir/$SO" ] &&
		[ -f "$s/usr/include/quic_offload/quic_offload.h" ] ||
		{ echo "staged files:"; (cd "$s" && find . -type f); return 1; }
	grep -qx 'prefix=/usr' "$s$libdir/pkgconfig/quic_offload.pc" &&
		grep -qxF "libdir=\${prefix}${libdir#/usr}" "$s$libdir/pkgconfig/quic_offload.pc" &&
		grep -qxF 'includedir=${prefix}/include' "$s$libdir/pkgconfig/quic_offload.pc" ||
		{ echo "quic_offload.pc:"; cat "$s$libdir/pkgconfig/quic_offload.pc"; return 1; }
	make -s -C "$EX" --no-print-directory OUT="$W/build" DESTDIR="$s" \
		PREFIX=/usr LIBDIR="$libdir" uninstall || return 1
	left=$(cd "$s" && find . -type f -o -type l -o -type d -name 'quic_offload*')
	[ -z "$left" ] || { echo "left after uninstall: $left"; return 1; }
}
check destdir-uninstall staged || true

# qo-server and qo-client carry the library: nothing to install to run them
programs() {
	make -s -C "$EX" --no-print-directory OUT="$W/build" >"$W/build-programs.log" 2>&1 ||
		{ cat "$W/build-programs.log"; return 1; }
	! grep -i 'warning:' "$W/build-programs.log" || return 1
	for p in qo-server qo-client; do
		! readelf -d "$W/build/$p" | grep "NEEDED.*libquic_offload" || return 1
		{ "$W/build/$p" 2>&1 || true; } | grep "^usage: $p" >/dev/null ||
			{ echo "$p does not run"; return 1; }
	done
}
check programs-static programs || true

finish
