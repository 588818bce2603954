#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Benchmarks, in one VM boot: the quic ULP against userspace crypto
# (OpenSSL, as QUIC stacks do it today) and plain UDP, Tx and Rx; the raw
# AEAD cost of both sides; connections per socket; end to end with our
# example HTTP/3 server and Debian's gtlsclient. Writes
#
#   BENCHMARKS.md        the tables, the environment, the targets
#   bench/results.json   every figure, raw and derived
#   bench/plot.png       CPU per packet by batch (gnuplot)
#
# and prints the targets' table and the wall time. Figures never fail the
# run; a case that crashed or whose packets did not arrive intact does
# (exit 1), after everything else was still measured and written.
#
# Needs the kernel built (scripts/build-kernel.sh). Uses KVM when it
# works (kvm_usable in lib.sh), TCG otherwise. Variables: BENCH_SECONDS (measured
# seconds per case, default 2), BENCH_E2E_BYTES (default 32 MiB), and
# boot.sh's VM_KVM, VM_CPUS (2: one sender, one receiver).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

start=$(date +%s)
OUTB=$BUILD/bench
GUEST_DIR=$BUILD/vm$VARIANT/out/bench
RUN=$OUTB/run
HOSTENV=$OUTB/host.env
SECONDS_PER_CASE=${BENCH_SECONDS:-2}
export VM_CPUS=${VM_CPUS:-2}

for t in gnuplot python3 make cc; do
	command -v $t >/dev/null || die "$t missing; run scripts/setup.sh"
done
[ -f "$OBJ/arch/x86/boot/bzImage" ] || die "no kernel in $OBJ; run scripts/build-kernel.sh"

load1() { cut -d' ' -f1 /proc/loadavg; }

# The host, before anything runs
mkdir -p "$OUTB"
accel=tcg
! kvm_usable || accel=kvm
{
	echo "accel=$accel"
	echo "seconds=$SECONDS_PER_CASE"
	echo "load_start=$(load1)"
	echo "other_qemu=$(pgrep -c -f qemu-system || true)"
	echo "host_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "host_cpus=$(nproc)"
	echo "host_flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
		grep -xE 'aes|pclmulqdq|vpclmulqdq|avx|avx2|avx512f|vaes|sha_ni' | tr '\n' ' ')"
	echo "openssl=$(openssl version 2>/dev/null || echo '?')"
	echo "config_source=tinyconfig + scripts/config/vm.config + tools/testing/selftests/net/quic/config${KCONFIG_EXTRA:+ + $KCONFIG_EXTRA} (scripts/build-kernel.sh)"
	echo "config_sha=$(sha256sum "$OBJ/.config" | cut -d' ' -f1)"
	echo "config_notes=$(grep -E '^CONFIG_(HZ|PREEMPT[A-Z_]*|QUIC_ULP|RPS|TICK_CPU_ACCOUNTING|VIRT_CPU_ACCOUNTING_GEN|IRQ_TIME_ACCOUNTING)=' "$OBJ/.config" | tr '\n' ' ')"
} >"$HOSTENV"
if [ "$(pgrep -c -f qemu-system || true)" != 0 ]; then
	note "bench: another QEMU is running: figures will be noisy (recorded)"
fi

note "bench: building quic_bench, the raw AEAD module and the example server"
# quic_bench includes the kernel's uapi headers from $OBJ/usr/include,
# which a kernel build alone does not install
make -s -C "$SRC" O="$OBJ" headers >"$OUTB/build.log" 2>&1 ||
	die "make headers failed; see $OUTB/build.log"
make -s -C "$TOP/bench" OUT="$OUTB" OBJ="$OBJ" >>"$OUTB/build.log" 2>&1 ||
	die "building bench/ failed; see $OUTB/build.log"
rm -rf "$OUTB/qo"
if ! make -s -C "$TOP/userspace-example" OUT="$OUTB/qo" >"$OUTB/qo-build.log" 2>&1; then
	note "bench: userspace-example does not build (see $OUTB/qo-build.log): end to end is TODO"
	rm -rf "$OUTB/qo"
fi

# The host's load while the guest runs, for the record
(
	max=$(load1)
	while sleep 5; do
		l=$(load1)
		max=$(awk -v a="$max" -v b="$l" 'BEGIN { print (b > a ? b : a) }')
		echo "$max" >"$OUTB/load.max"
	done
) &
sampler=$!
trap 'kill $sampler 2>/dev/null || true' EXIT

note "bench: running in the VM (about 10 minutes under TCG)"
rm -rf "$GUEST_DIR"
mkdir -p "$GUEST_DIR"
t0=$(date +%s)
vm_rc=0
BOOT_TIMEOUT=${BENCH_BOOT_TIMEOUT:-2400} "$TOP/scripts/boot.sh" -- \
	env BENCH_SECONDS="$SECONDS_PER_CASE" ${BENCH_E2E_BYTES:+BENCH_E2E_BYTES=$BENCH_E2E_BYTES} \
	"$TOP/bench/guest.sh" "$GUEST_DIR" "$OUTB" | tee "$OUTB/guest.log" || vm_rc=$?
vm_seconds=$(($(date +%s) - t0))
kill $sampler 2>/dev/null || true
rm -rf "$RUN"
cp -r "$GUEST_DIR" "$RUN"
{
	echo "load_end=$(load1)"
	echo "load_max=$(cat "$OUTB/load.max" 2>/dev/null || load1)"
	echo "vm_seconds=$vm_seconds"
	echo "vm_exit=$vm_rc"
	echo "wall_seconds=$(($(date +%s) - start))"
} >>"$HOSTENV"

python3 "$TOP/bench/report.py" "$RUN" "$HOSTENV" "$TOP/BENCHMARKS.md" \
	"$TOP/bench/results.json" "$OUTB/plot.dat" "$TOP/bench/analysis.md"
gnuplot -e "data='$OUTB/plot.dat'; out='$TOP/bench/plot.png'; title='CPU per packet, 1200-byte packets ($accel)'" \
	"$TOP/bench/plot.gp" 2>"$OUTB/gnuplot.log" ||
	note "bench: gnuplot failed; see $OUTB/gnuplot.log"

sed -n '/^## Targets/,/^## Connections/p' "$TOP/BENCHMARKS.md" | sed '$d'
failed=$(awk '$2 != 0 { print $1 }' "$RUN/status" 2>/dev/null | tr '\n' ' ')
[ "$vm_rc" = 0 ] || failed="$failed vm(exit $vm_rc)"
note "bench: wall time $(($(date +%s) - start)) s (VM $vm_seconds s); host load $(sed -n 's/^load_start=//p' "$HOSTENV") at start, max $(sed -n 's/^load_max=//p' "$HOSTENV")"
note "bench: wrote BENCHMARKS.md, bench/results.json, bench/plot.png"
if [ -n "${failed// /}" ]; then
	note "bench: errors (not figures) in: $failed; see $OUTB/guest.log"
	exit 1
fi
