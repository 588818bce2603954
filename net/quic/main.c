// SPDX-License-Identifier: GPL-2.0
/*
 * The "quic" UDP ULP: QUIC 1-RTT packet protection for userspace QUIC
 * stacks. See Documentation/networking/quic.rst.
 *
 * This file registers the ULP and keeps what belongs to a network
 * namespace: the counters (/proc/net/quic_ulp_stat), the limits on what one
 * socket may hold (sysctl net.quic_ulp.*) and the table of its sockets that
 * the netlink family dumps.
 */

#include <linux/inet_diag.h>
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "quic.h"

#define CREATE_TRACE_POINTS
#include <trace/events/quic_ulp.h>

struct workqueue_struct *quic_ulp_wq;

/*
 * A connection's AEAD transforms, some 10 KiB of it with AES-GCM on
 * x86_64 with AES-NI and PCLMULQDQ (more where GHASH is generic), are not
 * charged to any memory cgroup (Documentation/networking/quic.rst,
 * "Limits"): there, the defaults keep what a namespace can pin that way
 * near 700 MiB. A server that needs more raises them.
 */
#define QUIC_DEFAULT_MAX_CONNS		16384
#define QUIC_DEFAULT_MAX_CONNS_TOTAL	65536
#define QUIC_LIMIT_MAX_CONNS		(16 * 1024 * 1024)

/**
 * struct quic_net - what the ULP keeps per network namespace
 * @mib: counters
 * @max_conns: most connections on one socket
 * @max_conns_total: most connections on all sockets of the namespace, and,
 *	in the initial namespace, in all namespaces of non-initial user
 *	namespaces too
 * @max_cids: most connection IDs per connection and direction
 * @conns: connections counted against @max_conns_total, until freed
 * @sysctl: the limits' sysctl table
 * @socks: sockets with the ULP, by an id given in the order it was
 *	attached to them, for netlink dumps to resume from
 * @next_sock_id: the id after the last one given
 */
struct quic_net {
	struct quic_mib __percpu	*mib;
	unsigned int			max_conns;
	unsigned int			max_conns_total;
	unsigned int			max_cids;
	atomic_t			conns;
	struct ctl_table_header		*sysctl;
	struct xarray			socks;
	u32				next_sock_id;
};

static unsigned int quic_net_id __read_mostly;

static struct quic_net *quic_net(const struct net *net)
{
	return net_generic(net, quic_net_id);
}

struct quic_mib __percpu *quic_ulp_net_mib(const struct net *net)
{
	return quic_net(net)->mib;
}

/**
 * quic_ulp_max_conns() - the most connections a socket may have
 * @net: the socket's network namespace
 *
 * Return: net.quic_ulp.max_connections of @net.
 */
unsigned int quic_ulp_max_conns(const struct net *net)
{
	return READ_ONCE(quic_net(net)->max_conns);
}

/**
 * quic_ulp_max_cids() - the most IDs a connection may have in one direction
 * @net: the socket's network namespace
 *
 * Return: net.quic_ulp.max_cids of @net.
 */
unsigned int quic_ulp_max_cids(const struct net *net)
{
	return READ_ONCE(quic_net(net)->max_cids);
}

static bool quic_net_charge_one(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	unsigned int max = READ_ONCE(qn->max_conns_total);
	int n = atomic_read(&qn->conns);

	do {
		if ((unsigned int)n >= max)
			return false;
	} while (!atomic_try_cmpxchg(&qn->conns, &n, n + 1));
	return true;
}

/* Namespaces an unprivileged user can create count twice: in their own
 * limit and in the initial namespace's, which so bounds all of them.
 */
static bool quic_net_shared(const struct net *net)
{
	return net->user_ns != &init_user_ns;
}

