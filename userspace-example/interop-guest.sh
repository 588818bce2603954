#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/interop.sh: runs inside the VM as root, with the
# "quic" ULP built as a module.
#
#	interop-guest.sh OUTDIR CASE...
#	interop-guest.sh OUTDIR @FILE	(the cases, one per line)
#
# A CASE is NAME:DIRECTION:FAMILY:SIZE:NET:KEYUPDATES[:FLAG[,FLAG...]]
#	DIRECTION  gtls-qo   Debian's gtlsclient downloads from qo-server
#		   qo-gtls   qo-client downloads from Debian's gtlsserver
#		   qo-qo     qo-client downloads from qo-server
#		   chromium-qo  Debian's Chromium, headless, loads a page
#			     from qo-server whose script fetches the file and
#			     hashes it (interop-chromium.sh); qo-server
#			     initiates the key updates
#	FAMILY     4 or 6
#	SIZE       bytes of the file downloaded (random bytes)
#	NET        clean, or lossy: netem with 1% loss, 20 ms delay,
#		   reordering and a 200-packet queue, both ways
#	KEYUPDATES key updates to ask for: qo-* try one every
#		   SIZE/(3*KEYUPDATES+1) bytes (ngtcp2 refuses one until 3 PTOs
#		   after the last was confirmed), gtlsclient one after a second
#	FLAG       san      run our programs built with ASan + UBSan
#			    (build/sanitize)
#		   chacha, aes256, ccm
#			    the client offers only ChaCha20-Poly1305,
#			    AES-256-GCM or AES-128-CCM
#		   v2       QUIC version 2: gtlsclient offers it beside
#			    version 1 and qo-server prefers it (compatible
#			    version negotiation, RFC 9368); qo-client starts
#			    with it
#		   zcid     the client uses zero-length connection IDs (our
#			    client's Rx is then found by address)
#		   rebind   gtlsclient moves to another port two seconds
#			    into the transfer, without path validation (NAT
#			    rebinding); migrate: the same with validation
#			    and a new connection ID (migration)
#		   retry    gtlsserver answers the first Initial with Retry
#		   resume   a first connection gets a session ticket, the
#			    measured one resumes with it; with gtlsclient
#			    the request goes in 0-RTT
#		   multi    four gtlsclients download at once from one
#			    qo-server socket
#		   nsim     (gtls-qo) the rtr-srv link is a linked pair of
#			    netdevsim ports instead of veth, and qo-server
#			    lets the kernel hand packet protection to a
#			    device (--offload-device=on): srv's port seals
#			    what the ULP leaves to it and opens what rtr's
#			    port forwards to it (drivers/net/netdevsim/
#			    quic.c). The capture on rtr's port then holds
#			    what the device sealed. No netdevsim module: the
#			    case fails (setup=...), it is never skipped
#
# Every case gets a fresh topology of three network namespaces (so that the
# per-namespace /proc/net/quic_ulp_stat starts at zero):
#
#	cli (eth0) ---- (c) rtr (s) ---- (eth0) srv
#
# rtr forwards and, for lossy cases, runs netem on both of its interfaces.
# The endpoints send with UDP GSO, but segment in software
# (tx-udp-segmentation off), so that rtr sees, and dumpcap on it records,
# every QUIC packet on its own; they receive with veth GRO on, so that
# their UDP_GRO sockets get batches of segments (netdevsim, in "nsim"
# cases: see nsim_up). dumpcap records on the rtr
# interface that faces our endpoint: packets it sends before any loss, and
# packets it receives after loss, which is what its kernel handles.
#
# Per case, OUTDIR/NAME/ gets: meta (key=value lines: hashes, times, exit
# codes), our.log (qo-server's or qo-client's summary: the library's and
# the kernel's counters), peer.log, quic_ulp_stat (the endpoint namespace's
# counters at the end), cap.pcap, tc (netem statistics), dumpcap.log,
# keylog (TLS secrets of our endpoint, to decrypt cap.pcap), in "nsim"
# cases nsim (the model's debugfs counters of both ports, PORT_NAME=VALUE
# lines), link-srv-eth0 and tc-srv, and the
# kernel's own account of the case, taken in the namespace of the endpoint
# that offloads (the server's in qo-qo) from before the server starts until
# both programs ended: nl-events.json, nl-conns.json, nl-stats.json (the
# quic-ulp netlink family through the kernel's YNL tool, interop-nl.py;
# INTEROP_YNL_CLI and INTEROP_YNL_SPEC name the tool and the spec) and
# trace.txt (the quic_ulp tracepoints, in a tracefs instance of the case's
# own: the whole VM's, so in qo-qo the client's namespace's too).
# scripts/interop.sh judges them on the host.
#
# The captures (some 130 MB each) leave through the virtio serial port
# named qo-pcap when boot.sh gave one, as one tar archive per case
# (NAME/cap.pcap) appended to the port's host file: 15 times faster than
# through OUTDIR's 9p mount under TCG. Without the port they go to OUTDIR.
set -u

