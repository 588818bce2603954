// SPDX-License-Identifier: GPL-2.0
/*
 * Thousands of connections on one socket, each with its own keys and
 * IDs: every packet must come out protected (or be unprotected) with the
 * keys of its own connection, in both directions; sends naming a deleted
 * connection fail and send nothing. 2,000 connections by default, 10,000
 * with QUIC_SELFTEST_LONG=1.
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

#define NCONN		2000	/* by default */
#define NCONN_LONG	10000	/* QUIC_SELFTEST_LONG=1 */
#define CID_LEN		8
#define PKT_LEN		300
#define CIPHER		QUIC_ULP_CIPHER_AES_128_GCM_SHA256

struct conn {
	uint8_t cid[CID_LEN];
	struct quic_ref_key key;
	uint64_t largest;
};

FIXTURE(scale)
{
	int ulp, peer;
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	struct conn *conns;
	uint32_t nconn;
};

FIXTURE_SETUP(scale)
{
	uint8_t secret[32];
	uint32_t i;

	self->nconn = quic_long_run() ? NCONN_LONG : NCONN;
	self->conns = calloc(self->nconn, sizeof(*self->conns));
	ASSERT_NE(self->conns, NULL);
	self->ulp = quic_udp_socket(AF_INET, false, &self->local,
				    &self->local_len);
	self->peer = quic_udp_socket(AF_INET, true, &self->remote,
				     &self->remote_len);
	ASSERT_GE(self->ulp, 0);
	ASSERT_GE(self->peer, 0);
	quic_set_timeout(self->ulp, 3000);
	quic_set_timeout(self->peer, 3000);
	ASSERT_EQ(quic_attach(self->ulp), 0);
	for (i = 0; i < self->nconn; i++) {
		struct conn *c = &self->conns[i];

		/* Distinct IDs of one length: no Rx ID is a prefix of another.
		 * The Tx ones, the same bytes, only hold reset tokens.
		 */
		quic_random(c->cid, CID_LEN);
		memcpy(c->cid, &i, sizeof(i));
		quic_random(secret, sizeof(secret));
		ASSERT_EQ(quic_ref_key_init(&c->key, CIPHER, secret,
					    sizeof(secret)), 0);
		c->largest = QUIC_REF_PN_NONE;
		ASSERT_EQ(quic_set_key(self->ulp, false, i, CIPHER, secret, 0, 0),
			  0);
		ASSERT_EQ(quic_set_key(self->ulp, true, i, CIPHER, secret, 0, 0),
			  0);
		ASSERT_EQ(quic_cid(self->ulp, true, i, QUIC_ULP_DIR_TX, c->cid,
				   CID_LEN, NULL), 0);
		ASSERT_EQ(quic_cid(self->ulp, true, i, QUIC_ULP_DIR_RX, c->cid,
				   CID_LEN, NULL), 0);
	}
}

FIXTURE_TEARDOWN(scale)
{
	uint32_t i;

	for (i = 0; i < self->nconn; i++)
		quic_ref_key_free(&self->conns[i].key);
	free(self->conns);
	close(self->ulp);
	close(self->peer);
}

/* Which connection a packet is for, from its ID's first bytes */
static struct conn *conn_of(struct conn *conns, uint32_t nconn,
			    const uint8_t *pkt)
{
	uint32_t i;

	memcpy(&i, pkt + 1, sizeof(i));
	return i < nconn ? &conns[i] : NULL;
}

/* One packet per connection, in an order unlike the installation's; the
 * timeouts leave room for installing 10,000 connections on an emulated CPU
 */
TEST_F_TIMEOUT(scale, tx, 900)
{
	uint8_t plain[PKT_LEN], pkt[PKT_LEN], want[PKT_LEN];
	struct quic_ulp_tx_info r;
	struct conn *c;
	uint32_t n, i;

	for (n = 0; n < self->nconn; n++) {
		i = (n * 7919) % self->nconn;
		c = &self->conns[i];
		quic_build(plain, PKT_LEN, c->cid, CID_LEN, n, 2, false, i);
		r = quic_tx_rec(i, n, 0, CID_LEN);
		ASSERT_EQ(quic_send_tx(self->ulp, plain, PKT_LEN, 0,
				       &self->remote, &r, 1), PKT_LEN);
		ASSERT_EQ(recv(self->peer, pkt, sizeof(pkt), 0), PKT_LEN);
		ASSERT_EQ(conn_of(self->conns, self->nconn, pkt), c);
		ASSERT_EQ(quic_seal(&c->key, plain, PKT_LEN, CID_LEN, n, want), 0);
		ASSERT_EQ(memcmp(pkt, want, PKT_LEN), 0)
			TH_LOG("packet %u of connection %u", n, i);
	}
}

