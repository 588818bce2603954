// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: unprotect the 1-RTT packets of a datagram, or of each
 * segment of a UDP_GRO batch, in place, before UDP queues it.
 *
 * Per packet: find the connection by the Destination Connection ID (only
 * IDs this socket issued), remove header protection, recover the packet
 * number (RFC 9000, A.3), pick the generation by Key Phase and packet
 * number (RFC 9001, section 6), then verify and decrypt. A packet that
 * authenticates has the 16 bytes of its tag replaced by its struct
 * quic_rx_info; one that does not is removed from the datagram and
 * counted; a packet that is not ours, or that the kernel cannot open now,
 * stays as it arrived for the application to handle. Which segments were
 * decrypted is remembered in skb->cb for recvmsg() to report: UDP clears
 * that word for every datagram it queues, so recvmsg() never reports what
 * this file did not write.
 *
 * This runs in softirq with this CPU's request block. When the AEAD
 * completes asynchronously (x86 falls back to cryptd when the FPU is
 * busy), the block goes with the datagram, whose rest is handled from
 * the workqueue; such datagrams count against the socket's receive buffer
 * until they are queued, so a flood cannot pile them up.
 */

#include <crypto/aead.h>
#include <linux/errqueue.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/quic_ulp_device.h>
#include <net/udp.h>

#include "quic.h"
#include <trace/events/quic_ulp.h>

/* What became of one packet, besides 0 (decrypted) and negative errnos */
enum {
	QUIC_RX_KEEP = 1,	/* not ours, or not now: left as it arrived */
	QUIC_RX_LIMITED,	/* its connection reached the integrity limit */
};

static void quic_rx_crypt_done(void *data, int err);

static void quic_rx_source(struct sk_buff *skb, struct in6_addr *addr,
			   __be16 *port)
{
	if (ip_hdr(skb)->version == 4)
		ipv6_addr_set_v4mapped(ip_hdr(skb)->saddr, addr);
	else
		*addr = ipv6_hdr(skb)->saddr;
	*port = udp_hdr(skb)->source;
}

/* Pick and hold the generation for a packet; NULL when there is none yet.
 *
 * Bottom halves are off on the whole receive path (softirq, or the
 * workqueue that finishes an asynchronous AEAD disables them): it takes
 * a direction's lock with spin_lock(), here and below, and saves
 * spin_unlock_bh()'s __local_bh_enable_ip() call for every packet.
 * Process context takes the same locks with spin_lock_bh().
 */
static struct quic_gen *quic_rx_choose(struct quic_dir *dir, u64 truncated,
				       unsigned int pn_len, bool phase,
				       u64 *pn, enum quic_key_choice *choice)
{
	struct quic_gen *gen;

	lockdep_assert_in_softirq();
	spin_lock(&dir->lock);
	*pn = quic_ulp_pn_decode(quic_dir_expected_pn(dir), truncated, pn_len);
	*choice = quic_ulp_key_choose(quic_key_phase(dir->cur), dir->cur->first_pn,
				      dir->old, phase, *pn);
	if (*choice == QUIC_KEY_CUR)
		gen = dir->cur;
	else if (*choice == QUIC_KEY_OLD)
		gen = dir->old;
	else
		gen = dir->next;
	if (gen)
		quic_ulp_gen_hold(gen);
	spin_unlock(&dir->lock);
	return gen;
}

/* A Stateless Reset looks like a short-header packet and would fail
 * authentication: recognise it by its token and let the application see it.
 */
static bool quic_rx_is_reset(struct quic_rx *rx)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	u8 buf[QUIC_RESET_TOKEN_LEN];
	const u8 *tail;
	bool reset;

	tail = quic_ulp_skb_peek(rx->skb, pkt->off + pkt->len - sizeof(buf),
				 sizeof(buf), buf, &rx->pos);
	if (!tail)
		return false;
	rcu_read_lock();
	reset = quic_ulp_conn_is_reset(pkt->conn, tail);
	rcu_read_unlock();
	return reset;
}

/* Does the socket take errors on its error queue (IP_RECVERR)? */
static bool quic_rx_recverr(const struct sock *sk)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		return inet6_test_bit(RECVERR6, sk);
#endif
	return inet_test_bit(RECVERR, sk);
}

