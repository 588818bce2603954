#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability of the quic ULP with QUIC stacks nobody here wrote:
# Debian's ngtcp2 examples (gtlsclient, gtlsserver) against our HTTP/3
# server and client (userspace-example/), which offload 1-RTT packet
# protection to the kernel. Builds the examples, boots the test kernel once
# (scripts/boot.sh) and runs userspace-example/interop-guest.sh in it; then,
# here on the host, judges every case:
#
#   sha256    what arrived is the source file, byte for byte
#   offload   both directions were switched on in the kernel
#   late      after switch-on userspace did no 1-RTT AEAD (library counters)
#   tx-wire   1-RTT packets our endpoint sent, counted by tshark on the
#             wire, equal what its kernel protected plus what the library
#             protected before switch-on
#   rx-wire   1-RTT packets that reached our endpoint equal what its kernel
#             authenticated or rejected, plus what it left untouched for
#             want of the next keys (QuicRxNoNextKey), plus what userspace
#             decrypted before the kernel had the keys
#   stat      /proc/net/quic_ulp_stat of the endpoint's namespace agrees with
#             the connection's QUIC_ULP_CONN_INFO
#   keyupd    in the cases that ask for 10 key updates (the lossy ones),
#             the kernel went through at least KU_MIN (3) generations both
#             ways: phase 0, 1, 0, 1, each of its key slots used in both
#             phases (KU_MIN_CLIENT, 1, where our endpoint is the
#             downloading client: see there). How many more there are is
#             ngtcp2's pacing (one update per 3 PTOs after the last was
#             confirmed), which under emulation ranged from 2 to 31 per
#             100 MiB; that every one of them was followed is the crypto
#             check's
#   crypto    userspace-example/wirecheck.py, given our endpoint's TLS key
#             log, authenticates every 1-RTT packet it sent on the wire
#             through all key generations (as many as the kernel
#             counted, both ways), and unprotects the received ones
#             as a receiver does: its failures are the kernel's
#             authentication failures (and the packets the kernel left to
#             userspace for want of the next keys, which userspace then
#             rejected: "late" says it decrypted none), and each of them
#             must authenticate under another packet number or an older
#             key generation (it
#             came too late for any receiver: reordered beyond the packet
#             number window, or after its keys were discarded), none
#             under nothing
#   exit      both programs exited cleanly (sanitizer reports fail it)
#
# and, once for the whole run, "kernel-log": no report of the kernel's
# (BUG, WARNING, KASAN, lockdep, ...; kmemleak on the debug kernel, DEBUG=1)
# in the guest's console, as for the kselftests (scripts/kernel-log.sh).
#
# The wire counts may differ from the kernel's by MARGIN: max(2 packets,
# 0.1%); a capture that lost packets (dumpcap reports it) fails the case.
#
# Per-case results go to $BUILD/results/interop.result (scripts/results.sh
# format), the evidence to $BUILD/interop/<case>/ (the packet captures are
# deleted when the case passed, unless KEEP_PCAP=1). Last line:
# "N passed, M failed"; the exit status is non-zero on failure.
#
# Variables: INTEROP_SIZE (bytes of the main cases, default 100 MiB),
# INTEROP_LOSSY_SIZE (the lossy ones, default INTEROP_SIZE), INTEROP_CASES
# (a subset, by name), KEEP_PCAP.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/results.sh"
. "$(dirname "$0")/kernel-log.sh"

SUITE=interop$VARIANT
SIZE=${INTEROP_SIZE:-104857600}
LOSSY_SIZE=${INTEROP_LOSSY_SIZE:-$SIZE}
SAN_SIZE=${INTEROP_SAN_SIZE:-16777216}
KU_MIN=3
# Our client downloads and sends little but ACKs; ngtcp2 allows its next
# update only once the peer acknowledged a packet of the new phase, so on
# a lossy link under emulation and load (PTOs of seconds) a 100 MiB
# download has seen as few as 2 updates. Its cases ask for one rotation
# each way; the servers' cases show the slots going round.
KU_MIN_CLIENT=1
EX=$TOP/userspace-example
OUT=$BUILD/interop$VARIANT
GUEST_DIR=$BUILD/vm$VARIANT/out/interop

