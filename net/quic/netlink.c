// SPDX-License-Identifier: GPL-2.0
/*
 * The quic-ulp generic netlink family (Documentation/netlink/specs/
 * quic-ulp.yaml): a namespace's counters, its offloaded connections, and
 * notifications of key updates and AEAD limits. Read-only: connections
 * are keyed through their socket only, and no key material leaves here.
 *
 * Who sees what: anyone reads the counters, as anyone reads
 * /proc/net/quic_ulp_stat. A connection, or an event of it, tells who talks
 * to whom and when they rekey: it is shown to a caller with CAP_NET_ADMIN
 * over the namespace, and otherwise only to the owner of its socket.
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/sock_diag.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "quic.h"
#include "netlink-gen.h"

/* The attributes are the counters, in the same order */
static_assert((int)QUIC_ULP_A_STATS_CURR_CONNS == (int)QUIC_MIB_CURR_CONNS);
static_assert((int)QUIC_ULP_A_STATS_MAX == (int)QUIC_MIB_MAX - 1);

#if !IS_ENABLED(CONFIG_QUIC_ULP_DEVICE)
/* Without device support, no device has QUIC packet protection */
int quic_ulp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return -EOPNOTSUPP;
}

int quic_ulp_nl_dev_get_dumpit(struct sk_buff *skb,
			       struct netlink_callback *cb)
{
	return 0;
}

int quic_ulp_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	return -EOPNOTSUPP;
}
#endif

int quic_ulp_nl_stats_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	u64 stats[QUIC_MIB_MAX];
	struct sk_buff *rsp;
	void *hdr;
	int i;

	rsp = genlmsg_new(GENLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	hdr = genlmsg_iput(rsp, info);
	if (!hdr)
		goto err;
	quic_ulp_net_stats(genl_info_net(info), stats);
	for (i = QUIC_ULP_A_STATS_CURR_CONNS; i <= QUIC_ULP_A_STATS_MAX; i++)
		if (nla_put_uint(rsp, i, stats[i]))
			goto err;
	genlmsg_end(rsp, hdr);
	return genlmsg_reply(rsp, info);

err:
	nlmsg_free(rsp);
	return -EMSGSIZE;
}

/* SO_COOKIE's value: sock_diag's exported way to it */
static u64 quic_nl_sock_cookie(struct sock *sk)
{
	u32 cookie[2];

	sock_diag_save_cookie(sk, cookie);
	return (u64)cookie[1] << 32 | cookie[0];
}

/* The owner of a socket: the user that created it */
static kuid_t quic_nl_sock_owner(const struct sock *sk)
{
	return sk_uid(sk);
}

/**
 * struct quic_nl_sock - what a dump says of a socket, read once for all
 *	its connections
 * @ino: inode number
 * @cookie: socket cookie
 * @uid: owner, in the caller's user namespace
 * @laddr: local address, v4-mapped for IPv4
 * @lport: local port
 * @daddr: the peer of a connected socket, v4-mapped for IPv4
 * @dport: its port; 0 when not connected
 */
struct quic_nl_sock {
	u64		ino;
	u64		cookie;
	u32		uid;
	struct in6_addr	laddr;
	__be16		lport;
	struct in6_addr	daddr;
	__be16		dport;
};

static void quic_nl_sock_read(struct sock *sk, struct user_namespace *ns,
			      struct quic_nl_sock *s)
{
	const struct inet_sock *inet = inet_sk(sk);
	bool connected = READ_ONCE(sk->sk_state) == TCP_ESTABLISHED;

	memset(s, 0, sizeof(*s));
	s->ino = sock_i_ino(sk);
	s->cookie = quic_nl_sock_cookie(sk);
	s->uid = from_kuid_munged(ns, quic_nl_sock_owner(sk));
	s->lport = READ_ONCE(inet->inet_sport);
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		s->laddr = sk->sk_v6_rcv_saddr;
		if (connected) {
			s->daddr = sk->sk_v6_daddr;
			s->dport = READ_ONCE(inet->inet_dport);
		}
		return;
	}
#endif
	ipv6_addr_set_v4mapped(READ_ONCE(inet->inet_rcv_saddr), &s->laddr);
	if (connected) {
		ipv6_addr_set_v4mapped(READ_ONCE(inet->inet_daddr), &s->daddr);
		s->dport = READ_ONCE(inet->inet_dport);
	}
}

