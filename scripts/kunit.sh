#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the KUnit suites of the series and record their results: counts and
# failing tests in $BUILD/results/kunit.result (kunit-6.12.result with
# BACKPORT=6.12), the parsed output in $BUILD/kunit.log. Exits non-zero
# when a test failed or nothing could run.
#
# KUNIT_ARCH=vm (the default, what scripts/test.sh runs): in the test VM,
# on the kernel scripts/build-kernel.sh built ($OBJ): scripts/config/vm.config
# gives it CONFIG_KUNIT=y and the suites as the module quic_ulp_kunit,
# which the guest loads (the suites run as it loads), then unloads with
# the module under test; `kunit.py parse` reads the KTAP from the guest's
# kernel log. A kernel report on the console (WARN, BUG, ...) fails the run
# as in the kselftests. The same kernel the kselftests run, on every base,
# at the price of one more boot; the .kunitconfig is still checked, with
# `kunit.py config` on UML (a configuration, no build).
#
# KUNIT_ARCH=um: `kunit.py run` on UML with the .kunitconfig, building in
# $BUILD/kunit (with ccache): the way netdev's CI runs KUnit, and a kernel
# of its own, some 900 objects, ten minutes on a fresh 2-core machine.
#
# Variables:
#   KUNIT_ARCH     vm (default) or um
#   KUNITCONFIG    the kunitconfig (a directory with .kunitconfig, or a
#                  file), absolute or relative to $SRC (default net/quic); e.g.
#                  lib/kunit to try the machinery on a tree without the series
#   KUNIT_MODULES  the modules the guest loads (default quic_ulp_kunit)
#   KUNIT_TIMEOUT  seconds for the test run itself (default 600)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"
. "$(dirname "$0")/kernel-log.sh"

SUITE=kunit$VARIANT
KUNIT_ARCH=${KUNIT_ARCH:-vm}
KUNITCONFIG=${KUNITCONFIG:-net/quic}
KUNIT_MODULES=${KUNIT_MODULES:-quic_ulp_kunit}
KUNIT_TIMEOUT=${KUNIT_TIMEOUT:-600}
KUNIT_BUILD=$BUILD/kunit$TREE_SUFFIX
LOG=$BUILD/kunit$VARIANT.log
JSON=$RESULTS/$SUITE.json
KTAP=$BUILD/vm$VARIANT/out/kunit.ktap

check_tree() {
	[ -f "$SRC/tools/testing/kunit/kunit.py" ] ||
		die "no kernel tree at $SRC; run scripts/prepare-tree.sh"
	local path=$KUNITCONFIG
	[ "${path#/}" != "$path" ] || path=$SRC/$path
	[ -f "$path" ] || [ -f "$path/.kunitconfig" ] ||
		die "$SRC has no $KUNITCONFIG/.kunitconfig (is the series in patches/ applied?); set KUNITCONFIG=lib/kunit to try another suite"
	command -v ccache >/dev/null || die "ccache missing; run scripts/setup.sh"
}

kunit_py() {
	python3 "$SRC/tools/testing/kunit/kunit.py" "$@"
}

# kunit.py builds with plain make; ccache comes in through CC and HOSTCC
# (UML links vmlinux with $(CC) too, which ccache passes through).
run_uml() {
	kunit_py run \
		--kunitconfig="$KUNITCONFIG" \
		--build_dir="$KUNIT_BUILD" \
		--jobs="$JOBS" \
		--make_options="CC=ccache gcc" \
		--make_options="HOSTCC=ccache gcc" \
		--timeout="$KUNIT_TIMEOUT" \
		--json="$JSON"
}

# The .kunitconfig still makes a UML configuration with every option it
# names (kunit.py config says "Missing: ..." otherwise); then the suites in
# the VM, their KTAP parsed on the host.
run_vm() {
	local rc=0

	kunit_py config --kunitconfig="$KUNITCONFIG" --build_dir="$KUNIT_BUILD-config" \
		--make_options="HOSTCC=ccache gcc" || return
	rm -f "$KTAP"
	BOOT_TIMEOUT=$KUNIT_TIMEOUT "$TOP/scripts/boot.sh" -- \
		"$TOP/scripts/guest-kunit.sh" $KUNIT_MODULES || rc=$?
	[ -s "$KTAP" ] || { echo "error: the guest wrote no kernel log"; return 1; }
	kunit_py parse --json="$JSON" "$KTAP" || return
	return "$rc"
}

# kunit.py's JSON (groups of groups of test cases) to "pass|fail|skip NAME"
# lines, one per leaf test case, named suite.case (parameterised cases
# are groups of their own: suite.case.param).
parse_json() {
	python3 - "$JSON" <<'PY'
import json, sys

def walk(group, prefix):
    for case in group.get("test_cases", []):
        status = {"PASS": "pass", "SKIP": "skip"}.get(case["status"], "fail")
        print(status, prefix + case["name"])
    for sub in group.get("sub_groups", []):
        walk(sub, prefix + sub["name"] + ".")

with open(sys.argv[1]) as f:
    walk(json.load(f), "")
PY
}

result_reset "$SUITE"
check_tree
rm -f "$JSON"
start=$(date +%s)
rc=0
case $KUNIT_ARCH in
um)
	mkdir -p "$KUNIT_BUILD"
	note "kunit: $KUNITCONFIG on UML in ${KUNIT_BUILD#"$TOP"/} ($JOBS jobs)"
	run_uml >"$LOG" 2>&1 || rc=$?
	;;
vm)
	for opt in CONFIG_KUNIT=y CONFIG_QUIC_ULP_KUNIT_TEST=m; do
		grep -qx "$opt" "$OBJ/.config" 2>/dev/null ||
			die "$OBJ/.config lacks $opt; rebuild the kernel with scripts/build-kernel.sh"
	done
	note "kunit: $KUNIT_MODULES in the test VM (${OBJ#"$TOP"/})"
	run_vm >"$LOG" 2>&1 || rc=$?
	;;
*)
	die "KUNIT_ARCH=$KUNIT_ARCH: vm or um"
	;;
esac
note "kunit: finished in $(($(date +%s) - start)) s (exit $rc)"

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
	echo "fail kunit: no results (exit $rc): ${reason:-see $LOG}" | result_write "$SUITE"
	result_print "$SUITE"
	echo "error: KUnit produced no results; see $LOG" >&2
	exit 1
fi
lines=$(parse_json)
{
	echo "$lines"
	# Test results present but the run still failed: e.g. a crash
	# kunit.py could not attribute to a test, fewer tests than the plan,
	# or the module that would not unload.
	if [ "$rc" != 0 ] && ! grep -q '^fail ' <<<"$lines"; then
		echo "fail kunit: exit $rc with no failing test named; see $LOG"
	fi
	[ "$KUNIT_ARCH" != vm ] || kernel_log_reports "$BUILD/vm$VARIANT/console.log"
} | result_write "$SUITE"
result_print "$SUITE"
[ "$(result_get "$SUITE" failed)" = 0 ]
