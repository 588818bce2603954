#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one bench run (bench/guest.sh's output plus the host's notes) into
BENCHMARKS.md, bench/results.json and the gnuplot data of bench/plot.gp.

    report.py RUNDIR HOSTENV OUT_MD OUT_JSON PLOTDATA

Every figure comes from RUNDIR; nothing is assumed. Ratios are c/b and
c/a as the issue defines them; targets are reported, never asserted.
"""
import json
import os
import sys

TARGET_CPU = 0.85       # offload CPU/GB at most this times userspace's
TARGET_TPUT = 1.15      # offload throughput at least this times userspace's
TARGET_OVERHEAD = 1.10  # offload cost over plain UDP at most this times raw AEAD
CIPHERS = ["AES-128-GCM", "ChaCha20-Poly1305"]
SIZES = [1200, 1452]
BATCHES = [1, 16, 64]
IDLE_SYMS = ("__cpuidle_text_start", "default_idle", "pv_native_safe_halt",
             "cpu_idle_poll", "native_safe_halt")


def jsonl(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def kv(path):
    d = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    d[k] = v
    return d


def fmt(v, nd=2):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.{nd}f}"


def ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def find(cases, **kw):
    for c in cases:
        if all(c.get(k) == v for k, v in kw.items()):
            return c
    return None


KCRYPTO = ("aes", "gcm", "ghash", "chacha", "poly1305", "crypto_", "gf128",
           "clmul", "scatterwalk", "skcipher", "aead")


def perf_category(dso, sym):
    if sym in IDLE_SYMS:
        return "idle"
    if dso == "[quic]":
        return "quic ULP module (its own code)"
    if dso.startswith("["):
        if any(k in sym for k in KCRYPTO):
            return "kernel crypto (AEAD, GHASH, AES, ChaCha20, Poly1305)"
        return "kernel, other (network stack, copies, scheduler, ...)"
    if "libcrypto" in dso:
        return "OpenSSL libcrypto"
    return "userspace, other"


def perf_top(path, n=12):
    """Top symbols and categories of a perf report, idle loop left out."""
    rows = []
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or not parts[0].endswith("%"):
                continue
            pct = float(parts[0][:-1])
            dso = parts[1]
            sym = " ".join(parts[3:]) if parts[2] in ("[k]", "[.]") else " ".join(parts[2:])
            rows.append((pct, dso, sym))
    idle = sum(p for p, d, s in rows if perf_category(d, s) == "idle")
    busy = 100.0 - idle
    share = (lambda p: round(100 * p / busy, 1)) if busy > 0 else (lambda p: None)
    cats = {}
    for p, d, s in rows:
        c = perf_category(d, s)
        if c != "idle":
            cats[c] = cats.get(c, 0) + p
    listed = sum(cats.values())
    cats["below 0.01% each (not classified)"] = max(busy - listed, 0)
    top = [(p, d, s) for p, d, s in rows if perf_category(d, s) != "idle"][:n]
    return {"idle_pct": idle,
            "categories": {k: share(v) for k, v in sorted(cats.items(), key=lambda x: -x[1])},
            "top": [{"pct_of_busy": share(p), "dso": d, "sym": s} for p, d, s in top]}


class Report:
    def __init__(self, rundir, hostenv):
        self.rundir = rundir
        self.host = kv(hostenv)
        self.env = kv(os.path.join(rundir, "env.txt"))
        self.status = {}
        for line in open(os.path.join(rundir, "status")) if os.path.exists(
                os.path.join(rundir, "status")) else []:
            p = line.split()
            if len(p) == 2:
                self.status[p[0]] = int(p[1])
        self.kraw = jsonl(os.path.join(rundir, "raw_kernel.jsonl"))
        self.uraw = jsonl(os.path.join(rundir, "raw_openssl.jsonl"))
        self.cases = jsonl(os.path.join(rundir, "cases.jsonl"))
        self.scale = jsonl(os.path.join(rundir, "scale.jsonl"))
        self.e2e = jsonl(os.path.join(rundir, "e2e.jsonl"))
        self.perf = {}
        for name in sorted(os.listdir(rundir)):
            if name.startswith("perf-") and name.endswith(".txt"):
                self.perf[name[5:-4]] = perf_top(os.path.join(rundir, name))
        self.lines = []
        self.derived = {"ratios": [], "targets": [], "beyond_crypto": []}

    # --- helpers -----------------------------------------------------------
    def w(self, s=""):
        self.lines.append(s)

    def case(self, kind, path, cipher, size, batch):
        if path == "plain":
            cipher = "none"
        return find(self.cases, kind=kind, path=path, cipher=cipher,
                    size=size, batch=batch, conns=1)

    def raw(self, table, cipher, size):
        return find(table, cipher=cipher, size=size)

    def crypto_ns(self, table, cipher, size, kind):
        r = self.raw(table, cipher, size)
        if not r or "error" in r:
            return None
        return r["seal_ns" if kind == "tx" else "open_ns"] + r["hp_ns"]

    # --- sections ----------------------------------------------------------
    def header(self):
        h, e = self.host, self.env
        accel = h.get("accel", "?")
        self.w("# Benchmarks: the quic ULP against userspace crypto and plain UDP")
        self.w()
        self.w("Regenerate everything here (this file, `bench/results.json`, "
               "`bench/plot.png`) with one command, one VM boot: `scripts/bench.sh`; "
               "the last section, instruction accounting (exact instruction counts "
               "per packet, no timing), with `scripts/bench-insn.sh`.")
        self.w()
        self.w("**Absolute figures mean nothing across machines; only ratios "
               "within one run carry over, and under emulation only some of "
               "them do (see \"Reading these numbers\").**")
        self.w()
        self.w("## Environment of this run")
        self.w()
        self.w("| | |")
        self.w("| --- | --- |")
        self.w(f"| date (UTC) | {e.get('date_start', '?')} to {e.get('date_end', '?')} |")
        self.w(f"| wall time of `scripts/bench.sh` | {h.get('wall_seconds', '?')} s "
               f"(VM {h.get('vm_seconds', '?')} s) |")
        self.w(f"| CPU virtualisation | **{accel}**"
               + (" (QEMU TCG: every instruction emulated, `-cpu max`)" if accel == "tcg" else "")
               + " |")
        self.w(f"| guest CPU | {e.get('model', '?')}, {e.get('cpus', '?')} vCPUs; "
               f"crypto flags: {e.get('flags', '?').strip()} |")
        self.w(f"| host CPU | {h.get('host_model', '?')}, {h.get('host_cpus', '?')} CPUs; "
               f"crypto flags: {h.get('host_flags', '?').strip()} |")
        self.w(f"| host load (1-min average) | {h.get('load_start', '?')} at start, "
               f"max {h.get('load_max', '?')} during, {h.get('load_end', '?')} at end; "
               f"other QEMU processes at start: {h.get('other_qemu', '?')} |")
        self.w(f"| kernel | {e.get('kernel', '?')}, config: {h.get('config_source', '?')} "
               f"(`.config` sha256 {h.get('config_sha', '?')[:12]}); {h.get('config_notes', '')} |")
        drivers = sorted({f"{r['cipher']}: `{r.get('driver', '?')}` (request {r.get('reqsize', '?')} B)"
                          for r in self.kraw if "driver" in r})
        hpdrv = sorted({r.get("hp_cipher_driver") for r in self.kraw
                        if r.get("hp_cipher_driver") not in (None, "none")})
        self.w(f"| kernel crypto drivers | {'; '.join(drivers) or '—'}; header protection: "
               f"AES library `aes_encrypt()` / `chacha20_block()` (crypto API AES for "
               f"comparison: {', '.join(hpdrv) or '—'}) |")
        self.w(f"| userspace crypto | {h.get('openssl', '?')} (through "
               "`tools/testing/selftests/net/quic/quic_ref.c`, contexts reused per packet) |")
        self.w(f"| perf in the guest | {e.get('perf', 'none')} (software `cpu-clock` "
               "sampling: there is no PMU under TCG) |")
        bad = [k for k, v in self.status.items() if v]
        self.w(f"| stages that failed | {', '.join(bad) if bad else 'none'} |")
        self.w()

    def method(self):
        self.w("## What each number includes")
        self.w()
        self.w("""- **Topology.** One process, two network namespaces joined by veth
  (`quic_common.c`). The sending thread is pinned to CPU 0, the receiving
  thread to CPU 1, and RPS steers the receiving veth's softirq to CPU 1, so
  each side's kernel work lands on its own CPU as it would on a host whose
  NIC interrupts the receiving CPU. A credit window (256 packets, futex)
  keeps the sender from outrunning the receiver: no CPU time goes into
  packets that are dropped (drops are counted and shown in the JSON; they
  are zero unless said otherwise).
