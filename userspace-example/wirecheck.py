#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check, independently of the kernel, the 1-RTT packets of a capture.

    wirecheck.py PCAP KEYLOG ADDR PORT client|server

PCAP is a classic pcap (dumpcap -P) of QUIC connections; KEYLOG the
NSS key log of the endpoint at ADDR (one of ours, which has the ULP do its
1-RTT packet protection); PORT the server's UDP port; the last argument
says whether that endpoint is the client or the server.

With one connection in the key log, every packet belongs to it, whatever
addresses it moved between (migration, NAT rebinding). With several
(resumption, parallel clients), a connection is the packets exchanged with
one client address and port, and its secrets are the ones (by client random)
that authenticate the first packet the endpoint sent there; the figures
are then sums over the connections (generations too), and cipher and
version list each one seen.

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
cipher, version, connections, zero_rtt_packets (the client's 0-RTT
packets that authenticate under its early secret). Exit status 0 unless the capture
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
    """(source, destination, UDP payload) of each datagram to or from port.

    Source and destination are (address, port) pairs.
    """
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
            dst = ipaddress.ip_address(pkt[16:20])
            udp = pkt[(pkt[0] & 15) * 4:]
        else:
            if pkt[6] != 17:	# no extension headers here
                continue
            src = ipaddress.ip_address(pkt[8:24])
            dst = ipaddress.ip_address(pkt[24:40])
            udp = pkt[40:]
        sport, dport = struct.unpack(">HH", udp[:4])
        if port in (sport, dport):
            yield (src, sport), (dst, dport), udp[8:]


def short_packets(payload, scid_len, version_seen, zero_rtt=None):
    """The short-header packet of a datagram after any long ones, if any.

    0-RTT packets are appended to zero_rtt as (packet, packet number
    offset), when a list is given.
    """
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
        early = (ptype == 1) if version == V1 else (ptype == 2)
        if retry:
            return None
        if initial:
            tlen, p = varint(payload, p)
            p += tlen
        length, p = varint(payload, p)
        if early and zero_rtt is not None:
            zero_rtt.append((payload[off:p + length], p - off, version))
        off = p + length
    return None


def unprotect_header(keys, pkt, pn_off, first_bits, largest):
    """Remove header protection (RFC 9001, 5.4) from a packet whose Packet
    Number field starts at pn_off, and recover its number against the
    largest one seen (None: none yet). first_bits: the bits of the first
    byte under protection (0x1F short header, 0x0F long). Returns the
    header as protected by the AEAD, the number, its length in bytes.
    """
    mask = keys.mask(pkt[pn_off + 4:pn_off + 20])
    first = pkt[0] ^ (mask[0] & first_bits)
    pn_len = (first & 3) + 1
    truncated = 0
    for i in range(pn_len):
        truncated = truncated << 8 | (pkt[pn_off + i] ^ mask[1 + i])
    expected = 0 if largest is None else largest + 1
    pn = decode_pn(expected, truncated, pn_len * 8)
    hdr = bytes([first]) + pkt[1:pn_off] + truncated.to_bytes(pn_len, "big")
    return hdr, pn, pn_len


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
        hdr, pn, pn_len = unprotect_header(keys, pkt, pn_off, 0x1F,
                                           self.largest)
        phase = (hdr[0] >> 2) & 1
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


class Connection:
    """The 1-RTT packets of one connection, both ways."""

    def __init__(self):
        self.flows = []			# (sent by us, short-header packet)
        self.cid_len = {True: [None], False: [None]}
        self.versions = set()
        self.zero_rtt = {True: [], False: []}
        self.zero_rtt_ok = 0

    def add(self, mine, payload):
        pkt = short_packets(payload, self.cid_len[mine], self.versions,
                            self.zero_rtt[mine])
        if pkt is not None:
            self.flows.append((mine, pkt))

    def largest_0rtt(self, suite, secret, mine):
        """The largest packet number of the 0-RTT packets sent one way.

        0-RTT and 1-RTT share a packet number space (RFC 9000, 12.3): a
        client's first 1-RTT packet may be encoded against 0-RTT numbers
        the server acknowledged, so a receiver's expected number starts
        after them. Only packets that authenticate under the 0-RTT keys
        (of their own version: compatible version negotiation may change
        it after them) count; self.zero_rtt_ok says how many did.
        """
        self.zero_rtt_ok = 0
        if not self.zero_rtt[mine] or secret is None:
            return None
        keys = {}
        largest = None
        for pkt, pn_off, version in self.zero_rtt[mine]:
            if len(pkt) < pn_off + 20 or version not in LABELS:
                continue
            k = keys.setdefault(version, Direction(suite, version, secret))
            hdr, pn, pn_len = unprotect_header(k, pkt, pn_off, 0x0F, largest)
            if not k.open(0, pn, hdr, pkt[pn_off + pn_len:]):
                continue
            self.zero_rtt_ok += 1
            if largest is None or pn > largest:
                largest = pn
        return largest

    def check(self, keylogs, role, me):
        """Run both directions; returns (suite, version, tx, rx)."""
        # A client closes its socket right after its last packet (the
        # CONNECTION_CLOSE): what arrives later no receiver saw, so it is
        # left out, as the wire counts of scripts/interop.sh leave it out.
        if role == "client":
            last = max((i for i, (m, _) in enumerate(self.flows) if m),
                       default=-1)
            self.flows = self.flows[:last + 1]
        version = V2 if V2 in self.versions else V1
        if self.cid_len[True][0] is None or self.cid_len[False][0] is None:
            sys.exit("no long-header packets to learn the IDs from")
        # The secrets and cipher suite: those our first packet
        # authenticates with.
        first_tx = next((p for m, p in self.flows if m), None)
        found = None
        for tx_secret, rx_secret, early in keylogs:
            for s in SUITES:
                if first_tx is None or len(tx_secret) != hashlib.new(
                        s.hash_name).digest_size:
                    continue
                probe = Stream()
                if role == "client":	# our 1-RTT numbers follow 0-RTT's
                    probe.largest = self.largest_0rtt(s, early, True)
                probe.process(Direction(s, version, tx_secret), first_tx,
                              self.cid_len[False][0])
                if not probe.bad:
                    found = s, tx_secret, rx_secret, early
                    break
            if found:
                break
        if found is None:
            sys.exit("no cipher suite and secret decrypt the first packet "
                     "sent by %s" % me)
        suite, tx_secret, rx_secret, early = found
        tx_keys = Direction(suite, version, tx_secret)
        rx_keys = Direction(suite, version, rx_secret)
        tx, rx = Stream(), Stream()
        # the client's 1-RTT numbers follow its 0-RTT ones
        client = tx if role == "client" else rx
        client.largest = self.largest_0rtt(suite, early, role == "client")
        for mine, pkt in self.flows:
            if mine:
                tx.process(tx_keys, pkt, self.cid_len[False][0])
            else:
                rx.process(rx_keys, pkt, self.cid_len[True][0])
        return suite, version, tx, rx


