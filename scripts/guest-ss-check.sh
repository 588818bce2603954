#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Run in the test VM, as root, on the series' kernel: check that ss with
# userspace-example/iproute2's patch (scripts/build-iproute2.sh builds it)
# shows the quic ULP of a UDP socket, through the kernel's sock_diag
# INET_DIAG_ULP_INFO.
#
#   SS=/path/to/patched/ss scripts/guest-ss-check.sh
#
# For IPv4 and IPv6, and N = 0, 1 and 3: in a network namespace of its own
# (unshare -n), a small Python helper opens a UDP socket with the ULP
# attached and N connections (a Tx and an Rx key each, so that connections,
# not keys, are counted) and a plain UDP socket, both bound to the wildcard
# address on ports of their own. Then, in that namespace (nsenter):
#   $SS -u -a -i -n, the same with -O (one line per socket), and with
#   -e -m added: the ULP socket's record (its line, and the lines below it
#   that start with a tab) holds "udp-ulp-quic conns:N" as a token group,
#   the plain socket's nothing with "ulp" in it;
#   $SS -u -a -e -n and $SS -u -a -n (no -i: the ULP is not asked for):
#   neither has "ulp" in it.
# One line per check ("ok ..." or "FAIL ...: why"), then
# "ss: X passed, Y failed"; exits non-zero if any failed.
set -uo pipefail

SS=${SS:-}
passed=0
failed=0
helper_pid=

ok() {
	echo "ok   ss: $1"
	passed=$((passed + 1))
}

fail() {	# name why
	echo "FAIL ss: $1: $2"
	failed=$((failed + 1))
}

finish() {
	echo "ss: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit
}

