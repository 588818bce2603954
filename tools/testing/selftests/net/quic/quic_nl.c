// SPDX-License-Identifier: GPL-2.0
/*
 * The quic-ulp generic netlink family (Documentation/netlink/specs/
 * quic-ulp.yaml), spoken over raw AF_NETLINK sockets, with what it
 * reports checked against the socket API and /proc/net/quic_ulp_stat:
 *
 * stats: stats-get returns one attribute per line of quic_ulp_stat, in
 * its order, with the same values.
 *
 * dump: conn-get of a socket with 10,000 connections returns every
 * connection once, across many netlink messages, each with what
 * QUIC_ULP_CONN_INFO says about it and the socket's inode, cookie and
 * address; an unfiltered dump has the connections of every socket, one
 * filtered by an inode that is no ULP socket's has none. quic_scale sets
 * up 2,000 such connections in some 3 s under TCG: 10,000 take about
 * 15 s, the whole test well under a minute. QUIC_NL_CONNS=<n> changes
 * the count.
 *
 * permissions: an unprivileged user (nobody) reads the counters and sees
 * the connections of its own sockets only; root sees everyone's.
 *
 * notifications: a key update in each direction is one key-update-ntf on
 * the "events" group, which a listener without CAP_NET_ADMIN only gets
 * for the sockets its uid owns.
 *
 * limit_ntf: the AEAD limit of AES-128-CCM (2,965,820 packets) is one
 * limit-ntf. It takes millions of packets, so it only runs with
 * QUIC_SELFTEST_LONG=1 or QUIC_LIMITS_FULL=1 (see quic_limits.c).
 *
 * "quic_nl --hold N" is a helper of quic_ynl.sh: it makes a UDP socket on
 * 127.0.0.1 with the ULP and N connections (handles 100 to 100 + N - 1),
 * prints "<inode> <cookie> <port>" and keeps it until stdin is closed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/quic_ulp.h>

#include "../../kselftest_harness.h"
#include "quic_common.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif
#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif
/* Format checks where kselftest.h has __printf (6.12's has not) */
#ifdef __printf
#define nl_printf(a, b)	__printf(a, b)
#else
#define nl_printf(...)
#endif

#define NOBODY		65534U
#define CID_LEN		8
#define PKT_LEN		100
#define TIMEOUT_MS	3000
#define QUIET_MS	300	/* how long "no (more) events" is waited for */
#define EVENT_WAIT_MS	5000	/* how long an expected event is waited for */
#define NCONN		10000	/* the dump test's connections */
#define CHILD_WAIT_MS	60000	/* for a word from a child, or to a child */
#define HOLD_BASE	100	/* the first handle of --hold */

/*
 * A small generic netlink client: one request at a time on a socket, its
 * answer read to the end (the ACK of a do, NLMSG_DONE of a dump), every
 * message checked to belong to it. Functions return 0 or -errno and say
 * what went wrong in nl->why.
 */
#define NL_BUF_LEN	65536
#define NL_TIMEOUT_MS	30000	/* for one recv() of an answer */

struct nl {
	int fd;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;	/* the quic-ulp family's id */
	uint32_t events;	/* its "events" multicast group */
	size_t rcv_len;		/* what each recv() asks for */
	unsigned int recvs;	/* recv() calls of the last answer */
	uint8_t *buf;
	char why[256];
};

typedef int (*nl_cb)(struct nl *nl, const struct nlmsghdr *nlh, void *arg);

static int nl_printf(3, 4)
nl_fail(struct nl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nl->why, sizeof(nl->why), fmt, ap);
	va_end(ap);
	return err;
}

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
	free(nl->buf);
	nl->buf = NULL;
}

static int nl_open(struct nl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t len = sizeof(sa);
	int one = 1, err;

	memset(nl, 0, sizeof(*nl));
	nl->rcv_len = NL_BUF_LEN;
	nl->fd = -1;
	nl->buf = malloc(NL_BUF_LEN);
	if (!nl->buf)
		return nl_fail(nl, -ENOMEM, "no memory");
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl->fd < 0) {
		err = -errno;
		return nl_fail(nl, err, "socket(AF_NETLINK, NETLINK_GENERIC): %s",
			       strerror(-err));
	}
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(nl->fd, (struct sockaddr *)&sa, &len)) {
		err = -errno;
		return nl_fail(nl, err, "binding a netlink socket: %s",
			       strerror(-err));
	}
	nl->portid = sa.nl_pid;
	/* For the kernel's reason when a request fails; optional */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return 0;
}

/* A request with at most one attribute: its sequence number, or -errno */
static int nl_send(struct nl *nl, uint16_t type, uint8_t cmd, uint16_t flags,
		   uint16_t attr, const void *data, uint16_t len)
{
	struct {
		struct nlmsghdr nlh;
		struct genlmsghdr genl;
		uint8_t attrs[64];
	} req;
	struct nlattr *nla = (struct nlattr *)req.attrs;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	int err;

	if (NLA_HDRLEN + (size_t)len > sizeof(req.attrs))
		return nl_fail(nl, -EINVAL, "attribute too long");
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	req.nlh.nlmsg_type = type;
	req.nlh.nlmsg_flags = NLM_F_REQUEST | flags;
	req.nlh.nlmsg_seq = ++nl->seq;
	req.nlh.nlmsg_pid = nl->portid;
	req.genl.cmd = cmd;
	req.genl.version = 1;
	if (attr) {
		nla->nla_type = attr;
		nla->nla_len = NLA_HDRLEN + len;
		memcpy(req.attrs + NLA_HDRLEN, data, len);
		req.nlh.nlmsg_len += NLA_ALIGN(nla->nla_len);
	}
	if (sendto(nl->fd, &req, req.nlh.nlmsg_len, 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) !=
	    (ssize_t)req.nlh.nlmsg_len) {
		err = -errno;
		return nl_fail(nl, err, "sending a netlink request: %s",
			       strerror(-err));
	}
	return req.nlh.nlmsg_seq;
}

/* One datagram from the kernel into nl->buf, within @ms: its length */
static int nl_recv(struct nl *nl, int ms)
{
	struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
	struct sockaddr_nl from;
	struct iovec iov = { .iov_base = nl->buf, .iov_len = nl->rcv_len };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;
	int err;

	err = poll(&pfd, 1, ms);
	if (err <= 0) {
		err = err ? -errno : -ETIMEDOUT;
		return nl_fail(nl, err, "waiting for netlink: %s",
			       strerror(-err));
	}
	n = recvmsg(nl->fd, &msg, MSG_DONTWAIT);
	if (n < 0) {
		err = -errno;
		return nl_fail(nl, err, "recv() on netlink: %s",
			       strerror(-err));
	}
	if (msg.msg_flags & MSG_TRUNC)
		return nl_fail(nl, -EMSGSIZE,
			       "a netlink datagram longer than %zu bytes",
			       nl->rcv_len);
	if (from.nl_pid)
		return nl_fail(nl, -EPROTO, "a datagram from port %u",
			       from.nl_pid);
	nl->recvs++;
	return (int)n;
}

/* The messages of a datagram of @len bytes, their length checked */
static bool msg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

static const struct nlmsghdr *msg_next(const struct nlmsghdr *nlh, int *len)
{
	*len -= NLMSG_ALIGN(nlh->nlmsg_len);
	return (const struct nlmsghdr *)((const uint8_t *)nlh +
					 NLMSG_ALIGN(nlh->nlmsg_len));
}

/*
 * Attributes, their length checked, in [head, head + len): the loops
 * end with rem 0 unless the attributes were malformed
 */
struct attr_iter {
	const uint8_t *pos;
	int rem;
};

static const struct nlattr *attr_cur(const struct attr_iter *it)
{
	const struct nlattr *a = (const struct nlattr *)it->pos;

	if (it->rem < NLA_HDRLEN || a->nla_len < NLA_HDRLEN ||
	    a->nla_len > it->rem)
		return NULL;
	return a;
}

static const struct nlattr *attr_first(struct attr_iter *it,
				       const void *head, int len)
{
	it->pos = head;
	it->rem = len;
	return attr_cur(it);
}

static const struct nlattr *attr_next(struct attr_iter *it)
{
	const struct nlattr *a = (const struct nlattr *)it->pos;

	it->pos += NLA_ALIGN(a->nla_len);
	it->rem -= NLA_ALIGN(a->nla_len);
	return attr_cur(it);
}

static int attr_type(const struct nlattr *a)
{
	return a->nla_type & NLA_TYPE_MASK;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static int attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

/* A fixed-size attribute into @out: false if it has another size */
static bool attr_get(const struct nlattr *a, void *out, int size)
{
	if (attr_len(a) != size)
		return false;
	memcpy(out, attr_data(a), size);
	return true;
}

/* NLA_UINT: 4 or 8 bytes */
static bool attr_get_uint(const struct nlattr *a, uint64_t *out)
{
	uint32_t v;

	if (attr_get(a, &v, sizeof(v))) {
		*out = v;
		return true;
	}
	return attr_get(a, out, sizeof(*out));
}

/* The attributes of a generic netlink message */
static const struct nlattr *genl_attrs(const struct nlmsghdr *nlh, int *len)
{
	if (nlh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN)) {
		*len = -1;
		return NULL;
	}
	*len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	return (const struct nlattr *)((const uint8_t *)NLMSG_DATA(nlh) +
				       GENL_HDRLEN);
}

static uint8_t genl_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

/* NLMSG_ERROR: 0 for an ACK, else the error and the kernel's reason */
static int nl_error(struct nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = NLMSG_DATA(nlh);
	const char *msg = NULL;
	const struct nlattr *a;
	struct attr_iter it;
	int off, msg_len = 0;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
		return nl_fail(nl, -EPROTO, "a short NLMSG_ERROR");
	if (!e->error)
		return 0;
	if (e->error > 0 || e->error < -4095)
		return nl_fail(nl, -EPROTO, "NLMSG_ERROR with error %d",
			       e->error);
	/* The extended ACK's TLVs follow the request, or its header */
	off = sizeof(*e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	off = NLMSG_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) ||
	    (size_t)off >= nlh->nlmsg_len - NLMSG_HDRLEN)
		goto out;
	for (a = attr_first(&it, (const uint8_t *)e + off,
			    (int)(nlh->nlmsg_len - NLMSG_HDRLEN) - off);
	     a; a = attr_next(&it)) {
		if (attr_type(a) == NLMSGERR_ATTR_MSG) {
			msg = attr_data(a);
			msg_len = strnlen(msg, attr_len(a));
		}
	}
out:
	return nl_fail(nl, e->error, "%s%s%.*s", strerror(-e->error),
		       msg ? ": " : "", msg_len, msg ? msg : "");
}

/*
 * The answer to request @seq: @cb for each message of it, until the ACK
 * (@dump false: the request had NLM_F_ACK) or NLMSG_DONE (@dump true).
 */
