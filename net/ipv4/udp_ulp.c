// SPDX-License-Identifier: GPL-2.0
/*
 * Upper-layer protocols (ULPs) on UDP sockets: registration, attaching one
 * to a socket, and the calls UDP makes into it.
 */

#include <linux/inet_diag.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <net/netlink.h>
#include <net/udp_ulp.h>

static LIST_HEAD(udp_ulp_list);
static DEFINE_SPINLOCK(udp_ulp_list_lock);

DEFINE_STATIC_KEY_FALSE(udp_ulp_needed_key);
EXPORT_SYMBOL_GPL(udp_ulp_needed_key);

static struct udp_ulp_ops *udp_ulp_find(const char *name)
{
	struct udp_ulp_ops *ops;

	list_for_each_entry_rcu(ops, &udp_ulp_list, list,
				lockdep_is_held(&udp_ulp_list_lock)) {
		if (!strcmp(ops->name, name))
			return ops;
	}
	return NULL;
}

/**
 * udp_ulp_register() - make a ULP available to setsockopt(UDP_ULP)
 * @ops: the ULP; @ops->name must be unique
 *
 * Return: 0, or -EEXIST if a ULP of that name is registered.
 */
int udp_ulp_register(struct udp_ulp_ops *ops)
{
	int err = 0;

	spin_lock(&udp_ulp_list_lock);
	if (udp_ulp_find(ops->name))
		err = -EEXIST;
	else
		list_add_tail_rcu(&ops->list, &udp_ulp_list);
	spin_unlock(&udp_ulp_list_lock);
	return err;
}
EXPORT_SYMBOL_GPL(udp_ulp_register);

/**
 * udp_ulp_unregister() - withdraw a ULP
 * @ops: the ULP, registered before
 *
 * Sockets using it hold a reference on its module, so none is left.
 */
void udp_ulp_unregister(struct udp_ulp_ops *ops)
{
	spin_lock(&udp_ulp_list_lock);
	list_del_rcu(&ops->list);
	spin_unlock(&udp_ulp_list_lock);
	synchronize_rcu();
}
EXPORT_SYMBOL_GPL(udp_ulp_unregister);

static const struct udp_ulp_ops *udp_ulp_get_ops(const char *name)
{
	struct udp_ulp_ops *ops;

	rcu_read_lock();
	ops = udp_ulp_find(name);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}

static const struct udp_ulp_ops *udp_ulp_load(const char *name)
{
	const struct udp_ulp_ops *ops = udp_ulp_get_ops(name);

	if (!ops && capable(CAP_NET_ADMIN)) {
		request_module("udp-ulp-%s", name);
		ops = udp_ulp_get_ops(name);
	}
	return ops;
}

/* Where a ULP cannot work: it rewrites payloads that an encapsulation
 * handler or a BPF psock would otherwise consume before it sees them, and
 * its state takes sk_user_data, which l2tp, gtp and sockmap check before
 * they take a socket. Called with the socket locked (UDP_ENCAP is set
 * under the same lock) and sk_callback_lock held (sk_user_data is set
 * under it).
 */