/* Queue the event that tells the application its connection must close
 * (RFC 9001, 6.6). The skb is empty and its control block zeroed:
 * ip_recv_error() and ipv6_recv_error() then neither read an address nor
 * add packet info for this origin.
 */
static bool quic_rx_limit_event(struct sock *sk, u32 handle)
{
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;

	skb = alloc_skb(0, GFP_ATOMIC);
	if (!skb)
		return false;
	serr = SKB_EXT_ERR(skb);
	memset(serr, 0, sizeof(*serr));
	serr->ee.ee_errno = EKEYEXPIRED;
	serr->ee.ee_origin = SO_EE_ORIGIN_UDP_ULP;
	serr->ee.ee_type = QUIC_ULP_EV_INTEGRITY_LIMIT;
	serr->ee.ee_info = handle;
	if (sock_queue_err_skb(sk, skb)) {
		kfree_skb(skb);
		return false;
	}
	return true;
}

/* Report the limit once to a socket that takes errors; until the event
 * is queued (memory, a full receive buffer, IP_RECVERR set later), every
 * packet of the connection tries again
 */
static void quic_rx_report_limit(struct quic_rx *rx, struct quic_conn *conn)
{
	struct quic_dir *dir = &conn->rx;

	if (!rx->sk || READ_ONCE(dir->limit_reported) ||
	    !quic_rx_recverr(rx->sk))
		return;
	lockdep_assert_in_softirq();
	spin_lock(&dir->lock);
	if (!dir->limit_reported && quic_rx_limit_event(rx->sk, conn->handle))
		WRITE_ONCE(dir->limit_reported, true);
	spin_unlock(&dir->lock);
}

/* The connection of a packet whose bytes after the first are @id, @avail
 * of them: held, NULL or an error pointer, as quic_ulp_cid_find() says.
 *
 * The segments of a datagram come from one address and port, and mostly
 * are for one connection: a packet whose bytes are those the last
 * successful lookup of the datagram read gets the same answer without a
 * lookup, as long as no receive ID was added or removed since (a deleted
 * connection's IDs are removed first). The answer is then exactly what
 * the table would give.
 */
static struct quic_conn *quic_rx_find(struct quic_rx *rx, const u8 *id,
				      unsigned int avail, unsigned int *cid_len)
{
	/* Pairs with the release in quic_rx_cid_changed() */
	u32 seq = smp_load_acquire(&rx->qs->rx_cid_seq);
	unsigned long lens = READ_ONCE(rx->qs->rx_lens);
	struct quic_rx_last *last = &rx->last;
	struct quic_conn *conn;
	unsigned int n;

	/* quic_ulp_cid_find() reads up to the longest length in use */
	n = lens ? min_t(unsigned int, __fls(lens), avail) : 0;
	conn = last->conn;
	if (conn && last->seq == seq && last->n == n &&
	    !memcmp(last->id, id, n) && !READ_ONCE(conn->dead)) {
		refcount_inc(&conn->refcnt);
		*cid_len = last->cid_len;
		return conn;
	}

	rcu_read_lock();
	conn = quic_ulp_cid_find(rx->qs, id, avail, &rx->saddr, rx->sport,
				 cid_len);
	rcu_read_unlock();
	if (IS_ERR_OR_NULL(conn))
		return conn;
	if (last->conn)
		quic_ulp_conn_put(last->conn);
	refcount_inc(&conn->refcnt);
	last->conn = conn;
	last->seq = seq;
	last->n = n;
	last->cid_len = *cid_len;
	memcpy(last->id, id, n);
	return conn;
}

/* Find the connection of the packet that starts with @avail bytes at @p;
 * QUIC_RX_KEEP if it is not ours now
 */