TEST_F_TIMEOUT(scale, rx, 900)
{
	char control[CMSG_SPACE(sizeof(struct quic_ulp_rx_info))];
	uint8_t plain[PKT_LEN], pkt[PKT_LEN];
	struct iovec iov = { .iov_base = pkt, .iov_len = sizeof(pkt) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct quic_ulp_rx_info info;
	struct cmsghdr *cm;
	struct conn *c;
	uint32_t n, i;

	ASSERT_EQ(connect(self->peer, (struct sockaddr *)&self->local,
			  self->local_len), 0);
	for (n = 0; n < self->nconn; n++) {
		i = (n * 104729) % self->nconn;
		c = &self->conns[i];
		quic_build(plain, PKT_LEN, c->cid, CID_LEN, n, 2, false, i);
		memcpy(pkt, plain, PKT_LEN);
		ASSERT_EQ(quic_ref_protect(&c->key, pkt, PKT_LEN, CID_LEN, n), 0);
		ASSERT_EQ(send(self->peer, pkt, PKT_LEN, 0), PKT_LEN);

		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		ASSERT_EQ(recvmsg(self->ulp, &msg, 0), PKT_LEN);
		cm = CMSG_FIRSTHDR(&msg);
		ASSERT_NE(cm, NULL);
		ASSERT_EQ(cm->cmsg_type, QUIC_ULP_RX_INFO);
		memcpy(&info, CMSG_DATA(cm), sizeof(info));
		ASSERT_EQ(info.status, QUIC_ULP_RX_DECRYPTED);
		ASSERT_EQ(info.conn, i);
		ASSERT_EQ(info.pn, n);
		ASSERT_EQ(memcmp(pkt, plain, PKT_LEN - QUIC_REF_TAG_LEN), 0);
	}
}

/* Deleting half the connections leaves the other half intact; a send
 * naming a deleted connection fails, and nothing goes out (the old kernel
 * sent it in plaintext)
 */
TEST_F_TIMEOUT(scale, delete_half, 900)
{
	long long no_conn = quic_counter("QuicTxErrNoConn");
	uint8_t plain[PKT_LEN], pkt[PKT_LEN], want[PKT_LEN];
	struct quic_ulp_conn_info info;
	struct quic_ulp_tx_info r;
	long long refused = 0;
	struct conn *c;
	uint32_t i;

	ASSERT_GE(no_conn, 0);
	for (i = 0; i < self->nconn; i += 2)
		ASSERT_EQ(quic_del_conn(self->ulp, i), 0);
	for (i = 0; i < self->nconn; i += 1000) {
		EXPECT_EQ(quic_conn_info(self->ulp, i, &info), -ENOENT);
		ASSERT_EQ(quic_conn_info(self->ulp, i + 1, &info), 0);
		EXPECT_EQ(info.tx.cids, 1U);
	}
	for (i = 1; i < self->nconn; i += 97) {
		c = &self->conns[i];
		quic_build(plain, PKT_LEN, c->cid, CID_LEN, i, 2, false, i);
		r = quic_tx_rec(i, i, 0, CID_LEN);
		if (i % 2 == 0) {
			ASSERT_EQ(quic_send_tx(self->ulp, plain, PKT_LEN, 0,
					       &self->remote, &r, 1), -1);
			ASSERT_EQ(errno, ENOENT);
			refused++;
			ASSERT_EQ(quic_sync(self->ulp, &self->remote, self->peer,
					    3000, NULL, 0, NULL), 0)
				TH_LOG("connection %u is gone, its packet went out", i);
			continue;
		}
		ASSERT_EQ(quic_send_tx(self->ulp, plain, PKT_LEN, 0,
				       &self->remote, &r, 1), PKT_LEN);
		ASSERT_EQ(recv(self->peer, pkt, sizeof(pkt), 0), PKT_LEN);
		ASSERT_EQ(quic_seal(&c->key, plain, PKT_LEN, CID_LEN, i, want), 0);
		ASSERT_EQ(memcmp(pkt, want, PKT_LEN), 0);
	}
	EXPECT_GT(refused, 0);
	EXPECT_EQ(quic_counter("QuicTxErrNoConn"), no_conn + refused);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
