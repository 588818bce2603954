// SPDX-License-Identifier: GPL-2.0
/*
 * The AEAD limits of RFC 9001, section 6.6, with AES-128-CCM, whose limits
 * are the smallest: 2^21.5 packets, 2,965,820, for both.
 *
 * Reaching them takes millions of packets: minutes under emulation. By
 * default each test sends SHORT_RUN packets and checks the counting up to
 * there, with no limit reached yet. QUIC_SELFTEST_LONG=1 in the
 * environment, the long mode of every program here, makes them go all the
 * way; QUIC_LIMITS_FULL, when set, decides for this program alone (1: all
 * the way, 0: SHORT_RUN even in the long mode). Give the kselftest runner
 * a longer timeout for the full run, e.g. run_kselftest.sh
 * --override-timeout 3600:
 *
 * Tx: a generation seals exactly its confidentiality limit of packets;
 * the next send naming it fails with EKEYEXPIRED, sends nothing and is
 * counted, until the application names the next generation.
 *
 * Rx (review finding 13): forged packets fail authentication up to the
 * integrity limit, each reported in the auth_failures of the next good
 * packet's record. The forgery that reaches the limit queues one event on
 * the socket's error queue (an IP_RECVERR control message with a struct
 * sock_extended_err: EKEYEXPIRED, SO_EE_ORIGIN_UDP_ULP,
 * QUIC_ULP_EV_INTEGRITY_LIMIT, the connection in ee_info), poll() says
 * POLLERR, and from then on the connection's packets are dropped, good
 * ones too. The old kernel told the application nothing, and handed it
 * those packets undecrypted, to decrypt itself and go on.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/errqueue.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define CIPHER		QUIC_ULP_CIPHER_AES_128_CCM_SHA256
#define LIMIT		2965820ULL	/* 2^21.5, both limits of AES-128-CCM */
#define SHORT_RUN	20000ULL	/* below what auth_failures can hold */
#define CONN		1U
#define CID_LEN		8
#define PN_LEN		4
#define PKT_LEN		48		/* header 13, sample and tag fit */
#define BATCH		64		/* packets per UDP_SEGMENT send */
#define TAIL		32		/* Tx: the last packets, checked one by one */
#define SLACK		4096		/* Rx: forgeries sent before settling */
#define TIMEOUT_MS	3000

static bool full_run(void)
{
	const char *v = getenv("QUIC_LIMITS_FULL");

	if (v && *v)
		return strcmp(v, "0");
	return quic_long_run();
}

struct limits_test {
	int ulp, peer;
	struct sockaddr_storage local, remote, sink;
	socklen_t local_len, remote_len, sink_len;
	uint8_t cid[CID_LEN];
	struct quic_ref_key key;
	uint8_t batch[BATCH * PKT_LEN];
	struct quic_ulp_tx_info recs[BATCH];
	uint64_t target;	/* packets to send: LIMIT or SHORT_RUN */
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

