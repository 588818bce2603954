// SPDX-License-Identifier: GPL-2.0
/*
 * sock_diag of quic ULP sockets: a UDP socket with the ULP answers an
 * inet_diag request that sets the INET_DIAG_INFO bit of idiag_ext with an
 * INET_DIAG_ULP_INFO nest, as TCP's ULPs do:
 *
 *   INET_DIAG_ULP_INFO
 *     INET_ULP_INFO_NAME   "quic"
 *     INET_ULP_INFO_QUIC
 *       QUIC_ULP_DIAG_CONNS  u32, the socket's connections
 *
 * Both ways of asking (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, struct
 * inet_diag_req_v2, IPPROTO_UDP) are checked: a dump of every UDP socket
 * of the family, where the test's socket is found by its inode, and a
 * dump_one naming the socket by its addresses and SO_COOKIE. The count
 * is exact as connections come and go (0, 1, 1000 and back); a UDP
 * socket without the ULP, or a request without the INET_DIAG_INFO bit,
 * gets no ULP nest; a socket closed is in no reply while the others
 * still are. Each for IPv4 and IPv6, unconnected and connected.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

/* Headers from before the ULP's sock_diag lack these. INET_ULP_INFO_QUIC
 * is an enumerator, invisible to the preprocessor: the macro stands for
 * it, with the value the enum gives it (the next after MPTCP's).
 */
#ifndef INET_ULP_INFO_QUIC
#define INET_ULP_INFO_QUIC	(INET_ULP_INFO_MPTCP + 1)
#endif
#ifndef QUIC_ULP_DIAG_MAX
#define QUIC_ULP_DIAG_CONNS	1
#endif
#ifndef SO_COOKIE
#define SO_COOKIE		57
#endif

#define CIPHER		QUIC_ULP_CIPHER_AES_128_GCM_SHA256
#define MANY		1000
#define NL_BUF		65536
#define EXT_INFO	(1 << (INET_DIAG_INFO - 1))

/* A socket as diag names it */
struct sock_id {
	int family;
	uint32_t inode;
	uint64_t cookie;
	struct sockaddr_storage local, remote;	/* remote: AF_UNSPEC if none */
};

/* What the replies said about one socket */
struct diag {
	unsigned int msgs;	/* messages for the socket */
	uint64_t cookie;
	unsigned int ulp_nests;	/* INET_DIAG_ULP_INFO */
	int name_len;		/* INET_ULP_INFO_NAME's payload, -1: none */
	char name[32];
	unsigned int quic_nests;	/* INET_ULP_INFO_QUIC */
	unsigned int conns_attrs;	/* QUIC_ULP_DIAG_CONNS */
	uint32_t conns;
	bool malformed;
};

/* --- netlink attributes ------------------------------------------------- */

static bool at_ok(const struct nlattr *a, int rem)
{
	return rem >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem;
}

static const struct nlattr *at_next(const struct nlattr *a, int *rem)
{
	int len = NLA_ALIGN(a->nla_len);

	*rem -= len;
	return (const struct nlattr *)((const char *)a + len);
}

static int at_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static const void *at_data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int at_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* What is left after the last attribute: nothing, or padding */
static bool at_end(int rem)
{
	return rem >= 0 && rem < NLA_ALIGNTO;
}

static void parse_quic(const struct nlattr *nest, struct diag *d)
{
	const struct nlattr *a = at_data(nest);
	int rem = at_len(nest);

	for (; at_ok(a, rem); a = at_next(a, &rem)) {
		if (at_type(a) != QUIC_ULP_DIAG_CONNS)
			continue;
		d->conns_attrs++;
		if (at_len(a) != sizeof(d->conns))
			d->malformed = true;
		else
			memcpy(&d->conns, at_data(a), sizeof(d->conns));
	}
	if (!at_end(rem))
		d->malformed = true;
}

