// SPDX-License-Identifier: GPL-2.0
/*
 * Tx: the sender writes each packet (a copy of a prepared plaintext packet
 * plus its connection ID and packet number, standing for the QUIC stack
 * writing it), protects it in userspace for the "user" paths, and sends
 * the batch with one sendmsg() (UDP_SEGMENT). The receiver in the other
 * namespace is a sink common to all paths: UDP_GRO, one recvmsg() per
 * datagram, no crypto.
 *
 * "userzc" sends with MSG_ZEROCOPY from a ring of buffers, each reused
 * only once the kernel has said it is done with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <time.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"

#define ZC_BUFS		16

struct tx_ctx {
	const struct bench_case *c;
	struct bench_net *net;
	unsigned int nb;		/* packets per sendmsg() */
	bool protect;			/* userspace crypto */
	bool zerocopy;
	uint8_t tmpl[BENCH_MAX_PKT];	/* the packet as the stack writes it */
	struct quic_ref_key key;
	uint64_t *pn;			/* next packet number, per connection */
	uint32_t rr;			/* next connection, round-robin */
	uint32_t dgrams;		/* datagrams filled, per-datagram case */
	uint32_t last_conn;
	uint64_t last_pn;
	struct quic_ulp_tx_info recs[BENCH_MAX_BATCH]; /* ulp: what to protect */
	uint8_t *bufs;
	unsigned int nbufs;
	uint64_t zc_done;		/* zerocopy sends completed (ids below) */
	uint64_t zc_completions, zc_copied;
	char err[96];
};

/* Write (and protect) the packets of one batch into @buf */
static int tx_fill(struct tx_ctx *t, uint8_t *buf, unsigned int nb)
{
	unsigned int size = t->c->size, i;
	uint8_t *p;
	int err;

	for (i = 0; i < nb; i++) {
		p = buf + (size_t)i * size;
		memcpy(p, t->tmpl, size);
		if (t->c->per_dgram) {
			t->last_conn = bench_dgram_conn(t->c, t->dgrams);
			t->dgrams += i == nb - 1;
		} else {
			t->last_conn = t->rr;
			if (++t->rr == t->c->conns)
				t->rr = 0;
		}
		t->last_pn = t->pn[t->last_conn]++;
		bench_packet_set(p, t->last_conn, t->last_pn);
		/* The kernel seals what the record says, as the stack
		 * tells it: connection, packet number, generation
		 */
		t->recs[i] = (struct quic_ulp_tx_info){
			.pn = t->last_pn, .conn = t->last_conn,
			.dcid_len = BENCH_CID_LEN,
		};
		if (!t->protect)
			continue;
		err = quic_ref_protect(&t->key, p, size, BENCH_CID_LEN,
				       t->last_pn);
		if (err)
			return err;
	}
	return 0;
}

