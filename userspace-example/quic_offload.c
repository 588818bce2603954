// SPDX-License-Identifier: MIT OR GPL-2.0-only
/*
 * quic_offload: ngtcp2 glue for the kernel's "quic" UDP ULP. See
 * quic_offload.h for the API and README.md for how it fits together.
 *
 * ngtcp2 calls encrypt, decrypt and hp_mask for every packet of every
 * encryption level, with no connection argument. A 1-RTT packet is one
 * whose header (the AAD) has the long header bit clear. For those:
 *
 *  Tx: once the kernel has the connection's Tx key, encrypt leaves the
 *      plaintext in place with a zeroed tag, finds the packet's exact
 *      number and key generation (nonce = IV ^ packet number, for the one
 *      generation whose IV gives a number the header agrees with) and
 *      records them with the packet's address and length (qo_txq.h); the
 *      hp_mask that follows for that packet returns zeros. The application
 *      hands each datagram to qo_conn_tx_cmsg() before sendmsg(): it gets
 *      the QUIC_ULP_TX_INFO message naming the datagram's packets, or an error
 *      and a zeroed datagram, never a go-ahead for a datagram that carries
 *      plaintext. CONNECTION_CLOSE packets, packets coalesced after a
 *      long-header one, and packets whose generation is not found exactly
 *      are protected here; so is everything before switch-on.
 *  Rx: the application hands each UDP segment to qo_conn_read_pkt() with
 *      the kernel's record. hp_mask and decrypt pass the packet through only
 *      if the record says "decrypted" and the pointers ngtcp2 gives them lie
 *      in that segment (so a packet ngtcp2 buffered earlier never does); the
 *      packet number the kernel authenticated must be the one ngtcp2
 *      recovered. Everything else goes through ngtcp2_crypto.
 *
 * The connection whose packets are being written is the thread's "current"
 * one (qo_conn_write_begin()); qo_conn_read_pkt() sets it while it reads.
 *
 * Switch-on, per direction, needs a confirmed handshake (a server confirms
 * when it completes) and one 1-RTT packet that went that way through
 * userspace crypto: its number and key generation give next_pn and
 * key_updates. Rx switches on right after the qo_conn_read_pkt() that made
 * it possible, with all our SCIDs; Tx at the next qo_conn_write_begin(),
 * when no userspace-encrypted packet can be left unsent. The peer's DCIDs
 * go to the kernel there too, as QUIC_ULP_DIR_TX IDs that only hold their
 * Stateless Reset Tokens.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* explicit_bzero */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <search.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include "quic_offload.h"
#include "qo_txq.h"

#define QO_IV_LEN	12	/* every QUIC AEAD's nonce */
#define QO_GENS		4	/* key generations remembered, per direction */
#define QO_TX_CIDS	16
#define QO_RX_CIDS	16
#define QO_SHORT_KP	0x04	/* Key Phase bit of a short header */
#define QO_LONG_HDR	0x80	/* Header Form bit */
#define QO_MIN_PKT	(1 + 4 + QUIC_ULP_TAG_LEN) /* after the DCID: sample room */
#define QO_TX_MAX_FAILS	8	/* EEXIST in a row before giving up */

struct qo_cid {
	uint8_t len;
	bool refused;			/* Tx: the kernel would not take it */
	uint8_t id[QUIC_ULP_MAX_CID_LEN];
	uint8_t token[NGTCP2_STATELESS_RESET_TOKENLEN];	/* Tx */
	struct sockaddr_storage peer;	/* zero-length Rx IDs only */
};

/* One direction of a connection's 1-RTT keys, as far as we need them. */
struct qo_dir {
	uint8_t secret[QUIC_ULP_MAX_SECRET_LEN];	/* generation 0 */
	uint8_t secret_len;
	uint8_t iv[QO_GENS][QO_IV_LEN];	/* by generation, modulo QO_GENS */
	uint32_t ngen;			/* generations known: 0 to ngen - 1 */
	uint64_t largest;		/* largest packet number seen ... */
	uint32_t gen;			/* ... and its key generation */
	bool seen;
	bool on;			/* the kernel has this direction */
	bool kernel_seen;		/* Rx: the kernel decrypted a packet */
};

struct qo_conn {
	gnutls_session_t tls;		/* first: the registry's key */
	ngtcp2_conn *conn;
	ngtcp2_callbacks app;		/* the application's, for chaining */
	int fd;
	uint32_t handle;
	unsigned int mode;
	uint16_t cipher;
	bool confirmed, in_kernel, tx_cids_dirty;
	bool tx_failed;			/* the kernel refuses our sends */
	unsigned int tx_fails;		/* EEXIST in a row */
	uint32_t tx_rec_gen;		/* highest generation recorded */
	struct qo_dir tx, rx;
	struct qo_txq txq;		/* packets left in plaintext */
	struct qo_cid tx_cids[QO_TX_CIDS], rx_cids[QO_RX_CIDS];
	size_t ntx_cids, nrx_cids;
	const uint8_t *seg;		/* segment being read ... */
	size_t seglen;
	const struct quic_ulp_rx_info *info; /* ... and its record if decrypted */
	struct qo_stats st;
};

static _Thread_local struct qo_conn *cur;
static _Thread_local uintptr_t hp_zero_lo, hp_zero_hi; /* last Tx plaintext */
static _Thread_local uintptr_t tx_long_end;	/* end of the last long-header
						 * packet sealed */

static void say_once(bool *said, const char *fmt, const char *what, int err)
{
	if (*said)
		return;
	*said = true;
	fprintf(stderr, "quic offload: ");
	fprintf(stderr, fmt, what, strerror(err));
	fputc('\n', stderr);
}

unsigned int qo_attach(int fd, unsigned int want)
{
	static bool said;

	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1;

	if (!(want & (QO_TX | QO_RX)))	/* QO_DEVICE alone offloads nothing */
		return 0;
	if (!setsockopt(fd, SOL_UDP, UDP_ULP, QUIC_ULP_NAME,
			sizeof(QUIC_ULP_NAME))) {
		/* The kernel reports events (the integrity limit) on the
		 * error queue of sockets that ask for errors, as for ICMP
		 * errors: qo_read_events() reads them
		 */
		if (!getsockname(fd, (struct sockaddr *)&ss, &len))
			setsockopt(fd, ss.ss_family == AF_INET6 ? SOL_IPV6 :
				   SOL_IP, ss.ss_family == AF_INET6 ?
				   IPV6_RECVERR : IP_RECVERR, &one,
				   sizeof(one));
		return want;
	}
	/* ENOENT is also what an unprivileged process gets when the module
	 * exists but is not loaded: the kernel loads ULP modules on demand
	 * only for CAP_NET_ADMIN
	 */
	if (errno == ENOENT)
		say_once(&said, "%s (%s): using userspace crypto",
			 "no \"quic\" UDP ULP loaded (try: modprobe quic_ulp)",
			 errno);
	else if (errno == ENOPROTOOPT)
		say_once(&said, "%s (%s): using userspace crypto",
			 "this kernel has no \"quic\" UDP ULP", errno);
	else
		say_once(&said, "%s: %s: using userspace crypto",
			 "attaching the \"quic\" ULP", errno);
	return 0;
}