static int nl_answer(struct nl *nl, int seq, bool dump, nl_cb cb, void *arg)
{
	const struct nlmsghdr *nlh;
	int len, err, done;

	if (seq < 0)
		return seq;
	nl->recvs = 0;
	for (;;) {
		len = nl_recv(nl, NL_TIMEOUT_MS);
		if (len < 0)
			return len;
		for (nlh = (const struct nlmsghdr *)nl->buf; msg_ok(nlh, len);
		     nlh = msg_next(nlh, &len)) {
			if (nlh->nlmsg_seq != (uint32_t)seq ||
			    nlh->nlmsg_pid != nl->portid)
				return nl_fail(nl, -EPROTO,
					       "message %u to port %u in the answer to %d",
					       nlh->nlmsg_seq, nlh->nlmsg_pid,
					       seq);
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				continue;
			case NLMSG_ERROR:
				err = nl_error(nl, nlh);
				if (err || !dump)
					return err;
				return nl_fail(nl, -EPROTO,
					       "an ACK in the middle of a dump");
			case NLMSG_DONE:
				if (!dump)
					return nl_fail(nl, -EPROTO,
						       "NLMSG_DONE in the answer to a do");
				done = 0;
				if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(done)))
					memcpy(&done, NLMSG_DATA(nlh),
					       sizeof(done));
				if (done < 0)
					return nl_fail(nl, done,
						       "the dump failed: %s",
						       strerror(-done));
				return 0;
			default:
				if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
					return nl_fail(nl, -EPROTO,
						       "message type %u",
						       nlh->nlmsg_type);
				err = cb(nl, nlh, arg);
				if (err)
					return err;
			}
		}
		if (len > 0)
			return nl_fail(nl, -EPROTO,
				       "%d bytes of a truncated message", len);
	}
}

/* CTRL_CMD_GETFAMILY: the family's id and its "events" group */
static int ctrl_cb(struct nl *nl, const struct nlmsghdr *nlh, void *arg)
{
	const struct nlattr *a, *g, *ga;
	struct attr_iter it, git, gait;
	const char *name;
	int len, name_len;
	uint32_t id;

	a = genl_attrs(nlh, &len);
	if (nlh->nlmsg_type != GENL_ID_CTRL || len < 0)
		return nl_fail(nl, -EPROTO, "a bad answer to CTRL_CMD_GETFAMILY");
	for (a = attr_first(&it, a, len); a; a = attr_next(&it)) {
		if (attr_type(a) == CTRL_ATTR_FAMILY_ID &&
		    !attr_get(a, &nl->family, sizeof(nl->family)))
			return nl_fail(nl, -EPROTO, "CTRL_ATTR_FAMILY_ID size");
		if (attr_type(a) != CTRL_ATTR_MCAST_GROUPS)
			continue;
		for (g = attr_first(&git, attr_data(a), attr_len(a)); g;
		     g = attr_next(&git)) {
			name = NULL;
			name_len = 0;
			id = 0;
			for (ga = attr_first(&gait, attr_data(g), attr_len(g));
			     ga; ga = attr_next(&gait)) {
				if (attr_type(ga) == CTRL_ATTR_MCAST_GRP_NAME) {
					name = attr_data(ga);
					name_len = attr_len(ga);
				}
				if (attr_type(ga) == CTRL_ATTR_MCAST_GRP_ID &&
				    !attr_get(ga, &id, sizeof(id)))
					return nl_fail(nl, -EPROTO,
						       "CTRL_ATTR_MCAST_GRP_ID size");
			}
			if (name && name_len == sizeof(QUIC_ULP_MCGRP_EVENTS) &&
			    !memcmp(name, QUIC_ULP_MCGRP_EVENTS, name_len))
				nl->events = id;
		}
	}
	return 0;
}

static int nl_resolve(struct nl *nl)
{
	int seq, err;

	seq = nl_send(nl, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK,
		      CTRL_ATTR_FAMILY_NAME, QUIC_ULP_FAMILY_NAME,
		      sizeof(QUIC_ULP_FAMILY_NAME));
	err = nl_answer(nl, seq, false, ctrl_cb, NULL);
	if (err == -ENOENT)
		return nl_fail(nl, err, "no generic netlink family \"%s\"",
			       QUIC_ULP_FAMILY_NAME);
	if (err)
		return err;
	if (!nl->family)
		return nl_fail(nl, -EPROTO, "no family id for \"%s\"",
			       QUIC_ULP_FAMILY_NAME);
	if (!nl->events)
		return nl_fail(nl, -ENOENT, "\"%s\" has no \"%s\" group",
			       QUIC_ULP_FAMILY_NAME, QUIC_ULP_MCGRP_EVENTS);
	return 0;
}

/* A netlink socket that knows the family */
static int nl_open_family(struct nl *nl)
{
	int err = nl_open(nl);

	return err ? err : nl_resolve(nl);
}

static int nl_join(struct nl *nl)
{
	int err;

	if (setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		       &nl->events, sizeof(nl->events))) {
		err = -errno;
		return nl_fail(nl, err, "joining group %u: %s", nl->events,
			       strerror(-err));
	}
	return 0;
}

/* stats-get */
struct nl_stats {
	uint64_t val[QUIC_ULP_A_STATS_MAX + 1];
	uint8_t len[QUIC_ULP_A_STATS_MAX + 1];	/* 0: absent */
	unsigned int nattrs;			/* every attribute */
	unsigned int replies;
};

static int stats_cb(struct nl *nl, const struct nlmsghdr *nlh, void *arg)
{
	struct nl_stats *st = arg;
	const struct nlattr *a;
	struct attr_iter it;
	int len, t;

	a = genl_attrs(nlh, &len);
	if (nlh->nlmsg_type != nl->family || len < 0 ||
	    genl_cmd(nlh) != QUIC_ULP_CMD_STATS_GET)
		return nl_fail(nl, -EPROTO, "a bad stats-get reply");
	st->replies++;
	for (a = attr_first(&it, a, len); a; a = attr_next(&it)) {
		t = attr_type(a);
		st->nattrs++;
		if (t < 1 || t > QUIC_ULP_A_STATS_MAX)
			continue;
		if (st->len[t])
			return nl_fail(nl, -EPROTO, "stats attribute %d twice",
				       t);
		if (!attr_get_uint(a, &st->val[t]))
			return nl_fail(nl, -EPROTO,
				       "stats attribute %d of %d bytes, not a uint",
				       t, attr_len(a));
		st->len[t] = attr_len(a);
	}
	if (it.rem)
		return nl_fail(nl, -EPROTO, "malformed stats attributes");
	return 0;
}

static int nl_stats(struct nl *nl, struct nl_stats *st)
{
	int seq, err;

	memset(st, 0, sizeof(*st));
	seq = nl_send(nl, nl->family, QUIC_ULP_CMD_STATS_GET, NLM_F_ACK, 0,
		      NULL, 0);
	err = nl_answer(nl, seq, false, stats_cb, st);
	if (!err && st->replies != 1)
		return nl_fail(nl, -EPROTO, "%u replies to stats-get",
			       st->replies);
	return err;
}

/* conn-get: one connection */
struct nl_dir {
	uint32_t seen;		/* BIT(QUIC_ULP_A_DIR_INFO_*) of those present */
	uint64_t packets, bytes, largest_pn, key_packets, old_key_packets;
	uint64_t auth_failures, refused;
	uint32_t key_updates, cids, crypto_path;
	uint8_t key_phase;
};

struct nl_conn {
	uint32_t seen;		/* BIT(QUIC_ULP_A_CONN_*) */
	uint64_t ino, cookie;
	uint32_t uid, handle, cipher, version;
	uint8_t local_addr[16], peer_addr[16];
	uint16_t local_port, peer_port;	/* network order, as sent */
	struct nl_dir tx, rx;
};

#define BIT(n)	(1U << (n))

/* Names and types of the attributes, as the spec gives them, for errors */
struct attr_desc {
	const char *name, *type;
};

static const struct attr_desc dir_desc[QUIC_ULP_A_DIR_INFO_MAX + 1] = {
	[QUIC_ULP_A_DIR_INFO_PACKETS] = { "packets", "uint" },
	[QUIC_ULP_A_DIR_INFO_BYTES] = { "bytes", "uint" },
	[QUIC_ULP_A_DIR_INFO_LARGEST_PN] = { "largest-pn", "uint" },
	[QUIC_ULP_A_DIR_INFO_KEY_UPDATES] = { "key-updates", "u32" },
	[QUIC_ULP_A_DIR_INFO_KEY_PHASE] = { "key-phase", "u8" },
	[QUIC_ULP_A_DIR_INFO_KEY_PACKETS] = { "key-packets", "uint" },
	[QUIC_ULP_A_DIR_INFO_OLD_KEY_PACKETS] = { "old-key-packets", "uint" },
	[QUIC_ULP_A_DIR_INFO_AUTH_FAILURES] = { "auth-failures", "uint" },
	[QUIC_ULP_A_DIR_INFO_REFUSED] = { "refused", "uint" },
	[QUIC_ULP_A_DIR_INFO_CIDS] = { "cids", "u32" },
	[QUIC_ULP_A_DIR_INFO_KEYS] = { "keys", "flag" },
	[QUIC_ULP_A_DIR_INFO_OLD_KEYS] = { "old-keys", "flag" },
	[QUIC_ULP_A_DIR_INFO_NEXT_KEYS] = { "next-keys", "flag" },
	[QUIC_ULP_A_DIR_INFO_LIMIT] = { "limit", "flag" },
	[QUIC_ULP_A_DIR_INFO_CRYPTO_PATH] = { "crypto-path", "u32" },
	[QUIC_ULP_A_DIR_INFO_DEVICE_PACKETS] = { "device-packets", "uint" },
	[QUIC_ULP_A_DIR_INFO_DEVICE_IFINDEX] = { "device-ifindex", "u32" },
};

static const struct attr_desc conn_desc[QUIC_ULP_A_CONN_MAX + 1] = {
	[QUIC_ULP_A_CONN_SOCK_INO] = { "sock-ino", "uint" },
	[QUIC_ULP_A_CONN_SOCK_COOKIE] = { "sock-cookie", "uint" },
	[QUIC_ULP_A_CONN_SOCK_UID] = { "sock-uid", "u32" },
	[QUIC_ULP_A_CONN_LOCAL_ADDR] = { "local-addr", "16-byte binary" },
	[QUIC_ULP_A_CONN_LOCAL_PORT] = { "local-port", "u16" },
	[QUIC_ULP_A_CONN_PEER_ADDR] = { "peer-addr", "16-byte binary" },
	[QUIC_ULP_A_CONN_PEER_PORT] = { "peer-port", "u16" },
	[QUIC_ULP_A_CONN_HANDLE] = { "handle", "u32" },
	[QUIC_ULP_A_CONN_CIPHER] = { "cipher", "u32" },
	[QUIC_ULP_A_CONN_VERSION] = { "version", "u32" },
	[QUIC_ULP_A_CONN_TX] = { "tx", "nest" },
	[QUIC_ULP_A_CONN_RX] = { "rx", "nest" },
};

static const struct attr_desc event_desc[QUIC_ULP_A_EVENT_MAX + 1] = {
	[QUIC_ULP_A_EVENT_SOCK_INO] = { "sock-ino", "uint" },
	[QUIC_ULP_A_EVENT_SOCK_COOKIE] = { "sock-cookie", "uint" },
	[QUIC_ULP_A_EVENT_HANDLE] = { "handle", "u32" },
	[QUIC_ULP_A_EVENT_DIR] = { "dir", "u32" },
	[QUIC_ULP_A_EVENT_KEY_UPDATES] = { "key-updates", "u32" },
	[QUIC_ULP_A_EVENT_PACKETS] = { "packets", "uint" },
};

