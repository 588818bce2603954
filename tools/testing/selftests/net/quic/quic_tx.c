// SPDX-License-Identifier: GPL-2.0
/*
 * Send side of the quic ULP: plaintext 1-RTT packets go in through the ULP
 * socket, and what arrives at a plain UDP socket in the peer namespace must
 * unprotect, byte for byte, with the OpenSSL reference implementation.
 *
 * Variants: each cipher suite x IPv4/IPv6 x connected/unconnected socket x
 * DCID length (8, 20, and 0, which is matched by the peer's address).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define MAX_PKT		1500
#define RECV_TIMEOUT_MS	3000

/* A test: the ULP socket, the peer and what the peer knows */
struct tx_test {
	uint16_t cipher;
	int family;
	bool connected;
	uint8_t cid_len;
	int ulp, peer;
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t dcid[QUIC_REF_MAX_CID_LEN];
	struct quic_ref_key ref;
	uint64_t largest;	/* what the peer received, for its decoding */
};

FIXTURE(tx)
{
	struct tx_test t;
};

FIXTURE_VARIANT(tx)
{
	uint16_t cipher;
	int family;
	bool connected;
	uint8_t cid_len;
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v4_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v6_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v4_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v6_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v4_cid20)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v6_conn_cid20)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v4_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v6_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v4_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128gcm_v6_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v4_cid8)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v6_cid8)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v4_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v6_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v4_cid20)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = false,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v6_conn_cid20)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v4_cid0)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v6_cid0)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v4_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes256gcm_v6_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v4_cid8)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v6_cid8)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v4_conn_cid8)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v6_conn_cid8)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v4_cid20)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v6_conn_cid20)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v4_cid0)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v6_cid0)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v4_conn_cid0)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, chacha20_v6_conn_cid0)
{
	.cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v4_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v6_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v4_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v6_conn_cid8)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v4_cid20)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v6_conn_cid20)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 20,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v4_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v6_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = false,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v4_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(tx, aes128ccm_v6_conn_cid0)
{
	.cipher = QUIC_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_SETUP(tx)
{
	struct tx_test *t = &self->t;
	size_t slen;
	const struct sockaddr_storage *peer = NULL;

	t->cipher = variant->cipher;
	t->family = variant->family;
	t->connected = variant->connected;
	t->cid_len = variant->cid_len;
	slen = quic_ref_secret_len(t->cipher);

	t->ulp = quic_udp_socket(t->family, false, &t->local,
				 &t->local_len);
	ASSERT_GE(t->ulp, 0);
	t->peer = quic_udp_socket(t->family, true, &t->remote,
				  &t->remote_len);
	ASSERT_GE(t->peer, 0);
	quic_set_timeout(t->peer, RECV_TIMEOUT_MS);
	if (t->connected)
		ASSERT_EQ(connect(t->ulp, (struct sockaddr *)&t->remote,
				  t->remote_len), 0);

	quic_random(t->secret, slen);
	quic_random(t->dcid, sizeof(t->dcid));
	ASSERT_EQ(quic_ref_key_init(&t->ref, t->cipher, t->secret,
				    slen), 0);
	t->largest = QUIC_REF_PN_NONE;

	ASSERT_EQ(quic_attach(t->ulp), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, 1, t->cipher,
			       t->secret, 0, 0), 0);
	if (!t->cid_len && !t->connected)
		peer = &t->remote;
	ASSERT_EQ(quic_cid(t->ulp, true, 1, QUIC_DIR_TX, t->dcid,
			   t->cid_len, peer), 0);
}

FIXTURE_TEARDOWN(tx)
{
	struct tx_test *t = &self->t;

	quic_ref_key_free(&t->ref);
	close(t->ulp);
	close(t->peer);
}

static const struct sockaddr_storage *dest(struct tx_test *t)
{
	return t->connected ? NULL : &t->remote;
}

/* Receive one datagram and check it against the plaintext @want */
static void expect_packet(struct __test_metadata *_metadata,
			  struct tx_test *t,
			  const uint8_t *want, size_t len,
			  struct quic_ref_key *key)
{
	uint8_t pkt[MAX_PKT];
	struct quic_ref_rx rx;
	ssize_t n;

	n = recv(t->peer, pkt, sizeof(pkt), 0);
	ASSERT_EQ(n, (ssize_t)len);
	/* The kernel encrypted it: the payload no longer matches */
	EXPECT_NE(memcmp(pkt + 1 + t->cid_len + 4,
			 want + 1 + t->cid_len + 4, 16), 0);
	ASSERT_EQ(quic_ref_unprotect(key ?: &t->ref, pkt, len,
				     t->cid_len, t->largest, &rx), 0);
	if (t->largest == QUIC_REF_PN_NONE || rx.pn > t->largest)
		t->largest = rx.pn;
	/* Header and payload back to what was sent, byte for byte */
	ASSERT_EQ(memcmp(pkt, want, len - QUIC_REF_TAG_LEN), 0);
}