static int quic_rx_lookup(struct quic_rx *rx, const u8 *p, unsigned int avail,
			  unsigned int *cid_len)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	struct net *net = rx->qs->net;
	struct quic_conn *conn;

	avail = min_t(unsigned int, avail, sizeof(pkt->hdr));
	if (!avail || p[0] & QUIC_HDR_LONG)
		return QUIC_RX_KEEP;
	memcpy(pkt->hdr, p, avail);

	conn = quic_rx_find(rx, pkt->hdr + 1, avail - 1, cid_len);
	if (IS_ERR_OR_NULL(conn)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_PASSTHROUGH);
		return QUIC_RX_KEEP;
	}
	pkt->conn = conn;
	if (!quic_ulp_hdr_fits(pkt->len, *cid_len)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_MALFORMED);
		return QUIC_RX_KEEP;
	}
	if (READ_ONCE(conn->rx.limit)) {
		/* RFC 9001, 6.6: nothing more is opened, by anyone */
		QUIC_INC_STATS(net, QUIC_MIB_RX_LIMIT_DROPS);
		quic_rx_report_limit(rx, conn);
		return QUIC_RX_LIMITED;
	}
	/* Pairs with the release in quic_ulp_dir_install(): keys seen, header
	 * protection key in place
	 */
	if (!smp_load_acquire(&conn->rx.cur)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_PASSTHROUGH);
		return QUIC_RX_KEEP;
	}
	if (rcu_access_pointer(conn->reset_tokens) && quic_rx_is_reset(rx)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_RESET);
		return QUIC_RX_KEEP;
	}
	return 0;
}

/* The first packet of a datagram a device says it decrypted: the header
 * at @p is unprotected. The direction recovers the packet number and
 * chooses the generation as it would for software; the device must have
 * used the same, with the direction's context.
 */
static int quic_rx_device(struct quic_rx *rx, const u8 *p,
			  unsigned int cid_len)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	unsigned int i, pn_len = quic_ulp_hdr_pn_len(p[0]);
	u64 truncated = 0;

	for (i = 0; i < pn_len; i++)
		truncated = truncated << 8 | p[1 + cid_len + i];
	pkt->hdr_len = 1 + cid_len + pn_len;
	memcpy(pkt->hdr, p, pkt->hdr_len);
	pkt->gen = quic_rx_choose(&pkt->conn->rx, truncated, pn_len,
				  p[0] & QUIC_HDR_KEY_PHASE, &pkt->pn,
				  &pkt->choice);
	if (!pkt->gen)
		return -EPROTO;
	pkt->device = true;
	return quic_ulp_dev_rx_check(rx->skb, pkt->conn, pkt->pn,
				     pkt->gen->number);
}

/* Look the packet at rx->in up and start its AEAD */
static int quic_rx_start(struct quic_crypt *c)
{
	u8 buf[1 + QUIC_ULP_MAX_CID_LEN + QUIC_MIN_AFTER_PN_OFFSET];
	struct quic_rx *rx = &c->rx;
	struct quic_rx_pkt *pkt = &rx->pkt;
	struct net *net = rx->qs->net;
	unsigned int cid_len, pn_len, avail;
	u8 mask[QUIC_HP_MASK_LEN];
	struct quic_dir *dir;
	u64 truncated;
	int err;
	u8 *p;

	memset(pkt, 0, sizeof(*pkt));
	pkt->off = rx->in;
	pkt->len = min(rx->seg_size, rx->len - rx->in);
	/* The header and the sample after it, in place if in one piece */
	avail = min_t(unsigned int, pkt->len, sizeof(buf));
	p = quic_ulp_skb_access(rx->skb, pkt->off, avail, buf, &rx->pos);
	if (!p)
		return QUIC_RX_KEEP;
	err = quic_rx_lookup(rx, p, avail, &cid_len);
	if (err)
		return err;
	if (!pkt->off && quic_ulp_skb_decrypted(rx->skb))
		return quic_rx_device(rx, p, cid_len);
	dir = &pkt->conn->rx;

	/* Header protection first: it hides the packet number length. The
	 * lookup found the packet long enough for the sample (and @avail
	 * covers it: quic_ulp_hdr_fits()).
	 */
	quic_ulp_hp_mask(&dir->hp, pkt->conn->cipher,
			 p + 1 + cid_len + QUIC_PN_MAX_LEN, mask);
	pn_len = quic_ulp_hdr_unprotect(pkt->hdr, 1 + cid_len, mask, &truncated);
	memzero_explicit(mask, sizeof(mask));
	pkt->hdr_len = 1 + cid_len + pn_len;

	pkt->gen = quic_rx_choose(dir, truncated, pn_len,
				  pkt->hdr[0] & QUIC_HDR_KEY_PHASE,
				  &pkt->pn, &pkt->choice);
	if (!pkt->gen) {
		/* A second update before the next keys were derived: the
		 * application gets the packet as it came, and the derivation
		 * is asked for again in case it failed.
		 */
		quic_ulp_conn_schedule_keys(pkt->conn);
		QUIC_INC_STATS(net, QUIC_MIB_RX_NO_NEXT_KEY);
		return QUIC_RX_KEEP;
	}

	/* Whatever can fail but authentication, before the packet changes */
	if (quic_ulp_crypt_prepare(c, rx->skb, pkt->off, pkt->len, pkt->gen,
				   &rx->pos)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_ERR_NOMEM);
		return QUIC_RX_KEEP;
	}
	pkt->tag = quic_ulp_crypt_tail(c, QUIC_ULP_TAG_LEN);
	/* The associated data is the unprotected header, in place */
	if (p != buf) {
		memcpy(p, pkt->hdr, pkt->hdr_len);
	} else {
		err = quic_ulp_skb_write(rx->skb, pkt->off, pkt->hdr,
					 pkt->hdr_len, &rx->pos);
		if (err)
			return err;
	}
	/* If it goes asynchronous: one share for the completion, one for
	 * the caller's hand-over (quic_rx_handoff())
	 */
	atomic_set(&rx->handoff, 2);
	return quic_ulp_crypt(c, pkt->hdr_len,
			  pkt->len - pkt->hdr_len - QUIC_ULP_TAG_LEN, pkt->gen,
			  pkt->conn->cipher, pkt->pn, false, 0,
			  quic_rx_crypt_done, c);
}

