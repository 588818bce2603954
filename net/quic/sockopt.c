// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options of the quic ULP (SOL_UDP, from QUIC_ULP_TX_KEY up): every
 * field of every structure is checked before anything changes. They run
 * under the socket lock; the data path does not take it.
 */

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/string.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "quic.h"

/* A structure from userspace: shorter is an error, longer must be zeros,
 * so that the structures can grow.
 */
static int quic_copy_opt(void *dst, size_t size, sockptr_t optval,
			 unsigned int optlen)
{
	int zeroed;

	if (optlen < size)
		return -EINVAL;
	if (optlen > size) {
		zeroed = check_zeroed_sockptr(optval, size, optlen - size);
		if (zeroed <= 0)
			return zeroed ?: -E2BIG;
	}
	if (copy_from_sockptr(dst, optval, size))
		return -EFAULT;
	return 0;
}

static int quic_check_key(const struct quic_ulp_key *key,
			  const struct quic_cipher **cipher,
			  const struct quic_labels **labels)
{
	*cipher = quic_ulp_cipher_find(key->cipher);
	*labels = quic_ulp_labels_find(key->version);
	if (!*cipher || !*labels)
		return -EINVAL;
	return quic_ulp_key_check(key, (*cipher)->secret_len);
}

static int quic_set_key(struct quic_sock *qs, sockptr_t optval,
			unsigned int optlen, bool rx)
{
	const struct quic_labels *labels;
	const struct quic_cipher *cipher;
	struct quic_conn *conn;
	struct quic_ulp_key key;
	bool created = false;
	int err;

	err = quic_copy_opt(&key, sizeof(key), optval, optlen);
	if (!err)
		err = quic_check_key(&key, &cipher, &labels);
	if (err)
		goto out;

	conn = quic_ulp_conn_lookup(qs, key.conn);
	if (conn) {
		/* A connection has one suite and version, both ways, always */
		if (conn->cipher != cipher || conn->labels != labels) {
			err = -EINVAL;
			goto out;
		}
	} else {
		conn = quic_ulp_conn_create(qs, key.conn, cipher, labels);
		if (IS_ERR(conn)) {
			err = PTR_ERR(conn);
			goto out;
		}
		created = true;
	}

	err = quic_ulp_dir_install(rx ? &conn->rx : &conn->tx, &key, rx);
	if (err && created)
		quic_ulp_conn_delete(qs, conn);
out:
	memzero_explicit(&key, sizeof(key));
	return err;
}

/* The peer address of a zero-length receive ID: given, or the connected
 * peer
 */
static int quic_cid_peer(struct sock *sk, const struct quic_ulp_cid *opt,
			 struct quic_cid_key *key)
{
	const struct sockaddr_in *sin = (const void *)&opt->peer;

	switch (opt->peer.ss_family) {
	case AF_UNSPEC:
		if (!mem_is_zero(&opt->peer, sizeof(opt->peer)))
			return -EINVAL;
		if (sk->sk_state != TCP_ESTABLISHED)
			return -EDESTADDRREQ;
#if IS_ENABLED(CONFIG_IPV6)
		if (sk->sk_family == AF_INET6) {
			key->addr = sk->sk_v6_daddr;
			key->port = sk->sk_dport;
			return 0;
		}
#endif
		ipv6_addr_set_v4mapped(sk->sk_daddr, &key->addr);
		key->port = sk->sk_dport;
		return 0;
	case AF_INET:
		ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, &key->addr);
		key->port = sin->sin_port;
		return 0;
#if IS_ENABLED(CONFIG_IPV6)
	case AF_INET6: {
		const struct sockaddr_in6 *sin6 = (const void *)&opt->peer;

		if (sk->sk_family != AF_INET6)
			return -EAFNOSUPPORT;
		key->addr = sin6->sin6_addr;
		key->port = sin6->sin6_port;
		return 0;
	}
#endif
	default:
		return -EAFNOSUPPORT;
	}
}

static int quic_set_cid(struct quic_sock *qs, sockptr_t optval,
			unsigned int optlen, bool add)
{
	struct quic_cid_key key = {};
	const u8 *token = NULL;
	struct quic_conn *conn;
	struct quic_ulp_cid opt;
	int err;

	err = quic_copy_opt(&opt, sizeof(opt), optval, optlen);
	if (err)
		return err;
	err = quic_ulp_cid_check(&opt, add);
	if (err)
		return err;
	if (opt.flags & QUIC_ULP_CID_RESET_TOKEN)
		token = opt.reset_token;
	key.len = opt.len;
	memcpy(key.id, opt.id, opt.len);
	if (opt.dir == QUIC_ULP_DIR_RX && !opt.len) {
		err = quic_cid_peer(qs->sk, &opt, &key);
		if (err)
			return err;
	}

	conn = quic_ulp_conn_lookup(qs, opt.conn);
	if (!conn)
		return -ENOENT;
	return add ? quic_ulp_cid_add(qs, conn, opt.dir, &key, token) :
		     quic_ulp_cid_del(qs, conn, opt.dir, &key);
}

static int quic_del_conn(struct quic_sock *qs, sockptr_t optval,
			 unsigned int optlen)
{
	struct quic_conn *conn;
	u32 handle;

	if (optlen != sizeof(handle))
		return -EINVAL;
	if (copy_from_sockptr(&handle, optval, sizeof(handle)))
		return -EFAULT;
	conn = quic_ulp_conn_lookup(qs, handle);
	if (!conn)
		return -ENOENT;
	quic_ulp_conn_delete(qs, conn);
	return 0;
}

