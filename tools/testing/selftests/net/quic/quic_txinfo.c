// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC_ULP_TX_INFO, the send path's contract: a sendmsg() that names its
 * packets (connection, packet number, key generation, DCID length) is
 * either protected whole or refused whole. Every refusal of the uAPI is
 * made here, and each one must come back with its errno, move its
 * /proc/net/quic_ulp_stat counter by exactly one and send nothing at all:
 * the peer reads up to a marker datagram sent after it and finds nothing
 * before it.
 *
 * Also the review's findings on the send path (kernel-review-fd3a037.md),
 * each of which the old kernel, which guessed connection, packet number
 * and key generation from the packet's bytes, got wrong:
 *   5  nonce reuse: a packet number sealed twice, or below another one
 *   6  fail-open: packets of unknown, deleted, keyless connections
 *   8  the peers' IDs: 1-byte and prefix-sharing Tx IDs on one socket
 *  11  a late packet of the previous generation after its keys were
 *      discarded
 * and on the old kernel every test here fails, at least because a
 * QUIC_ULP_TX_INFO control message was unknown to it (EINVAL).
 *
 * Variants: IPv4/IPv6 x cipher suite x DCID length x connected.
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

#define MAX_PKT		2048
#define TIMEOUT_MS	3000
#define CONN		1
#define NGEN		4

#define ERR_REQUEST	"QuicTxErrRequest"
#define ERR_PACKET	"QuicTxErrPacket"
#define ERR_NO_CONN	"QuicTxErrNoConn"
#define ERR_NO_KEY	"QuicTxErrNoKey"
#define ERR_REJECTED	"QuicTxErrKeyRejected"
#define ERR_REUSED	"QuicTxErrPnReused"
#define ERR_UNSUPP	"QuicTxErrUnsupported"

struct txi {
	uint16_t cipher;
	int family;
	bool connected;
	uint8_t cid_len;
	int ulp, peer;
	struct sockaddr_storage local, remote;
	socklen_t local_len, remote_len;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t dcid[QUIC_REF_MAX_CID_LEN];
	struct quic_ref_key gen[NGEN];	/* connection CONN's generations */
};

FIXTURE(txinfo)
{
	struct txi t;
};

FIXTURE_VARIANT(txinfo)
{
	uint16_t cipher;
	int family;
	bool connected;
	uint8_t cid_len;
};

FIXTURE_VARIANT_ADD(txinfo, v4_aes128gcm_cid8)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
	.family = AF_INET,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(txinfo, v6_chacha20_cid8)
{
	.cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	.family = AF_INET6,
	.cid_len = 8,
};

FIXTURE_VARIANT_ADD(txinfo, v4_aes256gcm_conn_cid0)
{
	.cipher = QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
	.family = AF_INET,
	.connected = true,
	.cid_len = 0,
};

FIXTURE_VARIANT_ADD(txinfo, v6_aes128ccm_conn_cid20)
{
	.cipher = QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
	.family = AF_INET6,
	.connected = true,
	.cid_len = 20,
};

FIXTURE_SETUP(txinfo)
{
	struct txi *t = &self->t;
	size_t slen;
	int i;

	t->cipher = variant->cipher;
	t->family = variant->family;
	t->connected = variant->connected;
	t->cid_len = variant->cid_len;
	slen = quic_ref_secret_len(t->cipher);

	t->ulp = quic_udp_socket(t->family, false, &t->local, &t->local_len);
	ASSERT_GE(t->ulp, 0);
	t->peer = quic_udp_socket(t->family, true, &t->remote, &t->remote_len);
	ASSERT_GE(t->peer, 0);
	quic_set_timeout(t->peer, TIMEOUT_MS);
	if (t->connected)
		ASSERT_EQ(connect(t->ulp, (struct sockaddr *)&t->remote,
				  t->remote_len), 0);
	quic_random(t->secret, slen);
	quic_random(t->dcid, sizeof(t->dcid));
	ASSERT_EQ(quic_ref_key_init(&t->gen[0], t->cipher, t->secret, slen), 0);
	for (i = 1; i < NGEN; i++)
		ASSERT_EQ(quic_ref_key_init_next(&t->gen[i], &t->gen[i - 1]), 0);

	ASSERT_EQ(quic_attach(t->ulp), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, CONN, t->cipher, t->secret, 0, 0),
		  0);
}

FIXTURE_TEARDOWN(txinfo)
{
	struct txi *t = &self->t;
	int i;

	for (i = 0; i < NGEN; i++)
		quic_ref_key_free(&t->gen[i]);
	close(t->ulp);
	close(t->peer);
}

