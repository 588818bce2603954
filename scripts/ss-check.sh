#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# What ss shows of the ULP's sockets: build iproute2's ss with the change
# in userspace-example/iproute2 (scripts/build-iproute2.sh), boot the test
# kernel and run scripts/guest-ss-check.sh there, against the kernel's
# sock_diag. Suite "ss": one result per check; a kernel report on the
# console during the run fails it too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"
. "$(dirname "$0")/kernel-log.sh"

SUITE=ss$VARIANT
LOG=$BUILD/ss-check$VARIANT.log

result_reset "$SUITE"
[ -f "$OBJ/arch/x86/boot/bzImage" ] ||
	die "no kernel in $OBJ; run scripts/build-kernel.sh"
if ! ss=$("$TOP/scripts/build-iproute2.sh" 2>"$LOG.build"); then
	echo "fail ss: building the patched ss failed; see $LOG.build" |
		result_write "$SUITE"
	result_print "$SUITE"
	exit 1
fi

start=$(date +%s)
rc=0
BOOT_TIMEOUT=${SS_TIMEOUT:-300} "$TOP/scripts/boot.sh" -- \
	env SS="$ss" "$TOP/scripts/guest-ss-check.sh" >"$LOG" 2>&1 || rc=$?
note "ss: finished in $(($(date +%s) - start)) s (exit $rc)"

{
	sed -n 's/^ok   ss: \(.*\)/pass ss: \1/p; s/^FAIL ss: \(.*\)/fail ss: \1/p' "$LOG"
	if [ "$rc" != 0 ] && ! grep -q '^FAIL ss: ' "$LOG"; then
		echo "fail ss: exit $rc with no failing check named; see $LOG"
	fi
	kernel_log_reports "$BUILD/vm$VARIANT/console.log"
} | result_write "$SUITE"
result_print "$SUITE"
[ "$(result_get "$SUITE" failed)" = 0 ]
