// SPDX-License-Identifier: GPL-2.0
/*
 * The AEAD limits of RFC 9001, section 6.6, reached for real: AES-128-CCM
 * has the smallest ones, 2^21.5 packets for both, so a few million small
 * packets get there.
 *
 * Tx: a key protects exactly its confidentiality limit of packets; the
 * next send fails with EKEYEXPIRED, sends nothing and is counted, until a
 * packet with the other Key Phase moves to the next keys.
 *
 * Rx: forged packets fail authentication up to the integrity limit;
 * packets are decrypted until the last forgery reaches it, then left
 * untouched, with QUIC_INFO_LIMIT set and QuicRxLimit counting them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#ifndef UDP_GRO
#define UDP_GRO		104
#endif

#define CIPHER		QUIC_CIPHER_AES_128_CCM_SHA256
#define LIMIT		2965820ULL	/* 2^21.5, both limits of AES-128-CCM */
#define CONN		1
#define CID_LEN		8
#define PN_LEN		4
#define PKT_LEN		48		/* header 13, sample and tag fit */
#define BATCH		64		/* packets per UDP_SEGMENT send */
#define TAIL		32		/* Tx: the last packets, checked one by one */
#define SLACK		4096		/* Rx: forgeries sent before settling */
#define TIMEOUT_MS	3000

struct limits_test {
	int ulp, peer;
	struct sockaddr_storage local, remote, sink;
	socklen_t local_len, remote_len, sink_len;
	uint8_t cid[CID_LEN];
	struct quic_ref_key key;
	uint8_t batch[BATCH * PKT_LEN];
};

FIXTURE(limits)
{
	struct limits_test t;
};

FIXTURE_SETUP(limits)
{
	struct limits_test *t = &self->t;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	int sink;

	t->ulp = quic_udp_socket(AF_INET, false, &t->local, &t->local_len);
	t->peer = quic_udp_socket(AF_INET, true, &t->remote, &t->remote_len);
	ASSERT_GE(t->ulp, 0);
	ASSERT_GE(t->peer, 0);
	quic_set_timeout(t->ulp, TIMEOUT_MS);
	quic_set_timeout(t->peer, TIMEOUT_MS);
	/* A port of the peer's that nobody listens on: what is sent there
	 * is dropped whole, without the peer segmenting it
	 */
	sink = quic_udp_socket(AF_INET, true, &t->sink, &t->sink_len);
	ASSERT_GE(sink, 0);
	close(sink);

	quic_random(t->cid, CID_LEN);
	quic_random(secret, sizeof(secret));
	ASSERT_EQ(quic_ref_key_init(&t->key, CIPHER, secret,
				    quic_ref_secret_len(CIPHER)), 0);
	ASSERT_EQ(quic_attach(t->ulp), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, CONN, CIPHER, secret, 0, 0), 0);
	ASSERT_EQ(quic_set_key(t->ulp, true, CONN, CIPHER, secret, 0, 0), 0);
	ASSERT_EQ(quic_cid(t->ulp, true, CONN, QUIC_DIR_TX, t->cid,
			   CID_LEN, NULL), 0);
	ASSERT_EQ(quic_cid(t->ulp, true, CONN, QUIC_DIR_RX, t->cid,
			   CID_LEN, NULL), 0);
	memset(secret, 0, sizeof(secret));
}

FIXTURE_TEARDOWN(limits)
{
	struct limits_test *t = &self->t;

	quic_ref_key_free(&t->key);
	close(t->ulp);
	close(t->peer);
}

/* @n plaintext packets numbered from @pn into the batch buffer */
static void fill(struct limits_test *t, size_t n, uint64_t pn,
		 bool phase)
{
	size_t i;

	for (i = 0; i < n; i++)
		quic_build(t->batch + i * PKT_LEN, PKT_LEN, t->cid,
			   CID_LEN, pn + i, PN_LEN, phase, (uint8_t)i);
}

static struct quic_dir_info dir_info(struct __test_metadata *_metadata,
				     int fd, bool rx)
{
	struct quic_conn_info info;

	EXPECT_EQ(quic_conn_info(fd, CONN, &info), 0);
	return rx ? info.rx : info.tx;
}

/* One datagram at the peer, unprotected with @key: packet number @pn,
 * built by fill() with @seed
 */
