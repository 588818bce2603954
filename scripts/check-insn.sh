#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A short instruction-accounting check for CI: one case, one VM boot,
# compared with a committed figure. Fails when the case's instructions per
# packet (copies, scheduling and spinning apart; all vCPUs) grew by more
# than INSN_CHECK_LIMIT percent (default 3). The count is exact
# (scripts/bench-insn.sh), so a growth is the code's, not the machine's.
#
#   scripts/check-insn.sh            check
#   scripts/check-insn.sh --update   measure and record the figure
#
# The figure is bench/insn-check.json, written by --update: measured the
# same way as the check (the case alone in a fresh VM), which reads about
# 1% lower than the same case late in the full run of bench-insn.sh (a VM
# that has run 40 cases before has other slab and page states). Without
# that file the check falls back on bench/insn-results.json.
#
# A boot can also land in a costlier allocator state (BENCHMARKS.md,
# "where repeats differ": SLUB building a slab per packet, +8% for this
# case), so a check over the limit boots again, up to INSN_CHECK_TRIES
# boots (default 2): a real growth fails in every one.
#
# Variables: INSN_CHECK_CASE (default tx:ulp:1200:64:aes, a quic_bench
# case spec), INSN_CHECK_LIMIT, INSN_CHECK_TRIES, and those of
# scripts/bench-insn.sh (BUILD, OBJ; INSN_BOOT_TIMEOUT, 600 s here). A
# check (not --update) prints "pass|fail insn:CASE ..." and writes it as
# the "insn" suite's result (scripts/results.sh) for scripts/test.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

update=
case ${1:-} in
--update) update=1 ;;
'') ;;
*) die "usage: $0 [--update]" ;;
esac
CASE=${INSN_CHECK_CASE:-tx:ulp:1200:64:aes}
LIMIT=${INSN_CHECK_LIMIT:-3}
TRIES=${INSN_CHECK_TRIES:-2}
[ "$TRIES" -ge 1 ] 2>/dev/null || die "INSN_CHECK_TRIES must be 1 or more"
SUITE=insn
[ -n "$update" ] || result_reset "$SUITE"
INSN_RESULTS=$TOP/bench/insn-results.json
FIGURE=$TOP/bench/insn-check.json
CHECK=$TOP/bench/insn/check.py
SUMMARY=$BUILD/check-insn/summary.json
committed=
if [ -z "$update" ]; then
	for f in "$FIGURE" "$INSN_RESULTS"; do
		[ -f "$f" ] && committed=$f && break
	done
	if [ -z "$committed" ]; then
		printf 'fail insn:%s (no committed figure)\n' "$CASE" | result_write "$SUITE"
		die "no committed figure ($FIGURE or $INSN_RESULTS); run $0 --update"
	fi
fi

# The window of the committed figure, or bench-insn.sh's defaults
read -r packets warmup < <(python3 "$CHECK" window ${committed:+"$committed"} "$INSN_RESULTS")

# The suite's result: the verdict line (pass|fail insn:...), or a failure
verdict() {	# line
	printf '%s\n' "$1" | result_write "$SUITE"
	result_print "$SUITE"
}

measure() {
	local rc=0
	# (one short case: a guest that hangs must not hold up what comes
	# after it in test.sh's VM lane for bench-insn.sh's 90 minutes)
	INSN_CASES=$CASE INSN_REPEATS=1 INSN_WRITE=0 INSN_PACKETS=$packets \
		INSN_WARMUP=$warmup INSN_TAG=check-insn \
		INSN_BOOT_TIMEOUT=${INSN_BOOT_TIMEOUT:-600} \
		"$TOP/scripts/bench-insn.sh" || rc=$?
	if [ "$rc" != 0 ]; then
		[ -n "$update" ] || verdict "fail insn:$CASE (the accounting run failed, exit $rc)"
		die "the accounting run failed (exit $rc)"
	fi
}

start=$(date +%s)
if [ -n "$update" ]; then
	measure
	exec python3 "$CHECK" record "$SUMMARY" "$CASE" "$FIGURE"
fi
for ((t = 1; t <= TRIES; t++)); do
	measure
	rc=0
	out=$(python3 "$CHECK" compare "$committed" "$SUMMARY" "$CASE" "$LIMIT" \
		"$(($(date +%s) - start))") || rc=$?
	printf '%s\n' "$out"
	if [ "$rc" = 0 ] || [ "$t" = "$TRIES" ]; then
		verdict "$(printf '%s\n' "$out" | grep -E '^(pass|fail) ' | tail -n1 ||
			echo "fail insn:$CASE (no verdict, exit $rc)")"
		exit "$rc"
	fi
	note "check-insn: over the limit in boot $t of $TRIES; booting again"
done
exit 1
