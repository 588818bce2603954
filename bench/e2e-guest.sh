#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End to end, in the guest: Debian's gtlsclient downloads BENCH_E2E_BYTES
# (default 32 MiB) over HTTP/3 from our example server (userspace-example/
# qo-server), once with the offload on (--offload=both) and once off
# (ngtcp2's GnuTLS crypto in userspace). Two namespaces over veth; the
# server and its receive softirq on CPU 0 (RPS), the client and its on
# CPU 1, so that CPU 0's /proc/stat time is the server's whole cost.
#
#	e2e-guest.sh OUTDIR QODIR	writes OUTDIR/e2e.jsonl
#
# QODIR holds qo-server, built from userspace-example/.
set -uo pipefail

OUT=$1
QO=$2/qo-server
BYTES=${BENCH_E2E_BYTES:-33554432}
WORK=/tmp/bench-e2e
SRV=10.77.0.1 CLI=10.77.0.2 PORT=4433
HZ=$(getconf CLK_TCK)

json() { echo "$1" >>"$OUT/e2e.jsonl"; }

if [ ! -x "$QO" ] || ! command -v gtlsclient >/dev/null; then
	json '{"kind":"e2e","todo":"userspace-example/build/qo-server or gtlsclient missing: not measured"}'
	exit 0
fi

mkdir -p "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 2 \
	-subj /CN=localhost 2>/dev/null || exit 1

topo() {
	ip netns del qbs 2>/dev/null
	ip netns del qbc 2>/dev/null
	ip netns add qbs && ip netns add qbc &&
	ip -n qbs link set lo up && ip -n qbc link set lo up &&
	ip link add eth0 netns qbs type veth peer name eth0 netns qbc &&
	ip -n qbs addr add $SRV/24 dev eth0 && ip -n qbc addr add $CLI/24 dev eth0 &&
	ip -n qbs link set eth0 up && ip -n qbc link set eth0 up &&
	ip netns exec qbs sh -c 'echo 1 > /sys/class/net/eth0/queues/rx-0/rps_cpus' &&
	ip netns exec qbc sh -c 'echo 2 > /sys/class/net/eth0/queues/rx-0/rps_cpus'
}

# busy and total USER_HZ ticks of one CPU
cpu_ticks() {	# CPU
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat
}

proc_ticks() {	# PID: utime + stime
	awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

wait_port() {
	local i
	for i in $(seq 100); do
		ip netns exec qbs ss -Huln "sport = :$PORT" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

run() {	# MODE: both or off
	local mode=$1 log=$WORK/server-$1.log pid rc t0 t1 b0 b1 c0 c1 p0 p1 i0 i1
	topo || { json "{\"kind\":\"e2e\",\"offload\":\"$mode\",\"error\":\"network set-up\"}"; return 1; }
	ip netns exec qbs taskset -c 0 "$QO" -q --offload="$mode" $SRV $PORT \
		"$WORK/key.pem" "$WORK/cert.pem" >"$log" 2>&1 &
	pid=$!
	wait_port || { json "{\"kind\":\"e2e\",\"offload\":\"$mode\",\"error\":\"server did not start\"}"; kill $pid; return 1; }
	read -r b0 i0 < <(cpu_ticks 0)
	read -r c0 _ < <(cpu_ticks 1)
	p0=$(proc_ticks $pid)
	t0=$(date +%s.%N)
	timeout 600 ip netns exec qbc taskset -c 1 gtlsclient -q \
		--exit-on-all-streams-close $SRV $PORT "https://$SRV:$PORT/$BYTES" \
		>"$WORK/client-$mode.log" 2>&1
	rc=$?
	t1=$(date +%s.%N)
	read -r b1 i1 < <(cpu_ticks 0)
	read -r c1 _ < <(cpu_ticks 1)
	p1=$(proc_ticks $pid)
	sleep 1
	kill -TERM $pid 2>/dev/null
	wait $pid
	echo "== server, offload=$mode"
	cat "$log"
	local offl cipher mbps
	offl=$(grep -m1 ': offload ' "$log" | sed 's/.*: offload //; s/:.*//')
	cipher=$(grep -m1 'cipher 0x' "$log" | sed 's/.*cipher //')
	mbps=$(grep -m1 ' bytes in ' "$log" | sed 's/.*: //; s/ Mbit.*//')
	awk -v mode="$mode" -v bytes="$BYTES" -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
	    -v b="$((b1 - b0))" -v i="$((i1 - i0))" -v c="$((c1 - c0))" \
	    -v p="$((p1 - p0))" -v rc="$rc" -v offl="${offl:-?}" \
	    -v cipher="${cipher:-?}" -v mbps="${mbps:-0}" 'BEGIN {
		s = t1 - t0; gb = bytes / 1e9
		printf "{\"kind\":\"e2e\",\"offload\":\"%s\",\"bytes\":%d,", mode, bytes
		printf "\"seconds\":%.3f,\"gbps\":%.4f,", s, bytes * 8 / s / 1e9
		printf "\"server_cpu0_busy\":%.2f,\"cpu0_idle\":%.2f,", b / hz, i / hz
		printf "\"client_cpu1_busy\":%.2f,\"server_proc_cpu\":%.2f,", c / hz, p / hz
		printf "\"server_cpu_s_per_gb\":%.3f,\"server_proc_s_per_gb\":%.3f,", b / hz / gb, p / hz / gb
		printf "\"server_reported_mbps\":%s,\"server_mode\":\"%s\",", mbps, offl
		printf "\"cipher\":\"%s\",\"client_exit\":%d}\n", cipher, rc
	}' >>"$OUT/e2e.jsonl"
	[ "$rc" = 0 ]
}

status=0
# A short download first: the emulator translates code on first use
BYTES_SAVE=$BYTES BYTES=1048576
run both >/dev/null 2>&1
: >"$OUT/e2e.jsonl"
BYTES=$BYTES_SAVE
run both || status=1
run off || status=1
ip netns del qbs 2>/dev/null
ip netns del qbc 2>/dev/null
rm -rf "$WORK"
exit $status
