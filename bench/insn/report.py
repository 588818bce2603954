#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instruction accounting report (scripts/bench-insn.sh).

  report.py --obj OBJ --host HOST_ENV --summary FILE --plotdata FILE
            [--json FILE] [--md BENCHMARKS.md] RUNDIR...
  report.py --from-json bench/insn-results.json [--md FILE] [--plotdata FILE]

Each RUNDIR is one VM boot (a repeat): cases.jsonl (quic_bench insn),
windows/window-ID.txt (the plugin, bench/insn/insn.c), kallsyms.txt,
maps.txt, env.txt. Every translation block the plugin counted is put in
one group (GROUPS below, first rule that matches), the counts are divided
by the packets of the window, and repeats are compared. Writes the
summary (always), the JSON and the BENCHMARKS.md section (when given) and
prints the tables.
"""

import argparse
import bisect
import json
import os
import re
import subprocess
import sys

USER_TOP = 1 << 47          # x86-64: user addresses are below 2^47

# The groups, in the order of the tables. "copies" is reported apart
# from the total: one "instruction" per REP iteration (byte or element).
GROUPS = [
    ("aead", "AEAD",
     "kernel crypto code (crypto/, arch/x86/crypto/, lib/crypto/: the AEAD "
     "drivers, GHASH, ChaCha20, Poly1305, the crypto API and its "
     "scatterlist walk) not called for header protection"),
    ("hp", "HP",
     "header protection: the module's quic_ulp_hp_mask() and "
     "quic_ulp_hp_masks() (and their ChaCha20 and AES-ECB helpers) and "
     "quic_ulp_hp_apply(), and crypto code (aes_encrypt(), hchacha_block(), "
     "the AES-ECB skcipher and its walk, ...) run while the last quic function "
     "the vCPU was in is one of the mask functions"),
    ("ulp", "ULP",
     "the rest of the quic_ulp module (quic_ulp.ko) and the UDP ULP framework "
     "(net/ipv4/udp_ulp.c)"),
    ("stack", "UDP/IP",
     "the network stack: net/ (sockets, UDP, IP, GSO/GRO, skbs, queues, "
     "qdisc), drivers/net/ (veth), checksums (arch/x86/lib/csum*)"),
    ("alloc", "alloc",
     "memory allocation: mm/slub.c, mm/slab_common.c, mm/page_alloc.c, "
     "mm/mempool.c, mm/util.c, mm/vmalloc.c, mm/percpu.c"),
    ("user", "user",
     "userspace (addresses below 2^47): quic_bench, libc, OpenSSL's "
     "libcrypto for the user path"),
    ("other", "other",
     "the rest of the kernel: system call entry and exit, interrupt entry, "
     "softirq loop, RCU, file lookup, copy routines apart from their REP "
     "iterations, iov_iter, siphash (flow hashing), FPU state"),
]
GROUP_KEYS = [g[0] for g in GROUPS]
# Reported apart from the total, with REP copies and spinning: what
# depends on when threads sleep and wake, i.e. on the relative speed of
# the two vCPUs (and on the host's scheduling of their threads), more
# than on the code the packets go through.
SCHED = ("sched", "sched",
         "scheduling, idle and wake-ups: kernel/sched/ (wake-up, context "
         "switch, idle loop, load tracking), kernel/time/ (ticks, timers), "
         "kernel/futex/ (the benchmark's credit window), kernel/smp.c and "
         "arch/x86/kernel/{process,process_64,smp}.c, apic/ (IPIs, "
         "__switch_to, default_idle)")
ALL_KEYS = GROUP_KEYS + ["sched"]

CRYPTO_DIRS = ("crypto/", "arch/x86/crypto/", "lib/crypto/")
ALLOC_FILES = ("mm/slub.o", "mm/slab_common.o", "mm/page_alloc.o",
               "mm/mempool.o", "mm/util.o", "mm/vmalloc.o", "mm/percpu.o")
STACK_DIRS = ("net/", "drivers/net/")
STACK_FILES = ("arch/x86/lib/csum-partial_64.o", "arch/x86/lib/csum-copy_64.o",
               "arch/x86/lib/csum-wrappers_64.o", "lib/checksum.o")
ULP_FILES = ("net/ipv4/udp_ulp.o",)
# contended locks only: the uncontended paths are inlined elsewhere
SPIN_FILES = ("kernel/locking/qspinlock.o", "kernel/locking/qrwlock.o")
SCHED_DIRS = ("kernel/sched/", "kernel/time/", "kernel/futex/",
              "arch/x86/kernel/apic/")
SCHED_FILES = ("kernel/smp.o", "arch/x86/kernel/process.o",
               "arch/x86/kernel/process_64.o", "arch/x86/kernel/smp.o")
HP_FUNCS = ("quic_ulp_hp_mask", "quic_ulp_hp_masks", "quic_hp_mask_chacha",
            "quic_hp_masks_ecb", "quic_ulp_hp_apply")
REP_KINDS = {1: "movs", 2: "stos", 3: "other"}
REP_MASK = 0x3              # the plugin's flags: REP kind of the first insn
SPIN = 0x4                  # and: the block holds a PAUSE

PATHS = {"plain": "(a) plain UDP", "user": "(b) user", "ulp": "(c) ulp"}
CIPHERS = {"AES-128-GCM": "AES", "ChaCha20-Poly1305": "ChaCha"}
DGRAM_CONNS = 64            # bench.h: BENCH_DGRAM_CONNS


def read_env(path):
    env = {}
    if os.path.exists(path):
        for line in open(path):
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                env[k] = v
    return env


class KernelFiles:
    """Which object file defines each kernel function (nm on the build)."""

    def __init__(self, obj):
        self.files = {}
        self.weak = {}
        archives = [os.path.join(obj, a) for a in
                    ("vmlinux.a", "lib/lib.a", "arch/x86/lib/lib.a")]
        archives = [a for a in archives if os.path.exists(a)]
        if not archives:
            sys.exit(f"report: no vmlinux.a in {obj}: is the kernel built?")
        out = subprocess.run(["nm", "--defined-only"] + archives, cwd=obj,
                             capture_output=True, text=True).stdout
        cur = None
        for line in out.splitlines():
            if not line:
                continue
            if line.endswith(":") and " " not in line:
                m = re.match(r"^(?:.*\.a\[)?(.*?)\]?:$", line)
                cur = m.group(1) if m else line[:-1]
                # members of a thin archive named by an absolute path
                # are printed absolute too
                if os.path.isabs(cur):
                    cur = os.path.relpath(cur, obj)
                continue
            parts = line.split()
            if len(parts) == 3 and parts[1] in "tTwW" and cur:
                # a weak default (skb_copy_bits in kernel/bpf/core.c) is
                # not the definition the kernel runs when a strong one exists
                d = self.weak if parts[1] in "wW" else self.files
                d.setdefault(parts[2], set()).add(cur)

    def of(self, name):
        return self.files.get(name) or self.weak.get(name, set())


def file_group(files):
    """The group of kernel code by the files that define its name; a name
    several files define is classified only when they agree."""
    groups = set()
    for f in files:
        if f.startswith(CRYPTO_DIRS):
            groups.add("crypto")
        elif f in ULP_FILES:
            groups.add("ulp")
        elif f in ALLOC_FILES:
            groups.add("alloc")
        elif f.startswith(STACK_DIRS) or f in STACK_FILES:
            groups.add("stack")
        elif f.startswith(SCHED_DIRS) or f in SCHED_FILES:
            groups.add("sched")
        elif f in SPIN_FILES:
            groups.add("spin")
        else:
            groups.add("other")
    return groups.pop() if len(groups) == 1 else "other"


class Symbols:
    """Guest kernel symbols (kallsyms), their group, and quic_bench's maps."""

    def __init__(self, rundir, kfiles):
        syms = []
        for line in open(os.path.join(rundir, "kallsyms.txt")):
            p = line.split()
            if len(p) < 3 or p[1] not in "tTwW":
                continue
            mod = p[3].strip("[]") if len(p) > 3 else ""
            syms.append((int(p[0], 16), p[2], mod))
        syms.sort()
        self.addrs = [s[0] for s in syms]
        self.syms = syms
        self.kfiles = kfiles
        self.cache = {}
        self.maps = []
        mp = os.path.join(rundir, "maps.txt")
        if os.path.exists(mp):
            for line in open(mp):
                p = line.split()
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                name = os.path.basename(p[5]) if len(p) > 5 else "[anon]"
                self.maps.append((lo, hi, name))

    def user_object(self, vaddr):
        for lo, hi, name in self.maps:
            if lo <= vaddr < hi:
                return name
        return "other process or unmapped"

    def kernel(self, vaddr):
        """(symbol, module, base group) of a kernel address."""
        i = bisect.bisect_right(self.addrs, vaddr) - 1
        if i < 0:
            return ("?", "", "other")
        _, name, mod = self.syms[i]
        key = (name, mod)
        if key not in self.cache:
            if mod == "quic_ulp":
                g = "hp" if name in HP_FUNCS else "ulp"
            elif mod:
                g = "other"
            else:
                g = file_group(self.kfiles.of(name))
            self.cache[key] = g
        return (name, mod, self.cache[key])