/* Account an authenticated packet, rotate keys if it opened a new phase;
 * fill its record
 */
static void quic_rx_authenticated(struct quic_rx *rx, struct quic_ulp_rx_info *info)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	struct quic_conn *conn = pkt->conn;
	struct net *net = rx->qs->net;
	struct quic_dir *dir = &conn->rx;
	struct quic_gen *gen = pkt->gen;
	bool rotated = false;

	memset(info, 0, sizeof(*info));
	info->pn = pkt->pn;
	info->conn = conn->handle;
	info->status = QUIC_ULP_RX_DECRYPTED;
	if (pkt->hdr[0] & QUIC_HDR_KEY_PHASE)
		info->flags |= QUIC_ULP_RX_KEY_PHASE;

	lockdep_assert_in_softirq();
	spin_lock(&dir->lock);
	if (pkt->choice == QUIC_KEY_NEXT && dir->next == gen) {
		quic_ulp_dir_rotate(dir);
		rotated = true;
		info->flags |= QUIC_ULP_RX_KEY_UPDATE;
		QUIC_INC_STATS(net, QUIC_MIB_RX_KEY_UPDATES);
	} else if (pkt->choice == QUIC_KEY_OLD) {
		info->flags |= QUIC_ULP_RX_OLD_KEY;
		dir->old_key_packets++;
		QUIC_INC_STATS(net, QUIC_MIB_RX_OLD_KEY);
	}
	gen->packets++;
	gen->first_pn = min(gen->first_pn, pkt->pn);
	if (!dir->have_pn || pkt->pn > dir->largest_pn) {
		dir->largest_pn = pkt->pn;
		dir->have_pn = true;
		/* (mostly unchanged: a store would dirty its cache line) */
		if (conn->peer_port != rx->sport ||
		    !ipv6_addr_equal(&conn->peer_addr, &rx->saddr)) {
			conn->peer_addr = rx->saddr;
			conn->peer_port = rx->sport;
		}
	}
	dir->packets++;
	dir->bytes += pkt->len;
	if (pkt->device)
		quic_dev_count(dir);
	else
		/* (detached for an asynchronous AEAD, its device may be
		 * gone)
		 */
		quic_ulp_dev_rx_software(rx->charged ? NULL : rx->skb, conn);
	info->auth_failures = min_t(u32, dir->unreported, U16_MAX);
	dir->unreported -= info->auth_failures;
	spin_unlock(&dir->lock);

	rx->packets++;
	rx->bytes += pkt->len;
	if (rotated) {
		/* (no socket once it is gone, after an async AEAD) */
		trace_quic_ulp_key_update(rx->sk, conn->handle,
					  QUIC_ULP_DIR_RX, gen->number, pkt->pn);
		if (rx->sk)
			quic_ulp_nl_key_update(rx->sk, conn, QUIC_ULP_DIR_RX,
					       gen->number);
	}
}

