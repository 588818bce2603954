#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the libFuzzer harnesses of fuzz/ (the pure parts of net/quic, built
# from the kernel's own files): each replays its regression inputs in
# fuzz/corpus/<harness>/, then fuzzes for FUZZ_SECONDS from a working
# corpus in $BUILD/fuzz/corpus/<harness> that grows from run to run.
# A crash or a broken property (the harness aborts) fails the harness; the
# input that did it is kept in $BUILD/fuzz/artifacts/, to be added to
# fuzz/corpus/<harness>/ once the bug is fixed. Results go to
# $BUILD/results/fuzz.result like the other suites', libFuzzer's output to
# $BUILD/fuzz/<harness>.log.
#
# Variables:
#   FUZZ_SECONDS   fuzzing time per harness (default 60; 0: replay only)
#   FUZZ_HARNESSES which harnesses (default: all of fuzz/Makefile's)
#   JOBS           how many harnesses fuzz at once (default: the CPUs)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

SUITE=fuzz
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=$BUILD/fuzz
ART=$OUT/artifacts

result_reset "$SUITE"
command -v clang >/dev/null || die "clang missing; run scripts/setup.sh"
mkdir -p "$OUT" "$ART"
if ! make -s -C "$TOP/fuzz" OUT="$OUT" >"$OUT/build.log" 2>&1; then
	cat "$OUT/build.log" >&2
	echo "fail fuzz: build (see ${OUT#"$TOP"/}/build.log)" | result_write "$SUITE"
	result_print "$SUITE"
	exit 1
fi
harnesses=${FUZZ_HARNESSES:-$(make -s -C "$TOP/fuzz" --no-print-directory -f Makefile -f - <<<'print: ; @echo $(HARNESSES)' print)}

# The harness's own complaint, else the sanitizer's summary
reason() {	# log
	grep -m1 -E '^(quic_|[a-z_]+: |.*not recovered|.*not given)' "$1" ||
		grep -m1 -E 'SUMMARY|ERROR: ' "$1" || echo "exit without a summary"
}

run_one() {	# harness
	local h=$1 bin=$OUT/$1 log=$OUT/$1.log work=$OUT/corpus/$1 rc=0 runs
	local regress=$TOP/fuzz/corpus/$h

	mkdir -p "$work" "$regress"
	# Regression inputs: every one must pass.
	if ! "$bin" -runs=0 -artifact_prefix="$ART/$h-replay-" "$regress" >"$log" 2>&1; then
		echo "fail fuzz:$h regressions: $(reason "$log")"
		return
	fi
	echo "pass fuzz:$h regressions ($(find "$regress" -type f | wc -l) inputs)"
	[ "$FUZZ_SECONDS" -gt 0 ] || return 0
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$ART/$h-" -print_final_stats=1 \
		"$work" "$regress" >"$log" 2>&1 || rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n1)
	if [ "$rc" != 0 ]; then
		echo "fail fuzz:$h: $(reason "$log"); input: $(sed -n 's/.*Test unit written to //p' "$log" | tail -n1)"
		return
	fi
	note "fuzz: $h: ${runs:-?} runs in ${FUZZ_SECONDS}s, corpus $(find "$work" -type f | wc -l) inputs"
	echo "pass fuzz:$h (${runs:-?} runs)"
}

# Each harness is one process: run $JOBS of them at a time, each
# reporting into a file of its own, then report in the Makefile's order.
start=$(date +%s)
running=0
for h in $harnesses; do
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	rm -f "$OUT/$h.lines"
	run_one "$h" >"$OUT/$h.lines" &
	running=$((running + 1))
done
wait
for h in $harnesses; do
	grep . "$OUT/$h.lines" || echo "fail fuzz:$h: no result (see ${OUT#"$TOP"/}/$h.log)"
done | tee "$OUT/summary" | result_write "$SUITE"
note "fuzz: $(($(date +%s) - start)) s"
result_print "$SUITE"
[ "$(result_get "$SUITE" failed)" = 0 ]
