// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for quic_ulp_tx_key_choose() (net/quic/packet.c, built as
 * the kernel builds it): what the send path accepts when a sender names
 * the key generation and packet number of each packet it asks the kernel
 * to seal, with the state updates tx.c's quic_tx_choose() makes around it.
 *
 * A well-behaved sender numbers its packets in increasing order
 * (skipping some), updates its keys now and then by naming the next
 * generation, and sometimes sends a packet it built before an update
 * after it (naming the previous generation); the application discards
 * the previous keys whenever it likes. Mixed in are requests anyone could
 * make: any generation, any packet number.
 *
 * The input is a stream of decisions (see input.h). Checked:
 *  - no (generation, packet number) pair is ever accepted twice: the
 *    kernel never reuses a nonce, whatever it is asked;
 *  - within a generation, accepted packet numbers only grow, and every
 *    number of a generation is below every number of the next one, as
 *    the receiver's choice of keys needs (RFC 9001, 6.3-6.5);
 *  - the well-behaved sender's packets are all accepted, except a late
 *    packet after the previous keys were discarded, which is refused with
 *    -EKEYREJECTED and changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "input.h"

#define MAX_OPS		500
#define MAX_SEEN	(MAX_OPS + 8)
#define MAX_LATE	16

struct seen {
	u32 gen;
	u64 pn;
};

struct model {
	/* the kernel's view, as struct quic_dir keeps it */
	struct quic_gen_view cur, old;
	bool have_old;
	/* the well-behaved sender */
	u32 s_gen;
	u64 s_next_pn;
	struct seen late[MAX_LATE];	/* built before an update, unsent */
	unsigned int nlate;
	/* every pair accepted, and the bounds per generation */
	struct seen seen[MAX_SEEN];
	unsigned int nseen;
	u64 gen_lo[2], gen_hi[2];	/* [0]: previous, [1]: current */
};

static void fail(const struct model *m, const char *what, u32 gen, u64 pn)
{
	fprintf(stderr, "tx_key: %s: generation %u, packet %llu (current %u, "
		"largest %llu, first %llu%s)\n", what, gen,
		(unsigned long long)pn, m->cur.number,
		(unsigned long long)m->cur.largest_pn,
		(unsigned long long)m->cur.first_pn,
		m->have_old ? ", previous kept" : "");
	abort();
}

/* tx.c's quic_tx_choose(): check, then commit what it accepted */
static int kernel_send(struct model *m, u32 gen, u64 pn)
{
	struct quic_gen_view *g;
	unsigned int i;
	int choice;

	choice = quic_ulp_tx_key_choose(&m->cur, m->have_old ? &m->old : NULL,
				    gen, pn);
	if (choice < 0)
		return choice;
	if (choice == QUIC_KEY_NEXT) {
		m->old = m->cur;
		m->have_old = true;
		memset(&m->cur, 0, sizeof(m->cur));
		m->cur.number = gen;
		m->cur.first_pn = ~0ULL;
		m->gen_lo[0] = m->gen_lo[1];
		m->gen_hi[0] = m->gen_hi[1];
		m->gen_lo[1] = ~0ULL;
		m->gen_hi[1] = 0;
	}
	g = choice == QUIC_KEY_OLD ? &m->old : &m->cur;
	if (g->number != gen)
		fail(m, "sealed with another generation than named", gen, pn);

	for (i = 0; i < m->nseen; i++)
		if (m->seen[i].gen == gen && m->seen[i].pn == pn)
			fail(m, "a nonce used twice", gen, pn);
	if (g->used && pn <= g->largest_pn)
		fail(m, "packet numbers of a generation went back", gen, pn);
	if (choice == QUIC_KEY_OLD && pn >= m->gen_lo[1])
		fail(m, "a previous-generation packet above the current ones",
		     gen, pn);
	if (choice != QUIC_KEY_OLD && m->have_old && m->old.used &&
	    pn <= m->old.largest_pn)
		fail(m, "a current packet below the previous generation's",
		     gen, pn);
	if (m->nseen < MAX_SEEN)
		m->seen[m->nseen++] = (struct seen){ gen, pn };

	if (pn < g->first_pn)
		g->first_pn = pn;
	g->largest_pn = pn;
	g->used = true;
	i = choice == QUIC_KEY_OLD ? 0 : 1;
	if (pn < m->gen_lo[i])
		m->gen_lo[i] = pn;
	if (pn > m->gen_hi[i])
		m->gen_hi[i] = pn;
	return choice;
}

