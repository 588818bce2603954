#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The quic-ulp generic netlink family through the kernel's own YNL CLI,
# which knows it from its spec alone (Documentation/netlink/specs/
# quic-ulp.yaml): stats-get must agree with /proc/net/quic_ulp_stat, and
# conn-get must list the connections of a socket that "quic_nl --hold"
# keeps open, in a network namespace of their own.
#
# It needs the kernel source tree the running kernel was built from, for
# cli.py and the spec: $KSRC, else the tree this script sits in when run
# from the source tree; python3 with PyYAML; root. Without them it skips.
# The spec is not validated against its schema here (seconds natively,
# minutes under emulation, on every call): the tree's build of the family
# does that. QUIC_YNL_SCHEMA=1 validates it on each call as well.

set -u

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
NCONN=5		# connections of the held socket
HANDLE0=100	# their first handle (HOLD_BASE of quic_nl.c)

HERE=$(cd "$(dirname "$0")" && pwd)
NS=quic-ynl-$$
TMP=
HOLD_PID=

skip() {
	echo "SKIP: $*"
	exit $KSFT_SKIP
}

fail() {
	echo "FAIL: $*"
	exit $KSFT_FAIL
}

# shellcheck disable=SC2317	# the EXIT trap calls it
cleanup() {
	# Closing the holder's stdin lets it go
	exec 3>&- 2>/dev/null
	if [ -n "$HOLD_PID" ]; then
		kill "$HOLD_PID" 2>/dev/null
		wait "$HOLD_PID" 2>/dev/null
	fi
	ip netns del "$NS" 2>/dev/null
	[ -z "$TMP" ] || rm -rf "$TMP"
}

# cli.py and the spec: $KSRC's, else those of the tree around this script
find_ynl() {
	local tree

	for tree in ${KSRC:+"$KSRC"} "$HERE/../../../../.."; do
		SPEC=$tree/Documentation/netlink/specs/quic-ulp.yaml
		[ -f "$SPEC" ] || continue
		for CLI in "$tree/tools/net/ynl/pyynl/cli.py" \
			   "$tree/tools/net/ynl/cli.py"; do
			[ -f "$CLI" ] && return 0
		done
	done
	return 1
}

if ! find_ynl; then
	skip "no YNL cli.py and quic-ulp.yaml: set KSRC to the kernel's" \
		"source tree${KSRC:+ (KSRC=$KSRC has not both)}"
fi
command -v python3 >/dev/null || skip "no python3"
python3 -c 'import yaml' 2>/dev/null || skip "python3 has no yaml module (python3-yaml)"
[ "$(id -u)" -eq 0 ] || skip "needs root, for a network namespace"
[ -x "$HERE/quic_nl" ] || fail "no $HERE/quic_nl: build the selftests first"

SCHEMA=(--no-schema)
if [ "${QUIC_YNL_SCHEMA:-0}" = 1 ]; then
	python3 -c 'import jsonschema' 2>/dev/null ||
		skip "QUIC_YNL_SCHEMA=1 but python3 has no jsonschema"
	SCHEMA=()
fi

trap cleanup EXIT
TMP=$(mktemp -d) || fail "mktemp"
ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
ip -n "$NS" link set lo up || fail "cannot set lo up in $NS"

# The socket: its inode, cookie and port on the first line of its output
mkfifo "$TMP/in" || fail "mkfifo"
ip netns exec "$NS" "$HERE/quic_nl" --hold "$NCONN" <"$TMP/in" \
	>"$TMP/hold" 2>"$TMP/hold.err" &
HOLD_PID=$!
exec 3>"$TMP/in"
for _ in $(seq 600); do
	[ -s "$TMP/hold" ] && break
	if ! kill -0 "$HOLD_PID" 2>/dev/null; then
		wait "$HOLD_PID"
		rc=$?
		HOLD_PID=
		[ "$rc" -ne "$KSFT_SKIP" ] ||
			skip "no quic ULP: $(cat "$TMP/hold.err")"
		fail "quic_nl --hold exited with $rc: $(cat "$TMP/hold.err")"
	fi
	sleep 0.1
done
read -r INO COOKIE PORT <"$TMP/hold" ||
	fail "quic_nl --hold said nothing in 60 s"

ynl() {
	ip netns exec "$NS" timeout 120 python3 "$CLI" --spec "$SPEC" \
		"${SCHEMA[@]}" --output-json "$@"
}

# stats-get, between two reads of the file, which must agree: nothing runs
ip netns exec "$NS" cat /proc/net/quic_ulp_stat >"$TMP/stat.before" ||
	fail "no /proc/net/quic_ulp_stat"
ynl --do stats-get >"$TMP/stats.json" 2>"$TMP/err" ||
	fail "stats-get: $(cat "$TMP/err")"
ip netns exec "$NS" cat /proc/net/quic_ulp_stat >"$TMP/stat.after"
cmp -s "$TMP/stat.before" "$TMP/stat.after" ||
	fail "/proc/net/quic_ulp_stat changed while nothing ran"

# conn-get: of the socket, and of the whole namespace (that socket only)
ynl --dump conn-get --json "{\"sock-ino\": $INO}" >"$TMP/conns.json" \
	2>"$TMP/err" || fail "conn-get of socket $INO: $(cat "$TMP/err")"