static int bad_attr(struct nl *nl, const char *what,
		    const struct attr_desc *desc, const struct nlattr *a)
{
	const struct attr_desc *d = &desc[attr_type(a)];

	return nl_fail(nl, -EPROTO, "%s: %s is %d bytes, not a %s", what,
		       d->name, attr_len(a), d->type);
}

static int parse_dir(struct nl *nl, const struct nlattr *nest,
		     struct nl_dir *d)
{
	const struct nlattr *a;
	bool ok = true;
	struct attr_iter it;
	int t;

	for (a = attr_first(&it, attr_data(nest), attr_len(nest)); a;
	     a = attr_next(&it)) {
		t = attr_type(a);
		if (t < 1 || t > QUIC_ULP_A_DIR_INFO_MAX)
			continue;	/* a newer kernel's */
		if (d->seen & BIT(t))
			return nl_fail(nl, -EPROTO, "dir-info %s twice",
				       dir_desc[t].name);
		d->seen |= BIT(t);
		switch (t) {
		case QUIC_ULP_A_DIR_INFO_PACKETS:
			ok = attr_get_uint(a, &d->packets);
			break;
		case QUIC_ULP_A_DIR_INFO_BYTES:
			ok = attr_get_uint(a, &d->bytes);
			break;
		case QUIC_ULP_A_DIR_INFO_LARGEST_PN:
			ok = attr_get_uint(a, &d->largest_pn);
			break;
		case QUIC_ULP_A_DIR_INFO_KEY_UPDATES:
			ok = attr_get(a, &d->key_updates, 4);
			break;
		case QUIC_ULP_A_DIR_INFO_KEY_PHASE:
			ok = attr_get(a, &d->key_phase, 1);
			break;
		case QUIC_ULP_A_DIR_INFO_KEY_PACKETS:
			ok = attr_get_uint(a, &d->key_packets);
			break;
		case QUIC_ULP_A_DIR_INFO_OLD_KEY_PACKETS:
			ok = attr_get_uint(a, &d->old_key_packets);
			break;
		case QUIC_ULP_A_DIR_INFO_AUTH_FAILURES:
			ok = attr_get_uint(a, &d->auth_failures);
			break;
		case QUIC_ULP_A_DIR_INFO_REFUSED:
			ok = attr_get_uint(a, &d->refused);
			break;
		case QUIC_ULP_A_DIR_INFO_CIDS:
			ok = attr_get(a, &d->cids, 4);
			break;
		case QUIC_ULP_A_DIR_INFO_CRYPTO_PATH:
			ok = attr_get(a, &d->crypto_path, 4);
			break;
		default:	/* the flags */
			ok = attr_len(a) == 0;
		}
		if (!ok)
			return bad_attr(nl, "dir-info", dir_desc, a);
	}
	if (it.rem)
		return nl_fail(nl, -EPROTO, "malformed dir-info attributes");
	return 0;
}

static int parse_conn(struct nl *nl, const struct nlmsghdr *nlh,
		      struct nl_conn *c)
{
	const struct nlattr *a;
	bool ok = true;
	struct attr_iter it;
	int len, t, err;

	memset(c, 0, sizeof(*c));
	a = genl_attrs(nlh, &len);
	if (nlh->nlmsg_type != nl->family || len < 0 ||
	    genl_cmd(nlh) != QUIC_ULP_CMD_CONN_GET)
		return nl_fail(nl, -EPROTO, "a bad conn-get message");
	for (a = attr_first(&it, a, len); a; a = attr_next(&it)) {
		t = attr_type(a);
		if (t < 1 || t > QUIC_ULP_A_CONN_MAX)
			continue;
		if (c->seen & BIT(t))
			return nl_fail(nl, -EPROTO, "conn-get: %s twice",
				       conn_desc[t].name);
		c->seen |= BIT(t);
		switch (t) {
		case QUIC_ULP_A_CONN_SOCK_INO:
			ok = attr_get_uint(a, &c->ino);
			break;
		case QUIC_ULP_A_CONN_SOCK_COOKIE:
			ok = attr_get_uint(a, &c->cookie);
			break;
		case QUIC_ULP_A_CONN_SOCK_UID:
			ok = attr_get(a, &c->uid, 4);
			break;
		case QUIC_ULP_A_CONN_LOCAL_ADDR:
			ok = attr_get(a, c->local_addr, 16);
			break;
		case QUIC_ULP_A_CONN_LOCAL_PORT:
			ok = attr_get(a, &c->local_port, 2);
			break;
		case QUIC_ULP_A_CONN_PEER_ADDR:
			ok = attr_get(a, c->peer_addr, 16);
			break;
		case QUIC_ULP_A_CONN_PEER_PORT:
			ok = attr_get(a, &c->peer_port, 2);
			break;
		case QUIC_ULP_A_CONN_HANDLE:
			ok = attr_get(a, &c->handle, 4);
			break;
		case QUIC_ULP_A_CONN_CIPHER:
			ok = attr_get(a, &c->cipher, 4);
			break;
		case QUIC_ULP_A_CONN_VERSION:
			ok = attr_get(a, &c->version, 4);
			break;
		case QUIC_ULP_A_CONN_TX:
		case QUIC_ULP_A_CONN_RX:
			err = parse_dir(nl, a, t == QUIC_ULP_A_CONN_TX ?
					&c->tx : &c->rx);
			if (err)
				return err;
			break;
		}
		if (!ok)
			return bad_attr(nl, "conn-get", conn_desc, a);
	}
	if (it.rem)
		return nl_fail(nl, -EPROTO, "malformed conn attributes");
	return 0;
}

struct conn_list {
	struct nl_conn *v;
	size_t n, room;
};

static int conn_cb(struct nl *nl, const struct nlmsghdr *nlh, void *arg)
{
	struct conn_list *l = arg;
	struct nl_conn *v;

	if (l->n == l->room) {
		l->room = l->room ? 2 * l->room : 256;
		v = realloc(l->v, l->room * sizeof(*v));
		if (!v)
			return nl_fail(nl, -ENOMEM, "no memory");
		l->v = v;
	}
	return parse_conn(nl, nlh, &l->v[l->n++]);
}

/* conn-get, of the socket with inode @ino, or of all (0) */
static int nl_dump(struct nl *nl, uint64_t ino, struct conn_list *l)
{
	int seq;

	l->n = 0;
	seq = nl_send(nl, nl->family, QUIC_ULP_CMD_CONN_GET, NLM_F_DUMP,
		      ino ? QUIC_ULP_A_CONN_SOCK_INO : 0, &ino, sizeof(ino));
	return nl_answer(nl, seq, true, conn_cb, l);
}

static void conn_list_free(struct conn_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* How many connections of @l belong to the socket of inode @ino */
static size_t count_ino(const struct conn_list *l, uint64_t ino)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i].ino == ino;
	return n;
}

/* Notifications */
struct nl_event {
	uint8_t cmd;
	uint32_t seen;		/* BIT(QUIC_ULP_A_EVENT_*) */
	uint64_t ino, cookie, packets;
	uint32_t handle, dir, key_updates;
};

static int parse_event(struct nl *nl, const struct nlmsghdr *nlh,
		       struct nl_event *ev)
{
	const struct nlattr *a;
	bool ok = true;
	struct attr_iter it;
	int len, t;

	memset(ev, 0, sizeof(*ev));
	a = genl_attrs(nlh, &len);
	if (nlh->nlmsg_type != nl->family || len < 0)
		return nl_fail(nl, -EPROTO, "a message of type %u on the group",
			       nlh->nlmsg_type);
	ev->cmd = genl_cmd(nlh);
	for (a = attr_first(&it, a, len); a; a = attr_next(&it)) {
		t = attr_type(a);
		if (t < 1 || t > QUIC_ULP_A_EVENT_MAX)
			continue;
		if (ev->seen & BIT(t))
			return nl_fail(nl, -EPROTO, "event: %s twice",
				       event_desc[t].name);
		ev->seen |= BIT(t);
		switch (t) {
		case QUIC_ULP_A_EVENT_SOCK_INO:
			ok = attr_get_uint(a, &ev->ino);
			break;
		case QUIC_ULP_A_EVENT_SOCK_COOKIE:
			ok = attr_get_uint(a, &ev->cookie);
			break;
		case QUIC_ULP_A_EVENT_HANDLE:
			ok = attr_get(a, &ev->handle, 4);
			break;
		case QUIC_ULP_A_EVENT_DIR:
			ok = attr_get(a, &ev->dir, 4);
			break;
		case QUIC_ULP_A_EVENT_KEY_UPDATES:
			ok = attr_get(a, &ev->key_updates, 4);
			break;
		case QUIC_ULP_A_EVENT_PACKETS:
			ok = attr_get_uint(a, &ev->packets);
			break;
		}
		if (!ok)
			return bad_attr(nl, "event", event_desc, a);
	}
	if (it.rem)
		return nl_fail(nl, -EPROTO, "malformed event attributes");
	return 0;
}

/*
 * Notifications into @ev (room for @max; the count returned may be
 * larger): until @want have come, for up to @wait_ms, then until none
 * comes for @quiet_ms. -errno on a malformed one, or ENOBUFS (lost).
 */
static int nl_events(struct nl *nl, struct nl_event *ev, int max, int want,
		     int wait_ms, int quiet_ms)
{
	double end = quic_now() + wait_ms / 1000.0;
	const struct nlmsghdr *nlh;
	struct nl_event e;
	int n = 0, len, ms, err;

	for (;;) {
		ms = n < want ? (int)((end - quic_now()) * 1000) : quiet_ms;
		if (ms <= 0)
			ms = quiet_ms;
		len = nl_recv(nl, ms);
		if (len == -ETIMEDOUT) {
			if (n < want && quic_now() < end)
				continue;
			return n;
		}
		if (len < 0)
			return len;
		for (nlh = (const struct nlmsghdr *)nl->buf; msg_ok(nlh, len);
		     nlh = msg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_NOOP)
				continue;
			err = parse_event(nl, nlh, &e);
			if (err)
				return err;
			if (n < max)
				ev[n] = e;
			n++;
		}
	}
}

/* How @ev differs from an event for connection @handle of a socket */
static int event_diff(const struct nl_event *ev, uint8_t cmd, uint64_t ino,
		      uint64_t cookie, uint32_t handle, uint32_t dir,
		      uint32_t key_updates, char *why, size_t room)
{
	uint32_t need = BIT(QUIC_ULP_A_EVENT_SOCK_INO) |
			BIT(QUIC_ULP_A_EVENT_SOCK_COOKIE) |
			BIT(QUIC_ULP_A_EVENT_HANDLE) |
			BIT(QUIC_ULP_A_EVENT_DIR) |
			BIT(QUIC_ULP_A_EVENT_KEY_UPDATES);

	if (cmd == QUIC_ULP_CMD_LIMIT_NTF)
		need |= BIT(QUIC_ULP_A_EVENT_PACKETS);
	if (ev->cmd != cmd)
		snprintf(why, room, "command %u, not %u", ev->cmd, cmd);
	else if ((ev->seen & need) != need)
		snprintf(why, room, "attributes %#x of %#x missing",
			 need & ~ev->seen, need);
	else if (ev->ino != ino || ev->cookie != cookie)
		snprintf(why, room, "socket %llu/%llu, not %llu/%llu",
			 (unsigned long long)ev->ino,
			 (unsigned long long)ev->cookie,
			 (unsigned long long)ino, (unsigned long long)cookie);
	else if (ev->handle != handle || ev->dir != dir)
		snprintf(why, room, "connection %u dir %u, not %u dir %u",
			 ev->handle, ev->dir, handle, dir);
	else if (ev->key_updates != key_updates)
		snprintf(why, room, "key-updates %u, not %u", ev->key_updates,
			 key_updates);
	else
		return 0;
	return -1;
}