OUT=$1
shift
HERE=$(cd "$(dirname "$0")" && pwd)
# chromium_client, for the chromium-qo cases
. "$HERE/interop-chromium.sh"
QO=${QO_BIN:-$HERE/build}
WORK=/tmp/interop
PORT=4433
KEY=$WORK/key.pem
CERT=$WORK/cert.pem
PCAP_PORT=
for p in /sys/class/virtio-ports/*; do
	[ "$(cat "$p/name" 2>/dev/null)" = qo-pcap ] && PCAP_PORT=/dev/${p##*/}
done
TIMEOUT=${INTEROP_CASE_TIMEOUT:-600}

log() { echo "[$(date +%T)] $*"; }

mkdir -p "$OUT" "$WORK/htdocs"
# Sanitizer findings end the program with an error, which fails the case.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99
modprobe quic_ulp || { log "cannot load the quic_ulp module"; exit 1; }
modprobe sch_netem || log "no sch_netem: lossy cases will fail"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$KEY" -out "$CERT" -days 2 -subj /CN=localhost 2>/dev/null ||
	{ log "openssl req failed"; exit 1; }

ADDR4_CLI=10.1.0.1 ADDR4_SRV=10.2.0.1
ADDR6_CLI=fd00:1::1 ADDR6_SRV=fd00:2::1
# netdevsim devices of "nsim" cases, one port each: rtr's "s", srv's "eth0"
NSIM_BUS=/sys/bus/netdevsim
NSIM_ID_RTR=4433 NSIM_ID_SRV=4434

# tracefs: where the kernel mounts it, else under debugfs
TRACEFS=
for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
	[ -d "$t/instances" ] || [ "$t" != /sys/kernel/tracing ] ||
		mount -t tracefs nodev "$t" 2>/dev/null
	[ -d "$t/instances" ] || [ "$t" != /sys/kernel/debug/tracing ] ||
		mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	if [ -d "$t/instances" ]; then
		TRACEFS=$t
		break
	fi
done
[ -n "$TRACEFS" ] || log "no tracefs: every case fails its observe check"
YNL_CLI=${INTEROP_YNL_CLI:-}
YNL_SPEC=${INTEROP_YNL_SPEC:-}
[ -f "$YNL_CLI" ] && [ -f "$YNL_SPEC" ] ||
	log "no YNL tool or quic-ulp spec ('$YNL_CLI', '$YNL_SPEC'): every case fails its observe check"

