#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the net/quic kselftests on the host from the patched tree ($SRC),
# install them with the kselftest install target into $KSELFTEST_DIR, then
# boot the test kernel (scripts/boot.sh) and run them there through
# run_kselftest.sh. The TAP goes to stdout and $BUILD/results/kselftest.tap;
# counts and failing tests to $BUILD/results/kselftest.result. Exits
# non-zero when a test failed or did not run, or when the kernel reported
# a bug, a warning or a leak in its log during the run ("kernel-log"
# failures, see scripts/kernel-log.sh; kmemleak where the kernel has it).
#
# With DEBUG=1 (see lib.sh) it runs them on the debug kernel in
# $BUILD/obj-debug, as suite kselftest-debug, beside the lean kernel's.
#
# Variables:
#   SELFTEST_SRC   a net/quic test directory to use instead of the patched
#                  tree's, e.g. $TOP/tools/testing/selftests/net/quic before
#                  the series carries it; the repository's include/uapi
#                  headers are then installed over the tree's.
#   KSFT_SANITIZE  1 (default): build with ASan + UBSan; 0: plain build
#   KSFT_TESTS     only these collection:test entries (run_kselftest.sh -t)
#   KSFT_LANES     how many programs run side by side (default 2, the
#                  guest's vCPUs; 1: one after the other), see guest-lanes.sh
#   KSFT_ALONE     programs that run after the lanes, with nothing beside
#                  them (default net/quic:quic_ulp, which lowers the
#                  initial network namespace's net.quic_ulp limits for a
#                  while, and net/quic:quic_race, which unloads the module)
#   KSFT_BOOT_TIMEOUT  seconds for the whole VM run (default: the settings
#                  timeout times the number of tests, plus 300)
#   QUIC_SELFTEST_LONG, FUZZ_SECONDS, FUZZ_THREADS, FUZZ_SEED, RACE_SECONDS,
#   RACE_ROUNDS, QUIC_LIMITS_FULL
#                  passed to the guest when set: QUIC_SELFTEST_LONG=1 runs
#                  the long tests in full (quic_fuzz 60 s instead of 15,
#                  quic_race 10 s and 40 rounds instead of 3 and 10,
#                  quic_scale 10,000 connections instead of 2,000,
#                  quic_limits up to the RFC 9001 limits: millions of
#                  packets, give KSFT_BOOT_TIMEOUT room); the others
#                  override it for one program (QUIC_LIMITS_FULL=0 keeps
#                  quic_limits short in a long run)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"
. "$(dirname "$0")/kernel-log.sh"

SUITE=kselftest$VARIANT
TARGET=net/quic
KSFT_SANITIZE=${KSFT_SANITIZE:-1}
KSFT_OBJ=$BUILD/kselftest-obj$VARIANT	# O= of the headers and test objects
SCRATCH=$BUILD/kselftest-src$VARIANT	# the tree used with SELFTEST_SRC
TAP=$RESULTS/$SUITE.tap
KSFT_LANES=${KSFT_LANES:-2}
KSFT_ALONE=${KSFT_ALONE:-net/quic:quic_ulp net/quic:quic_race}
DURATIONS=$RESULTS/$SUITE.durations	# seconds per program, the last run
# ... and, for a program no run here has timed yet (a fresh machine, as in
# CI), what it took on a 2-core machine of the kind the README describes:
# without it every program counts the same and the lanes are planned by
# name, which once put quic_device and quic_tx in one lane (586 s against
# 131 s in the other)
DURATIONS_DEFAULT=$TOP/scripts/ksft-durations
TIMES=$RESULTS/$SUITE.times	# the guest's output, each line with its time
# What boot.sh leaves: the guest's console, and what the guest wrote
VM_CONSOLE=${VM_LOG:-$BUILD/vm$VARIANT/console.log}
VM_OUT=$BUILD/vm$VARIANT/out

