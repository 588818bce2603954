#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability of the quic ULP with QUIC stacks nobody here wrote:
# Debian's ngtcp2 examples (gtlsclient, gtlsserver), and Debian's Chromium
# (headless: a page and a file, see userspace-example/interop-chromium.sh,
# whose screenshot stays in the case's directory), against our HTTP/3
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
#   observe   the kernel's own account, taken in our endpoint's namespace
#             throughout the case (interop-guest.sh, interop-nl.py): the
#             quic-ulp netlink family's key-update-ntf notifications, per
#             direction, are as many as the namespace's key rotations
#             (/proc/net/quic_ulp_stat at the end) and as the connections'
#             generations (QUIC_ULP_CONN_INFO, summed; a client's Rx may
#             be one ahead, see "crypto"), and number each connection's
#             generations 1, 2, 3, ...; the quic_ulp_key_update
#             tracepoint fired as often per direction, quic_ulp_rx_auth_failed
#             as QuicRxAuthFailures counts and quic_ulp_tx_refused as the
#             QuicTxErr* counters sum (the trace is the VM's: in qo-qo the
#             client's namespace's counters are added), the trace lost
#             nothing; the last non-empty conn-get dump shows the cipher
#             and version the case's flags ask for (TLS_AES_128_GCM_SHA256
#             and version 1 without), protected in software both ways;
#             stats-get at the end says what /proc/net/quic_ulp_stat says
#   device    in the "nsim" case (the rtr-srv link a linked pair of
#             netdevsim ports, qo-server with --offload-device=on), the
#             srv namespace's /proc/net/quic_ulp_stat at the end: the
#             device sealed (QuicTxDevice) and authenticated
#             (QuicRxDevice) packets, the ULP dropped none for want of
#             keys at xmit (QuicTxDevDrops) and believed every device
#             verdict (QuicRxDevMismatch); conn-get shows both directions
#             on the device. That the device sealed correctly is the
#             crypto check's: the capture is taken on rtr's port, after
#             srv's port sealed. The split between device and software
#             each way, and the model's own debugfs counters (the case's
#             nsim file), go to the verdict and the result line
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
# The cases of what peers negotiate (cipher, version, IDs, paths, Retry,
# resumption, several connections): the transfer is not their point
FLAG_SIZE=${INTEROP_FLAG_SIZE:-16777216}
# ... but the address change two seconds in must find the transfer going.
# No case asks for "rebind" (gtlsclient --nat-rebinding): in about half the
# runs that client stops sending once it moved, with nothing of its own in
# flight (it drops what still arrives at its old port, so it never ACKs
# from the new one), until its idle timeout ends it with exit 0 and half a
# file. "migrate" moves the address with path validation, reliably.
PATH_SIZE=${INTEROP_PATH_SIZE:-67108864}
# Chromium under TCG: 70 to 180 s for 16 MiB, most of it the browser starting
CHROMIUM_SIZE=${INTEROP_CHROMIUM_SIZE:-16777216}
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

# NAME:DIRECTION:FAMILY:SIZE:NET:KEYUPDATES[:FLAG,...] (see interop-guest.sh)
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
	ipv4-chacha-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:chacha
	ipv6-chacha-qoclient-gtlsserver:qo-gtls:6:$FLAG_SIZE:clean:2:chacha
	ipv6-aes256-gtlsclient-qoserver:gtls-qo:6:$FLAG_SIZE:clean:2:aes256
	ipv4-aes256-qoclient-gtlsserver:qo-gtls:4:$FLAG_SIZE:clean:2:aes256
	ipv4-ccm-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:ccm
	ipv4-v2-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:v2
	ipv6-v2-qoclient-gtlsserver:qo-gtls:6:$FLAG_SIZE:clean:2:v2
	ipv4-zcid-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:zcid
	ipv6-zcid-qoclient-gtlsserver:qo-gtls:6:$FLAG_SIZE:clean:2:zcid
	ipv6-migrate-gtlsclient-qoserver:gtls-qo:6:$PATH_SIZE:clean:2:migrate
	ipv4-retry-qoclient-gtlsserver:qo-gtls:4:$FLAG_SIZE:clean:2:retry
	ipv4-0rtt-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:resume
	ipv6-resume-qoclient-gtlsserver:qo-gtls:6:$FLAG_SIZE:clean:2:resume
	ipv4-multi-gtlsclient-qoserver:gtls-qo:4:$FLAG_SIZE:clean:2:multi
	ipv4-clean-chromium-qoserver:chromium-qo:4:$CHROMIUM_SIZE:clean:2
	ipv4-nsim-gtlsclient-qoserver:gtls-qo:4:$SIZE:clean:2:nsim
)

cases=()
for c in "${ALL_CASES[@]}"; do
	if [ -z "${INTEROP_CASES:-}" ] || [[ " $INTEROP_CASES " == *" ${c%%:*} "* ]]; then
		cases+=("$c")
	fi