# The kernel's account of case NAME in namespace NS, into D: a tracefs
# instance recording the quic_ulp events (global clock, 8 MiB a CPU) and
# interop-nl.py listening, both ready before the transfer starts. Failures
# go to meta as observe_error, which fails the case.
observe_start() {	# NS NAME D
	local ns=$1 inst=$TRACEFS/instances/interop_$2 d=$3
	OBS_INST= OBS_PID=
	if [ -n "$TRACEFS" ]; then
		[ ! -d "$inst" ] || rmdir "$inst"
		if mkdir "$inst" && echo 8192 >"$inst/buffer_size_kb" &&
		   echo global >"$inst/trace_clock" &&
		   echo 1 >"$inst/events/quic_ulp/enable"; then
			OBS_INST=$inst
		else
			echo "observe_error=no tracefs instance with events/quic_ulp" >>"$d/meta"
			[ ! -d "$inst" ] || rmdir "$inst"
		fi
	else
		echo "observe_error=no tracefs" >>"$d/meta"
	fi
	if [ -f "$YNL_CLI" ] && [ -f "$YNL_SPEC" ]; then
		# (ahead of the endpoints, so that a short connection is
		# seen while it lasts)
		ip netns exec "$ns" nice -n -5 python3 "$HERE/interop-nl.py" "$YNL_CLI" \
			"$YNL_SPEC" "$d" $((TIMEOUT * 2 + 600)) >"$d/nl.log" 2>&1 &
		OBS_PID=$!
	else
		echo "observe_error=no YNL tool or quic-ulp spec" >>"$d/meta"
	fi
}

# Until interop-nl.py subscribed and dumps: under TCG Python takes seconds
# to start (in parallel with dumpcap's start). The wait goes to meta.
observe_ready() {	# D
	local i t0
	t0=$(date +%s.%N)
	if [ -n "$OBS_PID" ]; then
		for i in $(seq 1200); do
			[ ! -e "$1/nl-ready" ] || break
			kill -0 "$OBS_PID" 2>/dev/null || break
			sleep 0.1
		done
		if [ ! -e "$1/nl-ready" ]; then
			log "case ${1##*/}: interop-nl.py not ready: $(tail -n1 "$1/nl.log")"
			echo "observe_error=interop-nl.py not ready: $(tail -n1 "$1/nl.log")" >>"$1/meta"
		fi
	fi
	echo "observe_ready_seconds=$(echo "$(date +%s.%N) - $t0" | bc)" >>"$1/meta"
}

# Once both programs ended (capture_stop runs meanwhile): the listener
# reads what is left, dumps once more and writes stats-get; the trace is
# copied and its instance removed. observe_stop waits for both.
observe_signal() {	# D
	local d=$1
	[ -z "$OBS_PID" ] || kill -TERM "$OBS_PID" 2>/dev/null
	OBS_TRACE_PID=
	[ -n "$OBS_INST" ] || return 0
	(
		echo 0 >"$OBS_INST/tracing_on"
		cp "$OBS_INST/trace" "$d/trace.txt" ||
			echo "observe_error=trace not copied" >>"$d/meta"
		echo 0 >"$OBS_INST/events/quic_ulp/enable"
		rmdir "$OBS_INST" || log "cannot remove $OBS_INST"
	) &
	OBS_TRACE_PID=$!
}

observe_stop() {	# D
	local t0 rc
	t0=$(date +%s.%N)
	if [ -n "$OBS_PID" ]; then
		wait "$OBS_PID"
		rc=$?
		[ "$rc" = 0 ] ||
			echo "observe_error=interop-nl.py exit $rc: $(tail -n1 "$1/nl.log")" >>"$1/meta"
	fi
	[ -z "$OBS_TRACE_PID" ] || wait "$OBS_TRACE_PID"
	rm -f "$1/nl-ready"
	OBS_INST= OBS_PID= OBS_TRACE_PID=
	echo "observe_stop_seconds=$(echo "$(date +%s.%N) - $t0" | bc)" >>"$1/meta"
}

topo_down() {
	local ns id
	# (before the namespaces go: their ports would move back to init_net)
	for id in $NSIM_ID_RTR $NSIM_ID_SRV; do
		[ ! -e "$NSIM_BUS/devices/netdevsim$id" ] ||
			echo "$id" >"$NSIM_BUS/del_device"
	done
	for ns in cli rtr srv; do
		ip netns del $ns 2>/dev/null
	done
	return 0
}

