// SPDX-License-Identifier: GPL-2.0
/*
 * API fuzzer of the quic ULP: several threads issue random and boundary
 * sequences of socket, setsockopt (every QUIC_* option, UDP_ULP, UDP_GRO,
 * UDP_SEGMENT), getsockopt, bind, connect, sendmsg and sendmmsg (random
 * UDP_SEGMENT, QUIC_ULP_TX_INFO records, valid, boundary or malformed, and
 * junk control messages, short-header packets to the IDs the threads
 * register), recvmsg (with and without UDP_GRO, MSG_PEEK, MSG_ERRQUEUE,
 * short buffers), shutdown and close on ULP sockets in the two namespaces,
 * sharing the sockets so that every call races with every other, close
 * included.
 *
 * Beside them an oracle thread keeps a connection of its own and checks
 * that the ULP still works while all that goes on: packets it sends through
 * the ULP decrypt at a plain socket with the OpenSSL reference, across key
 * updates it makes by naming the next generation, and packets protected by
 * the reference arrive decrypted. At the end, with every socket closed,
 * no connection may be left in either namespace's QuicCurrConns.
 *
 * It reports how many calls of each kind it made and the errnos they
 * returned. FUZZ_SECONDS bounds the run (15 s by default, 60 s with
 * QUIC_SELFTEST_LONG=1), FUZZ_THREADS (4) sets the number of fuzzing
 * threads, FUZZ_SEED replays a run.
 *
 * The kernel must survive whatever it does: the test fails on an oracle
 * mismatch or a connection leak; a kernel crash, or a report in the log
 * of a debug kernel, fails the run around it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE	136
#endif

#define NSLOTS		16
/* Fuzzed sockets bind BASE .. BASE + NPORTS - 1, below the ephemeral
 * ports that the oracle's sockets get, so that only the oracle talks to them.
 */
#define PORT_BASE	20100
#define NPORTS		6
#define NCONNS		6	/* handles 1 .. NCONNS, mostly */
#define NCIDS		8
#define MAX_DGRAM	65536
/* What recvmsg() may say it read: with MSG_TRUNC, the datagram's whole
 * length, which ASan believes was written; GSO datagrams on loopback are
 * longer than one
 */
#define RECV_BUF	(2 * MAX_DGRAM)
#define MAX_MMSG	8

static const char *const local_addr[2] = { "10.71.0.1", "fd71::1" };
static const char *const peer_addr[2] = { "10.71.0.2", "fd71::2" };

/* What was called, how often, and which errnos came back */
enum call {
	C_SOCKET, C_ATTACH, C_BIND, C_TX_KEY, C_RX_KEY, C_ADD_CID, C_DEL_CID,
	C_DEL_CONN, C_DISCARD, C_SET_OTHER, C_SET_UDP, C_CONN_INFO, C_GET_ULP,
	C_GET_OTHER, C_CONNECT, C_SENDMSG, C_SENDMMSG, C_RECVMSG, C_SHUTDOWN,
	C_CLOSE, C_MAX
};

static const char *const call_name[C_MAX] = {
	"socket", "setsockopt(UDP_ULP)", "bind", "setsockopt(QUIC_ULP_TX_KEY)",
	"setsockopt(QUIC_ULP_RX_KEY)", "setsockopt(QUIC_ULP_ADD_CID)",
	"setsockopt(QUIC_ULP_DEL_CID)", "setsockopt(QUIC_ULP_DEL_CONN)",
	"setsockopt(QUIC_ULP_DISCARD_OLD_KEY)", "setsockopt(other SOL_UDP)",
	"setsockopt(UDP_GRO/SEGMENT/CORK)", "getsockopt(QUIC_ULP_CONN_INFO)",
	"getsockopt(UDP_ULP)", "getsockopt(other SOL_UDP)", "connect",
	"sendmsg", "sendmmsg", "recvmsg", "shutdown", "close",
};

static struct {
	atomic_ullong calls;
	atomic_ullong ok;
	atomic_ullong errnos[4];	/* bit n: errno n seen (n < 256) */
} stats[C_MAX];

static atomic_int slots[NSLOTS];
static atomic_bool stop;
static uint8_t cids[NCIDS][QUIC_ULP_MAX_CID_LEN];
static const uint8_t cid_lens[NCIDS] = { 0, 1, 4, 8, 8, 12, 20, 20 };

static void record(enum call c, long ret)
{
	int e = errno;

	atomic_fetch_add(&stats[c].calls, 1);
	if (ret >= 0) {
		atomic_fetch_add(&stats[c].ok, 1);
		return;
	}
	if (e > 0 && e < 256)
		atomic_fetch_or(&stats[c].errnos[e / 64], 1ULL << (e % 64));
}

/* xorshift64*, one state per thread */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static unsigned int below(uint64_t *s, unsigned int n)
{
	return n ? rnd(s) % n : 0;
}

static bool chance(uint64_t *s, unsigned int one_in)
{
	return below(s, one_in) == 0;
}

static void fill(uint64_t *s, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len--)
		*p++ = rnd(s);
}

/* A boundary value, or a random one */
static uint64_t pick(uint64_t *s, const uint64_t *vals, unsigned int n)
{
	return chance(s, 6) ? rnd(s) : vals[below(s, n)];
}

#define PICK(s, ...) ({							\
	static const uint64_t _v[] = { __VA_ARGS__ };			\
	pick(s, _v, ARRAY_SIZE(_v));				\
})

static uint32_t pick_conn(uint64_t *s)
{
	return chance(s, 10) ? (uint32_t)PICK(s, 0, UINT32_MAX, 1U << 31) :
			       1 + below(s, NCONNS);
}

static void fill_addr(uint64_t *s, struct sockaddr_storage *ss,
		      socklen_t *len, int family, bool peer, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, peer_addr[0], &sin->sin_addr);
		if (!peer)
			inet_pton(AF_INET, local_addr[0], &sin->sin_addr);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (void *)ss;
		char mapped[64];

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (chance(s, 4)) {
			/* v4-mapped: a dual-stack socket's IPv4 peer */
			snprintf(mapped, sizeof(mapped), "::ffff:%s",
				 peer ? peer_addr[0] : local_addr[0]);
			inet_pton(AF_INET6, mapped, &sin6->sin6_addr);
		} else {
			inet_pton(AF_INET6, peer ? peer_addr[1] : local_addr[1],
				  &sin6->sin6_addr);
		}
		*len = sizeof(*sin6);
	}
}