static void quic_rx_auth_failed(struct quic_rx *rx)
{
	struct quic_conn *conn = rx->pkt.conn;
	struct quic_dir *dir = &conn->rx;
	u32 tried = rx->pkt.gen ? rx->pkt.gen->number : 0, cur = 0;
	bool limit = false;
	u64 failures;

	lockdep_assert_in_softirq();
	spin_lock(&dir->lock);
	failures = ++dir->auth_failures;
	dir->unreported++;
	if (!dir->limit &&
	    dir->auth_failures >= conn->cipher->integrity_limit) {
		WRITE_ONCE(dir->limit, true);
		limit = true;
		cur = dir->cur ? dir->cur->number : 0;
	}
	spin_unlock(&dir->lock);
	QUIC_INC_STATS(rx->qs->net, QUIC_MIB_RX_AUTH_FAILURES);
	trace_quic_ulp_rx_auth_failed(rx->sk, conn->handle, rx->pkt.pn, tried,
				      failures);
	if (limit) {
		QUIC_INC_STATS(rx->qs->net, QUIC_MIB_RX_LIMIT_REACHED);
		quic_rx_report_limit(rx, conn);
		trace_quic_ulp_limit_reached(rx->sk, conn->handle,
					     QUIC_ULP_DIR_RX, cur, failures);
		if (rx->sk)
			quic_ulp_nl_limit(rx->sk, conn, QUIC_ULP_DIR_RX, cur,
					  failures);
	}
}

/* Move a kept segment down over the dropped ones before it */
static int quic_rx_move(struct sk_buff *skb, unsigned int to,
			unsigned int from, unsigned int len)
{
	u8 buf[128];
	unsigned int n;
	int err;

	for (; len; len -= n, to += n, from += n) {
		n = min_t(unsigned int, len, sizeof(buf));
		err = skb_copy_bits(skb, from, buf, n);
		if (!err)
			err = skb_store_bits(skb, to, buf, n);
		if (err)
			return err;
	}
	return 0;
}

/* Finish the packet in flight: record it, keep it, or drop it */
static void quic_rx_end(struct quic_rx *rx, int result)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	struct quic_ulp_rx_info info;
	bool keep = true;

	/* Changed by a device, and not what it says: never delivered */
	if (result == QUIC_RX_KEEP && !pkt->off &&
	    quic_ulp_skb_decrypted(rx->skb)) {
		QUIC_INC_STATS(rx->qs->net, QUIC_MIB_RX_DEV_MISMATCH);
		result = -EPROTO;
	}
	if (!result) {
		quic_rx_authenticated(rx, &info);
		/* The record replaces the tag: where the AEAD's scatterlist
		 * had it, or found again
		 */
		if (pkt->tag)
			memcpy(pkt->tag, &info, sizeof(info));
		else if (quic_ulp_skb_write(rx->skb,
					    pkt->off + pkt->len - QUIC_ULP_TAG_LEN,
					    (const u8 *)&info, sizeof(info),
					    &rx->pos))
			keep = false;
		if (keep)
			rx->decrypted |= BIT_ULL(rx->nkept);
	} else if (result != QUIC_RX_KEEP) {
		/* Failed authentication, its connection is past its limit,
		 * or it could not be processed after its header was
		 * rewritten: never delivered.
		 */
		if (result == -EBADMSG) {
			quic_rx_auth_failed(rx);
			rx->reason = SKB_DROP_REASON_QUIC_ULP_AUTH;
		} else if (result == QUIC_RX_LIMITED) {
			rx->reason = SKB_DROP_REASON_QUIC_ULP_AEAD_LIMIT;
		} else if (result == -EPROTO) {
			rx->reason = SKB_DROP_REASON_NOT_SPECIFIED;
		} else {
			/* The AEAD itself failed (a full cryptd queue) */
			QUIC_INC_STATS(rx->qs->net, QUIC_MIB_RX_ERR_CRYPTO);
			rx->reason = SKB_DROP_REASON_NOMEM;
		}
		keep = false;
	}

	if (keep && rx->out != pkt->off &&
	    quic_rx_move(rx->skb, rx->out, pkt->off, pkt->len))
		keep = false;
	if (keep) {
		rx->out += pkt->len;
		rx->nkept++;
	} else {
		rx->dropped++;
	}
	rx->in += pkt->len;
	quic_ulp_gen_put(pkt->gen);
	if (pkt->conn)
		quic_ulp_conn_put(pkt->conn);
	pkt->gen = NULL;
	pkt->conn = NULL;
}

