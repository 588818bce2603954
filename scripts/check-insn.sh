#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A short instruction-accounting check for CI: one case, one VM boot,
# compared with the figure committed in bench/insn-results.json. Fails
# when the case's instructions per packet (copies apart, all vCPUs) grew
# by more than INSN_CHECK_LIMIT percent (default 3). The count is exact
# (scripts/bench-insn.sh), so a growth is the code's, not the machine's;
# the repeats of the committed run show how far two boots differ.
#
#   scripts/check-insn.sh
#
# Variables: INSN_CHECK_CASE (default tx:ulp:1200:64:aes, a quic_bench
# case spec that the committed results have), INSN_CHECK_LIMIT, and
# those of scripts/bench-insn.sh (BUILD, OBJ). Prints one line
# "pass|fail insn:CASE ..." last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

CASE=${INSN_CHECK_CASE:-tx:ulp:1200:64:aes}
LIMIT=${INSN_CHECK_LIMIT:-3}
COMMITTED=$TOP/bench/insn-results.json
[ -f "$COMMITTED" ] || die "no $COMMITTED; run scripts/bench-insn.sh and commit it"

# The same window as the committed run's, so that the figures compare
read -r packets warmup < <(python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["host"]
print(h.get("packets", 4096), h.get("warmup", 1024))' "$COMMITTED")

start=$(date +%s)
rc=0
INSN_CASES=$CASE INSN_REPEATS=1 INSN_WRITE=0 INSN_PACKETS=$packets \
	INSN_WARMUP=$warmup "$TOP/scripts/bench-insn.sh" || rc=$?
[ "$rc" = 0 ] || die "the accounting run failed (exit $rc)"

python3 - "$COMMITTED" "$BUILD/bench-insn/summary.json" "$CASE" "$LIMIT" \
	"$(($(date +%s) - start))" <<'EOF'
import json
import sys

committed, measured, case, limit, secs = sys.argv[1:6]
limit = float(limit)


def find(path):
    for e in json.load(open(path))["cases"]:
        if e["case"] == case:
            return e
    return None


old, new = find(committed), find(measured)
if not old:
    print(f"fail insn:{case} (no committed figure for it in {committed})")
    sys.exit(1)
if not new:
    print(f"fail insn:{case} (not measured)")
    sys.exit(1)
o, n = old["mean"], new["mean"]
growth = (n["total"] / o["total"] - 1) * 100
for g in ["total", "copies"] + sorted(o["groups"]):
    a = o[g] if g in o else o["groups"][g]
    b = n[g] if g in n else n["groups"][g]
    print(f"  {g:8} committed {a:10,.0f}  now {b:10,.0f}  {b - a:+9,.0f}")
verdict = "pass" if growth <= limit else "fail"
print(f"{verdict} insn:{case} {n['total']:,.0f} instructions/packet, "
      f"committed {o['total']:,.0f} ({growth:+.2f}%, limit +{limit:g}%; "
      f"{secs} s)")
sys.exit(0 if verdict == "pass" else 1)
EOF