def area(files):
    """Where in the tree a function is, for the breakdown of "other"."""
    if not files:
        return "?"
    f = sorted(files)[0]
    parts = f.split("/")
    return "/".join(parts[:3] if parts[0] in ("arch", "kernel") else parts[:2])


def classify_window(path, syms):
    """Instructions per group, per vCPU, per symbol, copies by kind."""
    groups = dict.fromkeys(ALL_KEYS, 0)
    copies = {"kernel": 0, "user": 0}
    spin = 0
    other_areas = {}
    copy_kinds = dict.fromkeys(REP_KINDS.values(), 0)
    vcpus = []
    by_sym = {}
    by_user_obj = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            p = line.split()
            vaddr, ninsns, flags, ctx = int(p[0], 16), int(p[1]), int(p[2]), int(p[3])
            counts = [int(x) for x in p[4:]]
            if len(vcpus) < len(counts):
                vcpus += [0] * (len(counts) - len(vcpus))
            n = ninsns * sum(counts)
            user = vaddr < USER_TOP
            if flags & REP_MASK:
                copies["user" if user else "kernel"] += n
                copy_kinds[REP_KINDS.get(flags & REP_MASK, "other")] += n
                if not user:
                    name = syms.kernel(vaddr)[0]
                    by_sym[("copies", name)] = by_sym.get(("copies", name), 0) + n
                continue
            if flags & SPIN:
                spin += n
                name = "(user)" if user else syms.kernel(vaddr)[0]
                by_sym[("spin", name)] = by_sym.get(("spin", name), 0) + n
                continue
            for i, c in enumerate(counts):
                vcpus[i] += ninsns * c
            if user:
                g, name = "user", syms.user_object(vaddr)
                by_user_obj[name] = by_user_obj.get(name, 0) + n
            else:
                name, mod, g = syms.kernel(vaddr)
                if mod:
                    name = f"{name} [{mod}]"
                if g == "spin":
                    spin += n
                    by_sym[("spin", name)] = by_sym.get(("spin", name), 0) + n
                    continue
                if g == "crypto":
                    g = "hp" if ctx == 1 else "aead"
                elif g == "other" and not mod:
                    a = area(syms.kfiles.of(name))
                    other_areas[a] = other_areas.get(a, 0) + n
            groups[g] += n
            by_sym[(g, name)] = by_sym.get((g, name), 0) + n
    return {"groups": groups, "copies": copies, "copy_kinds": copy_kinds,
            "spin": spin, "vcpus": vcpus, "by_sym": by_sym,
            "user_objects": by_user_obj, "other_areas": other_areas}