/*
 * The control messages of a received message, each checked to lie inside
 * the buffer: CMSG_NXTHDR() checks the messages after the first against
 * the buffer, not the first, so a length past the end (a buffer cut short)
 * ends the walk. Returns the next message whose data holds @min bytes at
 * least, at @level and @type (-1: any type), or NULL.
 */
static const struct cmsghdr *cmsg_next(const struct msghdr *msg,
				       const struct cmsghdr *c, int level,
				       int type, size_t min)
{
	size_t off;

	for (c = c ? CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)c) :
		     CMSG_FIRSTHDR(msg);
	     c; c = CMSG_NXTHDR((struct msghdr *)msg, (struct cmsghdr *)c)) {
		off = (size_t)((const char *)c - (const char *)msg->msg_control);
		if (c->cmsg_len > msg->msg_controllen - off)
			return NULL;
		if (c->cmsg_level == level && (type < 0 || c->cmsg_type == type) &&
		    c->cmsg_len >= CMSG_LEN(min))
			return c;
	}
	return NULL;
}

void qo_rx_parse(struct qo_rx *rx, const struct msghdr *msg, size_t len)
{
	static bool said;
	const struct cmsghdr *c = NULL;
	const void *info = NULL;
	size_t ninfo = 0, nseg;
	int v;

	rx->gso_size = len;
	rx->n = 0;
	while ((c = cmsg_next(msg, c, SOL_UDP, -1, 0))) {
		if (c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(v))) {
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v > 0)
				rx->gso_size = (size_t)v;
		} else if (c->cmsg_type == QUIC_ULP_RX_INFO) {
			info = CMSG_DATA(c);
			ninfo = (c->cmsg_len - CMSG_LEN(0)) /
				sizeof(struct quic_ulp_rx_info);
		}
	}
	if (!info || !rx->gso_size)
		return;
	nseg = (len + rx->gso_size - 1) / rx->gso_size;
	if ((msg->msg_flags & MSG_CTRUNC) || ninfo != nseg ||
	    ninfo > QO_MAX_SEGS) {
		say_once(&said, "%s (%s): records ignored",
			 "QUIC_ULP_RX_INFO does not match the datagram", EPROTO);
		return;
	}
	memcpy(rx->info, info, ninfo * sizeof(rx->info[0]));
	rx->n = (unsigned int)ninfo;
}

const struct quic_ulp_rx_info *qo_rx_decrypted(const struct qo_rx *rx, size_t i)
{
	if (i >= rx->n || rx->info[i].status != QUIC_ULP_RX_DECRYPTED)
		return NULL;
	return &rx->info[i];
}

/* Events */

bool qo_event_parse(const struct msghdr *msg, struct qo_event *ev)
{
	static const int where[][2] = {
		{ SOL_IP, IP_RECVERR }, { SOL_IPV6, IPV6_RECVERR },
	};
	struct sock_extended_err ee;
	const struct cmsghdr *c;
	size_t i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		for (c = NULL; (c = cmsg_next(msg, c, where[i][0], where[i][1],
					      sizeof(ee)));) {
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin != SO_EE_ORIGIN_UDP_ULP)
				continue;
			ev->conn = ee.ee_info;
			ev->type = ee.ee_type;
			ev->err = (int)ee.ee_errno;
			return true;
		}
	}
	return false;
}

int qo_read_events(int fd, struct qo_event *ev, size_t max)
{
	size_t n = 0;

	while (n < max) {
		union {	/* sock_extended_err and the offender's address */
			char buf[256];
			struct cmsghdr align;
		} ctl;
		char data[64];
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};

		if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK || n)
				break;
			return -errno;
		}
		if (qo_event_parse(&msg, &ev[n]))
			n++;
	}
	return (int)n;
}

/* The Tx record queue (qo_txq.h) */

bool qo_tx_plaintext(const uint8_t *pkt, size_t len)
{
	size_t i;

	if (len < QO_MIN_PKT)
		return false;
	for (i = len - QUIC_ULP_TAG_LEN; i < len; i++)
		if (pkt[i])
			return false;
	return true;
}

static struct qo_txrec *txq_at(const struct qo_txq *q, size_t i)
{
	return &q->rec[(q->head + i) % q->cap];
}

static void txq_pop(struct qo_txq *q, size_t k)
{
	q->n -= k;
	q->head = q->n ? (q->head + k) % q->cap : 0;
}

/* Drop the dead records, keeping the order of the others */
static void txq_compact(struct qo_txq *q)
{
	size_t i, k = 0;

	for (i = 0; i < q->n; i++)
		if (txq_at(q, i)->len) {
			if (k != i)
				*txq_at(q, k) = *txq_at(q, i);
			k++;
		}
	q->n = k;
	if (!k)
		q->head = 0;
}

static int txq_grow(struct qo_txq *q, size_t max)
{
	size_t cap = q->cap ? 2 * q->cap : 16, i;
	struct qo_txrec *rec;

	if (cap > max)
		cap = max;
	rec = calloc(cap, sizeof(*rec));
	if (!rec)
		return -1;
	for (i = 0; i < q->n; i++)
		rec[i] = *txq_at(q, i);
	free(q->rec);
	q->rec = rec;
	q->cap = cap;
	q->head = 0;
	return 0;
}

/* Do [a, a + alen) and [b, b + blen) share a byte? */
static bool overlap(uintptr_t a, size_t alen, uintptr_t b, size_t blen)
{
	return a >= b ? a - b < blen : b - a < alen;
}

int qo_txq_push(struct qo_txq *q, const struct qo_txrec *r)
{
	size_t max = q->max ? q->max : QO_TXQ_MAX, i;
	struct qo_txrec *e;
	int killed = 0;

	for (i = 0; i < q->n; i++) {
		e = txq_at(q, i);
		if (e->len && overlap(e->pkt, e->len, r->pkt, r->len)) {
			e->len = 0;	/* its bytes are the new packet's now */
			killed++;
		}
	}
	while (q->n && !txq_at(q, 0)->len)
		txq_pop(q, 1);
	if (q->n == q->cap && (q->cap >= max || txq_grow(q, max))) {
		txq_compact(q);
		if (q->n == q->cap) {
			if (q->cap < max || !q->cap)
				return -1;	/* out of memory */
			txq_pop(q, 1);	/* full: the oldest dies */
			killed++;
		}
	}
	*txq_at(q, q->n) = *r;
	q->n++;
	return killed;
}