/*
 * Helpers of the tests
 */
static const char *const stat_names[QUIC_ULP_A_STATS_MAX + 1] = {
	[QUIC_ULP_A_STATS_CURR_CONNS] = "QuicCurrConns",
	[QUIC_ULP_A_STATS_TX_PACKETS] = "QuicTxPackets",
	[QUIC_ULP_A_STATS_TX_BYTES] = "QuicTxBytes",
	[QUIC_ULP_A_STATS_TX_KEY_UPDATES] = "QuicTxKeyUpdates",
	[QUIC_ULP_A_STATS_TX_OLD_KEY] = "QuicTxOldKey",
	[QUIC_ULP_A_STATS_TX_ERR_REQUEST] = "QuicTxErrRequest",
	[QUIC_ULP_A_STATS_TX_ERR_PACKET] = "QuicTxErrPacket",
	[QUIC_ULP_A_STATS_TX_ERR_NO_CONN] = "QuicTxErrNoConn",
	[QUIC_ULP_A_STATS_TX_ERR_NO_KEY] = "QuicTxErrNoKey",
	[QUIC_ULP_A_STATS_TX_ERR_KEY_REJECTED] = "QuicTxErrKeyRejected",
	[QUIC_ULP_A_STATS_TX_ERR_PN_REUSED] = "QuicTxErrPnReused",
	[QUIC_ULP_A_STATS_TX_ERR_KEY_EXPIRED] = "QuicTxErrKeyExpired",
	[QUIC_ULP_A_STATS_TX_ERR_BUSY] = "QuicTxErrBusy",
	[QUIC_ULP_A_STATS_TX_ERR_UNSUPPORTED] = "QuicTxErrUnsupported",
	[QUIC_ULP_A_STATS_TX_ERR_NOMEM] = "QuicTxErrNoMem",
	[QUIC_ULP_A_STATS_TX_ERR_CRYPTO] = "QuicTxErrCrypto",
	[QUIC_ULP_A_STATS_RX_PACKETS] = "QuicRxPackets",
	[QUIC_ULP_A_STATS_RX_BYTES] = "QuicRxBytes",
	[QUIC_ULP_A_STATS_RX_PASSTHROUGH] = "QuicRxPassthrough",
	[QUIC_ULP_A_STATS_RX_KEY_UPDATES] = "QuicRxKeyUpdates",
	[QUIC_ULP_A_STATS_RX_OLD_KEY] = "QuicRxOldKey",
	[QUIC_ULP_A_STATS_RX_AUTH_FAILURES] = "QuicRxAuthFailures",
	[QUIC_ULP_A_STATS_RX_MALFORMED] = "QuicRxMalformed",
	[QUIC_ULP_A_STATS_RX_STATELESS_RESET] = "QuicRxStatelessReset",
	[QUIC_ULP_A_STATS_RX_NO_NEXT_KEY] = "QuicRxNoNextKey",
	[QUIC_ULP_A_STATS_RX_LIMIT_DROPS] = "QuicRxLimitDrops",
	[QUIC_ULP_A_STATS_RX_LIMIT_REACHED] = "QuicRxLimitReached",
	[QUIC_ULP_A_STATS_RX_TOO_MANY_SEGS] = "QuicRxTooManySegs",
	[QUIC_ULP_A_STATS_RX_ASYNC_DROPS] = "QuicRxAsyncDrops",
	[QUIC_ULP_A_STATS_RX_ERR_NOMEM] = "QuicRxErrNoMem",
	[QUIC_ULP_A_STATS_RX_ERR_CRYPTO] = "QuicRxErrCrypto",
	[QUIC_ULP_A_STATS_TX_DEVICE] = "QuicTxDevice",
	[QUIC_ULP_A_STATS_TX_DEV_FALLBACK] = "QuicTxDevFallback",
	[QUIC_ULP_A_STATS_TX_DEV_DROPS] = "QuicTxDevDrops",
	[QUIC_ULP_A_STATS_TX_SW_NO_CTX] = "QuicTxSwNoCtx",
	[QUIC_ULP_A_STATS_TX_SW_ROUTE] = "QuicTxSwRoute",
	[QUIC_ULP_A_STATS_TX_SW_KEY] = "QuicTxSwKey",
	[QUIC_ULP_A_STATS_TX_SW_SHAPE] = "QuicTxSwShape",
	[QUIC_ULP_A_STATS_RX_DEVICE] = "QuicRxDevice",
	[QUIC_ULP_A_STATS_RX_DEV_MISMATCH] = "QuicRxDevMismatch",
	[QUIC_ULP_A_STATS_RX_SW_OFFLOADED] = "QuicRxSwOffloaded",
	[QUIC_ULP_A_STATS_DEV_CTX_ADDED] = "QuicDevCtxAdded",
	[QUIC_ULP_A_STATS_DEV_CTX_FAILED] = "QuicDevCtxFailed",
	[QUIC_ULP_A_STATS_DEV_CTX_REMOVED] = "QuicDevCtxRemoved",
	[QUIC_ULP_A_STATS_DEV_CTX_CURR] = "QuicDevCtxCurr",
	[QUIC_ULP_A_STATS_DEV_KEYS_ADDED] = "QuicDevKeysAdded",
	[QUIC_ULP_A_STATS_DEV_KEYS_FAILED] = "QuicDevKeysFailed",
	[QUIC_ULP_A_STATS_DEV_KEYS_REMOVED] = "QuicDevKeysRemoved",
};

#define MAX_LINES	64

struct proc_stats {
	int n;
	char name[MAX_LINES][48];
	unsigned long long val[MAX_LINES];
};

/* /proc/net/quic_ulp_stat, line by line: 0, or -1 if unreadable */
static int read_proc_stats(struct proc_stats *ps)
{
	FILE *f = fopen("/proc/net/quic_ulp_stat", "r");
	char line[128];

	memset(ps, 0, sizeof(*ps));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (ps->n == MAX_LINES ||
		    sscanf(line, "%47s %llu", ps->name[ps->n],
			   &ps->val[ps->n]) != 2) {
			fclose(f);
			return -1;
		}
		ps->n++;
	}
	fclose(f);
	return 0;
}

static uint64_t sock_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static uint64_t sock_cookie(int fd)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len))
		return 0;
	return cookie;
}

/* A socket address as the family reports it: v4-mapped, port in network
 * order
 */
static void mapped(const struct sockaddr_storage *ss, uint8_t *addr,
		   uint16_t *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET) {
		addr[10] = 0xff;
		addr[11] = 0xff;
		memcpy(addr + 12, &sin->sin_addr, 4);
		*port = sin->sin_port;
	} else {
		memcpy(addr, &sin6->sin6_addr, 16);
		*port = sin6->sin6_port;
	}
}

static bool differs(const char *what, uint64_t dump, uint64_t info,
		    char *why, size_t room)
{
	if (dump == info)
		return false;
	snprintf(why, room, "%s: dump %llu, getsockopt %llu", what,
		 (unsigned long long)dump, (unsigned long long)info);
	return true;
}

/* How the dump's direction differs from QUIC_ULP_CONN_INFO's: 0 if not */
static int dir_diff(const struct nl_dir *d, const struct quic_ulp_dir_info *i,
		    char *why, size_t room)
{
	uint32_t need = BIT(QUIC_ULP_A_DIR_INFO_PACKETS) |
			BIT(QUIC_ULP_A_DIR_INFO_BYTES) |
			BIT(QUIC_ULP_A_DIR_INFO_KEY_UPDATES) |
			BIT(QUIC_ULP_A_DIR_INFO_KEY_PHASE) |
			BIT(QUIC_ULP_A_DIR_INFO_KEY_PACKETS) |
			BIT(QUIC_ULP_A_DIR_INFO_OLD_KEY_PACKETS) |
			BIT(QUIC_ULP_A_DIR_INFO_AUTH_FAILURES) |
			BIT(QUIC_ULP_A_DIR_INFO_REFUSED) |
			BIT(QUIC_ULP_A_DIR_INFO_CIDS);
	static const struct {
		int attr;
		uint8_t flag;
	} flags[] = {
		{ QUIC_ULP_A_DIR_INFO_KEYS, QUIC_ULP_INFO_KEY },
		{ QUIC_ULP_A_DIR_INFO_OLD_KEYS, QUIC_ULP_INFO_OLD_KEY },
		{ QUIC_ULP_A_DIR_INFO_NEXT_KEYS, QUIC_ULP_INFO_NEXT_KEY },
		{ QUIC_ULP_A_DIR_INFO_LIMIT, QUIC_ULP_INFO_LIMIT },
	};
	bool have_pn = i->largest_pn != UINT64_MAX;
	unsigned int f;

	/* Where the packets are protected, wherever there are keys */
	if (i->flags & QUIC_ULP_INFO_KEY)
		need |= BIT(QUIC_ULP_A_DIR_INFO_CRYPTO_PATH);
	if ((d->seen & need) != need) {
		snprintf(why, room, "dir-info attributes %#x of %#x missing",
			 need & ~d->seen, need);
		return -1;
	}
	if (!!(d->seen & BIT(QUIC_ULP_A_DIR_INFO_LARGEST_PN)) != have_pn) {
		snprintf(why, room, "largest-pn %s, getsockopt %llu",
			 have_pn ? "absent" : "present",
			 (unsigned long long)i->largest_pn);
		return -1;
	}
	if ((have_pn && differs("largest-pn", d->largest_pn, i->largest_pn,
				why, room)) ||
	    differs("packets", d->packets, i->packets, why, room) ||
	    differs("bytes", d->bytes, i->bytes, why, room) ||
	    differs("key-updates", d->key_updates, i->key_updates, why, room) ||
	    differs("key-phase", d->key_phase, i->key_phase, why, room) ||
	    differs("key-packets", d->key_packets, i->key_packets, why, room) ||
	    differs("old-key-packets", d->old_key_packets, i->old_key_packets,
		    why, room) ||
	    differs("auth-failures", d->auth_failures, i->auth_failures, why,
		    room) ||
	    differs("refused", d->refused, i->refused, why, room) ||
	    differs("cids", d->cids, i->cids, why, room))
		return -1;
	for (f = 0; f < ARRAY_SIZE(flags); f++)
		if (!!(d->seen & BIT(flags[f].attr)) !=
		    !!(i->flags & flags[f].flag)) {
			snprintf(why, room, "dir-info flag %d %s, flags %#x",
				 flags[f].attr,
				 d->seen & BIT(flags[f].attr) ? "set" : "unset",
				 i->flags);
			return -1;
		}
	if ((d->seen & BIT(QUIC_ULP_A_DIR_INFO_CRYPTO_PATH)) &&
	    d->crypto_path != QUIC_ULP_CRYPTO_PATH_SOFTWARE) {
		snprintf(why, room, "crypto-path %u", d->crypto_path);
		return -1;
	}
	return 0;
}