static const struct sockaddr_storage *dest(struct txi *t)
{
	return t->connected ? NULL : &t->remote;
}

/* A request: up to 4 segments of @seg bytes, their records */
struct req {
	uint8_t buf[4 * MAX_PKT];
	struct quic_ulp_tx_info recs[4];
	struct quic_tx_req r;
};

/* One packet @pn of @len bytes, Key Phase of @gen, named by its record */
static void one(struct txi *t, struct req *q, uint32_t conn, uint64_t pn,
		uint32_t gen, size_t len)
{
	memset(q, 0, sizeof(*q));
	quic_build(q->buf, len, t->dcid, t->cid_len, pn, 4, gen & 1, pn);
	q->recs[0] = quic_tx_rec(conn, pn, gen, t->cid_len);
	q->r.buf = q->buf;
	q->r.len = len;
	q->r.to = dest(t);
	q->r.tx = q->recs;
	q->r.tx_len = sizeof(q->recs[0]);
	q->r.ntx = 1;
}

/* @n segments of @seg bytes numbered from @pn */
static void batch(struct txi *t, struct req *q, uint64_t pn, uint32_t gen,
		  size_t seg, unsigned int n)
{
	unsigned int i;

	memset(q, 0, sizeof(*q));
	for (i = 0; i < n; i++) {
		quic_build(q->buf + i * seg, seg, t->dcid, t->cid_len, pn + i, 4,
			   gen & 1, i);
		q->recs[i] = quic_tx_rec(CONN, pn + i, gen, t->cid_len);
	}
	q->r.buf = q->buf;
	q->r.len = n * seg;
	q->r.gso = n > 1 ? seg : 0;
	q->r.to = dest(t);
	q->r.tx = q->recs;
	q->r.tx_len = n * sizeof(q->recs[0]);
	q->r.ntx = 1;
}

static uint64_t refused_of(struct __test_metadata *_metadata, struct txi *t,
			   uint32_t conn)
{
	struct quic_ulp_conn_info info;

	EXPECT_EQ(quic_conn_info(t->ulp, conn, &info), 0);
	return info.tx.refused;
}

/* Nothing reached the peer since it last read */
static void expect_nothing(struct __test_metadata *_metadata, int from,
			   struct txi *t)
{
	EXPECT_EQ(quic_sync(from, dest(t), t->peer, TIMEOUT_MS, NULL, 0, NULL),
		  0) TH_LOG("a refused datagram reached the peer");
}

/*
 * @q's sendmsg() fails with @err, moves @counter by one (unless NULL), and
 * connection @conn's refused count too (unless 0), and sends nothing
 */
static void refused(struct __test_metadata *_metadata, struct txi *t,
		    const struct req *q, int err, const char *counter,
		    uint32_t conn)
{
	long long before = counter ? quic_counter(counter) : 0;
	uint64_t conn_before = conn ? refused_of(_metadata, t, conn) : 0;

	ASSERT_GE(before, 0) TH_LOG("no counter %s", counter);
	errno = 0;
	EXPECT_EQ(quic_sendmsg(t->ulp, &q->r), -1);
	EXPECT_EQ(errno, err) TH_LOG("%s, not %s", strerror(errno), strerror(err));
	if (counter)
		EXPECT_EQ(quic_counter(counter), before + 1)
			TH_LOG("%s did not count it", counter);
	if (conn)
		EXPECT_EQ(refused_of(_metadata, t, conn), conn_before + 1);
	expect_nothing(_metadata, t->ulp, t);
}

/* What the peer gets next: exactly @plain as @key seals it with @pn */
static void expect_sealed(struct __test_metadata *_metadata, struct txi *t,
			  const uint8_t *plain, size_t len, uint64_t pn,
			  size_t dcid_len, struct quic_ref_key *key)
{
	uint8_t got[MAX_PKT + 1], want[MAX_PKT];

	ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), (ssize_t)len);
	ASSERT_EQ(quic_seal(key, plain, len, dcid_len, pn, want), 0);
	EXPECT_EQ(memcmp(got, want, len), 0)
		TH_LOG("packet %llu is not sealed with generation %u of its keys",
		       (unsigned long long)pn, key->generation);
}

/* Packet @pn of generation @gen of CONN goes out, sealed with it */
static void sent(struct __test_metadata *_metadata, struct txi *t,
		 uint64_t pn, uint32_t gen)
{
	struct req q;

	one(t, &q, CONN, pn, gen, 300);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), 300)
		TH_LOG("packet %llu, generation %u: %s", (unsigned long long)pn,
		       gen, strerror(errno));
	expect_sealed(_metadata, t, q.buf, 300, pn, t->cid_len, &t->gen[gen]);
}