static void parse_ulp(const struct nlattr *nest, struct diag *d)
{
	const struct nlattr *a = at_data(nest);
	int rem = at_len(nest);
	const char *s;

	for (; at_ok(a, rem); a = at_next(a, &rem)) {
		switch (at_type(a)) {
		case INET_ULP_INFO_NAME:
			s = at_data(a);
			d->name_len = at_len(a);
			/* a string attribute, NUL included */
			if (!d->name_len || s[d->name_len - 1] ||
			    d->name_len > (int)sizeof(d->name)) {
				d->malformed = true;
				break;
			}
			memcpy(d->name, s, d->name_len);
			break;
		case INET_ULP_INFO_QUIC:
			d->quic_nests++;
			parse_quic(a, d);
			break;
		}
	}
	if (!at_end(rem))
		d->malformed = true;
}

static void parse_msg(const struct nlmsghdr *nlh, struct diag *d)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nlh);
	const struct nlattr *a;
	int rem;

	d->msgs++;
	d->cookie = m->id.idiag_cookie[0] |
		    (uint64_t)m->id.idiag_cookie[1] << 32;
	a = (const struct nlattr *)((const char *)m + NLMSG_ALIGN(sizeof(*m)));
	rem = nlh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (; at_ok(a, rem); a = at_next(a, &rem))
		if (at_type(a) == INET_DIAG_ULP_INFO) {
			d->ulp_nests++;
			parse_ulp(a, d);
		}
	if (!at_end(rem))
		d->malformed = true;
}

/* --- requests ----------------------------------------------------------- */

static unsigned int seq;

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
			NETLINK_SOCK_DIAG);

	if (fd >= 0)
		quic_set_timeout(fd, 5000);
	return fd;
}

static void req_init(struct inet_diag_req_v2 *r, int family, uint8_t ext)
{
	memset(r, 0, sizeof(*r));
	r->sdiag_family = family;
	r->sdiag_protocol = IPPROTO_UDP;
	r->idiag_ext = ext;
	r->idiag_states = ~0U;
	r->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	r->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
}

static int diag_send(int nl, const struct inet_diag_req_v2 *r, bool dump)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0),
			.nlmsg_seq = ++seq,
		},
		.r = *r,
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(nl, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) != sizeof(msg))
		return -errno;
	return 0;
}

/*
 * The replies to the last request, to its end: every message about the
 * sockets of inode @inodes[i] parsed into @d[i]. 0, or the request's
 * negative errno.
 */
static int diag_recv(int nl, bool dump, const uint32_t *inodes,
		     struct diag *d, unsigned int n)
{
	const struct inet_diag_msg *m;
	const struct nlmsghdr *nlh;
	unsigned int i;
	char *buf = malloc(NL_BUF);
	int err = 0, len;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		memset(&d[i], 0, sizeof(d[i]));
		d[i].name_len = -1;
	}
	for (;;) {
		len = recv(nl, buf, NL_BUF, MSG_TRUNC);
		if (len < 0 || len > NL_BUF) {
			err = len < 0 ? -errno : -EMSGSIZE;
			break;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)))
					memcpy(&err, NLMSG_DATA(nlh), sizeof(int));
				goto out;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				err = e->error;
				goto out;
			}
			if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = NLMSG_DATA(nlh);
			for (i = 0; i < n; i++)
				if (m->idiag_inode == inodes[i])
					parse_msg(nlh, &d[i]);
			/* dump_one: one message, no NLMSG_DONE */
			if (!dump)
				goto out;
		}
	}
out:
	free(buf);
	return err;
}

/* A dump of every UDP socket of @family: what it says of each of the @n
 * sockets of @inodes
 */
static int diag_dump(int nl, int family, uint8_t ext, const uint32_t *inodes,
		     struct diag *d, unsigned int n)
{
	struct inet_diag_req_v2 r;
	int err;

	req_init(&r, family, ext);
	err = diag_send(nl, &r, true);
	return err ?: diag_recv(nl, true, inodes, d, n);
}