# NAME:DIRECTION:FAMILY:SIZE:NET:KEYUPDATES[:san] (see interop-guest.sh)
ALL_CASES=(
	ipv4-clean-gtlsclient-qoserver:gtls-qo:4:$SIZE:clean:2
	ipv4-clean-qoclient-gtlsserver:qo-gtls:4:$SIZE:clean:2
	ipv4-lossy-gtlsclient-qoserver:gtls-qo:4:$LOSSY_SIZE:lossy:10
	ipv4-lossy-qoclient-gtlsserver:qo-gtls:4:$LOSSY_SIZE:lossy:10
	ipv6-clean-gtlsclient-qoserver:gtls-qo:6:$SIZE:clean:2
	ipv6-clean-qoclient-gtlsserver:qo-gtls:6:$SIZE:clean:2
	ipv6-lossy-gtlsclient-qoserver:gtls-qo:6:$LOSSY_SIZE:lossy:10
	ipv6-lossy-qoclient-gtlsserver:qo-gtls:6:$LOSSY_SIZE:lossy:10
	ipv6-lossy-qoclient-qoserver-asan:qo-qo:6:$SAN_SIZE:lossy:10:san
)

cases=()
for c in "${ALL_CASES[@]}"; do
	if [ -z "${INTEROP_CASES:-}" ] || [[ " $INTEROP_CASES " == *" ${c%%:*} "* ]]; then
		cases+=("$c")
	fi
done
[ ${#cases[@]} -gt 0 ] || die "INTEROP_CASES matches no case"
for t in gtlsclient gtlsserver tshark dumpcap; do
	command -v $t >/dev/null || die "$t missing; run scripts/setup.sh"
done

result_reset "$SUITE"
note "interop: building userspace-example (plain and ASan + UBSan)"
make -s -C "$EX" >"$BUILD/interop-build.log" 2>&1 &&
	make -s -C "$EX" SANITIZE=1 >>"$BUILD/interop-build.log" 2>&1 ||
	die "building userspace-example failed; see $BUILD/interop-build.log"
if grep -q 'warning:' "$BUILD/interop-build.log"; then
	grep 'warning:' "$BUILD/interop-build.log" >&2
fi

rm -rf "$GUEST_DIR" "$OUT"
mkdir -p "$GUEST_DIR" "$OUT"
note "interop: ${#cases[@]} cases in the VM (main ${SIZE} bytes, lossy ${LOSSY_SIZE})"
t0=$(date +%s)
vm_rc=0
BOOT_TIMEOUT=${INTEROP_BOOT_TIMEOUT:-3600} VM_LOG=$OUT/console.log "$TOP/scripts/boot.sh" \
	--port qo-pcap="$OUT/pcaps.tar" -- "$TOP/scripts/guest-kcheck.sh" \
	"$EX/interop-guest.sh" "$GUEST_DIR" "${cases[@]}" | tee "$OUT/guest.log" || vm_rc=$?
note "interop: VM run took $(($(date +%s) - t0)) s (exit $vm_rc)"
mv "$GUEST_DIR"/* "$OUT"/ 2>/dev/null || true
# The captures, one tar archive per case end to end (interop-guest.sh)
if [ -s "$OUT/pcaps.tar" ]; then
	tar -x -i -f "$OUT/pcaps.tar" -C "$OUT" ||
		note "interop: the captures' archive is damaged; cases without one fail"
fi
rm -f "$OUT/pcaps.tar"

# --- judging ---------------------------------------------------------------

meta() {	# DIR KEY
	sed -n "s/^$2=//p" "$1/meta" | tail -n1
}

# The numbers of one summary (qo-server's or qo-client's): KEY=VALUE lines.
summary_numbers() {	# LOG
	awk '
	/: offload / {
		s = $0
		sub(/.*: offload /, "", s)
		mode = s; sub(/:.*/, "", mode); print "mode=" mode
		n = split(s, w, /[^0-9]+/)
		# tx K by kernel, U in userspace (+L after switch-on); rx K by
		# kernel, U in userspace (+Q queued at switch-on, +L after), R refused
		print "lib_tx_kernel=" w[3]; print "lib_tx_user=" w[4]
		print "lib_tx_late=" w[5]; print "lib_rx_kernel=" w[6]
		print "lib_rx_user=" w[7]; print "lib_rx_queued=" w[8]
		print "lib_rx_late=" w[9]; print "lib_rx_refused=" w[10]
	}
	/: kernel (tx|rx): / {
		d = ($0 ~ /kernel tx:/) ? "tx" : "rx"
		s = $0; sub(/.*: kernel (tx|rx): /, "", s)
		split(s, w, /[^0-9]+/)
		print "k_" d "_packets=" w[1]
		match(s, /auth failures [0-9]+/); print "k_" d "_auth=" substr(s, RSTART + 14, RLENGTH - 14)
		match(s, /key updates [0-9]+/); print "k_" d "_keyupd=" substr(s, RSTART + 12, RLENGTH - 12)
		match(s, /old-key packets [0-9]+/); print "k_" d "_old=" substr(s, RSTART + 16, RLENGTH - 16)
	}
	/ bytes in .* s: / {
		s = $0; sub(/.*: /, "", s); sub(/ Mbit.*/, "", s); print "mbps=" s
	}
	/key updates initiated: / {
		s = $0; sub(/.*initiated: /, "", s); ku = s; sub(/[^0-9].*/, "", ku)
		print "ku_initiated=" ku
		sub(/^[0-9]+; /, "", s); print "ku_pacing=" s
	}
	' "$1"
}

