#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest half of scripts/demo.sh: runs inside the VM as root.
#
#	demo-guest.sh [SIZE [OUTDIR]]
#
# Two network namespaces joined by a veth pair: qo-server, with the kernel
# doing its 1-RTT packet protection, serves a file of SIZE random bytes
# (default 100 MiB) over HTTP/3 to Debian's gtlsclient, which initiates a
# key update after a second; the server initiates a couple more. Prints the
# transfer, the SHA-256 check, the throughput and the kernel's counters.
# Then Debian's Chromium, headless, loads a page from a new qo-server whose
# script fetches 16 MiB and hashes them (interop-chromium.sh); its
# screenshot goes to OUTDIR (default $GUEST_OUT, else /tmp/demo).
set -u

SIZE=${1:-104857600}
HERE=$(cd "$(dirname "$0")" && pwd)
SHOTS=${2:-${GUEST_OUT:-/tmp/demo}}
. "$HERE/interop-chromium.sh"
QO=$HERE/build
W=/tmp/demo
PORT=4433
SRV=10.0.0.1 CLI=10.0.0.2

say() { printf '\n== %s\n' "$*"; }
fail() { printf '\nDEMO FAILED: %s\n' "$*"; exit 1; }

mkdir -p "$W/htdocs" "$W/dl"
say "loading the quic ULP"
modprobe quic_ulp || fail "modprobe quic_ulp"
grep -q . /proc/net/quic_ulp_stat || fail "no /proc/net/quic_ulp_stat"
echo "quic_ulp module loaded; kernel $(uname -r)"

ip netns add srv && ip netns add cli || fail "ip netns"
ip link add eth0 netns srv type veth peer name eth0 netns cli || fail "veth"
ip -n srv addr add $SRV/24 dev eth0
ip -n cli addr add $CLI/24 dev eth0
for ns in srv cli; do
	ip -n $ns link set lo up
	ip -n $ns link set eth0 up
done

say "making $SIZE random bytes to serve"
head -c "$SIZE" /dev/urandom >"$W/htdocs/file" || fail "no room for the file"
SRC=$(sha256sum <"$W/htdocs/file" | cut -d' ' -f1)
echo "sha256 $SRC"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$W/key.pem" -out "$W/cert.pem" -days 2 -subj /CN=localhost \
	2>/dev/null || fail "openssl req"

say "qo-server on $SRV:$PORT (offload tx+rx), key update every $((SIZE / 3)) bytes once the client made one"
ip netns exec srv "$QO/qo-server" --htdocs="$W/htdocs" \
	--key-update=$((SIZE / 3)) --key-update-after-peer \
	$SRV $PORT "$W/key.pem" "$W/cert.pem" >"$W/server.out" 2>"$W/server.err" &
srv=$!
for i in $(seq 100); do
	ip netns exec srv ss -Huln "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
sleep 0.2
head -n 5 "$W/server.err"

say "gtlsclient (Debian's ngtcp2 example) downloads https://$SRV:$PORT/file, key update after 1 s"
t0=$(date +%s.%N)
timeout 900 ip netns exec cli gtlsclient -q --exit-on-all-streams-close \
	--download="$W/dl" --key-update=1s $SRV $PORT "https://$SRV:$PORT/file" \
	>"$W/client.out" 2>&1
rc=$?
t1=$(date +%s.%N)
sleep 1
kill -TERM $srv 2>/dev/null
wait $srv
GOT=$(sha256sum <"$W/dl/file" 2>/dev/null | cut -d' ' -f1)
secs=$(echo "$t1 - $t0" | bc)
echo "gtlsclient exit $rc after $secs s; got $(stat -c %s "$W/dl/file" 2>/dev/null || echo 0) bytes"
echo "sha256 ${GOT:-none}"

say "qo-server's summary: the library's and the kernel's counters (QUIC_ULP_CONN_INFO)"
grep -v 'quic_ulp_stat:' "$W/server.out"

say "/proc/net/quic_ulp_stat in the server's namespace"
ip netns exec srv cat /proc/net/quic_ulp_stat

say "result"
echo "transfer: $SIZE bytes in $secs s (gtlsclient wall time, handshake included):" \
	"$(echo "scale=1; $SIZE * 8 / $secs / 1000000" | bc) Mbit/s"