done
[ ${#cases[@]} -gt 0 ] || die "INTEROP_CASES matches no case"
for t in gtlsclient gtlsserver tshark dumpcap chromium; do
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
# In a file: on the kernel command line (boot.sh) they overflow its 2 KiB
printf '%s\n' "${cases[@]}" >"$GUEST_DIR/cases"
note "interop: ${#cases[@]} cases in the VM (main ${SIZE} bytes, lossy ${LOSSY_SIZE})"
t0=$(date +%s)
vm_rc=0
BOOT_TIMEOUT=${INTEROP_BOOT_TIMEOUT:-3600} VM_LOG=$OUT/console.log "$TOP/scripts/boot.sh" \
	--port qo-pcap="$OUT/pcaps.tar" -- "$TOP/scripts/guest-kcheck.sh" \
	env INTEROP_YNL_CLI="$SRC/tools/net/ynl/pyynl/cli.py" \
	INTEROP_YNL_SPEC="$SRC/Documentation/netlink/specs/quic-ulp.yaml" \
	"$EX/interop-guest.sh" "$GUEST_DIR" @"$GUEST_DIR/cases" | tee "$OUT/guest.log" || vm_rc=$?
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

# The numbers of a program's summaries (qo-server's or qo-client's), summed
# over its connections: KEY=VALUE lines. mode is the first connection's
# that was not txrx, else txrx; conns counts the connections.
summary_numbers() {	# LOG
	awk '
	function add(k, x) { v[k] += x; seen[k] = 1 }
	/: offload / {
		s = $0
		sub(/.*: offload /, "", s)
		m = s; sub(/:.*/, "", m)
		if (mode == "" || mode == "txrx") mode = m
		conns++
		n = split(s, w, /[^0-9]+/)
		# tx K by kernel, U in userspace (+L after switch-on); rx K by
		# kernel, U in userspace (+Q queued at switch-on, +L after), R refused
		add("lib_tx_kernel", w[3]); add("lib_tx_user", w[4])
		add("lib_tx_late", w[5]); add("lib_rx_kernel", w[6])
		add("lib_rx_user", w[7]); add("lib_rx_queued", w[8])
		add("lib_rx_late", w[9]); add("lib_rx_refused", w[10])
	}
	/: kernel (tx|rx): / {
		d = ($0 ~ /kernel tx:/) ? "tx" : "rx"
		s = $0; sub(/.*: kernel (tx|rx): /, "", s)
		split(s, w, /[^0-9]+/)
		add("k_" d "_packets", w[1])
		match(s, /auth failures [0-9]+/); add("k_" d "_auth", substr(s, RSTART + 14, RLENGTH - 14))
		match(s, /key updates [0-9]+/); add("k_" d "_keyupd", substr(s, RSTART + 12, RLENGTH - 12))
		match(s, /old-key packets [0-9]+/); add("k_" d "_old", substr(s, RSTART + 16, RLENGTH - 16))
		if (match(s, /refused [0-9]+/)) add("k_" d "_refused", substr(s, RSTART + 8, RLENGTH - 8))
	}
	/: library tx: [0-9]+ CONNECTION_CLOSE/ {
		s = $0; sub(/.*library tx: /, "", s); split(s, w, /[^0-9]+/)
		add("lib_tx_close", w[1])
	}
	/: coalesced after a long-header packet/ {
		s = $0; sub(/.*1-RTT tx /, "", s); split(s, w, /[^0-9]+/)
		add("lib_tx_coalesced", w[1]); add("lib_rx_coalesced", w[2])
	}
	/ bytes in .* s: / {
		s = $0; sub(/.*: /, "", s); sub(/ Mbit.*/, "", s); mbps = s
	}
	/key updates initiated: / {
		s = $0; sub(/.*initiated: /, "", s); ku = s; sub(/[^0-9].*/, "", ku)
		add("ku_initiated", ku)
		sub(/^[0-9]+; /, "", s); pacing = s
	}
	END {
		if (mode != "") print "mode=" mode
		print "conns=" conns + 0
		for (k in seen) print k "=" v[k]
		if (mbps != "") print "mbps=" mbps
		if (pacing != "") print "ku_pacing=" pacing
	}
	' "$1"
}

# What a case's FLAGS (interop-guest.sh) ask of the connections, checked in
# the summaries' "session:" and "kernel conn" lines and wirecheck.py's
# figures (the W array). Prints one reason per failed expectation.
check_flags() {	# LOG FLAGS DIRECTION ROLE
	local log=$1 flags=,$2, dir=$3 role=$4 f n sess last
	sess=$(grep ': session: ' "$log" | sed 's/.*: session: //')
	last=$(tail -n1 <<<"$sess")
	n=$(grep -c . <<<"$sess")
	[ -n "$sess" ] || { echo "no session line"; return; }
	# every connection's own line from the kernel (QUIC_ULP_CONN_INFO)
	local kconns
	kconns=$(grep -c ': kernel conn ' "$log")
	[ "$kconns" = "$n" ] || echo "$kconns connections known to the kernel, $n in all"
	for f in chacha:TLS_CHACHA20_POLY1305_SHA256:0x1303:CHACHA20-POLY1305 \
		 aes256:TLS_AES_256_GCM_SHA384:0x1302:AES-256-GCM \
		 ccm:TLS_AES_128_CCM_SHA256:0x1304:AES-128-CCM; do
		IFS=: read -r flag suite id wname <<<"$f"
		[[ $flags == *,$flag,* ]] || continue
		grep -vq "^$suite," <<<"$sess" && echo "a connection negotiated other than $suite"
		grep ': kernel conn ' "$log" | grep -vq "cipher $id\$" &&
			echo "the kernel had other than cipher $id"
		[ "${W[cipher]:-}" = "$wname" ] || echo "wirecheck: cipher ${W[cipher]:-?}, not $wname"
	done
	if [[ $flags == *,v2,* ]]; then
		grep -vq 'QUIC version 0x6b3343cf' <<<"$sess" && echo "a connection not in QUIC v2"
		[ "${W[version]:-}" = 0x6b3343cf ] || echo "wirecheck: version ${W[version]:-?}, not v2"
	fi
	if [[ $flags == *,zcid,* ]]; then
		if [ "$role" = server ]; then
			grep -vq "the peer's 0;" <<<"$sess" && echo "the client's IDs were not zero-length"
		else
			grep -vq "ours 0," <<<"$sess" && echo "our IDs were not zero-length"
		fi
	fi
	if [[ $flags == *,rebind,* || $flags == *,migrate,* ]]; then
		awk '{ p = $0; sub(/.*; peer /, "", p); sub(/;.*/, "", p)
		       split(p, a, ", first "); exit !(a[1] != a[2]) }' <<<"$last" ||
			echo "the client's address did not change: ${last##*; peer }"
	fi
	if [[ $flags == *,retry,* ]]; then
		grep -q 'retries 1$' <<<"$last" || echo "no Retry followed: ${last##*; }"
	fi
	if [[ $flags == *,resume,* ]]; then
		[ "$n" = 2 ] || echo "$n connections, not 2 (first, then resumed)"
		grep -q ', resumed,' <<<"$last" || echo "the second connection did not resume"
		if [ "$dir" = gtls-qo ]; then
			grep -q 'early data accepted' <<<"$last" || echo "no 0-RTT accepted"
			[ "${W[zero_rtt_packets]:-0}" -gt 0 ] ||
				echo "wirecheck: no 0-RTT packet authenticates"
		fi
		[ "${W[connections]:-}" = 2 ] || echo "wirecheck: ${W[connections]:-?} connections, not 2"
	fi
	if [[ $flags == *,multi,* ]]; then
		[ "$n" = 4 ] || echo "$n connections, not 4"
		[ "$(meta "$d" downloads)" = 4 ] || echo "$(meta "$d" downloads) downloads, not 4"
		[ "${W[connections]:-}" = 4 ] || echo "wirecheck: ${W[connections]:-?} connections, not 4"
	fi
}

# The figures of the kernel's own account of a case (interop-guest.sh):
# KEY=VALUE lines. ev_*: nl-events.json; tr_*: trace.txt; cn_*: the last
# non-empty conn-get dump (nl-conns.json); st_diff: what stats-get
# (nl-stats.json) says otherwise than the namespace's quic_ulp_stat at the
# end; ns_*: that namespace's counters; vm_*: the sums over every
# QUIC_ULP_STAT file given, the namespaces the trace saw; nl_*: what
# interop-nl.py counted.
observed() {	# DIR QUIC_ULP_STAT...
	python3 - "$@" <<'EOF'
import json, os, re, sys
d, stats = sys.argv[1], sys.argv[2:]
out = {}
def hexs(v):
    try:
        return '0x%x' % (int(v, 16) if isinstance(v, str) else v)
    except (TypeError, ValueError):
        return str(v)
def proc(path):
    vals = {}
    try:
        for line in open(path):
            f = line.split()
            if len(f) == 2 and f[1].isdigit():
                vals[f[0]] = int(f[1])
    except OSError:
        pass
    return vals
procs = [proc(p) for p in stats]
def keys(v):
    return {'ku_tx': v.get('QuicTxKeyUpdates'), 'ku_rx': v.get('QuicRxKeyUpdates'),
            'auth': v.get('QuicRxAuthFailures'),
            'refused': sum(x for k, x in v.items() if k.startswith('QuicTxErr')) if v else None}
ns = keys(procs[0])
vm = {}
for v in procs:
    for k, x in keys(v).items():
        vm[k] = None if x is None or vm.get(k, 0) is None else vm.get(k, 0) + x
for k in ns:
    out['ns_' + k] = '?' if ns[k] is None else ns[k]
    out['vm_' + k] = '?' if vm[k] is None else vm[k]

# notifications
ev = {'tx': 0, 'rx': 0}; lim = {'tx': 0, 'rx': 0}; bad = 0; other = 0
last = {}; seq = 'ok'
try:
    lines = open(os.path.join(d, 'nl-events.json')).read().splitlines()
except OSError:
    lines = []
for line in lines:
    try:
        m = json.loads(line); msg = m['msg']; name = m['name']
    except (ValueError, KeyError, TypeError):
        bad += 1
        continue
    # the enum's name, or its value (1 Tx, 2 Rx) where the spec has none
    dr = {1: 'tx', 2: 'rx'}.get(msg.get('dir'), str(msg.get('dir')))
    if name == 'key-update-ntf' and dr in ev:
        ev[dr] += 1
        key = (msg.get('sock-cookie'), msg.get('handle'), dr)
        want = last.get(key, 0) + 1
        got = msg.get('key-updates')
        if got != want and seq == 'ok':
            seq = f"socket {msg.get('sock-ino')} handle {msg.get('handle')} {dr}: {got} after {want - 1}"
        last[key] = got if isinstance(got, int) else want
    elif name == 'limit-ntf' and dr in lim:
        lim[dr] += 1
    else:
        other += 1
out.update(ev_tx=ev['tx'], ev_rx=ev['rx'], ev_limit_tx=lim['tx'], ev_limit_rx=lim['rx'],
           ev_bad=bad, ev_other=other, ev_seq=seq,
           ev_conns=len({k[:2] for k in last}))

# the trace
tr = {'key_update_tx': 0, 'key_update_rx': 0, 'rx_auth_failed': 0, 'tx_refused': 0,
      'tx_refused_known': 0, 'old_keys_discarded': 0, 'limit_reached': 0, 'other': 0}
entries = '?'; n = 0
try:
    tlines = open(os.path.join(d, 'trace.txt')).read().splitlines()
except OSError:
    tlines = []
for line in tlines:
    m = re.match(r'# entries-in-buffer/entries-written: (\d+)/(\d+)', line)
    if m:
        entries = f'{m[1]}/{m[2]}'
    m = re.search(r'\bquic_ulp_(\w+): (.*)$', line)
    if line.startswith('#') or not m:
        continue
    n += 1
    f = dict(x.split('=', 1) for x in m[2].split() if '=' in x)
    ev_name = m[1]
    if ev_name == 'key_update' and f.get('dir') in ('tx', 'rx'):
        tr['key_update_' + f['dir']] += 1
    elif ev_name == 'tx_refused':
        tr['tx_refused'] += 1
        tr['tx_refused_known'] += f.get('known') == '1'
    elif ev_name in tr:
        tr[ev_name] += 1
    else:
        tr['other'] += 1
out.update({'tr_' + k: int(v) for k, v in tr.items()})
out.update(tr_lines=n, tr_entries=entries)

# the last non-empty conn-get dump
try:
    conns = json.load(open(os.path.join(d, 'nl-conns.json')))
except (OSError, ValueError):
    conns = []
out['cn_count'] = len(conns)
out['cn_cipher'] = ','.join(sorted({hexs(c.get('cipher')) for c in conns}))
out['cn_version'] = ','.join(sorted({hexs(c.get('version')) for c in conns}))
out['cn_path'] = ','.join(sorted({str({0: 'software', 1: 'device'}.get(
                                      c.get(x, {}).get('crypto-path'),
                                      c.get(x, {}).get('crypto-path')))
                                  for c in conns for x in ('tx', 'rx')}))
# what a device protected, per connection: tx/rx (absent without a device)
out['cn_dev'] = ' '.join(f"{c.get('tx', {}).get('device-packets', '-')}/"
                         f"{c.get('rx', {}).get('device-packets', '-')}" for c in conns)
out['cn_ku'] = ' '.join(f"{c.get('handle')}:{c.get('tx', {}).get('key-updates')}/"
                        f"{c.get('rx', {}).get('key-updates')}" for c in conns)

# stats-get against /proc/net/quic_ulp_stat
diff = []
try:
    st = json.load(open(os.path.join(d, 'nl-stats.json')))
    for k, v in procs[0].items():
        a = re.sub(r'(?<!^)(?=[A-Z])', '-', k[4:]).lower().replace('no-mem', 'nomem')
        if st.get(a) != v:
            diff.append(f'{a} {st.get(a)} /proc {v}')
    if not procs[0]:
        diff.append('no quic_ulp_stat')
except (OSError, ValueError) as e:
    diff.append(f'no stats-get: {e}')
out['st_diff'] = '; '.join(diff)
out['st_fields'] = len(procs[0])

# interop-nl.py's own count
try:
    for line in open(os.path.join(d, 'nl.log')):
        m = re.match(r'dumps (\d+) nonempty (\d+) events (\d+) lost (\d+)', line)
        if m:
            out.update(nl_dumps=m[1], nl_nonempty=m[2], nl_events=m[3], nl_lost=m[4])
except OSError:
    pass
for k, v in out.items():
    print(f'{k}={v}')
EOF
}

# The kernel's own account (observed(), in O) against what the case's
# counters and flags say. Prints one reason per failure.
check_observe() {	# DIR DIRECTION FLAGS ROLE
	local d=$1 dir=$2 flags=,$3, role=$4 f k ev tr ci want_cipher=0x1301 want_version=0x1
	local want_path=software
	[ -z "$(meta "$d" observe_error)" ] || echo "observe: $(meta "$d" observe_error)"
	for f in nl-events.json nl-conns.json nl-stats.json trace.txt; do
		[ -s "$d/$f" ] || [ "$f" = nl-events.json ] || echo "observe: no $f"
	done
	[ -f "$d/nl-events.json" ] || echo "observe: no nl-events.json"
	[ "${O[nl_lost]:-?}" = 0 ] ||
		echo "observe: interop-nl.py lost notifications (${O[nl_lost]:-no count})"
	[ "${O[ev_bad]}" = 0 ] && [ "${O[ev_other]}" = 0 ] ||
		echo "observe: nl-events.json has ${O[ev_bad]} unreadable and ${O[ev_other]} unknown notifications"
	for k in tx rx; do
		ev=${O[ev_$k]} tr=${O[tr_key_update_$k]} ci=${N[k_${k}_keyupd]:-?}
		[ "$ev" = "${O[ns_ku_$k]}" ] ||
			echo "observe: $ev key-update-ntf $k, the namespace's key rotations ${O[ns_ku_$k]}"
		[ "$ev" = "$ci" ] ||
			{ [ "$role" = client ] && [ $k = rx ] && [ "$ci" != '?' ] && [ "$ev" = $((ci + 1)) ]; } ||
			echo "observe: $ev key-update-ntf $k, the connections' generations (QUIC_ULP_CONN_INFO) $ci"
		[ "$tr" = "${O[vm_ku_$k]}" ] ||
			echo "observe: $tr quic_ulp_key_update dir=$k in the trace, key rotations ${O[vm_ku_$k]}"
	done
	[ "${O[ev_seq]}" = ok ] ||
		echo "observe: key-update-ntf not numbered 1, 2, 3, ... per connection and direction: ${O[ev_seq]}"
	[ "${O[tr_rx_auth_failed]}" = "${O[vm_auth]}" ] ||
		echo "observe: ${O[tr_rx_auth_failed]} quic_ulp_rx_auth_failed in the trace, QuicRxAuthFailures ${O[vm_auth]}"
	[ "${O[tr_tx_refused]}" = "${O[vm_refused]}" ] ||
		echo "observe: ${O[tr_tx_refused]} quic_ulp_tx_refused in the trace, QuicTxErr* ${O[vm_refused]}"
	[ "${O[tr_other]}" = 0 ] || echo "observe: ${O[tr_other]} unknown quic_ulp trace events"
	[[ ${O[tr_entries]} =~ ^([0-9]+)/([0-9]+)$ ]] &&
		[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] ||
		echo "observe: the trace lost events (entries-in-buffer/written ${O[tr_entries]})"
	for f in chacha:0x1303 aes256:0x1302 ccm:0x1304; do
		[[ $flags != *,${f%%:*},* ]] || want_cipher=${f#*:}
	done
	[[ $flags != *,v2,* ]] || want_version=0x6b3343cf
	# (the last dump while the connection lived: its contexts were on)
	[[ $flags != *,nsim,* ]] || want_path=device
	if [ "${O[cn_count]}" = 0 ]; then
		echo "observe: no connection in any conn-get dump (${O[nl_dumps]:-?} dumps)"
	else
		[ "${O[cn_cipher]}" = "$want_cipher" ] ||
			echo "observe: conn-get cipher ${O[cn_cipher]}, not $want_cipher"
		[ "${O[cn_version]}" = "$want_version" ] ||
			echo "observe: conn-get version ${O[cn_version]}, not $want_version"
		[ "${O[cn_path]}" = "$want_path" ] ||
			echo "observe: conn-get crypto-path ${O[cn_path]}, not $want_path"
	fi
	[ -z "${O[st_diff]}" ] ||
		echo "observe: stats-get differs from /proc/net/quic_ulp_stat: ${O[st_diff]}"
}

# A chromium-qo case (interop-chromium.sh): the page's script got the file
# (its SHA-256 is the sha256 check's), page and file over HTTP/3, a
# screenshot came back, and the kernel protected and unprotected 1-RTT
# packets (the sums over the browser's connections: late, tx-wire and
# rx-wire apply to them as to any case). Prints one reason per failure.
check_chromium() {	# DIR SIZE
	local d=$1 p
	[ -z "$(meta "$d" chromium_error)" ] || echo "chromium: $(meta "$d" chromium_error)"
	for p in page file; do
		[ "$(meta "$d" chromium_${p}_protocol)" = h3 ] ||
			echo "chromium: the $p came over '$(meta "$d" chromium_${p}_protocol)', not h3"
	done
	[ "$(meta "$d" chromium_bytes)" = "$2" ] ||
		echo "chromium: the page got $(meta "$d" chromium_bytes) bytes, not $2"
	[ "$(head -c 4 "$d/screenshot.png" 2>/dev/null | tail -c 3)" = PNG ] ||
		echo "chromium: no screenshot"
	[ "${N[k_tx_packets]:-0}" -gt 0 ] && [ "${N[k_rx_packets]:-0}" -gt 0 ] ||
		echo "the kernel protected ${N[k_tx_packets]:-0} and unprotected ${N[k_rx_packets]:-0} 1-RTT packets"
}

# A "nsim" case's device figures, in DEV (judge_case): the srv namespace's
# quic_ulp_stat at the end, without "Quic", and the netdevsim ports'
# debugfs counters (interop-guest.sh's nsim file) as nsim_PORT_NAME, and
# grease_out, grease_in (grease_count). Adds a reason per failure to
# judge_case's fails, in its shell: a mistake here must not pass a case,
# as a process substitution that died would.
declare -A DEV
check_device() {
	local k
	local -A why=([Tx]='' [Rx]='')
	# netdevsim opens only short headers with the QUIC bit set; ngtcp2
	# greases it (RFC 9287) on some connections, when the peer allows it
	[ "${DEV[grease_in]:-0}" = 0 ] ||
		why[Rx]=" (the client greased the QUIC bit of ${DEV[grease_in]} of its 1-RTT packets)"
	for k in Tx Rx; do
		[ "${DEV[${k}Device]:-0}" -gt 0 ] ||
			fails+=("device: Quic${k}Device ${DEV[${k}Device]:-missing}: the device took no packet${why[$k]}")
	done
	for k in TxDevDrops RxDevMismatch; do
		[ "${DEV[$k]:-}" = 0 ] || fails+=("device: Quic$k ${DEV[$k]:-missing}, not 0")
	done
	# what the model could not seal it dropped, never sent in the clear
	[ "${DEV[nsim_srv_tx_drops]:-0}" = 0 ] ||
		fails+=("device: srv's netdevsim port dropped ${DEV[nsim_srv_tx_drops]} datagrams it could not seal")
	[ -n "${DEV[nsim_srv_tx_packets]:-}" ] ||
		fails+=("device: no debugfs counters of srv's netdevsim port")
}

# 1-RTT packets whose QUIC bit is clear (greased, RFC 9287), per
# direction: "out in" for the endpoint at ADDR (a datagram counts once)
grease_count() {	# PCAP ADDR
	tshark -r "$1" -n --disable-protocol http3 -d udp.port==4433,quic \
		-Y 'udp && !icmp && !icmpv6 && quic.header_form == 0 && quic.fixed_bit == 0' \
		-T fields -e ip.src -e ipv6.src 2>/dev/null |
	awk -v me="$2" '{ if ($1 == me) o++; else i++ } END { print o + 0, i + 0 }'
}

# A / B as a percentage, or ? without B
pct() {	# A B
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f%%", 100 * a / b; else print "?" }'
}

# /proc/net/quic_ulp_stat as our program printed it, right after the
# connection's QUIC_ULP_CONN_INFO (the namespace holds that one connection).
stat_value() {	# LOG NAME
	awk -v n="$2" '$0 ~ ": quic_ulp_stat: " n "[ \t]" { v = $NF } END { print v }' "$1"
}

# 1-RTT packets on the wire, per direction, as tshark dissects them:
# "out IN" for the endpoint at ADDR. A datagram carries at most one
# short-header packet, which comes last; ICMP errors quoting one are not
# counted. For a client (CUTOFF=last), the inbound ones that arrived at a
# socket of ours after its last packet (its CONNECTION_CLOSE, sent just
# before it read the kernel's counters and closed) are not counted: per
# socket, as a resumed case has two.
wire_count() {	# PCAP ADDR CUTOFF
	tshark -r "$1" -n --disable-protocol http3 -d udp.port==4433,quic \
		-Y 'udp && !icmp && !icmpv6' -T fields -E separator=' ' -E occurrence=a \
		-e frame.time_relative -e ip.src -e ipv6.src -e udp.srcport \
		-e udp.dstport -e quic.header_form 2>/dev/null |
	awk -v me="$2" -v cutoff="$3" '
		NF < 5 { next }
		{
			forms = $NF; src = $2; sport = $(NF - 2); dport = $(NF - 1)
			if (forms !~ /(^|,)0$/) next
			if (src == me) { out++; last[sport] = $1 }
			else { n++; t[n] = $1; port[n] = dport }
		}
		END {
			for (i = 1; i <= n; i++)
				if (cutoff != "last" || t[i] <= last[port[i]])
					in_++
			print out + 0, in_ + 0
		}'
}

# TX dropped in `ip -s link show` output; nothing (and false) without it
tx_dropped() {	# FILE
	[ -f "$1" ] && awk '/TX:/ { getline; print $4; found = 1; exit }
		END { exit !found }' "$1"
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
	# set up failed before the case started: nothing else to judge
	if [ -n "$(meta "$d" setup)" ] && [ -z "$(meta "$d" case)" ]; then
		echo "fail $name: set-up: $(meta "$d" setup)"
		return
	fi
	dir=$(meta "$d" direction) fam=$(meta "$d" family) size=$(meta "$d" size)
	net=$(meta "$d" net) ku=$(meta "$d" key_updates_asked)
	local flags first_exit
	flags=$(meta "$d" flags) first_exit=$(meta "$d" first_exit)
	[ -z "$first_exit" ] || [ "$first_exit" = 0 ] ||
		fails+=("the first connection's client exit $first_exit")
	src=$(meta "$d" source_sha256) got=$(meta "$d" received_sha256)
	cexit=$(meta "$d" client_exit) sexit=$(meta "$d" server_exit)
	[ -z "$(meta "$d" setup)" ] || fails+=("set-up: $(meta "$d" setup)")
	[ -n "$src" ] && [ "$src" = "$got" ] || fails+=("sha256 ${got:-none} != source $src")

	case $dir in
	gtls-qo|qo-qo|chromium-qo) role=server; cutoff=all ;;
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
	local k_out=$(( ${N[k_tx_packets]:-0} + ${N[lib_tx_user]:-0} + ${N[lib_tx_late]:-0} + \
		${N[lib_tx_coalesced]:-0} ))
	# Packets the kernel could not try for want of the next keys it
	# delivers untouched (QuicRxNoNextKey; the namespace holds this one
	# connection): userspace then tries and rejects them (see "late").
	local nonext
	nonext=$(stat_value "$d/our.log" QuicRxNoNextKey)
	# The capture is taken where rtr hands packets to the veth that faces
	# our endpoint; what that veth then dropped (its peer's ring full
	# while the namespace lagged under TCG: veth_xmit() counts it as the
	# sender's TX drop) was captured, never received. Counted from the
	# capture's start (.start, where the guest took it): a netdevsim port
	# (nsim) also counts what it sent while its peer was still down,
	# IPv6's first packets as the topology came up, which nobody captured
	local vdrop vif
	vif=$d/link-rtr-$([ "$role" = client ] && echo c || echo s)
	vdrop=$(tx_dropped "$vif") || vdrop=
	[ -z "$vdrop" ] || vdrop=$((vdrop - $(tx_dropped "$vif.start" || echo 0)))
	local k_in=$(( ${N[k_rx_packets]:-0} + ${N[k_rx_auth]:-0} + ${nonext:-0} + \
		${N[lib_rx_user]:-0} + ${N[lib_rx_queued]:-0} + ${N[lib_rx_late]:-0} + \
		${N[lib_rx_coalesced]:-0} + ${vdrop:-0} ))
	within "$wire_out" "$k_out" || fails+=("tx-wire: wire $wire_out, kernel+userspace $k_out")
	within "$wire_in" "$k_in" || fails+=("rx-wire: wire $wire_in, kernel+userspace $k_in")

	# the packets themselves, with our endpoint's keys
	local wc=() wcheck=skipped
	local -A W=()
	if [ -n "$WIRECHECK" ] && [ -s "$d/keylog" ]; then
		if mapfile -t wc < <("$WIRECHECK" "$d/cap.pcap" "$d/keylog" "$addr" 4433 \
				"$role" 2>"$d/wirecheck.err") && [ ${#wc[@]} -gt 0 ]; then
			local kv
			for kv in "${wc[@]}"; do W[${kv%%=*}]=${kv#*=}; done
			wcheck="${W[connections]} connection(s), ${W[cipher]} ${W[version]}: sent ${W[tx_packets]}, ${W[tx_bad]} failing, generation ${W[tx_generations]}; received ${W[rx_packets]}, ${W[rx_bad]} failing, generation ${W[rx_generations]}"
			[ "${W[rx_bad]}" = 0 ] ||
				wcheck+=" (${W[rx_bad_late]} arrived too late, up to ${W[rx_bad_max_late]} packets behind; ${W[rx_bad_unexplained]} unexplained)"
			# The library seals CONNECTION_CLOSE itself: when ngtcp2
			# rotated just before closing, the close is the one
			# packet of a generation the kernel never sent.
			local tx_gen=${N[k_tx_keyupd]:-}
			[ "${W[tx_generations]}" = "$tx_gen" ] ||
				{ [ "${N[lib_tx_close]:-0}" -gt 0 ] && [ -n "$tx_gen" ] &&
				  [ "${W[tx_generations]}" = $((tx_gen + 1)) ]; } ||
				tx_gen=mismatch
			[ "${W[tx_bad]}" = 0 ] && [ "${W[tx_packets]}" = "$wire_out" ] &&
				[ "$tx_gen" != mismatch ] ||
				fails+=("crypto: $wcheck (kernel Tx generation ${N[k_tx_keyupd]:-?})")
			# A client's count ends with its last packet on the wire
			# (its CONNECTION_CLOSE), and it reads its counters a
			# moment later: a packet of the peer's next generation
			# may arrive on either side of that moment, so a client's
			# kernel may be one generation ahead of the wire or behind.
			local rx_gen=${N[k_rx_keyupd]:-}
			[ "${W[rx_generations]}" = "$rx_gen" ] ||
				{ [ "$role" = client ] && [ -n "$rx_gen" ] &&
				  [ $((W[rx_generations] - rx_gen)) -ge -1 ] &&
				  [ $((W[rx_generations] - rx_gen)) -le 1 ]; } ||
				fails+=("crypto: received packets reach generation ${W[rx_generations]}, the kernel's Rx ${rx_gen:-?}")
			within "${W[rx_bad]}" $((${N[k_rx_auth]:-0} + ${nonext:-0})) ||
				fails+=("crypto: ${W[rx_bad]} received packets fail, kernel counted ${N[k_rx_auth]:-0} + ${nonext:-0} without next keys")
			[ "${W[rx_bad_unexplained]}" = 0 ] ||
				fails+=("crypto: ${W[rx_bad_unexplained]} received packets authenticate under no key and number")
			[ "${W[rx_packets]}" = "$wire_in" ] ||
				fails+=("crypto: wirecheck checked ${W[rx_packets]} received packets, tshark counts $wire_in")
		else
			fails+=("crypto: wirecheck.py failed: $(tail -n1 "$d/wirecheck.err")")
		fi
	elif [ -z "$WIRECHECK" ]; then
		fails+=("crypto: no python3 cryptography module for wirecheck.py; run scripts/setup.sh")
	else
		fails+=("crypto: our endpoint wrote no TLS key log")
	fi

	# what the case's flags asked for: cipher, version, IDs, path, ...
	local why
	while read -r why; do
		[ -z "$why" ] || fails+=("$why")
	done < <(check_flags "$d/our.log" "$flags" "$dir" "$role")
	[ "$dir" != chromium-qo ] || while read -r why; do
		[ -z "$why" ] || fails+=("$why")
	done < <(check_chromium "$d" "$size")

	# the kernel's own account: netlink notifications, dumps, tracepoints
	local -A O=()
	local stats=("$d/quic_ulp_stat")
	[ "$dir" != qo-qo ] || stats+=("$d/quic_ulp_stat-client")
	while IFS='=' read -r k v; do O[$k]=$v; done < <(observed "$d" "${stats[@]}")
	while read -r why; do
		[ -z "$why" ] || fails+=("$why")
	done < <(check_observe "$d" "$dir" "$flags" "$role")

	# the device's share, from the namespace's counters at the end
	local devsplit=
	DEV=()
	if [[ ,$flags, == *,nsim,* ]]; then
		[ ! -f "$d/quic_ulp_stat" ] || while read -r k v; do
			[[ $k != Quic* ]] || DEV[${k#Quic}]=$v
		done <"$d/quic_ulp_stat"
		[ ! -f "$d/nsim" ] || while IFS='=' read -r k v; do
			DEV[nsim_$k]=$v
		done <"$d/nsim"
		read -r "DEV[grease_out]" "DEV[grease_in]" < <(grease_count "$d/cap.pcap" "$addr")
		check_device
		devsplit="device sealed tx ${DEV[TxDevice]:-?} of ${DEV[TxPackets]:-?} ($(pct "${DEV[TxDevice]:-0}" "${DEV[TxPackets]:-0}")), authenticated rx ${DEV[RxDevice]:-?} of ${DEV[RxPackets]:-?} ($(pct "${DEV[RxDevice]:-0}" "${DEV[RxPackets]:-0}"))"
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
		printf '%s: %s, IPv%s, %s bytes, %s%s, %s s, %s Mbit/s at our %s, %s connection(s)\n' \
			"$name" "$dir" "$fam" "$size" "$net" "${flags:+, $flags}" \
			"$(meta "$d" seconds | cut -c1-6)" "${N[mbps]:-?}" "$role" "${N[conns]:-?}"
		printf '  sha256 %s (source %s)\n' "${got:-none}" "$src"
		grep ': session: ' "$d/our.log" | sed 's/.*: session: /  session: /'
		printf '  1-RTT out: wire %s = kernel %s + userspace before switch-on %s + after %s + coalesced after a long header %s\n' \
			"$wire_out" "${N[k_tx_packets]:-?}" "${N[lib_tx_user]:-?}" "${N[lib_tx_late]:-?}" \
			"${N[lib_tx_coalesced]:-?}"
		printf '  1-RTT in:  wire %s = kernel %s + auth failures %s + no next key %s + userspace before switch-on %s + queued at switch-on %s + after %s + coalesced after a long header %s + dropped by rtr (after the capture) %s\n' \
			"$wire_in" "${N[k_rx_packets]:-?}" "${N[k_rx_auth]:-?}" "${nonext:-?}" "${N[lib_rx_user]:-?}" \
			"${N[lib_rx_queued]:-?}" "${N[lib_rx_late]:-?}" "${N[lib_rx_coalesced]:-?}" "${vdrop:-?}"
		printf '  key generation tx %s rx %s (kernel rotations tx %s rx %s; old-key packets tx %s rx %s); initiated by us %s%s\n' \
			"${N[k_tx_keyupd]:-?}" "${N[k_rx_keyupd]:-?}" "${skt:-?}" "${skr:-?}" \
			"${N[k_tx_old]:-?}" "${N[k_rx_old]:-?}" "${N[ku_initiated]:-0}" \
			"${N[ku_pacing]:+ (${N[ku_pacing]})}"
		printf '  quic_ulp_stat: TxPackets %s RxPackets %s RxAuthFailures %s\n' "$sp" "$sr" "$sa"
		printf '  wirecheck: %s\n' "$wcheck"
		printf '  observed: key-update-ntf tx %s rx %s (kernel rotations tx %s rx %s, generations tx %s rx %s), numbering %s; limit-ntf tx %s rx %s; trace (%s lines, %s kept/written): key_update tx %s rx %s, rx_auth_failed %s (QuicRxAuthFailures %s), tx_refused %s (QuicTxErr* %s; of known connections %s, the connections say %s), old_keys_discarded %s, limit_reached %s; conn-get: %s dumps, %s non-empty, the last %s connection(s) (handle:generation tx/rx %s) cipher %s version %s %s; stats-get %s\n' \
			"${O[ev_tx]}" "${O[ev_rx]}" "${O[ns_ku_tx]}" "${O[ns_ku_rx]}" \
			"${N[k_tx_keyupd]:-?}" "${N[k_rx_keyupd]:-?}" "${O[ev_seq]}" \
			"${O[ev_limit_tx]}" "${O[ev_limit_rx]}" "${O[tr_lines]}" "${O[tr_entries]}" \
			"${O[tr_key_update_tx]}" "${O[tr_key_update_rx]}" \
			"${O[tr_rx_auth_failed]}" "${O[vm_auth]}" "${O[tr_tx_refused]}" "${O[vm_refused]}" \
			"${O[tr_tx_refused_known]}" "${N[k_tx_refused]:-?}" \
			"${O[tr_old_keys_discarded]}" "${O[tr_limit_reached]}" \
			"${O[nl_dumps]:-?}" "${O[nl_nonempty]:-?}" "${O[cn_count]}" "${O[cn_ku]}" \
			"${O[cn_cipher]}" "${O[cn_version]}" "${O[cn_path]}" \
			"$([ -z "${O[st_diff]}" ] && echo "= /proc/net/quic_ulp_stat (${O[st_fields]} counters)" || echo "differs")"
		[ -z "$devsplit" ] ||
			printf '  device (netdevsim; srv quic_ulp_stat at the end): %s; software for want of a context %s, on another route %s, generation not on the device %s, datagram shape %s; sealed in software at xmit %s, dropped there %s; rx software on an offloaded connection %s, mismatches %s; contexts added %s failed %s removed %s, keys added %s failed %s removed %s; conn-get device-packets tx/rx %s; the model (debugfs) srv port tx_packets %s rx_packets %s tx_drops %s rx_passed %s ctx_count %s, rtr port tx_packets %s rx_packets %s; QUIC bit greased on the wire out %s in %s\n' \
				"$devsplit" "${DEV[TxSwNoCtx]:-?}" "${DEV[TxSwRoute]:-?}" \
				"${DEV[TxSwKey]:-?}" "${DEV[TxSwShape]:-?}" "${DEV[TxDevFallback]:-?}" \
				"${DEV[TxDevDrops]:-?}" "${DEV[RxSwOffloaded]:-?}" "${DEV[RxDevMismatch]:-?}" \
				"${DEV[DevCtxAdded]:-?}" "${DEV[DevCtxFailed]:-?}" "${DEV[DevCtxRemoved]:-?}" \
				"${DEV[DevKeysAdded]:-?}" "${DEV[DevKeysFailed]:-?}" "${DEV[DevKeysRemoved]:-?}" \
				"${O[cn_dev]:-?}" "${DEV[nsim_srv_tx_packets]:-?}" "${DEV[nsim_srv_rx_packets]:-?}" \
				"${DEV[nsim_srv_tx_drops]:-?}" "${DEV[nsim_srv_rx_passed]:-?}" \
				"${DEV[nsim_srv_ctx_count]:-?}" "${DEV[nsim_rtr_tx_packets]:-?}" \
				"${DEV[nsim_rtr_rx_packets]:-?}" "${DEV[grease_out]:-?}" "${DEV[grease_in]:-?}"
		[ "$dir" != chromium-qo ] ||
			printf '  chromium: %s, page over %s, file over %s in %s s; screenshot %s\n' \
				"$(meta "$d" chromium_browser)" "$(meta "$d" chromium_page_protocol)" \
				"$(meta "$d" chromium_file_protocol)" "$(meta "$d" chromium_seconds)" \
				"$d/screenshot.png"
	} >"$d/verdict"
	if [ ${#fails[@]} = 0 ]; then
		echo "pass $name${devsplit:+: $devsplit}"
		[ -n "${KEEP_PCAP:-}" ] || rm -f "$d/cap.pcap"
	else
		local IFS=';'
		echo "fail $name: ${fails[*]}${devsplit:+ ($devsplit)}"
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
