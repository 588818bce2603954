// SPDX-License-Identifier: GPL-2.0
/*
 * Receive-side findings of the review (kernel-review-fd3a037.md): the
 * kernel reports a datagram as decrypted only when it decrypted it.
 *
 *  2  Datagrams queued before UDP_ULP was attached were reported from
 *     skb->cb bytes the ULP never wrote: the old kernel read a bitmap of
 *     "decrypted" segments there that GRO had left behind (the checksum it
 *     computed), copied the record of each such segment from the
 *     segment's last 16 bytes, which the sender chose, and divided by the
 *     length of a 0-byte datagram. Here the veth between the namespaces
 *     does GRO on the receiving side and the sending side computes its
 *     checksums in software, which is what leaves that checksum in cb;
 *     32 forged datagrams are each reported as decrypted by the old
 *     kernel with probability 1/2, and the 0-byte one divides by zero.
 * 14  Datagrams of more than 64 segments (loopback GSO sends of 100):
 *     queued before attach, or racing the attach, which the old kernel
 *     handed to the ULP past its 64-bit bitmap (undefined shifts; more
 *     records than a control message holds). Whatever the kernel does
 *     with them, a record must be true: a segment reported decrypted is
 *     the plaintext, any other is what was sent, and no datagram gets
 *     more records than 64.
 *
 * 10  A datagram the kernel decrypts in place while a packet tap holds a
 *     clone of it: the tap must go on seeing what was on the wire. (The
 *     old kernel copied every cloned skb, which this allows the new one
 *     to avoid, but not by writing into data it shares.)
 *
 * Review of the 7.3 port: a datagram sent through a PACKET_TX_RING
 *     carries the ring's pages, which the sender can read and rewrite
 *     while the receiver holds them: the kernel must not decrypt into
 *     them (it would hand that sender the plaintext and let it change
 *     what the application reads as authenticated). Both bases mark
 *     such skbs zerocopy (SKBFL_ZEROCOPY_FRAG), which makes local
 *     delivery copy them before UDP sees them (skb_orphan_frags_rx()),
 *     and the ULP copies shared or zerocopy data itself besides.
 *
 * (Finding 15, drops and auth_failures, is tested in quic_rx; the
 * extensible QUIC_ULP_CONN_INFO in quic_ulp.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define CIPHER		QUIC_ULP_CIPHER_AES_128_GCM_SHA256
#define CONN		1U
#define CID_LEN		8
#define MAX_DGRAM	65536
#define TIMEOUT_MS	3000
#define NFORGED		32
#define SEG		600
#define NSEG		100	/* more than the 64 records a datagram gets */

/* One datagram as recvmsg() gives it */
struct got {
	ssize_t len;
	int gso;
	int nrec;
	bool ctrunc;
	struct quic_ulp_rx_info rec[NSEG];
};

static void receive(struct __test_metadata *_metadata, int fd, uint8_t *buf,
		    struct got *g, int flags)
{
	char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info)) +
		     CMSG_SPACE(sizeof(int)) + 64];
	struct iovec iov = { .iov_base = buf, .iov_len = MAX_DGRAM };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	size_t n;

	memset(g, 0, sizeof(*g));
	g->len = recvmsg(fd, &msg, flags);
	if (g->len < 0)
		return;
	g->ctrunc = msg.msg_flags & MSG_CTRUNC;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_level != SOL_UDP)
			continue;
		if (cm->cmsg_type == UDP_GRO)
			memcpy(&g->gso, CMSG_DATA(cm), sizeof(int));
		if (cm->cmsg_type == QUIC_ULP_RX_INFO) {
			n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(g->rec[0]);
			EXPECT_LE(n, 64U);
			g->nrec = n > 64 ? 64 : n;
			memcpy(g->rec, CMSG_DATA(cm),
			       g->nrec * sizeof(g->rec[0]));
		}
	}
}

/* The plaintext of packet @pn and, in @wire, the same packet protected */
static void make(struct quic_ref_key *key, const uint8_t *cid,
		 uint8_t *plain, uint8_t *wire, size_t len, uint64_t pn)
{
	quic_build(plain, len, cid, CID_LEN, pn, 2, false, (uint8_t)pn);
	quic_seal(key, plain, len, CID_LEN, pn, wire);
}