static void expect_nothing(struct __test_metadata *_metadata, int fd)
{
	uint8_t pkt[MAX_PKT];

	EXPECT_EQ(recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
}

TEST_F(tx, single)
{
	struct tx_test *t = &self->t;
	uint8_t pkt[MAX_PKT];

	quic_build(pkt, 1200, t->dcid, t->cid_len, 0, 1, false, 1);
	ASSERT_EQ(quic_send(t->ulp, pkt, 1200, 0, dest(t)), 1200);
	expect_packet(_metadata, t, pkt, 1200, NULL);
}

/* Sizes around the smallest packet header protection can sample */
TEST_F(tx, sizes)
{
	struct tx_test *t = &self->t;
	size_t min = 1 + t->cid_len + 4 + 16, len;
	uint8_t pkt[MAX_PKT];
	uint64_t pn = 0;

	for (len = min; len < min + 40; len += 3, pn++) {
		quic_build(pkt, len, t->dcid, t->cid_len, pn, 4,
			   false, len);
		ASSERT_EQ(quic_send(t->ulp, pkt, len, 0, dest(t)),
			  (ssize_t)len);
		expect_packet(_metadata, t, pkt, len, NULL);
	}
}

/* A UDP_SEGMENT batch: one packet per segment, the last one shorter */
static void gso_batch(struct __test_metadata *_metadata,
		      struct tx_test *t, int nseg)
{
	size_t seg = 1200, last = 777, len, i;
	uint8_t *buf;

	/* 64 segments of 1200 bytes exceed the largest UDP datagram */
	if (nseg > 1 && seg * (nseg - 1) + last > 65507)
		seg = (65507 - last) / (nseg - 1);
	len = seg * (nseg - 1) + last;
	buf = malloc(len);

	ASSERT_NE(buf, NULL);
	for (i = 0; i < (size_t)nseg; i++)
		quic_build(buf + i * seg, i == (size_t)nseg - 1 ? last : seg,
			   t->dcid, t->cid_len, 100 + i, 2, false, i);
	ASSERT_EQ(quic_send(t->ulp, buf, len, seg, dest(t)),
		  (ssize_t)len);
	for (i = 0; i < (size_t)nseg; i++)
		expect_packet(_metadata, t, buf + i * seg,
			      i == (size_t)nseg - 1 ? last : seg, NULL);
	free(buf);
}

TEST_F(tx, gso_1)
{
	gso_batch(_metadata, &self->t, 1);
}

TEST_F(tx, gso_2)
{
	gso_batch(_metadata, &self->t, 2);
}

TEST_F(tx, gso_16)
{
	gso_batch(_metadata, &self->t, 16);
}

TEST_F(tx, gso_64)
{
	gso_batch(_metadata, &self->t, 64);
}

TEST_F(tx, sendmmsg)
{
	struct tx_test *t = &self->t;
	struct mmsghdr msgs[8] = {};
	struct iovec iov[8];
	uint8_t pkts[8][1000];
	int i;

	for (i = 0; i < 8; i++) {
		quic_build(pkts[i], sizeof(pkts[i]), t->dcid,
			   t->cid_len, i, 1, false, i);
		iov[i].iov_base = pkts[i];
		iov[i].iov_len = sizeof(pkts[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (!t->connected) {
			msgs[i].msg_hdr.msg_name = &t->remote;
			msgs[i].msg_hdr.msg_namelen = t->remote_len;
		}
	}
	ASSERT_EQ(sendmmsg(t->ulp, msgs, 8, 0), 8);
	for (i = 0; i < 8; i++)
		expect_packet(_metadata, t, pkts[i],
			      sizeof(pkts[i]), NULL);
}

/* Packet numbers with gaps, in every field length: the kernel recovers them
 * from the truncated field as long as the sender encodes them as RFC 9000
 * says, whatever it skipped.
 */
TEST_F(tx, packet_numbers)
{
	struct tx_test *t = &self->t;
	static const uint64_t steps[] = { 1, 1, 2, 100, 1, 30000, 1,
					  5000000, 3, 1ULL << 30, 7 };
	uint64_t pn = 0, acked = QUIC_REF_PN_NONE;
	uint8_t pkt[MAX_PKT];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		int pn_len;

		pn += steps[i];
		pn_len = quic_ref_pn_len(pn, acked);
		ASSERT_GT(pn_len, 0);
		quic_build(pkt, 300, t->dcid, t->cid_len, pn, pn_len,
			   false, i);
		ASSERT_EQ(quic_send(t->ulp, pkt, 300, 0, dest(t)),
			  300);
		expect_packet(_metadata, t, pkt, 300, NULL);
		acked = pn;
	}
}

/* RFC 9001, section 6: the Key Phase bit selects the keys; 100 updates */
TEST_F(tx, key_updates)
{
	struct tx_test *t = &self->t;
	uint8_t pkt[MAX_PKT];
	struct quic_conn_info info;
	uint64_t pn = 0;
	int update, i;

	for (update = 0; update <= 100; update++) {
		if (update)
			ASSERT_EQ(quic_ref_key_update(&t->ref), 0);
		for (i = 0; i < 3; i++, pn++) {
			quic_build(pkt, 400, t->dcid, t->cid_len, pn,
				   2, update & 1, pn);
			ASSERT_EQ(quic_send(t->ulp, pkt, 400, 0,
					    dest(t)), 400);
			expect_packet(_metadata, t, pkt, 400, NULL);
		}
	}
	ASSERT_EQ(quic_conn_info(t->ulp, 1, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 100U);
	EXPECT_EQ(info.tx.key_phase, 0U);
	EXPECT_EQ(info.tx.packets, 303ULL);
	EXPECT_EQ(info.tx.largest_pn, 302ULL);
}

/* A packet built before an update but sent after it keeps the old keys */
TEST_F(tx, old_key_after_update)
{
	struct tx_test *t = &self->t;
	struct quic_ref_key old = {};
	uint8_t pkt[MAX_PKT];
	struct quic_conn_info info;

	ASSERT_EQ(quic_ref_key_init(&old, t->cipher, t->secret,
				    quic_ref_secret_len(t->cipher)), 0);
	quic_build(pkt, 500, t->dcid, t->cid_len, 10, 2, false, 1);
	ASSERT_EQ(quic_send(t->ulp, pkt, 500, 0, dest(t)), 500);
	expect_packet(_metadata, t, pkt, 500, NULL);

	ASSERT_EQ(quic_ref_key_update(&t->ref), 0);
	quic_build(pkt, 500, t->dcid, t->cid_len, 12, 2, true, 2);
	ASSERT_EQ(quic_send(t->ulp, pkt, 500, 0, dest(t)), 500);
	expect_packet(_metadata, t, pkt, 500, NULL);

	quic_build(pkt, 500, t->dcid, t->cid_len, 11, 2, false, 3);
	ASSERT_EQ(quic_send(t->ulp, pkt, 500, 0, dest(t)), 500);
	expect_packet(_metadata, t, pkt, 500, &old);

	ASSERT_EQ(quic_conn_info(t->ulp, 1, &info), 0);
	EXPECT_EQ(info.tx.old_key_packets, 1ULL);
	EXPECT_EQ(info.tx.key_updates, 1U);
	EXPECT_TRUE(info.tx.flags & QUIC_INFO_OLD_KEY);
	quic_ref_key_free(&old);
}

/* New keys for the direction, mid-connection: later packets use them */
TEST_F(tx, reinstall)
{
	struct tx_test *t = &self->t;
	size_t slen = quic_ref_secret_len(t->cipher);
	uint8_t pkt[MAX_PKT];

	quic_build(pkt, 600, t->dcid, t->cid_len, 40, 2, false, 1);
	ASSERT_EQ(quic_send(t->ulp, pkt, 600, 0, dest(t)), 600);
	expect_packet(_metadata, t, pkt, 600, NULL);

	quic_random(t->secret, slen);
	quic_ref_key_free(&t->ref);
	ASSERT_EQ(quic_ref_key_init(&t->ref, t->cipher, t->secret, slen), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, 1, t->cipher, t->secret, 0, 41),
		  0);
	quic_build(pkt, 600, t->dcid, t->cid_len, 41, 2, false, 2);
	ASSERT_EQ(quic_send(t->ulp, pkt, 600, 0, dest(t)), 600);
	expect_packet(_metadata, t, pkt, 600, NULL);
}

/* Long headers and other connections' packets go out as they are */
TEST_F(tx, passthrough)
{
	struct tx_test *t = &self->t;
	uint8_t pkt[MAX_PKT], got[MAX_PKT];
	uint8_t other[QUIC_REF_MAX_CID_LEN];

	memset(pkt, 0xa5, 300);
	pkt[0] = 0xc3;
	ASSERT_EQ(quic_send(t->ulp, pkt, 300, 0, dest(t)), 300);
	ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), 300);
	EXPECT_EQ(memcmp(got, pkt, 300), 0);

	if (!t->cid_len)
		return;
	memcpy(other, t->dcid, sizeof(other));
	other[0] ^= 1;
	quic_build(pkt, 300, other, t->cid_len, 1, 1, false, 1);
	ASSERT_EQ(quic_send(t->ulp, pkt, 300, 0, dest(t)), 300);
	ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), 300);
	EXPECT_EQ(memcmp(got, pkt, 300), 0);
}