/* Some address a fuzzed socket may be at, or garbage */
static void any_addr(uint64_t *s, struct sockaddr_storage *ss, socklen_t *len)
{
	int family = chance(s, 2) ? AF_INET : AF_INET6;

	fill_addr(s, ss, len, family, chance(s, 2), PORT_BASE + below(s, NPORTS));
	if (chance(s, 20)) {
		fill(s, ss, sizeof(*ss));
		*len = below(s, sizeof(*ss) + 1);
	} else if (chance(s, 20)) {
		ss->ss_family = AF_UNSPEC;
	}
}

static int slot_fd(uint64_t *s)
{
	return atomic_load(&slots[below(s, NSLOTS)]);
}

/* A new socket for a slot: bound, usually with the ULP */
static void op_socket(uint64_t *s)
{
	int family = chance(s, 2) ? AF_INET : AF_INET6, type = SOCK_DGRAM;
	int proto = 0, expected = -1, fd, slot = below(s, NSLOTS);
	bool peer = slot & 1;
	struct sockaddr_storage ss;
	socklen_t len;

	if (chance(s, 30))
		type = SOCK_STREAM;
	else if (chance(s, 30))
		proto = IPPROTO_UDPLITE;
	fd = peer ? quic_peer_socket(family, type, proto) :
		    socket(family, type, proto);
	record(C_SOCKET, fd);
	if (fd < 0)
		return;
	if (!chance(s, 8)) {
		fill_addr(s, &ss, &len, family, peer,
			  PORT_BASE + below(s, NPORTS));
		if (chance(s, 4)) {
			int one = 1;

			setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		}
		record(C_BIND, bind(fd, (void *)&ss, len));
	}
	if (!chance(s, 10))
		record(C_ATTACH, setsockopt(fd, SOL_UDP, UDP_ULP, "quic", 5));
	if (!atomic_compare_exchange_strong(&slots[slot], &expected, fd))
		close(fd);
}

static void op_close(uint64_t *s)
{
	int fd = atomic_exchange(&slots[below(s, NSLOTS)], -1);

	if (fd >= 0)
		record(C_CLOSE, close(fd));
}

static void op_attach(uint64_t *s, int fd)
{
	char name[40];
	socklen_t len;

	if (chance(s, 2)) {
		memcpy(name, "quic\0junk", 10);
		len = PICK(s, 5, 4, 9, 16, 17, 40);
	} else {
		fill(s, name, sizeof(name));
		len = below(s, sizeof(name) + 1);
	}
	record(C_ATTACH, setsockopt(fd, SOL_UDP, UDP_ULP,
				    chance(s, 50) ? NULL : name, len));
}

/* An option's length: right, short, long with a zero or non-zero tail */
static socklen_t opt_len(uint64_t *s, size_t size, uint8_t *buf, size_t room)
{
	socklen_t len = size;

	switch (below(s, 12)) {
	case 0:
		len = below(s, size);
		break;
	case 1:
		len = size + 1 + below(s, room - size - 1);
		memset(buf + size, 0, len - size);
		break;
	case 2:
		len = size + 1 + below(s, room - size - 1);
		fill(s, buf + size, len - size);
		break;
	case 3:
		len = chance(s, 4) ? room : PICK(s, 0, 1, 4);
		break;
	}
	return len;
}

static uint16_t pick_cipher(uint64_t *s)
{
	return PICK(s, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
		    QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
		    QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
		    QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
		    QUIC_ULP_CIPHER_AES_128_GCM_SHA256, 0, 0x1305, 0x1300);
}

/*
 * Half of the structures are valid, so that calls get deep into the state
 * they build; the other half have one field or the length at a boundary.
 */
static void op_key(uint64_t *s, int fd, bool rx)
{
	uint8_t buf[512] = {};
	struct quic_ulp_key *key = (void *)buf;
	socklen_t len = sizeof(*key);

	key->conn = 1 + below(s, NCONNS);
	key->cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256 + below(s, 4);
	key->secret_len = quic_ref_secret_len(key->cipher);
	key->key_updates = below(s, 4);
	key->version = chance(s, 4) ? QUIC_ULP_VERSION_2 : QUIC_ULP_VERSION_1;
	key->next_pn = chance(s, 2) ? 0 : rnd(s) & 0xffffff;
	/* Mostly one secret per connection, which peers can agree on */
	if (chance(s, 3))
		fill(s, key->secret, key->secret_len);
	else
		memset(key->secret, key->conn, key->secret_len);

	switch (chance(s, 2) ? 0 : 1 + below(s, 9)) {
	case 1:
		key->conn = pick_conn(s);
		break;
	case 2:
		key->cipher = pick_cipher(s);
		break;
	case 3:
		key->secret_len = PICK(s, 0, 31, 32, 47, 48, 49, 255);
		break;
	case 4:
		key->flags = rnd(s);
		break;
	case 5:
		/* Deriving 65535 generations is slow: seldom */
		key->key_updates = chance(s, 20) ?
			PICK(s, QUIC_ULP_MAX_KEY_UPDATES, QUIC_ULP_MAX_KEY_UPDATES + 1,
			     UINT32_MAX) : below(s, 100);
		break;
	case 6:
		key->version = PICK(s, 0, 3, QUIC_ULP_VERSION_2, UINT32_MAX);
		break;
	case 7:
		key->next_pn = PICK(s, 1, 1ULL << 32, QUIC_ULP_MAX_PN - 1,
				    QUIC_ULP_MAX_PN, QUIC_ULP_MAX_PN + 1, UINT64_MAX);
		break;
	case 8:
		fill(s, key->secret, sizeof(key->secret));
		break;
	case 9:
		len = opt_len(s, sizeof(*key), buf, sizeof(buf));
		break;
	}
	record(rx ? C_RX_KEY : C_TX_KEY,
	       setsockopt(fd, SOL_UDP, rx ? QUIC_ULP_RX_KEY : QUIC_ULP_TX_KEY,
			  chance(s, 200) ? NULL : buf, len));
}

