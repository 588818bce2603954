#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo: set up the machine, apply the series, build the test kernel
# and the userspace example, boot the kernel (scripts/boot.sh) and have
# Debian's gtlsclient download DEMO_SIZE bytes (default 100 MiB) of random
# data over HTTP/3 from our example server, qo-server, whose 1-RTT packet
# protection the kernel does. gtlsclient initiates a key update after a
# second, the server a couple more. The guest prints the transfer, the
# SHA-256 check, the throughput and the kernel's counters
# (userspace-example/demo-guest.sh). Then Debian's Chromium, headless,
# loads a page from qo-server whose script fetches 16 MiB over HTTP/3 and
# hashes them; its screenshot is kept as $BUILD/demo/screenshot.png.
#
# Every step is incremental: a second run only boots and runs the demo.
# Exit status: 0 when the files arrived intact and the kernel did the 1-RTT
# crypto, for gtlsclient and for Chromium.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DEMO_SIZE=${DEMO_SIZE:-104857600}

"$TOP/scripts/setup.sh"
"$TOP/scripts/prepare-tree.sh"
"$TOP/scripts/build-kernel.sh"

note "demo: building userspace-example"
make -s -C "$TOP/userspace-example" >"$BUILD/demo-build.log" 2>&1 ||
	die "building userspace-example failed; see $BUILD/demo-build.log"

note "demo: booting the patched kernel (TCG without KVM: the download takes a minute or two)"
mkdir -p "$BUILD/demo"
rm -f "$BUILD/demo/screenshot.png"
rc=0
# (--rwdir: the guest writes the browser's screenshot there)
BOOT_TIMEOUT=${DEMO_TIMEOUT:-1500} VM_LOG=$BUILD/demo/console.log \
	"$TOP/scripts/boot.sh" --rwdir "$BUILD/demo" -- \
	"$TOP/userspace-example/demo-guest.sh" "$DEMO_SIZE" "$BUILD/demo" |
	tee "$BUILD/demo/demo.log" || rc=$?
# What the kernel itself said of one case of the last interop run, if any
# (scripts/interop.sh: conn-get over netlink, the quic_ulp tracepoints)
for f in "$BUILD"/interop/*/nl-conns.json; do
	d=${f%/*}
	[ -f "$d/trace.txt" ] || continue
	note "demo: the kernel's account of interop case ${d##*/}: $f, $d/trace.txt"
	break
done
exit "$rc"
