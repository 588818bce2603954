// SPDX-License-Identifier: GPL-2.0
/*
 * The quic ULP's socket API: attaching it, and every malformed or
 * unsupported request failing with its documented errno and changing
 * nothing (no connection created, no packet sent).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#define AES128	QUIC_CIPHER_AES_128_GCM_SHA256
#define AES256	QUIC_CIPHER_AES_256_GCM_SHA384
#define CHACHA	QUIC_CIPHER_CHACHA20_POLY1305_SHA256

static const uint8_t secret[QUIC_MAX_SECRET_LEN] = { 1, 2, 3, 4, 5, 6, 7 };

static int setopt(int fd, int opt, const void *val, socklen_t len)
{
	return setsockopt(fd, SOL_UDP, opt, val, len) ? -errno : 0;
}

static struct quic_key good_key(uint32_t conn)
{
	struct quic_key key = {
		.conn = conn, .cipher = AES128, .secret_len = 32,
		.version = QUIC_VERSION_1,
	};

	memcpy(key.secret, secret, 32);
	return key;
}

static struct quic_cid good_cid(uint32_t conn, uint8_t dir, uint8_t len,
				uint8_t fill)
{
	struct quic_cid cid = { .conn = conn, .dir = dir, .len = len };

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
	struct quic_key key = good_key(1);
	struct quic_conn_info info = { .conn = 1 };
	socklen_t len = sizeof(info);

	EXPECT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), -ENOPROTOOPT);
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, QUIC_CONN_INFO, &info, &len), -1);
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
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, QUIC_TX_KEY, &val, &len), -1);
	EXPECT_EQ(errno, ENOPROTOOPT);
}

TEST_F(ulp, closed)
{
	struct quic_key key = good_key(1);
	int fd = socket(variant->family, SOCK_DGRAM, 0);

	ASSERT_EQ(quic_attach(fd), 0);
	ASSERT_EQ(setopt(fd, QUIC_TX_KEY, &key, sizeof(key)), 0);
	close(fd);
	EXPECT_EQ(setopt(fd, QUIC_TX_KEY, &key, sizeof(key)), -EBADF);
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
	struct quic_key key = good_key(1);

	self->fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(self->fd, 0);
	ASSERT_EQ(quic_attach(self->fd), 0);
	ASSERT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), 0);
}

FIXTURE_TEARDOWN(bad)
{
	close(self->fd);
}

/* The connection a failed call might have created must not exist */
static bool conn_exists(int fd, uint32_t conn)
{
	struct quic_conn_info info;

	return !quic_conn_info(fd, conn, &info);
}

TEST_F(bad, key_fields)
{
	struct quic_key key;

	key = good_key(2);
	key.cipher = 0x1305;	/* TLS_AES_128_CCM_8_SHA256: not for QUIC */
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.cipher = AES256;	/* SHA-384: 48-byte secrets */
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.flags = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.version = 0;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key.version = 0xff00001d;	/* draft-29 */
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.key_updates = QUIC_MAX_KEY_UPDATES + 1;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.next_pn = QUIC_MAX_PN + 1;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(2);
	key.secret[40] = 1;	/* past secret_len */
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	EXPECT_FALSE(conn_exists(self->fd, 2));

	/* The edges are fine */
	key = good_key(2);
	key.next_pn = QUIC_MAX_PN;
	key.key_updates = 3;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), 0);
	EXPECT_TRUE(conn_exists(self->fd, 2));
}

TEST_F(bad, key_sizes)
{
	struct quic_key key = good_key(3);
	uint8_t big[sizeof(key) + 8] = {};

	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key) - 1), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, 0), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, NULL, sizeof(key)), -EFAULT);
	/* A longer structure is fine if what we do not know is zero */
	memcpy(big, &key, sizeof(key));
	big[sizeof(key) + 3] = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, big, sizeof(big)), -E2BIG);
	EXPECT_FALSE(conn_exists(self->fd, 3));
	big[sizeof(key) + 3] = 0;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, big, sizeof(big)), 0);
	EXPECT_TRUE(conn_exists(self->fd, 3));
}

/* Both directions of a connection share suite and version */
TEST_F(bad, key_mismatch)
{
	struct quic_key key = good_key(1);

	key.cipher = CHACHA;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(1);
	key.version = QUIC_VERSION_2;
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -EINVAL);
	key = good_key(1);
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), 0);
	/* Replacing a direction's keys is allowed, with the same suite */
	EXPECT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), 0);
	key.cipher = CHACHA;
	EXPECT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), -EINVAL);
}

