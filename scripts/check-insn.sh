#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A short instruction-accounting check for CI: one case, one VM boot,
# compared with a committed figure. Fails when the case's instructions per
# packet (copies, scheduling and spinning apart; all vCPUs) grew by more
# than INSN_CHECK_LIMIT percent (default 3). The count is exact
# (scripts/bench-insn.sh), so a growth is the code's, not the machine's.
#
#   scripts/check-insn.sh            check
#   scripts/check-insn.sh --update   measure and record the figure
#
# The figure is bench/insn-check.json, written by --update: measured the
# same way as the check (the case alone in a fresh VM), which reads about
# 1% lower than the same case late in the full run of bench-insn.sh (a VM
# that has run 40 cases before has other slab and page states). Without
# that file the check falls back on bench/insn-results.json.
#
# Variables: INSN_CHECK_CASE (default tx:ulp:1200:64:aes, a quic_bench
# case spec), INSN_CHECK_LIMIT, and those of scripts/bench-insn.sh (BUILD,
# OBJ). Prints one line "pass|fail insn:CASE ..." last.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

update=
case ${1:-} in
--update) update=1 ;;
'') ;;
*) die "usage: $0 [--update]" ;;
esac
CASE=${INSN_CHECK_CASE:-tx:ulp:1200:64:aes}
LIMIT=${INSN_CHECK_LIMIT:-3}
RESULTS=$TOP/bench/insn-results.json
FIGURE=$TOP/bench/insn-check.json
if [ -z "$update" ] && [ -f "$FIGURE" ]; then
	committed=$FIGURE
elif [ -z "$update" ] && [ -f "$RESULTS" ]; then
	committed=$RESULTS
elif [ -z "$update" ]; then
	die "no committed figure ($FIGURE or $RESULTS); run $0 --update"
fi

# The window of the committed figure, or bench-insn.sh's defaults
read -r packets warmup < <(python3 -c '
import json, os, sys
for p in sys.argv[1:]:
    if os.path.exists(p):
        h = json.load(open(p))["host"]
        print(h.get("packets", 4096), h.get("warmup", 1024))
        break
else:
    print(4096, 1024)' ${committed:+"$committed"} "$RESULTS")

start=$(date +%s)
rc=0
INSN_CASES=$CASE INSN_REPEATS=1 INSN_WRITE=0 INSN_PACKETS=$packets \
	INSN_WARMUP=$warmup INSN_TAG=check-insn "$TOP/scripts/bench-insn.sh" || rc=$?
[ "$rc" = 0 ] || die "the accounting run failed (exit $rc)"
secs=$(($(date +%s) - start))

if [ -n "$update" ]; then
	python3 - "$BUILD/check-insn/summary.json" "$CASE" "$FIGURE" <<'EOF'
import json
import sys

summary, case, out = sys.argv[1:4]
s = json.load(open(summary))
cases = [e for e in s["cases"] if e["case"] == case]
if not cases:
    sys.exit(f"{case} was not measured")
with open(out, "w") as f:
    json.dump({"host": s["host"], "guest": s["guest"], "cases": cases}, f,
              indent=1, sort_keys=True)
    f.write("\n")
print(f"recorded insn:{case} {cases[0]['mean']['total']:,.0f} instructions/packet in {out}")
EOF
	exit 0
fi

python3 - "$committed" "$BUILD/check-insn/summary.json" "$CASE" "$LIMIT" "$secs" <<'EOF'
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
for g in ["total", "copies", "spin"] + sorted(o["groups"]):
    a = o[g] if g in o else o["groups"][g]
    b = n[g] if g in n else n["groups"][g]
    print(f"  {g:8} committed {a:10,.0f}  now {b:10,.0f}  {b - a:+9,.0f}")
verdict = "pass" if growth <= limit else "fail"
print(f"{verdict} insn:{case} {n['total']:,.0f} instructions/packet, "
      f"committed {o['total']:,.0f} in {committed.rsplit('/', 1)[-1]} "
      f"({growth:+.2f}%, limit +{limit:g}%; {secs} s)")
sys.exit(0 if verdict == "pass" else 1)
EOF