static void expect_protected(struct __test_metadata *_metadata,
			     struct limits_test *t,
			     struct quic_ref_key *key, uint64_t pn, bool phase,
			     uint8_t seed)
{
	uint8_t plain[PKT_LEN], pkt[PKT_LEN + 1];
	struct quic_ref_rx rx;

	quic_build(plain, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN, phase,
		   seed);
	ASSERT_EQ(recv(t->peer, pkt, sizeof(pkt), 0), PKT_LEN);
	ASSERT_EQ(quic_ref_unprotect(key, pkt, PKT_LEN, CID_LEN,
				     pn ? pn - 1 : QUIC_REF_PN_NONE, &rx), 0);
	EXPECT_EQ(rx.pn, pn);
	EXPECT_EQ(rx.key_phase, phase);
	EXPECT_EQ(memcmp(pkt, plain, PKT_LEN - QUIC_REF_TAG_LEN), 0);
}

TEST_F_TIMEOUT(limits, tx_confidentiality, 1700)
{
	struct limits_test *t = &self->t;
	long long expired = quic_counter("QuicTxErrKeyExpired");
	struct quic_ref_key next;
	struct quic_dir_info d;
	uint64_t pn = 0;
	size_t n;

	ASSERT_GE(expired, 0);
	/* All but the tail, to the sink */
	while (pn < LIMIT - TAIL) {
		n = LIMIT - TAIL - pn < BATCH ? LIMIT - TAIL - pn : BATCH;
		fill(t, n, pn, false);
		ASSERT_EQ(quic_send(t->ulp, t->batch, n * PKT_LEN,
				    PKT_LEN, &t->sink),
			  (ssize_t)(n * PKT_LEN));
		pn += n;
	}
	/* The tail, up to the limit exactly, to the peer: every packet
	 * still goes out protected with the first keys
	 */
	fill(t, TAIL, pn, false);
	ASSERT_EQ(quic_send(t->ulp, t->batch, TAIL * PKT_LEN, PKT_LEN,
			    &t->remote), TAIL * PKT_LEN);
	for (n = 0; n < TAIL; n++)
		expect_protected(_metadata, t, &t->key, pn + n, false,
				 (uint8_t)n);
	pn += TAIL;
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_packets, LIMIT);
	EXPECT_EQ(d.packets, LIMIT);
	EXPECT_EQ(d.flags & QUIC_INFO_LIMIT, 0);

	/* One more with these keys: refused, and nothing leaves */
	fill(t, 1, pn, false);
	EXPECT_EQ(quic_send(t->ulp, t->batch, PKT_LEN, 0, &t->remote),
		  -1);
	EXPECT_EQ(errno, EKEYEXPIRED);
	EXPECT_EQ(quic_counter("QuicTxErrKeyExpired"), expired + 1);
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_packets, LIMIT);
	EXPECT_NE(d.flags & QUIC_INFO_LIMIT, 0);
	quic_set_timeout(t->peer, 200);
	EXPECT_EQ(recv(t->peer, t->batch, PKT_LEN, 0), -1);
	EXPECT_EQ(errno, EAGAIN);

	/* A key update starts the count again */
	ASSERT_EQ(quic_ref_key_init_next(&next, &t->key), 0);
	fill(t, 1, pn, true);
	ASSERT_EQ(quic_send(t->ulp, t->batch, PKT_LEN, 0, &t->remote),
		  PKT_LEN);
	quic_set_timeout(t->peer, TIMEOUT_MS);
	expect_protected(_metadata, t, &next, pn, true, 0);
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_updates, 1U);
	EXPECT_EQ(d.key_packets, 1U);
	EXPECT_EQ(d.flags & QUIC_INFO_LIMIT, 0);
	quic_ref_key_free(&next);
}

/* One datagram from the ULP socket, and its packet's record: none when
 * the kernel did not decrypt it, which reads as QUIC_RX_NONE
 */
static void receive(struct __test_metadata *_metadata, int fd, uint8_t *buf,
		    struct quic_rx_info *rec)
{
	char control[CMSG_SPACE(BATCH * sizeof(*rec)) + CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = PKT_LEN + 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	int nrec = 0;

	memset(rec, 0, sizeof(*rec));
	ASSERT_EQ(recvmsg(fd, &msg, 0), PKT_LEN);
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != QUIC_RX_INFO)
			continue;
		nrec = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(*rec);
		memcpy(rec, CMSG_DATA(cm), sizeof(*rec));
	}
	ASSERT_LE(nrec, 1);
}

/* Packet @pn, protected, from the peer: how the ULP socket gets it */
static void send_valid(struct __test_metadata *_metadata,
		       struct limits_test *t, uint64_t pn,
		       uint8_t *plain, uint8_t *wire, struct quic_rx_info *rec)
{
	uint8_t got[PKT_LEN + 1];

	quic_build(plain, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN, false, 0x5a);
	memcpy(wire, plain, PKT_LEN);
	ASSERT_EQ(quic_ref_protect(&t->key, wire, PKT_LEN, CID_LEN, pn), 0);
	ASSERT_EQ(send(t->peer, wire, PKT_LEN, 0), PKT_LEN);
	receive(_metadata, t->ulp, got, rec);
	memcpy(wire, got, PKT_LEN);
}