/* The well-behaved sender's packet must go, or be refused for a reason */
static void good_send(struct model *m, u32 gen, u64 pn)
{
	bool late = gen + 1 == m->cur.number;
	int got = kernel_send(m, gen, pn);

	if (got >= 0)
		return;
	if (late && !m->have_old && got == -EKEYREJECTED)
		return;		/* its keys were discarded */
	fail(m, "a well-behaved send refused", gen, pn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct model m;
	unsigned int op, i;
	u64 next_pn;
	u32 gen;

	memset(&m, 0, sizeof(m));
	/* Installed at some generation, userspace having sealed some
	 * numbers already
	 */
	m.cur.number = take_below(&in, QUIC_ULP_MAX_KEY_UPDATES + 1);
	next_pn = take_below(&in, 1000);
	m.cur.first_pn = next_pn ? 0 : ~0ULL;
	m.cur.largest_pn = next_pn ? next_pn - 1 : 0;
	m.cur.used = next_pn > 0;
	m.gen_lo[1] = next_pn ? 0 : ~0ULL;
	m.gen_hi[1] = m.cur.largest_pn;
	m.s_gen = m.cur.number;
	m.s_next_pn = next_pn;

	for (op = 0; op < MAX_OPS && in.left; op++) {
		switch (take_below(&in, 8)) {
		case 0:	/* a key update: the first packet of the next keys */
			if (m.s_gen == m.cur.number + 1 || m.s_gen == ~0U)
				break;
			m.nlate = 0;
			/* some packets of the old keys, built, not yet sent */
			for (i = take_below(&in, 4); i && m.nlate < MAX_LATE;
			     i--)
				m.late[m.nlate++] = (struct seen){
					m.s_gen, m.s_next_pn++ };
			m.s_gen++;
			good_send(&m, m.s_gen, m.s_next_pn++);
			break;
		case 1:	/* a late packet of the previous keys */
			if (!m.nlate)
				break;
			/* sent in order of their numbers, as one thread does */
			good_send(&m, m.late[0].gen, m.late[0].pn);
			memmove(m.late, m.late + 1,
				--m.nlate * sizeof(m.late[0]));
			break;
		case 2:	/* the application discards the previous keys */
			m.have_old = false;
			break;
		case 3:	/* anyone: any generation, a number of the current
			 * generation's range, which no generation may take
			 * (again): only numbers nobody will want are tried,
			 * so that the well-behaved sender keeps its own
			 */
			if (!m.cur.used)
				break;
			gen = m.cur.number + (u32)take_below(&in, 5) - 2;
			next_pn = m.cur.first_pn +
				  take_below(&in, m.cur.largest_pn -
					     m.cur.first_pn + 1);
			if (kernel_send(&m, gen, next_pn) >= 0)
				fail(&m, "a used range accepted", gen, next_pn);
			break;
		case 4:	/* anyone: replay a number already used */
			if (m.nseen) {
				i = take_below(&in, m.nseen);
				if (kernel_send(&m, m.seen[i].gen,
						m.seen[i].pn) >= 0)
					fail(&m, "a replayed nonce accepted",
					     m.seen[i].gen, m.seen[i].pn);
			}
			break;
		default: /* the next packets, skipping some numbers */
			m.s_next_pn += take_below(&in, 3) ? 0 :
				       take_below(&in, 300);
			if (m.s_gen != m.cur.number) {
				/* an update the kernel refused: forget it */
				break;
			}
			good_send(&m, m.s_gen, m.s_next_pn++);
			break;
		}
		if (m.s_next_pn > QUIC_ULP_MAX_PN - 1000)
			break;
	}
	return 0;
}