/* Where the direction's packets are protected, and how many by a device */
static int quic_nl_dev_fill(struct sk_buff *skb, struct quic_dir *dir)
{
	u32 path = QUIC_ULP_CRYPTO_PATH_SOFTWARE;
	int ifindex = 0;
	u64 packets;

	if (quic_ulp_dev_dir_info(dir, &packets, &ifindex)) {
		if (nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_DEVICE_PACKETS,
				 packets))
			return -EMSGSIZE;
	}
	if (ifindex) {
		path = QUIC_ULP_CRYPTO_PATH_DEVICE;
		if (nla_put_u32(skb, QUIC_ULP_A_DIR_INFO_DEVICE_IFINDEX,
				ifindex))
			return -EMSGSIZE;
	}
	return nla_put_u32(skb, QUIC_ULP_A_DIR_INFO_CRYPTO_PATH, path);
}

static int quic_nl_dir_fill(struct sk_buff *skb, int type, struct quic_dir *dir)
{
	struct quic_ulp_dir_info info = {};
	struct nlattr *nest;

	quic_ulp_dir_info(dir, &info);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_PACKETS, info.packets) ||
	    nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_BYTES, info.bytes) ||
	    (info.largest_pn != U64_MAX &&
	     nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_LARGEST_PN, info.largest_pn)) ||
	    nla_put_u32(skb, QUIC_ULP_A_DIR_INFO_KEY_UPDATES, info.key_updates) ||
	    nla_put_u8(skb, QUIC_ULP_A_DIR_INFO_KEY_PHASE, info.key_phase) ||
	    nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_KEY_PACKETS, info.key_packets) ||
	    nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_OLD_KEY_PACKETS,
			 info.old_key_packets) ||
	    nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_AUTH_FAILURES,
			 info.auth_failures) ||
	    nla_put_uint(skb, QUIC_ULP_A_DIR_INFO_REFUSED, info.refused) ||
	    nla_put_u32(skb, QUIC_ULP_A_DIR_INFO_CIDS, info.cids) ||
	    ((info.flags & QUIC_ULP_INFO_KEY) &&
	     nla_put_flag(skb, QUIC_ULP_A_DIR_INFO_KEYS)) ||
	    ((info.flags & QUIC_ULP_INFO_OLD_KEY) &&
	     nla_put_flag(skb, QUIC_ULP_A_DIR_INFO_OLD_KEYS)) ||
	    ((info.flags & QUIC_ULP_INFO_NEXT_KEY) &&
	     nla_put_flag(skb, QUIC_ULP_A_DIR_INFO_NEXT_KEYS)) ||
	    ((info.flags & QUIC_ULP_INFO_LIMIT) &&
	     nla_put_flag(skb, QUIC_ULP_A_DIR_INFO_LIMIT)) ||
	    quic_nl_dev_fill(skb, dir)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The peer's address: the connection's, once a packet authenticated,
 * else a connected socket's
 */
static int quic_nl_peer_fill(struct sk_buff *skb, struct quic_conn *conn,
			     const struct quic_nl_sock *s)
{
	struct in6_addr addr;
	__be16 port;

	spin_lock_bh(&conn->rx.lock);
	addr = conn->peer_addr;
	port = conn->peer_port;
	spin_unlock_bh(&conn->rx.lock);
	if (!port) {
		addr = s->daddr;
		port = s->dport;
	}
	if (!port)
		return 0;
	if (nla_put_in6_addr(skb, QUIC_ULP_A_CONN_PEER_ADDR, &addr) ||
	    nla_put_be16(skb, QUIC_ULP_A_CONN_PEER_PORT, port))
		return -EMSGSIZE;
	return 0;
}

static int quic_nl_conn_fill(struct sk_buff *skb, struct netlink_callback *cb,
			     struct quic_conn *conn, const struct quic_nl_sock *s)
{
	void *hdr;

