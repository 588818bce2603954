#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in the guest (scripts/kunit.sh): load each KUnit module named, whose
# suites run as it loads, then unload it and the module it tests; leave
# the kernel log of the run, the KTAP that kunit.py parse reads, in
# $GUEST_OUT/kunit.ktap. Exits non-zero when a module would not load or
# unload.
#
#	guest-kunit.sh MODULE...
set -u
out=${GUEST_OUT:-/tmp}/kunit.ktap
rc=0

dmesg -C
for m in "$@"; do
	if ! modprobe "$m"; then
		echo "error: modprobe $m failed" >&2
		rc=1
		continue
	fi
	if ! modprobe -r "$m"; then
		echo "error: $m and what it uses would not unload" >&2
		rc=1
	fi
done
dmesg >"$out"
exit "$rc"