# The kernel tree whose tools/testing/selftests builds the tests: $SRC, or
# with SELFTEST_SRC a scratch tree of symlinks into $SRC with net/quic
# replaced by a copy of SELFTEST_SRC (lib.mk finds the tree root relative
# to the test directory, so the test directory has to sit inside one).
selftest_tree() {
	if [ -z "${SELFTEST_SRC:-}" ]; then
		[ -d "$SRC/tools/testing/selftests/$TARGET" ] ||
			die "$SRC has no tools/testing/selftests/$TARGET (is the series in patches/ applied?); set SELFTEST_SRC to test a directory of your own"
		TREE=$SRC
		return
	fi
	[ -f "$SELFTEST_SRC/Makefile" ] || die "SELFTEST_SRC=$SELFTEST_SRC has no Makefile"
	local t=$SCRATCH/tools/testing
	rm -rf "$SCRATCH"
	mkdir -p "$t"
	ln -s "$SRC/scripts" "$SCRATCH/scripts"
	ln -s "$SRC/tools/include" "$SCRATCH/tools/include"
	cp -rs "$SRC/tools/testing/selftests" "$t/"
	rm -rf "$t/selftests/$TARGET"
	# A copy, not a symlink: make -C resolves a link, and lib.mk would then
	# look for ../../lib.mk next to SELFTEST_SRC. rsync -a keeps mtimes, so
	# the objects in $KSFT_OBJ stay up to date.
	rsync -a "$SELFTEST_SRC/" "$t/selftests/$TARGET/"
	TREE=$SCRATCH
}

