// SPDX-License-Identifier: GPL-2.0
/*
 * The quic ULP's socket API: attaching it, every malformed or unsupported
 * request failing with its documented errno and changing nothing (no
 * connection created), QUIC_ULP_CONN_INFO at every length, and the limits of
 * the net.quic_ulp sysctls, which are read-only in a network namespace
 * that a user namespace other than the initial one owns.
 *
 * It changes net.quic_ulp.max_cids of the initial network namespace for
 * the duration of one test: run it alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define AES128	QUIC_ULP_CIPHER_AES_128_GCM_SHA256
#define AES256	QUIC_ULP_CIPHER_AES_256_GCM_SHA384
#define CHACHA	QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256

static const uint8_t secret[QUIC_ULP_MAX_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7 };

static int setopt(int fd, int opt, const void *val, socklen_t len)
{
	return setsockopt(fd, SOL_UDP, opt, val, len) ? -errno : 0;
}

static struct quic_ulp_key good_key(uint32_t conn)
{
	struct quic_ulp_key key = {
		.conn = conn, .cipher = AES128, .secret_len = 32,
		.version = QUIC_ULP_VERSION_1,
	};

	memcpy(key.secret, secret, 32);
	return key;
}

static struct quic_ulp_cid good_cid(uint32_t conn, uint8_t dir, uint8_t len,
				    uint8_t fill)
{
	struct quic_ulp_cid cid = { .conn = conn, .dir = dir, .len = len };

	memset(cid.id, fill, len);
	return cid;
}

FIXTURE(ulp)
{
	int fd;
};

FIXTURE_VARIANT(ulp)
{
	int family;
};

FIXTURE_VARIANT_ADD(ulp, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(ulp, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_SETUP(ulp)
{
	self->fd = socket(variant->family, SOCK_DGRAM, 0);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(ulp)
{
	close(self->fd);
}

TEST_F(ulp, attach)
{
	char name[16] = {};
	socklen_t len = sizeof(name);

	ASSERT_EQ(getsockopt(self->fd, SOL_UDP, UDP_ULP, name, &len), 0);
	EXPECT_EQ(len, 0U);
	ASSERT_EQ(quic_attach(self->fd), 0);
	len = sizeof(name);
	ASSERT_EQ(getsockopt(self->fd, SOL_UDP, UDP_ULP, name, &len), 0);
	EXPECT_EQ(len, sizeof(QUIC_ULP_NAME));
	EXPECT_STREQ(name, QUIC_ULP_NAME);
	/* A buffer too short for the name gets what fits */
	len = 2;
	ASSERT_EQ(getsockopt(self->fd, SOL_UDP, UDP_ULP, name, &len), 0);
	EXPECT_EQ(len, 2U);
}

TEST_F(ulp, attach_twice)
{
	ASSERT_EQ(quic_attach(self->fd), 0);
	EXPECT_EQ(quic_attach(self->fd), -EEXIST);
}

TEST_F(ulp, unknown_ulp)
{
	EXPECT_EQ(setopt(self->fd, UDP_ULP, "nonexistent", 11), -ENOENT);
	EXPECT_EQ(setopt(self->fd, UDP_ULP, "", 0), -EINVAL);
	EXPECT_EQ(setopt(self->fd, UDP_ULP, NULL, 4), -EFAULT);
}

TEST_F(ulp, encap_excludes_ulp)
{
	int l2tp = 3; /* UDP_ENCAP_L2TPINUDP */
	int fd2 = socket(variant->family, SOCK_DGRAM, 0);

	ASSERT_EQ(setopt(self->fd, UDP_ENCAP, &l2tp, sizeof(l2tp)), 0);
	EXPECT_EQ(quic_attach(self->fd), -EBUSY);

	ASSERT_GE(fd2, 0);
	ASSERT_EQ(quic_attach(fd2), 0);
	EXPECT_EQ(setopt(fd2, UDP_ENCAP, &l2tp, sizeof(l2tp)), -EBUSY);
	close(fd2);
}