/* Are the bytes at @p (r->len of them) still the packet @r describes? */
static bool txrec_matches(const struct qo_txrec *r, const uint8_t *p)
{
	size_t pnlen = (r->first & 0x03) + 1, i;
	uint64_t field = 0;

	if (p[0] != r->first || (r->first & QO_LONG_HDR) ||
	    !(r->first & QO_SHORT_KP) != !(r->gen & 1) ||
	    r->dcid_len > QUIC_ULP_MAX_CID_LEN ||
	    r->len < 1 + (size_t)r->dcid_len + QO_MIN_PKT - 1 ||
	    !qo_tx_plaintext(p, r->len))
		return false;
	for (i = 0; i < pnlen; i++)
		field = field << 8 | p[1 + r->dcid_len + i];
	return field == (r->pn & (~0ULL >> (64 - 8 * pnlen)));
}

int qo_txq_cmsg(struct qo_txq *q, uint8_t *pkt, size_t len, size_t gso,
		struct msghdr *msg, size_t space, size_t *npkts)
{
	uintptr_t base = (uintptr_t)pkt;
	size_t nseg, nplain = 0, matched = 0, next = 0, s, off, i, k;
	size_t used, need;
	struct quic_ulp_tx_info info;
	struct cmsghdr h;
	unsigned char *c;
	struct qo_txrec *r;
	bool bad = false;
	int err = -EPROTO;

	*npkts = 0;
	if (!q->on || !len)
		return 0;
	if (!gso || gso > len)
		gso = len;
	nseg = (len - 1) / gso + 1;
#define SEG_LEN(s) ((s) + 1 < nseg ? gso : len - (s) * gso)
	for (s = 0; s < nseg; s++)
		if (qo_tx_plaintext(pkt + s * gso, SEG_LEN(s)))
			nplain++;
	/* Each record in the datagram must start a plaintext segment and be
	 * all of it, in the order the packets were written
	 */
	for (i = 0; i < q->n; i++) {
		r = txq_at(q, i);
		if (!r->len || r->pkt < base || r->pkt - base >= len)
			continue;
		off = r->pkt - base;
		s = off / gso;
		if (off % gso || s < next || r->len != SEG_LEN(s) ||
		    r->gen < q->floor || !txrec_matches(r, pkt + off)) {
			bad = true;
			continue;
		}
		next = s + 1;
		matched++;
	}
#undef SEG_LEN
	if (!bad && matched == nplain && (!nplain || nplain == nseg)) {
		if (!nplain)
			return 0;	/* sealed already: send as written */
		used = msg->msg_controllen;
		need = QO_TX_CMSG_SPACE(nplain);
		if (CMSG_ALIGN(used) != used) {
			err = -EINVAL;
		} else if (!msg->msg_control || used > space ||
			   space - used < need) {
			err = -ENOBUFS;
		} else {
			c = (unsigned char *)msg->msg_control + used;
			memset(c, 0, need);
			memset(&h, 0, sizeof(h));
			h.cmsg_len = CMSG_LEN(nplain * sizeof(info));
			h.cmsg_level = SOL_UDP;
			h.cmsg_type = QUIC_ULP_TX_INFO;
			memcpy(c, &h, sizeof(h));
			c += CMSG_LEN(0);
			for (i = 0, k = 0; i < q->n; i++) {
				r = txq_at(q, i);
				if (!r->len || r->pkt < base ||
				    r->pkt - base >= len)
					continue;
				memset(&info, 0, sizeof(info));
				info.pn = r->pn;
				info.conn = q->conn;
				info.key_gen = r->gen;
				info.dcid_len = r->dcid_len;
				memcpy(c + k++ * sizeof(info), &info,
				       sizeof(info));
			}
			msg->msg_controllen = used + need;
			*npkts = nplain;
			return (int)nplain;
		}
	}
	/* Refused: nothing in this datagram may be vouched for again */
	for (i = 0, k = 0; i < q->n; i++) {
		r = txq_at(q, i);
		if (r->len && r->pkt >= base && r->pkt - base < len) {
			r->len = 0;
			k++;
		}
	}
	explicit_bzero(pkt, len);
	*npkts = k;
	return err;
}

void qo_txq_done(struct qo_txq *q, uint8_t *pkt, size_t len, bool ok,
		 size_t *npkts, size_t *older)
{
	uintptr_t base = (uintptr_t)pkt;
	size_t i, last = 0, in = 0, old = 0;
	struct qo_txrec *r;

	*npkts = *older = 0;
	for (i = 0; i < q->n; i++) {
		r = txq_at(q, i);
		if (r->len && r->pkt >= base && r->pkt - base < len) {
			last = i;
			in++;
		}
	}
	if (!in)
		return;		/* no plaintext in it */
	for (i = 0; i <= last; i++) {
		r = txq_at(q, i);
		if (!r->len)
			continue;
		if (r->pkt < base || r->pkt - base >= len)
			old++;
		else if (ok && r->gen > q->sent_gen)
			q->sent_gen = r->gen;
	}
	txq_pop(q, last + 1);
	if (!ok)
		explicit_bzero(pkt, len);
	*npkts = in;
	*older = old;
}

size_t qo_txq_clear(struct qo_txq *q)
{
	size_t i, live = 0;

	for (i = 0; i < q->n; i++)
		if (txq_at(q, i)->len)
			live++;
	q->n = q->head = 0;
	return live;
}

void qo_txq_free(struct qo_txq *q)
{
	free(q->rec);
	q->rec = NULL;
	q->cap = q->n = q->head = 0;
}

/* Packet numbers and key generations, from nonce = iv ^ packet number. */

static bool pn_of(const uint8_t *nonce, size_t noncelen, const uint8_t *iv,
		  uint64_t *pn)
{
	uint64_t v = 0;
	size_t i;

	if (noncelen != QO_IV_LEN)
		return false;
	for (i = 0; i < 4; i++)
		if (nonce[i] != iv[i])
			return false;
	for (; i < QO_IV_LEN; i++)
		v = v << 8 | (uint8_t)(nonce[i] ^ iv[i]);
	if (v > QUIC_ULP_MAX_PN)
		return false;
	*pn = v;
	return true;
}

static void dir_seen(struct qo_dir *d, uint64_t pn, uint32_t gen)
{
	if (d->seen && pn <= d->largest)
		return;
	d->largest = pn;
	d->gen = gen;
	d->seen = true;
}

/*
 * The number and key generation of a 1-RTT packet being sealed: of the
 * recent generations (ngtcp2 may hold old, current and next keys), the one
 * and only whose IV turns the nonce into a packet number that the header
 * agrees with: Key Phase bit and packet number field. Neither the Key
 * Phase bit nor the IV alone decides; no answer rather than a guess.
 */