/* --- Finding 2: datagrams queued before the ULP ------------------------- */

FIXTURE(preattach)
{
	int ulp, peer, sync;
	struct sockaddr_storage ulp_addr, peer_addr, sync_addr;
	uint8_t secret[32], cid[CID_LEN];
	struct quic_ref_key key;
	int gro_was, csum_was;
	uint8_t *buf;
};

FIXTURE_VARIANT(preattach)
{
	int family;
};

FIXTURE_VARIANT_ADD(preattach, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(preattach, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(preattach)
{
	socklen_t len;

	self->gro_was = quic_ethtool_get(false, "veth0", ETHTOOL_GGRO);
	self->csum_was = quic_ethtool_get(true, "veth1", ETHTOOL_GTXCSUM);
	/* GRO where the ULP socket receives, software checksums where the
	 * peer sends: GRO then leaves the checksum it computed in skb->cb.
	 * Without that the test still checks the uAPI, but the old kernel
	 * would read zeros and pass.
	 */
	if (quic_ethtool_set(false, "veth0", ETHTOOL_SGRO, 1) ||
	    quic_ethtool_set(true, "veth1", ETHTOOL_STXCSUM, 0))
		TH_LOG("cannot set veth offloads: the old kernel's bug would not show");

	self->buf = malloc(MAX_DGRAM);
	ASSERT_NE(self->buf, NULL);
	self->ulp = quic_udp_socket(variant->family, false, &self->ulp_addr, &len);
	self->sync = quic_udp_socket(variant->family, false, &self->sync_addr,
				     &len);
	self->peer = quic_udp_socket(variant->family, true, &self->peer_addr,
				     &len);
	ASSERT_GE(self->ulp, 0);
	ASSERT_GE(self->sync, 0);
	ASSERT_GE(self->peer, 0);
	quic_set_timeout(self->ulp, TIMEOUT_MS);
	quic_set_timeout(self->sync, TIMEOUT_MS);
	ASSERT_EQ(connect(self->peer, (struct sockaddr *)&self->ulp_addr,
			  quic_addr_len(&self->ulp_addr)), 0);
	quic_random(self->secret, sizeof(self->secret));
	quic_random(self->cid, sizeof(self->cid));
	ASSERT_EQ(quic_ref_key_init(&self->key, CIPHER, self->secret,
				    sizeof(self->secret)), 0);
}

FIXTURE_TEARDOWN(preattach)
{
	if (self->gro_was >= 0)
		quic_ethtool_set(false, "veth0", ETHTOOL_SGRO, self->gro_was);
	if (self->csum_was >= 0)
		quic_ethtool_set(true, "veth1", ETHTOOL_STXCSUM, self->csum_was);
	quic_ref_key_free(&self->key);
	close(self->ulp);
	close(self->sync);
	close(self->peer);
	free(self->buf);
}

/* Everything the peer sent before now is in the ULP socket's queue: a
 * datagram sent after it on the same path, to another socket, arrived
 */
static void wait_queued(struct __test_metadata *_metadata, int peer,
			int sync, const struct sockaddr_storage *sync_addr)
{
	char b[8];

	ASSERT_EQ(sendto(peer, "sync", 4, 0, (const struct sockaddr *)sync_addr,
			 quic_addr_len(sync_addr)), 4);
	ASSERT_EQ(recv(sync, b, sizeof(b), 0), 4);
}

TEST_F(preattach, forged_records)
{
	uint8_t forged[NFORGED][300];
	uint8_t plain[300], wire[300];
	long long drops;
	struct got g;
	int i;

	/* A 0-byte datagram, then short headers to the ID the connection
	 * will have, whose last 16 bytes are a record saying "decrypted"
	 */
	ASSERT_EQ(send(self->peer, "", 0, 0), 0);
	for (i = 0; i < NFORGED; i++) {
		struct quic_ulp_rx_info rec = {
			.pn = i, .conn = CONN, .status = QUIC_ULP_RX_DECRYPTED,
		};

		quic_random(forged[i], sizeof(forged[i]));
		quic_build(forged[i], sizeof(forged[i]) - 40, self->cid,
			   CID_LEN, i, 2, false, i);
		memcpy(forged[i] + sizeof(forged[i]) - sizeof(rec), &rec,
		       sizeof(rec));
		ASSERT_EQ(send(self->peer, forged[i], sizeof(forged[i]), 0),
			  (ssize_t)sizeof(forged[i]));
	}
	wait_queued(_metadata, self->peer, self->sync, &self->sync_addr);

	ASSERT_EQ(quic_attach(self->ulp), 0);
	ASSERT_EQ(quic_set_key(self->ulp, true, CONN, CIPHER, self->secret, 0,
			       0), 0);
	ASSERT_EQ(quic_cid(self->ulp, true, CONN, QUIC_ULP_DIR_RX, self->cid,
			   CID_LEN, NULL), 0);

	/* As they came, without a record */
	receive(_metadata, self->ulp, self->buf, &g, 0);
	ASSERT_EQ(g.len, 0);
	EXPECT_EQ(g.nrec, 0);
	for (i = 0; i < NFORGED; i++) {
		receive(_metadata, self->ulp, self->buf, &g, 0);
		ASSERT_EQ(g.len, (ssize_t)sizeof(forged[i]));
		EXPECT_EQ(g.nrec, 0)
			TH_LOG("datagram %d, queued before the ULP, reported with status %u",
			       i, g.rec[0].status);
		EXPECT_EQ(memcmp(self->buf, forged[i], sizeof(forged[i])), 0);
	}

	/* Now the ULP sees them: a 0-byte datagram is nothing to it ... */
	ASSERT_EQ(send(self->peer, "", 0, 0), 0);
	receive(_metadata, self->ulp, self->buf, &g, 0);
	EXPECT_EQ(g.len, 0);
	EXPECT_EQ(g.nrec, 0);
	/* ... a forgery (a packet of the connection whose tag is off by a
	 * bit) fails authentication and is dropped ...
	 */
	drops = quic_sk_drops(self->ulp);
	make(&self->key, self->cid, plain, wire, sizeof(wire), 50);
	wire[sizeof(wire) - 1] ^= 1;
	ASSERT_EQ(send(self->peer, wire, sizeof(wire), 0), (ssize_t)sizeof(wire));
	EXPECT_EQ(quic_sync(self->peer, NULL, self->ulp, TIMEOUT_MS, NULL, 0,
			    NULL), 0);
	EXPECT_EQ(quic_sk_drops(self->ulp), drops + 1);
	/* ... and the real thing decrypts, telling of it */
	make(&self->key, self->cid, plain, wire, sizeof(wire), 100);
	ASSERT_EQ(send(self->peer, wire, sizeof(wire), 0), (ssize_t)sizeof(wire));
	receive(_metadata, self->ulp, self->buf, &g, 0);
	ASSERT_EQ(g.len, (ssize_t)sizeof(wire));
	ASSERT_EQ(g.nrec, 1);
	EXPECT_EQ(g.rec[0].status, QUIC_ULP_RX_DECRYPTED);
	EXPECT_EQ(g.rec[0].pn, 100U);
	EXPECT_EQ(g.rec[0].auth_failures, 1);
	EXPECT_EQ(memcmp(self->buf, plain, sizeof(plain) - QUIC_ULP_TAG_LEN), 0);
}

/* --- Finding 14: more than 64 segments ---------------------------------- */

struct gso_test {
	int ulp, tx, sync;
	struct sockaddr_storage ulp_addr, sync_addr;
	uint8_t secret[32], cid[CID_LEN];
	struct quic_ref_key key;
	uint8_t *buf, *wire, *plain;	/* packets 0 to 2 * NSEG - 1 */
};

FIXTURE(gso)
{
	struct gso_test t;
};

FIXTURE_VARIANT(gso)
{
	int family;
};

FIXTURE_VARIANT_ADD(gso, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(gso, ipv6)
{
	.family = AF_INET6,
};

/* A socket on the loopback address, whose device keeps GSO datagrams
 * whole to a socket with UDP_GRO
 */
static int lo_socket(int family, struct sockaddr_storage *ss)
{
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) :
					    sizeof(struct sockaddr_in6);
	int fd = socket(family, SOCK_DGRAM, 0);

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, len) ||
	    getsockname(fd, (struct sockaddr *)ss, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

FIXTURE_SETUP(gso)
{
	struct gso_test *t = &self->t;
	struct sockaddr_storage a;
	int one = 1, i, rcvbuf = 16 << 20;
	cpu_set_t cpus;

	/* One CPU, so that the loopback delivers in the order things are
	 * sent (one backlog)
	 */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu(), &cpus);
	ASSERT_EQ(sched_setaffinity(0, sizeof(cpus), &cpus), 0);

	t->buf = malloc(MAX_DGRAM);
	t->wire = malloc(2 * NSEG * SEG);
	t->plain = malloc(2 * NSEG * SEG);
	ASSERT_NE(t->buf, NULL);
	ASSERT_NE(t->wire, NULL);
	ASSERT_NE(t->plain, NULL);
	t->ulp = lo_socket(variant->family, &t->ulp_addr);
	t->sync = lo_socket(variant->family, &t->sync_addr);
	t->tx = lo_socket(variant->family, &a);
	ASSERT_GE(t->ulp, 0);
	ASSERT_GE(t->sync, 0);
	ASSERT_GE(t->tx, 0);
	quic_set_timeout(t->ulp, TIMEOUT_MS);
	quic_set_timeout(t->sync, TIMEOUT_MS);
	ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_GRO, &one, sizeof(one)), 0);
	/* Room for 100 segments, however they are queued */
	ASSERT_EQ(setsockopt(t->ulp, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			     sizeof(rcvbuf)), 0);
	quic_random(t->secret, sizeof(t->secret));
	quic_random(t->cid, sizeof(t->cid));
	ASSERT_EQ(quic_ref_key_init(&t->key, CIPHER, t->secret,
				    sizeof(t->secret)), 0);
	/* Packets 0 to 199, each in its own place */
	for (i = 0; i < 2 * NSEG; i++)
		make(&t->key, t->cid, t->plain + i * SEG,
		     t->wire + i * SEG, SEG, i);
}