/* --- EINVAL: malformed requests ---------------------------------------- */

/* The control message holds whole records, at least one */
TEST_F(txinfo, einval_cmsg_length)
{
	static const size_t lens[] = {
		0, 1, 8, 23, 25, 47, 49, sizeof(struct quic_ulp_tx_info) * 3 - 1,
	};
	struct txi *t = &self->t;
	uint8_t junk[3 * sizeof(struct quic_ulp_tx_info)];
	struct req q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		one(t, &q, CONN, i, 0, 300);
		memset(junk, 0, sizeof(junk));
		memcpy(junk, &q.recs[0], sizeof(q.recs[0]));
		q.r.tx = junk;
		q.r.tx_len = lens[i];
		refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	}
	sent(_metadata, t, 100, 0);
}

/* One record per segment, no more, no fewer */
TEST_F(txinfo, einval_record_count)
{
	struct txi *t = &self->t;
	struct req q;

	batch(t, &q, 0, 0, 200, 3);
	q.r.tx_len = 2 * sizeof(q.recs[0]);
	refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	batch(t, &q, 0, 0, 200, 3);
	q.recs[3] = quic_tx_rec(CONN, 3, 0, t->cid_len);
	q.r.tx_len = 4 * sizeof(q.recs[0]);
	refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	batch(t, &q, 0, 0, 200, 3);
	q.r.tx_len = sizeof(q.recs[0]);
	refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	/* Without UDP_SEGMENT a datagram is one packet */
	one(t, &q, CONN, 0, 0, 300);
	q.recs[1] = quic_tx_rec(CONN, 1, 0, t->cid_len);
	q.r.tx_len = 2 * sizeof(q.recs[0]);
	refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	/* A last segment shorter than gso_size is a segment too */
	batch(t, &q, 0, 0, 200, 3);
	q.r.len = 2 * 200 + 100;
	q.r.tx_len = 2 * sizeof(q.recs[0]);
	refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	sent(_metadata, t, 100, 0);
}

TEST_F(txinfo, einval_reserved)
{
	struct txi *t = &self->t;
	struct req q;
	int i;

	for (i = 0; i < 7; i++) {
		one(t, &q, CONN, 0, 0, 300);
		q.recs[0].reserved[i] = 1 << i;
		refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	}
	sent(_metadata, t, 100, 0);
}

/* Packet numbers end at 2^62 - 1 */
TEST_F(txinfo, einval_pn_range)
{
	static const uint64_t pns[] = {
		QUIC_ULP_MAX_PN + 1, 1ULL << 63, UINT64_MAX,
	};
	struct txi *t = &self->t;
	struct req q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(pns); i++) {
		/* the header holds its low 32 bits: only the range is wrong */
		one(t, &q, CONN, pns[i], 0, 300);
		refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	}
}

TEST_F(txinfo, einval_dcid_len)
{
	static const uint8_t lens[] = { QUIC_ULP_MAX_CID_LEN + 1, 64, 255 };
	struct txi *t = &self->t;
	struct req q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		one(t, &q, CONN, i, 0, 600);
		q.recs[0].dcid_len = lens[i];
		refused(_metadata, t, &q, EINVAL, ERR_REQUEST, 0);
	}
	sent(_metadata, t, 100, 0);
}

/* One QUIC_ULP_TX_INFO per sendmsg(), even when both say the same. UDP
 * refuses the second before the ULP sees either: no quic counter moves.
 */
TEST_F(txinfo, einval_two_cmsgs)
{
	struct txi *t = &self->t;
	struct req q;

	one(t, &q, CONN, 0, 0, 300);
	q.r.ntx = 2;
	refused(_metadata, t, &q, EINVAL, NULL, 0);
	batch(t, &q, 0, 0, 200, 2);
	q.r.ntx = 2;
	refused(_metadata, t, &q, EINVAL, NULL, 0);
	sent(_metadata, t, 100, 0);
}

/* A socket without the ULP: UDP does not know the control message. This
 * is what an unpatched kernel says too. No quic counter can see it.
 */