static bool tx_pkt_of(const struct qo_conn *qc, const uint8_t *aad,
		      size_t aadlen, const uint8_t *nonce, size_t noncelen,
		      uint64_t *pn, uint32_t *gen)
{
	const struct qo_dir *d = &qc->tx;
	size_t pnlen = (aad[0] & 0x03) + 1, i;
	unsigned int found = 0;
	uint64_t p, field = 0;
	uint32_t g;

	if (aadlen < 1 + pnlen)
		return false;
	for (i = aadlen - pnlen; i < aadlen; i++)
		field = field << 8 | aad[i];
	for (g = d->ngen; g-- > 0 && g + QO_GENS >= d->ngen;)
		if (pn_of(nonce, noncelen, d->iv[g % QO_GENS], &p) &&
		    !(aad[0] & QO_SHORT_KP) == !(g & 1) &&
		    (p & (~0ULL >> (64 - 8 * pnlen))) == field) {
			found++;
			*pn = p;
			*gen = g;
		}
	return found == 1;
}

/*
 * Which recent generation's IV makes a packet number of this nonce (@want,
 * if not NULL)? Newest first: ngtcp2 may hold old, current and next keys.
 */
static bool rx_gen_of(struct qo_conn *qc, const uint8_t *nonce,
		      size_t noncelen, const uint64_t *want, uint64_t *pn,
		      uint32_t *gen)
{
	struct qo_dir *d = &qc->rx;
	uint32_t g;

	for (g = d->ngen; g-- > 0 && g + QO_GENS >= d->ngen;)
		if (pn_of(nonce, noncelen, d->iv[g % QO_GENS], pn) &&
		    (!want || *pn == *want)) {
			*gen = g;
			return true;
		}
	return false;
}

static bool is_1rtt(const uint8_t *aad, size_t aadlen)
{
	return aadlen >= 2 && !(aad[0] & QO_LONG_HDR);
}

/*
 * A packet whose first frame (after PADDING) is CONNECTION_CLOSE: what
 * ngtcp2_conn_write_connection_close() writes. It is protected here, so
 * that its bytes may be sent again as they are during the closing period
 * (RFC 9000, 10.2.1), which the kernel, never sealing a packet number
 * twice, would refuse.
 */
static bool is_close(const uint8_t *payload, size_t len)
{
	size_t i = 0;

	while (i < len && !payload[i])
		i++;
	return i < len && (payload[i] == 0x1c || payload[i] == 0x1d);
}

static bool in_range(const void *p, size_t len, const void *lo, size_t n)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)lo;

	return a >= b && len <= n && a - b <= n - len;
}

/*
 * Record a 1-RTT packet the kernel is to protect: the header (@aad) is in
 * the buffer right before the payload at @dest, which ngtcp2 sends as is.
 * False when the kernel could not take it: protect it here.
 */
static bool tx_leave(struct qo_conn *qc, const uint8_t *aad, size_t aadlen,
		     const uint8_t *dest, size_t plaintextlen, uint64_t pn,
		     uint32_t gen)
{
	size_t pnlen = (aad[0] & 0x03) + 1, dcid_len = aadlen - 1 - pnlen;
	size_t len = aadlen + plaintextlen + QUIC_ULP_TAG_LEN;
	struct qo_txrec r;
	int killed;

	if ((uintptr_t)dest != (uintptr_t)aad + aadlen ||
	    dcid_len > QUIC_ULP_MAX_CID_LEN || len < 1 + dcid_len + QO_MIN_PKT - 1 ||
	    len > UINT32_MAX || gen < qc->txq.floor ||
	    gen > qc->tx_rec_gen + 1)	/* the kernel moves one at a time */
		return false;
	memset(&r, 0, sizeof(r));
	r.pkt = (uintptr_t)aad;
	r.pn = pn;
	r.len = (uint32_t)len;
	r.gen = gen;
	r.dcid_len = (uint8_t)dcid_len;
	r.first = aad[0];
	killed = qo_txq_push(&qc->txq, &r);
	if (killed < 0)
		return false;
	qc->st.tx_dropped += (uint64_t)killed;
	if (gen > qc->tx_rec_gen)
		qc->tx_rec_gen = gen;
	return true;
}

/* The crypto callbacks. */

static int qo_encrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
		      const ngtcp2_crypto_aead_ctx *aead_ctx,
		      const uint8_t *plaintext, size_t plaintextlen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *aad, size_t aadlen)
{
	struct qo_conn *qc = cur;
	bool coalesced, known;
	uint64_t pn = 0;
	uint32_t gen = 0;

	hp_zero_lo = hp_zero_hi = 0;
	coalesced = (uintptr_t)aad == tx_long_end;
	tx_long_end = 0;
	if (!qc || !qc->tx.ngen || !is_1rtt(aad, aadlen)) {
		if (aadlen && (aad[0] & QO_LONG_HDR))
			tx_long_end = (uintptr_t)dest + plaintextlen +
				      QUIC_ULP_TAG_LEN;
		goto user;
	}
	known = tx_pkt_of(qc, aad, aadlen, nonce, noncelen, &pn, &gen);
	if (known)
		dir_seen(&qc->tx, pn, gen);
	if (!qc->tx.on) {
		qc->st.tx_user++;
		goto user;
	}
	if (is_close(plaintext, plaintextlen)) {
		qc->st.tx_user_close++;
		goto user;
	}
	if (coalesced) {	/* the kernel seals a segment's first packet */
		qc->st.tx_user_coalesced++;
		goto user;
	}
	if (known && !qc->tx_failed &&
	    tx_leave(qc, aad, aadlen, dest, plaintextlen, pn, gen)) {
		memmove(dest, plaintext, plaintextlen);
		memset(dest + plaintextlen, 0, QUIC_ULP_TAG_LEN);
		hp_zero_lo = (uintptr_t)aad;
		hp_zero_hi = (uintptr_t)(dest + plaintextlen + QUIC_ULP_TAG_LEN);
		return 0;
	}
	qc->st.tx_user_late++;
user:
	return ngtcp2_crypto_encrypt_cb(dest, aead, aead_ctx, plaintext,
					plaintextlen, nonce, noncelen, aad,
					aadlen);
}

static int qo_decrypt(uint8_t *dest, const ngtcp2_crypto_aead *aead,
		      const ngtcp2_crypto_aead_ctx *aead_ctx,
		      const uint8_t *ciphertext, size_t ciphertextlen,
		      const uint8_t *nonce, size_t noncelen,
		      const uint8_t *aad, size_t aadlen)
{
	struct qo_conn *qc = cur;
	const struct quic_ulp_rx_info *ri;
	uint64_t pn, want;
	uint32_t gen;
	int rv;

	if (!qc || !qc->rx.ngen || !is_1rtt(aad, aadlen))
		return ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx,
						ciphertext, ciphertextlen,
						nonce, noncelen, aad, aadlen);

	ri = qc->info;
	want = ri ? ri->pn : 0;
	if (ri && ciphertextlen >= QUIC_ULP_TAG_LEN &&
	    in_range(ciphertext, ciphertextlen, qc->seg, qc->seglen) &&
	    ciphertext + ciphertextlen == qc->seg + qc->seglen) {
		qc->info = NULL;	/* one packet per segment */
		if (ri->conn != qc->handle ||
		    !rx_gen_of(qc, nonce, noncelen, &want, &pn, &gen)) {
			qc->st.rx_refused++;
			return NGTCP2_ERR_DECRYPT;
		}
		memmove(dest, ciphertext, ciphertextlen - QUIC_ULP_TAG_LEN);
		dir_seen(&qc->rx, pn, gen);
		qc->rx.kernel_seen = true;
		qc->st.rx_kernel++;
		return 0;
	}

	rv = ngtcp2_crypto_decrypt_cb(dest, aead, aead_ctx, ciphertext,
				      ciphertextlen, nonce, noncelen, aad,
				      aadlen);
	if (!rv) {
		if (rx_gen_of(qc, nonce, noncelen, NULL, &pn, &gen))
			dir_seen(&qc->rx, pn, gen);
		if (qc->rx.on && qc->seg && (qc->seg[0] & QO_LONG_HDR) &&
		    in_range(ciphertext, ciphertextlen, qc->seg, qc->seglen))
			qc->st.rx_user_coalesced++;	/* left whole */
		else if (qc->rx.kernel_seen)
			qc->st.rx_user_late++;
		else if (qc->rx.on)
			qc->st.rx_user_queued++;
		else
			qc->st.rx_user++;
	}
	return rv;
}

