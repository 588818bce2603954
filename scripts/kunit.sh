#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit tests of the series on UML with kunit.py from the patched
# tree ($SRC), building in $BUILD/kunit with ccache; counts and failing tests
# go to $BUILD/results/kunit.result, kunit.py's output to $BUILD/kunit.log.
# Exits non-zero when a test failed or nothing could run.
#
# A re-run is incremental: kunit.py keeps the configuration while the
# kunitconfig is unchanged, and make and ccache rebuild only what changed.
#
# Variables:
#   KUNITCONFIG    the kunitconfig (a directory with .kunitconfig, or a
#                  file), absolute or relative to $SRC (default net/quic); e.g.
#                  lib/kunit to try the machinery on a tree without the series
#   KUNIT_TIMEOUT  seconds for the test run itself (default 600)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"

SUITE=kunit
KUNITCONFIG=${KUNITCONFIG:-net/quic}
KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-600}
KUNIT_BUILD=$BUILD/kunit
LOG=$BUILD/kunit.log
JSON=$RESULTS/kunit.json

check_tree() {
	[ -f "$SRC/tools/testing/kunit/kunit.py" ] ||
		die "no kernel tree at $SRC; run scripts/prepare-tree.sh"
	local path=$KUNITCONFIG
	[ "${path#/}" != "$path" ] || path=$SRC/$path
	[ -f "$path" ] || [ -f "$path/.kunitconfig" ] ||
		die "$SRC has no $KUNITCONFIG/.kunitconfig (is the series in patches/ applied?); set KUNITCONFIG=lib/kunit to try another suite"
	command -v ccache >/dev/null || die "ccache missing; run scripts/setup.sh"
}

# kunit.py builds with plain make; ccache comes in through CC and HOSTCC
# (UML links vmlinux with $(CC) too, which ccache passes through).
run_kunit() {
	python3 "$SRC/tools/testing/kunit/kunit.py" run \
		--kunitconfig="$KUNITCONFIG" \
		--build_dir="$KUNIT_BUILD" \
		--jobs="$JOBS" \
		--make_options="CC=ccache gcc" \
		--make_options="HOSTCC=ccache gcc" \
		--timeout="$KUNIT_TIMEOUT" \
		--json="$JSON"
}

# kunit.py's JSON (groups of groups of test cases) to "pass|fail|skip NAME"
# lines, one per leaf test case, named suite.case (parameterised cases
# are groups of their own: suite.case.param).
parse_json() {
	python3 - "$JSON" <<'EOF'
import json, sys

def walk(group, prefix):
    for case in group.get("test_cases", []):
        status = {"PASS": "pass", "SKIP": "skip"}.get(case["status"], "fail")
        print(status, prefix + case["name"])
    for sub in group.get("sub_groups", []):
        walk(sub, prefix + sub["name"] + ".")

with open(sys.argv[1]) as f:
    walk(json.load(f), "")
EOF
}

result_reset "$SUITE"
check_tree
rm -f "$JSON"
mkdir -p "$KUNIT_BUILD"
note "kunit: $KUNITCONFIG on UML in ${KUNIT_BUILD#"$TOP"/} ($JOBS jobs)"
start=$(date +%s)
rc=0
run_kunit >"$LOG" 2>&1 || rc=$?
note "kunit: kunit.py finished in $(($(date +%s) - start)) s (exit $rc)"

# kunit.py's own report: the per-test lines and its summary.
grep -E '^\[[0-9:]+\] ' "$LOG" | grep -vE 'Building|Regenerating|Populating|Elapsed|Starting KUnit|Configuring' || true

if [ ! -s "$JSON" ]; then
	# No results: the configuration or the build failed (kunit.py says
	# which on its last lines), or the kernel did not start.
	reason=$(grep -E -m1 'ERROR|[Ee]rror|not in|Traceback' "$LOG" ||
		grep -v '^[[:space:]]*$' "$LOG" | tail -n1) || true
	# kunit.py names the Kconfig options it could not set on a line of
	# their own.
	reason="$reason $(grep -m1 '^Missing: ' "$LOG" || true)"
	echo "fail kunit: no results (kunit.py exit $rc): ${reason:-see $LOG}" | result_write "$SUITE"
	result_print "$SUITE"
	echo "error: KUnit produced no results; see $LOG" >&2
	exit 1
fi
lines=$(parse_json)
{
	echo "$lines"
	# Test results present but kunit.py still failed: e.g. a crash it
	# could not attribute to a test, or fewer tests than the plan.
	if [ "$rc" != 0 ] && ! grep -q '^fail ' <<<"$lines"; then
		echo "fail kunit: kunit.py exit $rc with no failing test named; see $LOG"
	fi
} | result_write "$SUITE"
result_print "$SUITE"
[ "$(result_get "$SUITE" failed)" = 0 ]