- **Packets.** Short-header QUIC packets of 1200 or 1452 bytes (UDP
  payload: 13-byte header with an 8-byte DCID and a 4-byte packet number,
  payload, 16-byte tag), sent unconnected (`sendmsg()` with an address,
  as a server does). A batch is one `sendmsg()` with `UDP_SEGMENT`;
  batch 1 is a plain datagram. **A batch of 64 does not fit one IPv4
  datagram (65,507 bytes at most): it becomes 54 packets of 1200 bytes
  or 45 of 1452** (the "segs" column); the targets "at GSO 64" are read
  there. On the receiving side veth hands the GSO datagram to the socket
  whole, which is what `UDP_GRO` builds from a NIC's packets, so "GRO
  batch" = the same number of segments per `recvmsg()`.
- **Tx** (the sender is measured): for every packet the sender copies a
  prepared plaintext packet into its buffer and writes its packet number
  (standing for the QUIC stack writing the packet; every path does it),
  then (a) **plain** sends it as it is; (b) **user** protects it with
  OpenSSL (AEAD + header protection, `quic_ref_protect()`), and
  **user+zc** does the same from a ring of 16 buffers sent with
  `MSG_ZEROCOPY`, reusing a buffer only after its completion; (c) **ulp**
  sends the plaintext on a socket with the ULP, which protects it. The
  receiver is the same sink for all paths: `UDP_GRO`, one `recv()` per
  datagram, no crypto.