ynl --dump conn-get >"$TMP/all.json" 2>"$TMP/err" ||
	fail "conn-get: $(cat "$TMP/err")"
ynl --dump conn-get --json '{"sock-ino": 1}' >"$TMP/none.json" \
	2>"$TMP/err" || fail "conn-get of inode 1: $(cat "$TMP/err")"

python3 - "$SPEC" "$TMP" "$NCONN" "$HANDLE0" "$INO" "$COOKIE" "$PORT" <<'EOF'
import ipaddress
import json
import sys

import yaml

spec_path, tmp, nconn, handle0, ino, cookie, port = sys.argv[1:]
nconn, handle0, ino, cookie, port = map(int, (nconn, handle0, ino, cookie,
                                              port))
errors = []


def check(ok, what):
    if not ok:
        errors.append(what)


def load(name):
    with open(f'{tmp}/{name}') as f:
        text = f.read().strip()
    # A dump of nothing prints an empty list (or nothing, on old cli.py)
    return json.loads(text) if text else []


def number(v):
    # display-hint hex: cli.py prints "0x1301"
    return int(v, 0) if isinstance(v, str) else v


with open(spec_path) as f:
    spec = yaml.safe_load(f)
stats_set = next(s for s in spec['attribute-sets'] if s['name'] == 'stats')
names = [a['name'] for a in stats_set['attributes']]

# stats-get: attribute i is line i of the file
stats = load('stats.json')
with open(f'{tmp}/stat.before') as f:
    lines = [line.split() for line in f if line.strip()]
check(len(lines) == len(names),
      f'{len(lines)} lines in quic_ulp_stat, {len(names)} counters in the spec')
check(sorted(stats) == sorted(names),
      f'stats-get has {sorted(stats)}, the spec {sorted(names)}')
for (proc_name, value), name in zip(lines, names):
    check(stats.get(name) == int(value),
          f'{name}: stats-get {stats.get(name)}, {proc_name} {value}')
check(stats.get('curr-conns') == nconn,
      f'curr-conns {stats.get("curr-conns")}, the namespace has {nconn}')

# conn-get of the socket: every connection, once, as quic_nl made it
conns = load('conns.json')
check(isinstance(conns, list) and len(conns) == nconn,
      f'conn-get of the socket: {len(conns)} connections, not {nconn}')
handles = sorted(c.get('handle', -1) for c in conns)
check(handles == list(range(handle0, handle0 + nconn)),
      f'handles {handles}')
loopback = ipaddress.ip_address('::ffff:127.0.0.1')
for c in conns:
    h = c.get('handle')
    check(c.get('sock-ino') == ino, f'{h}: sock-ino {c.get("sock-ino")}')
    check(c.get('sock-cookie') == cookie,
          f'{h}: sock-cookie {c.get("sock-cookie")}, not {cookie}')
    check(c.get('sock-uid') == 0, f'{h}: sock-uid {c.get("sock-uid")}')
    addr = c.get('local-addr')
    try:
        addr = ipaddress.ip_address(addr)
    except ValueError:
        addr = ipaddress.ip_address(bytes.fromhex(addr))
    check(addr == loopback, f'{h}: local-addr {c.get("local-addr")}')
    check(c.get('local-port') == port,
          f'{h}: local-port {c.get("local-port")}, not {port}')
    check('peer-addr' not in c and 'peer-port' not in c,
          f'{h}: a peer before any packet')
    check(number(c.get('cipher')) == 0x1301, f'{h}: cipher {c.get("cipher")}')
    check(number(c.get('version')) == 1, f'{h}: version {c.get("version")}')
    for d in ('tx', 'rx'):
        n = c.get(d, {})
        check(n.get('keys') is True, f'{h} {d}: no keys flag: {n}')
        check(n.get('next-keys') is True, f'{h} {d}: no next-keys flag: {n}')
        check('old-keys' not in n and 'limit' not in n,
              f'{h} {d}: old-keys or limit: {n}')
        check('largest-pn' not in n, f'{h} {d}: a largest-pn: {n}')
        for k in ('packets', 'bytes', 'key-updates', 'key-phase',
                  'key-packets', 'old-key-packets', 'auth-failures',
                  'refused', 'cids'):
            check(n.get(k) == 0, f'{h} {d}: {k} {n.get(k)}')
        check(n.get('crypto-path') in ('software', 0),
              f'{h} {d}: crypto-path {n.get("crypto-path")}')

# The whole namespace: that socket's; an inode of no socket: nothing
every = load('all.json')
check(sorted(c.get('handle', -1) for c in every) == handles,
      f'conn-get: {len(every)} connections, not the socket\'s {nconn}')
check(load('none.json') == [], 'conn-get of inode 1 is not empty')

for e in errors:
    print(f'FAIL: {e}')
sys.exit(1 if errors else 0)
EOF
rc=$?
[ "$rc" -eq 0 ] || fail "the YNL CLI's answers (cli.py: $CLI)"
echo "PASS: stats-get and conn-get through $CLI"
exit $KSFT_PASS
