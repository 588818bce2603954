// SPDX-License-Identifier: GPL-2.0
/*
 * Rx: the sender replays a fixed set of packets, protected once before
 * measuring (4-byte packet numbers, so decoding stays in its window), and
 * does no crypto itself; one sendmsg() per batch, UDP_SEGMENT. veth hands
 * the GSO datagram to the receiving socket whole, which is what UDP_GRO
 * would have built from a NIC's packets. The receiver reads with UDP_GRO
 * and
 *   plain: takes the packets as they are;
 *   user:  unprotects each one with OpenSSL (quic_ref_unprotect());
 *   ulp:   reads plaintext and one QUIC_ULP_RX_INFO record per packet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bench.h"

#define RX_CONTROL	(CMSG_SPACE(sizeof(int)) + \
			 CMSG_SPACE(BENCH_MAX_BATCH * sizeof(struct quic_ulp_rx_info)))

struct rx_ctx {
	const struct bench_case *c;
	struct bench_net *net;
	unsigned int nb;		/* packets per sendmsg() */
	uint8_t *set;			/* the packets replayed */
	unsigned int nset;
	uint8_t plain0[BENCH_MAX_PKT];	/* packet 0 before protection */
	struct quic_ref_key key;
	uint64_t largest;		/* for packet number decoding */
	_Atomic uint64_t failures;
	char err[96];
};

static void *rx_sender(void *arg)
{
	struct bench_run *r = arg;
	struct rx_ctx *t = r->ctx;
	size_t len = (size_t)t->nb * t->c->size;
	unsigned int at = 0;
	ssize_t n;

	pin_to_cpu(BENCH_SENDER_CPU);
	while (flow_wait(&r->flow, t->nb)) {
		n = bench_send(t->net->tx, t->set + (size_t)at * t->c->size, len,
			       t->c->size, &t->net->rx_addr, t->net->rx_addr_len,
			       0, NULL, 0);
		if (n != (ssize_t)len) {
			snprintf(t->err, sizeof(t->err), "sendmsg: %s",
				 n < 0 ? strerror(errno) : "short");
			break;
		}
		flow_sent(&r->flow, t->nb);
		at += t->nb;
		if (at >= t->nset)
			at = 0;
	}
	flow_stop(&r->flow);
	return NULL;
}

/*
 * One recvmsg() and what the path does with it; returns the bytes read
 * (0 when none, -1 on error) and counts the packets that failed.
 */
static ssize_t rx_one(struct rx_ctx *t, uint8_t *buf, char *control,
		      uint64_t *failed)
{
	struct iovec iov = { .iov_base = buf, .iov_len = 1 << 16 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = RX_CONTROL,
	};
	const struct quic_ulp_rx_info *info = NULL;
	unsigned int size = t->c->size, npkt, ninfo = 0, i;
	struct quic_ref_rx rx;
	struct cmsghdr *cm;
	ssize_t n;

	n = recvmsg(t->net->rx, &msg, 0);
	if (n <= 0)
		return n < 0 && errno != EAGAIN && errno != EINTR ? -1 : 0;
	npkt = (n + size - 1) / size;
	switch (t->c->path) {
	case PATH_USER:
		for (i = 0; i < npkt; i++)
			if (quic_ref_unprotect(&t->key, buf + (size_t)i * size,
					       size, BENCH_CID_LEN, t->largest, &rx))
				++*failed;
		break;
	case PATH_ULP:
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_UDP &&
			    cm->cmsg_type == QUIC_ULP_RX_INFO) {
				info = (const void *)CMSG_DATA(cm);
				ninfo = (cm->cmsg_len - CMSG_LEN(0)) /
					sizeof(*info);
			}
		for (i = 0; i < npkt; i++)
			if (i >= ninfo || info[i].status != QUIC_ULP_RX_DECRYPTED ||
			    (msg.msg_flags & MSG_CTRUNC))
				++*failed;
		break;
	default:
		break;
	}
	return n;
}

static void *rx_receiver(void *arg)
{
	struct bench_run *r = arg;
	struct rx_ctx *t = r->ctx;
	uint8_t *buf = malloc(1 << 16);
	char *control = malloc(RX_CONTROL);
	size_t size = t->c->size;
	uint64_t failed;
	ssize_t n;

	pin_to_cpu(BENCH_RECEIVER_CPU);
	while (buf && control && !atomic_load(&r->flow.stop)) {
		failed = 0;
		n = rx_one(t, buf, control, &failed);
		if (n < 0) {
			snprintf(t->err, sizeof(t->err), "recvmsg: %s",
				 strerror(errno));
			break;
		}
		if (n) {
			flow_received(&r->flow, (n + size - 1) / size, n);
			if (failed)
				atomic_fetch_add(&t->failures, failed);
		}
	}
	free(buf);
	free(control);
	return NULL;
}