static void op_cid(uint64_t *s, int fd, bool add)
{
	uint8_t buf[512] = {};
	struct quic_ulp_cid *cid = (void *)buf;
	unsigned int i = below(s, NCIDS);
	socklen_t len = sizeof(*cid), alen;

	cid->conn = 1 + below(s, NCONNS);
	cid->dir = chance(s, 2) ? QUIC_ULP_DIR_TX : QUIC_ULP_DIR_RX;
	cid->len = cid_lens[i];
	memcpy(cid->id, cids[i], cid->len);
	if (add && cid->dir == QUIC_ULP_DIR_TX && chance(s, 4)) {
		cid->flags = QUIC_ULP_CID_RESET_TOKEN;
		fill(s, cid->reset_token, sizeof(cid->reset_token));
	}
	if (!cid->len && !chance(s, 3))
		any_addr(s, (struct sockaddr_storage *)&cid->peer, &alen);

	switch (chance(s, 2) ? 0 : 1 + below(s, 8)) {
	case 1:
		cid->conn = pick_conn(s);
		break;
	case 2:
		cid->dir = PICK(s, 0, 3, 255);
		break;
	case 3:
		cid->len = PICK(s, 21, 255, 2, 0);
		break;
	case 4:
		fill(s, cid->id, sizeof(cid->id));
		break;
	case 5:
		cid->flags = chance(s, 2) ? rnd(s) : QUIC_ULP_CID_RESET_TOKEN;
		fill(s, cid->reset_token, sizeof(cid->reset_token));
		break;
	case 6:
		fill(s, &cid->peer, sizeof(cid->peer));
		break;
	case 7:
		any_addr(s, (struct sockaddr_storage *)&cid->peer, &alen);
		break;
	case 8:
		len = opt_len(s, sizeof(*cid), buf, sizeof(buf));
		break;
	}
	record(add ? C_ADD_CID : C_DEL_CID,
	       setsockopt(fd, SOL_UDP, add ? QUIC_ULP_ADD_CID : QUIC_ULP_DEL_CID,
			  buf, len));
}

static void op_del_conn(uint64_t *s, int fd)
{
	uint32_t buf[4] = { pick_conn(s) };

	record(C_DEL_CONN, setsockopt(fd, SOL_UDP, QUIC_ULP_DEL_CONN, buf,
				      chance(s, 10) ? below(s, 17) : 4));
}

static void op_discard(uint64_t *s, int fd)
{
	uint8_t buf[64] = {};
	struct quic_ulp_discard *d = (void *)buf;

	d->conn = pick_conn(s);
	d->dir = PICK(s, QUIC_ULP_DIR_TX, QUIC_ULP_DIR_RX, QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX,
		      0, 4, UINT32_MAX);
	record(C_DISCARD, setsockopt(fd, SOL_UDP, QUIC_ULP_DISCARD_OLD_KEY, buf,
				     opt_len(s, sizeof(*d), buf, sizeof(buf))));
}

static void op_set_other(uint64_t *s, int fd)
{
	uint8_t buf[256];
	int val;

	if (chance(s, 2)) {
		val = PICK(s, 0, 1, 2, 20, 21, 1200, 1452, 65535, 65536, -1);
		record(C_SET_UDP, setsockopt(fd, SOL_UDP,
					     PICK(s, UDP_GRO, UDP_SEGMENT, UDP_CORK),
					     &val, chance(s, 10) ? below(s, 8) : 4));
		return;
	}
	fill(s, buf, sizeof(buf));
	record(C_SET_OTHER, setsockopt(fd, SOL_UDP,
				       PICK(s, 199, 207, 208, 255, 1000, INT32_MAX),
				       buf, below(s, sizeof(buf) + 1)));
}

static void op_getsockopt(uint64_t *s, int fd)
{
	uint8_t buf[512];
	struct quic_ulp_conn_info *info = (void *)buf;
	socklen_t len;

	switch (below(s, 3)) {
	case 0:
		memset(buf, 0, sizeof(buf));
		info->conn = pick_conn(s);
		len = PICK(s, sizeof(*info), sizeof(*info) - 1, sizeof(*info) + 8,
			   0, 4, (socklen_t)-1, sizeof(buf));
		record(C_CONN_INFO, getsockopt(fd, SOL_UDP, QUIC_ULP_CONN_INFO,
					       chance(s, 100) ? NULL : buf, &len));
		break;
	case 1:
		len = PICK(s, 0, 1, 4, 5, 16, 100, (socklen_t)-1);
		record(C_GET_ULP, getsockopt(fd, SOL_UDP, UDP_ULP, buf, &len));
		break;
	default:
		len = below(s, sizeof(buf) + 1);
		record(C_GET_OTHER,
		       getsockopt(fd, SOL_UDP,
				  PICK(s, 200, 201, 202, 203, 204, 205, 207,
				       208, 1000, UDP_GRO, UDP_SEGMENT),
				  buf, &len));
		break;
	}
}

static void op_connect(uint64_t *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len;

	any_addr(s, &ss, &len);
	record(C_CONNECT, connect(fd, (void *)&ss, len));
}

/* A datagram: short-header packets to known IDs (or junk), maybe GSO */
static size_t make_dgram(uint64_t *s, uint8_t *buf, size_t room,
			 uint16_t *gso, unsigned int *nseg)
{
	size_t seg, len, off, n, i;
	unsigned int id;

	seg = PICK(s, 1, 20, 21, 40, 41, 100, 1200, 1452, 1500);
	if (seg > room)
		seg = room;
	n = chance(s, 3) ? 1 + below(s, chance(s, 4) ? 70 : 8) : 1;
	len = seg * n;
	if (n > 1 && chance(s, 2))
		len -= below(s, seg);	/* a shorter last segment */
	if (len > room)
		len = room;
	for (off = 0; off < len; off += seg) {
		size_t plen = len - off < seg ? len - off : seg;
		uint8_t *p = buf + off;

		if (chance(s, 10)) {
			fill(s, p, plen);
			continue;
		}
		/* First byte: fixed bit, random Key Phase and length */
		p[0] = 0x40 | (rnd(s) & 0x07);
		if (chance(s, 20))
			p[0] |= 0x80;
		id = below(s, NCIDS);
		for (i = 1; i < plen; i++)
			p[i] = i - 1 < cid_lens[id] ? cids[id][i - 1] : rnd(s);
	}
	*gso = 0;
	if (n > 1 || chance(s, 5))
		*gso = !chance(s, 5) ? seg : chance(s, 2) ? seg - 1 :
		       PICK(s, 0, 1, 8, 20, 65535);
	*nseg = *gso ? (len + *gso - 1) / *gso : 1;
	return len;
}