/* dump_one of @s, by its addresses and its cookie @cookie */
static int diag_one_cookie(int nl, const struct sock_id *s, uint8_t ext,
			   uint64_t cookie, struct diag *d)
{
	const struct sockaddr_in *l4 = (const void *)&s->local;
	const struct sockaddr_in *r4 = (const void *)&s->remote;
	const struct sockaddr_in6 *l6 = (const void *)&s->local;
	const struct sockaddr_in6 *r6 = (const void *)&s->remote;
	struct inet_diag_req_v2 r;
	int err;

	req_init(&r, s->family, ext);
	/* udp_diag looks the socket up as a packet it receives: the
	 * request's source is the socket's remote end (zero for an
	 * unconnected socket), the destination its local one
	 */
	if (s->family == AF_INET) {
		r.id.idiag_dport = l4->sin_port;
		memcpy(r.id.idiag_dst, &l4->sin_addr, sizeof(l4->sin_addr));
		if (s->remote.ss_family == AF_INET) {
			r.id.idiag_sport = r4->sin_port;
			memcpy(r.id.idiag_src, &r4->sin_addr,
			       sizeof(r4->sin_addr));
		}
	} else {
		r.id.idiag_dport = l6->sin6_port;
		memcpy(r.id.idiag_dst, &l6->sin6_addr, sizeof(l6->sin6_addr));
		if (s->remote.ss_family == AF_INET6) {
			r.id.idiag_sport = r6->sin6_port;
			memcpy(r.id.idiag_src, &r6->sin6_addr,
			       sizeof(r6->sin6_addr));
		}
	}
	r.id.idiag_cookie[0] = (uint32_t)cookie;
	r.id.idiag_cookie[1] = (uint32_t)(cookie >> 32);
	err = diag_send(nl, &r, false);
	return err ?: diag_recv(nl, false, &s->inode, d, 1);
}

static int diag_one(int nl, const struct sock_id *s, uint8_t ext,
		    struct diag *d)
{
	return diag_one_cookie(nl, s, ext, s->cookie, d);
}

/* --- the fixture -------------------------------------------------------- */

struct diag_test {
	int family;
	bool connected;
	int nl, peer;
	struct sockaddr_storage peer_addr;
	socklen_t peer_len;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	int ulp;		/* a ULP socket */
	struct sock_id id;	/* and its name */
};

/* A UDP socket of the test's family and kind, with the ULP if @attach;
 * @id gets its name
 */
static int new_socket(struct __test_metadata *_metadata, struct diag_test *t,
		      bool attach, struct sock_id *id)
{
	socklen_t len = sizeof(id->remote);
	uint32_t cookie_len = sizeof(id->cookie);
	struct stat st;
	int fd;

	memset(id, 0, sizeof(*id));
	fd = quic_udp_socket(t->family, false, &id->local, &len);
	if (fd < 0)
		return -1;
	id->family = t->family;
	if (t->connected) {
		EXPECT_EQ(connect(fd, (struct sockaddr *)&t->peer_addr,
				  t->peer_len), 0);
		len = sizeof(id->remote);
		EXPECT_EQ(getpeername(fd, (struct sockaddr *)&id->remote,
				      &len), 0);
	}
	EXPECT_EQ(fstat(fd, &st), 0);
	id->inode = st.st_ino;
	EXPECT_EQ(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &id->cookie,
			     &cookie_len), 0);
	if (attach)
		EXPECT_EQ(quic_attach(fd), 0);
	return fd;
}

static int add_key(struct diag_test *t, int fd, uint32_t conn, bool rx)
{
	return quic_set_key(fd, rx, conn, CIPHER, t->secret, 0, 0);
}