	t->target = full_run() ? LIMIT : SHORT_RUN;
	if (!full_run())
		TH_LOG("short run, %llu packets: QUIC_SELFTEST_LONG=1 for the limits themselves",
		       (unsigned long long)SHORT_RUN);
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
	ASSERT_EQ(quic_cid(t->ulp, true, CONN, QUIC_ULP_DIR_RX, t->cid,
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

/* @n plaintext packets numbered from @pn into the batch buffer, and their
 * records for generation @gen
 */
static void fill(struct limits_test *t, size_t n, uint64_t pn, uint32_t gen)
{
	size_t i;

	for (i = 0; i < n; i++) {
		quic_build(t->batch + i * PKT_LEN, PKT_LEN, t->cid,
			   CID_LEN, pn + i, PN_LEN, gen & 1, (uint8_t)i);
		t->recs[i] = quic_tx_rec(CONN, pn + i, gen, CID_LEN);
	}
}

static ssize_t send_batch(struct limits_test *t, size_t n,
			  const struct sockaddr_storage *to)
{
	return quic_send_tx(t->ulp, t->batch, n * PKT_LEN, n > 1 ? PKT_LEN : 0,
			    to, t->recs, n);
}

static struct quic_ulp_dir_info dir_info(struct __test_metadata *_metadata,
					 int fd, bool rx)
{
	struct quic_ulp_conn_info info;

	EXPECT_EQ(quic_conn_info(fd, CONN, &info), 0);
	return rx ? info.rx : info.tx;
}

/* One datagram at the peer: packet @pn as fill() built it with @seed,
 * sealed by @key
 */
static void expect_protected(struct __test_metadata *_metadata,
			     struct limits_test *t,
			     struct quic_ref_key *key, uint64_t pn,
			     uint8_t seed)
{
	uint8_t plain[PKT_LEN], want[PKT_LEN], pkt[PKT_LEN + 1];

	quic_build(plain, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN,
		   key->generation & 1, seed);
	ASSERT_EQ(recv(t->peer, pkt, sizeof(pkt), 0), PKT_LEN);
	ASSERT_EQ(quic_seal(key, plain, PKT_LEN, CID_LEN, pn, want), 0);
	EXPECT_EQ(memcmp(pkt, want, PKT_LEN), 0)
		TH_LOG("packet %llu", (unsigned long long)pn);
}

TEST_F_TIMEOUT(limits, tx_confidentiality, 1700)
{
	struct limits_test *t = &self->t;
	long long expired = quic_counter("QuicTxErrKeyExpired");
	struct quic_ref_key next;
	struct quic_ulp_dir_info d;
	uint64_t pn = 0, end = t->target - TAIL;
	size_t n;

	ASSERT_GE(expired, 0);
	/* All but the tail, to the sink */
	while (pn < end) {
		n = end - pn < BATCH ? end - pn : BATCH;
		fill(t, n, pn, 0);
		ASSERT_EQ(send_batch(t, n, &t->sink), (ssize_t)(n * PKT_LEN))
			TH_LOG("packet %llu: %s", (unsigned long long)pn,
			       strerror(errno));
		pn += n;
	}
	/* The tail, up to the target exactly, to the peer: every packet
	 * still goes out sealed with the first keys
	 */
	fill(t, TAIL, pn, 0);
	ASSERT_EQ(send_batch(t, TAIL, &t->remote), TAIL * PKT_LEN);
	for (n = 0; n < TAIL; n++)
		expect_protected(_metadata, t, &t->key, pn + n, (uint8_t)n);
	pn += TAIL;
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_packets, t->target);
	EXPECT_EQ(d.packets, t->target);
	EXPECT_EQ(d.refused, 0U);
	EXPECT_EQ(d.flags & QUIC_ULP_INFO_LIMIT, 0);
	EXPECT_EQ(quic_counter("QuicTxErrKeyExpired"), expired);

	fill(t, 1, pn, 0);
	if (!full_run()) {
		/* Far from the limit: the next one goes too */
		ASSERT_EQ(send_batch(t, 1, &t->remote), PKT_LEN);
		expect_protected(_metadata, t, &t->key, pn, 0);
		EXPECT_EQ(dir_info(_metadata, t->ulp, false).key_packets,
			  t->target + 1);
		return;
	}

	/* One more with these keys: refused, and nothing leaves */
	EXPECT_EQ(send_batch(t, 1, &t->remote), -1);
	EXPECT_EQ(errno, EKEYEXPIRED);
	EXPECT_EQ(quic_counter("QuicTxErrKeyExpired"), expired + 1);
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_packets, LIMIT);
	EXPECT_EQ(d.refused, 1U);
	EXPECT_NE(d.flags & QUIC_ULP_INFO_LIMIT, 0);
	EXPECT_EQ(quic_sync(t->ulp, &t->remote, t->peer, TIMEOUT_MS, NULL, 0,
			    NULL), 0);

	/* The application updates the keys: the count starts again */
	ASSERT_EQ(quic_ref_key_init_next(&next, &t->key), 0);
	fill(t, 1, pn + 1, 1);
	ASSERT_EQ(send_batch(t, 1, &t->remote), PKT_LEN);
	expect_protected(_metadata, t, &next, pn + 1, 0);
	d = dir_info(_metadata, t->ulp, false);
	EXPECT_EQ(d.key_updates, 1U);
	EXPECT_EQ(d.key_packets, 1U);
	EXPECT_EQ(d.flags & QUIC_ULP_INFO_LIMIT, 0);
	quic_ref_key_free(&next);
}

/* One datagram from the ULP socket, and its packet's record: none when
 * the kernel did not decrypt it, which reads as QUIC_ULP_RX_NONE
 */
static void receive(struct __test_metadata *_metadata, int fd, uint8_t *buf,
		    struct quic_ulp_rx_info *rec)
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
		if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != QUIC_ULP_RX_INFO)
			continue;
		nrec = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(*rec);
		memcpy(rec, CMSG_DATA(cm), sizeof(*rec));
	}
	ASSERT_LE(nrec, 1);
}