TEST_F(txinfo, einval_no_ulp)
{
	struct txi *t = &self->t;
	struct sockaddr_storage a;
	socklen_t alen;
	struct req q;
	int fd;

	fd = quic_udp_socket(t->family, false, &a, &alen);
	ASSERT_GE(fd, 0);
	if (t->connected)
		ASSERT_EQ(connect(fd, (struct sockaddr *)&t->remote,
				  t->remote_len), 0);
	one(t, &q, CONN, 0, 0, 300);
	EXPECT_EQ(quic_sendmsg(fd, &q.r), -1);
	EXPECT_EQ(errno, EINVAL);
	expect_nothing(_metadata, fd, t);
	close(fd);
}

/* What the kernel protects is one sendmsg(): not with MSG_MORE, not
 * corked, not after corked data, and nothing is left corked behind. UDP
 * refuses these before the ULP sees them: no quic counter moves.
 */
TEST_F(txinfo, einval_msg_more)
{
	struct txi *t = &self->t;
	struct req q;

	one(t, &q, CONN, 0, 0, 300);
	q.r.flags = MSG_MORE;
	refused(_metadata, t, &q, EINVAL, NULL, 0);
	sent(_metadata, t, 100, 0);
}

#ifndef MSG_PROBE
#define MSG_PROBE	0x10	/* include/linux/socket.h */
#endif

/* MSG_PROBE builds no datagram: a request with it could never be
 * honoured, so it is refused rather than silently taken as sent
 */
TEST_F(txinfo, einval_msg_probe)
{
	struct txi *t = &self->t;
	struct req q;

	one(t, &q, CONN, 0, 0, 300);
	q.r.flags = MSG_PROBE;
	refused(_metadata, t, &q, EINVAL, NULL, 0);
	sent(_metadata, t, 100, 0);
}

TEST_F(txinfo, einval_udp_cork)
{
	struct txi *t = &self->t;
	int on = 1, off = 0;
	struct req q;

	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_CORK, &on, sizeof(on)), 0);
	one(t, &q, CONN, 0, 0, 300);
	errno = 0;
	EXPECT_EQ(quic_sendmsg(t->ulp, &q.r), -1);
	EXPECT_EQ(errno, EINVAL);
	/* The marker would be corked too: look once the cork is gone */
	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_CORK, &off, sizeof(off)), 0);
	expect_nothing(_metadata, t->ulp, t);
	sent(_metadata, t, 100, 0);
}

TEST_F(txinfo, einval_corked_pending)
{
	struct txi *t = &self->t;
	long long before = quic_counter(ERR_REQUEST);
	uint8_t corked[100], first[MAX_PKT];
	struct quic_tx_req flush = { .buf = corked, .to = dest(t) };
	struct req q;
	ssize_t first_len;

	memset(corked, 0x3c, sizeof(corked));
	corked[0] = 0xc0;
	flush.len = sizeof(corked);
	flush.flags = MSG_MORE;
	ASSERT_EQ(quic_sendmsg(t->ulp, &flush), (ssize_t)sizeof(corked));
	one(t, &q, CONN, 0, 0, 300);
	errno = 0;
	EXPECT_EQ(quic_sendmsg(t->ulp, &q.r), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(quic_counter(ERR_REQUEST), before);
	/* Whatever was corked goes now, alone: the 100 bytes as they were,
	 * or, if the failure dropped them, an empty datagram
	 */
	flush.len = 0;
	flush.flags = 0;
	ASSERT_EQ(quic_sendmsg(t->ulp, &flush), 0);
	EXPECT_EQ(quic_sync(t->ulp, dest(t), t->peer, TIMEOUT_MS, first,
			    sizeof(first), &first_len), 1);
	EXPECT_TRUE(first_len == 0 || first_len == (ssize_t)sizeof(corked))
		TH_LOG("a %zd-byte datagram left", first_len);
	if (first_len > 0)
		EXPECT_EQ(memcmp(first, corked, sizeof(corked)), 0);
	sent(_metadata, t, 100, 0);
}

/* --- EBADMSG: a packet that is not what its record says ----------------- */

TEST_F(txinfo, ebadmsg_too_short)
{
	struct txi *t = &self->t;
	size_t min = QUIC_MIN_PKT(t->cid_len);
	struct req q;

	one(t, &q, CONN, 0, 0, min);
	q.r.len = min - 1;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	q.r.len = 1;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* The record's DCID length decides what is too short */
	one(t, &q, CONN, 1, 0, QUIC_MIN_PKT(QUIC_ULP_MAX_CID_LEN) - 1);
	q.recs[0].dcid_len = QUIC_ULP_MAX_CID_LEN;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* The smallest that can be sampled goes */
	one(t, &q, CONN, 2, 0, min);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), (ssize_t)min);
	expect_sealed(_metadata, t, q.buf, min, 2, t->cid_len, &t->gen[0]);
}