/* Only UDP: TCP has no SOL_UDP options, UDP-Lite cannot take a ULP */
TEST_F(ulp, not_udp)
{
	int tcp = socket(variant->family, SOCK_STREAM, 0);
	int lite = socket(variant->family, SOCK_DGRAM, IPPROTO_UDPLITE);

	ASSERT_GE(tcp, 0);
	EXPECT_EQ(quic_attach(tcp), -ENOPROTOOPT);
	close(tcp);
	if (lite < 0)
		SKIP(return, "no UDP-Lite");
	EXPECT_EQ(quic_attach(lite), -EOPNOTSUPP);
	close(lite);
}

TEST_F(ulp, options_need_ulp)
{
	struct quic_ulp_key key = good_key(1);
	struct quic_ulp_conn_info info = { .conn = 1 };
	socklen_t len = sizeof(info);

	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), -ENOPROTOOPT);
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, QUIC_ULP_CONN_INFO, &info, &len), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
}

TEST_F(ulp, unknown_option)
{
	int val = 0;
	socklen_t len = sizeof(val);

	ASSERT_EQ(quic_attach(self->fd), 0);
	EXPECT_EQ(setopt(self->fd, 250, &val, sizeof(val)), -ENOPROTOOPT);
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, 250, &val, &len), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
	/* Keys are never readable back */
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, QUIC_ULP_TX_KEY, &val, &len), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
}

TEST_F(ulp, closed)
{
	struct quic_ulp_key key = good_key(1);
	int fd = socket(variant->family, SOCK_DGRAM, 0);

	ASSERT_EQ(quic_attach(fd), 0);
	ASSERT_EQ(setopt(fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	close(fd);
	EXPECT_EQ(setopt(fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), -EBADF);
}

/* A socket with the ULP and no keys is a plain UDP socket */
TEST_F(ulp, plain_udp)
{
	struct sockaddr_storage a, b;
	socklen_t alen, blen;
	char buf[64];
	int peer;

	close(self->fd);
	self->fd = quic_udp_socket(variant->family, false, &a, &alen);
	ASSERT_GE(self->fd, 0);
	peer = quic_udp_socket(variant->family, true, &b, &blen);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, 2000);
	quic_set_timeout(self->fd, 2000);
	ASSERT_EQ(quic_attach(self->fd), 0);
	ASSERT_EQ(sendto(self->fd, "\x41hello", 6, 0, (void *)&b, blen), 6);
	ASSERT_EQ(recv(peer, buf, sizeof(buf), 0), 6);
	EXPECT_EQ(memcmp(buf, "\x41hello", 6), 0);
	ASSERT_EQ(sendto(peer, "\x42world", 6, 0, (void *)&a, alen), 6);
	ASSERT_EQ(recv(self->fd, buf, sizeof(buf), 0), 6);
	EXPECT_EQ(memcmp(buf, "\x42world", 6), 0);
	close(peer);
}

/* A ULP socket and a connection on it, for the error matrix */
FIXTURE(bad)
{
	int fd;
};

FIXTURE_SETUP(bad)
{
	struct quic_ulp_key key = good_key(1);

	self->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(quic_attach(self->fd), 0);
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
}

FIXTURE_TEARDOWN(bad)
{
	close(self->fd);
}

/* The connection a failed call might have created must not exist */
static bool conn_exists(int fd, uint32_t conn)
{
	struct quic_ulp_conn_info info;

	return !quic_conn_info(fd, conn, &info);
}

TEST_F(bad, key_fields)
{
	struct quic_ulp_key key;

	key = good_key(2);
	key.cipher = 0x1305;	/* TLS_AES_128_CCM_8_SHA256: not for QUIC */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.cipher = AES256;	/* SHA-384: 48-byte secrets */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.flags = 0x80;	/* no such flag */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.version = 0;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key.version = 0xff00001d;	/* draft-29 */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.key_updates = QUIC_ULP_MAX_KEY_UPDATES + 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.next_pn = QUIC_ULP_MAX_PN + 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.secret[40] = 1;	/* past secret_len */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	EXPECT_FALSE(conn_exists(self->fd, 2));

	/* The edges are fine */
	key = good_key(2);
	key.next_pn = QUIC_ULP_MAX_PN;
	key.key_updates = 3;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), 0);
	EXPECT_TRUE(conn_exists(self->fd, 2));
}