# /proc/net/quic_ulp_stat as our program printed it, right after the
# connection's QUIC_ULP_CONN_INFO (the namespace holds that one connection).
stat_value() {	# LOG NAME
	awk -v n="$2" '$0 ~ ": quic_ulp_stat: " n "[ \t]" { v = $NF } END { print v }' "$1"
}

# 1-RTT packets on the wire, per direction, as tshark dissects them:
# "out IN" for the endpoint at ADDR. A datagram carries at most one
# short-header packet, which comes last; ICMP errors quoting one are not
# counted. For a client (CUTOFF=last), the
# inbound ones that arrived after its last packet (its CONNECTION_CLOSE,
# sent just before it read the kernel's counters) are not counted.
wire_count() {	# PCAP ADDR CUTOFF
	tshark -r "$1" -n --disable-protocol http3 -d udp.port==4433,quic \
		-Y 'udp && !icmp && !icmpv6' -T fields -E separator=' ' -E occurrence=a \
		-e frame.time_relative -e ip.src -e ipv6.src -e quic.header_form \
		2>/dev/null |
	awk -v me="$2" -v cutoff="$3" '
		NF < 3 { next }
		{
			forms = $NF; src = $2
			if (forms !~ /(^|,)0$/) next
			if (src == me) { out++; last = $1 } else { t[++n] = $1 }
		}
		END {
			for (i = 1; i <= n; i++)
				if (cutoff != "last" || t[i] <= last)
					in_++
			print out + 0, in_ + 0
		}'
}

within() {	# A B: |A - B| <= margin
	awk -v a="$1" -v b="$2" 'BEGIN {
		d = a - b; if (d < 0) d = -d
		m = (a > b ? a : b) * 0.001; if (m < 2) m = 2
		exit !(d <= m)
	}'
}

# A namespace counter read after the connection's: equal, or up to MARGIN
# more.
counted_after() {	# STAT CONN
	[ -n "$1" ] && [ -n "$2" ] && [ "$1" -ge "$2" ] && within "$1" "$2"
}