TEST_F(txinfo, ebadmsg_long_header)
{
	struct txi *t = &self->t;
	struct req q;

	one(t, &q, CONN, 0, 0, 300);
	q.buf[0] |= 0x80;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* in any segment of a batch */
	batch(t, &q, 0, 0, 200, 3);
	q.buf[2 * 200] |= 0x80;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
}

/* The Key Phase bit is the named generation's, never a reason to rotate */
TEST_F(txinfo, ebadmsg_key_phase)
{
	struct txi *t = &self->t;
	struct quic_ulp_conn_info info;
	struct req q;

	one(t, &q, CONN, 0, 0, 300);
	q.buf[0] |= QUIC_REF_KEY_PHASE;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	one(t, &q, CONN, 1, 1, 300);
	q.buf[0] &= ~QUIC_REF_KEY_PHASE;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* Nothing rotated: generation 0 it still is */
	sent(_metadata, t, 2, 0);
	ASSERT_EQ(quic_conn_info(t->ulp, CONN, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 0U);
}

/* The Packet Number field must hold the low bits of the record's number */
TEST_F(txinfo, ebadmsg_pn_field)
{
	struct txi *t = &self->t;
	uint8_t *field;
	struct req q;

	one(t, &q, CONN, 5, 0, 300);
	q.recs[0].pn = 6;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* the field's length comes from the first byte: a 1-byte field */
	one(t, &q, CONN, 0x1ff, 0, 300);
	quic_build(q.buf, 300, t->dcid, t->cid_len, 0x1ff, 1, false, 0);
	q.recs[0].pn = 0x2fe;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* a 4-byte field, one bit off in its top byte */
	one(t, &q, CONN, 0x12345678, 0, 300);
	field = q.buf + 1 + t->cid_len;
	field[0] ^= 0x01;
	refused(_metadata, t, &q, EBADMSG, ERR_PACKET, 0);
	/* numbers a failed send checked may be used up: others go */
	sent(_metadata, t, 0x20000000, 0);
}

/* --- ENOENT, ENOKEY: no connection, no key (review finding 6) ---------- */

/*
 * The old kernel sent a packet it found no connection or no key for as
 * it was written, in plaintext; now naming a connection that does not
 * exist fails, and nothing leaves.
 */
TEST_F(txinfo, enoent_unknown_conn)
{
	static const uint32_t conns[] = { 0, 2, 99, UINT32_MAX };
	struct txi *t = &self->t;
	struct req q;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(conns); i++) {
		one(t, &q, conns[i], i, 0, 300);
		refused(_metadata, t, &q, ENOENT, ERR_NO_CONN, 0);
	}
	/* in a batch, one segment naming another connection is enough */
	batch(t, &q, 10, 0, 200, 3);
	q.recs[1].conn = 99;
	refused(_metadata, t, &q, ENOENT, ERR_NO_CONN, 0);
	sent(_metadata, t, 20, 0);
}

TEST_F(txinfo, enoent_deleted_conn)
{
	struct txi *t = &self->t;
	size_t slen = quic_ref_secret_len(t->cipher);
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	struct quic_ref_key fresh = {};
	struct req q;

	sent(_metadata, t, 0, 0);
	ASSERT_EQ(quic_del_conn(t->ulp, CONN), 0);
	one(t, &q, CONN, 1, 0, 300);
	refused(_metadata, t, &q, ENOENT, ERR_NO_CONN, 0);
	/* Removing the peer's IDs changes nothing either way */
	if (t->cid_len)
		EXPECT_EQ(quic_cid(t->ulp, false, CONN, QUIC_ULP_DIR_TX, t->dcid,
				   t->cid_len, NULL), -ENOENT);
	refused(_metadata, t, &q, ENOENT, ERR_NO_CONN, 0);

	/* The handle again, for a new connection with new keys */
	quic_random(secret, slen);
	ASSERT_EQ(quic_ref_key_init(&fresh, t->cipher, secret, slen), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, CONN, t->cipher, secret, 0, 0),
		  0);
	one(t, &q, CONN, 0, 0, 300);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), 300);
	expect_sealed(_metadata, t, q.buf, 300, 0, t->cid_len, &fresh);
	quic_ref_key_free(&fresh);
}