/* Too short to sample for header protection: refused, nothing sent */
TEST_F(tx, short_packet)
{
	struct tx_test *t = &self->t;
	size_t len = 1 + t->cid_len + 4 + 16 - 1;
	uint8_t pkt[MAX_PKT];

	quic_build(pkt, len + 1, t->dcid, t->cid_len, 0, 1, false, 0);
	ASSERT_EQ(quic_send(t->ulp, pkt, len, 0, dest(t)), -1);
	EXPECT_EQ(errno, EINVAL);
	usleep(100000);
	expect_nothing(_metadata, t->peer);
}

/* A gso_size that cannot hold header and tag fails the whole batch */
TEST_F(tx, gso_too_small)
{
	struct tx_test *t = &self->t;
	size_t seg = 1 + t->cid_len + 4 + 16 - 1, i;
	uint8_t buf[4 * 64];

	for (i = 0; i < 4; i++)
		quic_build(buf + i * seg, seg + 1, t->dcid, t->cid_len,
			   i, 1, false, i);
	ASSERT_EQ(quic_send(t->ulp, buf, 4 * seg, seg, dest(t)),
		  -1);
	EXPECT_EQ(errno, EINVAL);
	usleep(100000);
	expect_nothing(_metadata, t->peer);
}

/* A datagram assembled with MSG_MORE is protected once, as a whole */
TEST_F(tx, cork)
{
	struct tx_test *t = &self->t;
	uint8_t pkt[MAX_PKT];
	struct msghdr msg = {};
	struct iovec iov;

	quic_build(pkt, 900, t->dcid, t->cid_len, 5, 1, false, 9);
	if (!t->connected) {
		msg.msg_name = &t->remote;
		msg.msg_namelen = t->remote_len;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	iov.iov_base = pkt;
	iov.iov_len = 300;
	ASSERT_EQ(sendmsg(t->ulp, &msg, MSG_MORE), 300);
	iov.iov_base = pkt + 300;
	iov.iov_len = 600;
	ASSERT_EQ(sendmsg(t->ulp, &msg, 0), 600);
	expect_packet(_metadata, t, pkt, 900, NULL);
}

/* MSG_ZEROCOPY: the kernel must not encrypt the application's pages */
TEST_F(tx, zerocopy)
{
	struct tx_test *t = &self->t;
	uint8_t pkt[MAX_PKT], copy[MAX_PKT];
	struct msghdr msg = {};
	struct iovec iov = { .iov_base = pkt, .iov_len = 1200 };
	int one = 1;

	ASSERT_EQ(setsockopt(t->ulp, SOL_SOCKET, SO_ZEROCOPY, &one,
			     sizeof(one)), 0);
	quic_build(pkt, 1200, t->dcid, t->cid_len, 3, 1, false, 4);
	memcpy(copy, pkt, sizeof(copy));
	if (!t->connected) {
		msg.msg_name = &t->remote;
		msg.msg_namelen = t->remote_len;
	}
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	ASSERT_EQ(sendmsg(t->ulp, &msg, MSG_ZEROCOPY), 1200);
	expect_packet(_metadata, t, copy, 1200, NULL);
	EXPECT_EQ(memcmp(pkt, copy, 1200), 0);
}

TEST_F(tx, counters)
{
	struct tx_test *t = &self->t;
	long long before = quic_counter("QuicTxPackets");
	struct quic_conn_info info;
	uint8_t pkt[MAX_PKT];
	int i;

	ASSERT_GE(before, 0);
	for (i = 0; i < 5; i++) {
		quic_build(pkt, 700, t->dcid, t->cid_len, i, 1, false, i);
		ASSERT_EQ(quic_send(t->ulp, pkt, 700, 0, dest(t)),
			  700);
		expect_packet(_metadata, t, pkt, 700, NULL);
	}
	EXPECT_EQ(quic_counter("QuicTxPackets") - before, 5);
	ASSERT_EQ(quic_conn_info(t->ulp, 1, &info), 0);
	EXPECT_EQ(info.cipher, t->cipher);
	EXPECT_EQ(info.tx.packets, 5ULL);
	EXPECT_EQ(info.tx.bytes, 5ULL * 700);
	EXPECT_EQ(info.tx.largest_pn, 4ULL);
	EXPECT_EQ(info.tx.cids, 1U);
	EXPECT_EQ(info.tx.flags & QUIC_INFO_KEY, QUIC_INFO_KEY);
	EXPECT_EQ(info.rx.flags, 0U);
	EXPECT_EQ(info.rx.largest_pn, (uint64_t)UINT64_MAX);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