TEST_F(bad, key_sizes)
{
	struct quic_ulp_key key = good_key(3);
	uint8_t big[sizeof(key) + 8] = {};

	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key) - 1), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, 0), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, NULL, sizeof(key)), -EFAULT);
	/* A longer structure is fine if what we do not know is zero */
	memcpy(big, &key, sizeof(key));
	big[sizeof(key) + 3] = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, big, sizeof(big)), -E2BIG);
	EXPECT_FALSE(conn_exists(self->fd, 3));
	big[sizeof(key) + 3] = 0;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, big, sizeof(big)), 0);
	EXPECT_TRUE(conn_exists(self->fd, 3));
}

/* Both directions of a connection share suite and version */
TEST_F(bad, key_mismatch)
{
	struct quic_ulp_key key = good_key(1);

	key.cipher = CHACHA;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(1);
	key.version = QUIC_ULP_VERSION_2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(1);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), 0);
}

/* Keys are installed once per direction: a second one could rewind the
 * packet numbers, and with them the nonces (review finding 5; the old
 * kernel replaced the keys). The first stay, and so does the connection.
 */
TEST_F(bad, key_once)
{
	struct quic_ulp_key key = good_key(1);
	struct quic_ulp_conn_info info;

	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), -EEXIST);
	key.next_pn = 1000;
	key.key_updates = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), -EEXIST);
	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	EXPECT_EQ(info.tx.key_updates, 0U);
	EXPECT_EQ(info.rx.flags & QUIC_ULP_INFO_KEY, 0);

	/* The other direction takes its keys once too */
	key = good_key(1);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -EEXIST);
	/* A connection deleted and created again is a new one */
	ASSERT_EQ(quic_del_conn(self->fd, 1), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
}

TEST_F(bad, cid_fields)
{
	struct quic_ulp_cid cid;

	cid = good_cid(9, QUIC_ULP_DIR_TX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -ENOENT);
	cid = good_cid(1, 0, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 20, 0x11);
	cid.len = 21;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	cid.flags = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	cid.id[8] = 1;		/* past len */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	cid.peer.ss_family = AF_INET;	/* an address is for zero-length IDs */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x11);
	cid.peer.ss_family = AF_INET;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	/* ... of ours: the kernel never sends by a Tx ID, zero-length or not */
	cid = good_cid(1, QUIC_ULP_DIR_TX, 0, 0);
	((struct sockaddr_in *)&cid.peer)->sin_family = AF_INET;
	((struct sockaddr_in *)&cid.peer)->sin_port = htons(4433);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	cid.reserved = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid) - 1), -EINVAL);

	/* Stateless reset tokens: Tx IDs only, with the flag, when added */
	cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x11);
	cid.flags = QUIC_ULP_CID_RESET_TOKEN;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x11);
	cid.reset_token[3] = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid.flags = QUIC_ULP_CID_RESET_TOKEN;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), 0);
}

/* A zero-length ID of ours goes by the peer's address, which must be known */
TEST_F(bad, cid_zero_length)
{
	struct quic_ulp_cid cid = good_cid(1, QUIC_ULP_DIR_RX, 0, 0);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&cid.peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&cid.peer;

	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)),
		  -EDESTADDRREQ);
	sin6->sin6_family = AF_INET6;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)),
		  -EAFNOSUPPORT);
	cid.peer.ss_family = 99;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)),
		  -EAFNOSUPPORT);
	memset(&cid.peer, 0, sizeof(cid.peer));
	cid.peer.ss_family = AF_UNSPEC;
	cid.peer.__data[20] = 1;	/* AF_UNSPEC must be all zero */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	memset(&cid.peer, 0, sizeof(cid.peer));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(4433);
	sin->sin_addr.s_addr = htonl(0x0a000001);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), 0);
}

/* No Rx ID may be a prefix of another one on the socket, either way:
 * short headers do not carry the ID's length
 */