FIXTURE_TEARDOWN(gso)
{
	struct gso_test *t = &self->t;

	quic_ref_key_free(&t->key);
	close(t->ulp);
	close(t->sync);
	close(t->tx);
	free(t->buf);
	free(t->wire);
	free(t->plain);
}

static void attach(struct __test_metadata *_metadata,
		   struct gso_test *t)
{
	ASSERT_EQ(quic_attach(t->ulp), 0);
	ASSERT_EQ(quic_set_key(t->ulp, true, CONN, CIPHER, t->secret, 0,
			       0), 0);
	ASSERT_EQ(quic_cid(t->ulp, true, CONN, QUIC_ULP_DIR_RX, t->cid,
			   CID_LEN, NULL), 0);
}

/* Packets @first to @first + NSEG - 1 in one GSO send */
static ssize_t send_100(struct gso_test *t, int first)
{
	return quic_send(t->tx, t->wire + first * SEG, NSEG * SEG, SEG,
			 &t->ulp_addr);
}

/*
 * Check one received datagram: every segment either decrypted, with a
 * true record, or as it was sent, and never more records than segments
 * or than 64. @seen counts the packets by number. Returns its segments.
 */
static int check_dgram(struct __test_metadata *_metadata,
		       struct gso_test *t, const struct got *g,
		       int *seen)
{
	int nseg, i, pn;

	EXPECT_FALSE(g->ctrunc);
	if (g->len <= 0)
		return 0;
	nseg = g->gso ? (g->len + g->gso - 1) / g->gso : 1;
	EXPECT_TRUE(g->nrec == 0 || g->nrec == nseg)
		TH_LOG("%d records for %d segments", g->nrec, nseg);
	EXPECT_LE(g->nrec, 64);
	for (i = 0; i < nseg; i++) {
		const uint8_t *seg = t->buf + i * SEG;
		size_t len = g->len - i * SEG < SEG ? g->len - i * SEG : SEG;
		const struct quic_ulp_rx_info *rec = i < g->nrec ? &g->rec[i] : NULL;

		EXPECT_EQ(len, (size_t)SEG);
		if (len != SEG)
			return nseg;
		if (rec && rec->status == QUIC_ULP_RX_DECRYPTED) {
			pn = rec->pn;
			EXPECT_LT(pn, 2 * NSEG);
			if (pn >= 2 * NSEG)
				continue;
			EXPECT_EQ(rec->conn, CONN);
			EXPECT_EQ(memcmp(seg, t->plain + pn * SEG,
					 SEG - QUIC_ULP_TAG_LEN), 0)
				TH_LOG("packet %d reported decrypted, is not", pn);
		} else {
			/* As sent: its number is in clear after the DCID
			 * only once header protection is off, so find it
			 */
			for (pn = 0; pn < 2 * NSEG; pn++)
				if (!memcmp(seg, t->wire + pn * SEG, SEG))
					break;
			EXPECT_LT(pn, 2 * NSEG)
				TH_LOG("segment %d neither decrypted nor as sent", i);
			if (pn >= 2 * NSEG)
				continue;
		}
		seen[pn]++;
	}
	return nseg;
}

