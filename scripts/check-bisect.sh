#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The series is bisectable: every prefix of it builds, without a warning
# in our files, and keeps its kernel-doc correct.
#
# For k = 1..N, the commits of ref "series" after `scripts/series.py
# build`, the prefix is checked out in the work tree $BUILD/linux-bisect
# and built in $BUILD/obj-bisect, one object directory for all prefixes,
# with ccache and W=1: vmlinux and modules, in the lean configuration of
# build-kernel.sh (tinyconfig + scripts/config/vm.config + the selftests'
# config, the quic ULP and its KUnit suites modules). A prefix fails when
#  - the build fails, or the compiler or modpost warns about one of our
#    files (net/quic/, net/ipv4/udp_ulp.c, net/ipv4/udp.c, net/ipv6/udp.c,
#    include/net/udp_ulp.h, include/uapi/linux/quic.h). Our C files are
#    also compiled to assembler at every prefix, a ccache hit when they
#    did not change, so that a warning is reported at each prefix that
#    has it however little the incremental build recompiles. A prefix
#    whose patch changes nothing the kernel build reads (documentation,
#    selftests, MAINTAINERS only) is not built again: it has the kernel
#    of the prefix before it, and that prefix's verdict;
#  - a prefix whose patch changes the net/quic selftests: they do not
#    build (make -C tools/testing/selftests TARGETS=net/quic, against the
#    prefix's uapi headers, incrementally from prefix to prefix) or the
#    compiler warns about them;
#  - kernel-doc -none -Wall says anything about the .c and .h files the
#    series has added so far;
#  - for the last prefix: net/quic built in (CONFIG_QUIC_ULP=y, in the
#    same object directory: only what depends on that option rebuilds)
#    does not build warning-free with W=1, or sparse (C=2, on net/quic/
#    and net/ipv4/udp_ulp.o) reports anything in our files.
# A prefix that passed is remembered (a stamp) by the hash of its tree, of
# the configuration fragments, of this script's code and of the compiler
# and sparse versions: a re-run skips it, and a change to one patch
# rebuilds that prefix and the ones after it, incrementally.
#
# BISECT_PREFIXES=last checks the whole series only: the last prefix,
# built from the base in one step (scripts/test.sh does so for a backport,
# for time: the primary base's run checks every prefix, and a backport's
# patches/ are regenerated only after a full run of this script on it).
#
# One line per prefix, "pass|fail series:bisect:NN-name", goes to
# $RESULTS/series-bisect.lines; the series suite sums them with the lines
# of `scripts/series.py check` ($RESULTS/series-check$TREE_SUFFIX.lines, from
# check-series.sh, which runs both). Build logs: $BUILD/bisect/.
#
# BISECT_SCOPE=objects (what scripts/test.sh uses, to stay within its
# time budget) builds, per prefix, only `prepare` and the objects the
# series adds or changes (net/quic/, udp_ulp.o, both udp.o) instead of
# vmlinux and modules: every prefix still compiles warning-free, but only
# the last is linked, by scripts/build-kernel.sh.
#
# Measured on this 2-core machine, 11 patches, nothing beside it, ccache
# warm but the configuration just changed (CONFIG_KUNIT added): 388 s,
# of which the six patches that touch the kernel 38 to 70 s each, the
# documentation prefix 8 s, the five selftest prefixes 9 to 41 s (their
# programs built); a re-run with nothing changed, about a minute
# (series.py build, every prefix stamped).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

[ -d "$SRC/.git" ] || die "no base tree at $SRC; run scripts/prepare-tree.sh"
command -v ccache >/dev/null || die "ccache missing; run scripts/setup.sh"
command -v sparse >/dev/null || die "sparse missing; run scripts/setup.sh"

