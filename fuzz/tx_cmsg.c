// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the Tx side of the userspace library: the record
 * queue of userspace-example/quic_offload.c (qo_txq.h), built from that
 * file. It is what stands between a packet the library left in plaintext
 * for the kernel and the wire: qo_txq_cmsg() writes the QUIC_ULP_TX_INFO
 * control message for a datagram about to be sent, or refuses it;
 * qo_txq_done() uses the records up once the send is over. The kernel
 * side that reads the message is quic_ulp_sendmsg_skb().
 *
 * The input drives an application buffer (allocated to its exact size)
 * through a sequence of operations, against a model of the queue:
 *  - packets left in plaintext (a short header, random payload, 16 zero
 *    bytes) written anywhere in the buffer and recorded, as the encrypt
 *    callback does, overlapping earlier ones or not, in a queue of random
 *    capacity;
 *  - sealed packets written over anything (they change bytes the queue
 *    is not told about);
 *  - datagrams sent: a start, a UDP_SEGMENT size and a segment count, cut
 *    at packet boundaries or anywhere, with a control buffer (exact size)
 *    that already holds a message or not, aligned or not, roomy or not;
 *    then sent, or failed;
 *  - the queue cleared, the lowest allowed key generation raised.
 * Checked:
 *  - never a read or write outside the buffers;
 *  - safety: "send as written" (0) only for a datagram none of whose
 *    segments ends with 16 zero bytes; on any error the datagram is
 *    zeroed and the control buffer untouched;
 *  - a message only with one record per segment, each the packet that
 *    starts that segment (number, generation, DCID length, connection),
 *    reserved bytes zero, appended after what the buffer held;
 *  - the model's verdict: a datagram of live, intact recorded packets,
 *    one per segment in the order they were written, gets its message;
 *    anything else is refused (or, with nothing in plaintext, goes as
 *    written);
 *  - qo_txq_done() and qo_txq_push() report and remove exactly the
 *    records the model says, and qo_txq_clear() counts the live ones.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "quic_offload.h"
#include "qo_txq.h"
#include "input.h"

#define BUF_LEN		4096
#define MAX_PKTS	256
#define MAX_OPS		200
#define MIN_PKT		(1 + 4 + QUIC_ULP_TAG_LEN)

/* Bulk bytes (payloads, sealed packets) from a generator the input seeds:
 * the input itself goes to decisions
 */
static uint64_t rng;

static uint8_t bulk(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)rng;
}

static void fail(const char *what)
{
	fprintf(stderr, "tx_cmsg: %s\n", what);
	abort();
}

/* The model's view of one recorded packet */
struct mpkt {
	size_t off, len;
	uint64_t pn;
	uint32_t gen;
	uint8_t dcid_len;
	bool live;	/* the queue should still vouch for it */
	bool tainted;	/* bytes changed behind the queue's back */
};

struct model {
	struct mpkt p[MAX_PKTS];
	size_t n;
	size_t max;	/* queue capacity, live records */
};