/* A ULP socket of @family on the local side; its address in @addr */
static int ulp_socket(struct __test_metadata *_metadata, int family,
		      struct sockaddr_storage *addr)
{
	socklen_t len;
	int fd = quic_udp_socket(family, false, addr, &len);

	EXPECT_GE(fd, 0);
	if (fd >= 0) {
		quic_set_timeout(fd, TIMEOUT_MS);
		EXPECT_EQ(quic_attach(fd), 0);
	}
	return fd;
}

/* One datagram: the record of its packet, status NONE if it had none */
static ssize_t receive(int fd, uint8_t *buf, size_t room,
		       struct quic_ulp_rx_info *rec)
{
	char control[CMSG_SPACE(64 * sizeof(*rec))];
	struct iovec iov = { .iov_base = buf, .iov_len = room };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	struct cmsghdr *cm;
	ssize_t n;

	memset(rec, 0, sizeof(*rec));
	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_UDP &&
		    cm->cmsg_type == QUIC_ULP_RX_INFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(*rec)))
			memcpy(rec, CMSG_DATA(cm), sizeof(*rec));
	return n;
}

/* Packet @pn of connection @conn, built and sealed by the kernel with
 * generation @gen, sent to @to; 0 or -errno
 */
static int send_one(int fd, uint32_t conn, const uint8_t *dcid, uint64_t pn,
		    uint32_t gen, const struct sockaddr_storage *to)
{
	uint8_t pkt[PKT_LEN];
	struct quic_ulp_tx_info r = quic_tx_rec(conn, pn, gen, CID_LEN);

	quic_build(pkt, PKT_LEN, dcid, CID_LEN, pn, 2, gen & 1, (uint8_t)pn);
	return quic_send_tx(fd, pkt, PKT_LEN, 0, to, &r, 1) == PKT_LEN ?
		0 : -errno;
}

/* The peer sends packet @pn sealed with @key; the ULP socket must get
 * it decrypted, for connection @conn
 */
static void rx_one(struct __test_metadata *_metadata, int peer, int ulp,
		   struct quic_ref_key *key, const uint8_t *cid,
		   uint32_t conn, uint64_t pn)
{
	uint8_t plain[PKT_LEN], wire[PKT_LEN], got[PKT_LEN + 1];
	struct quic_ulp_rx_info rec;

	quic_build(plain, PKT_LEN, cid, CID_LEN, pn, 2,
		   quic_ref_key_phase(key), (uint8_t)pn);
	ASSERT_EQ(quic_seal(key, plain, PKT_LEN, CID_LEN, pn, wire), 0);
	ASSERT_EQ(send(peer, wire, PKT_LEN, 0), PKT_LEN);
	ASSERT_EQ(receive(ulp, got, sizeof(got), &rec), PKT_LEN);
	ASSERT_EQ(rec.status, QUIC_ULP_RX_DECRYPTED)
		TH_LOG("packet %llu of connection %u not decrypted",
		       (unsigned long long)pn, conn);
	ASSERT_EQ(rec.conn, conn);
	ASSERT_EQ(rec.pn, pn);
}

/* The next Rx keys are derived in the background after an update */
static void wait_next_key(struct __test_metadata *_metadata, int fd,
			  uint32_t conn)
{
	struct quic_ulp_conn_info info;
	double end = quic_now() + 30;

	for (;;) {
		ASSERT_EQ(quic_conn_info(fd, conn, &info), 0);
		if ((info.rx.flags & QUIC_ULP_INFO_NEXT_KEY) || quic_now() > end)
			break;
		usleep(2000);
	}
	ASSERT_TRUE(info.rx.flags & QUIC_ULP_INFO_NEXT_KEY);
}

/* The ULP exists, loaded if need be: true, or false if it cannot be */
static bool load_ulp(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return false;
	/* Attaching it loads the module for a caller with CAP_NET_ADMIN */
	err = quic_attach(fd);
	close(fd);
	if (err == -ENOENT && !system("modprobe -q quic_ulp 2>/dev/null")) {
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			return false;
		err = quic_attach(fd);
		close(fd);
	}
	return !err;
}

/*
 * Children that drop to nobody: they report over a pipe, since the
 * harness's assertions are the test process's
 */
struct child_msg {
	int done;		/* 0: ready, 1: finished */
	int ok;
	uint64_t ino, cookie;	/* of the child's ULP socket */
	char why[240];
};

struct child {
	pid_t pid;
	int in, out;		/* the parent's ends */
};

static void nl_printf(2, 3)
child_fail(int out, const char *fmt, ...)
{
	struct child_msg m = { .done = 1 };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.why, sizeof(m.why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "# child (uid %u): %s\n", geteuid(), m.why);
	if (write(out, &m, sizeof(m)) != sizeof(m))
		_exit(2);
	_exit(1);
}

static void child_say(int out, int done, uint64_t ino, uint64_t cookie)
{
	struct child_msg m = {
		.done = done, .ok = 1, .ino = ino, .cookie = cookie,
	};

	if (write(out, &m, sizeof(m)) != sizeof(m))
		_exit(2);
}

/* Block until the parent says go: false if it went away */
static bool child_wait(int in)
{
	struct pollfd pfd = { .fd = in, .events = POLLIN };
	char c;

	return poll(&pfd, 1, CHILD_WAIT_MS) == 1 && read(in, &c, 1) == 1;
}

/* uid and gid nobody, no supplementary groups and, from there, no
 * capabilities: setuid() from root to another uid clears them all
 */
static void drop_privileges(int out)
{
	unsigned long long eff = ~0ULL;
	char line[256];
	FILE *f;

	if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
		child_fail(out, "dropping to uid %u: %s", NOBODY,
			   strerror(errno));
	f = fopen("/proc/self/status", "r");
	if (!f)
		child_fail(out, "/proc/self/status: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	if (geteuid() != NOBODY || eff)
		child_fail(out, "still uid %u, capabilities %#llx", geteuid(),
			   eff);
}

static int child_start(struct child *c, void (*fn)(int in, int out,
						   void *arg), void *arg)
{
	int down[2], up[2];

	/* A child that failed is gone: writing to it must not kill the test */
	signal(SIGPIPE, SIG_IGN);
	if (pipe(down))
		return -errno;
	if (pipe(up)) {
		close(down[0]);
		close(down[1]);
		return -errno;
	}
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (!c->pid) {
		close(down[1]);
		close(up[0]);
		fn(down[0], up[1], arg);
		_exit(0);
	}
	close(down[0]);
	close(up[1]);
	c->in = up[0];
	c->out = down[1];
	return 0;
}

/* The child's next message; false (and @m->why says why) if none came */
static bool child_read(struct child *c, struct child_msg *m)
{
	struct pollfd pfd = { .fd = c->in, .events = POLLIN };
	ssize_t n = -1;

	memset(m, 0, sizeof(*m));
	if (poll(&pfd, 1, CHILD_WAIT_MS) == 1)
		n = read(c->in, m, sizeof(*m));
	if (n != sizeof(*m)) {
		snprintf(m->why, sizeof(m->why), "no word from the child");
		return false;
	}
	return true;
}

static void child_go(struct child *c)
{
	if (write(c->out, "g", 1) != 1)
		return;	/* the child is gone: what it said tells why */
}

/* Its exit status: 0 if it exited with 0 */
static int child_end(struct child *c)
{
	int status;

	close(c->out);
	close(c->in);
	if (waitpid(c->pid, &status, 0) != c->pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A netlink socket of the child's; fails the child if it cannot */
static void child_nl(int out, struct nl *nl)
{
	if (nl_open_family(nl))
		child_fail(out, "netlink: %s", nl->why);
}

/* A ULP socket of the child's, on 127.0.0.1, with connection @conn keyed
 * for Tx
 */
static int child_ulp(int out, uint32_t conn, struct sockaddr_storage *addr)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)addr;
	socklen_t len = sizeof(*sin);
	uint8_t secret[32];
	int fd, err;

	memset(addr, 0, sizeof(*addr));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)sin, len) ||
	    getsockname(fd, (struct sockaddr *)sin, &len))
		child_fail(out, "a UDP socket: %s", strerror(errno));
	err = quic_attach(fd);
	if (err)
		child_fail(out, "attaching the ULP: %s", strerror(-err));
	quic_random(secret, sizeof(secret));
	err = quic_set_key(fd, false, conn, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			   secret, 0, 0);
	if (err)
		child_fail(out, "a Tx key: %s", strerror(-err));
	return fd;
}

FIXTURE(quic_nl)
{
	struct nl nl;
	bool ready;
};

FIXTURE_SETUP(quic_nl)
{
	int err;

	err = nl_open_family(&self->nl);
	if (err == -ENOENT) {
		/* Not loaded, or no such family: load the module and see */
		nl_close(&self->nl);
		if (!load_ulp())
			SKIP(return,
			     "no \"%s\" family, and the quic_ulp module cannot be loaded",
			     QUIC_ULP_FAMILY_NAME);
		err = nl_open_family(&self->nl);
		ASSERT_EQ(err, 0)
			TH_LOG("the quic ULP is there but its family is not: %s",
			       self->nl.why);
	}
	ASSERT_EQ(err, 0) TH_LOG("%s", self->nl.why);
	self->ready = true;
}

FIXTURE_TEARDOWN(quic_nl)
{
	nl_close(&self->nl);
}

/*
 * stats-get: one attribute per line of /proc/net/quic_ulp_stat, the
 * same values, after traffic in both directions
 */