/* The peer's IDs have nothing to do with sending: none, or all removed */
TEST_F(txinfo, no_tx_ids_needed)
{
	struct txi *t = &self->t;
	uint8_t id[4] = { 1, 2, 3, 4 };

	sent(_metadata, t, 0, 0);
	ASSERT_EQ(quic_cid(t->ulp, true, CONN, QUIC_ULP_DIR_TX, id, sizeof(id),
			   NULL), 0);
	sent(_metadata, t, 1, 0);
	ASSERT_EQ(quic_cid(t->ulp, false, CONN, QUIC_ULP_DIR_TX, id, sizeof(id),
			   NULL), 0);
	/* The old kernel sent this one in plaintext: its DCID was unknown */
	sent(_metadata, t, 2, 0);
}

TEST_F(txinfo, enokey_rx_only)
{
	struct txi *t = &self->t;
	struct req q;

	ASSERT_EQ(quic_set_key(t->ulp, true, 2, t->cipher, t->secret, 0, 0), 0);
	one(t, &q, 2, 0, 0, 300);
	refused(_metadata, t, &q, ENOKEY, ERR_NO_KEY, 2);
	/* and once it has one, it sends */
	ASSERT_EQ(quic_set_key(t->ulp, false, 2, t->cipher, t->secret, 0, 0),
		  0);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), 300);
	expect_sealed(_metadata, t, q.buf, 300, 0, t->cid_len, &t->gen[0]);
}

/* --- EKEYREJECTED: a generation the kernel may not use ----------------- */

/* More than one above the current one: the application skipped one */
TEST_F(txinfo, ekeyrejected_too_new)
{
	static const uint32_t gens[] = { 2, 3, 1000, UINT32_MAX };
	struct txi *t = &self->t;
	struct quic_ulp_conn_info info;
	struct req q;
	size_t i;

	sent(_metadata, t, 0, 0);
	for (i = 0; i < ARRAY_SIZE(gens); i++) {
		one(t, &q, CONN, 10 + i, gens[i], 300);
		refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	}
	/* Nothing rotated */
	sent(_metadata, t, 20, 0);
	ASSERT_EQ(quic_conn_info(t->ulp, CONN, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 0U);
}

/* Older than the previous generation */
TEST_F(txinfo, ekeyrejected_too_old)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 0, 0);
	sent(_metadata, t, 10, 1);
	sent(_metadata, t, 20, 2);
	/* between the last of generation 0 and the first of 1: only the
	 * generation is wrong
	 */
	one(t, &q, CONN, 5, 0, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	/* the previous one is still there for what is below 20 */
	sent(_metadata, t, 15, 1);
	sent(_metadata, t, 21, 2);
}

/*
 * Review finding 11: a late packet of the previous generation after
 * QUIC_ULP_DISCARD_OLD_KEY(TX) is refused and changes nothing: the next
 * packet of the current generation decrypts at the peer with the current
 * keys. The old kernel took the late packet's Key Phase for a new update
 * and rotated, then rotated again at the next packet: two generations
 * ahead of the peer, and the connection dead.
 */
