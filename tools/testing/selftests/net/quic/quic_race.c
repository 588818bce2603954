// SPDX-License-Identifier: GPL-2.0
/*
 * Races of the quic ULP, best run on a debug kernel (KASAN, lockdep,
 * kmemleak), whose log then tells what a test alone cannot:
 *  - senders on one socket while the application updates its keys, and
 *    another thread deletes and installs its connection again and adds and
 *    removes its IDs (review finding 1), every packet checked at the peer:
 *    it decrypts with the generation its record named, and none is ever
 *    in plaintext; a send that cannot be protected fails;
 *  - close (and shutdown) while other threads are in sendmsg, sendmmsg,
 *    recvmsg and setsockopt on the socket, with traffic arriving;
 *  - network namespaces torn down with live ULP sockets in them, their
 *    queues full of decrypted datagrams, killed in the middle of traffic
 *    and of key updates (work pending to prepare the next keys), and one
 *    whose socket outlives its creator in another process (finding 12);
 *  - unloading the module while sockets use it: refused while they exist,
 *    and safe against sockets coming and going meanwhile, each leaving
 *    key preparation work behind as it closes (finding 12: the old kernel
 *    could run that work's last put after rcu_barrier(), into freed
 *    module text).
 *
 * RACE_SECONDS bounds each timed test, RACE_ROUNDS the rounds of the
 * others: 3 s and 10 rounds by default, 10 s and 40 rounds with
 * QUIC_SELFTEST_LONG=1 (the run for a debug kernel, or before sending a
 * change).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define AES128		QUIC_ULP_CIPHER_AES_128_GCM_SHA256
#define MAX_DGRAM	65536
#define PKT_LEN		200
#define MAGIC		"QUICRACE"
#define MAX_GEN		256

/* Short for CI by default, long with QUIC_SELFTEST_LONG=1 */
static int race_seconds(void)
{
	return quic_env_int("RACE_SECONDS", 3, 10);
}