/* Read MSG_ZEROCOPY completions: ranges of send ids, in order */
static void zc_drain(struct tx_ctx *t)
{
	char control[CMSG_SPACE(sizeof(struct sock_extended_err) + 64)];
	struct msghdr msg = { .msg_control = control };
	struct sock_extended_err *ee;
	struct cmsghdr *cm;
	uint64_t n;

	for (;;) {
		msg.msg_controllen = sizeof(control);
		if (recvmsg(t->net->tx, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
			if (cm->cmsg_level != SOL_IP || cm->cmsg_type != IP_RECVERR)
				continue;
			ee = (struct sock_extended_err *)CMSG_DATA(cm);
			if (ee->ee_origin != SO_EE_ORIGIN_ZEROCOPY)
				continue;
			n = ee->ee_data - ee->ee_info + 1;
			t->zc_completions += n;
			if (ee->ee_code & SO_EE_CODE_ZEROCOPY_COPIED)
				t->zc_copied += n;
			if (ee->ee_data + 1ULL > t->zc_done)
				t->zc_done = ee->ee_data + 1ULL;
		}
	}
}

/* Wait until send @id may reuse its buffer, i.e. send id - ZC_BUFS is done */
static void zc_wait(struct tx_ctx *t, struct flow *f, uint64_t id)
{
	struct pollfd pfd = { .fd = t->net->tx, .events = 0 };

	zc_drain(t);
	while (t->zc_done + t->nbufs <= id && !atomic_load(&f->stop)) {
		poll(&pfd, 1, 100);
		zc_drain(t);
	}
}

static void *tx_sender(void *arg)
{
	struct bench_run *r = arg;
	struct tx_ctx *t = r->ctx;
	size_t len = (size_t)t->nb * t->c->size;
	int flags = t->zerocopy ? MSG_ZEROCOPY : 0;
	uint64_t id = 0;
	uint8_t *buf;
	ssize_t n;

	pin_to_cpu(BENCH_SENDER_CPU);
	while (flow_wait(&r->flow, t->nb)) {
		buf = t->bufs + (id % t->nbufs) * BENCH_MAX_DGRAM;
		if (t->zerocopy)
			zc_wait(t, &r->flow, id);
		if (tx_fill(t, buf, t->nb)) {
			snprintf(t->err, sizeof(t->err), "userspace protection failed");
			break;
		}
		n = bench_send(t->net->tx, buf, len, t->c->size, &t->net->rx_addr,
			       t->net->rx_addr_len, flags, t->recs,
			       t->c->path == PATH_ULP ? t->nb : 0);
		if (n < 0 && errno == ENOBUFS && t->zerocopy) {
			/* too many zerocopy sends pending: try again later */
			zc_drain(t);
			continue;
		}
		if (n != (ssize_t)len) {
			snprintf(t->err, sizeof(t->err), "sendmsg: %s",
				 n < 0 ? strerror(errno) : "short");
			break;
		}
		flow_sent(&r->flow, t->nb);
		id++;
	}
	/* What is left of the notifications, for the counts */
	for (n = 0; t->zerocopy && n < 20 && t->zc_done < id; n++) {
		poll(&(struct pollfd){ .fd = t->net->tx }, 1, 50);
		zc_drain(t);
	}
	flow_stop(&r->flow);
	return NULL;
}

static void *tx_sink(void *arg)
{
	struct bench_run *r = arg;
	struct tx_ctx *t = r->ctx;
	size_t size = t->c->size;
	uint8_t *buf = malloc(1 << 16);
	ssize_t n;

	pin_to_cpu(BENCH_RECEIVER_CPU);
	while (buf && !atomic_load(&r->flow.stop)) {
		n = recv(t->net->rx, buf, 1 << 16, 0);
		if (n > 0)
			flow_received(&r->flow, (n + size - 1) / size, n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
	}
	free(buf);
	return NULL;
}

/* One packet through the path, checked where it arrives */
static void tx_check(struct tx_ctx *t, struct bench_result *res)
{
	uint8_t buf[BENCH_MAX_PKT], plain[BENCH_MAX_PKT];
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	unsigned int size = t->c->size;
	struct quic_ref_key key = {};
	struct quic_ref_rx rx;
	ssize_t n = -1;
	int i;

	snprintf(res->check, sizeof(res->check), "ok");
	if (tx_fill(t, buf, 1) ||
	    bench_send(t->net->tx, buf, size, 0, &t->net->rx_addr,
		       t->net->rx_addr_len, 0, t->recs,
		       t->c->path == PATH_ULP) != size) {
		snprintf(res->check, sizeof(res->check), "send failed: %s",
			 strerror(errno));
		return;
	}
	for (i = 0; i < 40 && n < 0; i++)
		n = recv(t->net->rx, buf, sizeof(buf), 0);
	memcpy(plain, t->tmpl, size);
	bench_packet_set(plain, t->last_conn, t->last_pn);
	if (n != size) {
		snprintf(res->check, sizeof(res->check), "nothing received");
		return;
	}
	if (t->c->path == PATH_PLAIN) {
		if (memcmp(buf, plain, size))
			snprintf(res->check, sizeof(res->check), "altered");
		return;
	}
	bench_secret(t->c->cipher, secret);
	if (!memcmp(buf + BENCH_HDR_LEN, plain + BENCH_HDR_LEN, 32) ||
	    quic_ref_key_init(&key, t->c->cipher, secret,
			      quic_ref_secret_len(t->c->cipher)) ||
	    quic_ref_unprotect(&key, buf, size, BENCH_CID_LEN, t->last_pn - 1,
			       &rx) ||
	    memcmp(buf, plain, size - QUIC_REF_TAG_LEN))
		snprintf(res->check, sizeof(res->check),
			 "the peer cannot unprotect what was sent");
	quic_ref_key_free(&key);
}

static long long tx_ulp_errors(void)
{
	static const char *const names[] = {
		"QuicTxErrRequest", "QuicTxErrPacket", "QuicTxErrNoConn",
		"QuicTxErrNoKey", "QuicTxErrKeyRejected", "QuicTxErrPnReused",
		"QuicTxErrKeyExpired", "QuicTxErrBusy", "QuicTxErrUnsupported",
		"QuicTxErrNoMem", "QuicTxErrCrypto",
	};
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sum += quic_counter(names[i]);
	return sum;
}

static int tx_prepare(struct tx_ctx *t, struct bench_result *res)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	int one = 1;

	t->nb = bench_batch(t->c);
	t->protect = t->c->path == PATH_USER || t->c->path == PATH_USERZC;
	t->zerocopy = t->c->path == PATH_USERZC;
	t->nbufs = t->zerocopy ? ZC_BUFS : 1;
	t->bufs = malloc((size_t)t->nbufs * BENCH_MAX_DGRAM);
	t->pn = calloc(t->c->conns, sizeof(*t->pn));
	if (!t->bufs || !t->pn)
		return -ENOMEM;
	bench_packet(t->tmpl, t->c->size, 0, 0);
	if (t->protect) {
		bench_secret(t->c->cipher, secret);
		if (quic_ref_key_init(&t->key, t->c->cipher, secret,
				      quic_ref_secret_len(t->c->cipher)))
			return -EINVAL;
	}
	if (t->zerocopy &&
	    setsockopt(t->net->tx, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
		return -errno;
	if (t->c->path == PATH_ULP)
		return bench_ulp_install(t->net->tx, t->c, false,
					 &res->setup_secs);
	return 0;
}

int bench_tx(const struct bench_case *c, struct bench_result *res)
{
	struct bench_net net = { .tx = -1, .rx = -1 };
	struct tx_ctx *t = calloc(1, sizeof(*t));
	struct bench_run run = {
		.c = c, .net = &net, .sender = tx_sender, .receiver = tx_sink,
		.ctx = t,
	};
	long long drops, qp = 0, qe = 0;
	int err;

	if (!t)
		return -ENOMEM;
	t->c = c;
	t->net = &net;
	err = bench_net_open(&net);
	if (!err)
		err = tx_prepare(t, res);
	drops = peer_udp_drops();
	if (c->path == PATH_ULP) {
		qp = quic_counter("QuicTxPackets");
		qe = tx_ulp_errors();
	}
	if (!err) {
		tx_check(t, res);
		err = bench_insn_packets ? bench_measure_insn(&run, res) :
					    bench_measure(&run, res);
	}
	res->udp_drops = peer_udp_drops() - drops;
	if (c->path == PATH_ULP) {
		res->quic_packets = quic_counter("QuicTxPackets") - qp;
		res->quic_errors = tx_ulp_errors() - qe;
	}
	res->zc_sends = t->zc_completions;
	res->zc_copied = t->zc_copied;
	if (!err && t->err[0])
		snprintf(res->check, sizeof(res->check), "%s", t->err);
	bench_net_close(&net);
	quic_ref_key_free(&t->key);
	free(t->bufs);
	free(t->pn);
	free(t);
	return err;
}