static void check(struct __test_metadata *_metadata, const struct diag *d,
		  const struct sock_id *s, bool ulp, uint32_t conns,
		  const char *how)
{
	ASSERT_EQ(d->msgs, 1U)
		TH_LOG("%s: %u messages about inode %u", how, d->msgs, s->inode);
	EXPECT_FALSE(d->malformed) TH_LOG("%s: malformed attributes", how);
	EXPECT_EQ(d->cookie, s->cookie) TH_LOG("%s: another socket's cookie", how);
	if (!ulp) {
		EXPECT_EQ(d->ulp_nests, 0U)
			TH_LOG("%s: INET_DIAG_ULP_INFO where none is due", how);
		return;
	}
	ASSERT_EQ(d->ulp_nests, 1U) TH_LOG("%s: INET_DIAG_ULP_INFO", how);
	EXPECT_EQ(d->name_len, (int)sizeof(QUIC_ULP_NAME))
		TH_LOG("%s: INET_ULP_INFO_NAME of %d bytes", how, d->name_len);
	EXPECT_STREQ(d->name, QUIC_ULP_NAME);
	ASSERT_EQ(d->quic_nests, 1U) TH_LOG("%s: INET_ULP_INFO_QUIC", how);
	ASSERT_EQ(d->conns_attrs, 1U) TH_LOG("%s: QUIC_ULP_DIAG_CONNS", how);
	EXPECT_EQ(d->conns, conns) TH_LOG("%s: connections", how);
}

/* Both ways of asking about @s, with the INET_DIAG_INFO bit: the ULP's
 * nest when @ulp, with @conns connections
 */
static void expect_diag(struct __test_metadata *_metadata,
			struct diag_test *t, const struct sock_id *s, bool ulp,
			uint32_t conns)
{
	struct diag d;

	ASSERT_EQ(diag_dump(t->nl, s->family, EXT_INFO, &s->inode, &d, 1), 0);
	check(_metadata, &d, s, ulp, conns, "dump");
	ASSERT_EQ(diag_one(t->nl, s, EXT_INFO, &d), 0);
	check(_metadata, &d, s, ulp, conns, "dump_one");
}

FIXTURE(diag)
{
	struct diag_test t;
};

FIXTURE_VARIANT(diag)
{
	int family;
	bool connected;
};

FIXTURE_VARIANT_ADD(diag, ipv4)
{
	.family = AF_INET,
};

FIXTURE_VARIANT_ADD(diag, ipv6)
{
	.family = AF_INET6,
};

FIXTURE_VARIANT_ADD(diag, ipv4_connected)
{
	.family = AF_INET,
	.connected = true,
};

FIXTURE_VARIANT_ADD(diag, ipv6_connected)
{
	.family = AF_INET6,
	.connected = true,
};

FIXTURE_SETUP(diag)
{
	struct diag_test *t = &self->t;
	struct diag d;
	int err;

	t->nl = -1;
	t->peer = -1;
	t->ulp = -1;
	t->family = variant->family;
	t->connected = variant->connected;
	quic_random(t->secret, sizeof(t->secret));

	t->nl = nl_open();
	if (t->nl < 0 && errno == EPROTONOSUPPORT)
		SKIP(return, "no NETLINK_SOCK_DIAG");
	ASSERT_GE(t->nl, 0);
	t->peer = quic_udp_socket(t->family, true, &t->peer_addr,
				  &t->peer_len);
	ASSERT_GE(t->peer, 0);
	t->ulp = new_socket(_metadata, t, true, &t->id);
	ASSERT_GE(t->ulp, 0);

	err = diag_dump(t->nl, t->family, 0, &t->id.inode, &d, 1);
	if (err == -ENOENT || err == -EOPNOTSUPP)
		SKIP(return, "no UDP sock_diag (CONFIG_INET_UDP_DIAG): %s",
		     strerror(-err));
	ASSERT_EQ(err, 0) TH_LOG("dump: %s", strerror(-err));
}

FIXTURE_TEARDOWN(diag)
{
	struct diag_test *t = &self->t;

	if (t->ulp >= 0)
		close(t->ulp);
	if (t->peer >= 0)
		close(t->peer);
	if (t->nl >= 0)
		close(t->nl);
}

