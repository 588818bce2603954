#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check, independently of the kernel, the 1-RTT packets of a capture.

    wirecheck.py PCAP KEYLOG ADDR PORT client|server

PCAP is a classic pcap (dumpcap -P) of one QUIC connection; KEYLOG the
NSS key log of the endpoint at ADDR (one of ours, which has the ULP do its
1-RTT packet protection); PORT the server's UDP port; the last argument
says whether that endpoint is the client or the server.

Every short-header packet the endpoint sent must authenticate under the
1-RTT keys the key log gives, following its Key Phase bit through key
updates: that is what the kernel protected. The packets it received are
unprotected the way RFC 9000 (A.3) and RFC 9001 (6) say a receiver does it,
which is what the kernel does; the ones that fail are what the kernel must
have counted as authentication failures. For a client, the packets that
arrived after its last one (its CONNECTION_CLOSE) are left out: its socket
was closed by then.

Each received packet that fails is tried again under the other candidate
packet numbers and the older generations: rx_bad_late counts those that
authenticate so (they arrived too late for any receiver: beyond the packet
number window, or after their keys were discarded), rx_bad_max_late the
furthest one of them lay behind the largest number received, and
rx_bad_unexplained those that authenticate under nothing.

Prints KEY=VALUE lines: tx_packets, tx_bad, tx_generations, rx_packets,
rx_bad, rx_generations, rx_bad_late, rx_bad_max_late, rx_bad_unexplained,
cipher, version. Exit status 0 unless the capture
or the key log cannot be read.