# The port of netdevsim device ID, once the device probed it
nsim_port() {	# ID
	local i p
	for i in $(seq 50); do
		for p in "$NSIM_BUS/devices/netdevsim$1"/net/*; do
			[ -e "$p" ] && echo "${p##*/}" && return 0
		done
		sleep 0.1
	done
	return 1
}

# rtr's "s" and srv's "eth0" as a linked netdevsim pair (tools/testing/
# selftests/drivers/net/netdevsim/peer.sh): what one port sends the other
# receives, through its NAPI and so GRO, which is on by default there.
# netdevsim has no UDP segmentation offload (tx-udp-segmentation is off
# and fixed), so software segments before the port's xmit, as on the
# veths; it hands every received skb to GRO, so the veth's "tso off" on
# rtr's side has no counterpart. MTU 1500 on both, as the veth's.
nsim_up() {
	local port id ns name dev fd_rtr fd_srv if_rtr if_srv rc
	for port in $NSIM_ID_RTR:rtr:s $NSIM_ID_SRV:srv:eth0; do
		IFS=: read -r id ns name <<<"$port"
		echo "$id 1" >"$NSIM_BUS/new_device" || return 1
		# The guest's udevd renames a new port (eth0 to eni4434np1):
		# moving it by the name it had meanwhile would fail
		! command -v udevadm >/dev/null || udevadm settle
		dev=$(nsim_port "$id") || { echo "netdevsim$id has no port"; return 1; }
		# (the port is down once moved, so it may be renamed)
		ip link set dev "$dev" netns "$ns" &&
			ip -n "$ns" link set dev "$dev" name "$name" || return 1
	done
	if_rtr=$(ip -n rtr -o link show dev s | cut -d: -f1)
	if_srv=$(ip -n srv -o link show dev eth0 | cut -d: -f1)
	# link_device takes "NETNSFD:IFINDEX NETNSFD:IFINDEX", descriptors of
	# the writer's
	exec {fd_rtr}</var/run/netns/rtr {fd_srv}</var/run/netns/srv
	rc=0
	echo "$fd_rtr:$if_rtr $fd_srv:$if_srv" >"$NSIM_BUS/link_device" || rc=1
	exec {fd_rtr}<&- {fd_srv}<&-
	return $rc
}

topo_up() {	# NET NSIM(0|1)
	local ns
	topo_down
	for ns in cli rtr srv; do
		ip netns add $ns && ip -n $ns link set lo up || return 1
	done
	ip link add eth0 netns cli type veth peer name c netns rtr || return 1
	if [ "$2" = 1 ]; then
		nsim_up || return 1
	else
		ip link add eth0 netns srv type veth peer name s netns rtr ||
			return 1
	fi
	ip -n rtr addr add 10.1.0.254/24 dev c
	ip -n rtr addr add 10.2.0.254/24 dev s
	ip -n rtr addr add fd00:1::fe/64 dev c nodad
	ip -n rtr addr add fd00:2::fe/64 dev s nodad
	ip -n cli addr add $ADDR4_CLI/24 dev eth0
	ip -n srv addr add $ADDR4_SRV/24 dev eth0
	ip -n cli addr add $ADDR6_CLI/64 dev eth0 nodad
	ip -n srv addr add $ADDR6_SRV/64 dev eth0 nodad
	ip -n rtr link set c up && ip -n rtr link set s up || return 1
	# veth hands forwarded packets to the peer's GRO only when the
	# sending side has no TSO (veth_skb_is_eligible_for_gro()).
	ip netns exec rtr ethtool -K c tso off || return 1
	[ "$2" = 1 ] || ip netns exec rtr ethtool -K s tso off || return 1
	for ns in cli srv; do
		ip -n $ns link set eth0 up
		if [ "$2" = 1 ] && [ $ns = srv ]; then
			# netdevsim cannot turn on what it lacks: check it
			ip netns exec $ns ethtool -K eth0 gro on &&
				ip netns exec $ns ethtool -k eth0 |
				grep -q '^tx-udp-segmentation: off' || return 1
			continue
		fi
		ip netns exec $ns ethtool -K eth0 tx-udp-segmentation off gro on ||
			return 1
	done
	ip -n cli route add default via 10.1.0.254
	ip -n srv route add default via 10.2.0.254
	ip -n cli -6 route add default via fd00:1::fe
	ip -n srv -6 route add default via fd00:2::fe
	ip netns exec rtr sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	# The queue is a router's, not unbounded: under TCG the receiver is
	# the bottleneck, and an unbounded queue let the RTT grow to 300 ms
	# and more. ngtcp2 allows one key update per 3 PTOs after the last
	# was confirmed, so such a RTT left a 100 MB download room for only
	# 3 of the 10 updates asked for. 200 packets hold about 50 ms at the
	# rates seen here; what overflows is dropped, as a router would.
	if [ "$1" = lossy ]; then
		for dev in c s; do
			ip netns exec rtr tc qdisc add dev $dev root netem \
				limit 200 delay 20ms loss 1% reorder 25% 50% ||
				return 1
		done
	fi
}

