#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Instruction accounting: how many guest instructions each path executes
# per packet, counted exactly by a QEMU TCG plugin (bench/insn/insn.c),
# with REP string copies apart and a split by group (AEAD, header
# protection, the ULP, the UDP/IP stack, allocation, userspace, the rest).
# No clock is involved: the count is a property of the code, so it carries
# over between machines and shows what a change to the data path costs.
#
#   scripts/bench-insn.sh
#
# Per repeat, one VM boot under TCG with the plugin; in it quic_bench runs
# every case once (quic_bench insn: a warm-up, then one window of exactly
# INSN_PACKETS packets between two marker instructions). Writes
#
#   bench/insn-results.json   every case, every repeat, every group
#   BENCHMARKS.md             the "Instruction accounting" section only
#   bench/insn-plot.png       instructions per packet by batch (gnuplot)
#
# and prints the tables. Variables: INSN_REPEATS (VM boots, default 3: the
# tables show the median one, see bench/insn/report.py),
# INSN_PACKETS (packets per window, default 4096), INSN_WARMUP (packets
# before it, default 1024, at least one per connection), INSN_CASES
# (quic_bench case specs, default the full matrix below), INSN_WRITE=0
# (leave the repository's files alone; scripts/check-insn.sh), INSN_TAG
# (names the build and run directories), BUILD, OBJ. The raw runs stay in
# $BUILD/vm/out/bench-insn/rN until the next run; bench/insn/report.py
# --from-json renders the section again from bench/insn-results.json.
# Needs the kernel built (scripts/build-kernel.sh); installs the plugin
# API header itself (scripts/setup.sh --qemu-plugin-api).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
# Builds, summary and the raw runs (the VM's own output) under a name of
# their own, so that scripts/check-insn.sh (INSN_TAG=check-insn) leaves
# the last full run alone
TAG=${INSN_TAG:-bench-insn}
OUTB=$BUILD/$TAG
RUNS=$BUILD/vm$VARIANT/out/$TAG
REPEATS=${INSN_REPEATS:-3}
PACKETS=${INSN_PACKETS:-4096}
WARMUP=${INSN_WARMUP:-1024}
WRITE=${INSN_WRITE:-1}

# The matrix: Tx and Rx; batches 1, 16, 64 (54 segments of 1200 bytes);
# plain UDP once per batch; userspace OpenSSL and the ULP for both
# ciphers; the ULP with 10,000 connections too: every packet of a batch
# for the next connection (a lookup per packet), and, from batch 16, a
# connection per datagram (as one peer's packets come and go).
default_cases() {
	local dir batch cipher
	for dir in tx rx; do
		for batch in 1 16 64; do
			echo "$dir:plain:1200:$batch:aes"
			for cipher in aes chacha; do
				echo "$dir:user:1200:$batch:$cipher"
				echo "$dir:ulp:1200:$batch:$cipher"
				echo "$dir:ulp:1200:$batch:$cipher:10000"
				[ "$batch" = 1 ] ||
					echo "$dir:ulp:1200:$batch:$cipher:10000:dgram"
			done
		done
	done
}
if [ -n "${INSN_CASES:-}" ]; then
	read -r -a cases <<<"$INSN_CASES"
else
	mapfile -t cases < <(default_cases)
fi

for t in gnuplot python3 make cc; do
	command -v $t >/dev/null || die "$t missing; run scripts/setup.sh"
done
[ -f "$OBJ/arch/x86/boot/bzImage" ] || die "no kernel in $OBJ; run scripts/build-kernel.sh"
qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 missing; run scripts/setup.sh"

# The plugin API header of the installed QEMU's source version
plugin_api=$BUILD/qemu-plugin-api
[ -f "$plugin_api/qemu-plugin.h" ] ||
	"$TOP/scripts/setup.sh" --qemu-plugin-api ||
	die "no qemu-plugin.h; scripts/setup.sh --qemu-plugin-api failed"

note "bench-insn: building quic_bench and the plugin"
mkdir -p "$OUTB"
# quic_bench includes the uapi headers of the kernel under test
make -s -C "$SRC" O="$OBJ" headers >"$OUTB/build.log" 2>&1 ||
	die "make headers failed; see $OUTB/build.log"
make -s -C "$TOP/bench" OUT="$OUTB" OBJ="$OBJ" KSRC="$SRC" \
	PLUGIN_API="$plugin_api" prog plugin >>"$OUTB/build.log" 2>&1 ||
	die "building bench/ failed; see $OUTB/build.log"