TEST_F(bad, cid_prefixes)
{
	struct quic_ulp_key key2 = good_key(2);
	struct quic_ulp_cid cid8 = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x22);
	struct quic_ulp_cid cid4 = good_cid(1, QUIC_ULP_DIR_RX, 4, 0x22);
	struct quic_ulp_cid cid12 = good_cid(1, QUIC_ULP_DIR_RX, 12, 0x22);
	struct quic_ulp_cid tx4 = good_cid(1, QUIC_ULP_DIR_TX, 4, 0x22);

	ASSERT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key2, sizeof(key2)), 0);
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid4, sizeof(cid4)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid12, sizeof(cid12)),
		  -EEXIST);
	/* Socket-wide: another connection cannot take them either */
	cid4.conn = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid4, sizeof(cid4)), -EEXIST);
	cid8.conn = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), -EEXIST);
	cid8.conn = 1;
	/* Tx IDs are another matter (see tx_ids below) */
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &tx4, sizeof(tx4)), 0);
	/* Once the 8-byte ID is gone, a shorter one is fine */
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid4, sizeof(cid4)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid12, sizeof(cid12)),
		  -EEXIST);
	cid12.id[3] ^= 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid12, sizeof(cid12)), 0);
}

/*
 * Review finding 8: Tx IDs are the peer's, kept only for their Stateless
 * Reset Tokens, per connection: no prefix rule, no socket-wide
 * uniqueness, so that no peer can block another connection's IDs (the
 * old kernel refused, with EEXIST, any Tx ID that shared a prefix with
 * one of another connection). Within a connection an ID is unique.
 */
TEST_F(bad, tx_ids)
{
	struct quic_ulp_key key2 = good_key(2);
	struct quic_ulp_cid one = good_cid(1, QUIC_ULP_DIR_TX, 1, 0x22);
	struct quic_ulp_cid cid8 = good_cid(1, QUIC_ULP_DIR_TX, 8, 0x22);
	struct quic_ulp_cid cid20 = good_cid(1, QUIC_ULP_DIR_TX, 20, 0x22);
	struct quic_ulp_conn_info info;

	ASSERT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key2, sizeof(key2)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &one, sizeof(one)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid20, sizeof(cid20)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), -EEXIST);
	/* The same IDs for another connection */
	one.conn = 2;
	cid8.conn = 2;
	cid20.conn = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid20, sizeof(cid20)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &one, sizeof(one)), 0);
	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	EXPECT_EQ(info.tx.cids, 3U);
	ASSERT_EQ(quic_conn_info(self->fd, 2, &info), 0);
	EXPECT_EQ(info.tx.cids, 3U);
	/* Removing one connection's leaves the other's */
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid8, sizeof(cid8)), -ENOENT);
	cid8.conn = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid8, sizeof(cid8)), 0);
}

TEST_F(bad, cid_del)
{
	struct quic_ulp_key key = good_key(2);
	struct quic_ulp_cid cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x33);

	ASSERT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), 0);
	/* Only the connection it belongs to may remove it */
	cid.conn = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	cid.conn = 1;
	cid.dir = QUIC_ULP_DIR_TX;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	cid.dir = QUIC_ULP_DIR_RX;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), 0);
}

TEST_F(bad, cid_limit)
{
	struct quic_ulp_conn_info info;
	struct quic_ulp_cid cid;
	int i, dir;

	for (dir = QUIC_ULP_DIR_TX; dir <= QUIC_ULP_DIR_RX; dir++) {
		for (i = 0; i < QUIC_ULP_MAX_CIDS; i++) {
			cid = good_cid(1, dir, 8, 0);
			memcpy(cid.id, &i, sizeof(i));
			ASSERT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid,
					 sizeof(cid)), 0);
		}
		cid.id[7] = 1;
		EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)),
			  -ENOSPC);
	}
	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	EXPECT_EQ(info.rx.cids, QUIC_ULP_MAX_CIDS);
	EXPECT_EQ(info.tx.cids, QUIC_ULP_MAX_CIDS);
	/* Removing the connection removes its IDs */
	ASSERT_EQ(quic_del_conn(self->fd, 1), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CID, &cid, sizeof(cid)), -ENOENT);
}