def spread_of(c):
    """How a case's packets spread over its connections: "packet" (the next
    packet to the next connection) or "datagram" (a connection per
    datagram); runs before the field existed are per packet."""
    return c.get("spread", "packet")


def case_key(c):
    return (c["kind"], c["path"], c["cipher"], c["size"], c["batch"], c["conns"],
            spread_of(c))


def case_name(c):
    name = f"{c['kind']}:{c['path']}:{c['size']}:{c['batch']}"
    if c["path"] != "plain":
        name += ":" + ("aes" if c["cipher"].startswith("AES") else "chacha")
    else:
        name += ":aes"
    if c["conns"] != 1:
        name += f":{c['conns']}"
        if spread_of(c) == "datagram":
            name += ":dgram"
    return name


def aead_drivers(rundir):
    """The driver the crypto API picks (highest priority) per AEAD."""
    best = {}
    path = os.path.join(rundir, "crypto.txt")
    if not os.path.exists(path):
        return "?"
    for block in open(path).read().split("\n\n"):
        f = dict((k.strip(), v.strip()) for k, _, v in
                 (line.partition(":") for line in block.splitlines()))
        name = f.get("name")
        if name in ("gcm(aes)", "rfc7539(chacha20,poly1305)"):
            prio = int(f.get("priority", 0))
            if name not in best or prio > best[name][0]:
                best[name] = (prio, f.get("driver", "?"))
    return ", ".join(f"{n}: `{d}`" for n, (_, d) in sorted(best.items())) or "?"


def calibration(path, expected, rundir, errors):
    """Window 0: a userspace loop of @expected instructions plus a few of
    glue around it (insn_calibrate()). Returns what was counted."""
    user = kernel = 0
    if not os.path.exists(path):
        errors.append(f"{rundir}: no calibration window {path}")
        return None
    for line in open(path):
        if line.startswith("#"):
            continue
        p = line.split()
        n = int(p[1]) * sum(int(x) for x in p[4:])
        if int(p[0], 16) < USER_TOP:
            user += n
        else:
            kernel += n
    if not expected <= user <= expected + 64:
        errors.append(f"{rundir}: calibration: {user} userspace instructions "
                      f"counted for a loop of {expected}")
    return {"expected": expected, "user": user, "kernel": kernel}


def load_run(rundir, kfiles, errors):
    cases = []
    cj = os.path.join(rundir, "cases.jsonl")
    if not os.path.exists(cj) or not os.path.exists(os.path.join(rundir, "kallsyms.txt")):
        errors.append(f"{rundir}: no cases.jsonl or kallsyms.txt (the VM failed?)")
        return [], read_env(os.path.join(rundir, "env.txt"))
    syms = Symbols(rundir, kfiles)
    env = read_env(os.path.join(rundir, "env.txt"))
    env["aead_drivers"] = aead_drivers(rundir)
    for line in open(cj):
        line = line.strip()
        if not line.startswith("{"):
            continue
        c = json.loads(line)
        w = os.path.join(rundir, "windows", f"window-{c['window']}.txt")
        if c.get("calibration"):
            env["calibration"] = calibration(w, c["loop_insns"], rundir, errors)
            continue
        if c["check"] != "ok" or c["failures"] or c["resyncs"] or c["udp_drops"]:
            errors.append(f"{rundir}: {case_name(c)}: check {c['check']}, "
                          f"{c['failures']} failures, {c['resyncs']} resyncs, "
                          f"{c['udp_drops']} drops")
            continue
        if not c["packets"] or not os.path.exists(w):
            errors.append(f"{rundir}: {case_name(c)}: no window file {w}")
            continue
        c["counts"] = classify_window(w, syms)
        cases.append(c)
    return cases, env


def per_packet(c):
    k, n = c["counts"], c["packets"]
    groups = {g: v / n for g, v in k["groups"].items()}
    total = sum(groups[g] for g in GROUP_KEYS)
    user_crypto = sum(v for o, v in k["user_objects"].items()
                      if o.startswith("libcrypto")) / n
    top = sorted(k["by_sym"].items(), key=lambda kv: -kv[1])[:25]
    # every function of the total's groups, for differences(); not written
    in_total = {f"{g}: {sym}": v / n for (g, sym), v in k["by_sym"].items()
                if g in GROUP_KEYS}
    return {
        "window": c["window"], "packets": n,
        "warmup_packets": c["warmup_packets"],
        "window_seconds": c["seconds"],
        "send_calls": c["send_calls"], "recv_calls": c["recv_calls"],
        "total": total, "groups": groups,
        "copies": sum(k["copies"].values()) / n,
        "copies_kernel": k["copies"]["kernel"] / n,
        "copies_user": k["copies"]["user"] / n,
        "copy_kinds": {kk: v / n for kk, v in k["copy_kinds"].items()},
        "spin": k["spin"] / n,
        "all": total + groups["sched"] + k["spin"] / n,
        "other_areas": {a: v / n for a, v in sorted(
            k["other_areas"].items(), key=lambda kv: -kv[1])[:12]},
        "user_libcrypto": user_crypto,
        "user_objects": {o: v / n for o, v in sorted(
            k["user_objects"].items(), key=lambda kv: -kv[1])},
        "vcpus": [v / n for v in k["vcpus"]],
        "top": [{"group": g, "symbol": s, "per_packet": v / n}
                for (g, s), v in top],
        "_in_total": in_total,
    }


