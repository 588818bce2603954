#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The comparison of scripts/check-insn.sh.

  check.py window COMMITTED...             packets and warm-up to measure with
  check.py record SUMMARY CASE OUT         write the check's figure
  check.py compare COMMITTED SUMMARY CASE LIMIT SECONDS

A case's figure is its median repeat's instructions per packet (copies,
scheduling and spinning apart), or its mean in files written before the
report had medians.
"""

import json
import os
import sys


def find(path, case):
    for e in json.load(open(path))["cases"]:
        if e["case"] == case:
            return e
    return None


def figure(e):
    return e.get("median", e["mean"])


def window(paths):
    for p in paths:
        if os.path.exists(p):
            h = json.load(open(p))["host"]
            print(h.get("packets", 4096), h.get("warmup", 1024))
            return 0
    print(4096, 1024)
    return 0


def record(summary, case, out):
    s = json.load(open(summary))
    cases = [e for e in s["cases"] if e["case"] == case]
    if not cases:
        sys.exit(f"{case} was not measured")
    with open(out, "w") as f:
        json.dump({"host": s["host"], "guest": s["guest"], "cases": cases}, f,
                  indent=1, sort_keys=True)
        f.write("\n")
    print(f"recorded insn:{case} {figure(cases[0])['total']:,.0f} "
          f"instructions/packet in {out}")
    return 0


def compare(committed, summary, case, limit, secs):
    limit = float(limit)
    old, new = find(committed, case), find(summary, case)
    if not old:
        print(f"fail insn:{case} (no committed figure for it in {committed})")
        return 1
    if not new:
        print(f"fail insn:{case} (not measured)")
        return 1
    o, n = figure(old), figure(new)
    growth = (n["total"] / o["total"] - 1) * 100
    for g in ["total", "copies", "spin"] + sorted(o["groups"]):
        a = o[g] if g in o else o["groups"][g]
        b = n[g] if g in n else n["groups"][g]
        print(f"  {g:8} committed {a:10,.0f}  now {b:10,.0f}  {b - a:+9,.0f}")
    verdict = "pass" if growth <= limit else "fail"
    print(f"{verdict} insn:{case} {n['total']:,.0f} instructions/packet, "
          f"committed {o['total']:,.0f} in {os.path.basename(committed)} "
          f"({growth:+.2f}%, limit {limit:+g}%; {secs} s)")
    return 0 if verdict == "pass" else 1


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "window":
        return window(sys.argv[2:])
    if len(sys.argv) == 5 and sys.argv[1] == "record":
        return record(*sys.argv[2:])
    if len(sys.argv) == 7 and sys.argv[1] == "compare":
        return compare(*sys.argv[2:])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