static int qo_hp_mask(uint8_t *dest, const ngtcp2_crypto_cipher *hp,
		      const ngtcp2_crypto_cipher_ctx *hp_ctx,
		      const uint8_t *sample)
{
	struct qo_conn *qc = cur;
	uintptr_t s = (uintptr_t)sample;

	if (hp_zero_hi && s >= hp_zero_lo &&
	    s + NGTCP2_HP_SAMPLELEN <= hp_zero_hi) {
		hp_zero_lo = hp_zero_hi = 0;
		memset(dest, 0, NGTCP2_HP_MASKLEN);
		return 0;
	}
	if (qc && qc->info && !(qc->seg[0] & 0x80) &&
	    in_range(sample, NGTCP2_HP_SAMPLELEN, qc->seg, qc->seglen)) {
		memset(dest, 0, NGTCP2_HP_MASKLEN);
		return 0;
	}
	return ngtcp2_crypto_hp_mask_cb(dest, hp, hp_ctx, sample);
}

/* Talking to the kernel. */

/*
 * The connection of a GnuTLS session. The session's user pointer is the
 * application's (ngtcp2's examples keep their ngtcp2_crypto_conn_ref there
 * and read it back in their own hooks, a session ticket's for one), and
 * ngtcp2's crypto callbacks carry no pointer of the library's: so the
 * library keeps its own map, from session to connection. It is consulted at
 * key installs, key updates, handshake and connection ID events, never per
 * packet; a mutex keeps it safe for connections driven from several
 * threads.
 */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static void *reg;			/* tsearch() tree of struct qo_conn */

/* Entries are connections, keys sessions: both start with the session */
static int reg_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const gnutls_session_t *)a;
	uintptr_t y = (uintptr_t)*(const gnutls_session_t *)b;

	return (x > y) - (x < y);
}

static int reg_add(struct qo_conn *qc, gnutls_session_t s)
{
	struct qo_conn **found;
	int rv = 0;

	pthread_mutex_lock(&reg_lock);
	qc->tls = s;
	found = tsearch(qc, &reg, reg_cmp);
	if (!found)
		rv = -ENOMEM;
	else if (*found != qc)
		rv = -EEXIST;
	if (rv)
		qc->tls = NULL;
	pthread_mutex_unlock(&reg_lock);
	return rv;
}

static void reg_del(struct qo_conn *qc)
{
	pthread_mutex_lock(&reg_lock);
	tdelete(qc, &reg, reg_cmp);
	pthread_mutex_unlock(&reg_lock);
}

static struct qo_conn *reg_find(gnutls_session_t s)
{
	struct qo_conn **found;

	if (!s)
		return NULL;
	pthread_mutex_lock(&reg_lock);
	found = tfind(&s, &reg, reg_cmp);
	pthread_mutex_unlock(&reg_lock);
	return found ? *found : NULL;
}

/* A session freed before qo_conn_del() may come back at the same address:
 * the entry must also be this conn's
 */
static struct qo_conn *qc_of(ngtcp2_conn *conn)
{
	struct qo_conn *qc = reg_find(ngtcp2_conn_get_tls_native_handle(conn));

	return qc && qc->conn == conn ? qc : NULL;
}

static int cid_op(struct qo_conn *qc, int opt, uint8_t dir,
		  const struct qo_cid *c)
{
	struct quic_ulp_cid q;

	memset(&q, 0, sizeof(q));
	q.conn = qc->handle;
	q.dir = dir;
	q.len = c->len;
	memcpy(q.id, c->id, c->len);
	if (dir == QUIC_ULP_DIR_RX) {
		memcpy(&q.peer, &c->peer, sizeof(q.peer));
	} else if (opt == QUIC_ULP_ADD_CID) {
		q.flags = QUIC_ULP_CID_RESET_TOKEN;
		memcpy(q.reset_token, c->token, sizeof(q.reset_token));
	}
	return setsockopt(qc->fd, SOL_UDP, opt, &q, sizeof(q)) ? -errno : 0;
}

static void cid_refused(struct qo_conn *qc, bool rx, int err)
{
	static bool said_exist, said_rx, said_tx;

	qc->st.cid_refused++;
	if (!rx)
		say_once(&said_tx, "%s: %s: a Stateless Reset with it will "
			 "fail authentication", "QUIC_ULP_ADD_CID (Tx, reset token)",
			 -err);
	else if (err == -EEXIST)
		say_once(&said_exist, "%s: %s (an ID and another one on the "
			 "socket are prefixes of each other): its packets use "
			 "userspace crypto", "QUIC_ULP_ADD_CID (Rx)", -err);
	else
		say_once(&said_rx, "%s: %s: its packets use userspace crypto",
			 "QUIC_ULP_ADD_CID (Rx)", -err);
}

static void rx_cid_add(struct qo_conn *qc, const ngtcp2_cid *cid)
{
	const ngtcp2_addr *a = &ngtcp2_conn_get_path(qc->conn)->remote;
	struct qo_cid *c;
	int rv = -ENOSPC;

	if (qc->nrx_cids < QO_RX_CIDS && cid->datalen <= QUIC_ULP_MAX_CID_LEN) {
		c = &qc->rx_cids[qc->nrx_cids];
		memset(c, 0, sizeof(*c));
		c->len = (uint8_t)cid->datalen;
		memcpy(c->id, cid->data, cid->datalen);
		if (!c->len && a->addrlen <= sizeof(c->peer))
			memcpy(&c->peer, a->addr, a->addrlen);
		rv = cid_op(qc, QUIC_ULP_ADD_CID, QUIC_ULP_DIR_RX, c);
		if (!rv)
			qc->nrx_cids++;
	}
	if (rv)
		cid_refused(qc, true, rv);
}