/* A UDP socket without the ULP has no ULP nest, beside one with it */
TEST_F(diag, plain_socket)
{
	struct diag_test *t = &self->t;
	uint32_t inodes[2];
	struct sock_id plain;
	struct diag d[2];
	int fd;

	fd = new_socket(_metadata, t, false, &plain);
	ASSERT_GE(fd, 0);
	expect_diag(_metadata, t, &plain, false, 0);

	inodes[0] = plain.inode;
	inodes[1] = t->id.inode;
	ASSERT_EQ(diag_dump(t->nl, t->family, EXT_INFO, inodes, d, 2), 0);
	check(_metadata, &d[0], &plain, false, 0, "dump, plain socket");
	check(_metadata, &d[1], &t->id, true, 0, "dump, ULP socket");
	close(fd);
}

/* Attached, no connection yet */
TEST_F(diag, no_conns)
{
	expect_diag(_metadata, &self->t, &self->t.id, true, 0);
}

/* Without the INET_DIAG_INFO bit, whatever other bits: no ULP nest */
TEST_F(diag, no_info_bit)
{
	static const uint8_t exts[] = { 0, (uint8_t)~EXT_INFO };
	struct diag_test *t = &self->t;
	struct diag d;
	unsigned int i;

	ASSERT_EQ(add_key(t, t->ulp, 1, false), 0);
	for (i = 0; i < ARRAY_SIZE(exts); i++) {
		ASSERT_EQ(diag_dump(t->nl, t->family, exts[i], &t->id.inode,
				    &d, 1), 0);
		check(_metadata, &d, &t->id, false, 0, "dump without the bit");
		ASSERT_EQ(diag_one(t->nl, &t->id, exts[i], &d), 0);
		check(_metadata, &d, &t->id, false, 0,
		      "dump_one without the bit");
	}
	expect_diag(_metadata, t, &t->id, true, 1);
}

/* Every extension bit at once: the reply still has room for the nest */
TEST_F(diag, all_ext_bits)
{
	struct diag_test *t = &self->t;
	struct diag d;

	ASSERT_EQ(add_key(t, t->ulp, 1, false), 0);
	ASSERT_EQ(diag_dump(t->nl, t->family, 0xff, &t->id.inode, &d, 1), 0);
	check(_metadata, &d, &t->id, true, 1, "dump, every bit");
	ASSERT_EQ(diag_one(t->nl, &t->id, 0xff, &d), 0);
	check(_metadata, &d, &t->id, true, 1, "dump_one, every bit");
}

/* dump_one names the socket by its cookie too: another one is refused */
TEST_F(diag, dump_one_cookie)
{
	struct diag_test *t = &self->t;
	struct diag d;

	EXPECT_EQ(diag_one_cookie(t->nl, &t->id, EXT_INFO, t->id.cookie + 1,
				  &d), -ESTALE);
	ASSERT_EQ(diag_one_cookie(t->nl, &t->id, EXT_INFO, t->id.cookie, &d),
		  0);
	check(_metadata, &d, &t->id, true, 0, "dump_one");
}

/* The count follows connections as they come and go; keys of a second
 * direction, IDs and refused options change nothing
 */