#define MAX_RECS	72

/* QUIC_ULP_TX_INFO records for @nseg segments: mostly plausible ones (a
 * connection of the fuzzers', a packet number near the low ones, a
 * generation near the first), some at the boundaries of every field
 */
static size_t make_recs(uint64_t *s, struct quic_ulp_tx_info *recs,
			unsigned int nseg)
{
	uint64_t pn = rnd(s) & 0xfff;
	unsigned int i;

	/* a count that does not match, now and then */
	if (chance(s, 10))
		nseg = chance(s, 2) ? below(s, 3) : chance(s, 2) ? nseg + 1 :
		       nseg - 1;
	if (nseg > MAX_RECS)
		nseg = MAX_RECS;
	memset(recs, 0, nseg * sizeof(*recs));
	for (i = 0; i < nseg; i++) {
		recs[i].conn = pick_conn(s);
		recs[i].pn = pn + i;
		recs[i].key_gen = below(s, 4);
		recs[i].dcid_len = cid_lens[below(s, NCIDS)];
		switch (chance(s, 4) ? 1 + below(s, 5) : 0) {
		case 1:
			recs[i].pn = PICK(s, 0, QUIC_ULP_MAX_PN, QUIC_ULP_MAX_PN + 1,
					  UINT64_MAX, 1ULL << 32);
			break;
		case 2:
			recs[i].key_gen = PICK(s, 0, 1, QUIC_ULP_MAX_KEY_UPDATES,
					       UINT32_MAX, 65536);
			break;
		case 3:
			recs[i].dcid_len = PICK(s, 0, 20, 21, 255);
			break;
		case 4:
			recs[i].reserved[below(s, 7)] = rnd(s);
			break;
		case 5:
			fill(s, &recs[i], sizeof(recs[i]));
			break;
		}
	}
	return nseg * sizeof(*recs);
}

static size_t add_cmsgs(uint64_t *s, uint8_t *control, size_t room,
			uint16_t gso, unsigned int nseg)
{
	struct msghdr msg = { .msg_control = control, .msg_controllen = room };
	struct quic_ulp_tx_info recs[MAX_RECS];
	struct cmsghdr *cm;
	size_t used = 0, len;
	int copies;

	memset(control, 0, room);
	cm = CMSG_FIRSTHDR(&msg);
	if (gso) {
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(cm), &gso, sizeof(gso));
		if (chance(s, 20))	/* too short, or too long */
			cm->cmsg_len = CMSG_LEN(below(s, 8));
		used += CMSG_SPACE(sizeof(uint16_t));
		cm = (void *)(control + used);
	}
	/* Half the sends ask for protection, now and then twice */
	for (copies = chance(s, 2) ? 1 + chance(s, 20) : 0; copies; copies--) {
		len = make_recs(s, recs, nseg);
		if (chance(s, 20))
			len = below(s, len + 8);	/* not whole records */
		if (used + CMSG_SPACE(len) > room)
			break;
		cm = (void *)(control + used);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = QUIC_ULP_TX_INFO;
		cm->cmsg_len = CMSG_LEN(len);
		memcpy(CMSG_DATA(cm), recs, len);
		used += CMSG_SPACE(len);
	}
	cm = (void *)(control + used);
	if (chance(s, 8) && used + CMSG_SPACE(16) <= room) {
		cm->cmsg_level = PICK(s, SOL_UDP, SOL_IP, SOL_IPV6, SOL_SOCKET);
		cm->cmsg_type = PICK(s, QUIC_ULP_RX_INFO, QUIC_ULP_TX_INFO, UDP_SEGMENT,
				     UDP_GRO, 200, 1, 0);
		cm->cmsg_len = CMSG_LEN(below(s, 17));
		fill(s, CMSG_DATA(cm), 16);
		used += CMSG_SPACE(16);
	}
	return used;
}

static void op_send(uint64_t *s, int fd, uint8_t *buf)
{
	uint8_t control[MAX_MMSG][CMSG_SPACE(2) + CMSG_SPACE(16) +
				  2 * CMSG_SPACE(MAX_RECS *
						 sizeof(struct quic_ulp_tx_info))];
	struct sockaddr_storage to[MAX_MMSG];
	struct mmsghdr mm[MAX_MMSG] = {};
	struct iovec iov[MAX_MMSG][2];
	unsigned int n = 1, i;
	size_t chunk = MAX_DGRAM / MAX_MMSG, len;
	socklen_t alen;
	int flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	bool mmsg = chance(s, 3);
	unsigned int nseg;
	uint16_t gso;

	if (mmsg)
		n = 1 + below(s, MAX_MMSG);
	for (i = 0; i < n; i++) {
		struct msghdr *msg = &mm[i].msg_hdr;

		len = make_dgram(s, buf + i * chunk, mmsg ? chunk : MAX_DGRAM,
				 &gso, &nseg);
		/* Sometimes split across two iovecs */
		iov[i][0].iov_base = buf + i * chunk;
		iov[i][0].iov_len = len;
		msg->msg_iov = iov[i];
		msg->msg_iovlen = 1;
		if (len > 1 && chance(s, 4)) {
			iov[i][0].iov_len = below(s, len);
			iov[i][1].iov_base = buf + i * chunk + iov[i][0].iov_len;
			iov[i][1].iov_len = len - iov[i][0].iov_len;
			msg->msg_iovlen = 2;
		}
		if (!chance(s, 4)) {
			any_addr(s, &to[i], &alen);
			msg->msg_name = &to[i];
			msg->msg_namelen = alen;
		}
		msg->msg_controllen = add_cmsgs(s, control[i], sizeof(control[i]),
						gso, nseg);
		msg->msg_control = msg->msg_controllen ? control[i] : NULL;
	}
	/* Corked: the datagram grows over several calls, and goes out
	 * from the call without MSG_MORE, or from UDP_CORK's release
	 */
	if (chance(s, 8))
		flags |= MSG_MORE;
	if (chance(s, 30))
		flags |= MSG_ZEROCOPY;
	if (mmsg)
		record(C_SENDMMSG, sendmmsg(fd, mm, n, flags));
	else
		record(C_SENDMSG, sendmsg(fd, &mm[0].msg_hdr, flags));
}

