#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench.sh: runs inside the VM as root.
#
#	guest.sh OUTDIR BINDIR
#
# BINDIR holds quic_bench, kaead/quic_aead_bench.ko and qo/qo-server (the
# example server of userspace-example/). Writes to OUTDIR:
#   env.txt          CPU, flags, kernel, time stamps
#   raw_kernel.jsonl raw in-kernel AEAD and header protection per packet
#   raw_openssl.jsonl the same with OpenSSL
#   cases.jsonl      the Tx/Rx matrix (plain, user, userzc, ulp)
#   scale.jsonl      1, 100 and 10,000 connections on one socket
#   perf-NAME.txt    where the time goes, for a few cases
#   e2e.jsonl        qo-server serving gtlsclient, offload on and off
#   status           one line per stage: "STAGE rc"
# A stage that fails is recorded and the others still run.
set -uo pipefail

OUT=$1
BIN=$2
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${BENCH_SECONDS:-2}
WARMUP=${BENCH_WARMUP:-0.5}
QB=$BIN/quic_bench

mkdir -p "$OUT"
: >"$OUT/status"
log() { echo "[$(date +%T)] $*"; }
stage_rc() { echo "$1 $2" >>"$OUT/status"; }

{
	echo "date_start=$(date -u +%FT%TZ)"
	echo "kernel=$(uname -r)"
	echo "cpus=$(nproc)"
	echo "model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
		grep -xE 'aes|pclmulqdq|vpclmulqdq|avx|avx2|avx512f|avx512vl|vaes|sha_ni|ssse3|sse4_1|sse4_2' |
		tr '\n' ' ')"
	echo "perf=$(perf --version 2>/dev/null || echo none)"
} >"$OUT/env.txt"

modprobe quic_ulp || { log "cannot load the quic_ulp module"; stage_rc modprobe 1; exit 1; }

# 1. Raw crypto, no network
log "raw kernel AEAD"
dmesg -C
if insmod "$BIN/kaead/quic_aead_bench.ko" budget_ms=300; then
	dmesg | sed -n 's/.*quic_aead_bench: //p' | grep '^{' >"$OUT/raw_kernel.jsonl"
	rmmod quic_aead_bench
	stage_rc raw_kernel 0
else
	stage_rc raw_kernel 1
fi
log "raw OpenSSL AEAD"
"$QB" raw 0.3 >"$OUT/raw_openssl.jsonl"
stage_rc raw_openssl $?

# 2. The matrix: per direction, size, batch and cipher, the paths side by
# side so that their ratios come from runs minutes apart at most
cases=()
for dir in tx rx; do
	for size in 1200 1452; do
		for batch in 1 16 64; do
			cases+=("$dir:plain:$size:$batch:aes")
			for cipher in aes chacha; do
				cases+=("$dir:user:$size:$batch:$cipher")
				[ $dir = rx ] || cases+=("$dir:userzc:$size:$batch:$cipher")
				cases+=("$dir:ulp:$size:$batch:$cipher")
			done
		done
	done
done
log "matrix: ${#cases[@]} cases, ${SECS} s each"
# A short throwaway run first: the emulator translates code on first use
"$QB" run -t 0.5 -w 0.2 tx:ulp:1200:64:aes rx:ulp:1200:64:aes \
	tx:user:1200:64:aes rx:user:1200:64:aes >/dev/null 2>&1
"$QB" run -t "$SECS" -w "$WARMUP" "${cases[@]}" >"$OUT/cases.jsonl"
stage_rc matrix $?

# 3. Connections on one socket, packets round-robin
log "scaling: 1, 100, 10000 connections"
"$QB" run -t "$SECS" -w "$WARMUP" \
	tx:ulp:1200:64:aes:1 tx:ulp:1200:64:aes:100 tx:ulp:1200:64:aes:10000 \
	rx:ulp:1200:64:aes:1 rx:ulp:1200:64:aes:100 rx:ulp:1200:64:aes:10000 \
	>"$OUT/scale.jsonl"
stage_rc scale $?

# 4. Where the time goes: system-wide profiles of the measured interval
# only (quic_bench -x starts perf as measuring starts); cpu-clock, as
# there is no PMU under TCG
if command -v perf >/dev/null; then
	for c in tx:ulp:1200:64:aes tx:user:1200:64:aes tx:plain:1200:64:aes \
		rx:ulp:1200:64:aes rx:user:1200:64:aes rx:plain:1200:64:aes \
		tx:ulp:1200:1:aes rx:ulp:1200:1:aes; do
		name=${c//:/-}
		log "perf $c"
		"$QB" run -t "$SECS" -w "$WARMUP" -x "perf record -q -a -e cpu-clock \
			-F 997 -o /tmp/perf.data -- sleep $SECS 2>/dev/null" "$c" \
			>"$OUT/perf-$name.json" 2>/dev/null
		rc=$?
		perf report -i /tmp/perf.data --stdio --no-children \
			--sort dso,sym --percent-limit 0.01 2>/dev/null |
			grep -v '^#' | grep -v '^$' | head -n 3000 >"$OUT/perf-$name.txt"
		stage_rc "perf-$name" $rc
	done
	rm -f /tmp/perf.data
else
	stage_rc perf 1
fi

# 5. End to end: our HTTP/3 server, Debian's gtlsclient
log "end to end"
"$HERE/e2e-guest.sh" "$OUT" "$BIN/qo" >"$OUT/e2e.log" 2>&1
stage_rc e2e $?

echo "date_end=$(date -u +%FT%TZ)" >>"$OUT/env.txt"
log "done"
exit 0