TEST_F(bad, cid_fields)
{
	struct quic_cid cid;

	cid = good_cid(9, QUIC_DIR_TX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -ENOENT);
	cid = good_cid(1, 0, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX | QUIC_DIR_RX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 20, 0x11);
	cid.len = 21;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	cid.flags = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	cid.id[8] = 1;		/* past len */
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	cid.peer.ss_family = AF_INET;	/* an address is for zero-length IDs */
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	cid.reserved = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid) - 1), -EINVAL);

	/* Stateless reset tokens: Tx IDs only, with the flag, when added */
	cid = good_cid(1, QUIC_DIR_RX, 8, 0x11);
	cid.flags = QUIC_CID_RESET_TOKEN;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid = good_cid(1, QUIC_DIR_TX, 8, 0x11);
	cid.reset_token[3] = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	cid.flags = QUIC_CID_RESET_TOKEN;
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), -EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), 0);
}

/* A zero-length ID goes by the peer's address, which must be known */
TEST_F(bad, cid_zero_length)
{
	struct quic_cid cid = good_cid(1, QUIC_DIR_TX, 0, 0);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&cid.peer;
	struct sockaddr_in *sin = (struct sockaddr_in *)&cid.peer;

	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)),
		  -EDESTADDRREQ);
	sin6->sin6_family = AF_INET6;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)),
		  -EAFNOSUPPORT);
	cid.peer.ss_family = 99;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)),
		  -EAFNOSUPPORT);
	memset(&cid.peer, 0, sizeof(cid.peer));
	cid.peer.ss_family = AF_UNSPEC;
	cid.peer.__data[20] = 1;	/* AF_UNSPEC must be all zero */
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EINVAL);
	memset(&cid.peer, 0, sizeof(cid.peer));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(4433);
	sin->sin_addr.s_addr = htonl(0x0a000001);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), 0);
}

/* No ID may be a prefix of another one of its direction, either way */
TEST_F(bad, cid_prefixes)
{
	struct quic_cid cid8 = good_cid(1, QUIC_DIR_TX, 8, 0x22);
	struct quic_cid cid4 = good_cid(1, QUIC_DIR_TX, 4, 0x22);
	struct quic_cid cid12 = good_cid(1, QUIC_DIR_TX, 12, 0x22);
	struct quic_cid rx4 = good_cid(1, QUIC_DIR_RX, 4, 0x22);

	ASSERT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid8, sizeof(cid8)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid4, sizeof(cid4)), -EEXIST);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid12, sizeof(cid12)),
		  -EEXIST);
	/* The other direction is another namespace */
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &rx4, sizeof(rx4)), 0);
	/* Once the 8-byte ID is gone, a shorter one is fine */
	ASSERT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid8, sizeof(cid8)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid4, sizeof(cid4)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid12, sizeof(cid12)),
		  -EEXIST);
	cid12.id[3] ^= 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid12, sizeof(cid12)), 0);
}

TEST_F(bad, cid_del)
{
	struct quic_key key = good_key(2);
	struct quic_cid cid = good_cid(1, QUIC_DIR_RX, 8, 0x33);

	ASSERT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	ASSERT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), 0);
	/* Only the connection it belongs to may remove it */
	cid.conn = 2;
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	cid.conn = 1;
	cid.dir = QUIC_DIR_TX;
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), -ENOENT);
	cid.dir = QUIC_DIR_RX;
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), 0);
}

TEST_F(bad, cid_limit)
{
	struct quic_conn_info info;
	struct quic_cid cid;
	int i;

	for (i = 0; i < QUIC_MAX_CIDS; i++) {
		cid = good_cid(1, QUIC_DIR_RX, 8, 0);
		memcpy(cid.id, &i, sizeof(i));
		ASSERT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), 0);
	}
	cid.id[7] = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_ADD_CID, &cid, sizeof(cid)), -ENOSPC);
	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	EXPECT_EQ(info.rx.cids, QUIC_MAX_CIDS);
	/* Removing the connection removes its IDs */
	ASSERT_EQ(quic_del_conn(self->fd, 1), 0);
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CID, &cid, sizeof(cid)), -ENOENT);
}