def spread(vals):
    vals = [v for v in vals if v is not None]
    if len(vals) < 2:
        return None
    mean = sum(vals) / len(vals)
    return (max(vals) - min(vals)) / mean * 100 if mean else 0.0


def average(reps):
    """The field-wise mean of repeats (per_packet() dicts)."""
    n = len(reps)
    return {"total": sum(x["total"] for x in reps) / n,
            "all": sum(x["all"] for x in reps) / n,
            "copies": sum(x["copies"] for x in reps) / n,
            "copies_kernel": sum(x["copies_kernel"] for x in reps) / n,
            "copies_user": sum(x["copies_user"] for x in reps) / n,
            "copy_kinds": {k: sum(x["copy_kinds"][k] for x in reps) / n
                           for k in REP_KINDS.values()},
            "spin": sum(x["spin"] for x in reps) / n,
            "user_libcrypto": sum(x["user_libcrypto"] for x in reps) / n,
            "groups": {g: sum(x["groups"][g] for x in reps) / n
                       for g in ALL_KEYS}}


def differences(reps):
    """The functions of the total that differ most between the cheapest
    and the costliest repeat of a case."""
    reps = sorted(reps, key=lambda x: x["total"])
    lo, hi = reps[0], reps[-1]
    a, b = lo["_in_total"], hi["_in_total"]
    d = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in set(a) | set(b)),
               key=lambda x: -abs(x[0]))
    return {"cheapest": lo["total"], "costliest": hi["total"],
            "functions": [{"function": k, "per_packet": v} for v, k in d[:4]]}