TEST_F(diag, conn_count)
{
	struct diag_test *t = &self->t;
	uint8_t id[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	expect_diag(_metadata, t, &t->id, true, 0);
	ASSERT_EQ(add_key(t, t->ulp, 1, false), 0);
	expect_diag(_metadata, t, &t->id, true, 1);
	ASSERT_EQ(add_key(t, t->ulp, 1, true), 0);
	ASSERT_EQ(quic_cid(t->ulp, true, 1, QUIC_ULP_DIR_RX, id, sizeof(id),
			   NULL), 0);
	expect_diag(_metadata, t, &t->id, true, 1);
	ASSERT_EQ(add_key(t, t->ulp, 2, true), 0);
	ASSERT_EQ(add_key(t, t->ulp, 3, false), 0);
	expect_diag(_metadata, t, &t->id, true, 3);
	EXPECT_EQ(add_key(t, t->ulp, 3, false), -EEXIST);
	EXPECT_EQ(quic_del_conn(t->ulp, 4), -ENOENT);
	EXPECT_EQ(quic_cid(t->ulp, true, 5, QUIC_ULP_DIR_RX, id, sizeof(id),
			   NULL), -ENOENT);
	expect_diag(_metadata, t, &t->id, true, 3);
	ASSERT_EQ(quic_del_conn(t->ulp, 2), 0);
	expect_diag(_metadata, t, &t->id, true, 2);
	ASSERT_EQ(quic_del_conn(t->ulp, 1), 0);
	ASSERT_EQ(quic_del_conn(t->ulp, 3), 0);
	expect_diag(_metadata, t, &t->id, true, 0);
	/* a handle used before, for a new connection */
	ASSERT_EQ(add_key(t, t->ulp, 1, true), 0);
	expect_diag(_metadata, t, &t->id, true, 1);
}

/* A thousand connections, then half of them, then none */
TEST_F(diag, thousand_conns)
{
	struct diag_test *t = &self->t;
	uint32_t c;

	for (c = 1; c <= MANY; c++) {
		ASSERT_EQ(add_key(t, t->ulp, c, c & 1), 0)
			TH_LOG("connection %u", c);
		if (c == 1 || c == 10 || c == 100)
			expect_diag(_metadata, t, &t->id, true, c);
	}
	expect_diag(_metadata, t, &t->id, true, MANY);
	for (c = 1; c <= MANY; c += 2)
		ASSERT_EQ(quic_del_conn(t->ulp, c), 0);
	expect_diag(_metadata, t, &t->id, true, MANY / 2);
	for (c = 2; c <= MANY; c += 2)
		ASSERT_EQ(quic_del_conn(t->ulp, c), 0);
	expect_diag(_metadata, t, &t->id, true, 0);
}

/* A socket closed among others: gone from the dump and from dump_one,
 * the others as they were
 */
TEST_F(diag, closed_socket)
{
	struct diag_test *t = &self->t;
	struct sock_id ids[4];
	uint32_t inodes[4];
	struct diag d[4];
	int fds[4], i;

	/* 0: the fixture's ULP socket, 1 and 2: ULP sockets, 3: plain */
	fds[0] = t->ulp;
	ids[0] = t->id;
	for (i = 1; i < 4; i++) {
		fds[i] = new_socket(_metadata, t, i < 3, &ids[i]);
		ASSERT_GE(fds[i], 0);
	}
	ASSERT_EQ(add_key(t, fds[0], 1, false), 0);
	for (i = 1; i <= 2; i++)
		ASSERT_EQ(add_key(t, fds[1], i, true), 0);
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(add_key(t, fds[2], i, false), 0);
	for (i = 0; i < 4; i++)
		inodes[i] = ids[i].inode;

	ASSERT_EQ(diag_dump(t->nl, t->family, EXT_INFO, inodes, d, 4), 0);
	check(_metadata, &d[0], &ids[0], true, 1, "dump, socket 0");
	check(_metadata, &d[1], &ids[1], true, 2, "dump, socket 1");
	check(_metadata, &d[2], &ids[2], true, 3, "dump, socket 2");
	check(_metadata, &d[3], &ids[3], false, 0, "dump, socket 3");

	close(fds[1]);
	ASSERT_EQ(diag_dump(t->nl, t->family, EXT_INFO, inodes, d, 4), 0);
	check(_metadata, &d[0], &ids[0], true, 1, "dump, socket 0");
	EXPECT_EQ(d[1].msgs, 0U) TH_LOG("the closed socket is in the dump");
	check(_metadata, &d[2], &ids[2], true, 3, "dump, socket 2");
	check(_metadata, &d[3], &ids[3], false, 0, "dump, socket 3");
	EXPECT_EQ(diag_one(t->nl, &ids[1], EXT_INFO, &d[1]), -ENOENT);
	expect_diag(_metadata, t, &ids[0], true, 1);
	expect_diag(_metadata, t, &ids[2], true, 3);

	close(fds[2]);
	close(fds[3]);
}

int main(int argc, char **argv)
{
	return quic_topo_main(argc, argv, test_harness_run);
}