TEST_F(bad, conn_ops)
{
	struct quic_conn_info info = { .conn = 1 };
	socklen_t len = sizeof(info) - 1;
	struct quic_discard d = { .conn = 1, .dir = 0 };
	uint64_t handle = 1;

	EXPECT_EQ(quic_del_conn(self->fd, 7), -ENOENT);
	EXPECT_EQ(setopt(self->fd, QUIC_DEL_CONN, &handle, sizeof(handle)),
		  -EINVAL);
	EXPECT_EQ(quic_conn_info(self->fd, 7, &info), -ENOENT);
	EXPECT_EQ(getsockopt(self->fd, SOL_UDP, QUIC_CONN_INFO, &info, &len), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(setopt(self->fd, QUIC_DISCARD_OLD_KEY, &d, sizeof(d)), -EINVAL);
	d.dir = 4;
	EXPECT_EQ(setopt(self->fd, QUIC_DISCARD_OLD_KEY, &d, sizeof(d)), -EINVAL);
	d.dir = QUIC_DIR_TX | QUIC_DIR_RX;
	d.conn = 7;
	EXPECT_EQ(setopt(self->fd, QUIC_DISCARD_OLD_KEY, &d, sizeof(d)), -ENOENT);
	d.conn = 1;
	EXPECT_EQ(setopt(self->fd, QUIC_DISCARD_OLD_KEY, &d, sizeof(d)), 0);
	EXPECT_EQ(quic_del_conn(self->fd, 1), 0);
	EXPECT_EQ(quic_del_conn(self->fd, 1), -ENOENT);
}

/* What QUIC_CONN_INFO returns holds no key material */
TEST_F(bad, no_secrets_out)
{
	struct quic_conn_info info;
	uint8_t *p = (uint8_t *)&info;
	size_t i;

	ASSERT_EQ(quic_conn_info(self->fd, 1, &info), 0);
	for (i = 0; i + 7 <= sizeof(info); i++)
		EXPECT_NE(memcmp(p + i, secret, 7), 0);
}

static int read_param(const char *name)
{
	char path[128];
	int val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/quic/parameters/%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static int write_param(const char *name, int val)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/quic/parameters/%s", name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", val);
	return fclose(f);
}

/* The per-socket connection limit (module parameter max_connections) */
TEST_F(bad, conn_limit)
{
	int limit = read_param("max_connections");
	struct quic_key key;
	uint32_t i;

	if (limit < 0)
		SKIP(return, "no /sys/module/quic");
	ASSERT_EQ(write_param("max_connections", 3), 0);
	for (i = 2; i <= 3; i++) {
		key = good_key(i);
		EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), 0);
	}
	key = good_key(4);
	EXPECT_EQ(setopt(self->fd, QUIC_RX_KEY, &key, sizeof(key)), -ENOSPC);
	/* An existing connection still takes keys */
	key = good_key(3);
	EXPECT_EQ(setopt(self->fd, QUIC_TX_KEY, &key, sizeof(key)), 0);
	ASSERT_EQ(write_param("max_connections", limit), 0);
}

/* A packet that matches a zero-length ID by address and another
 * connection's ID is refused, not protected with a guess
 */
TEST(ambiguous_packet)
{
	struct sockaddr_storage a, b;
	struct quic_key k1 = good_key(1), k2 = good_key(2);
	struct quic_cid by_addr = good_cid(1, QUIC_DIR_TX, 0, 0);
	struct quic_cid by_id = good_cid(2, QUIC_DIR_TX, 4, 0x44);
	uint8_t pkt[200];
	socklen_t alen, blen;
	int fd, peer;

	fd = quic_udp_socket(AF_INET, false, &a, &alen);
	peer = quic_udp_socket(AF_INET, true, &b, &blen);
	ASSERT_GE(fd, 0);
	ASSERT_GE(peer, 0);
	ASSERT_EQ(quic_attach(fd), 0);
	ASSERT_EQ(setopt(fd, QUIC_TX_KEY, &k1, sizeof(k1)), 0);
	ASSERT_EQ(setopt(fd, QUIC_TX_KEY, &k2, sizeof(k2)), 0);
	memcpy(&by_addr.peer, &b, sizeof(b));
	ASSERT_EQ(setopt(fd, QUIC_ADD_CID, &by_addr, sizeof(by_addr)), 0);
	ASSERT_EQ(setopt(fd, QUIC_ADD_CID, &by_id, sizeof(by_id)), 0);

	quic_build(pkt, sizeof(pkt), by_id.id, 4, 1, 1, false, 1);
	EXPECT_EQ(quic_send(fd, pkt, sizeof(pkt), 0, &b), -1);
	EXPECT_EQ(errno, ENOTUNIQ);
	usleep(100000);
	EXPECT_EQ(recv(peer, pkt, sizeof(pkt), MSG_DONTWAIT), -1);
	EXPECT_EQ(errno, EAGAIN);
	close(fd);
	close(peer);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