TEST_F(bad, conn_ops)
{
	struct quic_ulp_conn_info info = { .conn = 1 };
	struct quic_ulp_discard d = { .conn = 1, .dir = 0 };
	uint64_t handle = 1;

	EXPECT_EQ(quic_del_conn(self->fd, 7), -ENOENT);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DEL_CONN, &handle, sizeof(handle)),
		  -EINVAL);
	EXPECT_EQ(quic_conn_info(self->fd, 7, &info), -ENOENT);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DISCARD_OLD_KEY, &d, sizeof(d)), -EINVAL);
	d.dir = 4;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DISCARD_OLD_KEY, &d, sizeof(d)), -EINVAL);
	d.dir = QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX;
	d.conn = 7;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DISCARD_OLD_KEY, &d, sizeof(d)), -ENOENT);
	d.conn = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_DISCARD_OLD_KEY, &d, sizeof(d)), 0);
	EXPECT_EQ(quic_del_conn(self->fd, 1), 0);
	EXPECT_EQ(quic_del_conn(self->fd, 1), -ENOENT);
}

/* What QUIC_ULP_CONN_INFO returns holds no key material */
TEST_F(bad, no_secrets_out)
{
	struct quic_ulp_conn_info info;
	uint8_t *p = (uint8_t *)&info;
	size_t i;

	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	for (i = 0; i + 7 <= sizeof(info); i++)
		EXPECT_NE(memcmp(p + i, secret, 7), 0);
}

/*
 * QUIC_ULP_CONN_INFO is extensible (review finding 15, "extensibility of the
 * getter"): any length from 8 (through @reserved) up; the kernel fills
 * min(length, its structure) and returns that length, leaving the rest of
 * the caller's buffer alone. The old kernel refused anything shorter than
 * its structure, so a binary built against a larger one would fail.
 */
TEST_F(bad, conn_info_lengths)
{
	static const size_t lens[] = {
		8, 12, 16, offsetof(struct quic_ulp_conn_info, rx) - 1,
		offsetof(struct quic_ulp_conn_info, rx),
		sizeof(struct quic_ulp_conn_info) - 1,
		sizeof(struct quic_ulp_conn_info),
		sizeof(struct quic_ulp_conn_info) + 1,
		sizeof(struct quic_ulp_conn_info) + 64,
	};
	uint8_t full[sizeof(struct quic_ulp_conn_info)];
	uint8_t buf[sizeof(struct quic_ulp_conn_info) + 64];
	struct quic_ulp_cid cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x55);
	socklen_t len;
	size_t i, want;

	/* Some state, so that the structure is not all zero */
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), 0);
	memset(full, 0, sizeof(full));
	len = sizeof(full);
	ASSERT_EQ(quic_conn_info_len(self->fd, 1, full, &len), 0);
	ASSERT_EQ(len, sizeof(full));
	EXPECT_EQ(((struct quic_ulp_conn_info *)full)->cipher, AES128);

	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		want = lens[i] < sizeof(full) ? lens[i] : sizeof(full);
		memset(buf, 0xee, sizeof(buf));
		memset(buf, 0, sizeof(uint32_t) + 4);
		len = lens[i];
		ASSERT_EQ(quic_conn_info_len(self->fd, 1, buf, &len), 0)
			TH_LOG("length %zu", lens[i]);
		EXPECT_EQ(len, want) TH_LOG("length %zu", lens[i]);
		EXPECT_EQ(memcmp(buf, full, want), 0)
			TH_LOG("length %zu", lens[i]);
		/* Not a byte written past what it says it filled */
		EXPECT_EQ(buf[want], 0xee) TH_LOG("length %zu", lens[i]);
		EXPECT_EQ(buf[sizeof(buf) - 1], 0xee);
	}

	/* Shorter than conn, cipher and reserved: refused */
	for (len = 0; len < 8; len++) {
		socklen_t l = len;

		EXPECT_EQ(quic_conn_info_len(self->fd, 1, buf, &l), -EINVAL)
			TH_LOG("length %u", len);
	}
	len = 8;
	EXPECT_EQ(quic_conn_info_len(self->fd, 9, buf, &len), -ENOENT);
}