/* Queued whole before the ULP came: reported as nothing */
TEST_F(gso, queued_before_attach)
{
	struct gso_test *t = &self->t;
	struct got g;
	char b[8];

	ASSERT_EQ(send_100(t, 0), NSEG * SEG);
	ASSERT_EQ(sendto(t->tx, "sync", 4, 0,
			 (struct sockaddr *)&t->sync_addr,
			 quic_addr_len(&t->sync_addr)), 4);
	ASSERT_EQ(recv(t->sync, b, sizeof(b), 0), 4);
	attach(_metadata, t);

	receive(_metadata, t->ulp, t->buf, &g, 0);
	ASSERT_EQ(g.len, NSEG * SEG);
	EXPECT_EQ(g.gso, SEG);
	EXPECT_EQ(g.nrec, 0);
	EXPECT_FALSE(g.ctrunc);
	EXPECT_EQ(memcmp(t->buf, t->wire, NSEG * SEG), 0);
}

/* After: whatever the kernel makes of it, every record true, all there */
TEST_F(gso, after_attach)
{
	struct gso_test *t = &self->t;
	int seen[2 * NSEG] = {}, segs = 0, i;
	struct got g;

	attach(_metadata, t);
	ASSERT_EQ(send_100(t, NSEG), NSEG * SEG);
	while (segs < NSEG) {
		receive(_metadata, t->ulp, t->buf, &g, 0);
		ASSERT_GE(g.len, 0) TH_LOG("%d of %d segments", segs, NSEG);
		segs += check_dgram(_metadata, t, &g, seen);
	}
	for (i = NSEG; i < 2 * NSEG; i++)
		EXPECT_EQ(seen[i], 1) TH_LOG("packet %d", i);
}

