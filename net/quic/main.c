// SPDX-License-Identifier: GPL-2.0
/*
 * The "quic" UDP ULP: QUIC 1-RTT packet protection for userspace QUIC
 * stacks. See Documentation/networking/quic.rst.
 */

#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <net/ip.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "quic.h"

struct workqueue_struct *quic_wq;

unsigned int quic_max_conns = 65536;
module_param_named(max_connections, quic_max_conns, uint, 0644);
MODULE_PARM_DESC(max_connections, "Most connections on one socket");

/* Counters of one network namespace */
struct quic_net {
	struct quic_mib __percpu *mib;
};

static unsigned int quic_net_id __read_mostly;

struct quic_mib __percpu *quic_net_mib(const struct net *net)
{
	return ((struct quic_net *)net_generic(net, quic_net_id))->mib;
}

static const struct snmp_mib quic_mib_names[] = {
	SNMP_MIB_ITEM("QuicCurrConns", QUIC_MIB_CURR_CONNS),
	SNMP_MIB_ITEM("QuicTxPackets", QUIC_MIB_TX_PACKETS),
	SNMP_MIB_ITEM("QuicTxBytes", QUIC_MIB_TX_BYTES),
	SNMP_MIB_ITEM("QuicTxPassthrough", QUIC_MIB_TX_PASSTHROUGH),
	SNMP_MIB_ITEM("QuicTxKeyUpdates", QUIC_MIB_TX_KEY_UPDATES),
	SNMP_MIB_ITEM("QuicTxOldKey", QUIC_MIB_TX_OLD_KEY),
	SNMP_MIB_ITEM("QuicTxErrMalformed", QUIC_MIB_TX_ERR_MALFORMED),
	SNMP_MIB_ITEM("QuicTxErrAmbiguous", QUIC_MIB_TX_ERR_AMBIGUOUS),
	SNMP_MIB_ITEM("QuicTxErrKeyExpired", QUIC_MIB_TX_ERR_KEY_EXPIRED),
	SNMP_MIB_ITEM("QuicTxErrNoMem", QUIC_MIB_TX_ERR_NOMEM),
	SNMP_MIB_ITEM("QuicRxPackets", QUIC_MIB_RX_PACKETS),
	SNMP_MIB_ITEM("QuicRxBytes", QUIC_MIB_RX_BYTES),
	SNMP_MIB_ITEM("QuicRxPassthrough", QUIC_MIB_RX_PASSTHROUGH),
	SNMP_MIB_ITEM("QuicRxKeyUpdates", QUIC_MIB_RX_KEY_UPDATES),
	SNMP_MIB_ITEM("QuicRxOldKey", QUIC_MIB_RX_OLD_KEY),
	SNMP_MIB_ITEM("QuicRxAuthFailures", QUIC_MIB_RX_AUTH_FAILURES),
	SNMP_MIB_ITEM("QuicRxMalformed", QUIC_MIB_RX_MALFORMED),
	SNMP_MIB_ITEM("QuicRxStatelessReset", QUIC_MIB_RX_RESET),
	SNMP_MIB_ITEM("QuicRxNoNextKey", QUIC_MIB_RX_NO_NEXT_KEY),
	SNMP_MIB_ITEM("QuicRxLimit", QUIC_MIB_RX_LIMIT),
	SNMP_MIB_ITEM("QuicRxErrNoMem", QUIC_MIB_RX_ERR_NOMEM),
	SNMP_MIB_SENTINEL
};

static int quic_stat_show(struct seq_file *seq, void *v)
{
	unsigned long buf[QUIC_MIB_MAX] = {};
	struct net *net = seq->private;
	int i;

	snmp_get_cpu_field_batch(buf, quic_mib_names, quic_net_mib(net));
	for (i = 0; quic_mib_names[i].name; i++)
		seq_printf(seq, "%-32s\t%lu\n", quic_mib_names[i].name, buf[i]);
	return 0;
}