#define MAX_CONNS	"net/quic_ulp/max_connections"
#define MAX_CONNS_TOTAL	"net/quic_ulp/max_connections_total"
#define MAX_CIDS	"net/quic_ulp/max_cids"

/*
 * Review finding 3: the limits are per-namespace sysctls (the old kernel
 * had a module parameter, max_connections, for the whole machine, and no
 * limit on IDs below QUIC_ULP_MAX_CIDS). These tests change them in the
 * program's own network namespace, which the initial user namespace owns,
 * and put them back.
 */
FIXTURE(limits)
{
	int fd;
	long long conns, cids;
};

FIXTURE_SETUP(limits)
{
	struct quic_ulp_key key = good_key(1);

	self->conns = -1;
	self->cids = -1;
	self->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(self->fd, 0);
	/* Loads the module, which registers the sysctls */
	ASSERT_EQ(quic_attach(self->fd), 0);
	ASSERT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	self->conns = quic_sysctl_get(MAX_CONNS);
	self->cids = quic_sysctl_get(MAX_CIDS);
	ASSERT_GT(self->conns, 0) TH_LOG("no sysctl %s", MAX_CONNS);
	ASSERT_GT(self->cids, 0) TH_LOG("no sysctl %s", MAX_CIDS);
}

FIXTURE_TEARDOWN(limits)
{
	if (self->conns > 0)
		EXPECT_EQ(quic_sysctl_set(MAX_CONNS, self->conns), 0);
	if (self->cids > 0)
		EXPECT_EQ(quic_sysctl_set(MAX_CIDS, self->cids), 0);
	close(self->fd);
}

TEST_F(limits, defaults)
{
	struct stat st;

	/* Unless something else in this namespace changed them */
	EXPECT_EQ(self->conns, 16384);
	EXPECT_EQ(self->cids, QUIC_ULP_MAX_CIDS);
	/* The module parameter is gone */
	EXPECT_NE(stat("/sys/module/quic/parameters/max_connections", &st), 0);
}

