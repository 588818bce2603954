// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for quic_ulp_key_choose() with quic_ulp_pn_decode()
 * (net/quic/packet.c, built as the kernel builds it): a model of one
 * direction of a connection across key updates, RFC 9001 section 6.
 *
 * A sender numbers its packets in increasing order (skipping some), updates
 * its keys only once the receiver has authenticated a packet of its current
 * keys (RFC 9001, 6.1 and 6.2), and encodes packet numbers as RFC 9000,
 * A.2 says from a largest acknowledged number that lags. The network loses
 * and reorders packets within a window. The receiver mirrors what rx.c does
 * with the kernel's own functions: decode the packet number, choose the
 * generation, and on success account the packet and rotate on a new phase,
 * with the next keys ready only some time after a rotation (the kernel
 * derives them from a work item) and the old ones discarded whenever the
 * application says so. In one mode the next keys are always at hand (the
 * work item has run by the time the peer updates again).
 *
 * The input is a stream of decisions (see input.h). Checked for every
 * packet the receiver takes:
 *  - a packet number that RFC 9000's encoding makes recoverable is
 *    recovered exactly;
 *  - a packet of the current generation is given the current keys, one of
 *    the next generation the next keys, and one of the previous generation,
 *    while the previous keys are held, the previous keys: whatever the
 *    reordering, no packet the RFC lets through fails for a wrong choice.
 * The installation (struct quic_ulp_key's key_updates and next_pn) is part of
 * the model: the connection may start in the middle of its life with
 * packets of the previous phase still in flight.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "input.h"

#define PN_SPACE	(1ULL << 62)
#define MAX_QUEUE	64
#define MAX_OPS		2000

struct pkt {
	u64 pn;
	u32 gen;
	unsigned int len;	/* packet number field length */
};

struct model {
	bool tx;		/* next keys always at hand */
	/* sender */
	u32 s_gen;
	u64 s_next_pn;
	u64 s_acked;		/* largest acknowledged, lagging */
	bool s_have_acked;
	/* network */
	struct pkt q[MAX_QUEUE];
	unsigned int qlen;
	unsigned int reorder;	/* how far from the head a packet may jump */
	/* receiver: the kernel's struct quic_dir, as far as choosing goes */
	u32 r_gen;		/* current generation number */
	u64 r_first_pn;		/* its lowest packet number */
	bool r_have_old;
	bool r_have_next;
	u64 r_largest;
	bool r_have_pn;
	bool r_got_cur;		/* a packet of r_gen was authenticated */
	/* counters, for the record */
	unsigned long decrypted, undecryptable;
};

static void die(const struct model *m, const struct pkt *p, u64 pn,
		enum quic_key_choice c, const char *what)
{
	fprintf(stderr,
		"%s: packet pn %#llx gen %u (pn_len %u) decoded %#llx choice %d; receiver gen %u first_pn %#llx old %d next %d largest %#llx (%d); %s mode\n",
		what, (unsigned long long)p->pn, p->gen, p->len,
		(unsigned long long)pn, c, m->r_gen,
		(unsigned long long)m->r_first_pn, m->r_have_old,
		m->r_have_next, (unsigned long long)m->r_largest,
		m->r_have_pn, m->tx ? "next keys at hand" : "next keys late");
	abort();
}

/* RFC 9000, A.2: bytes needed for @pn given the largest acknowledged */
static unsigned int pn_len_for(const struct model *m, u64 pn)
{
	u64 unacked = m->s_have_acked ? pn - m->s_acked : pn + 1;
	unsigned int bits = 0;

	while (bits < 64 && unacked >> bits)
		bits++;
	bits += 1;	/* log2(unacked) + 1, as a bit count */
	return bits <= 8 ? 1 : bits <= 16 ? 2 : bits <= 24 ? 3 : 4;
}

static void send_pkt(struct model *m, struct input *in)
{
	struct pkt *p;
	unsigned int min;

	if (m->qlen == MAX_QUEUE || m->s_next_pn >= PN_SPACE - 8)
		return;
	p = &m->q[m->qlen++];
	p->pn = m->s_next_pn;
	p->gen = m->s_gen;
	min = pn_len_for(m, p->pn);
	/* A stack may use more bytes than it needs */
	p->len = min + take_below(in, 5 - min);
	if (p->len > 4)
		p->len = 4;
	/* Packet numbers may be skipped (RFC 9000, 12.3) */
	m->s_next_pn += 1 + take_below(in, 4);
}

static void receive(struct model *m, unsigned int idx)
{
	struct pkt p = m->q[idx];
	unsigned int len = p.len;
	u64 win = 1ULL << (8 * len), hwin = win / 2;
	u64 expected = m->r_have_pn ? m->r_largest + 1 : 0;
	enum quic_key_choice c;
	bool ok;
	u64 pn;

	memmove(&m->q[idx], &m->q[idx + 1], (m->qlen - idx - 1) * sizeof(p));
	m->qlen--;

	pn = quic_ulp_pn_decode(expected, p.pn & (win - 1), len);
	/* Recoverable: within half a window of the expected number */
	if (p.pn + hwin > expected && p.pn < expected + hwin) {
		if (pn != p.pn)
			die(m, &p, pn, -1, "packet number not recovered");
	} else if (pn != p.pn) {
		/* Reordered too far for its encoding: the AEAD fails, as
		 * it would with any wrong nonce. Not a choice to check.
		 */
		m->undecryptable++;
		return;
	}

	c = quic_ulp_key_choose(m->r_gen & 1, m->r_first_pn, m->r_have_old,
			    p.gen & 1, pn);
	if (p.gen == m->r_gen && c != QUIC_KEY_CUR)
		die(m, &p, pn, c, "current-phase packet not given the current keys");
	if (p.gen == m->r_gen + 1 && c != QUIC_KEY_NEXT)
		die(m, &p, pn, c, "next-phase packet not given the next keys");
	if (p.gen + 1 == m->r_gen && m->r_have_old && c != QUIC_KEY_OLD)
		die(m, &p, pn, c, "late packet not given the previous keys");

	/* Does the chosen generation exist and is it the packet's? */
	switch (c) {
	case QUIC_KEY_CUR:
		ok = p.gen == m->r_gen;
		break;
	case QUIC_KEY_OLD:
		ok = m->r_have_old && p.gen + 1 == m->r_gen;
		break;
	default:
		ok = (m->tx || m->r_have_next) && p.gen == m->r_gen + 1;
		break;
	}
	if (!ok) {
		m->undecryptable++;
		return;
	}
	m->decrypted++;
	/* What rx.c's quic_rx_authenticated() does with it */
	if (c == QUIC_KEY_NEXT) {
		m->r_gen++;
		m->r_have_old = true;
		m->r_have_next = false;
		m->r_first_pn = pn;
		m->r_got_cur = false;
	}
	if (c != QUIC_KEY_OLD) {
		if (pn < m->r_first_pn)
			m->r_first_pn = pn;
		m->r_got_cur = true;
	}
	if (!m->r_have_pn || pn > m->r_largest) {
		m->r_largest = pn;
		m->r_have_pn = true;
	}
}

/* The connection as the application installs it: @n updates so far, the
 * next packet number @next; packets of generation n - 1 may be in flight.
 */
static void install(struct model *m, struct input *in)
{
	u64 q;
	unsigned int i, late;

	m->r_gen = take(in, 2);				/* key_updates */
	m->s_next_pn = take(in, 6) >> (take(in, 1) % 48);
	m->reorder = 1 + take_below(in, MAX_QUEUE);
	m->tx = take(in, 1) & 1;
	m->s_gen = m->r_gen;
	m->r_first_pn = UINT64_MAX;		/* quic_gen_alloc() */
	m->r_have_next = true;				/* derived at install */

	if (m->r_gen && m->s_next_pn) {
		/* The first packet of the current generation the application
		 * received, q, is below next_pn; before it, some of the
		 * previous generation's packets are still on their way.
		 */
		q = m->s_next_pn - 1 - take_below(in, m->s_next_pn);
		late = take_below(in, 8);
		for (i = 0; i < late && q > i; i++) {
			struct pkt *p = &m->q[m->qlen++];

			p->pn = q - 1 - i;
			p->gen = m->r_gen - 1;
			p->len = 4;
		}
		m->r_have_old = true;
		m->r_first_pn = m->s_next_pn;		/* keys.c */
		m->r_got_cur = true;
	} else if (m->r_gen) {
		/* No packet at all yet: nothing can be in flight */
		m->r_have_old = true;
		m->r_first_pn = 0;
	}
	m->r_have_pn = m->s_next_pn > 0;
	m->r_largest = m->s_next_pn - 1;
	m->s_have_acked = m->r_have_pn;
	m->s_acked = m->r_largest;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct model m = {};
	unsigned int ops;

	install(&m, &in);
	for (ops = 0; ops < MAX_OPS && in.left; ops++) {
		switch (take(&in, 1) % 8) {
		case 0:
		case 1:
		case 2:
			send_pkt(&m, &in);
			break;
		case 3:
		case 4:
			if (m.qlen) {
				unsigned int w = m.qlen < m.reorder ? m.qlen : m.reorder;

				receive(&m, take_below(&in, w));
			}
			break;
		case 5:
			/* Key update, once the peer has the current keys */
			if (m.s_gen == m.r_gen && m.r_got_cur)
				m.s_gen++;
			break;
		case 6:
			/* An acknowledgment arrives; the next keys are derived */
			m.s_acked = m.r_largest;
			m.s_have_acked = m.r_have_pn;
			m.r_have_next = true;
			break;
		default:
			if (take(&in, 1) & 1) {
				/* QUIC_ULP_DISCARD_OLD_KEY */
				m.r_have_old = false;
			} else if (m.qlen) {
				/* lost */
				m.qlen--;
			}
			break;
		}
	}
	return 0;
}