TEST_F_TIMEOUT(quic_nl, stats, 120)
{
	struct sockaddr_storage local, remote;
	struct proc_stats before, after;
	struct nl_stats st0, st;
	uint8_t secret[32], cid[CID_LEN], pkt[PKT_LEN + 1];
	struct quic_ref_key key;
	socklen_t remote_len;
	int ulp, peer, i, tries, t;

	if (!self->ready)
		return;
	ASSERT_EQ(nl_stats(&self->nl, &st0), 0) TH_LOG("%s", self->nl.why);

	ulp = ulp_socket(_metadata, AF_INET, &local);
	peer = quic_udp_socket(AF_INET, true, &remote, &remote_len);
	ASSERT_GE(ulp, 0);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, TIMEOUT_MS);
	ASSERT_EQ(connect(peer, (struct sockaddr *)&local,
			  quic_addr_len(&local)), 0);
	quic_random(secret, sizeof(secret));
	quic_random(cid, sizeof(cid));
	ASSERT_EQ(quic_ref_key_init(&key, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				    secret, sizeof(secret)), 0);
	ASSERT_EQ(quic_set_key(ulp, false, 1, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, 0), 0);
	ASSERT_EQ(quic_set_key(ulp, true, 1, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, 0), 0);
	ASSERT_EQ(quic_cid(ulp, true, 1, QUIC_ULP_DIR_RX, cid, CID_LEN, NULL),
		  0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(send_one(ulp, 1, cid, i, 0, &remote), 0);
		ASSERT_EQ(recv(peer, pkt, sizeof(pkt), 0), PKT_LEN);
	}
	for (i = 0; i < 2; i++)
		rx_one(_metadata, peer, ulp, &key, cid, 1, i);

	/*
	 * Nothing runs now, but the connections of earlier tests' sockets
	 * may still be being freed (QuicCurrConns): read until the file
	 * reads the same before and after stats-get.
	 */
	for (tries = 0; tries < 50; tries++) {
		ASSERT_EQ(read_proc_stats(&before), 0);
		ASSERT_EQ(nl_stats(&self->nl, &st), 0)
			TH_LOG("%s", self->nl.why);
		ASSERT_EQ(read_proc_stats(&after), 0);
		if (!memcmp(&before, &after, sizeof(before)))
			break;
		usleep(100000);
	}
	ASSERT_EQ(memcmp(&before, &after, sizeof(before)), 0)
		TH_LOG("/proc/net/quic_ulp_stat does not settle");

	ASSERT_EQ(before.n, QUIC_ULP_A_STATS_MAX)
		TH_LOG("%d lines in quic_ulp_stat, %d counters in the uAPI",
		       before.n, QUIC_ULP_A_STATS_MAX);
	EXPECT_EQ(st.nattrs, (unsigned int)before.n);
	for (t = 1; t <= QUIC_ULP_A_STATS_MAX; t++) {
		EXPECT_STREQ(before.name[t - 1], stat_names[t]);
		EXPECT_TRUE(st.len[t] == 4 || st.len[t] == 8)
			TH_LOG("attribute %d (%s): %u bytes", t, stat_names[t],
			       st.len[t]);
		EXPECT_EQ(st.val[t], before.val[t - 1])
			TH_LOG("attribute %d, line %s", t, before.name[t - 1]);
	}
	/* And they are this namespace's: what the traffic added, exactly */
	EXPECT_EQ(st.val[QUIC_ULP_A_STATS_TX_PACKETS] -
		  st0.val[QUIC_ULP_A_STATS_TX_PACKETS], 3U);
	EXPECT_EQ(st.val[QUIC_ULP_A_STATS_TX_BYTES] -
		  st0.val[QUIC_ULP_A_STATS_TX_BYTES], 3U * PKT_LEN);
	EXPECT_EQ(st.val[QUIC_ULP_A_STATS_RX_PACKETS] -
		  st0.val[QUIC_ULP_A_STATS_RX_PACKETS], 2U);
	EXPECT_EQ(st.val[QUIC_ULP_A_STATS_RX_BYTES] -
		  st0.val[QUIC_ULP_A_STATS_RX_BYTES], 2U * PKT_LEN);
	EXPECT_GE(st.val[QUIC_ULP_A_STATS_CURR_CONNS], 1U);
	quic_ref_key_free(&key);
	close(ulp);
	close(peer);
}

/* The dump test's connection @i: its handle, cipher and version */
static uint32_t conn_handle(uint32_t i)
{
	return 1000 + 7 * i;
}

static const uint16_t ciphers[] = {
	QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
	QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
	QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
};

static uint16_t conn_cipher(uint32_t i)
{
	return ciphers[i % ARRAY_SIZE(ciphers)];
}

static uint32_t conn_version(uint32_t i)
{
	return i % 5 ? QUIC_ULP_VERSION_1 : QUIC_ULP_VERSION_2;
}

/* Some connections send, some receive, the others only have keys */
static bool conn_tx(uint32_t i)
{
	return i % 1000 == 3;
}

static bool conn_rx(uint32_t i)
{
	return i % 1000 == 7;
}

static void conn_cid(uint32_t i, uint8_t *cid)
{
	memset(cid, 0x5a, CID_LEN);
	memcpy(cid, &i, sizeof(i));
}

/* At least @n connections per socket and in all in this namespace */
static void make_room(struct __test_metadata *_metadata, long long n)
{
	static const char *const names[] = {
		"net/quic_ulp/max_connections",
		"net/quic_ulp/max_connections_total",
	};
	long long have;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		have = quic_sysctl_get(names[i]);
		ASSERT_GT(have, 0) TH_LOG("%s: %s", names[i],
					  strerror((int)-have));
		if (have < n)
			ASSERT_EQ(quic_sysctl_set(names[i], n), 0);
	}
}

/*
 * A dump of a socket's connections, in messages of the size the kernel
 * chose for @nl's reads: every one once, as QUIC_ULP_CONN_INFO and the
 * socket say. @by[i] is where connection i is in the dump.
 */
static void check_dump(struct __test_metadata *_metadata, struct nl *nl,
		       int fd, const struct sockaddr_storage *local,
		       const struct sockaddr_storage *remote, uint32_t nconn,
		       struct conn_list *l, uint32_t *by)
{
	uint64_t ino = sock_ino(fd), cookie = sock_cookie(fd);
	uint32_t need = BIT(QUIC_ULP_A_CONN_SOCK_INO) |
			BIT(QUIC_ULP_A_CONN_SOCK_COOKIE) |
			BIT(QUIC_ULP_A_CONN_SOCK_UID) |
			BIT(QUIC_ULP_A_CONN_LOCAL_ADDR) |
			BIT(QUIC_ULP_A_CONN_LOCAL_PORT) |
			BIT(QUIC_ULP_A_CONN_HANDLE) |
			BIT(QUIC_ULP_A_CONN_CIPHER) |
			BIT(QUIC_ULP_A_CONN_VERSION) |
			BIT(QUIC_ULP_A_CONN_TX) | BIT(QUIC_ULP_A_CONN_RX);
	uint32_t peer_bits = BIT(QUIC_ULP_A_CONN_PEER_ADDR) |
			     BIT(QUIC_ULP_A_CONN_PEER_PORT);
	uint8_t addr[16], peer_addr[16];
	uint16_t port, peer_port;
	struct quic_ulp_conn_info info;
	const struct nl_conn *c;
	char why[200];
	uint32_t i, h;
	size_t k;

	ASSERT_NE(ino, 0U);
	ASSERT_NE(cookie, 0U);
	mapped(local, addr, &port);
	mapped(remote, peer_addr, &peer_port);
	for (i = 0; i < nconn; i++)
		by[i] = UINT32_MAX;

	ASSERT_EQ(nl_dump(nl, ino, l), 0) TH_LOG("%s", nl->why);
	TH_LOG("%zu connections in %u recv() of %zu bytes", l->n, nl->recvs,
	       nl->rcv_len);
	/* It ended and resumed many times: none lost, none twice */
	if (nconn >= 1000)
		EXPECT_GT(nl->recvs, 1U);
	ASSERT_EQ(l->n, nconn);
	for (k = 0; k < l->n; k++) {
		c = &l->v[k];
		ASSERT_EQ(c->seen & need, need)
			TH_LOG("conn attributes %#x missing", need & ~c->seen);
		h = c->handle - 1000;
		ASSERT_TRUE(c->handle >= 1000 && h % 7 == 0 && h / 7 < nconn)
			TH_LOG("handle %u", c->handle);
		i = h / 7;
		ASSERT_EQ(by[i], UINT32_MAX) TH_LOG("handle %u twice", c->handle);
		by[i] = k;
		ASSERT_EQ(c->ino, ino);
		ASSERT_EQ(c->cookie, cookie);
		ASSERT_EQ(c->uid, getuid());
		ASSERT_EQ(memcmp(c->local_addr, addr, 16), 0);
		ASSERT_EQ(c->local_port, port);
		ASSERT_EQ(c->cipher, conn_cipher(i));
		ASSERT_EQ(c->version, conn_version(i));
		/* The peer is known once a packet authenticated: the socket
		 * is not connected
		 */
		if (conn_rx(i)) {
			ASSERT_EQ(c->seen & peer_bits, peer_bits)
				TH_LOG("connection %u: no peer", c->handle);
			ASSERT_EQ(memcmp(c->peer_addr, peer_addr, 16), 0);
			ASSERT_EQ(c->peer_port, peer_port);
		} else {
			ASSERT_EQ(c->seen & peer_bits, 0U)
				TH_LOG("connection %u: a peer before any packet",
				       c->handle);
		}
	}

	/* After the dump, with nothing in between: the same */
	for (k = 0; k < l->n; k++) {
		c = &l->v[k];
		ASSERT_EQ(quic_conn_info(fd, c->handle, &info), 0);
		ASSERT_EQ(c->cipher, info.cipher);
		ASSERT_EQ(dir_diff(&c->tx, &info.tx, why, sizeof(why)), 0)
			TH_LOG("connection %u, Tx: %s", c->handle, why);
		ASSERT_EQ(dir_diff(&c->rx, &info.rx, why, sizeof(why)), 0)
			TH_LOG("connection %u, Rx: %s", c->handle, why);
		i = (c->handle - 1000) / 7;
		if (conn_tx(i)) {
			EXPECT_EQ(c->tx.packets, 2U);
			EXPECT_EQ(c->tx.largest_pn, 5U);
		}
		if (conn_rx(i))
			EXPECT_EQ(c->rx.packets, 2U);
		EXPECT_EQ(c->tx.cids, i % 2 ? 0U : 1U);
		EXPECT_EQ(c->rx.cids, 1U);
	}
}