/* Connections per socket */
TEST_F(limits, max_connections)
{
	struct quic_ulp_key key;
	uint32_t i;
	int fd2;

	ASSERT_EQ(quic_sysctl_set(MAX_CONNS, 3), 0);
	EXPECT_EQ(quic_sysctl_get(MAX_CONNS), 3);
	for (i = 2; i <= 3; i++) {
		key = good_key(i);
		EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), 0);
	}
	key = good_key(4);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), -ENOSPC);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), -ENOSPC);
	/* An existing connection still takes its other direction's keys */
	key = good_key(3);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	/* Once one goes, another may come */
	ASSERT_EQ(quic_del_conn(self->fd, 2), 0);
	key = good_key(4);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_RX_KEY, &key, sizeof(key)), 0);

	/* Per socket: another one has room of its own */
	fd2 = socket(AF_INET6, SOCK_DGRAM, 0);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(quic_attach(fd2), 0);
	for (i = 1; i <= 3; i++) {
		key = good_key(i);
		EXPECT_EQ(setopt(fd2, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	}
	key = good_key(9);
	EXPECT_EQ(setopt(fd2, QUIC_ULP_TX_KEY, &key, sizeof(key)), -ENOSPC);
	close(fd2);
}

/* Install @key's Tx keys once the namespace has room: a removed
 * connection counts until its memory is freed, a moment later
 */
static int tx_key_when_room(int fd, const struct quic_ulp_key *key)
{
	double deadline = quic_now() + 5;
	int err;

	do {
		err = setopt(fd, QUIC_ULP_TX_KEY, key, sizeof(*key));
		if (err != -ENOSPC)
			break;
		usleep(10000);
	} while (quic_now() < deadline);
	return err;
}

/*
 * Connections of all the sockets of a network namespace: the bound on the
 * crypto transforms no memory cgroup is charged for (review finding 3).
 * A removed connection counts until its memory is freed, a moment later.
 * In a namespace of its own (the harness runs each test in a child), so
 * that nothing else is counted.
 */
TEST(max_connections_total)
{
	struct quic_ulp_key key;
	int a, b, err;
	uint32_t i;

	ASSERT_EQ(unshare(CLONE_NEWNET), 0);
	a = socket(AF_INET6, SOCK_DGRAM, 0);
	b = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(a, 0);
	ASSERT_GE(b, 0);
	ASSERT_EQ(quic_attach(a), 0);
	ASSERT_EQ(quic_attach(b), 0);
	EXPECT_EQ(quic_sysctl_get(MAX_CONNS_TOTAL), 65536);
	ASSERT_EQ(quic_sysctl_set(MAX_CONNS_TOTAL, 3), 0);
	for (i = 1; i <= 2; i++) {
		key = good_key(i);
		EXPECT_EQ(setopt(a, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	}
	key = good_key(1);
	EXPECT_EQ(setopt(b, QUIC_ULP_TX_KEY, &key, sizeof(key)), 0);
	/* Each socket is below max_connections, the namespace is not */
	key = good_key(2);
	EXPECT_EQ(setopt(b, QUIC_ULP_TX_KEY, &key, sizeof(key)), -ENOSPC);
	EXPECT_EQ(setopt(b, QUIC_ULP_RX_KEY, &key, sizeof(key)), -ENOSPC);

	ASSERT_EQ(quic_del_conn(a, 1), 0);
	err = tx_key_when_room(b, &key);
	EXPECT_EQ(err, 0) TH_LOG("a removed connection is never uncounted");
	/* And a closed socket's connections go too */
	close(a);
	key = good_key(3);
	err = tx_key_when_room(b, &key);
	EXPECT_EQ(err, 0);
	close(b);
}

/* IDs per connection and direction */
TEST_F(limits, max_cids)
{
	struct quic_ulp_conn_info info;
	struct quic_ulp_cid cid;
	int i, dir;

	ASSERT_EQ(quic_sysctl_set(MAX_CIDS, 5), 0);
	for (dir = QUIC_ULP_DIR_TX; dir <= QUIC_ULP_DIR_RX; dir++) {
		for (i = 0; i < 5; i++) {
			cid = good_cid(1, dir, 8, 0x60 + i);
			EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid,
					 sizeof(cid)), 0);
		}
		cid = good_cid(1, dir, 8, 0x70);
		EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)),
			  -ENOSPC);
	}
	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	EXPECT_EQ(info.tx.cids, 5U);
	EXPECT_EQ(info.rx.cids, 5U);

	/* QUIC_ULP_MAX_CIDS is the most it can say */
	EXPECT_NE(quic_sysctl_set(MAX_CIDS, QUIC_ULP_MAX_CIDS + 1), 0);
	EXPECT_EQ(quic_sysctl_get(MAX_CIDS), 5);
	EXPECT_EQ(quic_sysctl_set(MAX_CIDS, QUIC_ULP_MAX_CIDS), 0);
	cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0x70);
	EXPECT_EQ(setopt(self->fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid)), 0);
}

/*
 * In a network namespace that an unprivileged user's namespace owns, the
 * sysctls are read-only and take the initial namespace's values: that
 * user cannot raise them. The test sets max_cids of the initial namespace
 * to an unusual value, then, as nobody in a new user and network
 * namespace, reads it there, fails to write it, and finds it enforced.
 */
#define USERNS_CIDS	77
#define NOBODY		65534

struct userns_result {
	int stage;		/* how far it got: 5 is all the way */
	int err;		/* errno of the step that failed */
	long long conns, cids;	/* what the namespace's sysctls read */
	int write_conns, write_cids;	/* what writing them returned */
	int added;		/* IDs added before one was refused */
	int refused;		/* and what refused it */
};