echo "TCG note: the guest CPU is emulated; crypto runs 15-50x slower than on hardware."
tx=$(sed -n 's/.*kernel tx: \([0-9]*\) packets.*/\1/p' "$W/server.out")
rx=$(sed -n 's/.*kernel rx: \([0-9]*\) packets.*/\1/p' "$W/server.out")
ku=$(sed -n 's/.*kernel tx: .*key updates \([0-9]*\) .*/\1/p' "$W/server.out")
late=$(sed -n 's/.*(+\([0-9]*\) after switch-on).*(+[0-9]* queued at switch-on, +\([0-9]*\) after).*/\1 \2/p' "$W/server.out")
echo "kernel protected ${tx:-0} packets and unprotected ${rx:-0}; key generation ${ku:-0};" \
	"userspace 1-RTT AEAD after switch-on (tx rx): ${late:-?}"
[ "$rc" = 0 ] || fail "gtlsclient exit $rc"
[ -n "$GOT" ] && [ "$GOT" = "$SRC" ] || fail "SHA-256 mismatch"
[ "${tx:-0}" -gt 0 ] && [ "${rx:-0}" -gt 0 ] || fail "the kernel did not do the crypto"

# The browser: a page and 16 MiB, from a new server, so that its counters
# are the browser's connections' alone (summed: it may open more than one)
BSIZE=16777216
rm -rf "$W/dl"	# (memory: /tmp is RAM in the guest)
say "Chromium (headless) loads https://$SRV:$PORT/chromium.html from a new qo-server (offload tx+rx); its script fetches $BSIZE bytes and hashes them"
head -c $BSIZE /dev/urandom >"$W/htdocs/browser"
BSRC=$(sha256sum <"$W/htdocs/browser" | cut -d' ' -f1)
chromium_page "$W/htdocs"
ip netns exec srv "$QO/qo-server" -q --htdocs="$W/htdocs" --key-update=$((BSIZE / 3)) \
	$SRV $PORT "$W/key.pem" "$W/cert.pem" >"$W/server2.out" 2>&1 &
srv=$!
for i in $(seq 100); do
	ip netns exec srv ss -Huln "sport = :$PORT" | grep -q . && break
	sleep 0.1
done
mkdir -p "$SHOTS"
chromium_get cli $SRV $PORT "$W/cert.pem" /browser "$SHOTS" 300
brc=$?
sleep 1
kill -TERM $srv 2>/dev/null
wait $srv
cat "$SHOTS/chromium.result"
cp "$W/server2.out" "$SHOTS/qo-server.log"
BGOT=$(sed -n 's/^sha256=//p' "$SHOTS/chromium.result")
echo "source sha256 $BSRC"
read -r conns btx brx blate < <(awk '
	/: offload / { n++; s = $0; sub(/.*: offload [a-z]*: /, "", s)
		split(s, w, /[^0-9]+/); late += w[4] + w[8] }
	/: kernel tx: / { s = $0; sub(/.*kernel tx: /, "", s); tx += s + 0 }
	/: kernel rx: / { s = $0; sub(/.*kernel rx: /, "", s); rx += s + 0 }
	END { print n + 0, tx + 0, rx + 0, late + 0 }' "$W/server2.out")
echo "$conns connection(s): the kernel protected $btx packets and unprotected $brx;" \
	"key generation tx $(sed -n 's/.*kernel tx: .*key updates \([0-9]*\) .*/\1/p' "$W/server2.out" | paste -sd+)," \
	"userspace 1-RTT AEAD after switch-on $blate"
[ "$brc" = 0 ] || fail "chromium: $(sed -n 's/^error=//p' "$SHOTS/chromium.result")"
[ -n "$BGOT" ] && [ "$BGOT" = "$BSRC" ] || fail "chromium: SHA-256 mismatch"
grep -qx 'file_protocol=h3' "$SHOTS/chromium.result" || fail "chromium: the file did not come over HTTP/3"
[ "$btx" -gt 0 ] && [ "$brx" -gt 0 ] && [ "$blate" = 0 ] || fail "chromium: the kernel did not do the crypto"
echo "DEMO OK: the file arrived intact and the kernel did the 1-RTT crypto, for gtlsclient and for Chromium"
echo "Chromium's screenshot: $SHOTS/screenshot.png"