/* Packet 0 of the set through the path, checked where it arrives */
static void rx_check(struct rx_ctx *t, struct bench_result *res)
{
	unsigned int size = t->c->size;
	uint8_t *buf = malloc(1 << 16);
	char *control = malloc(RX_CONTROL);
	uint64_t failed = 0;
	ssize_t n = 0;
	int i;

	snprintf(res->check, sizeof(res->check), "ok");
	if (!buf || !control ||
	    bench_send(t->net->tx, t->set, size, 0, &t->net->rx_addr,
		       t->net->rx_addr_len, 0, NULL, 0) != size) {
		snprintf(res->check, sizeof(res->check), "send failed");
		goto out;
	}
	for (i = 0; i < 40 && !n; i++)
		n = rx_one(t, buf, control, &failed);
	if (n != size)
		snprintf(res->check, sizeof(res->check), "nothing received");
	else if (failed)
		snprintf(res->check, sizeof(res->check), "not decrypted");
	else if (memcmp(buf, t->plain0, size - QUIC_REF_TAG_LEN))
		snprintf(res->check, sizeof(res->check),
			 "what was read is not the plaintext");
out:
	free(buf);
	free(control);
}

static long long rx_ulp_errors(void)
{
	static const char *const names[] = {
		"QuicRxPassthrough", "QuicRxAuthFailures", "QuicRxMalformed",
		"QuicRxNoNextKey", "QuicRxLimitDrops", "QuicRxTooManySegs",
		"QuicRxAsyncDrops", "QuicRxErrNoMem", "QuicRxErrCrypto",
	};
	long long sum = 0;
	unsigned int i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sum += peer_quic_counter(names[i]);
	return sum;
}

/* The replayed set: packet j is connection j % conns's number j / conns;
 * per datagram, packet j of datagram k is number j of connection
 * bench_dgram_conn(k)
 */
static int rx_prepare(struct rx_ctx *t, struct bench_result *res)
{
	unsigned int size = t->c->size, conns = t->c->conns, j;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	unsigned int want = conns > 64 ? conns : 64;
	uint32_t conn;
	uint64_t pn;
	uint8_t *p;

	t->nb = bench_batch(t->c);
	if (t->c->per_dgram)
		want = BENCH_DGRAM_CONNS * t->nb;
	t->nset = (want + t->nb - 1) / t->nb * t->nb;
	t->largest = t->nset;
	t->set = malloc((size_t)t->nset * size);
	if (!t->set)
		return -ENOMEM;
	bench_secret(t->c->cipher, secret);
	if (t->c->path != PATH_PLAIN &&
	    quic_ref_key_init(&t->key, t->c->cipher, secret,
			      quic_ref_secret_len(t->c->cipher)))
		return -EINVAL;
	for (j = 0; j < t->nset; j++) {
		p = t->set + (size_t)j * size;
		conn = t->c->per_dgram ? bench_dgram_conn(t->c, j / t->nb) :
					 j % conns;
		pn = t->c->per_dgram ? j % t->nb : j / conns;
		bench_packet(p, size, conn, pn);
		if (!j)
			memcpy(t->plain0, p, size);
		if (t->c->path != PATH_PLAIN &&
		    quic_ref_protect(&t->key, p, size, BENCH_CID_LEN, pn))
			return -EINVAL;
	}
	if (t->c->path == PATH_ULP)
		return bench_ulp_install(t->net->rx, t->c, true,
					 &res->setup_secs);
	return 0;
}

int bench_rx(const struct bench_case *c, struct bench_result *res)
{
	struct bench_net net = { .tx = -1, .rx = -1 };
	struct rx_ctx *t = calloc(1, sizeof(*t));
	struct bench_run run = {
		.c = c, .net = &net, .sender = rx_sender,
		.receiver = rx_receiver, .ctx = t,
	};
	long long drops, qp = 0, qe = 0;
	int err;

	if (!t)
		return -ENOMEM;
	t->c = c;
	t->net = &net;
	err = bench_net_open(&net);
	if (!err)
		err = rx_prepare(t, res);
	drops = peer_udp_drops();
	if (c->path == PATH_ULP) {
		qp = peer_quic_counter("QuicRxPackets");
		qe = rx_ulp_errors();
	}
	if (!err) {
		rx_check(t, res);
		err = bench_insn_packets ? bench_measure_insn(&run, res) :
					    bench_measure(&run, res);
	}
	res->udp_drops = peer_udp_drops() - drops;
	if (c->path == PATH_ULP) {
		res->quic_packets = peer_quic_counter("QuicRxPackets") - qp;
		res->quic_errors = rx_ulp_errors() - qe;
	}
	res->failures = atomic_load(&t->failures);
	if (!err && t->err[0])
		snprintf(res->check, sizeof(res->check), "%s", t->err);
	bench_net_close(&net);
	quic_ref_key_free(&t->key);
	free(t->set);
	free(t);
	return err;
}