static int udp_ulp_check_socket(struct sock *sk)
{
	if (sk->sk_protocol != IPPROTO_UDP || sk->sk_type != SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (udp_sk(sk)->ulp_ops)
		return -EEXIST;
	if (READ_ONCE(udp_sk(sk)->encap_type) || sk->sk_user_data)
		return -EBUSY;
	return 0;
}

/**
 * udp_ulp_set() - setsockopt(SOL_UDP, UDP_ULP): attach a ULP by name
 * @sk: the socket
 * @optval: the name, not necessarily NUL-terminated
 * @optlen: its length
 *
 * Return: 0, or a negative errno: -ENOENT if no ULP has that name,
 * -EEXIST if the socket has one already, -EBUSY if it is in use by an
 * encapsulation, BPF or another owner of sk_user_data, -EOPNOTSUPP if it
 * is not a UDP socket.
 */
int udp_ulp_set(struct sock *sk, sockptr_t optval, unsigned int optlen)
{
	char name[UDP_ULP_NAME_MAX];
	const struct udp_ulp_ops *ops;
	void *state = NULL;
	int err;

	if (optlen < 1)
		return -EINVAL;
	optlen = min_t(unsigned int, optlen, sizeof(name) - 1);
	if (copy_from_sockptr(name, optval, optlen))
		return -EFAULT;
	name[optlen] = '\0';

	ops = udp_ulp_load(name);
	if (!ops)
		return -ENOENT;

	lock_sock(sk);
	write_lock_bh(&sk->sk_callback_lock);
	err = udp_ulp_check_socket(sk);
	write_unlock_bh(&sk->sk_callback_lock);
	if (!err) {
		state = ops->init(sk);
		err = PTR_ERR_OR_ZERO(state);
	}
	if (!err) {
		static_branch_enable(&udp_ulp_needed_key);
		write_lock_bh(&sk->sk_callback_lock);
		/* Another owner may have come while init() slept */
		err = udp_ulp_check_socket(sk);
		if (!err) {
			rcu_assign_sk_user_data(sk, state);
			/* Pairs with the acquire in the data path: the
			 * ULP's state is in place before the data path can
			 * see the ULP.
			 */
			smp_store_release(&udp_sk(sk)->ulp_ops, ops);
		}
		write_unlock_bh(&sk->sk_callback_lock);
		if (err)
			ops->release(sk, state);
	}
	release_sock(sk);

	if (err)
		module_put(ops->owner);
	return err;
}

/**
 * udp_ulp_get() - getsockopt(SOL_UDP, UDP_ULP): the name of the ULP
 * @sk: the socket
 * @opt: in: room for the name; out: bytes written (0 without a ULP)
 *
 * Return: 0 or a negative errno.
 */
int udp_ulp_get(struct sock *sk, sockopt_t *opt)
{
	const struct udp_ulp_ops *ops = READ_ONCE(udp_sk(sk)->ulp_ops);
	int len = opt->optlen;

	if (len < 0)
		return -EINVAL;
	if (!ops) {
		opt->optlen = 0;
		return 0;
	}
	/* The name and its NUL, as much as fits. */
	len = min_t(int, len, strnlen(ops->name, UDP_ULP_NAME_MAX - 1) + 1);
	opt->optlen = len;
	if (copy_to_iter(ops->name, len, &opt->iter_out) != len)
		return -EFAULT;
	return 0;
}

/**
 * udp_ulp_release() - detach the ULP of a socket being destroyed
 * @sk: the socket
 */
void udp_ulp_release(struct sock *sk)
{
	const struct udp_ulp_ops *ops = udp_sk(sk)->ulp_ops;
	void *state;

	if (!ops)
		return;
	write_lock_bh(&sk->sk_callback_lock);
	state = __locked_read_sk_user_data_with_flags(sk, 0);
	WRITE_ONCE(udp_sk(sk)->ulp_ops, NULL);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	ops->release(sk, state);
	module_put(ops->owner);
}
EXPORT_SYMBOL_GPL(udp_ulp_release);

static const struct udp_ulp_ops *udp_ulp_ops(const struct sock *sk)
{
	/* Pairs with the release in udp_ulp_set(): the ULP's state is
	 * visible with the ULP.
	 */
	return smp_load_acquire(&udp_sk(sk)->ulp_ops);
}

/**
 * udp_ulp_diag_get_info() - a socket's ULP, in a sock_diag reply
 * @sk: the socket
 * @skb: the reply
 *
 * An INET_DIAG_ULP_INFO nest, as TCP's: the ULP's name, then what the
 * ULP's @get_info adds. Atomic context: UDP dumps sockets under the lock
 * of their hash slot. The state read here is freed an RCU grace period
 * after the socket's release at the earliest.
 *
 * Return: 0, or -EMSGSIZE.
 */
int udp_ulp_diag_get_info(struct sock *sk, struct sk_buff *skb)
{
	const struct udp_ulp_ops *ops;
	struct nlattr *nest;
	void *state;
	int err = 0;

	rcu_read_lock();
	ops = udp_ulp_ops(sk);
	state = udp_ulp_state(sk);
	if (!ops || !state)
		goto out;
	err = -EMSGSIZE;
	nest = nla_nest_start_noflag(skb, INET_DIAG_ULP_INFO);
	if (!nest)
		goto out;
	err = nla_put_string(skb, INET_ULP_INFO_NAME, ops->name);
	if (!err && ops->get_info)
		err = ops->get_info(sk, state, skb);
	if (err)
		nla_nest_cancel(skb, nest);
	else
		nla_nest_end(skb, nest);
out:
	rcu_read_unlock();
	return err;
}
EXPORT_SYMBOL_GPL(udp_ulp_diag_get_info);

/**
 * udp_ulp_diag_get_info_size() - the room udp_ulp_diag_get_info() takes
 *
 * Whether the socket has a ULP or not: one may be attached between the
 * sizing of a reply and its fill.
 *
 * Return: the most bytes it adds to a reply.
 */
size_t udp_ulp_diag_get_info_size(void)
{
	return nla_total_size(0) + nla_total_size(UDP_ULP_NAME_MAX) +
	       UDP_ULP_DIAG_INFO_MAX;
}
EXPORT_SYMBOL_GPL(udp_ulp_diag_get_info_size);

/**
 * udp_ulp_setsockopt() - pass a ULP's socket option to it
 * @sk: the socket
 * @optname: option, UDP_ULP_OPT_MIN or above
 * @optval: value
 * @optlen: its length
 *
 * Return: what the ULP returns, or -ENOPROTOOPT without a ULP.
 */
int udp_ulp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		       unsigned int optlen)
{
	const struct udp_ulp_ops *ops = udp_ulp_ops(sk);

	if (!ops || !ops->setsockopt)
		return -ENOPROTOOPT;
	return ops->setsockopt(sk, optname, optval, optlen);
}