static void op_recv(uint64_t *s, int fd, uint8_t *buf)
{
	uint8_t control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info)) + 64];
	struct iovec iov = { .iov_base = buf,
			     .iov_len = PICK(s, MAX_DGRAM, 0, 1, 20, 1200) };
	struct sockaddr_storage from;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_control = control,
		.msg_controllen = PICK(s, sizeof(control), 0, CMSG_SPACE(16),
				       CMSG_SPACE(32), CMSG_LEN(0)),
	};
	int flags = MSG_DONTWAIT, one = !chance(s, 3);

	if (chance(s, 4))
		setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one));
	if (chance(s, 5))
		flags |= MSG_PEEK;
	if (chance(s, 10))
		flags |= MSG_TRUNC;
	if (chance(s, 20))
		flags |= MSG_ERRQUEUE;
	record(C_RECVMSG, recvmsg(fd, &msg, flags));
}

static void *fuzz_thread(void *arg)
{
	uint64_t s = (uintptr_t)arg;
	uint8_t *buf = malloc(RECV_BUF);
	int fd;

	if (!buf)
		return NULL;
	while (!atomic_load(&stop)) {
		unsigned int op = below(&s, 100);

		if (op < 6) {
			op_socket(&s);
			continue;
		}
		if (op < 9) {
			op_close(&s);
			continue;
		}
		fd = slot_fd(&s);
		if (fd < 0)
			continue;
		if (op < 11)
			op_attach(&s, fd);
		else if (op < 19)
			op_key(&s, fd, false);
		else if (op < 27)
			op_key(&s, fd, true);
		else if (op < 37)
			op_cid(&s, fd, true);
		else if (op < 41)
			op_cid(&s, fd, false);
		else if (op < 43)
			op_del_conn(&s, fd);
		else if (op < 46)
			op_discard(&s, fd);
		else if (op < 49)
			op_set_other(&s, fd);
		else if (op < 54)
			op_getsockopt(&s, fd);
		else if (op < 57)
			op_connect(&s, fd);
		else if (op < 80)
			op_send(&s, fd, buf);
		else if (op < 98)
			op_recv(&s, fd, buf);
		else
			record(C_SHUTDOWN, shutdown(fd, below(&s, 4)));
	}
	free(buf);
	return NULL;
}

/*
 * The oracle: a connection of its own, on sockets bound to ports the
 * fuzzing threads never use. Checks stop at the first mismatch, which
 * is kept in oracle.err.
 */
struct oracle {
	uint16_t cipher;
	uint8_t cid[8];
	int ulp, peer;
	struct sockaddr_storage ulp_addr, peer_addr;
	struct quic_ref_key tx, rx;	/* the peer's view of each direction */
	uint64_t tx_pn, tx_largest, rx_pn;
	unsigned long packets, tx_updates, rx_updates;
	char err[256];
};

#define ORACLE_FAIL(o, ...) ({						\
	snprintf((o)->err, sizeof((o)->err), __VA_ARGS__);		\
	-1;								\
})

static int oracle_setup(struct oracle *o, uint64_t *s)
{
	uint8_t secret_tx[QUIC_ULP_MAX_SECRET_LEN], secret_rx[QUIC_ULP_MAX_SECRET_LEN];
	socklen_t len;

	o->cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256 - below(s, 3);
	fill(s, o->cid, sizeof(o->cid));
	o->cid[0] = 0xee;	/* no prefix of the fuzzers' IDs: different byte */
	fill(s, secret_tx, sizeof(secret_tx));
	fill(s, secret_rx, sizeof(secret_rx));
	o->ulp = quic_udp_socket(AF_INET6, false, &o->ulp_addr, &len);
	o->peer = quic_udp_socket(AF_INET6, true, &o->peer_addr, &len);
	if (o->ulp < 0 || o->peer < 0)
		return ORACLE_FAIL(o, "sockets: %s", strerror(errno));
	quic_set_timeout(o->peer, 3000);
	quic_set_timeout(o->ulp, 3000);
	if (quic_attach(o->ulp) ||
	    quic_set_key(o->ulp, false, 1, o->cipher, secret_tx, 0, 0) ||
	    quic_set_key(o->ulp, true, 1, o->cipher, secret_rx, 0, 0) ||
	    quic_cid(o->ulp, true, 1, QUIC_ULP_DIR_TX, o->cid, sizeof(o->cid), NULL) ||
	    quic_cid(o->ulp, true, 1, QUIC_ULP_DIR_RX, o->cid, sizeof(o->cid), NULL))
		return ORACLE_FAIL(o, "installing the oracle's connection failed");
	if (quic_ref_key_init(&o->tx, o->cipher, secret_tx,
			      quic_ref_secret_len(o->cipher)) ||
	    quic_ref_key_init(&o->rx, o->cipher, secret_rx,
			      quic_ref_secret_len(o->cipher)))
		return ORACLE_FAIL(o, "reference keys");
	o->tx_largest = QUIC_REF_PN_NONE;
	return 0;
}