TEST_F_TIMEOUT(quic_nl, dump, 900)
{
	uint32_t nconn = quic_env_int("QUIC_NL_CONNS", NCONN, NCONN), i, j;
	struct sockaddr_storage local, local6, remote;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], cid[CID_LEN];
	uint8_t pkt[PKT_LEN + 1];
	struct conn_list l = {}, l2 = {}, all = {};
	struct quic_ref_key key;
	socklen_t remote_len;
	uint32_t *by, *by2;
	struct nl small;
	int ulp, ulp6, plain, peer;
	double t0;
	size_t k;

	if (!self->ready)
		return;
	ASSERT_GT(nconn, 0U);
	make_room(_metadata, nconn + 8);
	by = calloc(nconn, sizeof(*by));
	by2 = calloc(nconn, sizeof(*by2));
	ASSERT_NE(by, NULL);
	ASSERT_NE(by2, NULL);

	ulp = ulp_socket(_metadata, AF_INET, &local);
	peer = quic_udp_socket(AF_INET, true, &remote, &remote_len);
	ASSERT_GE(ulp, 0);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, TIMEOUT_MS);
	ASSERT_EQ(connect(peer, (struct sockaddr *)&local,
			  quic_addr_len(&local)), 0);

	t0 = quic_now();
	for (i = 0; i < nconn; i++) {
		uint16_t cipher = conn_cipher(i);
		uint32_t h = conn_handle(i), version = conn_version(i);

		quic_random(secret, sizeof(secret));
		conn_cid(i, cid);
		ASSERT_EQ(quic_set_key_version(ulp, false, h, cipher, secret,
					       0, 0, version), 0);
		ASSERT_EQ(quic_set_key_version(ulp, true, h, cipher, secret,
					       0, 0, version), 0);
		ASSERT_EQ(quic_cid(ulp, true, h, QUIC_ULP_DIR_RX, cid,
				   CID_LEN, NULL), 0);
		if (i % 2 == 0)
			ASSERT_EQ(quic_cid(ulp, true, h, QUIC_ULP_DIR_TX, cid,
					   CID_LEN, NULL), 0);
		if (conn_tx(i)) {
			for (j = 0; j < 2; j++) {
				ASSERT_EQ(send_one(ulp, h, cid, j * 5, 0,
						   &remote), 0);
				ASSERT_EQ(recv(peer, pkt, sizeof(pkt), 0),
					  PKT_LEN);
			}
		}
		if (conn_rx(i)) {
			ASSERT_EQ(quic_ref_key_init_version(&key, version,
							    cipher, secret,
							    quic_ref_secret_len(cipher)),
				  0);
			for (j = 0; j < 2; j++)
				rx_one(_metadata, peer, ulp, &key, cid, h, j);
			quic_ref_key_free(&key);
		}
	}
	TH_LOG("%u connections installed in %.1f s", nconn, quic_now() - t0);

	/*
	 * In datagrams of the usual size (32 KiB), then of the smallest
	 * (about 4 KiB) on a socket that never read more than 8 KiB at once:
	 * the kernel sizes a dump's datagrams by the largest read so far
	 */
	check_dump(_metadata, &self->nl, ulp, &local, &remote, nconn, &l, by);
	ASSERT_EQ(nl_open(&small), 0) TH_LOG("%s", small.why);
	small.rcv_len = 8192;
	ASSERT_EQ(nl_resolve(&small), 0) TH_LOG("%s", small.why);
	check_dump(_metadata, &small, ulp, &local, &remote, nconn, &l2, by2);
	nl_close(&small);
	for (i = 0; i < nconn; i++)
		ASSERT_EQ(memcmp(&l.v[by[i]], &l2.v[by2[i]], sizeof(l.v[0])), 0)
			TH_LOG("connection %u differs between the dumps",
			       conn_handle(i));

	/* A second socket, IPv6, three connections keyed for Tx only */
	ulp6 = ulp_socket(_metadata, AF_INET6, &local6);
	ASSERT_GE(ulp6, 0);
	for (i = 1; i <= 3; i++)
		ASSERT_EQ(quic_set_key(ulp6, false, i,
				       QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				       secret, 0, 0), 0);
	ASSERT_EQ(nl_dump(&self->nl, 0, &all), 0) TH_LOG("%s", self->nl.why);
	EXPECT_EQ(count_ino(&all, sock_ino(ulp)), nconn);
	EXPECT_EQ(count_ino(&all, sock_ino(ulp6)), 3U);
	for (k = 0; k < all.n; k++) {
		const struct nl_conn *c = &all.v[k];
		uint8_t addr[16];
		uint16_t port;

		if (c->ino != sock_ino(ulp6))
			continue;
		mapped(&local6, addr, &port);
		EXPECT_EQ(memcmp(c->local_addr, addr, 16), 0);
		EXPECT_EQ(c->local_port, port);
		EXPECT_EQ(c->cookie, sock_cookie(ulp6));
		EXPECT_TRUE(c->handle >= 1 && c->handle <= 3);
		EXPECT_TRUE(!!(c->tx.seen & BIT(QUIC_ULP_A_DIR_INFO_KEYS)));
		EXPECT_FALSE(!!(c->rx.seen & BIT(QUIC_ULP_A_DIR_INFO_KEYS)));
	}
	ASSERT_EQ(nl_dump(&self->nl, sock_ino(ulp6), &all), 0)
		TH_LOG("%s", self->nl.why);
	EXPECT_EQ(all.n, 3U);

	/* The inode of a socket without the ULP: nothing, and no error */
	plain = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_GE(plain, 0);
	ASSERT_EQ(nl_dump(&self->nl, sock_ino(plain), &all), 0)
		TH_LOG("%s", self->nl.why);
	EXPECT_EQ(all.n, 0U);
	close(plain);

	conn_list_free(&l);
	conn_list_free(&l2);
	conn_list_free(&all);
	free(by);
	free(by2);
	close(ulp);
	close(ulp6);
	close(peer);
}

/* As nobody: the counters, and its own connections only */
struct perm_arg {
	uint64_t root_ino;
	int nattrs;
};

static void perm_child(int in, int out, void *arg)
{
	const struct perm_arg *a = arg;
	struct sockaddr_storage addr;
	struct conn_list l = {};
	struct nl_stats st;
	struct nl nl;
	uint64_t ino;
	uint16_t port;
	uint8_t mapped_addr[16];
	int fd, err;

	drop_privileges(out);
	child_nl(out, &nl);
	err = nl_stats(&nl, &st);
	if (err)
		child_fail(out, "stats-get: %s", nl.why);
	if ((int)st.nattrs != a->nattrs)
		child_fail(out, "stats-get: %u attributes, root got %d",
			   st.nattrs, a->nattrs);

	/* Root's sockets are not its own */
	err = nl_dump(&nl, 0, &l);
	if (err)
		child_fail(out, "conn-get: %s", nl.why);
	if (l.n)
		child_fail(out, "conn-get shows connection %u of socket %llu (uid %u)",
			   l.v[0].handle, (unsigned long long)l.v[0].ino,
			   l.v[0].uid);
	err = nl_dump(&nl, a->root_ino, &l);
	if (err || l.n)
		child_fail(out, "conn-get of root's socket: %s, %zu connections",
			   err ? nl.why : "no error", l.n);

	/* Its own socket is */
	fd = child_ulp(out, 5, &addr);
	ino = sock_ino(fd);
	err = nl_dump(&nl, 0, &l);
	if (err)
		child_fail(out, "conn-get: %s", nl.why);
	if (l.n != 1 || l.v[0].ino != ino || l.v[0].handle != 5 ||
	    l.v[0].uid != NOBODY)
		child_fail(out, "conn-get: %zu connections, not its own one",
			   l.n);
	mapped(&addr, mapped_addr, &port);
	if (memcmp(l.v[0].local_addr, mapped_addr, 16) ||
	    l.v[0].local_port != port ||
	    l.v[0].cookie != sock_cookie(fd))
		child_fail(out, "conn-get: another socket's address or cookie");
	err = nl_dump(&nl, ino, &l);
	if (err || l.n != 1)
		child_fail(out, "conn-get of its socket: %s, %zu connections",
			   err ? nl.why : "no error", l.n);

	/* Root looks while it holds the socket */
	child_say(out, 0, ino, sock_cookie(fd));
	if (!child_wait(in))
		child_fail(out, "the parent went away");
	close(fd);
	conn_list_free(&l);
	nl_close(&nl);
	child_say(out, 1, 0, 0);
	_exit(0);
}

TEST_F_TIMEOUT(quic_nl, permissions, 120)
{
	struct sockaddr_storage local;
	struct conn_list l = {};
	struct perm_arg arg = {};
	uint8_t secret[32] = { 7 };
	struct child_msg m;
	struct nl_stats st;
	struct child c;
	int fd, i, status;
	size_t k;

	if (!self->ready)
		return;
	fd = ulp_socket(_metadata, AF_INET, &local);
	ASSERT_GE(fd, 0);
	for (i = 1; i <= 2; i++)
		ASSERT_EQ(quic_set_key(fd, false, i,
				       QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				       secret, 0, 0), 0);
	ASSERT_EQ(nl_stats(&self->nl, &st), 0) TH_LOG("%s", self->nl.why);
	arg.root_ino = sock_ino(fd);
	arg.nattrs = st.nattrs;

	ASSERT_EQ(child_start(&c, perm_child, &arg), 0);
	if (!child_read(&c, &m) || !m.ok || m.done) {
		status = child_end(&c);
		ASSERT_TRUE(false)
			TH_LOG("as nobody: %s (exit %d)", m.why, status);
	}
	/* Root sees both sockets, the child's as nobody's */
	ASSERT_EQ(nl_dump(&self->nl, 0, &l), 0) TH_LOG("%s", self->nl.why);
	EXPECT_EQ(count_ino(&l, arg.root_ino), 2U);
	EXPECT_EQ(count_ino(&l, m.ino), 1U);
	for (k = 0; k < l.n; k++) {
		if (l.v[k].ino == m.ino) {
			EXPECT_EQ(l.v[k].uid, NOBODY);
			EXPECT_EQ(l.v[k].handle, 5U);
			EXPECT_EQ(l.v[k].cookie, m.cookie);
		} else if (l.v[k].ino == arg.root_ino) {
			EXPECT_EQ(l.v[k].uid, 0U);
		}
	}
	child_go(&c);
	EXPECT_TRUE(child_read(&c, &m) && m.ok && m.done)
		TH_LOG("as nobody: %s", m.why);
	EXPECT_EQ(child_end(&c), 0);
	conn_list_free(&l);
	close(fd);
}

/*
 * A listener as nobody: no event of root's socket, one of its own. It
 * is told to look once root's events have reached root's listener,
 * which they reach in the same broadcast.
 */
static void listen_child(int in, int out, void *arg)
{
	struct sockaddr_storage addr;
	struct nl_event ev[8];
	struct nl nl;
	char why[160];
	uint64_t ino, cookie;
	int fd, n, err;

	drop_privileges(out);
	child_nl(out, &nl);
	if (nl_join(&nl))
		child_fail(out, "%s", nl.why);
	fd = child_ulp(out, 9, &addr);
	ino = sock_ino(fd);
	cookie = sock_cookie(fd);
	child_say(out, 0, ino, cookie);
	if (!child_wait(in))
		child_fail(out, "the parent went away");

	n = nl_events(&nl, ev, 8, 0, 0, QUIET_MS);
	if (n < 0)
		child_fail(out, "events: %s", nl.why);
	if (n)
		child_fail(out, "%d events of root's, the first of socket %llu conn %u",
			   n, (unsigned long long)ev[0].ino, ev[0].handle);

	/* A Tx key update of its own, to itself */
	err = send_one(fd, 9, (const uint8_t *)"12345678", 0, 0, &addr);
	if (!err)
		err = send_one(fd, 9, (const uint8_t *)"12345678", 1, 1,
			       &addr);
	if (err)
		child_fail(out, "sending: %s", strerror(-err));
	n = nl_events(&nl, ev, 8, 1, EVENT_WAIT_MS, QUIET_MS);
	if (n < 0)
		child_fail(out, "events: %s", nl.why);
	if (n != 1)
		child_fail(out, "%d events of its own key update, not 1", n);
	if (event_diff(&ev[0], QUIC_ULP_CMD_KEY_UPDATE_NTF, ino, cookie, 9,
		       QUIC_ULP_DIR_TX, 1, why, sizeof(why)))
		child_fail(out, "its key update: %s", why);
	close(fd);
	nl_close(&nl);
	child_say(out, 1, ino, cookie);
	_exit(0);
}