/**
 * udp_ulp_getsockopt() - pass a ULP's socket option to it
 * @sk: the socket
 * @optname: option, UDP_ULP_OPT_MIN or above
 * @opt: the caller's buffer and length
 *
 * Return: what the ULP returns, or -ENOPROTOOPT without a ULP.
 */
int udp_ulp_getsockopt(struct sock *sk, int optname, sockopt_t *opt)
{
	const struct udp_ulp_ops *ops = udp_ulp_ops(sk);

	if (!ops || !ops->getsockopt)
		return -ENOPROTOOPT;
	return ops->getsockopt(sk, optname, opt);
}

/**
 * udp_ulp_cmsg_find() - a request for the ULP among a sendmsg()'s control
 *	messages
 * @sk: the socket
 * @msg: the message, its control data in the kernel
 *
 * For the paths that build no datagram of their own (data appended to a
 * corked one), which must refuse such a request rather than ignore it.
 *
 * Return: the first SOL_UDP control message of a ULP's type, or NULL.
 */
const struct cmsghdr *udp_ulp_cmsg_find(struct sock *sk, struct msghdr *msg)
{
	struct cmsghdr *cmsg;

	if (!udp_ulp_attached(sk) || !msg->msg_controllen)
		return NULL;
	for_each_cmsghdr(cmsg, msg) {
		if (!CMSG_OK(msg, cmsg))
			break;
		if (cmsg->cmsg_level == SOL_UDP &&
		    cmsg->cmsg_type >= UDP_ULP_OPT_MIN)
			return cmsg;
	}
	return NULL;
}
EXPORT_SYMBOL_GPL(udp_ulp_cmsg_find);

/**
 * udp_ulp_sendmsg_skb() - let the ULP handle a datagram it was asked to
 * @sk: the socket
 * @skb: the datagram, UDP header in place, checksum not yet computed
 * @gso_size: UDP_SEGMENT size, 0 for a single datagram
 * @req: the request
 *
 * Return: 0, or a negative errno to fail the send.
 */
int udp_ulp_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
			unsigned int gso_size, const struct udp_ulp_req *req)
{
	const struct udp_ulp_ops *ops = udp_ulp_ops(sk);

	if (!ops || !ops->sendmsg_skb)
		return -EINVAL;
	return ops->sendmsg_skb(sk, skb, gso_size, req);
}
EXPORT_SYMBOL_GPL(udp_ulp_sendmsg_skb);

/**
 * udp_ulp_rcv_skb() - let the ULP see a datagram before it is queued
 * @sk: the socket
 * @skb: the datagram, checksum verified, payload at skb->data
 * @deliver: how UDP queues it
 *
 * Return: 0 when queued or kept by the ULP, -1 when dropped.
 */
int udp_ulp_rcv_skb(struct sock *sk, struct sk_buff *skb,
		    udp_ulp_deliver_t deliver)
{
	const struct udp_ulp_ops *ops = udp_ulp_ops(sk);

	BUILD_BUG_ON(sizeof(struct udp_ulp_skb_cb) > SOCK_SKB_CB_OFFSET);
	if (!ops || !ops->rcv_skb)
		return deliver(sk, skb);
	return ops->rcv_skb(sk, skb, deliver);
}
EXPORT_SYMBOL_GPL(udp_ulp_rcv_skb);

/**
 * udp_ulp_recv_cmsg() - let the ULP add control messages to a recvmsg()
 * @sk: the socket
 * @msg: the recvmsg() message
 * @skb: the datagram being received
 */
void udp_ulp_recv_cmsg(struct sock *sk, struct msghdr *msg,
		       struct sk_buff *skb)
{
	const struct udp_ulp_ops *ops = udp_ulp_ops(sk);

	if (ops && ops->recv_cmsg)
		ops->recv_cmsg(sk, msg, skb);
}
EXPORT_SYMBOL_GPL(udp_ulp_recv_cmsg);