/* Through the ULP, then unprotected by the reference at the peer */
static int oracle_tx(struct oracle *o, uint64_t *s, uint8_t *plain,
		     uint8_t *wire)
{
	size_t seg = 64 + below(s, 1300), n = 1 + below(s, 16), len, i;
	struct quic_ulp_tx_info recs[16];
	uint64_t first = o->tx_pn;
	uint8_t want[1400];
	ssize_t got;

	len = seg * n;
	if (chance(s, 20)) {
		/* A key update: the records name the next generation */
		if (quic_ref_key_update(&o->tx))
			return ORACLE_FAIL(o, "reference key update");
		o->tx_updates++;
	}
	for (i = 0; i < n; i++) {
		quic_build(plain + i * seg, seg, o->cid, sizeof(o->cid),
			   o->tx_pn, 1 + below(s, 4), quic_ref_key_phase(&o->tx),
			   rnd(s));
		recs[i] = quic_tx_rec(1, o->tx_pn++, o->tx.generation,
				      sizeof(o->cid));
	}
	got = quic_send_tx(o->ulp, plain, len, n > 1 ? seg : 0, &o->peer_addr,
			   recs, n);
	if (got != (ssize_t)len)
		return ORACLE_FAIL(o, "oracle send of %zu x %zu: %s", n, seg,
				   strerror(errno));
	for (i = 0; i < n; i++) {
		got = recv(o->peer, wire, MAX_DGRAM, 0);
		if (got != (ssize_t)seg)
			return ORACLE_FAIL(o, "peer got %zd bytes, not %zu: %s",
					   got, seg, strerror(errno));
		if (quic_seal(&o->tx, plain + i * seg, seg, sizeof(o->cid),
			      first + i, want))
			return ORACLE_FAIL(o, "reference protect");
		if (memcmp(wire, want, seg))
			return ORACLE_FAIL(o,
					   "packet %llu from the ULP is not what generation %u makes of it",
					   (unsigned long long)(first + i),
					   o->tx.generation);
		o->tx_largest = first + i;
		o->packets++;
	}
	return 0;
}

/* Protected by the reference, decrypted by the ULP */
static int oracle_rx(struct oracle *o, uint64_t *s, uint8_t *plain,
		     uint8_t *wire)
{
	char control[CMSG_SPACE(64 * sizeof(struct quic_ulp_rx_info))];
	size_t len = 64 + below(s, 1300);
	struct iovec iov = { .iov_base = wire, .iov_len = MAX_DGRAM };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct quic_ulp_rx_info rec = {};
	struct cmsghdr *cm;
	uint64_t pn = o->rx_pn++;
	ssize_t got;

	if (chance(s, 20)) {
		/* As a peer would, only once the ULP is ready for it: the
		 * next keys are derived in the background after an update
		 */
		struct quic_ulp_conn_info ci;
		double end = quic_now() + 30;

		for (;;) {
			if (quic_conn_info(o->ulp, 1, &ci))
				return ORACLE_FAIL(o, "QUIC_ULP_CONN_INFO: %s",
						   strerror(errno));
			if (ci.rx.flags & QUIC_ULP_INFO_NEXT_KEY)
				break;
			if (quic_now() > end)
				return ORACLE_FAIL(o, "no next Rx keys 30 s after an update");
			usleep(10000);
		}
		if (quic_ref_key_update(&o->rx))
			return ORACLE_FAIL(o, "reference key update");
		o->rx_updates++;
	}
	quic_build(plain, len, o->cid, sizeof(o->cid), pn, 2,
		   quic_ref_key_phase(&o->rx), rnd(s));
	memcpy(wire, plain, len);
	if (quic_ref_protect(&o->rx, wire, len, sizeof(o->cid), pn))
		return ORACLE_FAIL(o, "reference protect");
	if (sendto(o->peer, wire, len, 0, (void *)&o->ulp_addr,
		   sizeof(struct sockaddr_in6)) != (ssize_t)len)
		return ORACLE_FAIL(o, "peer send: %s", strerror(errno));
	got = recvmsg(o->ulp, &msg, 0);
	if (got != (ssize_t)len)
		return ORACLE_FAIL(o, "ULP got %zd bytes, not %zu: %s", got, len,
				   strerror(errno));
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == QUIC_ULP_RX_INFO)
			memcpy(&rec, CMSG_DATA(cm), sizeof(rec));
	if (rec.status != QUIC_ULP_RX_DECRYPTED || rec.pn != pn || rec.conn != 1)
		return ORACLE_FAIL(o, "packet %llu to the ULP: status %u pn %llu (generation %u)",
				   (unsigned long long)pn, rec.status,
				   (unsigned long long)rec.pn, o->rx.generation);
	if (memcmp(wire, plain, len - QUIC_ULP_TAG_LEN))
		return ORACLE_FAIL(o, "packet %llu to the ULP decrypted to something else",
				   (unsigned long long)pn);
	o->packets++;
	return 0;
}

static void *oracle_thread(void *arg)
{
	struct oracle *o = arg;
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ (uintptr_t)o;
	uint8_t *plain = malloc(MAX_DGRAM), *wire = malloc(MAX_DGRAM);

	if (!plain || !wire) {
		ORACLE_FAIL(o, "out of memory");
	} else {
		/* Paced, so that the fuzzing threads get the CPUs */
		while (!atomic_load(&stop)) {
			if ((chance(&s, 2) ? oracle_tx : oracle_rx)(o, &s, plain, wire))
				break;
			usleep(5000);
		}
	}
	free(plain);
	free(wire);
	return NULL;
}

/* QuicCurrConns of the local or the peer namespace */
static long long conns_in(bool peer)
{
	int back = -1, ns = -1;
	char path[64];
	long long n;

	if (peer) {
		snprintf(path, sizeof(path), "/run/netns/quic-peer-%d", getpid());
		back = open("/proc/self/ns/net", O_RDONLY);
		ns = open(path, O_RDONLY);
		if (back < 0 || ns < 0 || setns(ns, CLONE_NEWNET)) {
			close(back);
			close(ns);
			return -1;
		}
	}
	n = quic_counter("QuicCurrConns");
	if (peer) {
		if (back < 0 || ns < 0 || setns(back, CLONE_NEWNET))
			n = -2;
		close(back);
		close(ns);
	}
	return n;
}