static void rx_cid_del(struct qo_conn *qc, const ngtcp2_cid *cid)
{
	size_t i;

	for (i = 0; i < qc->nrx_cids; i++) {
		struct qo_cid *c = &qc->rx_cids[i];

		if (c->len != cid->datalen || memcmp(c->id, cid->data, c->len))
			continue;
		cid_op(qc, QUIC_ULP_DEL_CID, QUIC_ULP_DIR_RX, c);
		*c = qc->rx_cids[--qc->nrx_cids];
		return;
	}
}

static bool same_tx_cid(const struct qo_cid *c, const ngtcp2_cid_token *t)
{
	return t->token_present && c->len == t->cid.datalen &&
	       !memcmp(c->id, t->cid.data, c->len) &&
	       !memcmp(c->token, t->token, sizeof(c->token));
}

/*
 * Give the kernel the Stateless Reset Tokens of ngtcp2's active DCIDs, as
 * the connection's QUIC_ULP_DIR_TX IDs (the kernel never sends by them, it
 * only recognises a reset with them). An ID the kernel refuses stays
 * listed, marked, so that it is not offered again.
 */
static void tx_cids_sync(struct qo_conn *qc)
{
	size_t n = ngtcp2_conn_get_active_dcid(qc->conn, NULL), i, j;
	ngtcp2_cid_token *act = calloc(n ? n : 1, sizeof(*act));
	struct qo_cid *c;
	int rv;

	if (!act)
		return;		/* dirty still: next time */
	ngtcp2_conn_get_active_dcid(qc->conn, act);
	for (i = 0; i < qc->ntx_cids;) {
		c = &qc->tx_cids[i];
		for (j = 0; j < n && !same_tx_cid(c, &act[j]); j++)
			;
		if (j < n) {
			i++;
			continue;
		}
		if (!c->refused)
			cid_op(qc, QUIC_ULP_DEL_CID, QUIC_ULP_DIR_TX, c);
		*c = qc->tx_cids[--qc->ntx_cids];
	}
	for (j = 0; j < n; j++) {
		if (!act[j].token_present ||
		    act[j].cid.datalen > QUIC_ULP_MAX_CID_LEN)
			continue;
		for (i = 0; i < qc->ntx_cids &&
			    !same_tx_cid(&qc->tx_cids[i], &act[j]); i++)
			;
		if (i < qc->ntx_cids)
			continue;
		if (qc->ntx_cids == QO_TX_CIDS) {
			cid_refused(qc, false, -ENOSPC);
			continue;
		}
		c = &qc->tx_cids[qc->ntx_cids++];
		memset(c, 0, sizeof(*c));
		c->len = (uint8_t)act[j].cid.datalen;
		memcpy(c->id, act[j].cid.data, c->len);
		memcpy(c->token, act[j].token, sizeof(c->token));
		rv = cid_op(qc, QUIC_ULP_ADD_CID, QUIC_ULP_DIR_TX, c);
		if (rv) {
			c->refused = true;
			cid_refused(qc, false, rv);
		}
	}
	free(act);
	qc->tx_cids_dirty = false;
}

/*
 * Give the kernel one direction: the 1-RTT secret, the key updates so far
 * and the next packet number, once the handshake is confirmed and a 1-RTT
 * packet went that way (which tells us its number and generation). Keys
 * go in once per direction. With QO_DEVICE they carry QUIC_ULP_KEY_DEVICE:
 * the kernel may hand the direction to a network device that offers it.
 */
static bool key_on(struct qo_conn *qc, struct qo_dir *d, unsigned int bit)
{
	static bool said, said_dev;
	struct quic_ulp_key k;
	uint32_t version;
	int rv;

	if (!(qc->mode & bit) || d->on || !qc->confirmed || !d->seen ||
	    !d->secret_len || !qc->cipher)
		return false;
	switch (ngtcp2_conn_get_negotiated_version(qc->conn)) {
	case NGTCP2_PROTO_VER_V1:
		version = QUIC_ULP_VERSION_1;
		break;
	case NGTCP2_PROTO_VER_V2:
		version = QUIC_ULP_VERSION_2;
		break;
	default:
		qc->mode = 0;	/* the kernel knows only these two */
		return false;
	}
	if (d->gen > QUIC_ULP_MAX_KEY_UPDATES) {
		qc->mode &= ~bit;
		return false;
	}
	memset(&k, 0, sizeof(k));
	k.conn = qc->handle;
	k.cipher = qc->cipher;
	k.secret_len = d->secret_len;
	k.key_updates = d->gen;
	k.version = version;
	k.next_pn = d->largest + 1;
	if (qc->mode & QO_DEVICE)
		k.flags = QUIC_ULP_KEY_DEVICE;
	memcpy(k.secret, d->secret, d->secret_len);
	rv = setsockopt(qc->fd, SOL_UDP,
			bit == QO_TX ? QUIC_ULP_TX_KEY : QUIC_ULP_RX_KEY, &k, sizeof(k));
	if (rv)
		rv = errno;
	/* A kernel older than QUIC_ULP_KEY_DEVICE takes no flags: EINVAL,
	 * and nothing changed (it checks every field first). Once more
	 * without it; if that works, without it for the other direction too.
	 */
	if (rv == EINVAL && k.flags) {
		k.flags = 0;
		rv = setsockopt(qc->fd, SOL_UDP, bit == QO_TX ?
				QUIC_ULP_TX_KEY : QUIC_ULP_RX_KEY, &k, sizeof(k));
		if (rv) {
			rv = errno;
		} else {
			qc->mode &= ~QO_DEVICE;
			say_once(&said_dev, "%s (%s): the kernel keeps the "
				 "packet protection to itself",
				 "a key with QUIC_ULP_KEY_DEVICE refused",
				 EINVAL);
		}
	}
	explicit_bzero(&k, sizeof(k));
	if (rv) {
		qc->mode &= ~bit;
		say_once(&said, "%s: %s: using userspace crypto",
			 "installing a key", rv);
		return false;
	}
	if (bit == QO_TX) {
		qc->st.tx_on_pn = d->largest + 1;
		/* The kernel has this generation only, no previous one */
		qc->txq.conn = qc->handle;
		qc->txq.floor = qc->txq.sent_gen = qc->tx_rec_gen = d->gen;
		qc->txq.on = true;
	} else {
		qc->st.rx_on_pn = d->largest + 1;
	}
	d->on = qc->in_kernel = true;
	return true;
}

static void rx_on(struct qo_conn *qc)
{
	size_t n, i;
	ngtcp2_cid *ids;

	if (!key_on(qc, &qc->rx, QO_RX))
		return;
	n = ngtcp2_conn_get_scid(qc->conn, NULL);
	ids = calloc(n ? n : 1, sizeof(*ids));
	if (!ids)
		return;
	ngtcp2_conn_get_scid(qc->conn, ids);
	for (i = 0; i < n; i++)
		rx_cid_add(qc, &ids[i]);
	free(ids);
}

/* The key and connection ID callbacks. */