TEST_F_TIMEOUT(quic_nl, notifications, 120)
{
	struct sockaddr_storage local, remote;
	uint8_t secret[32], cid[CID_LEN], pkt[PKT_LEN + 1];
	struct nl_event ev[8];
	struct quic_ref_key key;
	struct child_msg m;
	socklen_t remote_len;
	uint64_t ino, cookie;
	struct child c;
	struct nl lis;
	char why[160];
	int ulp, peer, n, status, i, tx = -1, rx = -1;

	if (!self->ready)
		return;
	ASSERT_EQ(nl_open_family(&lis), 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(nl_join(&lis), 0) TH_LOG("%s", lis.why);

	ASSERT_EQ(child_start(&c, listen_child, NULL), 0);
	if (!child_read(&c, &m) || !m.ok || m.done) {
		status = child_end(&c);
		ASSERT_TRUE(false)
			TH_LOG("listener as nobody: %s (exit %d)", m.why, status);
	}

	ulp = ulp_socket(_metadata, AF_INET, &local);
	peer = quic_udp_socket(AF_INET, true, &remote, &remote_len);
	ASSERT_GE(ulp, 0);
	ASSERT_GE(peer, 0);
	quic_set_timeout(peer, TIMEOUT_MS);
	ASSERT_EQ(connect(peer, (struct sockaddr *)&local,
			  quic_addr_len(&local)), 0);
	ino = sock_ino(ulp);
	cookie = sock_cookie(ulp);
	quic_random(secret, sizeof(secret));
	quic_random(cid, sizeof(cid));
	ASSERT_EQ(quic_ref_key_init(&key, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
				    secret, sizeof(secret)), 0);
	ASSERT_EQ(quic_set_key(ulp, false, 7, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, 0), 0);
	ASSERT_EQ(quic_set_key(ulp, true, 7, QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
			       secret, 0, 0), 0);
	ASSERT_EQ(quic_cid(ulp, true, 7, QUIC_ULP_DIR_RX, cid, CID_LEN, NULL),
		  0);

	/* Tx: generation 0, then the application names generation 1 */
	ASSERT_EQ(send_one(ulp, 7, cid, 0, 0, &remote), 0);
	ASSERT_EQ(recv(peer, pkt, sizeof(pkt), 0), PKT_LEN);
	ASSERT_EQ(send_one(ulp, 7, cid, 1, 1, &remote), 0);
	ASSERT_EQ(recv(peer, pkt, sizeof(pkt), 0), PKT_LEN);

	/* Rx: the peer's packet of generation 0, then one of generation 1 */
	rx_one(_metadata, peer, ulp, &key, cid, 7, 0);
	wait_next_key(_metadata, ulp, 7);
	ASSERT_EQ(quic_ref_key_update(&key), 0);
	rx_one(_metadata, peer, ulp, &key, cid, 7, 1);

	n = nl_events(&lis, ev, 8, 2, EVENT_WAIT_MS, QUIET_MS);
	ASSERT_GE(n, 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(n, 2) TH_LOG("%d events for two key updates", n);
	for (i = 0; i < 2; i++) {
		if (ev[i].dir == QUIC_ULP_DIR_TX)
			tx = i;
		else
			rx = i;
	}
	ASSERT_GE(tx, 0) TH_LOG("no Tx key update event");
	ASSERT_GE(rx, 0) TH_LOG("no Rx key update event");
	EXPECT_EQ(event_diff(&ev[tx], QUIC_ULP_CMD_KEY_UPDATE_NTF, ino, cookie,
			     7, QUIC_ULP_DIR_TX, 1, why, sizeof(why)), 0)
		TH_LOG("Tx: %s", why);
	EXPECT_EQ(event_diff(&ev[rx], QUIC_ULP_CMD_KEY_UPDATE_NTF, ino, cookie,
			     7, QUIC_ULP_DIR_RX, 1, why, sizeof(why)), 0)
		TH_LOG("Rx: %s", why);

	/* nobody got none of those; its own update, root gets too */
	child_go(&c);
	EXPECT_TRUE(child_read(&c, &m) && m.ok && m.done)
		TH_LOG("listener as nobody: %s", m.why);
	EXPECT_EQ(child_end(&c), 0);
	n = nl_events(&lis, ev, 8, 1, EVENT_WAIT_MS, QUIET_MS);
	ASSERT_GE(n, 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(n, 1) TH_LOG("%d events for nobody's key update", n);
	EXPECT_EQ(event_diff(&ev[0], QUIC_ULP_CMD_KEY_UPDATE_NTF, m.ino,
			     m.cookie, 9, QUIC_ULP_DIR_TX, 1, why,
			     sizeof(why)), 0)
		TH_LOG("nobody's: %s", why);

	quic_ref_key_free(&key);
	nl_close(&lis);
	close(ulp);
	close(peer);
}

/*
 * limit-ntf: the confidentiality limit of AES-128-CCM, 2^21.5 packets
 * (RFC 9001, 6.6). No cheaper way to it: the limits are the cipher's.
 */
#define CCM_LIMIT	2965820ULL
#define BATCH		64
#define SMALL_PKT	48	/* a header of 13, the sample and the tag */

static bool limits_full_run(void)
{
	const char *v = getenv("QUIC_LIMITS_FULL");

	if (v && *v)
		return strcmp(v, "0");
	return quic_long_run();
}

TEST_F_TIMEOUT(quic_nl, limit_ntf, 1700)
{
	static uint8_t batch[BATCH * SMALL_PKT];
	static struct quic_ulp_tx_info recs[BATCH];
	struct sockaddr_storage local, sink;
	uint8_t secret[32], cid[CID_LEN] = { 0x11, 0x22, 0x33, 0x44 };
	struct nl_event ev[8];
	socklen_t sink_len;
	uint64_t pn = 0, ino, cookie;
	struct quic_ulp_conn_info info;
	struct nl lis;
	char why[160];
	int ulp, fd, n;
	size_t i, cnt;

	if (!self->ready)
		return;
	if (!limits_full_run())
		SKIP(return,
		     "the AES-128-CCM limit takes 2,965,820 packets: QUIC_SELFTEST_LONG=1 or QUIC_LIMITS_FULL=1 runs it");
	ASSERT_EQ(nl_open_family(&lis), 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(nl_join(&lis), 0) TH_LOG("%s", lis.why);
	ulp = ulp_socket(_metadata, AF_INET, &local);
	ASSERT_GE(ulp, 0);
	ino = sock_ino(ulp);
	cookie = sock_cookie(ulp);
	/* A port of the peer's that nobody listens on */
	fd = quic_udp_socket(AF_INET, true, &sink, &sink_len);
	ASSERT_GE(fd, 0);
	close(fd);
	quic_random(secret, sizeof(secret));
	ASSERT_EQ(quic_set_key(ulp, false, 3, QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
			       secret, 0, 0), 0);

	while (pn < CCM_LIMIT) {
		cnt = CCM_LIMIT - pn < BATCH ? CCM_LIMIT - pn : BATCH;
		for (i = 0; i < cnt; i++) {
			quic_build(batch + i * SMALL_PKT, SMALL_PKT, cid,
				   CID_LEN, pn + i, 4, false, (uint8_t)i);
			recs[i] = quic_tx_rec(3, pn + i, 0, CID_LEN);
		}
		ASSERT_EQ(quic_send_tx(ulp, batch, cnt * SMALL_PKT,
				       cnt > 1 ? SMALL_PKT : 0, &sink, recs,
				       cnt), (ssize_t)(cnt * SMALL_PKT))
			TH_LOG("packet %llu: %s", (unsigned long long)pn,
			       strerror(errno));
		pn += cnt;
	}
	/* Past it, twice: refused; the limit was reached once */
	for (i = 0; i < 2; i++) {
		quic_build(batch, SMALL_PKT, cid, CID_LEN, pn, 4, false, 0);
		recs[0] = quic_tx_rec(3, pn, 0, CID_LEN);
		EXPECT_EQ(quic_send_tx(ulp, batch, SMALL_PKT, 0, &sink, recs,
				       1), -1);
		EXPECT_EQ(errno, EKEYEXPIRED);
	}
	ASSERT_EQ(quic_conn_info(ulp, 3, &info), 0);
	EXPECT_TRUE(info.tx.flags & QUIC_ULP_INFO_LIMIT);
	n = nl_events(&lis, ev, 8, 1, EVENT_WAIT_MS, QUIET_MS);
	ASSERT_GE(n, 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(n, 1) TH_LOG("%d events for one limit", n);
	EXPECT_EQ(event_diff(&ev[0], QUIC_ULP_CMD_LIMIT_NTF, ino, cookie, 3,
			     QUIC_ULP_DIR_TX, 0, why, sizeof(why)), 0)
		TH_LOG("%s", why);
	EXPECT_EQ(ev[0].packets, CCM_LIMIT);

	/* The application updates its keys: a key update, no limit */
	quic_build(batch, SMALL_PKT, cid, CID_LEN, pn, 4, true, 0);
	recs[0] = quic_tx_rec(3, pn, 1, CID_LEN);
	ASSERT_EQ(quic_send_tx(ulp, batch, SMALL_PKT, 0, &sink, recs, 1),
		  SMALL_PKT);
	n = nl_events(&lis, ev, 8, 1, EVENT_WAIT_MS, QUIET_MS);
	ASSERT_GE(n, 0) TH_LOG("%s", lis.why);
	ASSERT_EQ(n, 1) TH_LOG("%d events for one key update", n);
	EXPECT_EQ(event_diff(&ev[0], QUIC_ULP_CMD_KEY_UPDATE_NTF, ino, cookie,
			     3, QUIC_ULP_DIR_TX, 1, why, sizeof(why)), 0)
		TH_LOG("%s", why);
	nl_close(&lis);
	close(ulp);
}

/* quic_ynl.sh's socket: see the top of the file */
static int hold_main(const char *count)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(sin);
	uint8_t secret[32];
	long n = atol(count), i;
	char c;
	int fd, err;

	if (n < 1 || n > 100000) {
		fprintf(stderr, "quic_nl --hold: 1 to 100000 connections\n");
		return 1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, len) ||
	    getsockname(fd, (struct sockaddr *)&sin, &len)) {
		perror("quic_nl --hold: UDP socket");
		return 1;
	}
	err = quic_attach(fd);
	if (err) {
		fprintf(stderr, "quic_nl --hold: attaching the ULP: %s\n",
			strerror(-err));
		/* No such ULP, or a kernel without UDP_ULP at all */
		return err == -ENOENT || err == -ENOPROTOOPT ? KSFT_SKIP : 1;
	}
	for (i = 0; i < n; i++) {
		quic_random(secret, sizeof(secret));
		err = quic_set_key(fd, false, HOLD_BASE + i,
				   QUIC_ULP_CIPHER_AES_128_GCM_SHA256, secret,
				   0, 0);
		if (!err)
			err = quic_set_key(fd, true, HOLD_BASE + i,
					   QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
					   secret, 0, 0);
		if (err) {
			fprintf(stderr, "quic_nl --hold: keys: %s\n",
				strerror(-err));
			return 1;
		}
	}
	printf("%llu %llu %u\n", (unsigned long long)sock_ino(fd),
	       (unsigned long long)sock_cookie(fd), ntohs(sin.sin_port));
	fflush(stdout);
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	close(fd);
	return 0;
}

/*
 * quic_topo_main() without its leak: test_harness_run() of 6.15 and later
 * exits instead of returning, which skipped the cleanup after it and
 * left the peer namespace behind. At exit, it goes either way; the
 * harness's test processes end with _exit(), which leaves it alone.
 */
int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--hold"))
		return hold_main(argv[2]);
	atexit(quic_topo_cleanup);
	if (quic_topo_setup()) {
		ksft_print_msg("cannot set up namespaces and veth\n");
		return KSFT_SKIP;
	}
	return test_harness_run(argc, argv);
}