/**
 * quic_ulp_net_charge_conn() - count a new connection against the limits
 * @net: its socket's network namespace
 *
 * A connection's crypto transforms cannot be charged to a memory cgroup
 * (the crypto API takes no allocation flags): the connections themselves
 * are counted instead, per namespace and, for the namespaces of
 * non-initial user namespaces, in the initial one as well.
 *
 * Return: true if it may be created.
 */
bool quic_ulp_net_charge_conn(struct net *net)
{
	if (!quic_net_charge_one(net))
		return false;
	if (quic_net_shared(net) && !quic_net_charge_one(&init_net)) {
		atomic_dec(&quic_net(net)->conns);
		return false;
	}
	return true;
}

/**
 * quic_ulp_net_uncharge_conn() - a connection's memory was freed
 * @net: its socket's network namespace
 */
void quic_ulp_net_uncharge_conn(struct net *net)
{
	atomic_dec(&quic_net(net)->conns);
	if (quic_net_shared(net))
		atomic_dec(&quic_net(&init_net)->conns);
}

/**
 * quic_ulp_net_stats() - sum a namespace's counters over its CPUs
 * @net: the namespace
 * @stats: QUIC_MIB_MAX counters, filled from index 1 (QUIC_MIB_NUM is not
 *	a counter)
 */
void quic_ulp_net_stats(const struct net *net, u64 *stats)
{
	struct quic_mib __percpu *mib = quic_ulp_net_mib(net);
	int cpu, i;

	memset(stats, 0, QUIC_MIB_MAX * sizeof(*stats));
	for_each_possible_cpu(cpu)
		for (i = 1; i < QUIC_MIB_MAX; i++)
			stats[i] += snmp_get_cpu_field64(mib, cpu, i,
							 offsetof(struct quic_mib,
								  syncp));
}

/* A socket is listed from the attachment of the ULP until its release,
 * within which its struct sock is alive: a reader that finds it listed
 * may take a reference to the socket.
 */
static int quic_net_sock_add(struct quic_sock *qs)
{
	struct quic_net *qn = quic_net(qs->net);
	int err;

	err = xa_alloc_cyclic(&qn->socks, &qs->id, qs, xa_limit_32b,
			      &qn->next_sock_id, GFP_KERNEL_ACCOUNT);
	return err < 0 ? err : 0;
}

static void quic_net_sock_del(struct quic_sock *qs)
{
	xa_erase(&quic_net(qs->net)->socks, qs->id);
}

/**
 * quic_ulp_net_sock_get() - the first socket with the ULP from an id on
 * @net: the namespace
 * @id: the smallest id wanted
 *
 * Return: the state of the socket with the smallest id at least @id, with
 * a reference to it and to its socket (quic_ulp_net_sock_put()), or NULL.
 */
struct quic_sock *quic_ulp_net_sock_get(struct net *net, u64 id)
{
	struct quic_net *qn = quic_net(net);
	unsigned long index = id;
	struct quic_sock *qs;

	if (id > U32_MAX)
		return NULL;
	xa_lock(&qn->socks);
	qs = xa_find(&qn->socks, &index, U32_MAX, XA_PRESENT);
	if (qs) {
		sock_hold(qs->sk);
		quic_ulp_sock_hold(qs);
	}
	xa_unlock(&qn->socks);
	return qs;
}

/**
 * quic_ulp_net_sock_put() - drop what quic_ulp_net_sock_get() took
 * @qs: the socket's state
 */
void quic_ulp_net_sock_put(struct quic_sock *qs)
{
	sock_put(qs->sk);
	quic_ulp_sock_put(qs);
}