# The uapi headers the tests include (KHDR_INCLUDES): installed from $SRC
# into $KSFT_OBJ/usr/include, outside both the source and kernel object
# trees. With SELFTEST_SRC the repository's own uapi headers go on top.
install_headers() {
	local h out
	make -s -C "$SRC" O="$KSFT_OBJ" headers >"$BUILD/kselftest-headers$VARIANT.log" 2>&1 ||
		die "make headers failed; see $BUILD/kselftest-headers$VARIANT.log"
	[ -n "${SELFTEST_SRC:-}" ] || return 0
	while IFS= read -r h; do
		out=$KSFT_OBJ/usr/include/${h#"$TOP"/include/uapi/}
		mkdir -p "$(dirname "$out")"
		# It runs scripts/unifdef, which make headers built in $KSFT_OBJ.
		(cd "$KSFT_OBJ" && "$SRC/scripts/headers_install.sh" "$h" "$out") ||
			die "cannot install $h as a uapi header"
	done < <(find "$TOP/include/uapi" -name '*.h' 2>/dev/null)
}

build_tests() {
	note "kselftest: building $TARGET (SANITIZE=$KSFT_SANITIZE) from ${SELFTEST_SRC:-$SRC}"
	if ! make -C "$TREE/tools/testing/selftests" TARGETS="$TARGET" \
		O="$KSFT_OBJ" KSFT_INSTALL_PATH="$KSELFTEST_DIR" FORCE_TARGETS=1 \
		SANITIZE="$KSFT_SANITIZE" -j"$JOBS" install \
		>"$BUILD/kselftest-build$VARIANT.log" 2>&1; then
		grep -E 'error|Error' "$BUILD/kselftest-build$VARIANT.log" | awk 'NR <= 20' >&2 || true
		die "building the $TARGET selftests failed; see $BUILD/kselftest-build$VARIANT.log"
	fi
	# Show compiler warnings: the tests are built with -Wall -Wextra.
	grep -E 'warning:' "$BUILD/kselftest-build$VARIANT.log" >&2 || true
	if [ ! -x "$KSELFTEST_DIR/run_kselftest.sh" ] || [ ! -s "$KSELFTEST_DIR/kselftest-list.txt" ]; then
		die "no tests installed in $KSELFTEST_DIR; see $BUILD/kselftest-build$VARIANT.log"
	fi
}

# Enough for every test to use its whole per-test timeout, plus the boot.
boot_timeout() {
	local per n
	per=$(sed -n 's/^timeout=\([0-9]*\)$/\1/p' "$KSELFTEST_DIR/$TARGET/settings" 2>/dev/null)
	n=$(wc -l <"$KSELFTEST_DIR/kselftest-list.txt")
	echo $((${per:-45} * n + 300))
}

run_tests() {
	local env=() v
	for v in QUIC_SELFTEST_LONG FUZZ_SECONDS FUZZ_THREADS FUZZ_SEED \
		RACE_SECONDS RACE_ROUNDS QUIC_LIMITS_FULL; do
		[ -z "${!v:-}" ] || env+=("$v=${!v}")
	done
	# quic_ynl.sh runs the YNL CLI and the spec of the tree under test
	env+=("KSRC=$SRC")
	# Sanitizer findings must fail the test that hit them. The runner
	# starts each test through stdbuf, an LD_PRELOAD that ASan would
	# otherwise refuse to run behind. guest-kcheck.sh has kmemleak scan
	# once the tests are done; guest-lanes.sh runs the programs in lanes.
	rm -f "$VM_OUT/kmemleak.txt"
	(cd "$KSELFTEST_DIR" &&
		BOOT_TIMEOUT=${KSFT_BOOT_TIMEOUT:-$(boot_timeout)} \
		"$TOP/scripts/boot.sh" --rwdir "$KSELFTEST_DIR" -- \
			"$TOP/scripts/guest-kcheck.sh" env \
			ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:verify_asan_link_order=0 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"${env[@]}" "$TOP/scripts/guest-lanes.sh" "${lanes[@]}") |
		stamp_lines | tee "$TAP.lanes"
	untangle "$TAP.lanes" >"$TAP"
}

# Split the programs to run into the arguments of guest-lanes.sh: those in
# KSFT_ALONE, then KSFT_LANES lanes, the longest program first into the
# lane with the least to do (by the wall times of the last run, in
# $DURATIONS, else those of $DURATIONS_DEFAULT; 60 s for a program neither
# names).
plan_lanes() {
	local t alone=()
	lanes=()
	for t in $(expected_tests); do
		[[ " $KSFT_ALONE " != *" $t "* ]] || alone+=("$t")
	done
	lanes+=("${alone[*]}")
	mapfile -t -O 1 lanes < <(expected_tests |
		awk -v alone=" $KSFT_ALONE " -v defaults="$DURATIONS_DEFAULT" \
			-v durations="$DURATIONS" '
			BEGIN {
				# the last run after the defaults, so that it wins; a
				# line without a number of seconds (a comment) is none
				file[1] = defaults
				file[2] = durations
				for (i = 1; i <= 2; i++)
					while ((getline l < file[i]) > 0)
						if (split(l, f, " ") >= 2 && f[2] ~ /^[0-9]+$/)
							d[f[1]] = f[2]
			}
			index(alone, " " $1 " ") == 0 { print $1, ($1 in d) ? d[$1] : 60 }' |
		LC_ALL=C sort -k2,2nr -k1,1 |
		awk -v n="$KSFT_LANES" '
			{
				k = 0
				for (j = 1; j < n; j++)
					if (load[j] < load[k])
						k = j
				load[k] += $2
				lane[k] = lane[k] (lane[k] == "" ? "" : " ") $1
			}
			END {
				for (j = 0; j < n; j++)
					print lane[j]
			}')
}

# The lanes' lines, lane after lane, without their prefixes: the TAP of a
# serial run. Lines without a prefix (the guest's own) come first.
untangle() {	# tagged-output
	local i
	grep -avE '^L([0-9]+|A) ' "$1" || true
	for ((i = 0; i < KSFT_LANES; i++)); do
		sed -n "s/^L$i //p" "$1"
	done
	sed -n 's/^LA //p' "$1"
}

# Copy stdin to stdout, and each line with the second it arrived at to
# $TIMES: what took the time, without touching the TAP.
stamp_lines() {
	local l
	: >"$TIMES"
	while IFS= read -r l; do
		printf '%(%s)T %s\n' -1 "$l" >>"$TIMES"
		printf '%s\n' "$l"
	done
}

# The wall time of each program, and the slowest tests, from $TIMES
# (kselftest_harness's "RUN" and "OK|FAIL|SKIP" lines).
print_times() {
	rm -f "$TIMES.slow"
	awk -v durations="$DURATIONS.new" -v slow="$TIMES.slow" '
		{ t = $1; l = $2; sub(/^[0-9]+ L([0-9]+|A) /, "") }
		l !~ /^L([0-9]+|A)$/ { next }
		/^# selftests: / { prog[l] = $NF; p0[l] = t; next }
		/^(not )?ok [0-9]+ selftests: / && prog[l] != "" {
			progs = progs sprintf("%s%s %d s", progs == "" ? "" : ", ", prog[l], t - p0[l])
			c = $0; sub(/^.* selftests: /, "", c); sub(/ #.*$/, "", c); sub(/: /, ":", c)
			print c, t - p0[l] >durations
			prog[l] = ""
			next
		}
		/^# #  RUN / { name[l] = $4; t0[l] = t; next }
		/^# #  +(OK|FAIL|SKIP) / && name[l] != "" {
			dur[name[l]] = t - t0[l]
			name[l] = ""
		}
		END {
			print "kselftest: wall time per program (lanes side by side): " progs
			for (k in dur)
				if (dur[k] >= 10)
					printf "%6d s  %s\n", dur[k], k >slow
		}' "$TIMES"
	if [ -s "$TIMES.slow" ]; then
		echo "kselftest: the tests that took 10 s or more:"
		sort -nr "$TIMES.slow" | head -n 10
	fi
	rm -f "$TIMES.slow"
	if [ -s "$DURATIONS.new" ]; then
		mv "$DURATIONS.new" "$DURATIONS"
	else
		rm -f "$DURATIONS.new"
	fi
}

# kselftest TAP to "pass|fail|skip NAME" lines. A program's result line is
# "ok N selftests: DIR: PROG" (or "not ok", "# SKIP"); the results it printed
# itself (kselftest_harness, ksft_test_result) come before it prefixed with
# "# ". Those are the tests when there are any; the program's own result
# then only counts when it failed without any of them failing (a crash, a
# sanitizer report at exit, a timeout). Programs in kselftest-list.txt that
# never reported (the VM died) fail.
parse_tap() {	# tap list
	awk -v listfile="$2" '
		function directive(line) {
			if (match(line, / # (SKIP|skip|XFAIL|TODO)/))
				return toupper(substr(line, RSTART + 3, RLENGTH - 3))
			return ""
		}
		function tname(line) {
			sub(/^(not )?ok [0-9]+ /, "", line)
			sub(/ # .*$/, "", line)
			sub(/^- /, "", line)
			return line
		}
		BEGIN {
			while ((getline l < listfile) > 0)
				if (l != "")
					expect[++nexp] = l
		}
		/^# selftests: / {
			prog = $0
			sub(/^# selftests: /, "", prog)
			sub(/: /, ":", prog)
			np = nf = ns = 0
			delete nested
			next
		}
		prog != "" && /^#[ \t]+(not )?ok [0-9]+ / {
			line = $0
			sub(/^#[ \t]+/, "", line)
			d = directive(line)
			if (d == "SKIP" || d == "TODO")
				k = "skip"
			else if (line ~ /^not / && d != "XFAIL")
				k = "fail"
			else
				k = "pass"
			nested[++nn] = k " " prog ":" tname(line)
			if (k == "fail") nf++
			np++
			next
		}
		/^(not )?ok [0-9]+ selftests: / {
			if (prog == "")
				next
			reason = $0
			if (!sub(/^.* # /, "", reason))
				reason = ""
			for (i = 1; i <= nn; i++)
				print nested[i]
			if ($0 ~ /^not ok/) {
				if (np == 0 || nf == 0)
					print "fail " prog (reason != "" ? " (" reason ")" : "")
			} else if (np == 0) {
				print (directive($0) == "SKIP" ? "skip " : "pass ") prog
			}
			seen[prog] = 1
			prog = ""
			nn = 0
			next
		}
		END {
			for (i = 1; i <= nn; i++)
				print nested[i]
			for (i = 1; i <= nexp; i++)
				if (!(expect[i] in seen))
					print "fail " expect[i] " (no result)"
		}' "$1"
}

# The collection:test entries that were to run: all, or KSFT_TESTS'
expected_tests() {
	local t
	if [ -z "${KSFT_TESTS:-}" ]; then
		cat "$KSELFTEST_DIR/kselftest-list.txt"
		return
	fi
	for t in $KSFT_TESTS; do
		echo "$t"
	done
}

result_reset "$SUITE"
selftest_tree
start=$(date +%s)
install_headers
build_tests
note "kselftest: built in $(($(date +%s) - start)) s; running $(wc -l <"$KSELFTEST_DIR/kselftest-list.txt") test programs in the VM"
vm_rc=0
plan_lanes
note "kselftest: lanes: $(printf '[%s] ' "${lanes[@]:1}")then alone: [${lanes[0]}]"
run_tests || vm_rc=$?
print_times >&2
# boot.sh already said why the VM failed; the tests it did not reach are
# counted as failed by parse_tap, the VM run itself as one more.
{
	parse_tap "$TAP" <(expected_tests)
	[ "$vm_rc" = 0 ] || echo "fail $TARGET: the VM run (boot.sh exit $vm_rc)"
	kernel_log_reports "$VM_CONSOLE" "$VM_OUT/kmemleak.txt"
} | result_write "$SUITE"
result_print "$SUITE"
[ "$(result_get "$SUITE" failed)" = 0 ]