	hdr = genlmsg_iput(skb, genl_info_dump(cb));
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_uint(skb, QUIC_ULP_A_CONN_SOCK_INO, s->ino) ||
	    nla_put_uint(skb, QUIC_ULP_A_CONN_SOCK_COOKIE, s->cookie) ||
	    nla_put_u32(skb, QUIC_ULP_A_CONN_SOCK_UID, s->uid) ||
	    nla_put_in6_addr(skb, QUIC_ULP_A_CONN_LOCAL_ADDR, &s->laddr) ||
	    nla_put_be16(skb, QUIC_ULP_A_CONN_LOCAL_PORT, s->lport) ||
	    quic_nl_peer_fill(skb, conn, s) ||
	    nla_put_u32(skb, QUIC_ULP_A_CONN_HANDLE, conn->handle) ||
	    nla_put_u32(skb, QUIC_ULP_A_CONN_CIPHER, conn->cipher->suite) ||
	    nla_put_u32(skb, QUIC_ULP_A_CONN_VERSION, conn->labels->version) ||
	    quic_nl_dir_fill(skb, QUIC_ULP_A_CONN_TX, &conn->tx) ||
	    quic_nl_dir_fill(skb, QUIC_ULP_A_CONN_RX, &conn->rx)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/**
 * struct quic_nl_dump_ctx - where a dump of connections resumes
 * @sock_id: the id of the socket being dumped (quic_sock.id)
 * @handle: the next handle of that socket to dump
 * @started: @admin and @uid are set
 * @admin: the requester sees every socket
 * @uid: else, the owner whose sockets it sees
 */
struct quic_nl_dump_ctx {
	u64	sock_id;
	u64	handle;
	bool	started;
	bool	admin;
	kuid_t	uid;
};

/* The connections of one socket from @ctx->handle on; they are freed an
 * RCU grace period after they leave the socket's table, so each is read
 * under rcu_read_lock() without a reference.
 */
static int quic_nl_dump_sock(struct sk_buff *skb, struct netlink_callback *cb,
			     struct quic_sock *qs, const struct quic_nl_sock *s,
			     struct quic_nl_dump_ctx *ctx)
{
	struct quic_conn *conn;
	unsigned long handle;
	int err = 0;

	rcu_read_lock();
	xa_for_each_start(&qs->conns, handle, conn, ctx->handle) {
		if (READ_ONCE(conn->dead))
			continue;
		err = quic_nl_conn_fill(skb, cb, conn, s);
		if (err) {
			ctx->handle = handle;
			break;
		}
	}
	rcu_read_unlock();
	return err;
}

/* Who the requester is, decided once for the whole dump: the credentials
 * its netlink socket was opened with (and, for the capability, the task
 * that asked), as for listeners below
 */
static void quic_nl_dump_start(struct netlink_callback *cb,
			       struct quic_nl_dump_ctx *ctx)
{
	const struct sock *nlsk = NETLINK_CB(cb->skb).sk;

	ctx->uid = nlsk->sk_socket->file->f_cred->euid;
	ctx->admin = netlink_net_capable(cb->skb, CAP_NET_ADMIN);
	ctx->started = true;
}

int quic_ulp_nl_conn_get_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct quic_nl_dump_ctx *ctx = (struct quic_nl_dump_ctx *)cb->ctx;
	const struct genl_info *info = genl_info_dump(cb);
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(cb->skb).sk);
	struct net *net = sock_net(skb->sk);
	struct quic_nl_sock s;
	struct quic_sock *qs;
	u64 ino = 0;
	int err = 0;

	BUILD_BUG_ON(sizeof(*ctx) > sizeof(cb->ctx));
	if (!ctx->started)
		quic_nl_dump_start(cb, ctx);
	if (info->attrs[QUIC_ULP_A_CONN_SOCK_INO])
		ino = nla_get_uint(info->attrs[QUIC_ULP_A_CONN_SOCK_INO]);

	while ((qs = quic_ulp_net_sock_get(net, ctx->sock_id))) {
		if (qs->id != ctx->sock_id) {
			ctx->sock_id = qs->id;
			ctx->handle = 0;
		}
		if (ctx->admin ||
		    uid_eq(quic_nl_sock_owner(qs->sk), ctx->uid)) {
			quic_nl_sock_read(qs->sk, ns, &s);
			if (!ino || s.ino == ino)
				err = quic_nl_dump_sock(skb, cb, qs, &s, ctx);
		}
		quic_ulp_net_sock_put(qs);
		if (err)
			break;
		ctx->sock_id++;
		ctx->handle = 0;
		/* (a namespace may have many sockets, none of them shown) */
		cond_resched();
	}
	/* Out of room: netlink calls again with what was filled sent */
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err;
}