#ifdef CONFIG_PROC_FS
static const struct snmp_mib quic_mib_names[] = {
	SNMP_MIB_ITEM("QuicCurrConns", QUIC_MIB_CURR_CONNS),
	SNMP_MIB_ITEM("QuicTxPackets", QUIC_MIB_TX_PACKETS),
	SNMP_MIB_ITEM("QuicTxBytes", QUIC_MIB_TX_BYTES),
	SNMP_MIB_ITEM("QuicTxKeyUpdates", QUIC_MIB_TX_KEY_UPDATES),
	SNMP_MIB_ITEM("QuicTxOldKey", QUIC_MIB_TX_OLD_KEY),
	SNMP_MIB_ITEM("QuicTxErrRequest", QUIC_MIB_TX_ERR_REQUEST),
	SNMP_MIB_ITEM("QuicTxErrPacket", QUIC_MIB_TX_ERR_PACKET),
	SNMP_MIB_ITEM("QuicTxErrNoConn", QUIC_MIB_TX_ERR_NO_CONN),
	SNMP_MIB_ITEM("QuicTxErrNoKey", QUIC_MIB_TX_ERR_NO_KEY),
	SNMP_MIB_ITEM("QuicTxErrKeyRejected", QUIC_MIB_TX_ERR_KEY_REJECTED),
	SNMP_MIB_ITEM("QuicTxErrPnReused", QUIC_MIB_TX_ERR_PN_REUSED),
	SNMP_MIB_ITEM("QuicTxErrKeyExpired", QUIC_MIB_TX_ERR_KEY_EXPIRED),
	SNMP_MIB_ITEM("QuicTxErrBusy", QUIC_MIB_TX_ERR_BUSY),
	SNMP_MIB_ITEM("QuicTxErrUnsupported", QUIC_MIB_TX_ERR_UNSUPPORTED),
	SNMP_MIB_ITEM("QuicTxErrNoMem", QUIC_MIB_TX_ERR_NOMEM),
	SNMP_MIB_ITEM("QuicTxErrCrypto", QUIC_MIB_TX_ERR_CRYPTO),
	SNMP_MIB_ITEM("QuicRxPackets", QUIC_MIB_RX_PACKETS),
	SNMP_MIB_ITEM("QuicRxBytes", QUIC_MIB_RX_BYTES),
	SNMP_MIB_ITEM("QuicRxPassthrough", QUIC_MIB_RX_PASSTHROUGH),
	SNMP_MIB_ITEM("QuicRxKeyUpdates", QUIC_MIB_RX_KEY_UPDATES),
	SNMP_MIB_ITEM("QuicRxOldKey", QUIC_MIB_RX_OLD_KEY),
	SNMP_MIB_ITEM("QuicRxAuthFailures", QUIC_MIB_RX_AUTH_FAILURES),
	SNMP_MIB_ITEM("QuicRxMalformed", QUIC_MIB_RX_MALFORMED),
	SNMP_MIB_ITEM("QuicRxStatelessReset", QUIC_MIB_RX_RESET),
	SNMP_MIB_ITEM("QuicRxNoNextKey", QUIC_MIB_RX_NO_NEXT_KEY),
	SNMP_MIB_ITEM("QuicRxLimitDrops", QUIC_MIB_RX_LIMIT_DROPS),
	SNMP_MIB_ITEM("QuicRxLimitReached", QUIC_MIB_RX_LIMIT_REACHED),
	SNMP_MIB_ITEM("QuicRxTooManySegs", QUIC_MIB_RX_TOO_MANY_SEGS),
	SNMP_MIB_ITEM("QuicRxAsyncDrops", QUIC_MIB_RX_ASYNC_DROPS),
	SNMP_MIB_ITEM("QuicRxErrNoMem", QUIC_MIB_RX_ERR_NOMEM),
	SNMP_MIB_ITEM("QuicRxErrCrypto", QUIC_MIB_RX_ERR_CRYPTO),
	SNMP_MIB_ITEM("QuicTxDevice", QUIC_MIB_TX_DEVICE),
	SNMP_MIB_ITEM("QuicTxDevFallback", QUIC_MIB_TX_DEV_FALLBACK),
	SNMP_MIB_ITEM("QuicTxDevDrops", QUIC_MIB_TX_DEV_DROPS),
	SNMP_MIB_ITEM("QuicTxSwNoCtx", QUIC_MIB_TX_SW_NO_CTX),
	SNMP_MIB_ITEM("QuicTxSwRoute", QUIC_MIB_TX_SW_ROUTE),
	SNMP_MIB_ITEM("QuicTxSwKey", QUIC_MIB_TX_SW_KEY),
	SNMP_MIB_ITEM("QuicTxSwShape", QUIC_MIB_TX_SW_SHAPE),
	SNMP_MIB_ITEM("QuicRxDevice", QUIC_MIB_RX_DEVICE),
	SNMP_MIB_ITEM("QuicRxDevMismatch", QUIC_MIB_RX_DEV_MISMATCH),
	SNMP_MIB_ITEM("QuicRxSwOffloaded", QUIC_MIB_RX_SW_OFFLOADED),
	SNMP_MIB_ITEM("QuicDevCtxAdded", QUIC_MIB_DEV_CTX_ADDED),
	SNMP_MIB_ITEM("QuicDevCtxFailed", QUIC_MIB_DEV_CTX_FAILED),
	SNMP_MIB_ITEM("QuicDevCtxRemoved", QUIC_MIB_DEV_CTX_REMOVED),
	SNMP_MIB_ITEM("QuicDevCtxCurr", QUIC_MIB_DEV_CTX_CURR),
	SNMP_MIB_ITEM("QuicDevKeysAdded", QUIC_MIB_DEV_KEYS_ADDED),
	SNMP_MIB_ITEM("QuicDevKeysFailed", QUIC_MIB_DEV_KEYS_FAILED),
	SNMP_MIB_ITEM("QuicDevKeysRemoved", QUIC_MIB_DEV_KEYS_REMOVED),
};