static bool overlaps(size_t a, size_t alen, size_t b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

static bool zero_tail(const uint8_t *p, size_t len)
{
	size_t i;

	if (len < MIN_PKT)
		return false;
	for (i = len - QUIC_ULP_TAG_LEN; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static size_t live_count(const struct model *m)
{
	size_t i, k = 0;

	for (i = 0; i < m->n; i++)
		k += m->p[i].live;
	return k;
}

static void taint(struct model *m, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (overlaps(m->p[i].off, m->p[i].len, off, len))
			m->p[i].tainted = true;
}

/* The last batch written, as ngtcp2 and the application would send it */
static size_t batch_off, batch_len, batch_n, batch_bytes;

/* A packet of @len bytes at @off left in plaintext, and its record */
static void put_plaintext(struct input *in, struct model *m,
			  struct qo_txq *q, uint8_t *buf, size_t off, size_t len)
{
	size_t pnlen = 1 + take_below(in, 4), i, killed = 0;
	struct qo_txrec r;
	struct mpkt *p;
	int rv;

	if (m->n == MAX_PKTS)
		return;
	p = &m->p[m->n];
	memset(p, 0, sizeof(*p));
	p->off = off;
	p->len = len;
	p->gen = take_below(in, 6);
	p->dcid_len = take_below(in, QUIC_ULP_MAX_CID_LEN + 1);
	if (p->dcid_len > len - MIN_PKT)
		p->dcid_len = len - MIN_PKT;
	p->pn = take(in, 8) & QUIC_ULP_MAX_PN;
	/* A short header: fixed bit as it comes, Key Phase of the generation */
	buf[off] = (take(in, 1) & 0x78) | (p->gen & 1 ? 0x04 : 0) |
		   (pnlen - 1);
	for (i = 1; i < len - QUIC_ULP_TAG_LEN; i++)
		buf[off + i] = bulk() | 1;
	for (i = 0; i < pnlen; i++)
		buf[off + 1 + p->dcid_len + i] =
			p->pn >> (8 * (pnlen - 1 - i));
	memset(buf + off + len - QUIC_ULP_TAG_LEN, 0, QUIC_ULP_TAG_LEN);

	/* The model: what it overwrites dies, then the oldest if full */
	for (i = 0; i < m->n; i++)
		if (m->p[i].live &&
		    overlaps(m->p[i].off, m->p[i].len, off, len)) {
			m->p[i].live = false;
			killed++;
		}
	taint(m, off, len);	/* dead ones' bytes, for the record */
	if (live_count(m) == m->max)
		for (i = 0; i < m->n; i++)
			if (m->p[i].live) {
				m->p[i].live = false;
				killed++;
				break;
			}
	p->live = true;
	m->n++;

	memset(&r, 0, sizeof(r));
	r.pkt = (uintptr_t)(buf + off);
	r.pn = p->pn;
	r.len = (uint32_t)len;
	r.gen = p->gen;
	r.dcid_len = p->dcid_len;
	r.first = buf[off];
	rv = qo_txq_push(q, &r);
	if (rv < 0)
		fail("qo_txq_push() out of memory");
	if ((size_t)rv != killed)
		fail("qo_txq_push() killed other records than the model");
}

/* One packet anywhere, or a batch: packets of one size back to back, the
 * last one maybe shorter
 */
static void put_batch(struct input *in, struct model *m, struct qo_txq *q,
		      uint8_t *buf)
{
	size_t off = take_below(in, BUF_LEN - MIN_PKT + 1), room = BUF_LEN - off;
	size_t len = MIN_PKT + take_below(in, (room < 1500 ? room : 1500) -
					  MIN_PKT + 1);
	size_t n = take(in, 1) % 2 ? 1 : 1 + take_below(in, 8), k, last;

	if (n > room / len)
		n = room / len;
	last = len;
	if (n > 1 && take(in, 1) % 2)
		last = MIN_PKT + take_below(in, len - MIN_PKT + 1);
	for (k = 0; k < n; k++)
		put_plaintext(in, m, q, buf, off + k * len,
			      k + 1 < n ? len : last);
	batch_off = off;
	batch_len = len;
	batch_n = n;
	batch_bytes = n ? (n - 1) * len + last : 0;
}

static void put_sealed(struct input *in, struct model *m, uint8_t *buf)
{
	size_t off = take_below(in, BUF_LEN), len, i;

	len = 1 + take_below(in, BUF_LEN - off);
	if (take(in, 1) & 1)
		len = len % 1500 + 1;
	if (len > BUF_LEN - off)
		len = BUF_LEN - off;
	for (i = 0; i < len; i++)
		buf[off + i] = bulk();
	buf[off + len - 1] |= 1;	/* an AEAD tag is never all zero */
	taint(m, off, len);
}

/* What qo_txq_cmsg() must answer, when the model knows */
static int verdict(const struct model *m, const struct qo_txq *q,
		   const uint8_t *buf, size_t off0, size_t len, size_t gso,
		   const struct msghdr *msg, size_t space, bool *known)
{
	size_t nseg = (len - 1) / gso + 1, nplain = 0, s, i, next = 0;
	size_t matched = 0, used = msg->msg_controllen;
	bool ok = true;

	*known = true;
	if (!q->on)
		return 0;
	for (s = 0; s < nseg; s++)
		if (zero_tail(buf + off0 + s * gso,
			      s + 1 < nseg ? gso : len - s * gso))
			nplain++;
	for (i = 0; i < m->n; i++) {
		const struct mpkt *p = &m->p[i];

		if (!p->live)
			continue;
		if (p->tainted && overlaps(p->off, p->len, off0, len))
			*known = false;
		if (p->off < off0 || p->off >= off0 + len)
			continue;
		s = (p->off - off0) / gso;
		if ((p->off - off0) % gso || s < next ||
		    p->len != (s + 1 < nseg ? gso : len - s * gso) ||
		    p->gen < q->floor) {
			ok = false;
			continue;
		}
		next = s + 1;
		matched++;
	}
	if (!ok || matched != nplain || (nplain && nplain != nseg))
		return -EPROTO;
	if (!nplain)
		return 0;
	if (CMSG_ALIGN(used) != used)
		return -EINVAL;
	if (!msg->msg_control || used > space ||
	    space - used < QO_TX_CMSG_SPACE(nplain))
		return -ENOBUFS;
	return (int)nplain;
}

static void send_one(struct input *in, struct model *m, struct qo_txq *q,
		     uint8_t *buf)
{
	size_t off0, len, gso, nseg, space, pre, i, s, k, npkts, older;
	size_t in_range = 0, last = 0, old = 0;
	static uint8_t before[BUF_LEN];
	struct msghdr msg = {};
	struct quic_ulp_tx_info info;
	struct cmsghdr h;
	unsigned char *ctl;
	bool known, any = false, ok;
	int rv, want;

	/* Where: mostly the last batch, or at a packet with its length as
	 * the segment size
	 */
	if (batch_n && take(in, 1) % 2) {
		off0 = batch_off;
		gso = batch_len;
	} else if (m->n && take(in, 1) % 4) {
		const struct mpkt *p = &m->p[take_below(in, m->n)];

		off0 = p->off;
		gso = p->len;
	} else {
		off0 = take_below(in, BUF_LEN);
		gso = 1 + take_below(in, 1500);
	}
	if (take(in, 1) % 4 == 0)
		gso = 1 + take_below(in, 1500);
	nseg = off0 == batch_off && take(in, 1) % 2 ? batch_n :
	       1 + take_below(in, 8);
	len = nseg ? nseg * gso - take_below(in, gso) : 0;
	if (off0 == batch_off && nseg == batch_n && batch_n &&
	    take(in, 1) % 2)
		len = batch_bytes;	/* exactly the batch */
	if (len > BUF_LEN - off0)
		len = BUF_LEN - off0;
	if (!len)
		return;
	if (gso > len)
		gso = len;	/* one segment, as qo_txq_cmsg() takes it */
	/* The control buffer: maybe a UDP_SEGMENT message first */
	pre = take(in, 1) % 3;
	pre = pre == 0 ? 0 : pre == 1 ? CMSG_SPACE(sizeof(uint16_t)) :
	      1 + take_below(in, 15);
	space = pre + take_below(in, QO_TX_CMSG_SPACE(9) + 1);
	if (take(in, 1) & 1)
		space = pre + QO_TX_CMSG_SPACE((len - 1) / gso + 1);
	ctl = malloc(space ? space : 1);
	if (!ctl)
		return;
	memset(ctl, 0xa5, space);
	msg.msg_control = space ? ctl : NULL;
	msg.msg_controllen = pre <= space ? pre : space;
	memcpy(before, buf, BUF_LEN);

	want = verdict(m, q, buf, off0, len, gso, &msg, space, &known);
	rv = qo_txq_cmsg(q, buf + off0, len, gso, &msg, space, &npkts);
	nseg = (len - 1) / gso + 1;

	if (known && rv != want) {
		fprintf(stderr, "tx_cmsg: got %d, model says %d\n", rv, want);
		fail("qo_txq_cmsg() disagrees with the model");
	}
	if (rv <= 0) {
		if (msg.msg_controllen != (pre <= space ? pre : space))
			fail("control length changed without a message");
		for (i = 0; i < space; i++)
			if (ctl[i] != 0xa5)
				fail("control buffer written without a message");
	}
	if (rv == 0) {
		if (memcmp(before, buf, BUF_LEN))
			fail("a datagram sent as written was changed");
		for (s = 0; q->on && s < nseg; s++)
			if (zero_tail(buf + off0 + s * gso,
				      s + 1 < nseg ? gso : len - s * gso))
				fail("plaintext to be sent as written");
		if (npkts)
			fail("records counted for a datagram without any");
	}
	if (rv < 0) {
		for (i = 0; i < len; i++)
			if (buf[off0 + i])
				fail("a refused datagram was not zeroed");
		if (memcmp(before, buf, off0) ||
		    memcmp(before + off0 + len, buf + off0 + len,
			   BUF_LEN - off0 - len))
			fail("bytes outside the refused datagram changed");
		/* what started in it is dead; what reaches into it, tainted */
		for (i = 0, k = 0; i < m->n; i++)
			if (m->p[i].live && m->p[i].off >= off0 &&
			    m->p[i].off < off0 + len) {
				m->p[i].live = false;
				k++;
			}
		if (k != npkts)
			fail("qo_txq_cmsg() counted other records than it killed");
		taint(m, off0, len);
		free(ctl);
		return;
	}
	if (rv > 0) {
		if ((size_t)rv != nseg || npkts != nseg)
			fail("a message without one record per segment");
		if (msg.msg_controllen != pre + QO_TX_CMSG_SPACE(nseg))
			fail("control length is not the message's");
		for (i = 0; i < pre; i++)
			if (ctl[i] != 0xa5)
				fail("the message overwrote the buffer's start");
		memcpy(&h, ctl + pre, sizeof(h));
		if (h.cmsg_len != CMSG_LEN(nseg * sizeof(info)) ||
		    h.cmsg_level != SOL_UDP || h.cmsg_type != QUIC_ULP_TX_INFO)
			fail("a malformed message header");
		for (s = 0, k = SIZE_MAX; s < nseg; s++) {
			const struct mpkt *p = NULL;

			memcpy(&info, ctl + pre + CMSG_LEN(0) + s * sizeof(info),
			       sizeof(info));
			for (i = 0; i < m->n; i++)
				if (m->p[i].live &&
				    m->p[i].off == off0 + s * gso)
					p = &m->p[i];
			if (!p || (k != SIZE_MAX && (size_t)(p - m->p) <= k))
				fail("a record for a segment that is no packet, "
				     "or out of order");
			k = p - m->p;
			if (p->len != (s + 1 < nseg ? gso : len - s * gso) ||
			    info.pn != p->pn || info.key_gen != p->gen ||
			    info.dcid_len != p->dcid_len ||
			    info.conn != q->conn ||
			    memcmp(info.reserved, "\0\0\0\0\0\0\0", 7) ||
			    !zero_tail(buf + p->off, p->len))
				fail("a record that does not describe its segment");
		}
		if (memcmp(before, buf, BUF_LEN))
			fail("a datagram with a message was changed");
	}

	/* The send */
	if (take(in, 1) % 4 == 0) {
		free(ctl);
		return;		/* not sent yet (EAGAIN): records stay */
	}
	ok = take(in, 1) % 4;
	for (i = 0; i < m->n; i++)
		if (m->p[i].live && m->p[i].off >= off0 &&
		    m->p[i].off < off0 + len) {
			in_range++;
			last = i;
			any = true;
		}
	for (i = 0; any && i <= last; i++) {
		if (!m->p[i].live)
			continue;
		if (m->p[i].off < off0 || m->p[i].off >= off0 + len)
			old++;
		m->p[i].live = false;
	}
	memcpy(before, buf, BUF_LEN);
	qo_txq_done(q, buf + off0, len, ok, &npkts, &older);
	if (npkts != in_range || older != old)
		fail("qo_txq_done() used up other records than the model");
	if (!ok && any) {
		for (i = 0; i < len; i++)
			if (buf[off0 + i])
				fail("a failed datagram with records not zeroed");
		taint(m, off0, len);
	} else if (memcmp(before, buf, BUF_LEN)) {
		fail("qo_txq_done() changed a datagram it should not");
	}
	free(ctl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	static struct model m;
	struct qo_txq q;
	unsigned int ops = 0;
	uint8_t *buf;
	size_t live;

	memset(&m, 0, sizeof(m));
	memset(&q, 0, sizeof(q));
	batch_off = batch_len = batch_n = batch_bytes = 0;
	q.on = take(&in, 1) % 8;
	q.conn = take(&in, 4);
	q.floor = take_below(&in, 3);
	q.max = take(&in, 1) % 2 ? 1 + take_below(&in, 24) : 0;
	m.max = q.max ? q.max : QO_TXQ_MAX;
	rng = take(&in, 8) | 1;
	buf = malloc(BUF_LEN);	/* exact size, for ASan */
	if (!buf)
		return 0;
	/* Fresh memory: zero (every slice looks like a plaintext tail) or not */
	for (size_t i = 0; i < BUF_LEN; i++)
		buf[i] = q.on % 2 ? bulk() : 0;

	while (in.left && ops++ < MAX_OPS) {
		switch (take_below(&in, 8)) {
		case 0: case 1: case 2:
			if (q.on)	/* the library records only then */
				put_batch(&in, &m, &q, buf);
			break;
		case 3:
			put_sealed(&in, &m, buf);
			break;
		case 4: case 5: case 6:
			send_one(&in, &m, &q, buf);
			break;
		default:
			if (take(&in, 1) & 1) {
				q.floor += take_below(&in, 2);
				break;
			}
			live = live_count(&m);
			if (qo_txq_clear(&q) != live)
				fail("qo_txq_clear() counted other records");
			for (size_t i = 0; i < m.n; i++)
				m.p[i].live = false;
		}
	}
	qo_txq_free(&q);
	free(buf);
	return 0;
}