wait_port() {	# NS PORT
	local i
	for i in $(seq 100); do
		ip netns exec "$1" ss -Huln "sport = :$2" | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# dumpcap says "Capturing on" once it has the interface open; under TCG
# that takes seconds, and a transfer started before would be half missing.
wait_capture() {	# LOG
	local i
	for i in $(seq 300); do
		grep -q '^Capturing on' "$1" 2>/dev/null && sleep 0.5 && return 0
		sleep 0.1
	done
	return 1
}

# dumpcap drops what is still in its socket buffer when told to stop, and
# under TCG it may be seconds behind: stop it once its file stopped growing.
capture_stop() {	# PID FILE
	local last=-1 now same=0 i
	for i in $(seq 120); do
		now=$(stat -c %s "$2" 2>/dev/null || echo 0)
		if [ "$now" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 3 ] && break
		else
			same=0
		fi
		last=$now
		sleep 0.5
	done
	kill -INT "$1" 2>/dev/null
	wait "$1"
}

url_host() {	# ADDR
	case $1 in *:*) echo "[$1]" ;; *) echo "$1" ;; esac
}

# gtlsclient downloads PATH into $WORK/dl-TAG: GTLS_ARGS and gtls_ku apply.
gtlsclient_get() {	# TAG PATH [more gtlsclient options]
	local tag=$1 path=$2
	shift 2
	rm -rf "$WORK/dl-$tag"
	mkdir -p "$WORK/dl-$tag"
	timeout "$TIMEOUT" ip netns exec cli gtlsclient -q \
		--exit-on-all-streams-close --download="$WORK/dl-$tag" \
		"${GTLS_ARGS[@]}" "$@" "$srv_addr" $PORT \
		"https://$(url_host "$srv_addr"):$PORT/$path" >>"$d/peer.log" 2>&1
}