static_assert(ARRAY_SIZE(quic_mib_names) == QUIC_MIB_MAX - 1);

static int quic_stat_show(struct seq_file *seq, void *v)
{
	u64 buf[ARRAY_SIZE(quic_mib_names)] = {};
	struct net *net = seq->private;
	int i;

	snmp_get_cpu_field64_batch_cnt(buf, quic_mib_names, ARRAY_SIZE(buf),
				       quic_ulp_net_mib(net),
				       offsetof(struct quic_mib, syncp));
	for (i = 0; i < ARRAY_SIZE(buf); i++)
		seq_printf(seq, "%-32s\t%llu\n", quic_mib_names[i].name, buf[i]);
	return 0;
}
#endif

#ifdef CONFIG_SYSCTL
static const unsigned int quic_one = 1;
static const unsigned int quic_conns_max = QUIC_LIMIT_MAX_CONNS;
static const unsigned int quic_cids_max = QUIC_ULP_MAX_CIDS;

static const struct ctl_table quic_sysctl_template[] = {
	{
		.procname	= "max_connections",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= (void *)&quic_one,
		.extra2		= (void *)&quic_conns_max,
	},
	{
		.procname	= "max_connections_total",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= (void *)&quic_one,
		.extra2		= (void *)&quic_conns_max,
	},
	{
		.procname	= "max_cids",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= proc_douintvec_minmax,
		.extra1		= (void *)&quic_one,
		.extra2		= (void *)&quic_cids_max,
	},
};

/* A network namespace whose owner is not the initial user namespace
 * (which an unprivileged user can create) reads the limits but cannot
 * raise them: they bound kernel memory that is not all charged to it.
 */
