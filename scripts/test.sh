#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The test command: set up the machine, apply the series to the primary
# base tree (series/base, Debian's newest linux-source-7.*), build the
# test kernel, then check the series itself (fresh, git am, checkpatch,
# kernel-doc, every prefix builds), run the net/quic kselftests
# (virtme-ng), the KUnit suites (in the same VM's kernel, scripts/kunit.sh;
# KUNIT_ARCH=um runs them on UML instead), the interop suite against
# Debian's ngtcp2 examples (scripts/interop.sh, in the VM), the
# libFuzzer harnesses of fuzz/ (FUZZ_SECONDS per harness, default 30
# here, one harness per core), ss with the iproute2 change of
# userspace-example/iproute2 against the kernel's sock_diag
# (scripts/ss-check.sh, in the VM) and the userspace library as an installed
# product (scripts/check-install.sh: install, pkg-config, an out-of-tree
# consumer on this host's kernel, exports, man page; seconds), and one
# instruction-accounting case against its committed figure
# (scripts/check-insn.sh, in the VM lane: fails when the instructions per
# packet of the ULP's AES-128-GCM sends at GSO 64 grew by more than 3%;
# under a minute). Then the
# same for each backport in BACKPORTS (default: 6.12): its series checked
# (fresh, git am, checkpatch, kernel-doc, the whole series builds; every
# prefix with BISECT_PREFIXES_BACKPORT=all), its kernel
# built, its kselftests and KUnit suites run; interop stays on the
# primary base.
# BACKPORTS= skips them. Every stage is incremental, so a re-run after a
# change rebuilds only what the change touches. The series checks and the
# fuzzers run beside the VM suites (see the lanes below; PARALLEL=0: one
# after the other).
#
# TEST_DEBUG=1 adds the kselftests and the interop suite on the debug
# kernel (DEBUG=1, see lib.sh: KASAN, lockdep, kmemleak, ...), built in its own object
# directory: about 25 minutes more for a first build on 2 cores, plus the
# run. A kernel report in either run's log fails it (kernel-log.sh).
#
# A missing prerequisite (set-up, tree, kernel build) stops the run with
# that stage's one-line explanation. Otherwise both suites run, the failing
# tests are named, and the last line is "N passed, M failed, K skipped"
# summed over both; the exit status is non-zero when any test failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

BACKPORTS=${BACKPORTS-6.12}
SUITES=(series "kselftest$VARIANT" "kunit$VARIANT" ss interop fuzz install)
[ -n "$VARIANT" ] || SUITES+=(insn)
[ -n "$VARIANT" ] && BACKPORTS=
for b in $BACKPORTS; do
	SUITES+=("series-$b" "kselftest-$b" "kunit-$b")
done
TEST_DEBUG=${TEST_DEBUG:-0}
[ "$TEST_DEBUG" != 1 ] || [ -n "$VARIANT" ] || SUITES+=(kselftest-debug interop-debug)

# Run one stage, report its wall time; return its status.
stage() {	# script
	local t0 rc=0
	t0=$(date +%s)
	"$TOP/scripts/$1" || rc=$?
	if [ "$rc" = 0 ]; then
		note "stage ${1%.sh}: $(($(date +%s) - t0)) s"
	else
		note "stage ${1%.sh}: $(($(date +%s) - t0)) s, failed (exit $rc)"
	fi
	return "$rc"
}

# A failed prerequisite has printed why (die); stop without a summary,
# since no test ran.
prerequisite() {	# script
	local t0 rc=0
	t0=$(date +%s)
	"$TOP/scripts/$1" || rc=$?
	[ "$rc" = 0 ] || exit "$rc"
	note "stage ${1%.sh}: $(($(date +%s) - t0)) s"
}

# The file that says a backport's kernel is built (0) or failed
backport_ready() {	# backport
	echo "$BUILD/backport-$1.ready"
}

start=$(date +%s)
for b in $BACKPORTS; do
	rm -f "$(backport_ready "$b")"
done
prerequisite setup.sh
prerequisite prepare-tree.sh
prerequisite build-kernel.sh
for s in "${SUITES[@]}"; do
	result_reset "$s"
done