static int __net_init quic_net_init(struct net *net)
{
	struct quic_net *qn = net_generic(net, quic_net_id);

	qn->mib = alloc_percpu(struct quic_mib);
	if (!qn->mib)
		return -ENOMEM;
	if (!proc_create_net_single("quic_stat", 0444, net->proc_net,
				    quic_stat_show, NULL)) {
		free_percpu(qn->mib);
		return -ENOMEM;
	}
	return 0;
}

static void __net_exit quic_net_exit(struct net *net)
{
	struct quic_net *qn = net_generic(net, quic_net_id);

	remove_proc_entry("quic_stat", net->proc_net);
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

	quic_sock_free(qs);
	kfree(qs);
	/* Taken in quic_ulp_init(): the module stays until this is done */
	module_put(THIS_MODULE);
}

/**
 * quic_sock_put() - drop a reference to a socket's ULP state
 * @qs: the state
 *
 * Any context. It is freed after an RCU grace period, from the workqueue.
 */
void quic_sock_put(struct quic_sock *qs)
{
	if (refcount_dec_and_test(&qs->refcnt))
		queue_rcu_work(quic_wq, &qs->free_work);
}

static int quic_ulp_init(struct sock *sk)
{
	struct quic_sock *qs;
	int err;

	qs = kzalloc(sizeof(*qs), GFP_KERNEL_ACCOUNT);
	if (!qs)
		return -ENOMEM;
	err = quic_sock_init(qs, sk);
	if (err) {
		kfree(qs);
		return err;
	}
	refcount_set(&qs->refcnt, 1);
	INIT_RCU_WORK(&qs->free_work, quic_sock_free_work);
	__module_get(THIS_MODULE);
	rcu_assign_pointer(udp_sk(sk)->ulp_data, qs);
	return 0;
}

static void quic_ulp_release(struct sock *sk)
{
	struct quic_sock *qs = quic_sk(sk);

	/* Datagrams in softirq may still hold @qs: they keep a reference
	 * or finish within the RCU grace period before it is freed.
	 */
	RCU_INIT_POINTER(udp_sk(sk)->ulp_data, NULL);
	quic_sock_destroy(qs);
	quic_sock_put(qs);
}

static struct udp_ulp_ops quic_ulp_ops __read_mostly = {
	.name		= QUIC_ULP_NAME,
	.owner		= THIS_MODULE,
	.init		= quic_ulp_init,
	.release	= quic_ulp_release,
	.setsockopt	= quic_setsockopt,
	.getsockopt	= quic_getsockopt,
	.sendmsg_skb	= quic_sendmsg_skb,
	.rcv_skb	= quic_rcv_skb,
	.recv_cmsg	= quic_recv_cmsg,
};

static int __init quic_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct quic_rx_info) != QUIC_TAG_LEN);
	quic_wq = alloc_workqueue("quic", 0, 0);
	if (!quic_wq)
		return -ENOMEM;
	err = register_pernet_subsys(&quic_net_ops);
	if (err)
		goto err_wq;
	err = udp_ulp_register(&quic_ulp_ops);
	if (err)
		goto err_net;
	return 0;

err_net:
	unregister_pernet_subsys(&quic_net_ops);
err_wq:
	destroy_workqueue(quic_wq);
	return err;
}

static void __exit quic_exit(void)
{
	udp_ulp_unregister(&quic_ulp_ops);
	unregister_pernet_subsys(&quic_net_ops);
	/* Connections and generations freed after a grace period queue
	 * work; let them, then run it all.
	 */
	rcu_barrier();
	destroy_workqueue(quic_wq);
}

module_init(quic_init);
module_exit(quic_exit);

MODULE_AUTHOR("QUIC offload developers");
MODULE_DESCRIPTION("QUIC 1-RTT packet protection offload for UDP sockets");
MODULE_LICENSE("GPL");
MODULE_ALIAS_UDP_ULP(QUIC_ULP_NAME);