static uint64_t auth_failures(struct __test_metadata *_metadata, int fd)
{
	return dir_info(_metadata, fd, true).auth_failures;
}

/* Received packets are processed as the sender's veth hands them over,
 * but wait until the count stops moving before trusting it
 */
static uint64_t settled_failures(struct __test_metadata *_metadata, int fd)
{
	uint64_t prev, now = auth_failures(_metadata, fd);

	do {
		prev = now;
		usleep(20000);
		now = auth_failures(_metadata, fd);
	} while (now != prev);
	return now;
}

/* Forgeries from the peer until the connection counted @want */
static void forge_until(struct __test_metadata *_metadata,
			struct limits_test *t, uint64_t want)
{
	uint64_t have;
	size_t n;

	for (;;) {
		have = auth_failures(_metadata, t->ulp);
		if (have + SLACK >= want)
			have = settled_failures(_metadata, t->ulp);
		ASSERT_LE(have, want);
		if (have == want)
			return;
		n = want - have < BATCH ? want - have : BATCH;
		ASSERT_EQ(quic_send(t->peer, t->batch, n * PKT_LEN,
				    PKT_LEN, NULL), (ssize_t)(n * PKT_LEN));
	}
}

TEST_F_TIMEOUT(limits, rx_integrity, 1700)
{
	struct limits_test *t = &self->t;
	long long failed = quic_counter("QuicRxAuthFailures");
	long long kept = quic_counter("QuicRxLimit");
	uint8_t plain[PKT_LEN], wire[PKT_LEN];
	struct quic_rx_info rec;
	struct quic_dir_info d;
	int one = 1;
	size_t i;

	ASSERT_GE(failed, 0);
	ASSERT_GE(kept, 0);
	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_GRO, &one, sizeof(one)),
		  0);
	ASSERT_EQ(connect(t->peer, (struct sockaddr *)&t->local,
			  t->local_len), 0);

	/* Forgeries: packets 1 to 64, protected, then a bit of the tag
	 * flipped; the same batch over and over, since failures do not move
	 * the largest packet number
	 */
	fill(t, BATCH, 1, false);
	for (i = 0; i < BATCH; i++) {
		ASSERT_EQ(quic_ref_protect(&t->key, t->batch + i * PKT_LEN,
					   PKT_LEN, CID_LEN, 1 + i), 0);
		t->batch[(i + 1) * PKT_LEN - 1] ^= 0x01;
	}

	send_valid(_metadata, t, 0, plain, wire, &rec);
	ASSERT_EQ(rec.status, QUIC_RX_DECRYPTED);
	EXPECT_EQ(rec.pn, 0U);
	EXPECT_EQ(memcmp(wire, plain, PKT_LEN - QUIC_REF_TAG_LEN), 0);

	/* One short of the limit: still decrypting */
	forge_until(_metadata, t, LIMIT - 1);
	send_valid(_metadata, t, 100, plain, wire, &rec);
	ASSERT_EQ(rec.status, QUIC_RX_DECRYPTED);
	EXPECT_EQ(rec.pn, 100U);
	EXPECT_EQ(memcmp(wire, plain, PKT_LEN - QUIC_REF_TAG_LEN), 0);
	d = dir_info(_metadata, t->ulp, true);
	EXPECT_EQ(d.flags & QUIC_INFO_LIMIT, 0);

	/* The last forgery: from now on packets arrive as they were sent */
	forge_until(_metadata, t, LIMIT);
	d = dir_info(_metadata, t->ulp, true);
	EXPECT_NE(d.flags & QUIC_INFO_LIMIT, 0);
	EXPECT_EQ(d.packets, 2U);
	EXPECT_EQ(quic_counter("QuicRxAuthFailures"), failed + (long long)LIMIT);

	quic_build(plain, PKT_LEN, t->cid, CID_LEN, 101, PN_LEN, false, 1);
	memcpy(wire, plain, PKT_LEN);
	ASSERT_EQ(quic_ref_protect(&t->key, wire, PKT_LEN, CID_LEN, 101), 0);
	ASSERT_EQ(send(t->peer, wire, PKT_LEN, 0), PKT_LEN);
	receive(_metadata, t->ulp, plain, &rec);
	EXPECT_EQ(rec.status, QUIC_RX_NONE);
	EXPECT_EQ(memcmp(plain, wire, PKT_LEN), 0);
	EXPECT_EQ(quic_counter("QuicRxLimit"), kept + 1);
	EXPECT_EQ(dir_info(_metadata, t->ulp, true).packets, 2U);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
