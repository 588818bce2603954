#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Instruction accounting report (scripts/bench-insn.sh).

  report.py --obj OBJ --host HOST_ENV --summary FILE --plotdata FILE
            [--json FILE] [--md BENCHMARKS.md] RUNDIR...

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
     "header protection: the module's quic_hp_mask() and quic_hp_apply(), "
     "and crypto library code (aes_encrypt(), chacha20_block(), ...) run "
     "while the last quic function the vCPU was in is quic_hp_mask()"),
    ("ulp", "ULP",
     "the rest of the quic module (quic.ko) and the UDP ULP framework "
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
     "the rest of the kernel: system call entry and exit, scheduler, "
     "futex, timers and interrupts, RCU, copy routines apart from their "
     "REP iterations, iov_iter, FPU state, 9p"),
]
GROUP_KEYS = [g[0] for g in GROUPS]

CRYPTO_DIRS = ("crypto/", "arch/x86/crypto/", "lib/crypto/")
ALLOC_FILES = ("mm/slub.o", "mm/slab_common.o", "mm/page_alloc.o",
               "mm/mempool.o", "mm/util.o", "mm/vmalloc.o", "mm/percpu.o")
STACK_DIRS = ("net/", "drivers/net/")
STACK_FILES = ("arch/x86/lib/csum-partial_64.o", "arch/x86/lib/csum-copy_64.o",
               "arch/x86/lib/csum-wrappers_64.o", "lib/checksum.o")
ULP_FILES = ("net/ipv4/udp_ulp.o",)
HP_FUNCS = ("quic_hp_mask", "quic_hp_apply")
REP_KINDS = {1: "movs", 2: "stos", 3: "other"}

PATHS = {"plain": "(a) plain UDP", "user": "(b) user", "ulp": "(c) ulp"}
CIPHERS = {"AES-128-GCM": "AES", "ChaCha20-Poly1305": "ChaCha"}


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
            if mod == "quic":
                g = "hp" if name in HP_FUNCS else "ulp"
            elif mod:
                g = "other"
            else:
                g = file_group(self.kfiles.of(name))
            self.cache[key] = g
        return (name, mod, self.cache[key])


def classify_window(path, syms):
    """Instructions per group, per vCPU, per symbol, copies by kind."""
    groups = dict.fromkeys(GROUP_KEYS, 0)
    copies = {"kernel": 0, "user": 0}
    copy_kinds = dict.fromkeys(REP_KINDS.values(), 0)
    vcpus = []
    by_sym = {}
    by_user_obj = {}
    ctx_hp_crypto = 0
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
            if flags:
                copies["user" if user else "kernel"] += n
                copy_kinds[REP_KINDS.get(flags, "other")] += n
                if not user:
                    name = syms.kernel(vaddr)[0]
                    by_sym[("copies", name)] = by_sym.get(("copies", name), 0) + n
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
                if g == "crypto":
                    g = "hp" if ctx == 1 else "aead"
                    if ctx == 1:
                        ctx_hp_crypto += n
            groups[g] += n
            by_sym[(g, name)] = by_sym.get((g, name), 0) + n
    return {"groups": groups, "copies": copies, "copy_kinds": copy_kinds,
            "vcpus": vcpus, "by_sym": by_sym, "user_objects": by_user_obj}


def case_key(c):
    return (c["kind"], c["path"], c["cipher"], c["size"], c["batch"], c["conns"])


def case_name(c):
    name = f"{c['kind']}:{c['path']}:{c['size']}:{c['batch']}"
    if c["path"] != "plain":
        name += ":" + ("aes" if c["cipher"].startswith("AES") else "chacha")
    else:
        name += ":aes"
    if c["conns"] != 1:
        name += f":{c['conns']}"
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