/* Handle packets until the datagram is done or an AEAD went asynchronous.
 * Return: true when done.
 */
static bool quic_rx_run(struct quic_crypt *c)
{
	struct quic_rx *rx = &c->rx;
	int err;

	while (rx->in < rx->len) {
		err = quic_rx_start(c);
		if (err == -EINPROGRESS)
			return false;
		quic_rx_end(rx, err);
	}
	return true;
}

static void quic_rx_count_drops(struct sock *sk, struct sk_buff *skb,
				unsigned int n)
{
	struct net *net = sock_net(sk);

	/* Each packet is a datagram to the application: count each */
	sk_drops_add(sk, n);
#if IS_ENABLED(CONFIG_IPV6)
	if (ip_hdr(skb)->version == 6) {
		SNMP_ADD_STATS(net->mib.udp_stats_in6, UDP_MIB_INERRORS, n);
		return;
	}
#endif
	SNMP_ADD_STATS(net->mib.udp_statistics, UDP_MIB_INERRORS, n);
}

/**
 * struct quic_rx_verdict - what to do with a datagram once it is done
 * @sk: the socket, NULL if it went away during an asynchronous AEAD
 * @skb: the datagram
 * @deliver: how UDP queues it
 * @drop: drop it, for @reason
 * @reason: why
 */
struct quic_rx_verdict {
	struct sock		*sk;
	struct sk_buff		*skb;
	udp_ulp_deliver_t	deliver;
	bool			drop;
	enum skb_drop_reason	reason;
};

/* Let the last connection go, trim what was dropped and record what was
 * decrypted
 */
static void quic_rx_finish(struct quic_rx *rx, struct quic_rx_verdict *v)
{
	struct sk_buff *skb = rx->skb;

	if (rx->last.conn) {
		quic_ulp_conn_put(rx->last.conn);
		rx->last.conn = NULL;
	}
	/* Once per datagram rather than per packet: the MIB is per CPU,
	 * found through the namespace
	 */
	if (rx->packets) {
		struct quic_mib __percpu *mib = quic_ulp_net_mib(rx->qs->net);

		SNMP_ADD_STATS64(mib, QUIC_MIB_RX_PACKETS, rx->packets);
		SNMP_ADD_STATS64(mib, QUIC_MIB_RX_BYTES, rx->bytes);
	}
	v->sk = rx->sk;
	v->skb = skb;
	v->deliver = rx->deliver;
	v->drop = true;
	v->reason = rx->reason;
	if (rx->sk && rx->dropped)
		quic_rx_count_drops(rx->sk, skb, rx->dropped);
	if (!rx->out || !rx->sk)
		return;
	if (rx->out < rx->len) {
		v->reason = SKB_DROP_REASON_NOMEM;
		if (pskb_trim(skb, rx->out)) {
			/* The packets it kept are lost with it */
			quic_rx_count_drops(rx->sk, skb, rx->nkept);
			return;
		}
		if (skb_is_gso(skb))
			skb_shinfo(skb)->gso_segs = rx->nkept;
	}
	/* The checksum UDP verified was over what the packets were: say it
	 * was verified rather than leave a sum of the ciphertext
	 */
	if (rx->decrypted || rx->dropped) {
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		skb->csum_level = 0;
	}
	UDP_ULP_SKB_CB(skb)->ulp = rx->decrypted;
	v->drop = false;
}

static int quic_rx_act(const struct quic_rx_verdict *v)
{
	if (!v->drop)
		return v->deliver(v->sk, v->skb);
	sk_skb_reason_drop(v->sk, v->skb, v->sk ? v->reason :
			   SKB_DROP_REASON_SOCKET_CLOSE);
	return -1;
}

/* The datagram finishes in the workqueue: keep what it needs alive */
static void quic_rx_detach(struct quic_crypt *c)
{
	struct quic_rx *rx = &c->rx;

	quic_ulp_crypt_detach(c);
	quic_ulp_sock_hold(rx->qs);
	rx->sk_held = refcount_inc_not_zero(&rx->sk->sk_refcnt);
	if (!rx->sk_held)
		rx->sk = NULL;
	rx->charged = rx->skb->truesize;
	atomic_add(rx->charged, &rx->qs->rx_async);
}

/* Whichever of the completion and the submitter is last hands the
 * datagram to the workqueue: the submitter may still be detaching it when
 * the AEAD completes on another CPU.
 */