declare -A N
judge_case() {	# NAME -> stdout: pass|fail line; details to $d/verdict
	local name=$1 d=$OUT/$1 fails=() role addr cutoff wire_out wire_in k v
	local dir fam size net ku src got cexit sexit
	if [ ! -f "$d/meta" ]; then
		echo "fail $name: did not run"
		return
	fi
	dir=$(meta "$d" direction) fam=$(meta "$d" family) size=$(meta "$d" size)
	net=$(meta "$d" net) ku=$(meta "$d" key_updates_asked)
	src=$(meta "$d" source_sha256) got=$(meta "$d" received_sha256)
	cexit=$(meta "$d" client_exit) sexit=$(meta "$d" server_exit)
	[ -z "$(meta "$d" setup)" ] || fails+=("set-up: $(meta "$d" setup)")
	[ -n "$src" ] && [ "$src" = "$got" ] || fails+=("sha256 ${got:-none} != source $src")

	case $dir in
	gtls-qo|qo-qo) role=server; cutoff=all ;;
	qo-gtls) role=client; cutoff=last ;;
	esac
	[ "$cexit" = 0 ] || fails+=("client exit $cexit")
	# gtlsserver dies of our SIGTERM (143); qo-server exits 0
	case $dir in
	qo-gtls) [ "$sexit" = 143 ] || [ "$sexit" = 0 ] || fails+=("server exit $sexit") ;;
	*) [ "$sexit" = 0 ] || fails+=("server exit $sexit") ;;
	esac
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$d"/our*.log 2>/dev/null; then
		fails+=("sanitizer report")
	fi

	N=()
	while IFS='=' read -r k v; do N[$k]=$v; done < <(summary_numbers "$d/our.log")
	if [ "${N[mode]:-}" != txrx ]; then
		fails+=("offload mode '${N[mode]:-none}', not txrx")
		N[k_tx_packets]=${N[k_tx_packets]:-0} N[k_rx_packets]=${N[k_rx_packets]:-0}
	fi
	[ "${N[lib_tx_late]:-1}" = 0 ] && [ "${N[lib_rx_late]:-1}" = 0 ] ||
		fails+=("userspace AEAD after switch-on: tx ${N[lib_tx_late]:-?} rx ${N[lib_rx_late]:-?}")

	# the wire
	if [ "$dir" = qo-gtls ]; then
		eval "addr=\$ADDR${fam}_CLI"
	else
		eval "addr=\$ADDR${fam}_SRV"
	fi
	if ! grep -q "dropped on interface '[cs]': [0-9]*/0 " "$d/dumpcap.log"; then
		fails+=("capture incomplete: $(grep -o 'received/dropped.*' "$d/dumpcap.log" | head -1)")
	fi
	[ -s "$d/cap.pcap" ] || fails+=("no capture reached the host")
	read -r wire_out wire_in < <(wire_count "$d/cap.pcap" "$addr" "$cutoff")
	local k_out=$(( ${N[k_tx_packets]:-0} + ${N[lib_tx_user]:-0} + ${N[lib_tx_late]:-0} ))
	# Packets the kernel could not try for want of the next keys it
	# delivers untouched (QuicRxNoNextKey; the namespace holds this one
	# connection): userspace then tries and rejects them (see "late").
	local nonext
	nonext=$(stat_value "$d/our.log" QuicRxNoNextKey)
	local k_in=$(( ${N[k_rx_packets]:-0} + ${N[k_rx_auth]:-0} + ${nonext:-0} + \
		${N[lib_rx_user]:-0} + ${N[lib_rx_queued]:-0} + ${N[lib_rx_late]:-0} ))
	within "$wire_out" "$k_out" || fails+=("tx-wire: wire $wire_out, kernel+userspace $k_out")
	within "$wire_in" "$k_in" || fails+=("rx-wire: wire $wire_in, kernel+userspace $k_in")

	# the packets themselves, with our endpoint's keys
	local wc=() wcheck=skipped
	if [ -n "$WIRECHECK" ] && [ -s "$d/keylog" ]; then
		if mapfile -t wc < <("$WIRECHECK" "$d/cap.pcap" "$d/keylog" "$addr" 4433 \
				"$role" 2>"$d/wirecheck.err") && [ ${#wc[@]} -gt 0 ]; then
			local -A W=()
			local kv
			for kv in "${wc[@]}"; do W[${kv%%=*}]=${kv#*=}; done
			wcheck="${W[cipher]}: sent ${W[tx_packets]}, ${W[tx_bad]} failing, generation ${W[tx_generations]}; received ${W[rx_packets]}, ${W[rx_bad]} failing, generation ${W[rx_generations]}"
			[ "${W[rx_bad]}" = 0 ] ||
				wcheck+=" (${W[rx_bad_late]} arrived too late, up to ${W[rx_bad_max_late]} packets behind; ${W[rx_bad_unexplained]} unexplained)"
			[ "${W[tx_bad]}" = 0 ] && [ "${W[tx_packets]}" = "$wire_out" ] &&
				[ "${W[tx_generations]}" = "${N[k_tx_keyupd]:-}" ] ||
				fails+=("crypto: $wcheck (kernel Tx generation ${N[k_tx_keyupd]:-?})")
			# A client reads its counters just before it closes: the
			# peer's answer to its last update may come after that.
			local rx_gen=${N[k_rx_keyupd]:-}
			[ "${W[rx_generations]}" = "$rx_gen" ] ||
				{ [ "$role" = client ] && [ "${W[rx_generations]}" = $((rx_gen + 1)) ]; } ||
				fails+=("crypto: received packets reach generation ${W[rx_generations]}, the kernel's Rx ${rx_gen:-?}")
			within "${W[rx_bad]}" $((${N[k_rx_auth]:-0} + ${nonext:-0})) ||
				fails+=("crypto: ${W[rx_bad]} received packets fail, kernel counted ${N[k_rx_auth]:-0} + ${nonext:-0} without next keys")
			[ "${W[rx_bad_unexplained]}" = 0 ] ||
				fails+=("crypto: ${W[rx_bad_unexplained]} received packets authenticate under no key and number")
		else
			fails+=("crypto: wirecheck.py failed: $(tail -n1 "$d/wirecheck.err")")
		fi
	elif [ -z "$WIRECHECK" ]; then
		fails+=("crypto: no python3 cryptography module for wirecheck.py; run scripts/setup.sh")
	else
		fails+=("crypto: our endpoint wrote no TLS key log")
	fi

	# the namespace's counters against the connection's
	local st=$d/our.log sp sr sa skt skr
	sp=$(stat_value "$st" QuicTxPackets) sr=$(stat_value "$st" QuicRxPackets)
	sa=$(stat_value "$st" QuicRxAuthFailures)
	skt=$(stat_value "$st" QuicTxKeyUpdates) skr=$(stat_value "$st" QuicRxKeyUpdates)
	# Our program reads QUIC_ULP_CONN_INFO first, /proc/net/quic_ulp_stat a moment
	# later: a packet of the peer's may arrive in between.
	counted_after "$sp" "${N[k_tx_packets]:-}" && counted_after "$sr" "${N[k_rx_packets]:-}" &&
		counted_after "$sa" "${N[k_rx_auth]:-}" ||
		fails+=("quic_ulp_stat tx $sp rx $sr auth $sa != conn info tx ${N[k_tx_packets]:-} rx ${N[k_rx_packets]:-} auth ${N[k_rx_auth]:-}")
	if [ "${ku:-0}" -ge 10 ]; then
		local min=$KU_MIN
		[ "$role" != client ] || min=$KU_MIN_CLIENT
		[ "${N[k_tx_keyupd]:-0}" -ge "$min" ] && [ "${N[k_rx_keyupd]:-0}" -ge "$min" ] &&
			[ "${skt:-0}" -ge "$min" ] && [ "${skr:-0}" -ge "$min" ] ||
			fails+=("key updates: generation tx ${N[k_tx_keyupd]:-?} rx ${N[k_rx_keyupd]:-?}, kernel rotations tx ${skt:-?} rx ${skr:-?}, < $min")
	fi

	{
		printf '%s: %s, IPv%s, %s bytes, %s, %s s, %s Mbit/s at our %s\n' \
			"$name" "$dir" "$fam" "$size" "$net" "$(meta "$d" seconds | cut -c1-6)" \
			"${N[mbps]:-?}" "$role"
		printf '  sha256 %s (source %s)\n' "${got:-none}" "$src"
		printf '  1-RTT out: wire %s = kernel %s + userspace before switch-on %s + after %s\n' \
			"$wire_out" "${N[k_tx_packets]:-?}" "${N[lib_tx_user]:-?}" "${N[lib_tx_late]:-?}"
		printf '  1-RTT in:  wire %s = kernel %s + auth failures %s + no next key %s + userspace before switch-on %s + queued at switch-on %s + after %s\n' \
			"$wire_in" "${N[k_rx_packets]:-?}" "${N[k_rx_auth]:-?}" "${nonext:-?}" "${N[lib_rx_user]:-?}" \
			"${N[lib_rx_queued]:-?}" "${N[lib_rx_late]:-?}"
		printf '  key generation tx %s rx %s (kernel rotations tx %s rx %s; old-key packets tx %s rx %s); initiated by us %s%s\n' \
			"${N[k_tx_keyupd]:-?}" "${N[k_rx_keyupd]:-?}" "${skt:-?}" "${skr:-?}" \
			"${N[k_tx_old]:-?}" "${N[k_rx_old]:-?}" "${N[ku_initiated]:-0}" \
			"${N[ku_pacing]:+ (${N[ku_pacing]})}"
		printf '  quic_ulp_stat: TxPackets %s RxPackets %s RxAuthFailures %s\n' "$sp" "$sr" "$sa"
		printf '  wirecheck: %s\n' "$wcheck"
	} >"$d/verdict"
	if [ ${#fails[@]} = 0 ]; then
		echo "pass $name"
		[ -n "${KEEP_PCAP:-}" ] || rm -f "$d/cap.pcap"
	else
		local IFS=';'
		echo "fail $name: ${fails[*]}"
	fi
}

ADDR4_CLI=10.1.0.1 ADDR4_SRV=10.2.0.1
ADDR6_CLI=fd00:1::1 ADDR6_SRV=fd00:2::1
WIRECHECK=
if python3 -c 'import cryptography' 2>/dev/null; then
	WIRECHECK=$EX/wirecheck.py
else
	note "interop: no python3 cryptography module: every case fails its crypto check"
fi

# The cases are judged side by side, JOBS at a time (tshark and
# wirecheck.py on a capture take some 10 s), each into its own line.
t0=$(date +%s)
for c in "${cases[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n || true
	done
	mkdir -p "$OUT/${c%%:*}"
	judge_case "${c%%:*}" >"$OUT/${c%%:*}/line" &
done
wait
note "interop: judged in $(($(date +%s) - t0)) s"
{
	for c in "${cases[@]}"; do
		cat "$OUT/${c%%:*}/line"
	done
	[ "$vm_rc" = 0 ] || echo "fail interop: the VM run (boot.sh exit $vm_rc)"
	kernel_log_reports "$OUT/console.log" "$BUILD/vm$VARIANT/out/kmemleak.txt"
} >"$OUT/lines"
echo
for c in "${cases[@]}"; do
	[ ! -f "$OUT/${c%%:*}/verdict" ] || cat "$OUT/${c%%:*}/verdict"
done
result_write "$SUITE" <"$OUT/lines"
grep '^fail ' "$OUT/lines" | sed 's/^fail /FAIL /' || true
echo "$(result_get "$SUITE" passed) passed, $(result_get "$SUITE" failed) failed"
[ "$(result_get "$SUITE" failed)" = 0 ]
