/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upper-layer protocols (ULPs) on UDP sockets.
 *
 * A ULP attaches to a UDP socket with setsockopt(SOL_UDP, UDP_ULP, name)
 * and then sees the datagrams the socket sends, just before UDP computes
 * their checksum, and the datagrams it receives, just before UDP queues
 * them. It may rewrite their payload in place (to encrypt or decrypt it),
 * keeping every segment's length. It owns the SOL_UDP option numbers from
 * UDP_ULP_OPT_MIN up.
 */
#ifndef _NET_UDP_ULP_H
#define _NET_UDP_ULP_H

#include <linux/list.h>
#include <linux/sockptr.h>
#include <net/sock.h>
#include <net/udp.h>

struct in6_addr;
struct msghdr;
struct module;

#define UDP_ULP_NAME_MAX	16
#define UDP_ULP_OPT_MIN		200

/**
 * typedef udp_ulp_deliver_t - queue a received datagram to its socket
 * @sk: the socket
 * @skb: the datagram, its payload at skb->data
 *
 * Return: 0 when queued, -1 when dropped (and freed).
 */
typedef int (*udp_ulp_deliver_t)(struct sock *sk, struct sk_buff *skb);

/**
 * struct udp_ulp_ops - an upper-layer protocol for UDP sockets
 * @list: entry in the list of registered ULPs
 * @name: the name setsockopt(UDP_ULP) selects it by
 * @owner: the module that provides it
 * @init: attach to @sk, which is locked; on success the ULP holds its state
 *	in udp_sk(sk)->ulp_data
 * @release: detach when the socket is destroyed; received datagrams may
 *	still reach @rcv_skb until an RCU grace period has passed
 * @setsockopt: a SOL_UDP option from UDP_ULP_OPT_MIN up
 * @getsockopt: a SOL_UDP option from UDP_ULP_OPT_MIN up
 * @sendmsg_skb: a datagram about to be sent; @gso_size is its UDP_SEGMENT
 *	size, 0 if it is a single datagram; @daddr (IPv4 as v4-mapped) and
 *	@dport are its destination. Process context. A negative return is
 *	the errno of the send, and nothing is sent.
 * @rcv_skb: a received datagram, checksum verified, payload at skb->data,
 *	at most UDP_ULP_MAX_SEGS segments; softirq context. It must end in
 *	@deliver (possibly later, from another context) or free @skb.
 * @recv_cmsg: add control messages to a recvmsg() of @skb
 */
struct udp_ulp_ops {
	struct list_head	list;
	char			name[UDP_ULP_NAME_MAX];
	struct module		*owner;

	int	(*init)(struct sock *sk);
	void	(*release)(struct sock *sk);
	int	(*setsockopt)(struct sock *sk, int optname, sockptr_t optval,
			      unsigned int optlen);
	int	(*getsockopt)(struct sock *sk, int optname,
			      char __user *optval, int __user *optlen);
	int	(*sendmsg_skb)(struct sock *sk, struct sk_buff *skb,
			       unsigned int gso_size,
			       const struct in6_addr *daddr, __be16 dport);
	int	(*rcv_skb)(struct sock *sk, struct sk_buff *skb,
			   udp_ulp_deliver_t deliver);
	void	(*recv_cmsg)(struct sock *sk, struct msghdr *msg,
			     struct sk_buff *skb);
};

/**
 * struct udp_ulp_skb_cb - skb->cb of a received datagram on a ULP socket
 * @udp: UDP's own control block
 * @ulp: what the ULP remembers of the datagram until recvmsg()
 *
 * It ends before the sock_skb_cb that socket queues keep at the end of cb.
 */
struct udp_ulp_skb_cb {
	struct udp_skb_cb	udp;
	u64			ulp;
};

#define UDP_ULP_SKB_CB(skb)	((struct udp_ulp_skb_cb *)((skb)->cb))

int udp_ulp_register(struct udp_ulp_ops *ops);
void udp_ulp_unregister(struct udp_ulp_ops *ops);

int udp_ulp_set(struct sock *sk, sockptr_t optval, unsigned int optlen);
int udp_ulp_get(struct sock *sk, char __user *optval, int __user *optlen);
void udp_ulp_release(struct sock *sk);
int udp_ulp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int udp_ulp_getsockopt(struct sock *sk, int optname, char __user *optval,
		       int __user *optlen);
int udp_ulp_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
			unsigned int gso_size, const struct in6_addr *daddr,
			__be16 dport);
int udp_ulp_rcv_skb(struct sock *sk, struct sk_buff *skb,
		    udp_ulp_deliver_t deliver);
void udp_ulp_recv_cmsg(struct sock *sk, struct msghdr *msg,
		       struct sk_buff *skb);

#define MODULE_ALIAS_UDP_ULP(name)	MODULE_ALIAS("udp-ulp-" name)

#endif /* _NET_UDP_ULP_H */