static void quic_rx_handoff(struct quic_crypt *c)
{
	if (atomic_dec_and_test(&c->rx.handoff))
		queue_work(quic_ulp_wq, &c->rx.work);
}

static void quic_rx_resume(struct work_struct *work)
{
	struct quic_rx *rx = container_of(work, struct quic_rx, work);
	struct quic_crypt *c = container_of(rx, struct quic_crypt, rx);
	struct quic_sock *qs = rx->qs;
	struct quic_rx_verdict v;

	/* UDP queues datagrams with bottom halves off */
	local_bh_disable();
	quic_rx_end(rx, rx->async_err);
	if (!quic_rx_run(c)) {
		local_bh_enable();
		quic_rx_handoff(c);
		return;
	}
	quic_rx_finish(rx, &v);
	quic_rx_act(&v);
	local_bh_enable();

	atomic_sub(rx->charged, &qs->rx_async);
	if (rx->sk_held)
		sock_put(rx->sk);
	quic_ulp_sock_put(qs);
	quic_ulp_crypt_free(c);
}

/* The AEAD finished asynchronously; continue from process context */
static void quic_rx_crypt_done(void *data, int err)
{
	struct quic_crypt *c = data;

	if (err == -EINPROGRESS)
		return;
	c->rx.async_err = err;
	quic_rx_handoff(c);
}

/* Is any segment a short-header packet, which we might have to handle? */
static bool quic_rx_has_short_hdr(const struct sk_buff *skb,
				  unsigned int seg_size)
{
	struct quic_skb_pos pos = {};
	const u8 *first;
	unsigned int off;
	u8 buf;

	for (off = 0; off < skb->len; off += seg_size) {
		first = quic_ulp_skb_peek(skb, off, 1, &buf, &pos);
		if (first && !(*first & QUIC_HDR_LONG))
			return true;
	}
	return false;
}

/* Datagrams waiting for an asynchronous AEAD count as received */
static bool quic_rx_over_budget(struct sock *sk, struct quic_sock *qs)
{
	int pending = atomic_read(&qs->rx_async);

	return pending &&
	       pending + atomic_read(&sk->sk_rmem_alloc) >
	       READ_ONCE(sk->sk_rcvbuf);
}

/* Hand a datagram to the application as it arrived; one a device changed
 * is no longer that, and only quic_rx_run() may deliver it
 */
static int quic_rx_pass(struct sock *sk, struct quic_sock *qs,
			struct sk_buff *skb, udp_ulp_deliver_t deliver)
{
	if (likely(!quic_ulp_skb_decrypted(skb)))
		return deliver(sk, skb);
	if (qs)
		QUIC_INC_STATS(qs->net, QUIC_MIB_RX_DEV_MISMATCH);
	quic_rx_count_drops(sk, skb, 1);
	sk_skb_reason_drop(sk, skb, SKB_DROP_REASON_NOT_SPECIFIED);
	return -1;
}

/**
 * quic_ulp_rcv_skb() - unprotect the 1-RTT packets of a received datagram
 * @sk: the socket, found under RCU by UDP and not held
 * @skb: the datagram, checksum verified, payload at skb->data, its ULP
 *	control block word cleared by UDP
 * @deliver: how UDP queues it
 *
 * Softirq context.
 *
 * Return: 0 when the datagram was queued (or will be), -1 when dropped.
 */