run_case() {	# NAME DIRECTION FAMILY SIZE NET KEYUPDATES [FLAGS]
	local name=$1 dir=$2 fam=$3 size=$4 net=$5 ku=$6 flags=,${7:-}, QO=$QO
	local d=$OUT/$name srv_addr cap_if obs_ns srv_pid cap_pid t0 t1 rc src got
	local ku_every=$((size / (3 * ku + 1)))
	local qo_ku=() gtls_ku=() f i nsim=0 err
	# options for: gtlsclient, gtlsserver, qo-server, qo-client
	local srv_args=() qo_srv_args=() qo_cli_args=()
	GTLS_ARGS=()

	rm -rf "$d"
	mkdir -p "$d"
	[[ $flags == *,san,* ]] && QO=$QO/sanitize
	for f in chacha:CHACHA20-POLY1305 aes256:AES-256-GCM ccm:AES-128-CCM; do
		[[ $flags == *,${f%%:*},* ]] || continue
		GTLS_ARGS+=(--ciphers="NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${f#*:}")
		qo_cli_args+=(--ciphers="+${f#*:}")
	done
	if [[ $flags == *,v2,* ]]; then
		GTLS_ARGS+=(--available-versions=0x6b3343cf,0x1)
		qo_srv_args+=(--preferred-versions=6b3343cf,1)
		qo_cli_args+=(--version=6b3343cf)
	fi
	if [[ $flags == *,zcid,* ]]; then
		GTLS_ARGS+=(--scid=)
		qo_cli_args+=(--scid-len=0)
	fi
	# Two seconds after the handshake completed: well after it is
	# confirmed even under TCG (a move at 500 ms once left gtlsclient
	# sending nothing more, until the idle timeout ended it with exit 0)
	[[ $flags != *,rebind,* ]] ||
		GTLS_ARGS+=(--change-local-addr=2s --nat-rebinding)
	[[ $flags != *,migrate,* ]] || GTLS_ARGS+=(--change-local-addr=2s)
	[[ $flags != *,retry,* ]] || srv_args+=(-V)
	log "case $name: $dir IPv$fam, $size bytes, $net, $ku key updates${7:+, $7}"
	if [[ $flags == *,nsim,* ]]; then
		nsim=1
		qo_srv_args+=(--offload-device=on)
		# A kernel without netdevsim cannot run the case: say so in
		# meta, which fails it (a missing module is not a pass)
		if ! err=$(modprobe netdevsim 2>&1) || [ ! -d "$NSIM_BUS" ]; then
			log "case $name: no netdevsim (modprobe netdevsim: ${err:-no $NSIM_BUS})"
			echo "setup=no netdevsim: modprobe netdevsim failed: ${err:-no $NSIM_BUS}" >"$d/meta"
			return
		fi
		# the ports' debugfs, for their counters at the end
		[ -d /sys/kernel/debug/netdevsim ] ||
			mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	fi
	if ! topo_up "$net" $nsim >"$d/topo.log" 2>&1; then
		log "case $name: network set-up failed: $(tail -n1 "$d/topo.log")"
		echo "setup=failed: $(tail -n1 "$d/topo.log")" >"$d/meta"
		topo_down
		return
	fi
	eval "srv_addr=\$ADDR${fam}_SRV"
	case $dir in
	gtls-qo|qo-qo|chromium-qo) cap_if=s obs_ns=srv ;;
	qo-gtls) cap_if=c obs_ns=cli ;;
	esac
	# (Python starts meanwhile: seconds under TCG)
	observe_start "$obs_ns" "$name" "$d"
	# The file: random bytes, made (and hashed) once per size.
	src=$WORK/htdocs/data$size
	if [ ! -f "$src" ]; then
		rm -f "$WORK"/htdocs/data* "$WORK"/sha256-*
		head -c "$size" /dev/urandom >"$src"
		sha256sum <"$src" | cut -d' ' -f1 >"$WORK/sha256-$size"
	fi
	{
		echo "case=$name"
		echo "direction=$dir"
		echo "family=$fam"
		echo "size=$size"
		echo "net=$net"
		echo "key_updates_asked=$ku"
		echo "flags=${7:-}"
		echo "binaries=$QO"
		echo "source_sha256=$(cat "$WORK/sha256-$size")"
	} >>"$d/meta"
	log "case $name: source ready"
	if [ "$ku" -gt 0 ]; then
		qo_ku=(--key-update="$ku_every")
		gtls_ku=(--key-update=1s)
		# gtlsclient closes the connection when its single update
		# finds one of ours under way: let it go first.
		[ "$dir" = gtls-qo ] && qo_ku+=(--key-update-after-peer)
	fi

	# What rtr's interfaces dropped before the capture (scripts/interop.sh
	# counts the drops from here)
	ip -n rtr -s link show c >"$d/link-rtr-c.start" 2>&1
	ip -n rtr -s link show s >"$d/link-rtr-s.start" 2>&1
	# To tmpfs: writing to 9p under TCG makes dumpcap fall seconds behind.
	ip netns exec rtr dumpcap -q -P -B 64 -i "$cap_if" -w "$WORK/cap.pcap" \
		>"$d/dumpcap.log" 2>&1 &
	cap_pid=$!

	# The server
	case $dir in
	gtls-qo|qo-qo|chromium-qo)
		ip netns exec srv "$QO/qo-server" -q --htdocs="$WORK/htdocs" \
			--keylog="$d/keylog" "${qo_ku[@]}" "${qo_srv_args[@]}" \
			"$srv_addr" $PORT "$KEY" "$CERT" >"$d/our.log" 2>&1 &
		;;
	qo-gtls)
		ip netns exec srv gtlsserver -q --htdocs="$WORK/htdocs" \
			"${srv_args[@]}" "$srv_addr" $PORT "$KEY" "$CERT" \
			>"$d/peer.log" 2>&1 &
		;;
	esac
	srv_pid=$!
	if ! wait_capture "$d/dumpcap.log"; then
		log "case $name: dumpcap did not start"
		echo "setup=no-capture" >>"$d/meta"
	fi
	if ! wait_port srv $PORT; then
		log "case $name: the server did not start"
		echo "setup=no-server" >>"$d/meta"
	fi
	observe_ready "$d"

	# The client
	t0=$(date +%s.%N)
	case $dir in
	gtls-qo)
		if [[ $flags == *,resume,* ]]; then
			# the ticket, from a short first connection
			gtlsclient_get first 1000 --wait-for-ticket \
				--session-file="$WORK/session" --tp-file="$WORK/tp"
			echo "first_exit=$?" >>"$d/meta"
			GTLS_ARGS+=(--session-file="$WORK/session" --tp-file="$WORK/tp")
			t0=$(date +%s.%N)
		fi
		if [[ $flags == *,multi,* ]]; then
			local pids=()
			for i in 1 2 3 4; do
				gtlsclient_get $i "data$size" "${gtls_ku[@]}" &
				pids+=($!)
			done
			rc=0
			for i in "${pids[@]}"; do
				wait "$i" || rc=$?
			done
		else
			gtlsclient_get 1 "data$size" "${gtls_ku[@]}"
			rc=$?
		fi
		t1=$(date +%s.%N)
		# every download's digest: one line when they all agree
		got=$(for i in "$WORK"/dl-[0-9]*; do
			if [ -f "$i/data$size" ]; then
				sha256sum <"$i/data$size" | cut -d' ' -f1
			else
				echo missing
			fi
		done | sort -u | paste -sd' ')
		echo "downloads=$(ls -d "$WORK"/dl-[0-9]*/data"$size" 2>/dev/null |
			wc -l)" >>"$d/meta"
		rm -rf "$WORK"/dl-*
		;;
	chromium-qo)
		chromium_client "$d" "$srv_addr" "$size"
		rc=$?
		t1=$(date +%s.%N)
		got=$(sed -n 's/^chromium_sha256=//p' "$d/meta")
		;;
	qo-gtls|qo-qo)
		local client_log=$d/our.log client_keys=$d/keylog
		if [ "$dir" = qo-qo ]; then
			client_log=$d/our-client.log client_keys=$d/keylog-client
		fi
		if [[ $flags == *,resume,* ]]; then
			printf 'small' >"$WORK/htdocs/small"
			timeout "$TIMEOUT" ip netns exec cli "$QO/qo-client" -q \
				--keylog="$client_keys" --session-file="$WORK/session" \
				"${qo_cli_args[@]}" "$srv_addr" $PORT /small \
				>"$client_log" 2>&1
			echo "first_exit=$?" >>"$d/meta"
			qo_cli_args+=(--session-file="$WORK/session")
			t0=$(date +%s.%N)
		fi
		timeout "$TIMEOUT" ip netns exec cli "$QO/qo-client" -q \
			--sha256 --keylog="$client_keys" "${qo_ku[@]}" "${qo_cli_args[@]}" \
			"$srv_addr" $PORT "/data$size" >>"$client_log" 2>&1
		rc=$?
		t1=$(date +%s.%N)
		got=$(sed -n 's/^sha256 //p' "$client_log" | tail -n1)
		;;
	esac
	rm -f "$WORK/session" "$WORK/tp" "$WORK/htdocs/small"
	log "case $name: transfer done"
	# Let the server see the close and print its summary, then stop it.
	sleep 1
	kill -TERM "$srv_pid" 2>/dev/null
	wait "$srv_pid"
	echo "server_exit=$?" >>"$d/meta"
	log "case $name: server stopped"
	observe_signal "$d"
	capture_stop "$cap_pid" "$WORK/cap.pcap"
	log "case $name: capture stopped"
	observe_stop "$d"
	if [ -n "$PCAP_PORT" ]; then
		tar -c -C "$WORK" --transform="s|^|$name/|" cap.pcap >"$PCAP_PORT" ||
			echo "setup=capture-not-sent" >>"$d/meta"
		rm -f "$WORK/cap.pcap"
	else
		mv "$WORK/cap.pcap" "$d/cap.pcap"
	fi
	log "case $name: capture moved"
	{
		echo "client_exit=$rc"
		echo "seconds=$(echo "$t1 - $t0" | bc)"
		echo "received_sha256=$got"
	} >>"$d/meta"
	case $dir in
	gtls-qo|qo-qo|chromium-qo) ip netns exec srv cat /proc/net/quic_ulp_stat >"$d/quic_ulp_stat" ;;
	qo-gtls) ip netns exec cli cat /proc/net/quic_ulp_stat >"$d/quic_ulp_stat" ;;
	esac
	[ "$dir" = qo-qo ] && ip netns exec cli cat /proc/net/quic_ulp_stat >"$d/quic_ulp_stat-client"
	ip netns exec rtr tc -s qdisc >"$d/tc" 2>&1
	# What rtr's veths dropped after the capture saw it (the peer's ring
	# full while its namespace lagged under TCG): counted as their TX drops
	ip -n rtr -s link show c >"$d/link-rtr-c" 2>&1
	ip -n rtr -s link show s >"$d/link-rtr-s" 2>&1
	if [ $nsim = 1 ]; then
		# The model's own count of what it sealed and opened, beside
		# the ULP's; and what srv's port could not send (its queue)
		for f in rtr:$NSIM_ID_RTR srv:$NSIM_ID_SRV; do
			for i in /sys/kernel/debug/netdevsim/netdevsim"${f#*:}"/ports/0/quic/*; do
				[ -f "$i" ] && echo "${f%%:*}_${i##*/}=$(cat "$i")"
			done
		done >"$d/nsim" 2>&1
		ip -n srv -s link show eth0 >"$d/link-srv-eth0" 2>&1
		ip netns exec srv tc -s qdisc >"$d/tc-srv" 2>&1
	fi
	ip netns exec cli nstat -az >"$d/nstat-cli" 2>&1
	ip netns exec srv nstat -az >"$d/nstat-srv" 2>&1
	topo_down
	log "case $name: client exit $rc, $(sed -n 's/^seconds=//p' "$d/meta") s"
}

cases=("$@")
if [ $# = 1 ] && [ "${1#@}" != "$1" ]; then
	mapfile -t cases <"${1#@}"
fi
for c in "${cases[@]}"; do
	IFS=: read -r name dir fam size net ku flags <<<"$c"
	run_case "$name" "$dir" "$fam" "$size" "$net" "$ku" "$flags"
done
rm -rf "$WORK"
exit 0