def main():
    if len(sys.argv) != 6 or sys.argv[5] not in ("client", "server"):
        sys.exit(__doc__)
    pcap, keylog, me, port, role = sys.argv[1:]
    me, port = ipaddress.ip_address(me), int(port)
    by_random = {}
    for line in open(keylog):
        f = line.split()
        if len(f) == 3:
            by_random.setdefault(f[1], {})[f[0]] = bytes.fromhex(f[2])
    ours, theirs = ("CLIENT", "SERVER") if role == "client" else \
        ("SERVER", "CLIENT")
    keylogs = [(k[ours + "_TRAFFIC_SECRET_0"], k[theirs + "_TRAFFIC_SECRET_0"],
                k.get("CLIENT_EARLY_TRAFFIC_SECRET"))
               for k in by_random.values()
               if ours + "_TRAFFIC_SECRET_0" in k and
               theirs + "_TRAFFIC_SECRET_0" in k]
    if not keylogs:
        sys.exit("%s: no 1-RTT traffic secrets" % keylog)

    # Connection ID lengths from the long headers: the short-header
    # packets we send carry the peer's ID, those we receive ours.
    conns = {}
    for src, dst, payload in datagrams(pcap, port):
        # ours: from our address, and from the server's port if we are
        # the server, to it if we are the client
        mine = src[0] == me and \
            (src[1] == port if role == "server" else dst[1] == port)
        # a connection: a server's peer, a client's own socket
        if role == "server":
            end = dst if mine else src
        else:
            end = src if mine else dst
        key = end if len(keylogs) > 1 else None
        conns.setdefault(key, Connection()).add(mine, payload)

    total = {"tx_packets": 0, "tx_bad": 0, "tx_generations": 0,
             "rx_packets": 0, "rx_bad": 0, "rx_generations": 0,
             "rx_bad_late": 0, "rx_bad_max_late": 0,
             "rx_bad_unexplained": 0}
    ciphers, versions = [], []
    zero_rtt = 0
    for c in conns.values():
        if not any(m for m, _ in c.flows):
            # 1-RTT packets to us from where we sent none: no connection
            # of ours could accept them
            n = sum(1 for m, _ in c.flows if not m)
            total["rx_packets"] += n
            total["rx_bad"] += n
            total["rx_bad_unexplained"] += n
            continue
        suite, version, tx, rx = c.check(keylogs, role, me)
        zero_rtt += c.zero_rtt_ok
        for name, v in ((suite.name, ciphers), ("0x%08x" % version,
                                                versions)):
            if name not in v:
                v.append(name)
        total["tx_packets"] += tx.packets
        total["tx_bad"] += tx.bad
        total["tx_generations"] += tx.cur
        total["rx_packets"] += rx.packets
        total["rx_bad"] += rx.bad
        total["rx_generations"] += rx.cur
        total["rx_bad_late"] += rx.late
        total["rx_bad_max_late"] = max(total["rx_bad_max_late"], rx.max_late)
        total["rx_bad_unexplained"] += rx.unexplained
    if not ciphers:
        sys.exit("%s: no 1-RTT packet sent by %s" % (pcap, me))
    print("cipher=%s" % ",".join(ciphers))
    print("version=%s" % ",".join(versions))
    print("connections=%d" % sum(1 for c in conns.values()
                                 if any(m for m, _ in c.flows)))
    print("zero_rtt_packets=%d" % zero_rtt)
    for k, v in total.items():
        print("%s=%d" % (k, v))


if __name__ == "__main__":
    main()