def combine(per_run):
    """Cases of every repeat side by side: mean and spread."""
    keys = []
    table = {}
    for r, cases in enumerate(per_run):
        for c in cases:
            k = case_key(c)
            if k not in table:
                keys.append(k)
                table[k] = {"case": case_name(c), "kind": c["kind"],
                            "path": c["path"], "cipher": c["cipher"],
                            "size": c["size"], "batch": c["batch"],
                            "segs": c["segs"], "conns": c["conns"],
                            "spread": spread_of(c),
                            "repeats": [None] * len(per_run)}
            table[k]["repeats"][r] = per_packet(c)
    out = []
    for k in keys:
        e = table[k]
        reps = [x for x in e["repeats"] if x]
        n = len(reps)
        e["mean"] = average(reps)
        # The headline: the repeat with the median total (with an even
        # number, the two middle ones averaged), whole, so that its groups
        # add up to it; a boot that fell into a costlier state (see "where
        # repeats differ") does not move it when there are three or more
        by_total = sorted(reps, key=lambda x: x["total"])
        e["median"] = average(by_total[(n - 1) // 2:n // 2 + 1])
        e["differences"] = differences(reps)
        for x in reps:
            del x["_in_total"]
        e["spread_pct"] = {
            "total": spread([x["total"] for x in reps]),
            "all": spread([x["all"] for x in reps]),
            "copies": spread([x["copies"] for x in reps]),
            "spin": spread([x["spin"] for x in reps]),
            **{g: spread([x["groups"][g] for x in reps]) for g in ALL_KEYS}}
        out.append(e)
    return out


def fmt(v, nd=0):
    if v is None:
        return "—"
    return f"{v:,.{nd}f}"


def fmt_pct(v):
    return "—" if v is None else f"{v:.2f}%"


def table_lines(cases, kind):
    hdr = ("| batch (segs) | cipher | path | conns | **insns/pkt** | spread | "
           + " | ".join(g[1] for g in GROUPS)
           + " | of user: libcrypto | *apart:* sched | spin | REP copies + fills "
           "| all but copies | spread |")
    lines = [hdr, "| " + " | ".join(["---"] * 4 + ["---:"] * (len(GROUPS) + 8)) + " |"]
    for e in cases:
        if e["kind"] != kind:
            continue
        m, sp = e["median"], e["spread_pct"]
        cipher = "—" if e["path"] == "plain" else CIPHERS.get(e["cipher"], e["cipher"])
        row = [f"{e['batch']} ({e['segs']})", cipher, PATHS.get(e["path"], e["path"]),
               f"{e['conns']:,}" + (" per datagram" if spread_of(e) == "datagram" else ""),
               f"**{fmt(m['total'])}**", fmt_pct(sp["total"])]
        row += [fmt(m["groups"][g]) for g in GROUP_KEYS]
        row += [fmt(m["user_libcrypto"]), fmt(m["groups"]["sched"]), fmt(m["spin"]),
                f"{fmt(m['copy_kinds']['movs'])} + "
                f"{fmt(m['copy_kinds']['stos'] + m['copy_kinds']['other'])}",
                fmt(m["all"]), fmt_pct(sp["all"])]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def sort_cases(cases):
    order = {"tx": 0, "rx": 1}
    porder = {"plain": 0, "user": 1, "ulp": 2}
    return sorted(cases, key=lambda e: (order[e["kind"]], e["batch"],
                                        e["path"] != "plain", e["cipher"],
                                        porder[e["path"]], e["conns"],
                                        spread_of(e)))


def markdown(result, host, genv):
    w = []
    cases = result["cases"]
    spreads = [e["spread_pct"]["total"] for e in cases
               if e["spread_pct"]["total"] is not None]
    s64 = [e["spread_pct"]["total"] for e in cases
           if e["spread_pct"]["total"] is not None and e["batch"] == 64]
    w.append("<!-- insn-accounting: begin (scripts/bench-insn.sh writes this section; "
             "scripts/bench.sh keeps it) -->")
    w.append("## Instruction accounting: guest instructions per packet")
    w.append("")
    w.append("Regenerate this section, `bench/insn-results.json` and "
             "`bench/insn-plot.png` with one command: `scripts/bench-insn.sh` "
             f"({host.get('repeats', '?')} VM boots; {fmt(float(host.get('wall_seconds', 0)) / 60, 0)} "
             "minutes here). **These are counts, not times: exact, independent "
             "of the host's speed and load, and comparable across machines "
             "that build the same kernel.** `scripts/check-insn.sh` measures one case "
             "(Tx, AES-128-GCM, GSO 64, the ULP) in about a minute and fails when it grew by "
             "more than 3% over the figure `scripts/check-insn.sh --update` recorded in "
             "`bench/insn-check.json`.")
    w.append("")
    w.append("| | |")
    w.append("| --- | --- |")
    w.append(f"| measured | {genv.get('date_start', '?')} to {genv.get('date_end', '?')}, "
             f"repository commit `{host.get('commit', '?')}`, kernel sources as of commit "
             f"`{host.get('kernel_commit', '?')}`"
             + (" (**work tree not clean**)" if host.get("dirty", "0") != "0" else "")
             + f", kernel tree `{host.get('tree', '?')}` |")
    w.append(f"| kernel | {genv.get('kernel', '?')}, `scripts/build-kernel.sh` "
             f"(`.config` sha256 {host.get('config_sha', '?')[:12]}); "
             f"{host.get('config_notes', '')} |")
    w.append(f"| emulator | {host.get('qemu', '?')}, TCG, `-cpu max`, 2 vCPUs; plugin "
             f"`bench/insn/insn.c` built against `qemu-plugin.h` of source "
             f"{host.get('plugin_api', '?')} |")
    w.append(f"| guest CPU flags | {genv.get('flags', '?')} |")
    w.append(f"| kernel AEAD drivers | {genv.get('aead_drivers', '?')} |")
    w.append(f"| window | {host.get('packets', '?')} packets per case (whole batches), "
             f"after {host.get('warmup', '?')} packets of warm-up (at least one per "
             f"connection); {host.get('repeats', '?')} repeats, each in its own VM boot |")
    w.append(f"| wall time | {host.get('wall_seconds', '?')} s in all; VM boots "
             + ", ".join(f"{v} s" for v in host.get("vm_seconds", "?").split())
             + f"; host load {host.get('load_start', '?')} at start, "
             f"{host.get('load_end', '?')} at end; other QEMU processes at start: "
             f"{host.get('other_qemu', '?')} (the host's load changes the time; of the "
             "counts it moves sched and spin, and at small batches how many packets one "
             "softirq run or one wake-up handles) |")
    cal = [g.get("calibration") for g in result["guest"]]
    cal = [c for c in cal if c]
    if cal:
        w.append("| calibration | window 0 of each boot: a userspace loop of "
                 f"{cal[0]['expected']:,} instructions (`dec; jnz`), counted as "
                 + ", ".join(f"{c['user']:,}" for c in cal)
                 + " userspace instructions (the loop and its call glue) |")
    w.append(f"| repeat spread | (max − min) / mean of insns/pkt, over the cases: "
             f"at most {fmt_pct(max(spreads) if spreads else None)}, median "
             f"{fmt_pct(sorted(spreads)[len(spreads) // 2] if spreads else None)}; "
             f"at batch 64 at most {fmt_pct(max(s64) if s64 else None)} |")
    w.append("")
    w.append("How it counts:")
    w.append("")
    w.append("- **The plugin** (`bench/insn/insn.c`) gives every translation block an "
             "execution callback that adds one to the block's counter for the "
             "executing vCPU; instructions = executions × the block's instructions. "
             "Per-vCPU counters rather than QEMU 7.2's inline adds, which are not "
             "atomic and lose counts when both vCPUs run the same block at once.")
    w.append("- **The window** opens and closes on marker instructions (an 8-byte NOP "
             "with a magic displacement that carries a window id) that `quic_bench insn` "
             "executes: after the warm-up, with nothing in flight, the main thread opens "
             "it and lets the sender go; the receiver closes it as it reads the last "
             "packet. Exactly the window's packets are sent and received inside it "
             "(counted by the benchmark; a loss would fail the case), so "
             "**per packet = window instructions / packets**, all vCPUs (the sender's, "
             "the receiver's, their softirqs, interrupts and timer ticks: the guest is "
             "otherwise idle).")
    w.append("- **Copies apart.** Under TCG each iteration of a REP string instruction "
             "re-enters a one-instruction block that starts at it, so `rep movsb` counts "
             "one instruction per byte. Blocks starting with a REP string instruction "
             "are flagged at translation and counted as **copies** (REP MOVS, and REP "
             "STOS fills), not in the total; the copy routines' other instructions are "
             "in the total.")
    w.append("- **Spinning apart.** The contended-lock slow paths (kernel/locking/qspinlock.c, "
             "qrwlock.c) and any other block holding a PAUSE (`cpu_relax()`, the body of "
             "every kernel spin-wait loop) are reported as **spin**, not in the total: "
             "how long a vCPU spins depends on how long the other one holds the lock, "
             "i.e. on when the host deschedules that vCPU's thread, not on the code "
             "(on this busy 2-core host it went from nothing to 3,000 instructions per "
             "packet between two boots of the same case).")
    w.append("- **Groups**, by the function each block starts in (guest `/proc/kallsyms`; "
             "a kernel function's group is that of the object file defining it, from "
             "`nm` on the build), first match wins:")
    w.append("")
    for key, label, desc in GROUPS:
        w.append(f"  - **{label}**: {desc}.")
    w.append(f"  - *apart from the total:* **{SCHED[1]}**: {SCHED[2]}. How often a "
             "thread sleeps and is woken per packet depends on the relative speed of "
             "the two vCPUs, which the host's load decides here; it is most of what "
             "differs between repeats at batch 1. It is a real cost of each path "
             "(a receiver that waits for every packet pays a wake-up per packet), "
             "so \"all but copies\" keeps it: that figure compares with the "
             "issue's trial figures.")
    w.append("")
    w.append("  **Header protection versus AEAD** is decided by the caller, not the "
             "symbol, because the same library code serves both (the ChaCha20 AEAD "
             "computes its Poly1305 key with the same block function as header "
             "protection). The plugin keeps a per-vCPU context: a block in "
             "`quic_ulp_hp_mask()` or `quic_ulp_hp_masks()` (or their helpers) sets "
             "it to \"HP\", a block in any other quic "
             "function resets it, and crypto code counts as HP while the context is "
             "HP. An interrupt that runs quic code in the middle of header "
             "protection (Rx softirq on the receiving CPU) would reset it early; "
             "that can only move instructions from HP to AEAD.")
    w.append("- **Instructions are not cycles.** An emulated AES-NI, PCLMULQDQ or AVX2 "
             "instruction counts one, like a `mov`: the AES-GCM AEAD (VAES, VPCLMULQDQ) "
             "executes a third of ChaCha20-Poly1305's instructions but is not three times "
             "faster on hardware. Compare paths group by group, and the same group across "
             "kernels; the counts say how much code each packet goes through.")
    w.append("- The timing benchmark's topology (`quic_bench`: sender on CPU 0, receiver "
             "on CPU 1, veth between two namespaces, credit window) is unchanged; Tx "
             "measures protect-and-send plus a plain `recv()` sink, Rx a plain sender "
             "replaying pre-protected packets plus receive-and-unprotect.")
    w.append("")
    for kind, title in (("tx", "Tx: protect and send"), ("rx", "Rx: receive and unprotect")):
        w.append(f"### {title} (1200-byte packets; instructions per packet, all vCPUs)")
        w.append("")
        w.extend(table_lines(cases, kind))
        w.append("")
    w.append("insns/pkt = the sum of AEAD to other; sched, spin and REP copies (MOVS) + "
             "fills (STOS) are apart; all but copies = insns/pkt + sched + spin. "
             "\"of user: libcrypto\" is the part of "
             "\"user\" in OpenSSL's libcrypto (quic_bench's own `/proc/self/maps`). "
             "Repeat spread: (max − min) / mean of the totals of the repeats. "
             "Every figure is that of the median repeat (by insns/pkt; with two repeats "
             "their mean); `bench/insn-results.json` has each repeat and the means.")
    w.append("")
    diff = [e for e in cases if (e["spread_pct"]["total"] or 0) > 3 and
            e["differences"]["costliest"] - e["differences"]["cheapest"] > 50]
    if diff:
        w.append("### Where repeats differ (insns/pkt spread over 3% and 50 instructions)")
        w.append("")
        w.append("The functions of insns/pkt whose count differs most between the cheapest "
                 "and the costliest repeat. Softirq and stack functions differ with how "
                 "many packets one softirq run or one wake-up handles, which the vCPUs' "
                 "relative speed decides.")
        if any("new_slab" in f["function"] for e in diff
               for f in e["differences"]["functions"]):
            w.append("`new_slab` is SLUB building a fresh slab: in some boots it does so "
                     "for one of the ULP's per-packet allocations all along the window, in "
                     "others never, depending on the allocator's state in that boot.")
        w.append("")
        w.append("| case | insns/pkt, cheapest – costliest repeat | largest differences (group: function, per packet) |")
        w.append("| --- | ---: | --- |")
        for e in diff:
            d = e["differences"]
            w.append(f"| {e['case']} | {fmt(d['cheapest'])} – {fmt(d['costliest'])} | "
                     + "; ".join(f"`{f['function']}` {f['per_packet']:+,.0f}"
                                 for f in d["functions"]) + " |")
        w.append("")
    w.append("### Beyond the crypto (instructions per packet, from the tables above)")
    w.append("")
    w.append("What each protected path adds to plain UDP, and what is left of that once its "
             "own crypto is taken out: for the user path OpenSSL's libcrypto, for the ULP "
             "its AEAD and header protection. The last two columns are the cost of "
             "10,000 connections over one: with the next packet for the next connection "
             "(a lookup per packet, and every run of packets one long), and with a "
             "connection per datagram, as a peer's packets arrive and leave (one of "
             f"{DGRAM_CONNS} connections spread over the 10,000 in turn: the first packet "
             "of each datagram is looked up in the full table).")
    w.append("")
    w.append("| dir | cipher | batch | plain | user − plain | ulp − plain "
             "| user − plain − libcrypto | ulp − plain − AEAD − HP | ulp 10k − ulp "
             "| ulp 10k per datagram − ulp |")
    w.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for d in result["derived"]:
        w.append(f"| {d['kind']} | {CIPHERS.get(d['cipher'], d['cipher'])} | {d['batch']} "
                 f"| {fmt(d['plain'])} | {fmt(d['user_over_plain'])} "
                 f"| {fmt(d['ulp_over_plain'])} | {fmt(d['user_beyond_crypto'])} "
                 f"| {fmt(d['ulp_beyond_crypto'])} | {fmt(d['conns_10k_over_1'])} "
                 f"| {fmt(d.get('conns_10k_dgram_over_1'))} |")
    w.append("")
    w.append("### Against the issue's targets")
    w.append("")
    w.append("Issue 22's targets, from the tables above (totals, copies and scheduling "
             "apart): the ULP at or below the userspace path at batch 1 and with "
             "ChaCha20-Poly1305; at batch 64 with AES-128-GCM, no more than plain UDP + "
             "the AEAD core + 500, the core being the AES-GCM assembly alone "
             "(`aes_gcm_*_aesni*`), without the crypto API's request and scatterlist "
             "walk around it; 10,000 connections within 2% of one.")
    w.append("")
    w.extend(target_lines(cases))
    w.append("")
    w.append("![Guest instructions per packet by batch](bench/insn-plot.png)")
    w.append("")
    for e in cases:
        if not (e["path"] == "ulp" and e["conns"] == 1 and e["batch"] in (1, 64)
                and e["cipher"].startswith("AES")):
            continue
        rep = next(x for x in e["repeats"] if x)
        w.append(f"<details><summary>{e['case']}: top functions (repeat 1)</summary>")
        w.append("")
        w.append("| insns/pkt | group | function |")
        w.append("| ---: | --- | --- |")
        for t in rep["top"][:20]:
            w.append(f"| {fmt(t['per_packet'], 1)} | {t['group']} | `{t['symbol']}` |")
        w.append("")
        w.append("</details>")
        w.append("")
    w.append("Raw data: `bench/insn-results.json` (every repeat: groups, copies by kind "
             "and by kernel/user, per vCPU, userspace by object, the top 25 functions).")
    w.append("<!-- insn-accounting: end -->")
    return "\n".join(w) + "\n"


BEGIN_RE = re.compile(r"^<!-- insn-accounting: begin.*?-->$", re.M)
END_MARK = "<!-- insn-accounting: end -->"


def replace_section(path, section):
    old = open(path).read() if os.path.exists(path) else ""
    m = BEGIN_RE.search(old)
    e = old.find(END_MARK)
    if m and e > m.start():
        new = old[:m.start()] + section.rstrip("\n") + old[e + len(END_MARK):]
    else:
        new = old.rstrip("\n") + ("\n\n" if old else "") + section
    with open(path, "w") as f:
        f.write(new if new.endswith("\n") else new + "\n")


AEAD_CORE_RE = re.compile(r"^(aes_gcm_\w*aesni\w*|chacha_\w*block\w*|chacha_permute|"
                          r"__?poly1305\w*|poly1305_blocks\w*)$")


def aead_core(case):
    """The AEAD's own code in the median repeat (the AES-GCM or ChaCha20
    and Poly1305 assembly, from the top functions), without the crypto
    API's request and scatterlist walk around it."""
    reps = sorted((x for x in case["repeats"] if x), key=lambda x: x["total"])
    rep = reps[len(reps) // 2]
    return sum(t["per_packet"] for t in rep["top"]
               if t["group"] == "aead" and AEAD_CORE_RE.match(t["symbol"].split()[0]))


def target_lines(cases):
    """Issue 22's targets, row by row: at or below userspace at batch 1 and
    with ChaCha20-Poly1305; plain UDP + AEAD core + 500 at batch 64 with
    AES-128-GCM; 10,000 connections within 2% of one."""
    def get(kind, path_, cipher, batch, conns=1, spread="packet"):
        for e in cases:
            if (e["kind"], e["path"], e["batch"], e["conns"]) == (kind, path_, batch, conns) \
                    and spread_of(e) == spread \
                    and (path_ == "plain" or e["cipher"] == cipher):
                return e
        return None

    def over(a, b):
        return f"{(a / b - 1) * 100:+.1f}%" if a and b else "—"

    lines = ["| case | plain UDP | userspace | ULP | ULP / userspace "
             "| plain + AEAD core + 500 | 10,000 connections / 1: per packet "
             "| per datagram |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for kind in ("tx", "rx"):
        for cipher in CIPHERS:
            for batch in (1, 16, 64):
                a = get(kind, "plain", cipher, batch)
                b, c = get(kind, "user", cipher, batch), get(kind, "ulp", cipher, batch)
                if not (b and c):
                    continue
                t10 = get(kind, "ulp", cipher, batch, 10000)
                t10d = get(kind, "ulp", cipher, batch, 10000, "datagram")
                tot = c["median"]["total"]
                bound = "—"
                if a and CIPHERS[cipher] == "AES" and batch == 64:
                    lim = a["median"]["total"] + aead_core(c) + 500
                    bound = f"{fmt(lim)} ({'met' if tot <= lim else 'not met'})"
                lines.append(
                    f"| {kind.capitalize()} {cipher}, batch {batch} "
                    f"| {fmt(a['median']['total']) if a else '—'} "
                    f"| {fmt(b['median']['total'])} | {fmt(tot)} "
                    f"| {tot / b['median']['total']:.2f}× | {bound} "
                    f"| {over(t10 and t10['median']['total'], tot)} "
                    f"| {over(t10d and t10d['median']['total'], tot)} |")
    return lines


def plotdata(cases, path):
    """Four blocks (tx AES, rx AES, tx ChaCha, rx ChaCha) for a rowstacked
    histogram: one row per path and batch, the groups as columns, an empty
    row between batches."""
    def get(kind, path_, cipher, batch, conns):
        for e in cases:
            if (e["kind"], e["path"], e["batch"], e["conns"]) == (kind, path_, batch, conns) \
                    and spread_of(e) == "packet" \
                    and (path_ == "plain" or e["cipher"] == cipher):
                return e
        return None
    with open(path, "w") as f:
        for cipher in CIPHERS:
            for kind in ("tx", "rx"):
                f.write(f"# {kind} {cipher}\nbar " + " ".join(
                    f'"{g[1]}"' for g in GROUPS) + "\n")
                for batch in (1, 16, 64):
                    for p, conns, label in (("plain", 1, "plain"), ("user", 1, "user"),
                                            ("ulp", 1, "ulp"), ("ulp", 10000, "ulp 10k")):
                        e = get(kind, p, cipher, batch, conns)
                        vals = [f"{e['median']['groups'][g]:.1f}" if e else "0"
                                for g in GROUP_KEYS]
                        f.write(f'"{batch}: {label}" {" ".join(vals)}\n')
                    if batch != 64:
                        f.write('"" ' + " ".join("0" for _ in GROUP_KEYS) + "\n")
                f.write("\n\n")


def derive(cases):
    """Per direction, cipher and batch: what the paths add to plain UDP,
    with and without their crypto (the headline figures, means)."""
    def get(kind, path_, cipher, batch, conns=1, spread="packet"):
        for e in cases:
            if (e["kind"], e["path"], e["batch"], e["conns"]) == (kind, path_, batch, conns) \
                    and spread_of(e) == spread \
                    and (path_ == "plain" or e["cipher"] == cipher):
                return e["median"]
        return None
    out = []
    for kind in ("tx", "rx"):
        for cipher in CIPHERS:
            for batch in (1, 16, 64):
                a, b = get(kind, "plain", cipher, batch), get(kind, "user", cipher, batch)
                c, c10 = get(kind, "ulp", cipher, batch), get(kind, "ulp", cipher, batch, 10000)
                c10d = get(kind, "ulp", cipher, batch, 10000, "datagram")
                if not (a and b and c):
                    continue
                out.append({
                    "kind": kind, "cipher": cipher, "batch": batch, "plain": a["total"],
                    "user_over_plain": b["total"] - a["total"],
                    "ulp_over_plain": c["total"] - a["total"],
                    "user_beyond_crypto": b["total"] - a["total"] - b["user_libcrypto"],
                    "ulp_beyond_crypto": c["total"] - a["total"] - c["groups"]["aead"]
                    - c["groups"]["hp"],
                    "conns_10k_over_1": c10["total"] - c["total"] if c10 else None,
                    "conns_10k_dgram_over_1": c10d["total"] - c["total"] if c10d else None})
    return out


def pct(v):
    return "—" if v is None else f"{v:.1f}%"


def print_tables(cases):
    for kind in ("tx", "rx"):
        if not any(e["kind"] == kind for e in cases):
            continue
        print(f"\n{kind.upper()}: instructions per packet, all vCPUs; total = the groups "
              "up to other; sched, spin, copies apart; all = all but copies")
        print(f"{'case':28} {'total':>7} {'spread':>6} "
              + " ".join(f"{g[1]:>6}" for g in GROUPS)
              + f" | {'sched':>5} {'spin':>5} {'copies':>6} {'all':>6} {'spread':>6}")
        for e in cases:
            if e["kind"] != kind:
                continue
            m = e["median"]
            sp = e["spread_pct"]["total"]
            sa = e["spread_pct"]["all"]
            print(f"{e['case']:28} {m['total']:7.0f} {pct(sp):>6} "
                  + " ".join(f"{m['groups'][g]:6.0f}" for g in GROUP_KEYS)
                  + f" | {m['groups']['sched']:5.0f} {m['spin']:5.0f} {m['copies']:6.0f}"
                  + f" {m['all']:6.0f} {pct(sa):>6}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obj")
    ap.add_argument("--host")
    ap.add_argument("--summary")
    ap.add_argument("--plotdata")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--from-json", help="render --md and --plotdata from "
                    "a results file instead of measuring runs")
    ap.add_argument("runs", nargs="*")
    a = ap.parse_args()

    if a.from_json:
        result = json.load(open(a.from_json))
        genvs = result["guest"]
        genv = dict(genvs[0]) if genvs else {}
        if genvs and genvs[-1].get("date_end"):
            genv["date_end"] = genvs[-1]["date_end"]
        if a.plotdata:
            plotdata(result["cases"], a.plotdata)
        if a.md:
            replace_section(a.md, markdown(result, result["host"], genv))
        print_tables(result["cases"])
        return
    if not (a.obj and a.host and a.summary and a.plotdata and a.runs):
        ap.error("--obj, --host, --summary, --plotdata and RUNDIR... are needed")

    kfiles = KernelFiles(a.obj)
    errors = []
    per_run, genvs = [], []
    for r in a.runs:
        cases, genv = load_run(r, kfiles, errors)
        per_run.append(cases)
        genvs.append(genv)
    host = read_env(a.host)
    cases = sort_cases(combine(per_run))
    genv = dict(genvs[0]) if genvs else {}
    if genvs and genvs[-1].get("date_end"):
        genv["date_end"] = genvs[-1]["date_end"]
    if not cases:
        for e in errors:
            print(f"error: {e}", file=sys.stderr)
        sys.exit("report: no case was measured; nothing written")
    result = {"host": host, "guest": genvs, "errors": errors,
              "groups": {k: {"label": l, "contains": d} for k, l, d in GROUPS + [SCHED]},
              "cases": cases, "derived": derive(cases)}
    with open(a.summary, "w") as f:
        json.dump(result, f, indent=1, sort_keys=True)
        f.write("\n")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
    plotdata(cases, a.plotdata)
    if a.md:
        replace_section(a.md, markdown(result, host, genv))
    print_tables(cases)
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    # 3: written, but something failed; anything else: nothing was written
    sys.exit(3 if errors else 0)


if __name__ == "__main__":
    main()