/* The ULP attached while 100-segment datagrams keep coming */
struct flood {
	struct gso_test *t;
	atomic_bool stop;
	atomic_ulong sent;
};

static void *flooder(void *arg)
{
	struct flood *f = arg;

	while (!atomic_load(&f->stop))
		if (send_100(f->t, (atomic_load(&f->sent) & 1) * NSEG) > 0)
			atomic_fetch_add(&f->sent, 1);
	return NULL;
}

TEST_F_TIMEOUT(gso, attach_during_flood, 120)
{
	struct gso_test *t = &self->t;
	int seen[2 * NSEG], rounds = 0, dgrams = 0, i;
	double end = quic_now() + 3;
	struct flood f = { .t = t };
	int rcvbuf = 16 << 20;
	pthread_t thread;
	struct got g;

	/* A few rounds by the clock, each on a new socket */
	while (quic_now() < end || !rounds) {
		if (rounds) {
			close(t->ulp);
			t->ulp = lo_socket(t->ulp_addr.ss_family, &t->ulp_addr);
			ASSERT_GE(t->ulp, 0);
			i = 1;
			ASSERT_EQ(setsockopt(t->ulp, SOL_UDP, UDP_GRO, &i,
					     sizeof(i)), 0);
		}
		setsockopt(t->ulp, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			   sizeof(rcvbuf));
		atomic_store(&f.stop, false);
		atomic_store(&f.sent, 0);
		ASSERT_EQ(pthread_create(&thread, NULL, flooder, &f), 0);
		/* Attach after a few datagrams, varying from round to round */
		while (atomic_load(&f.sent) < (unsigned long)(1 + rounds % 5))
			sched_yield();
		attach(_metadata, t);
		while (atomic_load(&f.sent) < (unsigned long)(6 + rounds % 5))
			sched_yield();
		atomic_store(&f.stop, true);
		pthread_join(thread, NULL);

		memset(seen, 0, sizeof(seen));
		for (;;) {
			receive(_metadata, t->ulp, t->buf, &g,
				MSG_DONTWAIT);
			if (g.len < 0)
				break;
			check_dgram(_metadata, t, &g, seen);
			dgrams++;
		}
		rounds++;
	}
	printf("# %d rounds, %d datagrams checked\n", rounds, dgrams);
	EXPECT_GT(dgrams, 0);
}