def load_run(rundir, kfiles, errors):
    syms = Symbols(rundir, kfiles)
    cases = []
    cj = os.path.join(rundir, "cases.jsonl")
    if not os.path.exists(cj):
        errors.append(f"{rundir}: no cases.jsonl")
        return [], read_env(os.path.join(rundir, "env.txt"))
    env = read_env(os.path.join(rundir, "env.txt"))
    env["aead_drivers"] = aead_drivers(rundir)
    for line in open(cj):
        line = line.strip()
        if not line.startswith("{"):
            continue
        c = json.loads(line)
        w = os.path.join(rundir, "windows", f"window-{c['window']}.txt")
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
    total = sum(groups.values())
    user_crypto = sum(v for o, v in k["user_objects"].items()
                      if o.startswith("libcrypto")) / n
    top = sorted(k["by_sym"].items(), key=lambda kv: -kv[1])[:25]
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
        "user_libcrypto": user_crypto,
        "user_objects": {o: v / n for o, v in sorted(
            k["user_objects"].items(), key=lambda kv: -kv[1])},
        "vcpus": [v / n for v in k["vcpus"]],
        "top": [{"group": g, "symbol": s, "per_packet": v / n}
                for (g, s), v in top],
    }


def spread(vals):
    vals = [v for v in vals if v is not None]
    if len(vals) < 2:
        return None
    mean = sum(vals) / len(vals)
    return (max(vals) - min(vals)) / mean * 100 if mean else 0.0


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
                            "repeats": [None] * len(per_run)}
            table[k]["repeats"][r] = per_packet(c)
    out = []
    for k in keys:
        e = table[k]
        reps = [x for x in e["repeats"] if x]
        n = len(reps)
        mean = {"total": sum(x["total"] for x in reps) / n,
                "copies": sum(x["copies"] for x in reps) / n,
                "copies_kernel": sum(x["copies_kernel"] for x in reps) / n,
                "copies_user": sum(x["copies_user"] for x in reps) / n,
                "copy_kinds": {k: sum(x["copy_kinds"][k] for x in reps) / n
                               for k in REP_KINDS.values()},
                "user_libcrypto": sum(x["user_libcrypto"] for x in reps) / n,
                "groups": {g: sum(x["groups"][g] for x in reps) / n
                           for g in GROUP_KEYS}}
        e["mean"] = mean
        e["spread_pct"] = {
            "total": spread([x["total"] for x in reps]),
            "copies": spread([x["copies"] for x in reps]),
            **{g: spread([x["groups"][g] for x in reps]) for g in GROUP_KEYS}}
        out.append(e)
    return out


def fmt(v, nd=0):
    if v is None:
        return "—"
    return f"{v:,.{nd}f}"


def fmt_pct(v):
    return "—" if v is None else f"{v:.2f}%"


def table_lines(cases, kind):
    hdr = ("| batch (segs) | cipher | path | conns | **insns/pkt** | REP copies + fills | "
           + " | ".join(g[1] for g in GROUPS) + " | of user: libcrypto | repeat spread |")
    lines = [hdr, "| " + " | ".join(["---"] * 4 + ["---:"] * (len(GROUPS) + 4)) + " |"]
    for e in cases:
        if e["kind"] != kind:
            continue
        m = e["mean"]
        cipher = "—" if e["path"] == "plain" else CIPHERS.get(e["cipher"], e["cipher"])
        row = [f"{e['batch']} ({e['segs']})", cipher, PATHS.get(e["path"], e["path"]),
               f"{e['conns']:,}", f"**{fmt(m['total'])}**",
               f"{fmt(m['copy_kinds']['movs'])} + {fmt(m['copy_kinds']['stos'] + m['copy_kinds']['other'])}"]
        row += [fmt(m["groups"][g]) for g in GROUP_KEYS]
        row += [fmt(m["user_libcrypto"]), fmt_pct(e["spread_pct"]["total"])]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def sort_cases(cases):
    order = {"tx": 0, "rx": 1}
    porder = {"plain": 0, "user": 1, "ulp": 2}
    return sorted(cases, key=lambda e: (order[e["kind"]], e["batch"],
                                        e["path"] != "plain", e["cipher"],
                                        porder[e["path"]], e["conns"]))