WT=$BUILD/linux-bisect$TREE_SUFFIX
BOBJ=$BUILD/obj-bisect$TREE_SUFFIX
LOGS=$BUILD/bisect$TREE_SUFFIX
LINES=$RESULTS/series-bisect$TREE_SUFFIX.lines
SCOPE=${BISECT_SCOPE:-full}
case $SCOPE in
full|objects) ;;
*) die "BISECT_SCOPE=$SCOPE: full or objects" ;;
esac
PREFIXES=${BISECT_PREFIXES:-all}
case $PREFIXES in
all|last) ;;
*) die "BISECT_PREFIXES=$PREFIXES: all or last" ;;
esac
OURS='net/quic/|net/ipv4/udp_ulp\.c|net/ipv4/udp\.c|net/ipv6/udp\.c|include/net/udp_ulp\.h|include/uapi/linux/quic\.h'
fragments=("$TOP/scripts/config/vm.config"
	"$TOP/tools/testing/selftests/net/quic/config")
for f in "${fragments[@]}"; do
	[ -f "$f" ] || die "config fragment $f missing"
done

python3 "$TOP/scripts/series.py" build >/dev/null
mapfile -t commits < <(git -C "$SRC" rev-list --reverse base..series)
mapfile -t names < <(python3 "$TOP/scripts/series.py" names)
if [ "${#commits[@]}" = 0 ] || [ "${#commits[@]}" != "${#names[@]}" ]; then
	die "ref series has ${#commits[@]} commits, the base's series ${#names[@]} patches"