/* Packet @pn, protected, from the peer */
static void send_valid(struct __test_metadata *_metadata,
		       struct limits_test *t, uint64_t pn,
		       uint8_t *plain, uint8_t *wire)
{
	quic_build(plain, PKT_LEN, t->cid, CID_LEN, pn, PN_LEN, false, 0x5a);
	ASSERT_EQ(quic_seal(&t->key, plain, PKT_LEN, CID_LEN, pn, wire), 0);
	ASSERT_EQ(send(t->peer, wire, PKT_LEN, 0), PKT_LEN);
}

/* ... and how the ULP socket gets it */
static void expect_decrypted(struct __test_metadata *_metadata,
			     struct limits_test *t, uint64_t pn,
			     uint16_t failures)
{
	uint8_t plain[PKT_LEN], wire[PKT_LEN], got[PKT_LEN + 1];
	struct quic_ulp_rx_info rec;

	send_valid(_metadata, t, pn, plain, wire);
	receive(_metadata, t->ulp, got, &rec);
	ASSERT_EQ(rec.status, QUIC_ULP_RX_DECRYPTED);
	EXPECT_EQ(rec.pn, pn);
	EXPECT_EQ(rec.conn, CONN);
	EXPECT_EQ(rec.auth_failures, failures);
	EXPECT_EQ(memcmp(got, plain, PKT_LEN - QUIC_REF_TAG_LEN), 0);
}

static uint64_t auth_failures(struct __test_metadata *_metadata, int fd)
{
	return dir_info(_metadata, fd, true).auth_failures;
}

/* Received packets are processed as the sender's veth hands them over:
 * the peer sends a marker after them, and once the ULP socket has it,
 * every forgery before it was counted
 */
static uint64_t settled_failures(struct __test_metadata *_metadata,
				 struct limits_test *t)
{
	EXPECT_EQ(quic_sync(t->peer, NULL, t->ulp, TIMEOUT_MS, NULL, 0, NULL),
		  0);
	return auth_failures(_metadata, t->ulp);
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
			have = settled_failures(_metadata, t);
		ASSERT_LE(have, want);
		if (have == want)
			return;
		n = want - have < BATCH ? want - have : BATCH;
		ASSERT_EQ(quic_send(t->peer, t->batch, n * PKT_LEN,
				    n > 1 ? PKT_LEN : 0, NULL),
			  (ssize_t)(n * PKT_LEN));
	}
}

/* The event of the error queue, if there is one: 1, or 0 if none */
static int read_event(struct __test_metadata *_metadata, int fd,
		      struct sock_extended_err *ee)
{
	char control[CMSG_SPACE(sizeof(*ee) + sizeof(struct sockaddr_in6)) + 64];
	uint8_t data[256];
	struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	int found = 0;

	if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
		EXPECT_EQ(errno, EAGAIN);
		return 0;
	}
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if ((cm->cmsg_level == SOL_IP && cm->cmsg_type == IP_RECVERR) ||
		    (cm->cmsg_level == SOL_IPV6 &&
		     cm->cmsg_type == IPV6_RECVERR)) {
			memcpy(ee, CMSG_DATA(cm), sizeof(*ee));
			found = 1;
		}
	}
	EXPECT_EQ(found, 1) TH_LOG("an error queue entry without IP_RECVERR");
	return found;
}

