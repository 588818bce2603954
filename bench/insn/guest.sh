#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/bench-insn.sh: runs inside the VM as root,
# under QEMU with the accounting plugin (bench/insn/insn.c) loaded.
#
#	guest.sh OUTDIR BINDIR PACKETS WARMUP CASEFILE
#
# CASEFILE holds the quic_bench case specs, one per line: the command
# reaches the guest on the kernel command line, which 42 cases overflow.
# Writes to OUTDIR (a host directory, shared over 9p):
#   env.txt          kernel, CPU, flags, time stamps
#   kallsyms.txt     /proc/kallsyms with the quic_ulp module loaded: the report
#                    names every block the plugin counted with it
#   ctx-ranges.txt   the plugin's context ranges (insn.c): each function of
#                    the quic_ulp module, the header protection mask functions with context 1
#   maps.txt         quic_bench's /proc/self/maps (its userspace code)
#   cases.jsonl      one line per case, with its window id and packets
#   crypto.txt       /proc/crypto after the run (the AEAD drivers used)
#   status           "quic_bench RC"
# The plugin itself writes OUTDIR/windows/window-ID.txt from the host.
set -uo pipefail

OUT=$1
BIN=$2
PACKETS=$3
WARMUP=$4
mapfile -t cases <"$5"

mkdir -p "$OUT"
: >"$OUT/status"
{
	echo "date_start=$(date -u +%FT%TZ)"
	echo "kernel=$(uname -r)"
	echo "kernel_version=$(cat /proc/version)"
	echo "cpus=$(nproc)"
	echo "model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
	echo "flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
		grep -xE 'aes|pclmulqdq|vpclmulqdq|avx|avx2|avx512f|vaes|sha_ni|erms|fsrm' |
		tr '\n' ' ')"
} >"$OUT/env.txt"

if ! modprobe quic_ulp; then
	echo "modprobe 1" >"$OUT/status"
	exit 1
fi

# Symbols after the module is in. Addresses are real: we are root and
# kptr_restrict is 0 in this kernel.
cat /proc/kallsyms >"$OUT/kallsyms.txt"

# Context ranges: every function of the quic_ulp module, up to the next
# symbol (at most 64 KiB: the last one has no neighbour in its section),
# header protection (quic_ulp_hp_mask, quic_ulp_hp_masks and the
# quic_hp_mask* helpers they call) as context 1. Library code the plugin sees while a vCPU's last
# module function was one of them is header protection; anything else
# crypto is the AEAD.
sort "$OUT/kallsyms.txt" | awk '
	function hex(s,   i, c, v) {
		v = 0
		for (i = 1; i <= length(s); i++) {
			c = index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
			v = v * 16 + c
		}
		return v
	}
	{ addr[NR] = $1; type[NR] = $2; name[NR] = $3; mod[NR] = $4 }
	END {
		for (i = 1; i <= NR; i++) {
			if (mod[i] != "[quic_ulp]" || type[i] !~ /^[tT]$/)
				continue
			j = i + 1
			while (j <= NR && addr[j] == addr[i])
				j++
			end = j <= NR ? addr[j] : ""
			# awk numbers are doubles: compare the 64 KiB cap on the low
			# 8 hex digits, which is where a function and its neighbour
			# differ
			lo = hex(substr(addr[i], 9))
			if (end == "" || substr(end, 1, 8) != substr(addr[i], 1, 8) ||
			    hex(substr(end, 9)) - lo > 65536)
				end = sprintf("%s%08x", substr(addr[i], 1, 8), lo + 65536)
			if (addr[i] == last)
				continue
			last = addr[i]
			print addr[i], end, (name[i] ~ /^quic_(ulp_)?hp_mask/ ? 1 : 0), name[i]
		}
	}' >"$OUT/ctx-ranges.txt"
grep -q ' 1 quic_ulp_hp_mask$' "$OUT/ctx-ranges.txt" ||
	echo "warning: no quic_ulp_hp_mask in the quic_ulp module: header protection will count as AEAD" >&2
# the plugin reads these files from the host when a window opens
sync

"$BIN/quic_bench" insn -n "$PACKETS" -w "$WARMUP" -m "$OUT/maps.txt" "${cases[@]}" \
	>"$OUT/cases.jsonl"
rc=$?
echo "quic_bench $rc" >"$OUT/status"
# templates such as rfc7539(...) exist only once something asked for them
cat /proc/crypto >"$OUT/crypto.txt"
echo "date_end=$(date -u +%FT%TZ)" >>"$OUT/env.txt"
sync
exit "$rc"