Written for the interop suite (scripts/interop.sh); needs the Python
"cryptography" package.
"""
import hashlib
import hmac
import ipaddress
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import (AESCCM, AESGCM,
                                                         ChaCha20Poly1305)

V1, V2 = 0x00000001, 0x6B3343CF
LABELS = {V1: b"quic ", V2: b"quicv2 "}


def expand_label(hash_name, secret, label, length):
    """HKDF-Expand-Label of TLS 1.3 with an empty context."""
    full = b"tls13 " + label
    info = struct.pack(">HB", length, len(full)) + full + b"\x00"
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hash_name).digest()
        out += block
        i += 1
    return out[:length]


class Suite:
    """One cipher suite: key sizes, AEAD and header protection."""

    def __init__(self, name, hash_name, key_len, aead, chacha_hp):
        self.name, self.hash_name, self.key_len = name, hash_name, key_len
        self.aead, self.chacha_hp = aead, chacha_hp


SUITES = [
    Suite("AES-128-GCM", "sha256", 16, AESGCM, False),
    Suite("CHACHA20-POLY1305", "sha256", 32, ChaCha20Poly1305, True),
    Suite("AES-128-CCM", "sha256", 16, lambda k: AESCCM(k, 16), False),
    Suite("AES-256-GCM", "sha384", 32, AESGCM, False),
]


class Direction:
    """The keys of one direction, generation by generation."""

    def __init__(self, suite, version, secret):
        self.suite, self.prefix = suite, LABELS[version]
        self.secrets = [secret]
        self.keys = {}
        hp = self.label(secret, b"hp", suite.key_len)
        if suite.chacha_hp:
            self.hp_key = hp
        else:
            self.hp = Cipher(algorithms.AES(hp), modes.ECB()).encryptor()

    def label(self, secret, what, length):
        return expand_label(self.suite.hash_name, secret, self.prefix + what,
                            length)

    def mask(self, sample):
        if self.suite.chacha_hp:
            enc = Cipher(algorithms.ChaCha20(self.hp_key, sample),
                         None).encryptor()
            return enc.update(bytes(5))
        return self.hp.update(sample)[:5]

    def gen(self, g):
        while len(self.secrets) <= g:
            prev = self.secrets[-1]
            self.secrets.append(self.label(prev, b"ku", len(prev)))
        if g not in self.keys:
            s = self.secrets[g]
            self.keys[g] = (self.suite.aead(self.label(s, b"key",
                                                       self.suite.key_len)),
                            self.label(s, b"iv", 12))
        return self.keys[g]

    def open(self, g, pn, hdr, payload):
        aead, iv = self.gen(g)
        nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
        try:
            aead.decrypt(nonce, payload, hdr)
            return True
        except InvalidTag:
            return False


def decode_pn(expected, truncated, nbits):
    """RFC 9000, A.3."""
    win = 1 << nbits
    hwin, mask = win // 2, win - 1
    cand = (expected & ~mask) | truncated
    if cand + hwin <= expected and cand < (1 << 62) - win:
        return cand + win
    if cand > expected + hwin and cand >= win:
        return cand - win
    return cand


def varint(b, off):
    n = 1 << (b[off] >> 6)
    v = b[off] & 0x3F
    for i in range(1, n):
        v = v << 8 | b[off + i]
    return v, off + n


def datagrams(path, port):
    """(source address, UDP payload) of each UDP datagram to or from port."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit("%s: not a classic pcap file (use dumpcap -P)" % path)
    link = struct.unpack("<I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if link == 1:
            if pkt[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                continue
            pkt = pkt[14:]
        elif link != 101:	# raw IP
            continue
        if pkt[0] >> 4 == 4:
            if pkt[9] != 17:
                continue
            src = ipaddress.ip_address(pkt[12:16])
            udp = pkt[(pkt[0] & 15) * 4:]
        else:
            if pkt[6] != 17:	# no extension headers here
                continue
            src = ipaddress.ip_address(pkt[8:24])
            udp = pkt[40:]
        sport, dport = struct.unpack(">HH", udp[:4])
        if port in (sport, dport):
            yield src, udp[8:]


def short_packets(payload, scid_len, version_seen):
    """The short-header packet of a datagram after any long ones, if any."""
    off = 0
    while off < len(payload):
        first = payload[off]
        if not first & 0x80:
            return payload[off:]
        version = struct.unpack(">I", payload[off + 1:off + 5])[0]
        if version == 0:
            return None			# Version Negotiation
        version_seen.add(version)
        dcid_len = payload[off + 5]
        p = off + 6 + dcid_len
        scid_len[0] = payload[p]
        p += 1 + payload[p]
        ptype = (first >> 4) & 3
        initial = (ptype == 0) if version == V1 else (ptype == 1)
        retry = (ptype == 3) if version == V1 else (ptype == 0)
        if retry:
            return None
        if initial:
            tlen, p = varint(payload, p)
            p += tlen
        length, p = varint(payload, p)
        off = p + length
    return None


class Stream:
    """The short-header packets of one direction, as a receiver sees them."""

    def __init__(self):
        self.largest = None
        self.cur = 0
        self.first = {0: 0}
        self.packets = self.bad = 0
        self.late = self.unexplained = self.max_late = 0

    def process(self, keys, pkt, dcid_len):
        self.packets += 1
        pn_off = 1 + dcid_len
        if len(pkt) < pn_off + 20:
            self.bad += 1
            return
        mask = keys.mask(pkt[pn_off + 4:pn_off + 20])
        first = pkt[0] ^ (mask[0] & 0x1F)
        pn_len = (first & 3) + 1
        truncated = 0
        for i in range(pn_len):
            truncated = truncated << 8 | (pkt[pn_off + i] ^ mask[1 + i])
        expected = 0 if self.largest is None else self.largest + 1
        pn = decode_pn(expected, truncated, pn_len * 8)
        phase = (first >> 2) & 1
        hdr = bytes([first]) + pkt[1:pn_off] + truncated.to_bytes(pn_len, "big")
        if phase == self.cur & 1:
            g = self.cur
        elif self.cur > 0 and pn < self.first[self.cur]:
            g = self.cur - 1
        else:
            g = self.cur + 1
        if not keys.open(g, pn, hdr, pkt[pn_off + pn_len:]):
            self.bad += 1
            self.explain(keys, hdr, pkt[pn_off + pn_len:], pn, pn_len * 8, g)
            return
        if g > self.cur:
            self.cur = g
            self.first[g] = pn
        elif g == self.cur:
            self.first[g] = min(self.first.get(g, pn), pn)
        if self.largest is None or pn > self.largest:
            self.largest = pn

    def explain(self, keys, hdr, payload, pn, nbits, tried):
        """Why a packet a receiver must reject fails: find what it is.

        A packet that arrives more than half the packet number window
        behind the largest one received decodes to the wrong number (RFC
        9000, A.3), and one from before the previous key update finds its
        keys discarded (RFC 9001, 6.5): no receiver can accept either. If
        the packet authenticates under another candidate number, or under
        its own number with a generation older than the previous one, it
        is one of those. Authenticating under its own number with a
        generation a receiver still holds would mean the receiver chose
        the wrong keys: that, like authenticating under nothing, counts as
        unexplained, and the caller fails the check.
        """
        phase = hdr[0] >> 2 & 1
        gens = [g for g in range(max(0, self.cur - 2), self.cur + 2)
                if g & 1 == phase]
        for k in (0, -1, 1, -2, 2, -3, 3):
            cand = pn + k * (1 << nbits)
            if cand < 0:
                continue
            for g in gens:
                if (k, g) == (0, tried) or \
                        not keys.open(g, cand, hdr, payload):
                    continue
                if k == 0 and g >= self.cur - 1:
                    self.unexplained += 1
                    return
                self.late += 1
                if self.largest is not None:
                    self.max_late = max(self.max_late, self.largest - cand)
                return
        self.unexplained += 1


def main():
    if len(sys.argv) != 6 or sys.argv[5] not in ("client", "server"):
        sys.exit(__doc__)
    pcap, keylog, me, port, role = sys.argv[1:]
    me, port = ipaddress.ip_address(me), int(port)
    secrets = {}
    for line in open(keylog):
        f = line.split()
        if len(f) == 3:
            secrets[f[0]] = bytes.fromhex(f[2])
    ours, theirs = ("CLIENT", "SERVER") if role == "client" else \
        ("SERVER", "CLIENT")
    try:
        tx_secret = secrets[ours + "_TRAFFIC_SECRET_0"]
        rx_secret = secrets[theirs + "_TRAFFIC_SECRET_0"]
    except KeyError:
        sys.exit("%s: no 1-RTT traffic secrets" % keylog)

    # Connection ID lengths from the long headers: the short-header
    # packets we send carry the peer's ID, those we receive ours.
    cid_len = {True: [None], False: [None]}
    versions = set()
    flows = []
    for src, payload in datagrams(pcap, port):
        mine = src == me
        pkt = short_packets(payload, cid_len[mine], versions)
        if pkt is not None:
            flows.append((mine, pkt))
    # A client closes its socket right after its last packet (the
    # CONNECTION_CLOSE): what arrives later no receiver saw, so it is left
    # out, as the wire counts of scripts/interop.sh leave it out.
    if role == "client":
        last = max((i for i, (m, _) in enumerate(flows) if m), default=-1)
        flows = flows[:last + 1]
    version = V2 if V2 in versions else V1
    if cid_len[True][0] is None or cid_len[False][0] is None:
        sys.exit("%s: no long-header packets to learn the IDs from" % pcap)

    # The cipher suite: the one our first packet authenticates with.
    suite = None
    first_tx = next((p for m, p in flows if m), None)
    for s in SUITES:
        if first_tx is None or len(tx_secret) != hashlib.new(
                s.hash_name).digest_size:
            continue
        probe = Stream()
        probe.process(Direction(s, version, tx_secret), first_tx,
                      cid_len[False][0])
        if not probe.bad:
            suite = s
            break
    if suite is None:
        sys.exit("no cipher suite decrypts the first packet sent by %s" % me)

    tx_keys = Direction(suite, version, tx_secret)
    rx_keys = Direction(suite, version, rx_secret)
    tx, rx = Stream(), Stream()
    for mine, pkt in flows:
        if mine:
            tx.process(tx_keys, pkt, cid_len[False][0])
        else:
            rx.process(rx_keys, pkt, cid_len[True][0])
    print("cipher=%s" % suite.name)
    print("version=0x%08x" % version)
    print("tx_packets=%d" % tx.packets)
    print("tx_bad=%d" % tx.bad)
    print("tx_generations=%d" % tx.cur)
    print("rx_packets=%d" % rx.packets)
    print("rx_bad=%d" % rx.bad)
    print("rx_generations=%d" % rx.cur)
    print("rx_bad_late=%d" % rx.late)
    print("rx_bad_max_late=%d" % rx.max_late)
    print("rx_bad_unexplained=%d" % rx.unexplained)


if __name__ == "__main__":
    main()