static int quic_discard_old(struct quic_sock *qs, sockptr_t optval,
			    unsigned int optlen)
{
	struct quic_ulp_discard opt;
	struct quic_conn *conn;
	int err;

	err = quic_copy_opt(&opt, sizeof(opt), optval, optlen);
	if (err)
		return err;
	if (!opt.dir || opt.dir & ~(QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX))
		return -EINVAL;
	conn = quic_ulp_conn_lookup(qs, opt.conn);
	if (!conn)
		return -ENOENT;
	if (opt.dir & QUIC_ULP_DIR_TX)
		quic_ulp_dir_discard_old(&conn->tx);
	if (opt.dir & QUIC_ULP_DIR_RX)
		quic_ulp_dir_discard_old(&conn->rx);
	return 0;
}

/**
 * quic_ulp_setsockopt() - set a quic ULP option
 * @sk: the socket
 * @optname: QUIC_ULP_TX_KEY and following
 * @optval: value
 * @optlen: its length
 *
 * Return: 0 or a negative errno: -EINVAL for a malformed value, -ENOENT
 * for an unknown connection or ID, -EEXIST for an ID already in use or
 * keys already installed, -ENOSPC past a limit, -ENOPROTOOPT for an
 * unknown option.
 */
int quic_ulp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			unsigned int optlen)
{
	struct quic_sock *qs;
	int err;

	lock_sock(sk);
	qs = quic_sk(sk);
	switch (optname) {
	case QUIC_ULP_TX_KEY:
	case QUIC_ULP_RX_KEY:
		err = quic_set_key(qs, optval, optlen, optname == QUIC_ULP_RX_KEY);
		break;
	case QUIC_ULP_ADD_CID:
	case QUIC_ULP_DEL_CID:
		err = quic_set_cid(qs, optval, optlen, optname == QUIC_ULP_ADD_CID);
		break;
	case QUIC_ULP_DEL_CONN:
		err = quic_del_conn(qs, optval, optlen);
		break;
	case QUIC_ULP_DISCARD_OLD_KEY:
		err = quic_discard_old(qs, optval, optlen);
		break;
	default:
		err = -ENOPROTOOPT;
		break;
	}
	release_sock(sk);
	return err;
}

/**
 * quic_ulp_dir_info() - a consistent snapshot of a direction's state
 * @dir: the direction
 * @info: filled; zeroed by the caller
 */
void quic_ulp_dir_info(struct quic_dir *dir, struct quic_ulp_dir_info *info)
{
	spin_lock_bh(&dir->lock);
	info->largest_pn = dir->have_pn ? dir->largest_pn : U64_MAX;
	info->packets = dir->packets;
	info->bytes = dir->bytes;
	info->auth_failures = dir->auth_failures;
	info->old_key_packets = dir->old_key_packets;
	info->refused = dir->refused;
	info->cids = dir->cids;
	if (dir->cur) {
		info->key_packets = dir->cur->packets;
		info->key_updates = dir->cur->number;
		info->key_phase = quic_key_phase(dir->cur);
		info->flags |= QUIC_ULP_INFO_KEY;
	}
	if (dir->old)
		info->flags |= QUIC_ULP_INFO_OLD_KEY;
	if (dir->next)
		info->flags |= QUIC_ULP_INFO_NEXT_KEY;
	if (dir->limit)
		info->flags |= QUIC_ULP_INFO_LIMIT;
	spin_unlock_bh(&dir->lock);
}

/* As much of struct quic_ulp_conn_info as the caller has room for, so that
 * the structure can grow: at least the fields before the directions.
 */
static int quic_get_conn_info(struct quic_sock *qs, sockopt_t *opt)
{
	struct quic_ulp_conn_info info = {};
	struct quic_conn *conn;
	int len = opt->optlen;

	if (len < (int)offsetofend(struct quic_ulp_conn_info, reserved))
		return -EINVAL;
	len = min_t(int, len, sizeof(info));
	if (copy_from_iter(&info.conn, sizeof(info.conn), &opt->iter_in) !=
	    sizeof(info.conn))
		return -EFAULT;
	conn = quic_ulp_conn_lookup(qs, info.conn);
	if (!conn)
		return -ENOENT;
	info.cipher = conn->cipher->suite;
	quic_ulp_dir_info(&conn->tx, &info.tx);
	quic_ulp_dir_info(&conn->rx, &info.rx);
	opt->optlen = len;
	if (copy_to_iter(&info, len, &opt->iter_out) != len)
		return -EFAULT;
	return 0;
}

/**
 * quic_ulp_getsockopt() - read a quic ULP option
 * @sk: the socket
 * @optname: QUIC_ULP_CONN_INFO
 * @opt: the caller's buffer and length
 *
 * Return: 0 or a negative errno.
 */
int quic_ulp_getsockopt(struct sock *sk, int optname, sockopt_t *opt)
{
	int err;

	if (optname != QUIC_ULP_CONN_INFO)
		return -ENOPROTOOPT;
	lock_sock(sk);
	err = quic_get_conn_info(quic_sk(sk), opt);
	release_sock(sk);
	return err;
}