/**
 * struct quic_nl_listener - who may hear of an event
 * @ns: the user namespace of the event's network namespace
 * @owner: the owner of the event's socket
 */
struct quic_nl_listener {
	struct user_namespace	*ns;
	kuid_t			owner;
};

/* Non-zero to skip listener @dsk. It is on the group's list, from which
 * netlink_release() removes it before the socket loses its file: the
 * credentials it was opened with decide, as for any netlink capability.
 */
static int quic_nl_filter(struct sock *dsk, struct sk_buff *skb, void *data)
{
	const struct quic_nl_listener *l = data;
	const struct socket *sock = READ_ONCE(dsk->sk_socket);
	const struct file *file = sock ? sock->file : NULL;

	if (!file)
		return 1;
	/* The owner first: its own listener never costs a capability
	 * check (nor an audit record)
	 */
	if (uid_eq(file->f_cred->euid, l->owner))
		return 0;
	return !file_ns_capable(file, l->ns, CAP_NET_ADMIN);
}

static void quic_nl_event(struct sock *sk, u8 cmd, const struct quic_conn *conn,
			  u8 dir, u32 key_updates, u64 packets)
{
	struct net *net = sock_net(sk);
	struct quic_nl_listener l;
	struct sk_buff *skb;
	void *hdr;

	/* (true when any namespace has a listener) */
	if (!genl_has_listeners(&quic_ulp_nl_family, net, QUIC_ULP_NLGRP_EVENTS))
		return;
	skb = genlmsg_new(3 * nla_total_size(sizeof(u64)) +
			  3 * nla_total_size(sizeof(u32)), GFP_ATOMIC);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &quic_ulp_nl_family, 0, cmd);
	if (!hdr ||
	    nla_put_uint(skb, QUIC_ULP_A_EVENT_SOCK_INO, sock_i_ino(sk)) ||
	    nla_put_uint(skb, QUIC_ULP_A_EVENT_SOCK_COOKIE,
			 quic_nl_sock_cookie(sk)) ||
	    nla_put_u32(skb, QUIC_ULP_A_EVENT_HANDLE, conn->handle) ||
	    nla_put_u32(skb, QUIC_ULP_A_EVENT_DIR, dir) ||
	    nla_put_u32(skb, QUIC_ULP_A_EVENT_KEY_UPDATES, key_updates) ||
	    (packets && nla_put_uint(skb, QUIC_ULP_A_EVENT_PACKETS, packets))) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	l.ns = net->user_ns;
	l.owner = quic_nl_sock_owner(sk);
	genlmsg_multicast_netns_filtered(&quic_ulp_nl_family, net, skb, 0,
					 QUIC_ULP_NLGRP_EVENTS, GFP_ATOMIC,
					 quic_nl_filter, &l);
}

/**
 * quic_ulp_nl_key_update() - notify that a direction changed keys
 * @sk: the connection's socket, alive
 * @conn: the connection
 * @dir: QUIC_ULP_DIR_TX or QUIC_ULP_DIR_RX
 * @key_updates: the generation now current
 *
 * Any context; nothing is allocated unless someone listens.
 */
void quic_ulp_nl_key_update(struct sock *sk, const struct quic_conn *conn,
			    u8 dir, u32 key_updates)
{
	quic_nl_event(sk, QUIC_ULP_CMD_KEY_UPDATE_NTF, conn, dir, key_updates, 0);
}

/**
 * quic_ulp_nl_limit() - notify that a direction reached its AEAD limit
 * @sk: the connection's socket, alive
 * @conn: the connection
 * @dir: QUIC_ULP_DIR_TX (confidentiality) or QUIC_ULP_DIR_RX (integrity)
 * @key_updates: the generation concerned
 * @packets: packets protected with it (Tx), or forgeries received (Rx)
 *
 * Any context.
 */
void quic_ulp_nl_limit(struct sock *sk, const struct quic_conn *conn, u8 dir,
		       u32 key_updates, u64 packets)
{
	quic_nl_event(sk, QUIC_ULP_CMD_LIMIT_NTF, conn, dir, key_updates,
		      packets);
}

int quic_ulp_nl_init(void)
{
	return genl_register_family(&quic_ulp_nl_family);
}

void quic_ulp_nl_exit(void)
{
	genl_unregister_family(&quic_ulp_nl_family);
}
