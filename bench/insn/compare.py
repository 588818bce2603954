#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare two instruction-accounting runs (bench/insn-results*.json).

    compare.py BEFORE.json AFTER.json [--label-before X] [--label-after Y]
               [--md FILE --section TITLE]

Prints, for the ULP cases both runs have, the instructions per packet
(median repeat, copies apart as in the report: "total"), the part beyond
the crypto (total minus the AEAD and header protection groups: what the
path adds around the crypto, which is what a data-path change moves), the
ULP module's own group and the allocator's, before and after, with the
change; then, per direction, batch and suite, what the ULP path adds
beyond its crypto over plain UDP measured in the same boots (the report's
"derived" figures), which cancels what moves every path alike. With
--md, the tables replace (or are appended as) the section
TITLE of FILE, a level-2 heading.
"""

import argparse
import json
import re
import sys


def cases(path):
    with open(path) as f:
        return {c["case"]: c for c in json.load(f)["cases"]}


def figures(c):
    m = c["median"]
    g = m["groups"]
    total = m["total"]
    return {
        "total": total,
        "beyond": total - g["aead"] - g["hp"],
        "ulp": g["ulp"],
        "alloc": g["alloc"],
    }


def pct(a, b):
    return "%+.1f%%" % (100.0 * (b - a) / a) if a else "-"


def table(before, after, lb, la):
    rows = []
    names = [n for n in after if ":ulp:" in n and n in before]
    head = ("| case | %s total | %s total | change | beyond crypto, %s | "
            "beyond crypto, %s | change | ULP module %s / %s | "
            "allocator %s / %s |" % (lb, la, lb, la, lb, la, lb, la))
    rows.append(head)
    rows.append("|" + " --- |" * 9)
    for n in names:
        b, a = figures(before[n]), figures(after[n])
        rows.append("| %s | %d | %d | %s | %d | %d | %s | %d / %d | %d / %d |"
                    % (n, b["total"], a["total"], pct(b["total"], a["total"]),
                       b["beyond"], a["beyond"],
                       pct(b["beyond"], a["beyond"]), b["ulp"], a["ulp"],
                       b["alloc"], a["alloc"]))
    return "\n".join(rows) + "\n"


def derived(path):
    with open(path) as f:
        return {(d["kind"], d["batch"], d["cipher"]): d
                for d in json.load(f)["derived"]}


def overhead_table(before, after, lb, la):
    """What the ULP adds beyond its crypto over plain UDP of the same run.

    Subtracting the plain path measured in the same boots cancels what
    moves every path alike (at batch 1, wake-ups and timer work). Empty
    when the runs have no plain case in common (a run of ULP cases only).
    """
    if not any(k in before for k in after):
        return ""
    rows = ["| dir | batch | cipher | plain UDP %s / %s | ULP over plain, "
            "beyond crypto, %s | %s | change |" % (lb, la, lb, la),
            "|" + " --- |" * 7]
    for k in sorted(after):
        if k not in before:
            continue
        b, a = before[k], after[k]
        rows.append("| %s | %d | %s | %d / %d | %d | %d | %s |"
                    % (k[0], k[1], k[2], b["plain"], a["plain"],
                       b["ulp_beyond_crypto"], a["ulp_beyond_crypto"],
                       pct(b["ulp_beyond_crypto"], a["ulp_beyond_crypto"])))
    return "\n".join(rows) + "\n"


def replace_section(path, title, body):
    with open(path) as f:
        text = f.read()
    heading = "## " + title + "\n"
    block = heading + "\n" + body
    m = re.search(r"(?m)^## " + re.escape(title) + r"\n", text)
    if m:
        nxt = re.search(r"(?m)^## ", text[m.end():])
        end = m.end() + nxt.start() if nxt else len(text)
        text = text[:m.start()] + block + ("\n" if nxt else "") + \
            text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--label-before", default="before")
    ap.add_argument("--label-after", default="after")
    ap.add_argument("--md")
    ap.add_argument("--section")
    ap.add_argument("--intro", default="")
    args = ap.parse_args()
    out = table(cases(args.before), cases(args.after), args.label_before,
                args.label_after)
    over = overhead_table(derived(args.before), derived(args.after),
                          args.label_before, args.label_after)
    if over:
        out += "\n" + over
    sys.stdout.write(out)
    if args.md:
        if not args.section:
            sys.exit("--md needs --section")
        replace_section(args.md, args.section,
                        (args.intro + "\n\n" if args.intro else "") + out)


if __name__ == "__main__":
    main()