- **Rx** (the receiver is measured): the sender replays a fixed set of
  packets protected once before measuring (4-byte packet numbers, so
  decoding stays in its window); it does no crypto. The receiver reads
  with `UDP_GRO` and (a) takes the packets as they are; (b) unprotects
  each with OpenSSL (`quic_ref_unprotect()`); (c) reads plaintext from a
  ULP socket and checks the `QUIC_ULP_RX_INFO` record of every packet. A
  packet not authenticated or not decrypted is a failure, and a case with
  failures is an error.
- Before each case one packet goes through the path and is checked where
  it arrives (decrypted with the other side's key and compared); the ULP's
  own counters (`/proc/net/quic_ulp_stat`) must have protected or decrypted
  every packet with no error.
- **CPU** is `/proc/stat` over the measured interval: user + system
  (+steal) + irq + softirq, **all CPUs** (the idle thread excluded), i.e.
  both the sender's and the receiver's work, kernel included. "CPU s/GB"
  divides it by the QUIC bytes the receiving application read (1 GB =
  1e9 bytes); "µs/pkt" by the packets. `cpu0` is the sender's CPU,
  `cpu1` the receiver's (and its softirq's): the split is in the tables.
  Nothing is subtracted from these figures.
- **Throughput** is what the receiving application read per second of
  wall time; packets/s and Gbit/s of QUIC bytes (UDP payload). With the
  credit window the slower side sets it; its CPU is then near 1.0.
