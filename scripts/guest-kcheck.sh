#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in the guest (scripts/run-kselftests.sh puts it in front of the test
# command): run the command, then, on a kernel with kmemleak, make it
# scan for what the run leaked and leave its findings in
# $GUEST_OUT/kmemleak.txt, for scripts/kernel-log.sh on the host. Objects
# that were unreferenced before the command started (boot) are not
# counted. Exits with the command's status.
kml=/sys/kernel/debug/kmemleak
out=${GUEST_OUT:-/tmp}/kmemleak.txt

rm -f "$out"
if [ ! -e /sys/kernel/debug/kmemleak ] && grep -q debugfs /proc/filesystems; then
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
fi
if [ -w "$kml" ]; then
	# Mark what boot left unreferenced as known, once scanned
	echo scan >"$kml" && echo clear >"$kml"
fi

rc=0
"$@" || rc=$?

if [ -w "$kml" ]; then
	# Objects younger than 5 s are never reported; freeing after a grace
	# period or from a work item takes a little too. Two scans, as a
	# pointer left in a register or stack can hide a leak from one.
	sleep 6
	echo scan >"$kml"
	sleep 1
	echo scan >"$kml"
	cat "$kml" >"$out"
	echo "kmemleak: $(grep -c '^unreferenced object' "$out") unreferenced objects after the run"
fi
exit "$rc"