static int quic_sysctl_init(struct net *net, struct quic_net *qn)
{
	struct ctl_table *table;
	unsigned int i;

	table = kmemdup(quic_sysctl_template, sizeof(quic_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	table[0].data = &qn->max_conns;
	table[1].data = &qn->max_conns_total;
	table[2].data = &qn->max_cids;
	if (net->user_ns != &init_user_ns)
		for (i = 0; i < ARRAY_SIZE(quic_sysctl_template); i++)
			table[i].mode = 0444;
	qn->sysctl = register_net_sysctl_sz(net, "net/quic_ulp", table,
					    ARRAY_SIZE(quic_sysctl_template));
	if (!qn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void quic_sysctl_exit(struct quic_net *qn)
{
	const struct ctl_table *table = qn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(qn->sysctl);
	kfree(table);
}
#else
static int quic_sysctl_init(struct net *net, struct quic_net *qn)
{
	return 0;
}

static void quic_sysctl_exit(struct quic_net *qn)
{
}
#endif

static int __net_init quic_net_init(struct net *net)
{
	struct quic_net *qn = quic_net(net);
	int err = -ENOMEM;

	if (net_eq(net, &init_net)) {
		qn->max_conns = QUIC_DEFAULT_MAX_CONNS;
		qn->max_conns_total = QUIC_DEFAULT_MAX_CONNS_TOTAL;
		qn->max_cids = QUIC_ULP_MAX_CIDS;
	} else {
		qn->max_conns = quic_ulp_max_conns(&init_net);
		qn->max_conns_total =
			READ_ONCE(quic_net(&init_net)->max_conns_total);
		qn->max_cids = quic_ulp_max_cids(&init_net);
	}
	atomic_set(&qn->conns, 0);
	xa_init_flags(&qn->socks, XA_FLAGS_ALLOC);
	qn->mib = alloc_percpu(struct quic_mib);
	if (!qn->mib)
		return -ENOMEM;
	if (IS_ENABLED(CONFIG_PROC_FS) &&
	    !proc_create_net_single("quic_ulp_stat", 0444, net->proc_net,
				    quic_stat_show, NULL))
		goto err_mib;
	err = quic_sysctl_init(net, qn);
	if (err)
		goto err_proc;
	return 0;

err_proc:
	remove_proc_entry("quic_ulp_stat", net->proc_net);
err_mib:
	free_percpu(qn->mib);
	return err;
}

static void __net_exit quic_net_exit(struct net *net)
{
	struct quic_net *qn = quic_net(net);

	quic_sysctl_exit(qn);
	remove_proc_entry("quic_ulp_stat", net->proc_net);
	free_percpu(qn->mib);
}

static struct pernet_operations quic_net_ops = {
	.init	= quic_net_init,
	.exit	= quic_net_exit,
	.id	= &quic_net_id,
	.size	= sizeof(struct quic_net),
};

static void quic_sock_free_work(struct work_struct *work)
{
	struct quic_sock *qs = container_of(to_rcu_work(work), struct quic_sock,
					    free_work);

	quic_ulp_sock_free(qs);
	put_net(qs->net);
	kfree(qs);
	/* Taken in quic_ulp_init(): the module stays until this is done */
	module_put(THIS_MODULE);
}

/**
 * quic_ulp_sock_hold() - take a reference to a socket's ULP state
 * @qs: the state, with a reference held already
 */
void quic_ulp_sock_hold(struct quic_sock *qs)
{
	refcount_inc(&qs->refcnt);
}

/**
 * quic_ulp_sock_put() - drop a reference to a socket's ULP state
 * @qs: the state
 *
 * Any context. It is freed after an RCU grace period, from the workqueue.
 */
void quic_ulp_sock_put(struct quic_sock *qs)
{
	if (refcount_dec_and_test(&qs->refcnt))
		queue_rcu_work(quic_ulp_wq, &qs->free_work);
}

static void *quic_ulp_init(struct sock *sk)
{
	struct quic_sock *qs;
	int err;

	/* Its state holds the network namespace, which a kernel socket's
	 * must not: kernel sockets go with their namespace
	 */
	if (!sk->sk_net_refcnt)
		return ERR_PTR(-EOPNOTSUPP);
	qs = kzalloc_obj(*qs, GFP_KERNEL_ACCOUNT);
	if (!qs)
		return ERR_PTR(-ENOMEM);
	err = quic_ulp_sock_init(qs, sk);
	if (err) {
		kfree(qs);
		return ERR_PTR(err);
	}
	/* Connections outlive the socket by the packets and work in
	 * flight; what they count and check stays with them.
	 */
	qs->net = get_net(sock_net(sk));
	refcount_set(&qs->refcnt, 1);
	INIT_RCU_WORK(&qs->free_work, quic_sock_free_work);
	err = quic_net_sock_add(qs);
	if (err) {
		put_net(qs->net);
		quic_ulp_sock_free(qs);
		kfree(qs);
		return ERR_PTR(err);
	}
	__module_get(THIS_MODULE);
	quic_ulp_dev_sock_init(sk);
	return qs;
}

/* The socket is being destroyed, or the ULP was not attached after all:
 * nothing else runs on it but datagrams in softirq, which hold a
 * reference or finish within the RCU grace period before @state is freed.
 */
static void quic_ulp_release(struct sock *sk, void *state)
{
	struct quic_sock *qs = state;

	quic_ulp_dev_sock_release(sk);
	quic_net_sock_del(qs);
	quic_ulp_sock_destroy(qs);
	quic_ulp_sock_put(qs);
}

/* What ss shows of a socket: its number of connections */
static int quic_ulp_get_info(struct sock *sk, void *state, struct sk_buff *skb)
{
	struct quic_sock *qs = state;
	struct nlattr *nest;

	BUILD_BUG_ON(nla_total_size(0) + nla_total_size(sizeof(u32)) >
		     UDP_ULP_DIAG_INFO_MAX);
	nest = nla_nest_start_noflag(skb, INET_ULP_INFO_QUIC);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, QUIC_ULP_DIAG_CONNS, READ_ONCE(qs->nconns))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static struct udp_ulp_ops quic_ulp_ops __read_mostly = {
	.name		= QUIC_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= quic_ulp_init,
	.release	= quic_ulp_release,
	.setsockopt	= quic_ulp_setsockopt,
	.getsockopt	= quic_ulp_getsockopt,
	.sendmsg_skb	= quic_ulp_sendmsg_skb,
	.rcv_skb	= quic_ulp_rcv_skb,
	.recv_cmsg	= quic_ulp_recv_cmsg,
	.get_info	= quic_ulp_get_info,
};

static int __init quic_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct quic_ulp_rx_info) != QUIC_ULP_TAG_LEN);
	BUILD_BUG_ON(sizeof(struct quic_ulp_tx_info) != 24);
	quic_ulp_wq = alloc_workqueue("quic_ulp", WQ_UNBOUND, 0);
	if (!quic_ulp_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&quic_net_ops);
	if (err)
		goto err_wq;
	err = quic_ulp_nl_init();
	if (err)
		goto err_net;
	err = quic_ulp_dev_init();
	if (err)
		goto err_nl;
	err = udp_ulp_register(&quic_ulp_ops);
	if (err)
		goto err_dev;
	return 0;

err_dev:
	quic_ulp_dev_exit();
err_nl:
	quic_ulp_nl_exit();
err_net:
	unregister_pernet_subsys(&quic_net_ops);
err_wq:
	destroy_workqueue(quic_ulp_wq);
	return err;
}

static void __exit quic_exit(void)
{
	udp_ulp_unregister(&quic_ulp_ops);
	quic_ulp_dev_exit();
	quic_ulp_nl_exit();
	/* No socket state is left (each held the module): what remains
	 * are callbacks queued after a grace period, and the work they
	 * queue. Let them run, then free the per-CPU request blocks.
	 */
	rcu_barrier();
	destroy_workqueue(quic_ulp_wq);
	unregister_pernet_subsys(&quic_net_ops);
	quic_ulp_crypt_free_all();
}

module_init(quic_init);
module_exit(quic_exit);

MODULE_AUTHOR("QUIC offload developers");
MODULE_DESCRIPTION("QUIC 1-RTT packet protection offload for UDP sockets");
MODULE_LICENSE("GPL");
MODULE_ALIAS_UDP_ULP(QUIC_ULP_NAME);