static short poll_events(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

TEST_F_TIMEOUT(limits, rx_integrity, 1700)
{
	struct limits_test *t = &self->t;
	long long failed = quic_counter("QuicRxAuthFailures");
	long long reached = quic_counter("QuicRxLimitReached");
	long long dropped = quic_counter("QuicRxLimitDrops");
	uint8_t plain[PKT_LEN], wire[PKT_LEN];
	struct sock_extended_err ee;
	struct quic_ulp_dir_info d;
	int one = 1;
	size_t i;

	ASSERT_GE(failed, 0);
	ASSERT_GE(reached, 0);
	ASSERT_GE(dropped, 0);
	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_GRO, &one, sizeof(one)),
		  0);
	/* The event goes to sockets that take errors, as ICMP errors do */
	ASSERT_EQ(setsockopt(t->ulp, SOL_IP, IP_RECVERR, &one, sizeof(one)),
		  0);
	ASSERT_EQ(connect(t->peer, (struct sockaddr *)&t->local,
			  t->local_len), 0);

	/* Forgeries: packets 1 to 64, protected, then a bit of the tag
	 * flipped; the same batch over and over, since failures do not move
	 * the largest packet number
	 */
	fill(t, BATCH, 1, 0);
	for (i = 0; i < BATCH; i++) {
		ASSERT_EQ(quic_ref_protect(&t->key, t->batch + i * PKT_LEN,
					   PKT_LEN, CID_LEN, 1 + i), 0);
		t->batch[(i + 1) * PKT_LEN - 1] ^= 0x01;
	}

	expect_decrypted(_metadata, t, 0, 0);

	if (!full_run()) {
		forge_until(_metadata, t, SHORT_RUN);
		/* Every one reported, with the next good packet */
		expect_decrypted(_metadata, t, 100, SHORT_RUN);
		expect_decrypted(_metadata, t, 101, 0);
		EXPECT_EQ(quic_counter("QuicRxAuthFailures"),
			  failed + (long long)SHORT_RUN);
		d = dir_info(_metadata, t->ulp, true);
		EXPECT_EQ(d.auth_failures, SHORT_RUN);
		EXPECT_EQ(d.flags & QUIC_ULP_INFO_LIMIT, 0);
		EXPECT_EQ(read_event(_metadata, t->ulp, &ee), 0);
		EXPECT_EQ(poll_events(t->ulp) & POLLERR, 0);
		EXPECT_EQ(quic_counter("QuicRxLimitReached"), reached);
		return;
	}

	/* One short of the limit: still decrypting; the record holds as
	 * many failures as it can
	 */
	forge_until(_metadata, t, LIMIT - 1);
	expect_decrypted(_metadata, t, 100, UINT16_MAX);
	d = dir_info(_metadata, t->ulp, true);
	EXPECT_EQ(d.flags & QUIC_ULP_INFO_LIMIT, 0);
	EXPECT_EQ(read_event(_metadata, t->ulp, &ee), 0);

	/* The last forgery: one event, and the connection is closed to
	 * the kernel
	 */
	forge_until(_metadata, t, LIMIT);
	EXPECT_NE(poll_events(t->ulp) & POLLERR, 0);
	ASSERT_EQ(read_event(_metadata, t->ulp, &ee), 1);
	EXPECT_EQ(ee.ee_errno, (uint32_t)EKEYEXPIRED);
	EXPECT_EQ(ee.ee_origin, SO_EE_ORIGIN_UDP_ULP);
	EXPECT_EQ(ee.ee_type, QUIC_ULP_EV_INTEGRITY_LIMIT);
	EXPECT_EQ(ee.ee_code, 0);
	EXPECT_EQ(ee.ee_info, CONN);
	EXPECT_EQ(ee.ee_data, 0U);
	EXPECT_EQ(read_event(_metadata, t->ulp, &ee), 0);
	EXPECT_EQ(quic_counter("QuicRxLimitReached"), reached + 1);
	d = dir_info(_metadata, t->ulp, true);
	EXPECT_NE(d.flags & QUIC_ULP_INFO_LIMIT, 0);
	EXPECT_EQ(d.packets, 2U);
	EXPECT_EQ(quic_counter("QuicRxAuthFailures"), failed + (long long)LIMIT);

	/* A good packet of the connection now: dropped, not handed over
	 * (the old kernel handed it over undecrypted)
	 */
	send_valid(_metadata, t, 101, plain, wire);
	EXPECT_EQ(quic_sync(t->peer, NULL, t->ulp, TIMEOUT_MS, NULL, 0, NULL),
		  0);
	EXPECT_EQ(quic_counter("QuicRxLimitDrops"), dropped + 1);
	EXPECT_EQ(dir_info(_metadata, t->ulp, true).packets, 2U);
	/* and no second event */
	EXPECT_EQ(read_event(_metadata, t->ulp, &ee), 0);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