/* Finding 10: what a tap on the loopback captured is the ciphertext, on
 * the way out and on the way in, after the ULP decrypted its datagram
 */
TEST_F(gso, tap_sees_ciphertext)
{
	struct gso_test *t = &self->t;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
	};
	uint16_t port = t->ulp_addr.ss_family == AF_INET ?
			((struct sockaddr_in *)&t->ulp_addr)->sin_port :
			((struct sockaddr_in6 *)&t->ulp_addr)->sin6_port;
	const int nseg = 16;
	int tap, frames = 0, i;
	size_t ip_len;
	uint8_t *udp;
	struct got g;
	ssize_t n;

	tap = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (tap < 0)
		SKIP(return, "no AF_PACKET: %s", strerror(errno));
	sll.sll_ifindex = if_nametoindex("lo");
	ASSERT_EQ(bind(tap, (struct sockaddr *)&sll, sizeof(sll)), 0);
	attach(_metadata, t);

	ASSERT_EQ(quic_send(t->tx, t->wire, nseg * SEG, SEG,
			    &t->ulp_addr), nseg * SEG);
	receive(_metadata, t->ulp, t->buf, &g, 0);
	ASSERT_EQ(g.len, nseg * SEG);
	ASSERT_EQ(g.nrec, nseg);
	for (i = 0; i < nseg; i++) {
		EXPECT_EQ(g.rec[i].status, QUIC_ULP_RX_DECRYPTED);
		EXPECT_EQ(memcmp(t->buf + i * SEG, t->plain + i * SEG,
				 SEG - QUIC_ULP_TAG_LEN), 0);
	}

	/* Every frame of that flow the tap holds */
	while ((n = recv(tap, t->buf, MAX_DGRAM, MSG_DONTWAIT)) > 0) {
		if ((t->buf[0] >> 4) == 4)
			ip_len = (t->buf[0] & 0xf) * 4;
		else if ((t->buf[0] >> 4) == 6)
			ip_len = 40;
		else
			continue;
		if ((size_t)n < ip_len + 8)
			continue;
		udp = t->buf + ip_len;
		if (memcmp(udp + 2, &port, sizeof(port)))
			continue;
		frames++;
		ASSERT_EQ((size_t)n, ip_len + 8 + nseg * SEG);
		EXPECT_EQ(memcmp(udp + 8, t->wire, nseg * SEG), 0)
			TH_LOG("frame %d: the tap saw the datagram rewritten", frames);
	}
	EXPECT_GT(frames, 0);
	close(tap);
}

/* The Internet checksum of @len bytes, added to @sum */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/*
 * An Ethernet frame for the loopback, from @src to @dst (@dst also gives
 * the family and the port) carrying @len bytes of @payload over UDP, with
 * its checksums; returns the frame's length.
 */
