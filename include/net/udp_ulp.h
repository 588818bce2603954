/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upper-layer protocols (ULPs) on UDP sockets.
 *
 * A ULP attaches to a UDP socket with setsockopt(SOL_UDP, UDP_ULP, name).
 * It sees the datagrams the socket sends whose sendmsg() carries a request
 * for it (a SOL_UDP control message of a type it owns), just before UDP
 * computes their checksum, and every datagram the socket receives, just
 * before UDP queues it. It may rewrite their payload in place (to encrypt
 * or decrypt it), keeping every segment's length. It owns the SOL_UDP
 * option and control message numbers from UDP_ULP_OPT_MIN up.
 */
#ifndef _NET_UDP_ULP_H
#define _NET_UDP_ULP_H

#include <linux/list.h>
#include <linux/sockptr.h>
#include <net/sock.h>
#include <net/udp.h>

struct cmsghdr;
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
 * struct udp_ulp_req - a sendmsg()'s request for the socket's ULP
 * @cmsg: a SOL_UDP control message of a type from UDP_ULP_OPT_MIN up, in
 *	the kernel's copy of the control data, checked by CMSG_OK()
 * @flags: the sendmsg()'s msg_flags (MSG_DONTWAIT for a non-blocking
 *	socket too)
 */
struct udp_ulp_req {
	const struct cmsghdr	*cmsg;
	int			flags;
};

/**
 * struct udp_ulp_ops - an upper-layer protocol for UDP sockets
 * @list: entry in the list of registered ULPs
 * @name: the name setsockopt(UDP_ULP) selects it by
 * @owner: the module that provides it
 * @init: attach to @sk, which is locked: return the ULP's state of the
 *	socket, or an ERR_PTR(). The framework keeps it in sk->sk_user_data
 *	(udp_ulp_state()), which makes the socket unavailable to anything
 *	else that would own it: BPF sockmap, l2tp, gtp, encapsulations.
 * @release: detach when the socket is destroyed; @state is what @init
 *	returned. Received datagrams may still reach @rcv_skb until an RCU
 *	grace period has passed: the ULP must keep its state, and its
 *	module, until then.
 * @setsockopt: a SOL_UDP option from UDP_ULP_OPT_MIN up
 * @getsockopt: a SOL_UDP option from UDP_ULP_OPT_MIN up
 * @sendmsg_skb: a datagram about to be sent whose sendmsg() carried
 *	@req; @gso_size is its UDP_SEGMENT size, 0 if it is a single
 *	datagram. Never called for a datagram built over several calls
 *	(corked). Process context, socket not locked. A negative return is
 *	the errno of the send, and nothing is sent.
 * @rcv_skb: a received datagram, checksum verified, payload at skb->data,
 *	at most UDP_ULP_MAX_SEGS segments unless the ULP was attached while
 *	UDP was queueing a larger loopback GSO datagram (up to
 *	UDP_MAX_SEGMENTS); softirq context. It must end in @deliver
 *	(possibly later, from another context) or free @skb.
 * @recv_cmsg: add control messages to a recvmsg() of @skb
 * @get_info: add what the ULP tells of @sk to a sock_diag reply, inside
 *	its INET_DIAG_ULP_INFO nest, after INET_ULP_INFO_NAME: at most
 *	UDP_ULP_DIAG_INFO_MAX bytes. @state is its state of @sk. Atomic
 *	context, under rcu_read_lock(); return 0 or -EMSGSIZE.
 */
struct udp_ulp_ops {
	struct list_head	list;
	char			name[UDP_ULP_NAME_MAX];
	struct module		*owner;

	void	*(*init)(struct sock *sk);
	void	(*release)(struct sock *sk, void *state);
	int	(*setsockopt)(struct sock *sk, int optname, sockptr_t optval,
			      unsigned int optlen);
	int	(*getsockopt)(struct sock *sk, int optname, sockopt_t *opt);
	int	(*sendmsg_skb)(struct sock *sk, struct sk_buff *skb,
			       unsigned int gso_size,
			       const struct udp_ulp_req *req);
	int	(*rcv_skb)(struct sock *sk, struct sk_buff *skb,
			   udp_ulp_deliver_t deliver);
	void	(*recv_cmsg)(struct sock *sk, struct msghdr *msg,
			     struct sk_buff *skb);
	int	(*get_info)(struct sock *sk, void *state, struct sk_buff *skb);
};

/* The most a ULP's get_info() may add to a sock_diag reply: replies are
 * sized before the fill, when a ULP may not yet be attached
 */
#define UDP_ULP_DIAG_INFO_MAX	64

/**
 * udp_ulp_state() - the state a ULP keeps for a socket
 * @sk: the socket
 *
 * Under rcu_read_lock() (the receive path is). The state is set before
 * the ULP is visible and cleared only when the socket is destroyed, so a
 * caller that holds the socket (a file reference) may keep using it after
 * rcu_read_unlock().
 *
 * Return: what the ULP's @init returned, or NULL.
 */
static inline void *udp_ulp_state(const struct sock *sk)
{
	return rcu_dereference_sk_user_data(sk);
}

/**
 * struct udp_ulp_skb_cb - skb->cb of a received datagram on a UDP socket
 * @udp: UDP's own control block
 * @ulp: what the ULP remembers of the datagram until recvmsg(); UDP
 *	clears it for every datagram before the ULP sees it, so that a
 *	datagram queued before the ULP was attached reads as zero
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
int udp_ulp_diag_get_info(struct sock *sk, struct sk_buff *skb);
size_t udp_ulp_diag_get_info_size(void);

int udp_ulp_set(struct sock *sk, sockptr_t optval, unsigned int optlen);
int udp_ulp_get(struct sock *sk, sockopt_t *opt);
void udp_ulp_release(struct sock *sk);
int udp_ulp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen);
int udp_ulp_getsockopt(struct sock *sk, int optname, sockopt_t *opt);
const struct cmsghdr *udp_ulp_cmsg_find(struct sock *sk, struct msghdr *msg);
int udp_ulp_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
			unsigned int gso_size, const struct udp_ulp_req *req);
int udp_ulp_rcv_skb(struct sock *sk, struct sk_buff *skb,
		    udp_ulp_deliver_t deliver);
void udp_ulp_recv_cmsg(struct sock *sk, struct msghdr *msg,
		       struct sk_buff *skb);

#define MODULE_ALIAS_UDP_ULP(name)	MODULE_ALIAS("udp-ulp-" name)

#endif /* _NET_UDP_ULP_H */