static int qo_secret(gnutls_session_t session,
		     gnutls_record_encryption_level_t glevel,
		     const void *rx_secret, const void *tx_secret, size_t len)
{
	struct qo_conn *qc = reg_find(session);
	ngtcp2_encryption_level level =
		ngtcp2_crypto_gnutls_from_gnutls_record_encryption_level(glevel);
	const void *secret[2] = { rx_secret, tx_secret };
	struct qo_dir *dir[2];
	uint8_t iv[64];
	int i, rv;

	if (!qc)
		return -1;
	dir[0] = &qc->rx;
	dir[1] = &qc->tx;
	for (i = 0; i < 2; i++) {
		if (!secret[i])
			continue;
		if (i)
			rv = ngtcp2_crypto_derive_and_install_tx_key(qc->conn,
					NULL, iv, NULL, level, secret[i], len);
		else
			rv = ngtcp2_crypto_derive_and_install_rx_key(qc->conn,
					NULL, iv, NULL, level, secret[i], len);
		if (rv)
			return -1;
		if (level != NGTCP2_ENCRYPTION_LEVEL_1RTT)
			continue;
		if (len <= QUIC_ULP_MAX_SECRET_LEN) {
			memcpy(dir[i]->secret, secret[i], len);
			dir[i]->secret_len = (uint8_t)len;
		}
		memcpy(dir[i]->iv[0], iv, QO_IV_LEN);
		dir[i]->ngen = 1;
	}
	if (level == NGTCP2_ENCRYPTION_LEVEL_1RTT) {
		switch (gnutls_cipher_get(session)) {
		case GNUTLS_CIPHER_AES_128_GCM:
			qc->cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256;
			break;
		case GNUTLS_CIPHER_AES_256_GCM:
			qc->cipher = QUIC_ULP_CIPHER_AES_256_GCM_SHA384;
			break;
		case GNUTLS_CIPHER_CHACHA20_POLY1305:
			qc->cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256;
			break;
		case GNUTLS_CIPHER_AES_128_CCM:
			qc->cipher = QUIC_ULP_CIPHER_AES_128_CCM_SHA256;
			break;
		default:
			qc->cipher = 0;	/* not offloadable */
		}
	}
	return 0;
}

/*
 * ngtcp2 derives the next generation here, after the handshake and then
 * after each key update was confirmed, and drops its previous receive keys
 * (it never keeps previous send keys). The kernel derives its own next
 * keys, so only the drop is mirrored: Rx as ngtcp2 does; Tx once the
 * kernel sealed with a newer generation than the oldest it may still
 * hold. The library never names an older generation after a newer one was
 * sent (qo_txq_done() drops the records of older packets), and from now on
 * refuses to name one below the floor, so no send meets EKEYREJECTED for
 * a discarded generation.
 */