stop_helper() {
	if [ -n "$helper_pid" ]; then
		kill "$helper_pid" 2>/dev/null
		wait "$helper_pid" 2>/dev/null
		helper_pid=
	fi
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/guest-ss-check.XXXXXX") || { fail setup "mktemp failed"; finish; }
trap 'stop_helper; rm -rf "$TMP"' EXIT

[ "$(id -u)" = 0 ] || { fail setup "must run as root"; finish; }
if [ -z "$SS" ] || [ ! -x "$SS" ]; then
	fail setup "SS=${SS:-(unset)}: not an executable"
	finish
fi
for t in python3 unshare nsenter; do
	command -v "$t" >/dev/null || { fail setup "$t missing"; finish; }
done
grep -q 'udp-ulp-' "$SS" || { fail setup "$SS is not an ss with the UDP ULP patch"; finish; }
modprobe quic_ulp 2>"$TMP/modprobe.err" ||
	{ fail setup "modprobe quic_ulp: $(tr '\n' ' ' <"$TMP/modprobe.err")"; finish; }

# The sockets: argv family (4 or 6) and N. Prints the ULP socket's port
# and the plain socket's once they are in place, then waits for SIGTERM.
cat >"$TMP/socks.py" <<'EOF'
import signal, socket, struct, sys

SOL_UDP, UDP_ULP = 17, 105
QUIC_ULP_TX_KEY, QUIC_ULP_RX_KEY = 200, 201
QUIC_ULP_CIPHER_AES_128_GCM_SHA256 = 0x1301
QUIC_ULP_VERSION_1 = 1

fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
n = int(sys.argv[2])


def udp_socket():
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    return s


def key(conn):
    # struct quic_ulp_key: conn, cipher, secret_len, flags, key_updates,
    # version, next_pn, secret[48] (72 bytes, no padding)
    return struct.pack("=IHBBIIQ48s", conn, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
                       32, 0, 0, QUIC_ULP_VERSION_1, 0, bytes(range(32)))


ulp = udp_socket()
ulp.setsockopt(SOL_UDP, UDP_ULP, b"quic")
for conn in range(1, n + 1):
    ulp.setsockopt(SOL_UDP, QUIC_ULP_TX_KEY, key(conn))
    ulp.setsockopt(SOL_UDP, QUIC_ULP_RX_KEY, key(conn))
plain = udp_socket()
print(ulp.getsockname()[1], plain.getsockname()[1], flush=True)
signal.pause()
EOF

# The record of the socket on local port $1 in ss output on stdin: its
# line and the continuation lines (a tab first) below it, joined
record() {
	awk -v port="$1" '
		function flush() { if (rec != "") { split(rec, f, " "); if (f[4] ~ (":" port "$")) print rec } }
		/^\t/ { rec = rec $0; next }
		{ flush(); rec = $0 }
		END { flush() }'
}

# Start the helper in a namespace of its own; sets helper_pid, ulp_port
# and plain_port, or why
start_helper() {	# family n
	local i
	ulp_port=''
	plain_port=''
	why=''
	# (emptied here: the job's own redirection may come after the first read)
	: >"$TMP/helper.out"
	unshare -n python3 "$TMP/socks.py" "$1" "$2" >"$TMP/helper.out" 2>"$TMP/helper.err" &
	helper_pid=$!
	for ((i = 0; i < 100; i++)); do
		read -r ulp_port plain_port <"$TMP/helper.out" 2>/dev/null
		[ -n "$plain_port" ] && return 0
		kill -0 "$helper_pid" 2>/dev/null || break
		sleep 0.1
	done
	stop_helper
	why="helper: $(tail -n 3 "$TMP/helper.err" | tr '\n' ' ')"
	return 1
}

# The checks of one ss command line: WANT is the token group the ULP
# socket must show, or empty for none
check_ss() {	# case want ss-options...
	local case=$1 want=$2 out rec rc=0
	shift 2
	out=$(nsenter -t "$helper_pid" -n "$SS" "$@" 2>&1) || rc=$?
	if [ "$rc" != 0 ]; then
		fail "$case ss $*" "exit status $rc: $(printf '%s' "$out" | tr '\n' ' ' | cut -c1-200)"
		return
	fi
	rec=$(record "$ulp_port" <<<"$out")
	if [ -z "$rec" ]; then
		fail "$case ss $*: ULP socket" "no line for port $ulp_port"
	elif [ -n "$want" ] && ! grep -qE "(^|[[:space:]])$want([[:space:]]|\$)" <<<"$rec"; then
		fail "$case ss $*: ULP socket" "no \"$want\" in: $(tr '\t' ' ' <<<"$rec")"
	elif [ -z "$want" ] && grep -q ulp <<<"$rec"; then
		fail "$case ss $*: ULP socket" "ULP shown unasked: $(tr '\t' ' ' <<<"$rec")"
	elif [ -n "$want" ] && [ "$(grep -o 'ulp' <<<"$rec" | wc -l)" != 1 ]; then
		fail "$case ss $*: ULP socket" "ULP shown more than once: $(tr '\t' ' ' <<<"$rec")"
	else
		ok "$case ss $*: ULP socket"
	fi
	rec=$(record "$plain_port" <<<"$out")
	if [ -z "$rec" ]; then
		fail "$case ss $*: plain socket" "no line for port $plain_port"
	elif grep -q ulp <<<"$rec"; then
		fail "$case ss $*: plain socket" "shows a ULP: $(tr '\t' ' ' <<<"$rec")"
	else
		ok "$case ss $*: plain socket"
	fi
}

for fam in 4 6; do
	for n in 0 1 3; do
		case="ipv$fam conns=$n"
		if ! start_helper "$fam" "$n"; then
			fail "$case: sockets" "$why"
			continue
		fi
		ok "$case: sockets (ports $ulp_port, $plain_port)"
		want="udp-ulp-quic conns:$n"
		check_ss "$case" "$want" -u -a -i -n
		check_ss "$case" "$want" -u -a -i -n -O
		check_ss "$case" "$want" -u -a -i -e -m -n
		check_ss "$case" "" -u -a -e -n
		check_ss "$case" "" -u -a -n
		stop_helper
	done
done
finish