static size_t lo_frame(uint8_t *f, const struct sockaddr_storage *dst,
		       uint16_t sport, const uint8_t *payload, size_t len)
{
	bool v4 = dst->ss_family == AF_INET;
	size_t ip_len = v4 ? 20 : 40, udp_len = 8 + len;
	uint8_t *ip = f + ETH_HLEN, *udp = ip + ip_len;
	const uint8_t *addr;
	size_t addr_len;
	uint32_t sum;

	memset(f, 0, ETH_HLEN + ip_len + 8);	/* the loopback's MACs are 0 */
	put16(f + 12, v4 ? ETH_P_IP : ETH_P_IPV6);
	if (v4) {
		const struct sockaddr_in *sin = (const void *)dst;

		ip[0] = 0x45;
		put16(ip + 2, ip_len + udp_len);
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		memcpy(ip + 12, &sin->sin_addr, 4);
		memcpy(ip + 16, &sin->sin_addr, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		memcpy(udp + 2, &sin->sin_port, 2);
		addr = ip + 12;
		addr_len = 8;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)dst;

		ip[0] = 0x60;
		put16(ip + 4, udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		memcpy(ip + 8, &sin6->sin6_addr, 16);
		memcpy(ip + 24, &sin6->sin6_addr, 16);
		memcpy(udp + 2, &sin6->sin6_port, 2);
		addr = ip + 8;
		addr_len = 32;
	}
	put16(udp, sport);
	put16(udp + 4, udp_len);
	memcpy(udp + 8, payload, len);
	/* Pseudo-header (addresses, protocol, length), then the datagram */
	sum = csum_add(0, addr, addr_len) + IPPROTO_UDP + udp_len;
	sum = csum_add(sum, udp, udp_len);
	sum = csum_fold(sum);
	put16(udp + 6, sum ? sum : 0xffff);	/* 0 would mean none */
	return ETH_HLEN + ip_len + udp_len;
}

/* Review of the 7.3 port: a datagram that arrives in a PACKET_TX_RING's
 * pages is decrypted for the application, and the ring still holds what
 * its sender put there
 */
TEST_F(gso, tx_ring_pages_untouched)
{
	struct gso_test *t = &self->t;
	const size_t ring_len = 2 * 4096;
	struct tpacket_req req = {
		.tp_block_size = ring_len, .tp_block_nr = 1,
		.tp_frame_size = ring_len, .tp_frame_nr = 1,
	};
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int fd, version = TPACKET_V2;
	struct tpacket2_hdr *hdr;
	uint8_t *ring, *frame;
	size_t len, quic_off;
	struct got g;

	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0)
		SKIP(return, "no AF_PACKET: %s", strerror(errno));
	ASSERT_EQ(setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version,
			     sizeof(version)), 0);
	ASSERT_EQ(setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req,
			     sizeof(req)), 0);
	ring = mmap(NULL, ring_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(ring, MAP_FAILED);
	/* Bound to no protocol: the socket sends, and does not receive,
	 * so the receive path gets the skb unshared, as from any sender
	 */
	sll.sll_ifindex = if_nametoindex("lo");
	ASSERT_EQ(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	/* From outside the stack, 127.0.0.1 to itself is a martian */
	ASSERT_EQ(quic_sysctl_set("net/ipv4/conf/lo/route_localnet", 1), 0);
	ASSERT_EQ(quic_sysctl_set("net/ipv4/conf/lo/accept_local", 1), 0);
	attach(_metadata, t);

	/* Packet 0, as a peer sent it: the link header goes to the skb's
	 * head, the rest stays in the ring's page
	 */
	hdr = (struct tpacket2_hdr *)ring;
	frame = ring + TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
	len = lo_frame(frame, &t->ulp_addr, 4433, t->wire, SEG);
	quic_off = len - SEG;
	hdr->tp_len = len;
	__atomic_store_n(&hdr->tp_status, TP_STATUS_SEND_REQUEST,
			 __ATOMIC_RELEASE);
	ASSERT_EQ(send(fd, NULL, 0, 0), (ssize_t)len);

	receive(_metadata, t->ulp, t->buf, &g, 0);
	ASSERT_EQ(g.len, SEG);
	ASSERT_EQ(g.nrec, 1);
	EXPECT_EQ(g.rec[0].status, QUIC_ULP_RX_DECRYPTED);
	EXPECT_EQ(g.rec[0].pn, 0U);
	EXPECT_EQ(memcmp(t->buf, t->plain, SEG - QUIC_ULP_TAG_LEN), 0);
	EXPECT_EQ(memcmp(frame + quic_off, t->wire, SEG), 0)
		TH_LOG("the kernel wrote into the sender's ring");

	munmap(ring, ring_len);
	close(fd);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