static void print_stats(void)
{
	unsigned long long total = 0;
	char line[1024];
	int c, e;

	for (c = 0; c < C_MAX; c++) {
		int n = snprintf(line, sizeof(line), "%-34s %9llu calls, %9llu ok, errnos:",
				 call_name[c],
				 (unsigned long long)atomic_load(&stats[c].calls),
				 (unsigned long long)atomic_load(&stats[c].ok));

		total += atomic_load(&stats[c].calls);
		for (e = 1; e < 256; e++)
			if (atomic_load(&stats[c].errnos[e / 64]) & (1ULL << (e % 64)))
				n += snprintf(line + n, sizeof(line) - n, " %s",
					      strerrorname_np(e) ?: "?");
		printf("# %s\n", line);
	}
	printf("# %llu calls in all\n", total);
}

FIXTURE(fuzz)
{
};

FIXTURE_SETUP(fuzz)
{
	ASSERT_EQ(quic_topo_setup(), 0);
}

FIXTURE_TEARDOWN(fuzz)
{
	quic_topo_cleanup();
}

TEST_F_TIMEOUT(fuzz, api, 1800)
{
	int seconds = quic_env_int("FUZZ_SECONDS", 15, 60);
	int nthreads = quic_env_int("FUZZ_THREADS", 4, 4);
	uint64_t seed = getenv("FUZZ_SEED") ? strtoull(getenv("FUZZ_SEED"), NULL, 0) :
			(uint64_t)time(NULL) * 2654435761ULL ^ getpid();
	pthread_t threads[64], oracle_tid;
	struct oracle o = {};
	uint64_t s = seed | 1;
	double end;
	int i, fd;

	if (nthreads < 1 || nthreads > 64)
		nthreads = 4;
	/* A send after shutdown(SHUT_WR) raises SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	printf("# FUZZ_SEED=%#llx FUZZ_SECONDS=%d FUZZ_THREADS=%d\n",
	       (unsigned long long)seed, seconds, nthreads);
	for (i = 0; i < NCIDS; i++)
		fill(&s, cids[i], QUIC_ULP_MAX_CID_LEN);
	for (i = 0; i < NSLOTS; i++)
		atomic_store(&slots[i], -1);
	ASSERT_EQ(oracle_setup(&o, &s), 0) TH_LOG("%s", o.err);

	ASSERT_EQ(pthread_create(&oracle_tid, NULL, oracle_thread, &o), 0);
	for (i = 0; i < nthreads; i++)
		ASSERT_EQ(pthread_create(&threads[i], NULL, fuzz_thread,
					 (void *)(uintptr_t)(rnd(&s) | 1)), 0);
	/* By the clock: a hundred late wake-ups under load must not add
	 * up to minutes
	 */
	end = quic_now() + seconds;
	while (quic_now() < end && !o.err[0])
		usleep(100000);
	atomic_store(&stop, true);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	pthread_join(oracle_tid, NULL);

	for (i = 0; i < NSLOTS; i++) {
		fd = atomic_exchange(&slots[i], -1);
		if (fd >= 0)
			close(fd);
	}
	print_stats();
	printf("# oracle: %lu packets checked, %lu Tx and %lu Rx key updates\n",
	       o.packets, o.tx_updates, o.rx_updates);
	close(o.ulp);
	close(o.peer);
	quic_ref_key_free(&o.tx);
	quic_ref_key_free(&o.rx);

	EXPECT_EQ(o.err[0], 0) TH_LOG("oracle: %s", o.err);
	EXPECT_GT(o.packets, 0UL);
	/* Every socket is closed: no connection may be left */
	EXPECT_EQ(conns_in(false), 0);
	EXPECT_EQ(conns_in(true), 0);
}

/*
 * Packet numbers end at 2^62 - 1 (RFC 9000, 12.3). The last one can be
 * sealed once; a record naming one past it is malformed, and nothing
 * wraps around to the numbers below.
 */
TEST_F(fuzz, pn_space_end)
{
	uint8_t secret[QUIC_ULP_MAX_SECRET_LEN] = { 7 }, cid[8] = { 0xee, 1 };
	uint8_t pkt[200], got[200], want[200];
	struct sockaddr_storage a, b;
	struct quic_ulp_conn_info info;
	struct quic_ulp_tx_info rec;
	struct quic_ref_key ref;
	socklen_t len;
	int ulp, peer;

	ulp = quic_udp_socket(AF_INET, false, &a, &len);
	peer = quic_udp_socket(AF_INET, true, &b, &len);
	ASSERT_GE(ulp, 0);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, 3000);
	ASSERT_EQ(quic_ref_key_init(&ref, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				    secret, 32), 0);
	ASSERT_EQ(quic_attach(ulp), 0);
	ASSERT_EQ(quic_set_key(ulp, false, 1, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, QUIC_ULP_MAX_PN), 0);

	/* The last packet number there is */
	quic_build(pkt, sizeof(pkt), cid, sizeof(cid), QUIC_ULP_MAX_PN, 1, false, 1);
	rec = quic_tx_rec(1, QUIC_ULP_MAX_PN, 0, sizeof(cid));
	ASSERT_EQ(quic_send_tx(ulp, pkt, sizeof(pkt), 0, &b, &rec, 1),
		  (ssize_t)sizeof(pkt));
	ASSERT_EQ(recv(peer, got, sizeof(got), 0), (ssize_t)sizeof(pkt));
	ASSERT_EQ(quic_seal(&ref, pkt, sizeof(pkt), sizeof(cid), QUIC_ULP_MAX_PN,
			    want), 0);
	EXPECT_EQ(memcmp(got, want, sizeof(got)), 0);
	ASSERT_EQ(quic_conn_info(ulp, 1, &info), 0);
	ASSERT_EQ(info.tx.largest_pn, QUIC_ULP_MAX_PN);

	/* One past it: malformed; the same again, or 0: used */
	quic_build(pkt, sizeof(pkt), cid, sizeof(cid), QUIC_ULP_MAX_PN + 1, 1,
		   false, 2);
	rec.pn = QUIC_ULP_MAX_PN + 1;
	EXPECT_EQ(quic_send_tx(ulp, pkt, sizeof(pkt), 0, &b, &rec, 1), -1);
	EXPECT_EQ(errno, EINVAL);
	quic_build(pkt, sizeof(pkt), cid, sizeof(cid), QUIC_ULP_MAX_PN, 1, false, 3);
	rec.pn = QUIC_ULP_MAX_PN;
	EXPECT_EQ(quic_send_tx(ulp, pkt, sizeof(pkt), 0, &b, &rec, 1), -1);
	EXPECT_EQ(errno, EEXIST);
	quic_build(pkt, sizeof(pkt), cid, sizeof(cid), 0, 1, false, 4);
	rec.pn = 0;
	EXPECT_EQ(quic_send_tx(ulp, pkt, sizeof(pkt), 0, &b, &rec, 1), -1);
	EXPECT_EQ(errno, EEXIST);
	EXPECT_EQ(quic_sync(ulp, &b, peer, 3000, NULL, 0, NULL), 0);
	ASSERT_EQ(quic_conn_info(ulp, 1, &info), 0);
	EXPECT_EQ(info.tx.largest_pn, QUIC_ULP_MAX_PN);
	quic_ref_key_free(&ref);
	close(ulp);
	close(peer);
}