TEST_F(txinfo, ekeyrejected_after_discard)
{
	struct txi *t = &self->t;
	struct quic_ulp_conn_info info;
	struct req q;
	int i;

	for (i = 0; i < 4; i++)
		sent(_metadata, t, i, 0);
	sent(_metadata, t, 10, 1);
	ASSERT_EQ(quic_discard_old(t->ulp, CONN, QUIC_ULP_DIR_TX), 0);
	ASSERT_EQ(quic_conn_info(t->ulp, CONN, &info), 0);
	EXPECT_FALSE(info.tx.flags & QUIC_ULP_INFO_OLD_KEY);

	/* Built before the update, numbered in between: too late now */
	one(t, &q, CONN, 5, 0, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	ASSERT_EQ(quic_conn_info(t->ulp, CONN, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 1U);
	EXPECT_EQ(info.tx.key_phase, 1U);
	EXPECT_EQ(info.tx.largest_pn, 10ULL);

	/* The next packet: the current generation, as the peer expects */
	sent(_metadata, t, 11, 1);
	/* and the application can still update when it chooses */
	sent(_metadata, t, 12, 2);
	ASSERT_EQ(quic_conn_info(t->ulp, CONN, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 2U);
	EXPECT_EQ(info.tx.old_key_packets, 0ULL);
}

/* The previous generation only below every number of the current one */
TEST_F(txinfo, ekeyrejected_old_gen_order)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 3, 0);
	sent(_metadata, t, 10, 1);
	one(t, &q, CONN, 11, 0, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	one(t, &q, CONN, 12, 0, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	/* below 10 and above 3 it is fine */
	sent(_metadata, t, 9, 0);
	sent(_metadata, t, 13, 1);
}

/* The next generation only above every number of the current one */
TEST_F(txinfo, ekeyrejected_next_gen_order)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 0, 0);
	sent(_metadata, t, 9, 0);
	one(t, &q, CONN, 5, 1, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	one(t, &q, CONN, 8, 1, 300);
	refused(_metadata, t, &q, EKEYREJECTED, ERR_REJECTED, CONN);
	/* no update happened: generation 0 goes on */
	sent(_metadata, t, 10, 0);
	sent(_metadata, t, 11, 1);
}

/* --- EEXIST: nonce reuse (review finding 5) ----------------------------- */

/*
 * The nonce is IV xor packet number: a number sealed twice with one key
 * is a reused nonce, which the kernel refuses. The old kernel sealed
 * whatever number it decoded, as often as it was asked.
 */
TEST_F(txinfo, eexist_same_pn)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 7, 0);
	one(t, &q, CONN, 7, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	/* same number, different payload: still the same nonce */
	q.buf[200] ^= 0xff;
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	sent(_metadata, t, 8, 0);
}

TEST_F(txinfo, eexist_lower_pn)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 100, 0);
	one(t, &q, CONN, 99, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	one(t, &q, CONN, 0, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	sent(_metadata, t, 101, 0);
}

/* At install, next_pn says every lower number was sealed already */
TEST_F(txinfo, eexist_below_install)
{
	struct txi *t = &self->t;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	size_t slen = quic_ref_secret_len(t->cipher);
	struct quic_ref_key k = {};
	struct req q;

	quic_random(secret, slen);
	ASSERT_EQ(quic_ref_key_init(&k, t->cipher, secret, slen), 0);
	ASSERT_EQ(quic_set_key(t->ulp, false, 2, t->cipher, secret, 0, 1000),
		  0);
	one(t, &q, 2, 999, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, 2);
	one(t, &q, 2, 0, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, 2);
	one(t, &q, 2, 1000, 0, 300);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), 300);
	expect_sealed(_metadata, t, q.buf, 300, 1000, t->cid_len, &k);
	quic_ref_key_free(&k);
}

/* Within one batch, numbers go up, and the whole batch is refused */
TEST_F(txinfo, eexist_in_batch)
{
	struct txi *t = &self->t;
	struct req q;

	batch(t, &q, 10, 0, 200, 3);
	quic_build(q.buf + 2 * 200, 200, t->dcid, t->cid_len, 10, 4, false, 0);
	q.recs[2].pn = 10;
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	batch(t, &q, 20, 0, 200, 3);
	quic_build(q.buf + 2 * 200, 200, t->dcid, t->cid_len, 19, 4, false, 0);
	q.recs[2].pn = 19;
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	sent(_metadata, t, 30, 0);
}

/* Per generation: a new one starts above the last, and is then the same */
TEST_F(txinfo, eexist_per_generation)
{
	struct txi *t = &self->t;
	struct req q;

	sent(_metadata, t, 5, 0);
	sent(_metadata, t, 10, 1);
	one(t, &q, CONN, 10, 1, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	one(t, &q, CONN, 9, 1, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	/* the previous generation's own numbers */
	one(t, &q, CONN, 5, 0, 300);
	refused(_metadata, t, &q, EEXIST, ERR_REUSED, CONN);
	sent(_metadata, t, 6, 0);
	sent(_metadata, t, 11, 1);
}

/* --- EMSGSIZE, EOPNOTSUPP ----------------------------------------------- */

/* A datagram IP would fragment: refused (as written, it would go out in
 * fragments); one that fits the path goes
 */
TEST_F(txinfo, emsgsize_fragmented)
{
	struct txi *t = &self->t;
	/* veth's MTU 1500, less the IP and UDP headers */
	size_t fits = 1500 - 8 - (t->family == AF_INET ? 20 : 40);
	uint8_t got[MAX_PKT];
	struct req q;

	one(t, &q, CONN, 0, 0, fits + 1);
	refused(_metadata, t, &q, EMSGSIZE, ERR_UNSUPP, 0);
	one(t, &q, CONN, 1, 0, 2000);
	refused(_metadata, t, &q, EMSGSIZE, ERR_UNSUPP, 0);
	q.r.ntx = 0;
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), 2000);
	ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), 2000);
	EXPECT_EQ(memcmp(got, q.buf, 2000), 0);

	one(t, &q, CONN, 2, 0, fits);
	ASSERT_EQ(quic_sendmsg(t->ulp, &q.r), (ssize_t)fits);
	expect_sealed(_metadata, t, q.buf, fits, 2, t->cid_len, &t->gen[0]);
}