static int qo_update_key(ngtcp2_conn *conn, uint8_t *rx_secret,
			 uint8_t *tx_secret, ngtcp2_crypto_aead_ctx *rx_aead_ctx,
			 uint8_t *rx_iv, ngtcp2_crypto_aead_ctx *tx_aead_ctx,
			 uint8_t *tx_iv, const uint8_t *current_rx_secret,
			 const uint8_t *current_tx_secret, size_t secretlen,
			 void *user_data)
{
	struct qo_conn *qc = qc_of(conn);
	struct quic_ulp_discard dis;

	if (ngtcp2_crypto_update_key_cb(conn, rx_secret, tx_secret,
					rx_aead_ctx, rx_iv, tx_aead_ctx, tx_iv,
					current_rx_secret, current_tx_secret,
					secretlen, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (!qc)
		return 0;
	memcpy(qc->rx.iv[qc->rx.ngen++ % QO_GENS], rx_iv, QO_IV_LEN);
	memcpy(qc->tx.iv[qc->tx.ngen++ % QO_GENS], tx_iv, QO_IV_LEN);
	if (!qc->in_kernel)
		return 0;
	memset(&dis, 0, sizeof(dis));
	dis.conn = qc->handle;
	if (qc->rx.on && qc->rx.ngen > 2)
		dis.dir |= QUIC_ULP_DIR_RX;
	if (qc->txq.on && qc->txq.sent_gen > qc->txq.floor) {
		qc->txq.floor = qc->txq.sent_gen;
		dis.dir |= QUIC_ULP_DIR_TX;
	}
	if (dis.dir)
		setsockopt(qc->fd, SOL_UDP, QUIC_ULP_DISCARD_OLD_KEY, &dis,
			   sizeof(dis));	/* best effort */
	return 0;
}

static int qo_handshake_completed(ngtcp2_conn *conn, void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->app.handshake_completed &&
	    qc->app.handshake_completed(conn, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (ngtcp2_conn_is_server(conn))
		qc->confirmed = true;	/* a server confirms on completion */
	return 0;
}

static int qo_handshake_confirmed(ngtcp2_conn *conn, void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->app.handshake_confirmed &&
	    qc->app.handshake_confirmed(conn, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	qc->confirmed = true;
	return 0;
}

static int qo_get_new_connection_id(ngtcp2_conn *conn, ngtcp2_cid *cid,
				    uint8_t *token, size_t cidlen,
				    void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc || !qc->app.get_new_connection_id ||
	    qc->app.get_new_connection_id(conn, cid, token, cidlen, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->rx.on)
		rx_cid_add(qc, cid);
	return 0;
}

static int qo_remove_connection_id(ngtcp2_conn *conn, const ngtcp2_cid *cid,
				   void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->app.remove_connection_id &&
	    qc->app.remove_connection_id(conn, cid, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->rx.on)
		rx_cid_del(qc, cid);
	return 0;
}

static int qo_dcid_status(ngtcp2_conn *conn,
			  ngtcp2_connection_id_status_type type, uint64_t seq,
			  const ngtcp2_cid *cid, const uint8_t *token,
			  void *user_data)
{
	struct qo_conn *qc = qc_of(conn);

	if (!qc)
		return NGTCP2_ERR_CALLBACK_FAILURE;
	if (qc->app.dcid_status &&
	    qc->app.dcid_status(conn, type, seq, cid, token, user_data))
		return NGTCP2_ERR_CALLBACK_FAILURE;
	qc->tx_cids_dirty = true;	/* applied at qo_conn_write_begin() */
	return 0;
}

/* The API. */

struct qo_conn *qo_conn_new(int fd, unsigned int mode)
{
	static uint32_t next_handle;
	struct qo_conn *qc = calloc(1, sizeof(*qc));

	if (!qc)
		return NULL;
	qc->fd = fd;
	qc->mode = mode & (QO_TX | QO_RX | QO_DEVICE);
	qc->handle = __atomic_add_fetch(&next_handle, 1, __ATOMIC_RELAXED);
	return qc;
}

uint32_t qo_conn_handle(const struct qo_conn *qc)
{
	return qc->handle;
}

void qo_conn_callbacks(struct qo_conn *qc, ngtcp2_callbacks *cb)
{
	qc->app = *cb;
	cb->encrypt = qo_encrypt;
	cb->decrypt = qo_decrypt;
	cb->hp_mask = qo_hp_mask;
	cb->update_key = qo_update_key;
	cb->handshake_completed = qo_handshake_completed;
	cb->handshake_confirmed = qo_handshake_confirmed;
	cb->get_new_connection_id = qo_get_new_connection_id;
	cb->remove_connection_id = qo_remove_connection_id;
	cb->dcid_status = qo_dcid_status;
}

int qo_conn_bind(struct qo_conn *qc, ngtcp2_conn *conn,
		 gnutls_session_t session)
{
	int rv;

	/* ngtcp2's crypto callbacks find the connection through the
	 * application's ngtcp2_crypto_conn_ref: without one, the first
	 * handshake message would dereference NULL
	 */
	if (!qc || !conn || !session || qc->tls ||
	    !gnutls_session_get_ptr(session))
		return -EINVAL;
	rv = reg_add(qc, session);
	if (rv)
		return rv;
	qc->conn = conn;
	gnutls_handshake_set_secret_function(session, qo_secret);
	ngtcp2_conn_set_tls_native_handle(conn, session);
	return 0;
}

int qo_conn_read_pkt(struct qo_conn *qc, const ngtcp2_path *path,
		     const ngtcp2_pkt_info *pi, const uint8_t *pkt,
		     size_t pktlen, const struct quic_ulp_rx_info *info,
		     ngtcp2_tstamp ts)
{
	struct qo_conn *prev = cur;
	int rv;

	/* What the kernel dropped of this connection since its last record:
	 * counted whether or not ngtcp2 takes this packet
	 */
	if (info && info->status == QUIC_ULP_RX_DECRYPTED &&
	    info->conn == qc->handle)
		qc->st.rx_auth_failures += info->auth_failures;
	cur = qc;
	qc->seg = pkt;
	qc->seglen = pktlen;
	qc->info = info;
	rv = ngtcp2_conn_read_pkt(qc->conn, path, pi, pkt, pktlen, ts);
	if (qc->info)		/* decrypted, but ngtcp2 never asked */
		qc->info = NULL;
	qc->seg = NULL;
	qc->seglen = 0;
	cur = prev;
	if (!rv && !qc->rx.on)
		rx_on(qc);
	return rv;
}

void qo_conn_write_begin(struct qo_conn *qc)
{
	cur = qc;
	hp_zero_lo = hp_zero_hi = 0;
	tx_long_end = 0;
	if (!qc)
		return;
	/* Written before and not sent: dropped, and never sendable now */
	qc->st.tx_dropped += qo_txq_clear(&qc->txq);
	if (key_on(qc, &qc->tx, QO_TX))
		qc->tx_cids_dirty = true;
	if (qc->tx.on && qc->tx_cids_dirty)
		tx_cids_sync(qc);
}

int qo_conn_tx_cmsg(struct qo_conn *qc, uint8_t *pkt, size_t len, size_t gso,
		    struct msghdr *msg, size_t space)
{
	static bool said;
	size_t n;
	int rv;

	rv = qo_txq_cmsg(&qc->txq, pkt, len, gso, msg, space, &n);
	if (rv < 0) {
		qc->st.tx_unsent += n;
		qc->st.tx_mismatch++;
		say_once(&said, "%s (%s): not sent, zeroed",
			 "a datagram does not match the packets left in "
			 "plaintext for the kernel", -rv);
	}
	return rv;
}

/* Say once per errno that the kernel refused to send */
static void tx_refused(int err)
{
	static const int known[] = {
		EINVAL, EBADMSG, ENOENT, ENOKEY, EKEYREJECTED, EEXIST,
		EKEYEXPIRED, EBUSY, EMSGSIZE, EOPNOTSUPP, ENOMEM,
	};
	static bool said[sizeof(known) / sizeof(known[0]) + 1];
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == err)
			break;
	say_once(&said[i], "%s: %s: its packets were not sent",
		 "sendmsg() with QUIC_ULP_TX_INFO failed", err);
}

void qo_conn_tx_done(struct qo_conn *qc, uint8_t *pkt, size_t len, int err)
{
	static bool said;
	size_t n, older;

	if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
		return;		/* may be sent again */
	qo_txq_done(&qc->txq, pkt, len, !err, &n, &older);
	qc->st.tx_dropped += older;
	if (!n)
		return;		/* protected here: not ours */
	if (!err) {
		qc->st.tx_kernel += n;
		qc->tx_fails = 0;
		return;
	}
	qc->st.tx_unsent += n;
	qc->st.tx_refused++;
	tx_refused(err);
	/* Give up on the kernel for this connection only when it will not
	 * take its packets again: EBUSY, ENOMEM, EMSGSIZE pass, and
	 * EKEYEXPIRED waits for ngtcp2's key update (it counts the same
	 * packets against the same limit)
	 */
	switch (err) {
	case ENOENT:		/* the kernel lost the connection ... */
	case ENOKEY:		/* ... or its key */
	case EINVAL:		/* no ULP, or a request it does not take */
	case EOPNOTSUPP:
	case EKEYREJECTED:	/* it disagrees on key generations ... */
	case EBADMSG:		/* ... or on what a packet looks like */
		break;
	case EEXIST:		/* ... or on packet numbers, for good? */
		if (++qc->tx_fails >= QO_TX_MAX_FAILS)
			break;
		return;
	default:
		return;
	}
	if (!qc->tx_failed)
		say_once(&said, "%s (%s): using userspace crypto for its "
			 "later packets", "the kernel refuses a connection's "
			 "sends", err);
	qc->tx_failed = true;
}

void qo_conn_set_mode(struct qo_conn *qc, unsigned int mode)
{
	qc->mode = mode & (QO_TX | QO_RX | QO_DEVICE);
}

int qo_conn_info(struct qo_conn *qc, struct quic_ulp_conn_info *info)
{
	socklen_t len = sizeof(*info);

	if (!qc || !qc->in_kernel)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->conn = qc->handle;
	if (getsockopt(qc->fd, SOL_UDP, QUIC_ULP_CONN_INFO, info, &len))
		return -errno;
	return 0;
}

void qo_conn_stats(const struct qo_conn *qc, struct qo_stats *st)
{
	*st = qc->st;
	st->tx_gen = qc->tx.gen;
	st->rx_gen = qc->rx.gen;
	st->mode = (qc->tx.on && !qc->tx_failed ? QO_TX : 0) |
		   (qc->rx.on ? QO_RX : 0);
}

void qo_conn_del(struct qo_conn *qc)
{
	if (!qc)
		return;
	if (qc->in_kernel)
		setsockopt(qc->fd, SOL_UDP, QUIC_ULP_DEL_CONN, &qc->handle,
			   sizeof(qc->handle));
	if (qc->tls)
		reg_del(qc);
	if (cur == qc)
		cur = NULL;
	qo_txq_free(&qc->txq);
	explicit_bzero(qc, sizeof(*qc));
	free(qc);
}