/*
 * The ULP encrypts in place, and only what a sendmsg() names in
 * QUIC_ULP_TX_INFO: pages that are not the skb's own are never rewritten. A
 * send with records is protected from a copy; sendfile() and splice()
 * cannot carry records, so what they send goes out as written;
 * MSG_ZEROCOPY with records is refused (EOPNOTSUPP), nothing sent, and
 * without them goes as written. The source always still holds the
 * plaintext.
 */
FIXTURE(src)
{
};

FIXTURE_VARIANT(src)
{
	int how;	/* 0: sendmsg; 1: sendfile; 2: vmsplice; 3: zerocopy */
};

FIXTURE_VARIANT_ADD(src, send) { .how = 0 };
FIXTURE_VARIANT_ADD(src, sendfile) { .how = 1 };
FIXTURE_VARIANT_ADD(src, vmsplice) { .how = 2 };
FIXTURE_VARIANT_ADD(src, zerocopy) { .how = 3 };

FIXTURE_SETUP(src)
{
	ASSERT_EQ(quic_topo_setup(), 0);
}

FIXTURE_TEARDOWN(src)
{
	quic_topo_cleanup();
}

TEST_F(src, untouched)
{
	uint8_t secret[QUIC_ULP_MAX_SECRET_LEN] = { 3 }, cid[8] = { 0xee, 2 };
	const size_t len = 1200;
	struct quic_ulp_tx_info rec = quic_tx_rec(1, 5, 0, sizeof(cid));
	struct quic_tx_req req = {
		.len = len, .tx = &rec, .tx_len = sizeof(rec), .ntx = 1,
	};
	struct sockaddr_storage a, b;
	struct quic_ref_key ref;
	uint8_t *src, plain[1200], got[1500], want[1200];
	bool sealed = false;
	socklen_t alen;
	int ulp, peer, fd = -1, pipefd[2], one = 1;
	ssize_t n = -1;

	src = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(src, MAP_FAILED);
	ulp = quic_udp_socket(AF_INET, false, &a, &alen);
	peer = quic_udp_socket(AF_INET, true, &b, &alen);
	ASSERT_GE(ulp, 0);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, 3000);
	ASSERT_EQ(connect(ulp, (void *)&b, alen), 0);
	ASSERT_EQ(quic_attach(ulp), 0);
	ASSERT_EQ(quic_set_key(ulp, false, 1, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, 0), 0);
	ASSERT_EQ(quic_ref_key_init(&ref, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				    secret, 32), 0);
	quic_build(plain, len, cid, sizeof(cid), 5, 2, false, 9);
	memcpy(src, plain, len);
	req.buf = src;

	switch (variant->how) {
	case 0:
		n = quic_sendmsg(ulp, &req);
		sealed = true;
		break;
	case 1:
		fd = memfd_create("quic-src", 0);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(write(fd, src, len), (ssize_t)len);
		n = sendfile(ulp, fd, &(off_t){ 0 }, len);
		break;
	case 2:
		ASSERT_EQ(pipe(pipefd), 0);
		n = vmsplice(pipefd[1], &(struct iovec){ src, len }, 1, 0);
		ASSERT_EQ(n, (ssize_t)len);
		n = splice(pipefd[0], NULL, ulp, NULL, len, 0);
		close(pipefd[0]);
		close(pipefd[1]);
		break;
	case 3:
		if (setsockopt(ulp, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)))
			SKIP(goto out, "no SO_ZEROCOPY on UDP");
		req.flags = MSG_ZEROCOPY;
		EXPECT_EQ(quic_sendmsg(ulp, &req), -1);
		EXPECT_EQ(errno, EOPNOTSUPP);
		EXPECT_EQ(quic_sync(ulp, NULL, peer, 3000, NULL, 0, NULL), 0);
		req.ntx = 0;
		n = quic_sendmsg(ulp, &req);
		break;
	}
	ASSERT_EQ(n, (ssize_t)len) TH_LOG("send: %s", strerror(errno));
	ASSERT_EQ(recv(peer, got, sizeof(got), 0), (ssize_t)len);
	if (sealed) {
		/* Protected on the wire ... */
		ASSERT_EQ(quic_seal(&ref, plain, len, sizeof(cid), 5, want), 0);
		EXPECT_EQ(memcmp(got, want, len), 0);
	} else {
		/* As written: no records, no protection */
		EXPECT_EQ(memcmp(got, plain, len), 0);
	}
	/* ... and the source as it was */
	EXPECT_EQ(memcmp(src, plain, len), 0) TH_LOG("the user's buffer was rewritten");
	if (fd >= 0) {
		ASSERT_EQ(pread(fd, got, len, 0), (ssize_t)len);
		EXPECT_EQ(memcmp(got, plain, len), 0) TH_LOG("the page cache was rewritten");
		close(fd);
	}
out:
	quic_ref_key_free(&ref);
	close(ulp);
	close(peer);
	munmap(src, 4096);
}

TEST_HARNESS_MAIN