fi
n=${#commits[@]}

mkdir -p "$RESULTS" "$LOGS"
: >"$LINES.tmp"

kmake() {	# objdir make-arguments...
	nice -n 10 make -s -C "$WT" O="$1" CC="ccache gcc" HOSTCC="ccache gcc" \
		-j"$JOBS" "${@:2}"
}

# Our work tree, detached, reused from run to run.
worktree() {
	[ -e "$WT/.git" ] && return 0
	git -C "$SRC" worktree prune
	rm -rf "$WT"
	git -C "$SRC" worktree add -q --detach "$WT" "${commits[n - 1]}"
}

# The configuration, made once per run against the last prefix's Kconfig;
# each prefix then takes what its own Kconfig knows of it (olddefconfig).
config_made=
make_config() {
	[ -z "$config_made" ] || return 0
	git -C "$WT" checkout -q --force --detach "${commits[n - 1]}"
	mkdir -p "$BOBJ"
	kmake "$BOBJ" tinyconfig >/dev/null
	KCONFIG_CONFIG="$BOBJ/.config" "$WT/scripts/kconfig/merge_config.sh" \
		-m -O "$BOBJ" "$BOBJ/.config" "${fragments[@]}" >"$LOGS/config.log" 2>&1
	kmake "$BOBJ" olddefconfig >/dev/null
	grep -qx 'CONFIG_QUIC_ULP=m' "$BOBJ/.config" ||
		die "CONFIG_QUIC_ULP=m does not survive olddefconfig; see $LOGS/config.log"
	cp "$BOBJ/.config" "$LOGS/lean.config"
	config_made=1
}

# Lines of a build log that are about our files
ours() {	# log
	grep -E '(warning|error):|WARNING:' "$1" | grep -E "$OURS" || true
}

# Print what a build log says about our files under a heading; non-zero
# if it says anything.
report_ours() {	# heading log
	local out
	out=$(ours "$2")
	[ -n "$out" ] || return 0
	echo "$1:"
	echo "$out" | sort -u
	return 1
}

# Whether the prefix checked before and this one differ in what the
# kernel build reads (anything but the documentation, the selftests and
# MAINTAINERS), and whether they differ in the net/quic selftests.
touches_kernel() {	# commit-before commit
	! git -C "$SRC" diff --quiet "$1" "$2" -- . ':!Documentation' \
		':!tools/testing' ':!MAINTAINERS'
}
touches_selftests() {	# commit-before commit
	! git -C "$SRC" diff --quiet "$1" "$2" -- tools/testing/selftests/net/quic
}

# The lean configuration, as the prefix's Kconfig takes it
configure_prefix() {
	cp "$LOGS/lean.config" "$BOBJ/.config"
	kmake "$BOBJ" olddefconfig >/dev/null
	if [ -f "$WT/net/quic/Kconfig" ] && ! grep -qx 'CONFIG_QUIC_ULP=m' "$BOBJ/.config"; then
		echo "CONFIG_QUIC_ULP=m does not survive olddefconfig"
		return 1
	fi
}

# vmlinux and modules (BISECT_SCOPE=objects: the objects the series adds
# or changes); then our C files, to assembler
build_kernel() {	# build-log
	local blog=$1 objs=()
	local targets=(vmlinux modules)

	if [ "$SCOPE" = objects ]; then
		targets=(prepare net/ipv4/udp.o net/ipv6/udp.o)
		[ ! -f "$WT/net/ipv4/udp_ulp.c" ] || targets+=(net/ipv4/udp_ulp.o)
		[ ! -f "$WT/net/quic/Makefile" ] || targets+=(net/quic/)
	fi
	if ! kmake "$BOBJ" W=1 "${targets[@]}" >"$blog" 2>&1; then
		echo "build failed:"
		grep -E 'error|Error' "$blog" | head -n 20
		return 1
	fi
	# (an earlier, longer prefix may have left its quic_ulp.mod behind)
	if [ -f "$WT/net/quic/Makefile" ]; then
		[ -f "$BOBJ/net/quic/quic_ulp.mod" ] || { echo "no quic_ulp.mod"; return 1; }
		mapfile -t objs <"$BOBJ/net/quic/quic_ulp.mod"
	fi
	# (the KUnit suites, from their patch on)
	if grep -q quic_ulp_kunit "$WT/net/quic/Makefile" 2>/dev/null &&
	   [ -f "$BOBJ/net/quic/quic_ulp_kunit.mod" ]; then
		mapfile -t -O "${#objs[@]}" objs <"$BOBJ/net/quic/quic_ulp_kunit.mod"
	fi
	objs+=(net/ipv4/udp.o net/ipv6/udp.o)
	[ -f "$WT/net/ipv4/udp_ulp.c" ] && objs+=(net/ipv4/udp_ulp.o)
	objs=("${objs[@]/%.o/.s}")
	(cd "$BOBJ" && rm -f "${objs[@]}")
	if ! kmake "$BOBJ" W=1 "${objs[@]}" >>"$blog" 2>&1; then
		echo "compiling our files failed:"
		grep -E 'error|Error|No rule' "$blog" | head -n 20
		return 1
	fi
	report_ours "warnings (W=1)" "$blog"
}

# The net/quic selftests against the prefix's uapi headers, built in
# $BOBJ/kselftest (what the selftests' Makefile does with O=); make
# rebuilds only the programs whose sources the checkout changed.
build_selftests() {	# build-log
	local slog=$1

	if ! kmake "$BOBJ" headers >"$slog" 2>&1 ||
		! nice -n 10 make -s -C "$WT/tools/testing/selftests" O="$BOBJ" \
			TARGETS=net/quic -j"$JOBS" >>"$slog" 2>&1; then
		echo "the net/quic selftests do not build:"
		grep -E 'error|Error' "$slog" | head -n 20
		rm -rf "$BOBJ/kselftest/net/quic"
		return 1
	fi
	if grep -q 'warning:' "$slog"; then
		echo "warnings in the net/quic selftests:"
		grep 'warning:' "$slog" | sort -u
		# built from scratch next time, so that the warning shows again
		rm -rf "$BOBJ/kselftest/net/quic"
		return 1
	fi
}

# The last prefix: the ULP built in, W=1 and sparse on our files
check_built_in() {	# build-log
	local blog=$1

	sed 's/^CONFIG_QUIC_ULP=m$/CONFIG_QUIC_ULP=y/' "$LOGS/lean.config" >"$BOBJ/.config"
	kmake "$BOBJ" olddefconfig >/dev/null
	if ! grep -qx 'CONFIG_QUIC_ULP=y' "$BOBJ/.config"; then
		echo "CONFIG_QUIC_ULP=y does not survive olddefconfig"
		return 1
	fi
	# Compiled again (ccache hits), so that a warning shows every time,
	# whatever the object directory already held
	rm -f "$BOBJ"/net/quic/*.o "$BOBJ/net/ipv4/udp_ulp.o"
	if ! kmake "$BOBJ" W=1 C=2 net/quic/ net/ipv4/udp_ulp.o >"$blog" 2>&1; then
		echo "built-in build failed:"
		grep -E 'error|Error' "$blog" | head -n 20
		return 1
	fi
	report_ours "built in (W=1, sparse)" "$blog"
}

# Check one prefix and say what is wrong with it; non-zero if anything.
# kernel_ok says whether the last prefix built passed: a prefix that does
# not touch the kernel inherits it.
kernel_ok=1
check_prefix() {	# commit-before commit last
	local before=$1 c=$2 last=$3 found=0 docs=() out
	local blog=$LOGS/current-build.log

	make_config
	git -C "$WT" checkout -q --force --detach "$c"
	configure_prefix || return 1
	if touches_kernel "$before" "$c"; then
		kernel_ok=1
		build_kernel "$blog" || kernel_ok=0
	else
		echo "kernel sources as in the prefix before: not built again"
		[ "$kernel_ok" = 1 ] || echo "and the kernel failed at the prefix before"
	fi
	[ "$kernel_ok" = 1 ] || found=1
	if touches_selftests "$before" "$c"; then
		build_selftests "$LOGS/current-selftests.log" || found=1
	fi

	# kernel-doc on the files the series has added so far
	mapfile -t docs < <(git -C "$WT" diff --name-only --diff-filter=A base HEAD -- '*.c' '*.h')
	if [ "${#docs[@]}" -gt 0 ]; then
		out=$(cd "$WT" && perl scripts/kernel-doc -none -Wall "${docs[@]}" 2>&1)
		if [ -n "$out" ]; then
			echo "kernel-doc:"
			echo "$out"
			found=1
		fi
	fi

	[ "$last" = 1 ] || return "$found"
	check_built_in "$blog" || found=1
	return "$found"
}

start=$(date +%s)
failed=0
tool_sum=$( { gcc --version | head -n 1; sparse --version; } | sha256sum | cut -d' ' -f1)
first=0
[ "$PREFIXES" = all ] || first=$((n - 1))
for ((i = first; i < n; i++)); do
	name=${names[i]}
	before=${commits[i]}^
	[ "$i" != "$first" ] || before=base
	test=series:bisect:$name
	last=$((i == n - 1 ? 1 : 0))
	key=$( { git -C "$SRC" rev-parse "${commits[i]}^{tree}"; echo "$last"
		echo "$tool_sum $SCOPE $PREFIXES"; hash_files "${fragments[@]}"
		grep -v '^[[:space:]]*#' "$TOP/scripts/check-bisect.sh"; } |
		sha256sum | cut -d' ' -f1)
	if stamp_ok "bisect$TREE_SUFFIX-$name" "$key"; then
		note "bisect: $name: unchanged since it passed"
		echo "pass $test" >>"$LINES.tmp"
		kernel_ok=1
		continue
	fi
	worktree
	t0=$(date +%s)
	if check_prefix "$before" "${commits[i]}" "$last" >"$LOGS/$name.log" 2>&1; then
		note "bisect: $name: passed ($(($(date +%s) - t0)) s)"
		echo "pass $test" >>"$LINES.tmp"
		stamp_set "bisect$TREE_SUFFIX-$name" "$key"
	else
		note "bisect: $name: FAILED ($(($(date +%s) - t0)) s), see ${LOGS#"$TOP"/}/$name.log:"
		head -n 30 "$LOGS/$name.log" >&2
		echo "fail $test" >>"$LINES.tmp"
		failed=$((failed + 1))
	fi
done
mv "$LINES.tmp" "$LINES"

# Into the series suite, beside what series.py check found
lines=("$LINES")
[ ! -f "$RESULTS/series-check$TREE_SUFFIX.lines" ] || lines=("$RESULTS/series-check$TREE_SUFFIX.lines" "$LINES")
cat "${lines[@]}" | result_write "series$TREE_SUFFIX"
note "bisect: $((n - first)) of $n prefixes, $failed failed, $(($(date +%s) - start)) s"
[ "$failed" = 0 ]