# Two lanes side by side. Under emulation the guest leaves part of the 2
# cores idle, so the host's own suites (the series checks, mostly
# compiling, and the fuzzers, bounded in time) run beside the VM at the
# lowest priority, taking what the guest leaves; the run is shorter by what
# they took. The host lane's output goes to a log, printed when both lanes
# are done. PARALLEL=0 runs everything one after the other.
# A backport's kernel is built first in the host lane, so that the VM lane
# finds it ready when the primary's suites are done; a marker file says it
# is (or that it failed: its kselftests then count as not run). The VM
# lane then runs the backport's kselftests, KUnit suites and series check.
build_backports() {
	local b rc
	for b in $BACKPORTS; do
		rc=0
		{ BACKPORT=$b stage prepare-tree.sh && BACKPORT=$b stage build-kernel.sh; } || rc=$?
		echo "$rc" >"$(backport_ready "$b").tmp"
		mv "$(backport_ready "$b").tmp" "$(backport_ready "$b")"
	done
}
host_lane() {
	build_backports
	CONFIGS_PREFIXES=${CONFIGS_PREFIXES:-last} stage check-series.sh || true
	FUZZ_SECONDS=${FUZZ_SECONDS:-30} stage fuzz.sh || true
	stage check-install.sh || true
}
vm_lane() {
	local b
	stage run-kselftests.sh || true
	stage kunit.sh || true
	[ -n "$VARIANT" ] || stage check-insn.sh || true
	stage ss-check.sh || true
	stage interop.sh || true
	for b in $BACKPORTS; do
		while [ ! -f "$(backport_ready "$b")" ]; do
			# a host lane that died never writes it: the backport's
			# suites then count as not run
			kill -0 "${host_pid:-$$}" 2>/dev/null || break
			sleep 10
		done
		[ -f "$(backport_ready "$b")" ] || continue
		# The test programs are the same on every base and the
		# primary's run has them under ASan and UBSan: here they check
		# the backport's kernel, built plain (KSFT_SANITIZE_BACKPORT=1
		# sanitizes them again).
		if [ "$(cat "$(backport_ready "$b")")" = 0 ]; then
			BACKPORT=$b KSFT_SANITIZE=${KSFT_SANITIZE_BACKPORT:-0} \
				stage run-kselftests.sh || true
			BACKPORT=$b stage kunit.sh || true
		fi
		# The backport's series check runs here, once the VM is done
		# with the primary: beside the primary's series check in the
		# host lane rather than after it (both are mostly one compiler
		# or checkpatch at a time).
		# Its bisect checks the whole series, not every prefix
		# (BISECT_PREFIXES_BACKPORT=all does): most of a backport's
		# cost in CI, on the run's critical path, for a property
		# checked on the primary base and by the full check-series.sh
		# run that regenerates the backport's patches/.
		BACKPORT=$b BISECT_PREFIXES=${BISECT_PREFIXES_BACKPORT:-last} \
			stage check-series.sh || true
	done
}
if [ "${PARALLEL:-1}" = 1 ]; then
	lane_log=$BUILD/host-lane.log
	note "host lane (series checks, fuzzers, install check) beside the VM, at nice 19: output in ${lane_log#"$TOP"/}"
	# A process group of its own (set -m), so that an interrupted run
	# stops the whole lane: a background job ignores the terminal's ^C.
	set -m
	(renice -n 19 -p "$BASHPID" >/dev/null; host_lane) >"$lane_log" 2>&1 </dev/null &
	host_pid=$!
	set +m
	trap 'kill -TERM -- -"$host_pid" 2>/dev/null || true' EXIT
	vm_lane
	wait "$host_pid" || true
	trap - EXIT
	echo
	note "host lane:"
	cat "$lane_log"
else
	host_lane
	vm_lane
fi
if [ "$TEST_DEBUG" = 1 ] && [ -z "$VARIANT" ]; then
	# A debug kernel that does not build is that suite's failure, not
	# the whole run's: the lean kernel's results stand.
	if DEBUG=1 stage build-kernel.sh; then
		DEBUG=1 stage run-kselftests.sh || true
		DEBUG=1 stage interop.sh || true
	fi
fi

# A suite that stopped before recording anything (it said why) counts as
# one failed test, so that it cannot pass unnoticed.
passed=0 failed=0 skipped=0
echo
for s in "${SUITES[@]}"; do
	if [ ! -f "$RESULTS/$s.result" ]; then
		printf 'fail %s: did not run (see its error above)\n' "$s" | result_write "$s"
	fi
	result_print "$s"
	passed=$((passed + $(result_get "$s" passed)))
	failed=$((failed + $(result_get "$s" failed)))
	skipped=$((skipped + $(result_get "$s" skipped)))
done
note "total: $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