static void userns_child(int out, long long init_conns)
{
	struct userns_result r = { 0 };
	struct quic_ulp_key key = good_key(1);
	struct quic_ulp_cid cid;
	int fd, err;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		goto fail;
	r.stage = 1;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		goto fail;
	r.stage = 2;
	r.conns = quic_sysctl_get(MAX_CONNS);
	r.cids = quic_sysctl_get(MAX_CIDS);
	r.write_cids = quic_sysctl_set(MAX_CIDS, QUIC_ULP_MAX_CIDS);
	r.write_conns = quic_sysctl_set(MAX_CONNS, init_conns + 1);
	r.stage = 3;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || quic_attach(fd) ||
	    setsockopt(fd, SOL_UDP, QUIC_ULP_RX_KEY, &key, sizeof(key)))
		goto fail;
	r.stage = 4;
	for (r.added = 0; r.added <= QUIC_ULP_MAX_CIDS; r.added++) {
		cid = good_cid(1, QUIC_ULP_DIR_RX, 8, 0);
		memcpy(cid.id, &r.added, sizeof(r.added));
		err = setopt(fd, QUIC_ULP_ADD_CID, &cid, sizeof(cid));
		if (err) {
			r.refused = err;
			break;
		}
	}
	r.stage = 5;
	close(fd);
	goto out;
fail:
	r.err = errno;
out:
	if (write(out, &r, sizeof(r)) != sizeof(r))
		_exit(2);
	_exit(0);
}

/* sysctl @name of the initial network namespace (pid 1's): its value,
 * or -errno; then set to @val unless @val is negative
 */
static long long init_sysctl(const char *name, long long val)
{
	int back = open("/proc/self/ns/net", O_RDONLY);
	int init = open("/proc/1/ns/net", O_RDONLY);
	long long old = -EBADF;
	int err;

	if (back < 0 || init < 0)
		goto out;
	if (setns(init, CLONE_NEWNET)) {
		old = -errno;
		goto out;
	}
	old = quic_sysctl_get(name);
	if (old >= 0 && val >= 0) {
		err = quic_sysctl_set(name, val);
		if (err)
			old = err;
	}
	if (setns(back, CLONE_NEWNET))
		abort();	/* the test would go on in the wrong place */
out:
	if (back >= 0)
		close(back);
	if (init >= 0)
		close(init);
	return old;
}

FIXTURE(userns)
{
	long long init_cids;
};

FIXTURE_SETUP(userns)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_GE(fd, 0);
	ASSERT_EQ(quic_attach(fd), 0);
	close(fd);
	self->init_cids = init_sysctl(MAX_CIDS, USERNS_CIDS);
	if (self->init_cids == -EPERM || self->init_cids == -EACCES)
		SKIP(return, "cannot set %s of the initial network namespace: %s",
		     MAX_CIDS, strerror((int)-self->init_cids));
	ASSERT_GT(self->init_cids, 0)
		TH_LOG("%s of the initial network namespace: %s", MAX_CIDS,
		       strerror((int)-self->init_cids));
}

FIXTURE_TEARDOWN(userns)
{
	if (self->init_cids > 0)
		EXPECT_EQ(init_sysctl(MAX_CIDS, self->init_cids), USERNS_CIDS);
}

TEST_F(userns, sysctls_read_only)
{
	struct userns_result r = {};
	long long init_conns;
	int p[2], status;
	pid_t pid;

	if (self->init_cids <= 0)
		return;	/* skipped in setup */
	init_conns = init_sysctl(MAX_CONNS, -1);
	ASSERT_GT(init_conns, 0);

	ASSERT_EQ(pipe(p), 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		close(p[0]);
		userns_child(p[1], init_conns);
	}
	close(p[1]);
	ASSERT_EQ(read(p[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(p[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	if (r.stage == 1)
		SKIP(return, "no user namespace for an unprivileged user: %s",
		     strerror(r.err));
	ASSERT_EQ(r.stage, 5)
		TH_LOG("stopped at stage %d: %s", r.stage, strerror(r.err));
	EXPECT_EQ(r.cids, USERNS_CIDS);
	EXPECT_EQ(r.conns, init_conns);
	EXPECT_NE(r.write_cids, 0);
	EXPECT_NE(r.write_conns, 0);
	EXPECT_EQ(r.added, USERNS_CIDS);
	EXPECT_EQ(r.refused, -ENOSPC);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