int quic_ulp_rcv_skb(struct sock *sk, struct sk_buff *skb,
		     udp_ulp_deliver_t deliver)
{
	struct quic_sock *qs = udp_ulp_state(sk);
	struct quic_rx_verdict v;
	unsigned int seg_size;
	struct quic_crypt *c;
	struct quic_rx *rx;

	/* Payload the CPU cannot read (device memory) is the
	 * application's to handle: no ULP reads or writes it.
	 */
	if (!qs || !READ_ONCE(qs->rx_lens) || !skb->len ||
	    !skb_frags_readable(skb))
		return quic_rx_pass(sk, qs, skb, deliver);
	seg_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : skb->len;
	if (!seg_size || !quic_rx_has_short_hdr(skb, seg_size))
		return quic_rx_pass(sk, qs, skb, deliver);
	BUILD_BUG_ON(BITS_PER_LONG_LONG < UDP_ULP_MAX_SEGS);
	if (DIV_ROUND_UP(skb->len, seg_size) > UDP_ULP_MAX_SEGS) {
		/* A loopback GSO datagram that UDP did not segment because
		 * the ULP was attached in the meantime: the application
		 * gets it as it came.
		 */
		QUIC_INC_STATS(qs->net, QUIC_MIB_RX_TOO_MANY_SEGS);
		return quic_rx_pass(sk, qs, skb, deliver);
	}
	if (quic_rx_over_budget(sk, qs)) {
		QUIC_INC_STATS(qs->net, QUIC_MIB_RX_ASYNC_DROPS);
		quic_rx_count_drops(sk, skb, DIV_ROUND_UP(skb->len, seg_size));
		sk_skb_reason_drop(sk, skb, SKB_DROP_REASON_SOCKET_RCVBUFF);
		return -1;
	}
	if (quic_ulp_skb_make_writable(skb))
		goto nomem;
	c = quic_ulp_crypt_get();
	if (!c)
		goto nomem;

	rx = &c->rx;
	memset(rx, 0, sizeof(*rx));
	rx->sk = sk;
	rx->qs = qs;
	rx->skb = skb;
	rx->deliver = deliver;
	rx->len = skb->len;
	rx->seg_size = seg_size;
	INIT_WORK(&rx->work, quic_rx_resume);
	quic_rx_source(skb, &rx->saddr, &rx->sport);

	if (!quic_rx_run(c)) {
		quic_rx_detach(c);
		quic_ulp_crypt_put();
		quic_rx_handoff(c);
		return 0;
	}
	quic_rx_finish(rx, &v);
	quic_ulp_crypt_put();
	return quic_rx_act(&v);

nomem:
	/* Without memory to decrypt it, the application still gets the
	 * datagram, untouched, and does the work itself.
	 */
	QUIC_INC_STATS(qs->net, QUIC_MIB_RX_ERR_NOMEM);
	return quic_rx_pass(sk, qs, skb, deliver);
}

/**
 * quic_ulp_recv_cmsg() - report what was decrypted in a received datagram
 * @sk: the socket
 * @msg: the recvmsg() message
 * @skb: the datagram, payload at skb->data
 *
 * One struct quic_ulp_rx_info per segment in a QUIC_ULP_RX_INFO control message,
 * when at least one segment was decrypted: the word quic_ulp_rcv_skb() left
 * in skb->cb says which (UDP clears it for every datagram it queues), and
 * the record of each is in its tag bytes. Process context.
 */
void quic_ulp_recv_cmsg(struct sock *sk, struct msghdr *msg, struct sk_buff *skb)
{
	u64 decrypted = UDP_ULP_SKB_CB(skb)->ulp;
	struct quic_ulp_rx_info small[8], *info = small;
	unsigned int seg_size, nseg, i, len;
	struct quic_skb_pos pos = {};
	const u8 *rec;

	if (!decrypted)
		return;
	seg_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : skb->len;
	if (WARN_ON_ONCE(!seg_size))
		return;
	nseg = DIV_ROUND_UP(skb->len, seg_size);
	if (WARN_ON_ONCE(nseg > UDP_ULP_MAX_SEGS))
		return;
	if (!msg->msg_control || !msg->msg_controllen) {
		msg->msg_flags |= MSG_CTRUNC;
		return;
	}
	/* Most datagrams are not coalesced: no allocation for those */
	if (nseg > ARRAY_SIZE(small)) {
		info = kcalloc(nseg, sizeof(*info), GFP_KERNEL);
		if (!info) {
			msg->msg_flags |= MSG_CTRUNC;
			return;
		}
	}
	for (i = 0; i < nseg; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		if (!(decrypted & BIT_ULL(i)))
			continue;
		len = min(seg_size, skb->len - i * seg_size);
		if (len < QUIC_ULP_TAG_LEN)
			continue;
		rec = quic_ulp_skb_peek(skb, i * seg_size + len - QUIC_ULP_TAG_LEN,
					sizeof(info[i]), (u8 *)&info[i], &pos);
		if (!rec)
			memset(&info[i], 0, sizeof(info[i]));
		else if (rec != (const u8 *)&info[i])
			memcpy(&info[i], rec, sizeof(info[i]));
	}
	put_cmsg(msg, SOL_UDP, QUIC_ULP_RX_INFO, nseg * sizeof(*info), info);
	if (info != small)
		kfree(info);
}