TEST_F(txinfo, eopnotsupp_zerocopy)
{
	struct txi *t = &self->t;
	uint8_t copy[MAX_PKT];
	struct req q;
	int one_ = 1;

	if (setsockopt(t->ulp, SOL_SOCKET, SO_ZEROCOPY, &one_, sizeof(one_)))
		SKIP(return, "no SO_ZEROCOPY on UDP sockets");
	one(t, &q, CONN, 0, 0, 1000);
	memcpy(copy, q.buf, 1000);
	q.r.flags = MSG_ZEROCOPY;
	refused(_metadata, t, &q, EOPNOTSUPP, ERR_UNSUPP, 0);
	EXPECT_EQ(memcmp(copy, q.buf, 1000), 0);
	batch(t, &q, 1, 0, 500, 2);
	q.r.flags = MSG_ZEROCOPY;
	refused(_metadata, t, &q, EOPNOTSUPP, ERR_UNSUPP, 0);
	sent(_metadata, t, 10, 0);
}

/* --- Review finding 8: the peers' IDs ----------------------------------- */

/*
 * Peers choose their IDs, short and alike: a 1-byte one, an 8-byte one
 * starting with the same byte, another connection with the very same
 * 8 bytes, a 20-byte one sharing their prefix, and a peer without IDs
 * whose packets' first number byte is that same byte. Every QUIC_ULP_ADD_CID
 * (TX) succeeds, and each connection's packets are sealed with its own
 * keys, whatever their DCID. The old kernel refused the prefix-sharing IDs
 * (EEXIST), looked connections up by DCID, and failed the ID-less peer's
 * packets with ENOTUNIQ.
 */
#define NPEER	5

TEST_F(txinfo, peers_ids)
{
	static const uint8_t lens[NPEER] = { 1, 8, 8, 20, 0 };
	struct txi *t = &self->t;
	size_t slen = quic_ref_secret_len(t->cipher);
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], ids[NPEER][QUIC_ULP_MAX_CID_LEN];
	struct quic_ref_key keys[NPEER] = {};
	uint8_t plain[MAX_PKT], got[MAX_PKT], want[MAX_PKT];
	struct quic_ulp_tx_info r;
	int i, round;

	quic_random(ids, sizeof(ids));
	for (i = 0; i < NPEER; i++) {
		ids[i][0] = 0xab;
		if (i)
			ids[i][1] = 0xcd;
	}
	/* 0xab is a prefix of all; 11's ID is 12's and a prefix of 13's */
	memcpy(ids[2], ids[1], QUIC_ULP_MAX_CID_LEN);
	memcpy(ids[3], ids[1], lens[1]);
	for (i = 0; i < NPEER; i++) {
		quic_random(secret, slen);
		ASSERT_EQ(quic_ref_key_init(&keys[i], t->cipher, secret, slen),
			  0);
		ASSERT_EQ(quic_set_key(t->ulp, false, 10 + i, t->cipher, secret,
				       0, 0), 0);
		if (lens[i])
			EXPECT_EQ(quic_cid(t->ulp, true, 10 + i, QUIC_ULP_DIR_TX,
					   ids[i], lens[i], NULL), 0)
				TH_LOG("Tx ID %d", i);
	}

	for (round = 0; round < 3; round++) {
		for (i = 0; i < NPEER; i++) {
			/* round 1: everyone uses connection 11's ID bytes */
			const uint8_t *id = round == 1 ? ids[1] : ids[i];
			uint8_t len = round == 1 ? lens[1] : lens[i];
			uint64_t pn = round * 0x100 + 0xab;

			quic_build(plain, 400, id, len, pn, 1, false, i);
			r = quic_tx_rec(10 + i, pn, 0, len);
			ASSERT_EQ(quic_send_tx(t->ulp, plain, 400, 0, dest(t),
					       &r, 1), 400)
				TH_LOG("peer %d, round %d: %s", i, round,
				       strerror(errno));
			ASSERT_EQ(recv(t->peer, got, sizeof(got), 0), 400);
			ASSERT_EQ(quic_seal(&keys[i], plain, 400, len, pn, want),
				  0);
			EXPECT_EQ(memcmp(got, want, 400), 0)
				TH_LOG("peer %d, round %d: not its keys", i,
				       round);
		}
	}
	for (i = 0; i < NPEER; i++)
		quic_ref_key_free(&keys[i]);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