- Each case: 0.5 s warm-up, then {secs} s measured; one short throwaway
  run first, because the emulator translates code on first use.""".format(
            secs=self.host.get("seconds", "2")))
        self.w()

    def reading(self):
        self.w("## Reading these numbers")
        self.w()
        accel = self.host.get("accel", "?")
        k = self.raw(self.kraw, "AES-128-GCM", 1200)
        u = self.raw(self.uraw, "AES-128-GCM", 1200)
        extra = ""
        if k and u and "seal_ns" in k:
            extra = (f" In this run, sealing a 1200-byte packet with AES-128-GCM took "
                     f"{k['seal_ns'] / 1000:.1f} µs in the kernel and "
                     f"{u['seal_ns'] / 1000:.1f} µs in OpenSSL: the two sides' crypto "
                     f"is not emulated equally well either.")
        if accel == "tcg":
            self.w("This run is under TCG: crypto instructions (AES-NI, PCLMULQDQ, "
                   "AVX2) are emulated one by one and cost one to two orders of "
                   "magnitude more than on hardware, while copies and the network "
                   "stack cost only a few times more (prior-art.md, section 6). "
                   "Crypto therefore dominates every protected path here far more "
                   "than on a real CPU, and **the raw c/b ratios mostly compare how "
                   "well the emulator runs the kernel's AES-NI/AVX code against "
                   "OpenSSL's**." + extra + " What carries over to hardware is each "
                   "path's cost *beyond its crypto* against plain UDP (the \"beyond "
                   "crypto\" table), because both terms are non-crypto work that the "
                   "emulator slows down alike.")
        else:
            self.w("This run uses hardware virtualisation; figures are close to the "
                   "host's, within the noise of a shared machine." + extra)
        self.w()

    def matrix(self, kind):
        title = "Tx: protect and send" if kind == "tx" else "Rx: receive and unprotect"
        self.w(f"## {title}")
        self.w()
        self.w("kpps = thousand packets/s read by the receiving application; CPU "
               "s/GB all CPUs; µs/pkt split between the sender's CPU (cpu0) and the "
               "receiver's (cpu1); util = busy fraction of each CPU.")
        self.w()
        paths = ["plain", "user", "userzc", "ulp"] if kind == "tx" else ["plain", "user", "ulp"]
        names = {"plain": "(a) plain UDP", "user": "(b) user", "userzc": "(b) user+zc",
                 "ulp": "(c) ulp"}
        self.w("| cipher | size | batch (segs) | path | kpps | Gbit/s | CPU s/GB | "
               "µs/pkt cpu0 + cpu1 | util cpu0 / cpu1 | pkts/recv |")
        self.w("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for cipher in CIPHERS:
            for size in SIZES:
                for batch in BATCHES:
                    for p in paths:
                        c = self.case(kind, p, cipher, size, batch)
                        if not c:
                            self.w(f"| {cipher} | {size} | {batch} | {names[p]} | — | — | — | — | — | — |")
                            continue
                        flag = "" if c.get("check") == "ok" and not c.get("failures") else " ⚠"
                        self.w(f"| {cipher} | {size} | {batch} ({c['segs']}) | {names[p]}{flag} | "
                               f"{c['pps'] / 1000:.1f} | {c['gbps']:.3f} | {c['cpu_s_per_gb']:.1f} | "
                               f"{c['cpu0_us_per_pkt']:.1f} + {c['cpu1_us_per_pkt']:.1f} | "
                               f"{c['cpu0_util']:.2f} / {c['cpu1_util']:.2f} | {c['pkts_per_recv']:.1f} |")
        self.w()
        bad = [c for c in self.cases if c["kind"] == kind and
               (c.get("check") != "ok" or c.get("failures") or c.get("udp_drops") or
                c.get("resyncs") or c.get("quic_errors"))]
        if bad:
            self.w("Cases with something to say (⚠ = check failed or packets failed):")
            self.w()
            for c in bad:
                self.w(f"- {c['kind']} {c['path']} {c['cipher']} {c['size']} B batch {c['batch']}: "
                       f"check {c['check']}, failures {c['failures']}, UDP drops {c['udp_drops']}, "
                       f"window resets {c['resyncs']}, ULP errors {c['quic_errors']}")
            self.w()
        zc = [c for c in self.cases if c["path"] == "userzc"]
        if zc and kind == "tx":
            sends = sum(c["zc_sends"] for c in zc)
            copied = sum(c["zc_copied"] for c in zc)
            self.w(f"MSG_ZEROCOPY: {copied} of {sends} completions said the kernel copied "
                   "the data anyway: over veth to a local socket the pages are copied on "
                   "delivery, so user+zc shows the cost of the notifications, not a NIC's "
                   "saving.")
            self.w()

    def ratios(self):
        self.w("## Ratios (c/b: offload / userspace crypto; c/a: offload / plain UDP)")
        self.w()
        self.w("CPU = CPU s/GB ratio (lower is better for the offload), tput = "
               "throughput ratio (higher is better). For Tx, c/b uses (b) without "
               "zerocopy; c/b-zc uses user+zc.")
        self.w()
        self.w("| dir | cipher | size | batch | c/b CPU | c/b tput | c/b-zc CPU | c/a CPU | c/a tput | c/b sender-or-receiver CPU µs/pkt |")
        self.w("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind in ("tx", "rx"):
            side = "cpu0_us_per_pkt" if kind == "tx" else "cpu1_us_per_pkt"
            for cipher in CIPHERS:
                for size in SIZES:
                    for batch in BATCHES:
                        a = self.case(kind, "plain", cipher, size, batch)
                        b = self.case(kind, "user", cipher, size, batch)
                        z = self.case(kind, "userzc", cipher, size, batch)
                        c = self.case(kind, "ulp", cipher, size, batch)
                        g = lambda x, k: x.get(k) if x else None
                        r = {
                            "kind": kind, "cipher": cipher, "size": size, "batch": batch,
                            "c_b_cpu": ratio(g(c, "cpu_s_per_gb"), g(b, "cpu_s_per_gb")),
                            "c_b_tput": ratio(g(c, "gbps"), g(b, "gbps")),
                            "c_bzc_cpu": ratio(g(c, "cpu_s_per_gb"), g(z, "cpu_s_per_gb")),
                            "c_a_cpu": ratio(g(c, "cpu_s_per_gb"), g(a, "cpu_s_per_gb")),
                            "c_a_tput": ratio(g(c, "gbps"), g(a, "gbps")),
                            "c_b_side": ratio(g(c, side), g(b, side)),
                        }
                        self.derived["ratios"].append(r)
                        self.w(f"| {kind} | {cipher} | {size} | {batch} | {fmt(r['c_b_cpu'])} | "
                               f"{fmt(r['c_b_tput'])} | {fmt(r['c_bzc_cpu'])} | {fmt(r['c_a_cpu'])} | "
                               f"{fmt(r['c_a_tput'])} | {fmt(r['c_b_side'])} |")
        self.w()

    def beyond(self):
        self.w("## The offload's own cost against raw AEAD (per packet, all CPUs)")
        self.w()
        self.w("Raw crypto per packet, measured in the same guest: the kernel's "
               "through the crypto API as the ULP calls it (`bench/kaead/`, a module "
               "that times `crypto_aead_encrypt()`/`crypto_aead_decrypt()` in place on "
               "one packet and the header protection mask as the ULP computes it), "
               "OpenSSL's through `quic_ref.c` (`quic_bench raw`). Opening in place "
               "needs the ciphertext restored before each call: that `memcpy()` is "
               "timed alone and subtracted (copy column).")
        self.w()
        self.w("| cipher | size | kernel seal | kernel open | kernel HP (lib) | kernel HP (crypto API AES) | "
               "OpenSSL seal | OpenSSL open | OpenSSL HP | copy (kernel / user) |")
        self.w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        us = lambda v: None if v is None or v < 0 else v / 1000
        for cipher in CIPHERS:
            for size in SIZES:
                k = self.raw(self.kraw, cipher, size) or {}
                u = self.raw(self.uraw, cipher, size) or {}
                self.w(f"| {cipher} | {size} | {fmt(us(k.get('seal_ns')))} | {fmt(us(k.get('open_ns')))} | "
                       f"{fmt(us(k.get('hp_ns')))} | {fmt(us(k.get('hp_cipher_ns')))} | "
                       f"{fmt(us(u.get('seal_ns')))} | {fmt(us(u.get('open_ns')))} | {fmt(us(u.get('hp_ns')))} | "
                       f"{fmt(us(k.get('copy_ns')))} / {fmt(us(u.get('copy_ns')))} |")
        self.w()
        self.w("(µs per packet.) Below, per packet at each batch: **c − a** is what the "
               "offload path costs beyond plain UDP, against the kernel's raw crypto "
               "(seal + HP for Tx, open + HP for Rx): the target is c − a ≤ 1.10 × raw. "
               "**Beyond crypto** = c − a − raw kernel crypto (and b − a − raw OpenSSL "
               "crypto for userspace): the path's own work, as µs and as a share of "
               "plain UDP's cost. That share is the figure that carries over to hardware.")
        self.w()
        self.w("| dir | cipher | size | batch | a µs | b µs | c µs | raw kernel | c − a | (c − a) / raw | "
               "beyond crypto c | beyond crypto b | c beyond / a | b beyond / a |")
        self.w("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind in ("tx", "rx"):
            for cipher in CIPHERS:
                for size in SIZES:
                    for batch in BATCHES:
                        a = self.case(kind, "plain", cipher, size, batch)
                        b = self.case(kind, "user", cipher, size, batch)
                        c = self.case(kind, "ulp", cipher, size, batch)
                        kc = self.crypto_ns(self.kraw, cipher, size, kind)
                        uc = self.crypto_ns(self.uraw, cipher, size, kind)
                        if not (a and b and c and kc is not None and uc is not None):
                            continue
                        ca, cb, cc = a["us_per_pkt"], b["us_per_pkt"], c["us_per_pkt"]
                        kc, uc = kc / 1000, uc / 1000
                        bc = cc - ca - kc
                        bb = cb - ca - uc
                        d = {"kind": kind, "cipher": cipher, "size": size, "batch": batch,
                             "a_us": ca, "b_us": cb, "c_us": cc, "raw_kernel_us": kc,
                             "raw_openssl_us": uc, "c_minus_a_us": cc - ca,
                             "overhead_over_raw": ratio(cc - ca, kc),
                             "beyond_c_us": bc, "beyond_b_us": bb,
                             "beyond_c_share_of_a": ratio(bc, ca),
                             "beyond_b_share_of_a": ratio(bb, ca)}
                        self.derived["beyond_crypto"].append(d)
                        self.w(f"| {kind} | {cipher} | {size} | {batch} | {ca:.1f} | {cb:.1f} | {cc:.1f} | "
                               f"{kc:.1f} | {cc - ca:.1f} | {fmt(d['overhead_over_raw'])} | {bc:.1f} | "
                               f"{bb:.1f} | {fmt(d['beyond_c_share_of_a'])} | {fmt(d['beyond_b_share_of_a'])} |")
        self.w()

    def targets(self):
        self.w("## Targets (reported, not asserted), at the largest batch")
        self.w()
        self.w(f"Offload CPU/GB ≤ {TARGET_CPU} × userspace's; throughput ≥ {TARGET_TPUT} × "
               f"userspace's; offload cost over plain UDP ≤ {TARGET_OVERHEAD} × raw kernel "
               "AEAD + HP.")
        self.w()
        self.w("| dir | cipher | size | c/b CPU | | c/b tput | | (c − a) / raw | |")
        self.w("| --- | --- | --- | ---: | --- | ---: | --- | ---: | --- |")
        for kind in ("tx", "rx"):
            for cipher in CIPHERS:
                for size in SIZES:
                    r = find(self.derived["ratios"], kind=kind, cipher=cipher, size=size, batch=64)
                    d = find(self.derived["beyond_crypto"], kind=kind, cipher=cipher, size=size,
                             batch=64)
                    cpu = r and r["c_b_cpu"]
                    tput = r and r["c_b_tput"]
                    ovh = d and d["overhead_over_raw"]
                    mark = lambda v, ok: "—" if v is None else ("met" if ok(v) else "**missed**")
                    t = {"kind": kind, "cipher": cipher, "size": size, "c_b_cpu": cpu,
                         "cpu_met": None if cpu is None else cpu <= TARGET_CPU,
                         "c_b_tput": tput,
                         "tput_met": None if tput is None else tput >= TARGET_TPUT,
                         "overhead_over_raw": ovh,
                         "overhead_met": None if ovh is None else ovh <= TARGET_OVERHEAD}
                    self.derived["targets"].append(t)
                    self.w(f"| {kind} | {cipher} | {size} | {fmt(cpu)} | "
                           f"{mark(cpu, lambda v: v <= TARGET_CPU)} | {fmt(tput)} | "
                           f"{mark(tput, lambda v: v >= TARGET_TPUT)} | {fmt(ovh)} | "
                           f"{mark(ovh, lambda v: v <= TARGET_OVERHEAD)} |")
        self.w()

    def scaling(self):
        self.w("## Connections on one socket (AES-128-GCM, 1200 B, batch 64, round-robin)")
        self.w()
        self.w("Every packet of a batch belongs to the next connection, so the Tx "
               "path's one-entry cache never hits past one connection and every "
               "packet is a hash lookup; Rx always looks up. All connections share "
               "one secret (the cost is in the lookup and the per-connection state, "
               "not in which key).")
        self.w()
        self.w("| dir | connections | kpps | CPU s/GB | µs/pkt (all) | µs/pkt cpu0 + cpu1 | vs 1 conn | install µs/conn |")
        self.w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for kind in ("tx", "rx"):
            base = find(self.scale, kind=kind, conns=1)
            for n in (1, 100, 10000):
                c = find(self.scale, kind=kind, conns=n)
                if not c:
                    self.w(f"| {kind} | {n} | — | — | — | — | — | — |")
                    continue
                rel = ratio(c["us_per_pkt"], base["us_per_pkt"]) if base else None
                flag = "" if c.get("check") == "ok" and not c.get("failures") else " ⚠"
                self.w(f"| {kind}{flag} | {n:,} | {c['pps'] / 1000:.1f} | {c['cpu_s_per_gb']:.1f} | "
                       f"{c['us_per_pkt']:.1f} | {c['cpu0_us_per_pkt']:.1f} + {c['cpu1_us_per_pkt']:.1f} | "
                       f"{fmt(rel)} | {1e6 * c['setup_secs'] / n:.0f} |")
        self.w()

    def endtoend(self):
        self.w("## End to end: `qo-server` serving Debian's `gtlsclient`")
        self.w()
        todo = [e for e in self.e2e if "todo" in e]
        rows = [e for e in self.e2e if "offload" in e]
        if todo or not rows:
            self.w("**TODO: not measured in this run** — "
                   + (todo[0]["todo"] if todo else "the stage produced nothing (see e2e.log)") + ".")
            self.w()
            return
        self.w("HTTP/3 download of one generated body; server and its receive "
               "softirq on CPU 0, `gtlsclient` and its on CPU 1 (RPS), two namespaces "
               "over veth. Server CPU = CPU 0's whole busy time from /proc/stat over "
               "the download (its softirq included); process CPU = qo-server's own "
               "utime + stime. With the offload off, the server uses ngtcp2's GnuTLS "
               "crypto; the client always does.")
        self.w()
        self.w("| offload | bytes | seconds | Mbit/s | server CPU s/GB | server process s/GB | client CPU (s) | cipher | client exit |")
        self.w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |")
        for e in rows:
            if "error" in e:
                self.w(f"| {e['offload']} | — | — | — | — | — | — | — | {e['error']} |")
                continue
            self.w(f"| {e['offload']} ({e.get('server_mode', '?')}) | {e['bytes']:,} | {e['seconds']:.2f} | "
                   f"{e['gbps'] * 1000:.1f} | {e['server_cpu_s_per_gb']:.1f} | "
                   f"{e['server_proc_s_per_gb']:.1f} | {e['client_cpu1_busy']:.2f} | "
                   f"{e.get('cipher', '?')} | {e['client_exit']} |")
        on = find(rows, offload="both")
        off = find(rows, offload="off")
        if on and off and "error" not in on and "error" not in off:
            self.w()
            self.w(f"On/off: server CPU per GB × {fmt(ratio(on['server_cpu_s_per_gb'], off['server_cpu_s_per_gb']))}, "
                   f"throughput × {fmt(ratio(on['gbps'], off['gbps']))}. The client (GnuTLS "
                   "crypto, emulated) is usually the bottleneck here: look at its CPU.")
        self.w()

    def profiles(self):
        if not self.perf:
            return
        self.w("## Where the time goes (perf, system-wide, cpu-clock)")
        self.w()
        self.w("Each case run once more with `perf record -a` over its measured "
               "interval only (AES-128-GCM, 1200 B; batch 64 unless the name says 1). Shares of the non-idle "
               "samples, both CPUs. Without a PMU (TCG), samples land where interrupts "
               "are enabled again, so code that runs with interrupts off is charged "
               "to what follows it; categories are by symbol name.")
        self.w()
        names = [n for n in self.perf if self.perf[n].get("categories")]
        cats = []
        for n in names:
            for c in self.perf[n]["categories"]:
                if c not in cats:
                    cats.append(c)
        self.w("| % of busy | " + " | ".join(n.replace("-1200-64-aes", "").replace("-1200-1-aes", " batch 1").replace("-", " ")
                                            for n in names) + " |")
        self.w("| --- | " + " | ".join("---:" for _ in names) + " |")
        for c in cats:
            self.w(f"| {c} | " + " | ".join(fmt(self.perf[n]["categories"].get(c, 0.0), 1)
                                           for n in names) + " |")
        self.w("| (idle, % of all samples) | " + " | ".join(
            fmt(self.perf[n]["idle_pct"], 1) for n in names) + " |")
        self.w()
        for name in names:
            p = self.perf[name]
            self.w(f"<details><summary>{name}: top symbols</summary>")
            self.w()
            self.w("| % of busy | where | symbol |")
            self.w("| ---: | --- | --- |")
            for t in p["top"]:
                self.w(f"| {fmt(t['pct_of_busy'], 1)} | {t['dso']} | `{t['sym']}` |")
            self.w()
            self.w("</details>")
            self.w()

    def build(self, notes):
        self.header()
        self.reading()
        self.method()
        self.matrix("tx")
        self.matrix("rx")
        self.ratios()
        self.beyond()
        self.targets()
        self.scaling()
        self.endtoend()
        self.profiles()
        self.w("![CPU µs per packet by batch](bench/plot.png)")
        self.w()
        if notes and os.path.exists(notes):
            with open(notes) as f:
                self.w(f.read().rstrip())
            self.w()
        self.w("## Raw data")
        self.w()
        self.w("`bench/results.json`: every case as measured (packets, bytes, CPU per "
               "CPU and per kind, drops, checks, counters), the raw crypto lines, "
               "end to end, profiles, and the derived ratios above.")
        return "\n".join(self.lines) + "\n"

    def plotdata(self, path):
        """µs/pkt (all CPUs) by batch, per dir x cipher, size 1200."""
        with open(path, "w") as f:
            for kind in ("tx", "rx"):
                for cipher in CIPHERS:
                    f.write(f"# {kind} {cipher}\n")
                    f.write("batch plain user userzc ulp\n")
                    for batch in BATCHES:
                        vals = []
                        for p in ("plain", "user", "userzc", "ulp"):
                            c = self.case(kind, p, cipher, 1200, batch)
                            vals.append(f"{c['us_per_pkt']:.2f}" if c else "NaN")
                        f.write(f"{batch} {' '.join(vals)}\n")
                    f.write("\n\n")

    def results(self):
        return {"host": self.host, "env": self.env, "status": self.status,
                "raw_kernel": self.kraw, "raw_openssl": self.uraw,
                "cases": self.cases, "scale": self.scale, "e2e": self.e2e,
                "perf": self.perf, "derived": self.derived}


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit(__doc__)
    rundir, hostenv, out_md, out_json, plotdata = sys.argv[1:6]
    notes = sys.argv[6] if len(sys.argv) == 7 else None
    r = Report(rundir, hostenv)
    md = r.build(notes)
    # The instruction-accounting section (scripts/bench-insn.sh) has its
    # own command and run: keep it as it is, at the end
    if os.path.exists(out_md):
        old = open(out_md).read()
        b = old.find("<!-- insn-accounting: begin")
        e = old.find("<!-- insn-accounting: end -->")
        if 0 <= b < e:
            md += "\n" + old[b:e + len("<!-- insn-accounting: end -->")] + "\n"
    with open(out_md, "w") as f:
        f.write(md)
    with open(out_json, "w") as f:
        json.dump(r.results(), f, indent=1, sort_keys=True)
        f.write("\n")
    r.plotdata(plotdata)


if __name__ == "__main__":
    main()