static int race_rounds(void)
{
	return quic_env_int("RACE_ROUNDS", 10, 40);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

FIXTURE(race)
{
};

FIXTURE_SETUP(race)
{
	ASSERT_EQ(quic_topo_setup(), 0);
}

FIXTURE_TEARDOWN(race)
{
	quic_topo_cleanup();
}

/*
 * Review finding 1 (and 6): senders on one socket while another thread
 * deletes and installs the connection again, adds and removes its IDs,
 * updates and discards keys. Every send either fails (ENOENT while the
 * connection is gone, ENOKEY while it is back but its Tx keys are still
 * being installed; EEXIST, EKEYREJECTED or EBUSY for packets that lost
 * a race for their number or generation) or goes out sealed with the
 * generation it names: the peer reads every datagram that arrives, and
 * each one must authenticate under the reference, and none may hold a
 * packet in plaintext. The old kernel looked the connection up by the
 * packet's DCID through a cache that a concurrent QUIC_ULP_DEL_CID or
 * QUIC_ULP_DEL_CONN could leave pointing at freed memory, and sent packets it
 * found no connection for in plaintext.
 *
 * Packet numbers and generations are handed out together under a lock,
 * as a QUIC stack does; a key update is started only once a packet of the
 * current generation went out (RFC 9001, 6.1 lets an endpoint update only
 * after its current keys were acknowledged).
 */
struct rotate {
	int ulp, peer;
	struct sockaddr_storage peer_addr;
	uint8_t cid[8];
	uint8_t secret[QUIC_ULP_MAX_SECRET_LEN];
	struct quic_ref_key keys[MAX_GEN];
	pthread_mutex_t lock;
	uint64_t next_pn;
	uint32_t gen;		/* the generation senders name */
	atomic_uint sent_gen;	/* newest generation a packet went out with */
	atomic_bool stop;
	atomic_ulong sent, enoent, lost_race, updates, reinstalls, discards,
		     cid_ops;
	unsigned long decrypted;
	atomic_flag failed;
	char err[256];
};

/* The first failure is kept; the test reports it at the end */
static void __printf(2, 3) rotate_fail(struct rotate *r, const char *fmt, ...)
{
	va_list ap;

	if (atomic_flag_test_and_set(&r->failed))
		return;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static void *rotate_sender(void *arg)
{
	struct rotate *r = arg;
	uint64_t s = (uintptr_t)&s ^ 0x1234567;
	struct quic_ulp_tx_info recs[16];
	uint8_t buf[16 * PKT_LEN];
	unsigned int n, i;
	uint32_t gen;
	uint64_t pn;

	while (!atomic_load(&r->stop)) {
		n = 1 + rnd(&s) % 16;
		pthread_mutex_lock(&r->lock);
		pn = r->next_pn;
		r->next_pn += n;
		gen = r->gen;
		pthread_mutex_unlock(&r->lock);

		for (i = 0; i < n; i++) {
			uint8_t *p = buf + i * PKT_LEN;
			size_t hdr = quic_build(p, PKT_LEN, r->cid, sizeof(r->cid),
						pn + i, 4, gen & 1, (uint8_t)(pn + i));

			memcpy(p + hdr, MAGIC, 8);
			memcpy(p + hdr + 8, &gen, sizeof(gen));
			recs[i] = quic_tx_rec(1, pn + i, gen, sizeof(r->cid));
		}
		if (rnd(&s) % 4 == 0)
			sched_yield();	/* let others overtake */
		if (quic_send_tx(r->ulp, buf, n * PKT_LEN, n > 1 ? PKT_LEN : 0,
				 &r->peer_addr, recs, n) < 0) {
			if (errno == ENOENT || errno == ENOKEY)
				atomic_fetch_add(&r->enoent, 1);
			else if (errno == EEXIST || errno == EKEYREJECTED ||
				 errno == EBUSY)
				atomic_fetch_add(&r->lost_race, 1);
			else
				rotate_fail(r, "send of packets %llu to %llu: %s",
					    (unsigned long long)pn,
					    (unsigned long long)(pn + n - 1),
					    strerror(errno));
			continue;
		}
		atomic_fetch_add(&r->sent, n);
		for (i = atomic_load(&r->sent_gen); i < gen &&
		     !atomic_compare_exchange_weak(&r->sent_gen, &i, gen);)
			;
	}
	return NULL;
}

/* Tx and Rx IDs of the connection come and go as fast as they can */
static void *rotate_cids(void *arg)
{
	struct rotate *r = arg;
	uint64_t s = 0xc1d5;
	uint8_t id[8];

	while (!atomic_load(&r->stop)) {
		uint8_t dir = rnd(&s) & 1 ? QUIC_ULP_DIR_TX : QUIC_ULP_DIR_RX;

		memcpy(id, r->cid, sizeof(id));
		id[7] ^= 1 + rnd(&s) % 4;
		/* the connection may be gone: ENOENT is fine */
		quic_cid(r->ulp, true, 1, dir, id, sizeof(id), NULL);
		quic_cid(r->ulp, false, 1, dir, id, sizeof(id), NULL);
		/* the Tx ID of the packets themselves, too */
		quic_cid(r->ulp, false, 1, QUIC_ULP_DIR_TX, r->cid, sizeof(r->cid),
			 NULL);
		quic_cid(r->ulp, true, 1, QUIC_ULP_DIR_TX, r->cid, sizeof(r->cid),
			 NULL);
		atomic_fetch_add(&r->cid_ops, 4);
	}
	return NULL;
}

static void *rotate_control(void *arg)
{
	struct rotate *r = arg;
	uint64_t s = 0xfeedface;
	uint32_t conn = 1;
	int err;

	while (!atomic_load(&r->stop)) {
		unsigned int op = rnd(&s) % 8;

		usleep(1000 + rnd(&s) % 5000);
		pthread_mutex_lock(&r->lock);
		if (op < 4) {
			/* Key update, once the current keys were used */
			if (r->gen + 1 < MAX_GEN &&
			    atomic_load(&r->sent_gen) == r->gen) {
				__atomic_store_n(&r->gen, r->gen + 1,
						 __ATOMIC_RELAXED);
				atomic_fetch_add(&r->updates, 1);
			}
		} else if (op < 7) {
			/* Delete the connection; let the senders find it
			 * gone for a while; install it again where it was,
			 * every number handed out so far counted as used
			 */
			err = quic_del_conn(r->ulp, conn);
			pthread_mutex_unlock(&r->lock);
			usleep(rnd(&s) % 2000);
			pthread_mutex_lock(&r->lock);
			if (!err)
				err = quic_set_key(r->ulp, false, conn, AES128,
						   r->secret, r->gen, r->next_pn);
			if (err)
				rotate_fail(r, "deleting and installing the connection: %s",
					    strerror(-err));
			atomic_fetch_add(&r->reinstalls, 1);
		} else {
			err = quic_discard_old(r->ulp, conn, QUIC_ULP_DIR_TX);
			if (err)
				rotate_fail(r, "discarding old keys: %s",
					    strerror(-err));
			atomic_fetch_add(&r->discards, 1);
		}
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

/* One datagram at the peer: sealed with the generation its packets name */
static void rotate_check(struct rotate *r, const uint8_t *pkt, size_t len,
			 uint64_t *largest)
{
	uint32_t gen, cur = __atomic_load_n(&r->gen, __ATOMIC_RELAXED);
	uint8_t hdr[PKT_LEN], copy[PKT_LEN], plain[PKT_LEN];
	struct quic_ref_rx rx;
	size_t hdr_len;
	int g;

	if (len != PKT_LEN) {
		rotate_fail(r, "a %zu-byte datagram", len);
		return;
	}
	if (!memcmp(pkt + 1 + sizeof(r->cid) + 4, MAGIC, 8)) {
		rotate_fail(r, "a packet on the wire in plaintext");
		return;
	}
	/* Header protection is the same for every generation */
	memcpy(hdr, pkt, len);
	if (quic_ref_unprotect_header(&r->keys[0], hdr, len, sizeof(r->cid),
				      *largest, &rx)) {
		rotate_fail(r, "malformed packet");
		return;
	}
	/* Packets wait in the peer's queue while generations go by: try
	 * the newest first, down to the first
	 */
	for (g = cur + 1 < MAX_GEN ? cur + 1 : cur; g >= 0; g--) {
		if ((g & 1) != rx.key_phase)
			continue;
		memcpy(copy, hdr, len);
		if (quic_ref_open_payload(&r->keys[g], copy, &rx))
			continue;
		memcpy(&gen, copy + rx.header_len + 8, sizeof(gen));
		if (memcmp(copy + rx.header_len, MAGIC, 8) || gen != (uint32_t)g) {
			rotate_fail(r, "packet %llu of generation %u sealed with %d",
				    (unsigned long long)rx.pn, gen, g);
			return;
		}
		/* and byte for byte what the reference makes of it */
		hdr_len = quic_build(plain, PKT_LEN, r->cid, sizeof(r->cid),
				     rx.pn, 4, g & 1, (uint8_t)rx.pn);
		memcpy(plain + hdr_len, MAGIC, 8);
		memcpy(plain + hdr_len + 8, &gen, sizeof(gen));
		if (quic_seal(&r->keys[g], plain, PKT_LEN, sizeof(r->cid), rx.pn,
			      copy) || memcmp(copy, pkt, PKT_LEN)) {
			rotate_fail(r, "packet %llu is not what generation %d makes of it",
				    (unsigned long long)rx.pn, g);
			return;
		}
		if (*largest == QUIC_REF_PN_NONE || rx.pn > *largest)
			*largest = rx.pn;
		r->decrypted++;
		return;
	}
	rotate_fail(r, "packet %llu (Key Phase %d) decrypts with no generation up to %u",
		    (unsigned long long)rx.pn, rx.key_phase, cur + 1);
}

TEST_F_TIMEOUT(race, senders_rotate_delete, 600)
{
	int seconds = race_seconds(), i, nsend = 3;
	pthread_t senders[3], control, cids;
	uint64_t largest = QUIC_REF_PN_NONE;
	int rcvbuf = 64 << 20;
	struct sockaddr_storage a;
	uint8_t buf[MAX_DGRAM];
	struct rotate *r;
	socklen_t len;
	double end;
	ssize_t n;

	r = calloc(1, sizeof(*r));
	ASSERT_NE(r, NULL);
	pthread_mutex_init(&r->lock, NULL);
	quic_random(r->cid, sizeof(r->cid));
	quic_random(r->secret, sizeof(r->secret));
	ASSERT_EQ(quic_ref_key_init(&r->keys[0], AES128, r->secret, 32), 0);
	for (i = 1; i < MAX_GEN; i++)
		ASSERT_EQ(quic_ref_key_init_next(&r->keys[i], &r->keys[i - 1]), 0);

	r->ulp = quic_udp_socket(AF_INET, false, &a, &len);
	r->peer = quic_udp_socket(AF_INET, true, &r->peer_addr, &len);
	ASSERT_GE(r->ulp, 0);
	ASSERT_GE(r->peer, 0);
	quic_set_timeout(r->peer, 1000);
	/* Room for whatever arrives while the checks run */
	setsockopt(r->peer, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	ASSERT_EQ(quic_attach(r->ulp), 0);
	ASSERT_EQ(quic_set_key(r->ulp, false, 1, AES128, r->secret, 0, 0), 0);
	ASSERT_EQ(quic_cid(r->ulp, true, 1, QUIC_ULP_DIR_TX, r->cid, sizeof(r->cid),
			   NULL), 0);

	for (i = 0; i < nsend; i++)
		ASSERT_EQ(pthread_create(&senders[i], NULL, rotate_sender, r), 0);
	ASSERT_EQ(pthread_create(&control, NULL, rotate_control, r), 0);
	ASSERT_EQ(pthread_create(&cids, NULL, rotate_cids, r), 0);
	end = quic_now() + seconds;
	while (!r->err[0]) {
		if (quic_now() > end)
			atomic_store(&r->stop, true);
		n = recv(r->peer, buf, sizeof(buf), 0);
		if (n < 0) {
			if (atomic_load(&r->stop))
				break;	/* drained */
			continue;
		}
		rotate_check(r, buf, n, &largest);
	}
	atomic_store(&r->stop, true);
	for (i = 0; i < nsend; i++)
		pthread_join(senders[i], NULL);
	pthread_join(control, NULL);
	pthread_join(cids, NULL);

	printf("# %lu packets sent; sends refused: %lu ENOENT or ENOKEY, %lu lost a race\n",
	       atomic_load(&r->sent), atomic_load(&r->enoent),
	       atomic_load(&r->lost_race));
	printf("# %lu decrypted at the peer (which dropped %lld)\n",
	       r->decrypted, quic_sk_drops(r->peer));
	printf("# %lu key updates, %lu reinstallations, %lu discards, %lu ID operations\n",
	       atomic_load(&r->updates), atomic_load(&r->reinstalls),
	       atomic_load(&r->discards), atomic_load(&r->cid_ops));
	EXPECT_EQ(r->err[0], 0) TH_LOG("%s", r->err);
	EXPECT_GT(r->decrypted, 0UL);
	/* Nothing arrived that was not sent, counted as sent */
	EXPECT_LE(r->decrypted, atomic_load(&r->sent));
	close(r->ulp);
	close(r->peer);
	for (i = 0; i < MAX_GEN; i++)
		quic_ref_key_free(&r->keys[i]);
	free(r);
	EXPECT_EQ(quic_counter("QuicCurrConns"), 0);
}

/*
 * Close while others are inside calls on the socket. close() only drops
 * the descriptor: calls under way keep the file and finish, and the
 * socket, with its ULP state, goes when the last of them returns.
 */
struct victim {
	int fd;			/* the ULP socket */
	int peer;		/* plain socket sending to it */
	struct sockaddr_storage addr, peer_addr;
	uint8_t cid[8];
	uint8_t secret[QUIC_ULP_MAX_SECRET_LEN];
	struct quic_ref_key ref;
	atomic_bool stop;
	atomic_uint senders;
	atomic_ulong calls, decrypted, sent;
};

static bool gone(int err)
{
	return err == EBADF || err == ENOTSOCK;
}

static void *victim_recv(void *arg)
{
	char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))];
	struct victim *v = arg;
	uint8_t *buf = malloc(MAX_DGRAM);
	int one = 1;

	setsockopt(v->fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	while (buf && !atomic_load(&v->stop)) {
		struct iovec iov = { .iov_base = buf, .iov_len = MAX_DGRAM };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		ssize_t n = recvmsg(v->fd, &msg, atomic_fetch_add(&v->calls, 1) % 3 ?
				    0 : MSG_PEEK);

		if (n < 0 && gone(errno))
			break;
		if (n > 0 && msg.msg_controllen)
			atomic_fetch_add(&v->decrypted, 1);
	}
	free(buf);
	return NULL;
}

/* Each sender has a connection of its own: 1, 2, ... */
static void *victim_send(void *arg)
{
	struct victim *v = arg;
	uint32_t conn = atomic_fetch_add(&v->senders, 1) + 1;
	char control[2][CMSG_SPACE(sizeof(struct quic_ulp_tx_info))] = {};
	struct quic_ulp_tx_info recs[8];
	uint8_t buf[8 * PKT_LEN];
	struct mmsghdr mm[2] = {};
	struct cmsghdr *cm;
	struct iovec iov[2];
	uint64_t pn = 0;
	unsigned int i;
	int n;

	while (!atomic_load(&v->stop)) {
		for (i = 0; i < 8; i++) {
			quic_build(buf + i * PKT_LEN, PKT_LEN, v->cid,
				   sizeof(v->cid), pn, 2, false, i);
			recs[i] = quic_tx_rec(conn, pn++, 0, sizeof(v->cid));
		}
		/* or as two datagrams of one 4-segment-long packet each */
		for (i = 0; i < 2; i++) {
			struct msghdr *m = &mm[i].msg_hdr;

			iov[i].iov_base = buf + i * 4 * PKT_LEN;
			iov[i].iov_len = 4 * PKT_LEN;
			m->msg_iov = &iov[i];
			m->msg_iovlen = 1;
			m->msg_name = &v->peer_addr;
			m->msg_namelen = sizeof(struct sockaddr_in);
			m->msg_control = control[i];
			m->msg_controllen = sizeof(control[i]);
			cm = CMSG_FIRSTHDR(m);
			cm->cmsg_level = SOL_UDP;
			cm->cmsg_type = QUIC_ULP_TX_INFO;
			cm->cmsg_len = CMSG_LEN(sizeof(recs[0]));
			memcpy(CMSG_DATA(cm), &recs[i * 4], sizeof(recs[0]));
		}
		atomic_fetch_add(&v->calls, 1);
		n = pn & 8 ? quic_send_tx(v->fd, buf, sizeof(buf), PKT_LEN,
					  &v->peer_addr, recs, 8) :
			     sendmmsg(v->fd, mm, 2, 0);
		if (n < 0 && gone(errno))
			break;
		if (n > 0)
			atomic_fetch_add(&v->sent, 1);
	}
	return NULL;
}

static void *victim_opts(void *arg)
{
	struct victim *v = arg;
	struct quic_ulp_conn_info info;
	uint32_t g = 0;
	uint8_t id[8];
	int err = 0;

	while (!atomic_load(&v->stop) && !gone(-err)) {
		atomic_fetch_add(&v->calls, 1);
		switch (g++ % 5) {
		case 0:
			/* a connection that comes and goes */
			err = quic_del_conn(v->fd, 3);
			if (!err || err == -ENOENT)
				err = quic_set_key(v->fd, g & 1, 3, AES128,
						   v->secret, g % 3, g);
			break;
		case 4:
			memcpy(id, v->cid, sizeof(id));
			id[6] ^= g;
			err = quic_cid(v->fd, g & 8, 1, QUIC_ULP_DIR_TX, id,
				       sizeof(id), NULL);
			break;
		case 1:
			memcpy(id, v->cid, sizeof(id));
			id[7] ^= 0x80;
			err = quic_cid(v->fd, g & 4, 1, QUIC_ULP_DIR_RX, id,
				       sizeof(id), NULL);
			break;
		case 2:
			err = quic_conn_info(v->fd, 1, &info);
			break;
		default:
			err = quic_discard_old(v->fd, 1, QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX);
			break;
		}
	}
	return NULL;
}

/* The peer keeps protected packets coming at the victim */
static void *victim_peer(void *arg)
{
	struct victim *v = arg;
	uint8_t pkt[PKT_LEN];
	uint64_t pn = 0;

	while (!atomic_load(&v->stop)) {
		quic_build(pkt, sizeof(pkt), v->cid, sizeof(v->cid), pn, 2,
			   false, pn);
		if (quic_ref_protect(&v->ref, pkt, sizeof(pkt), sizeof(v->cid), pn))
			break;
		pn++;
		sendto(v->peer, pkt, sizeof(pkt), 0, (void *)&v->addr,
		       sizeof(struct sockaddr_in));
	}
	return NULL;
}

TEST_F_TIMEOUT(race, close_in_calls, 600)
{
	void *(*fns[])(void *) = { victim_recv, victim_recv, victim_send,
				   victim_send, victim_opts, victim_peer };
	int rounds = race_rounds(), round, i;
	const int nthreads = ARRAY_SIZE(fns);
	unsigned long calls = 0, decrypted = 0, sent = 0;
	pthread_t threads[6];
	uint64_t s = 42;
	socklen_t len;

	for (round = 0; round < rounds; round++) {
		struct victim *v = calloc(1, sizeof(*v));

		ASSERT_NE(v, NULL);
		quic_random(v->cid, sizeof(v->cid));
		quic_random(v->secret, sizeof(v->secret));
		ASSERT_EQ(quic_ref_key_init(&v->ref, AES128, v->secret, 32), 0);
		v->fd = quic_udp_socket(AF_INET, false, &v->addr, &len);
		v->peer = quic_udp_socket(AF_INET, true, &v->peer_addr, &len);
		ASSERT_GE(v->fd, 0);
		ASSERT_GE(v->peer, 0);
		quic_set_timeout(v->fd, 20);
		ASSERT_EQ(quic_attach(v->fd), 0);
		ASSERT_EQ(quic_set_key(v->fd, false, 1, AES128, v->secret, 0, 0), 0);
		ASSERT_EQ(quic_set_key(v->fd, false, 2, AES128, v->secret, 0, 0), 0);
		ASSERT_EQ(quic_set_key(v->fd, true, 1, AES128, v->secret, 0, 0), 0);
		ASSERT_EQ(quic_cid(v->fd, true, 1, QUIC_ULP_DIR_TX, v->cid,
				   sizeof(v->cid), NULL), 0);
		ASSERT_EQ(quic_cid(v->fd, true, 1, QUIC_ULP_DIR_RX, v->cid,
				   sizeof(v->cid), NULL), 0);

		for (i = 0; i < nthreads; i++)
			ASSERT_EQ(pthread_create(&threads[i], NULL, fns[i], v), 0);
		usleep(rnd(&s) % 50000);
		if (round % 3 == 0)
			shutdown(v->fd, SHUT_RDWR);
		/* Nothing else opens a descriptor until the threads are
		 * joined, so the number is not reused under them.
		 */
		ASSERT_EQ(close(v->fd), 0);
		usleep(rnd(&s) % 20000);
		atomic_store(&v->stop, true);
		for (i = 0; i < nthreads; i++)
			pthread_join(threads[i], NULL);
		calls += atomic_load(&v->calls);
		sent += atomic_load(&v->sent);
		decrypted += atomic_load(&v->decrypted);
		close(v->peer);
		quic_ref_key_free(&v->ref);
		free(v);
	}
	printf("# %d rounds, %lu calls on closing sockets\n", rounds, calls);
	printf("# %lu sends protected, %lu datagrams received decrypted\n",
	       sent, decrypted);
	EXPECT_EQ(quic_counter("QuicCurrConns"), 0);
}

static int lo_up(void)
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -1;
	memcpy(ifr.ifr_name, "lo", sizeof("lo"));
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (!err)
		err = ioctl(fd, SIOCSIFFLAGS, &ifr);
	close(fd);
	return err;
}

static int send_fd(int via, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = {};
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(via, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int via)
{
	char control[CMSG_SPACE(sizeof(int))] = {};
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	int fd = -1;

	if (recvmsg(via, &msg, 0) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/*
 * The child of the netns test: a namespace of its own with ULP sockets
 * talking over its loopback (both directions offloaded), many connections
 * on one of them, the receiver's queue left full. It hands the receiver to
 * the parent over @via, then sends until it is killed, updating the keys
 * every 32 datagrams, so that both ends always have the next generation
 * to prepare when the namespace goes.
 */
static void netns_child(int via, int nconns)
{
	uint8_t secret[32] = { 9 }, cid[8] = { 0xc1, 0xd0 }, buf[8 * PKT_LEN];
	struct sockaddr_in rx_addr = { .sin_family = AF_INET };
	struct quic_ulp_tx_info recs[8];
	int tx, rx, many, i;
	socklen_t len = sizeof(rx_addr);
	uint32_t gen = 1, batches = 0;
	uint64_t pn = 0;

	if (unshare(CLONE_NEWNET) || lo_up())
		_exit(2);
	rx_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	many = socket(AF_INET6, SOCK_DGRAM, 0);
	if (tx < 0 || rx < 0 || many < 0 ||
	    bind(rx, (void *)&rx_addr, sizeof(rx_addr)) ||
	    getsockname(rx, (void *)&rx_addr, &len) ||
	    connect(tx, (void *)&rx_addr, sizeof(rx_addr)) ||
	    quic_attach(tx) || quic_attach(rx) || quic_attach(many) ||
	    quic_set_key(tx, false, 1, AES128, secret, 1, 0) ||
	    quic_set_key(rx, true, 1, AES128, secret, 1, 0) ||
	    quic_cid(tx, true, 1, QUIC_ULP_DIR_TX, cid, sizeof(cid), NULL) ||
	    quic_cid(rx, true, 1, QUIC_ULP_DIR_RX, cid, sizeof(cid), NULL))
		_exit(3);
	for (i = 0; i < nconns; i++) {
		cid[2] = i;
		cid[3] = i >> 8;
		if (quic_set_key(many, i & 1, i, AES128, secret, i % 3, i) ||
		    quic_cid(many, true, i, i & 1 ? QUIC_ULP_DIR_RX : QUIC_ULP_DIR_TX,
			     cid, sizeof(cid), NULL))
			_exit(4);
	}
	cid[2] = 0;
	cid[3] = 0;
	if (via >= 0 && send_fd(via, rx))
		_exit(5);
	for (;;) {
		if (++batches % 32 == 0 && gen < QUIC_ULP_MAX_KEY_UPDATES)
			gen++;
		for (i = 0; i < 8; i++) {
			quic_build(buf + i * PKT_LEN, PKT_LEN, cid, sizeof(cid),
				   pn, 2, gen & 1, i);
			recs[i] = quic_tx_rec(1, pn++, gen, sizeof(cid));
		}
		quic_send_tx(tx, buf, sizeof(buf), PKT_LEN, NULL, recs, 8);
	}
}

TEST_F_TIMEOUT(race, netns_teardown, 600)
{
	int rounds = race_rounds(), round, sv[2], fd, status;
	unsigned long kept = 0, decrypted = 0;
	uint64_t s = 7;
	pid_t pid;

	for (round = 0; round < rounds; round++) {
		bool pass = round % 2;	/* the receiver outlives the child */

		ASSERT_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (!pid) {
			close(sv[0]);
			netns_child(pass ? sv[1] : -1, 1 + rnd(&s) % 300);
		}
		close(sv[1]);
		fd = pass ? recv_fd(sv[0]) : -1;
		usleep(rnd(&s) % 200000);
		kill(pid, SIGKILL);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_TRUE(WIFSIGNALED(status))
			TH_LOG("child exited with %d", WEXITSTATUS(status));
		close(sv[0]);
		if (fd >= 0) {
			/* Its namespace lives on through it: read what the
			 * child's packets left, then let it all go.
			 */
			char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))];
			uint8_t buf[PKT_LEN * 8];
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			struct msghdr msg = {
				.msg_iov = &iov, .msg_iovlen = 1,
			};
			int i;

			kept++;
			for (i = 0; i < 16; i++) {
				msg.msg_control = control;
				msg.msg_controllen = sizeof(control);
				if (recvmsg(fd, &msg, MSG_DONTWAIT) < 0)
					break;
				decrypted += msg.msg_controllen > 0;
			}
			close(fd);
		}
	}
	printf("# %d namespaces torn down, %lu of them after their socket moved to us\n",
	       rounds, kept);
	printf("# %lu datagrams read from those sockets, decrypted\n", decrypted);
	EXPECT_GT(decrypted, 0UL);
	EXPECT_EQ(quic_counter("QuicCurrConns"), 0);
}

/* The module's state: 1 loaded, 0 not, -1 built in (or no modules) */
static int quic_module(void)
{
	struct stat st;

	if (!stat("/sys/module/quic_ulp/initstate", &st))
		return 1;
	if (!stat("/sys/module/quic_ulp", &st))
		return -1;
	return 0;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "quic_ulp", O_NONBLOCK) ? -errno : 0;
}

/*
 * Socket with the ULP and a connection, loading the module if need be.
 * The connection has just updated its keys both ways, so that the kernel
 * is preparing the next ones when the socket closes: work that outlives
 * the socket, which the module must not go before.
 */
static int ulp_socket(void)
{
	struct sockaddr_storage to = { .ss_family = AF_INET };
	struct sockaddr_in *lo = (struct sockaddr_in *)&to;
	uint8_t secret[32] = { 1 }, cid[8] = { 0xc2 }, pkt[PKT_LEN];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct quic_ulp_tx_info rec = quic_tx_rec(1, 0, 1, sizeof(cid));

	if (fd < 0)
		return -1;
	if (quic_attach(fd) ||
	    quic_set_key(fd, false, 1, AES128, secret, 0, 0) ||
	    quic_set_key(fd, true, 1, AES128, secret, 1, 0)) {
		close(fd);
		return -1;
	}
	/* A Tx key update, to the discard port of the loopback: generation
	 * 1 becomes current, 2 is prepared
	 */
	lo->sin_port = htons(9);
	lo->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	quic_build(pkt, sizeof(pkt), cid, sizeof(cid), 0, 1, true, 0);
	quic_send_tx(fd, pkt, sizeof(pkt), 0, &to, &rec, 1);
	return fd;
}

static atomic_bool churn_stop;
static atomic_ulong churn_ok, churn_failed;

static void *churn(void *arg)
{
	uint64_t s = 99;

	while (!atomic_load(&churn_stop)) {
		int fd = ulp_socket();

		if (fd < 0) {
			atomic_fetch_add(&churn_failed, 1);
		} else {
			atomic_fetch_add(&churn_ok, 1);
			close(fd);
		}
		/* Now and then no socket at all, for a while: the module
		 * may go, and the next socket loads it again
		 */
		if (rnd(&s) % 8 == 0)
			usleep(rnd(&s) % 100000);
	}
	return NULL;
}

TEST_F_TIMEOUT(race, module_unload, 600)
{
	int seconds = race_seconds(), fd, err;
	unsigned long unloads = 0, refused = 0;
	pthread_t thread;
	double end;

	fd = ulp_socket();
	if (fd < 0 && quic_module() == 0)
		SKIP(return, "the quic_ulp module cannot be loaded");
	ASSERT_GE(fd, 0);
	if (quic_module() != 1) {
		close(fd);
		SKIP(return, "quic is built in");
	}

	/* Refused while a socket uses it, and the socket still works */
	err = unload();
	EXPECT_TRUE(err == -EWOULDBLOCK || err == -EBUSY)
		TH_LOG("delete_module with a socket open: %s", strerror(-err));
	EXPECT_EQ(quic_module(), 1);
	EXPECT_EQ(quic_del_conn(fd, 1), 0);
	close(fd);

	/* Once the socket is gone (its state goes after a grace period),
	 * it unloads, and the next socket loads it again.
	 */
	end = quic_now() + 30;
	while ((err = unload()) && quic_now() < end)
		usleep(10000);
	EXPECT_EQ(err, 0) TH_LOG("delete_module after close: %s", strerror(-err));
	fd = ulp_socket();
	ASSERT_GE(fd, 0) TH_LOG("the module did not load again");
	close(fd);

	/* Unloading against sockets coming and going */
	ASSERT_EQ(pthread_create(&thread, NULL, churn, NULL), 0);
	end = quic_now() + seconds;
	while (quic_now() < end) {
		err = unload();
		if (!err)
			unloads++;
		else if (err == -EWOULDBLOCK || err == -EBUSY || err == -ENOENT)
			refused++;
		else
			EXPECT_EQ(err, 0) TH_LOG("delete_module: %s", strerror(-err));
		usleep(1000);
	}
	atomic_store(&churn_stop, true);
	pthread_join(thread, NULL);
	printf("# %lu unloads, %lu refused\n", unloads, refused);
	printf("# %lu sockets made meanwhile, %lu failed to get the ULP\n",
	       atomic_load(&churn_ok), atomic_load(&churn_failed));

	/* Leave it loaded for whoever comes next */
	fd = ulp_socket();
	EXPECT_GE(fd, 0);
	if (fd >= 0)
		close(fd);
	EXPECT_GT(atomic_load(&churn_ok), 0UL);
}

TEST_HARNESS_MAIN