def markdown(result, host, genv):
    w = []
    cases = result["cases"]
    spreads = [e["spread_pct"]["total"] for e in cases
               if e["spread_pct"]["total"] is not None]
    w.append("<!-- insn-accounting: begin (scripts/bench-insn.sh writes this section; "
             "scripts/bench.sh keeps it) -->")
    w.append("## Instruction accounting: guest instructions per packet")
    w.append("")
    w.append("Regenerate this section, `bench/insn-results.json` and "
             "`bench/insn-plot.png` with one command: `scripts/bench-insn.sh` "
             f"({host.get('repeats', '?')} VM boots; {fmt(float(host.get('wall_seconds', 0)) / 60, 0)} "
             "minutes here). **These are counts, not times: exact, independent "
             "of the host's speed and load, and comparable across machines "
             "that build the same kernel.**")
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
             f"{host.get('vm_seconds', '?')} s; host load {host.get('load_start', '?')} "
             f"at start, {host.get('load_end', '?')} at end |")
    w.append(f"| repeat spread | (max − min) / mean of the total, over the cases: "
             f"at most {fmt_pct(max(spreads) if spreads else None)}, median "
             f"{fmt_pct(sorted(spreads)[len(spreads) // 2] if spreads else None)} |")
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
    w.append("- **Groups**, by the function each block starts in (guest `/proc/kallsyms`; "
             "a kernel function's group is that of the object file defining it, from "
             "`nm` on the build), first match wins:")
    w.append("")
    for key, label, desc in GROUPS:
        w.append(f"  - **{label}**: {desc}.")
    w.append("")
    w.append("  **Header protection versus AEAD** is decided by the caller, not the "
             "symbol, because the same library code serves both (the ChaCha20 AEAD "
             "computes its Poly1305 key with the same block function as header "
             "protection). The plugin keeps a per-vCPU context: a block in "
             "`quic_hp_mask()` sets it to \"HP\", a block in any other quic "
             "function resets it, and crypto code counts as HP while the context is "
             "HP. An interrupt that runs quic code in the middle of header "
             "protection (Rx softirq on the receiving CPU) would reset it early; "
             "that can only move instructions from HP to AEAD.")
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
    w.append("Total = every group but copies. \"of user: libcrypto\" is the part of "
             "\"user\" in OpenSSL's libcrypto (quic_bench's own `/proc/self/maps`). "
             "Repeat spread: (max − min) / mean of the totals of the repeats.")
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


def plotdata(cases, path):
    """Four blocks (tx AES, tx ChaCha, rx AES, rx ChaCha): per batch the
    total per packet of plain, user, ulp, ulp 10k, and the ULP's copies."""
    def get(kind, path_, cipher, batch, conns=1):
        for e in cases:
            if (e["kind"], e["path"], e["batch"], e["conns"]) == (kind, path_, batch, conns) \
                    and (path_ == "plain" or e["cipher"] == cipher):
                return e
        return None
    with open(path, "w") as f:
        for kind in ("tx", "rx"):
            for cipher in CIPHERS:
                f.write(f"# {kind} {cipher}\nbatch plain user ulp ulp10k ulpcopies\n")
                for batch in (1, 16, 64):
                    vals = []
                    for p, conns in (("plain", 1), ("user", 1), ("ulp", 1), ("ulp", 10000)):
                        e = get(kind, p, cipher, batch, conns)
                        vals.append(f"{e['mean']['total']:.1f}" if e else "NaN")
                    e = get(kind, "ulp", cipher, batch)
                    vals.append(f"{e['mean']['copies']:.1f}" if e else "NaN")
                    f.write(f"{batch} {' '.join(vals)}\n")
                f.write("\n\n")


def print_tables(cases):
    for kind in ("tx", "rx"):
        print(f"\n{kind.upper()}: instructions per packet (copies apart), all vCPUs")
        print(f"{'case':34} {'total':>9} {'copies':>8} "
              + " ".join(f"{g[1]:>8}" for g in GROUPS) + f" {'spread':>7}")
        for e in cases:
            if e["kind"] != kind:
                continue
            m = e["mean"]
            sp = e["spread_pct"]["total"]
            print(f"{e['case']:34} {m['total']:9.0f} {m['copies']:8.0f} "
                  + " ".join(f"{m['groups'][g]:8.0f}" for g in GROUP_KEYS)
                  + f" {('%.2f%%' % sp) if sp is not None else '—':>7}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--obj", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--plotdata", required=True)
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("runs", nargs="+")
    a = ap.parse_args()

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
    result = {"host": host, "guest": genvs, "errors": errors,
              "groups": {k: {"label": l, "contains": d} for k, l, d in GROUPS},
              "cases": cases}
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
    if not cases:
        sys.exit("report: no case was measured")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