# virtme-ng starts the first qemu-system-x86_64 on PATH: put one there
# that adds the plugin to a real boot (one with -kernel) and nothing to
# vng's probes (--version). Plugins need TCG: no KVM, whatever the host.
wrap_qemu() {	# windows-dir ctx-file
	mkdir -p "$OUTB/bin"
	cat >"$OUTB/bin/qemu-system-x86_64" <<EOF
#!/bin/sh
# Written by scripts/bench-insn.sh: QEMU with the accounting plugin.
for a; do
	if [ "\$a" = -kernel ]; then
		exec $qemu "\$@" -plugin $OUTB/libinsn.so,out=$1,ctx=$2
	fi
done
exec $qemu "\$@"
EOF
	chmod +x "$OUTB/bin/qemu-system-x86_64"
}

load1() { cut -d' ' -f1 /proc/loadavg; }
{
	echo "accel=tcg"
	echo "packets=$PACKETS"
	echo "warmup=$WARMUP"
	echo "repeats=$REPEATS"
	echo "load_start=$(load1)"
	echo "other_qemu=$(pgrep -c -f qemu-system || true)"
	echo "host_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "host_cpus=$(nproc)"
	echo "qemu=$("$qemu" --version | head -n1)"
	echo "plugin_api=$(cat "$plugin_api/version")"
	echo "commit=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')"
	# the last commit that changed the series: what the kernel is made of
	echo "kernel_commit=$(git -C "$TOP" log -1 --format=%h -- patches 2>/dev/null || echo '?')"
	echo "dirty=$(git -C "$TOP" status --porcelain -- net include tools/testing/selftests/net/quic series patches 2>/dev/null | wc -l)"
	echo "tree=$(git -C "$SRC" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "config_sha=$(sha256sum "$OBJ/.config" | cut -d' ' -f1)"
	echo "config_notes=$(grep -E '^CONFIG_(HZ|PREEMPT[A-Z_]*|QUIC_ULP|RPS|NO_HZ[A-Z_]*)=' "$OBJ/.config" | tr '\n' ' ')"
} >"$OUTB/host.env"

rm -rf "$RUNS"
runs=()
vm_times=()
failed=
for ((r = 1; r <= REPEATS; r++)); do
	run=$RUNS/r$r
	mkdir -p "$run/windows"
	wrap_qemu "$run/windows" "$run/ctx-ranges.txt"
	note "bench-insn: repeat $r of $REPEATS: ${#cases[@]} cases, $PACKETS packets each, in one VM boot"
	t0=$(date +%s)
	rc=0
	printf '%s\n' "${cases[@]}" >"$run/cases.txt"
	PATH=$OUTB/bin:$PATH VM_KVM=0 BOOT_TIMEOUT=${INSN_BOOT_TIMEOUT:-5400} \
		VM_LOG="$run/console.log" "$TOP/scripts/boot.sh" -- \
		"$TOP/bench/insn/guest.sh" "$run" "$OUTB" "$PACKETS" "$WARMUP" "$run/cases.txt" \
		>"$run/guest.log" 2>&1 || rc=$?
	vm_times+=($(($(date +%s) - t0)))
	grep -a '^insn: ' "$run/console.log" >"$run/plugin.log" || true
	if [ "$rc" != 0 ]; then
		note "bench-insn: repeat $r failed (exit $rc); see $run/guest.log and $run/console.log"
		tail -n 5 "$run/guest.log" >&2 || true
		failed="$failed r$r"
	fi
	runs+=("$run")
done
{
	echo "load_end=$(load1)"
	echo "vm_seconds=${vm_times[*]}"
	echo "wall_seconds=$(($(date +%s) - start))"
} >>"$OUTB/host.env"

args=(--obj "$OBJ" --host "$OUTB/host.env" --summary "$OUTB/summary.json"
	--plotdata "$OUTB/plot.dat")
if [ "$WRITE" = 1 ]; then
	args+=(--json "$TOP/bench/insn-results.json" --md "$TOP/BENCHMARKS.md")
fi
# The report writes what it could measure even when a case failed (exit
# 3); any other failure wrote nothing
report_rc=0
python3 "$TOP/bench/insn/report.py" "${args[@]}" "${runs[@]}" || report_rc=$?
case $report_rc in
0) ;;
3) failed="$failed cases" ;;
*) die "bench-insn: the report failed (exit $report_rc)${failed:+; errors in$failed}" ;;
esac
if [ "$WRITE" = 1 ]; then
	gnuplot -e "data='$OUTB/plot.dat'; out='$TOP/bench/insn-plot.png'" \
		"$TOP/bench/insn/plot.gp" 2>"$OUTB/gnuplot.log" ||
		note "bench-insn: gnuplot failed; see $OUTB/gnuplot.log"
	note "bench-insn: wrote bench/insn-results.json, BENCHMARKS.md (instruction accounting), bench/insn-plot.png"
fi
note "bench-insn: wall time $(($(date +%s) - start)) s (VM boots: ${vm_times[*]} s)"
[ -z "$failed" ] || die "bench-insn: errors in$failed"
