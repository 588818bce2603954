// SPDX-License-Identifier: GPL-2.0
/*
 * Receive path: unprotect the 1-RTT packets of a datagram, or of each
 * segment of a UDP_GRO batch, in place, before UDP queues it.
 *
 * Per packet: remove header protection, recover the packet number (RFC
 * 9000, A.3), pick the generation by Key Phase and packet number (RFC 9001,
 * section 6), then verify and decrypt. A packet that authenticates has the
 * 16 bytes of its tag replaced by its struct quic_rx_info; one that does
 * not is removed from the datagram and counted; a packet that is not ours
 * stays as it arrived. Which segments were decrypted is remembered in
 * skb->cb for recvmsg() to report.
 *
 * This runs in softirq. When the AEAD completes asynchronously (x86 falls
 * back to cryptd when the FPU is busy), the rest of the datagram is handled
 * from the workqueue and queued to the socket from there.
 */

#include <crypto/aead.h>
#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/udp.h>

#include "quic.h"

/* What became of one packet, besides 0 (decrypted) and negative errnos */
enum {
	QUIC_RX_KEEP = 1,	/* not ours, or not now: left as it arrived */
};

/**
 * struct quic_rx_pkt - the packet being unprotected
 * @conn: its connection
 * @gen: the generation trying it
 * @choice: which generation that is
 * @pn: full packet number
 * @off: offset in the skb
 * @len: length
 * @hdr: its header, unprotected
 * @hdr_len: header length
 */
struct quic_rx_pkt {
	struct quic_conn	*conn;
	struct quic_gen		*gen;
	enum quic_key_choice	choice;
	u64			pn;
	unsigned int		off;
	unsigned int		len;
	u8			hdr[1 + QUIC_MAX_CID_LEN + QUIC_PN_MAX_LEN];
	unsigned int		hdr_len;
};

/**
 * struct quic_rx - the state of one received datagram
 * @crypt: AEAD request and scatterlist
 * @sk: the socket, held
 * @qs: its ULP state, held
 * @skb: the datagram, payload at skb->data
 * @deliver: how UDP queues it
 * @saddr: source address, v4-mapped for IPv4
 * @sport: source port
 * @len: payload length as received
 * @seg_size: segment size (the whole payload without GRO)
 * @in: offset of the next segment to read
 * @out: where the next kept segment goes
 * @nkept: segments kept
 * @decrypted: bit n set when kept segment n was decrypted
 * @pkt: the packet in flight
 * @async_err: result of an asynchronous AEAD
 * @work: continues the datagram after an asynchronous AEAD
 */
struct quic_rx {
	struct quic_crypt	crypt;
	struct sock		*sk;
	struct quic_sock	*qs;
	struct sk_buff		*skb;
	udp_ulp_deliver_t	deliver;
	struct in6_addr		saddr;
	__be16			sport;
	unsigned int		len;
	unsigned int		seg_size;
	unsigned int		in;
	unsigned int		out;
	unsigned int		nkept;
	u64			decrypted;
	struct quic_rx_pkt	pkt;
	int			async_err;
	struct work_struct	work;
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

/* Pick and hold the generation for a packet; NULL when there is none yet */
static struct quic_gen *quic_rx_choose(struct quic_dir *dir, u64 truncated,
				       unsigned int pn_len, bool phase,
				       u64 *pn, enum quic_key_choice *choice)
{
	struct quic_gen *gen = NULL;

	spin_lock_bh(&dir->lock);
	if (!dir->cur || dir->limit)
		goto out;
	*pn = quic_pn_decode(quic_dir_expected_pn(dir), truncated, pn_len);
	*choice = quic_key_choose(quic_key_phase(dir->cur), dir->cur->first_pn,
				  dir->old, phase, *pn);
	if (*choice == QUIC_KEY_CUR)
		gen = dir->cur;
	else if (*choice == QUIC_KEY_OLD)
		gen = dir->old;
	else
		gen = dir->next;
	if (gen)
		refcount_inc(&gen->refcnt);
out:
	spin_unlock_bh(&dir->lock);
	return gen;
}

/* A Stateless Reset looks like a short-header packet and would fail
 * authentication: recognise it by its token and let the application see it.
 */
static bool quic_rx_is_reset(struct quic_rx *rx)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	u8 tail[QUIC_RESET_TOKEN_LEN];
	bool reset;

	if (skb_copy_bits(rx->skb, pkt->off + pkt->len - sizeof(tail), tail,
			  sizeof(tail)))
		return false;
	rcu_read_lock();
	reset = quic_conn_is_reset(pkt->conn, tail);
	rcu_read_unlock();
	return reset;
}

/* Look the packet at rx->in up and start its AEAD */
static int quic_rx_start(struct quic_rx *rx)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	u8 sample[QUIC_HP_SAMPLE_LEN], mask[QUIC_HP_MASK_LEN];
	struct net *net = sock_net(rx->sk);
	unsigned int avail, cid_len, pn_len;
	struct quic_conn *conn;
	struct quic_dir *dir;
	u64 truncated;
	int err;

	memset(pkt, 0, sizeof(*pkt));
	pkt->off = rx->in;
	pkt->len = min(rx->seg_size, rx->len - rx->in);
	avail = min_t(unsigned int, pkt->len, sizeof(pkt->hdr));
	if (!avail || skb_copy_bits(rx->skb, pkt->off, pkt->hdr, avail) ||
	    pkt->hdr[0] & QUIC_HDR_LONG)
		return QUIC_RX_KEEP;

	rcu_read_lock();
	conn = quic_cid_find(rx->qs, QUIC_DIR_RX, pkt->hdr + 1, avail - 1,
			     &rx->saddr, rx->sport, &cid_len, false);
	rcu_read_unlock();
	if (IS_ERR_OR_NULL(conn)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_PASSTHROUGH);
		return QUIC_RX_KEEP;
	}
	pkt->conn = conn;
	dir = &conn->rx;
	if (!quic_hdr_fits(pkt->len, cid_len)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_MALFORMED);
		return QUIC_RX_KEEP;
	}
	if (rcu_access_pointer(conn->reset_tokens) && quic_rx_is_reset(rx)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_RESET);
		return QUIC_RX_KEEP;
	}
	if (READ_ONCE(dir->limit)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_LIMIT);
		return QUIC_RX_KEEP;
	}
	if (!READ_ONCE(dir->cur)) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_PASSTHROUGH);
		return QUIC_RX_KEEP;
	}

	/* Header protection first: it hides the packet number length */
	if (skb_copy_bits(rx->skb, pkt->off + 1 + cid_len + QUIC_PN_MAX_LEN,
			  sample, sizeof(sample)))
		return QUIC_RX_KEEP;
	rcu_read_lock();
	quic_hp_mask(rcu_dereference(dir->hp), dir->cipher, sample, mask);
	rcu_read_unlock();
	pn_len = quic_hdr_unprotect(pkt->hdr, 1 + cid_len, mask, &truncated);
	memzero_explicit(mask, sizeof(mask));
	pkt->hdr_len = 1 + cid_len + pn_len;

	pkt->gen = quic_rx_choose(dir, truncated, pn_len,
				  pkt->hdr[0] & QUIC_HDR_KEY_PHASE,
				  &pkt->pn, &pkt->choice);
	if (!pkt->gen) {
		/* A second update before the next keys were derived: the
		 * application gets the packet as it came.
		 */
		QUIC_INC_STATS(net, QUIC_MIB_RX_NO_NEXT_KEY);
		return QUIC_RX_KEEP;
	}

	err = quic_crypt_prepare(&rx->crypt, pkt->gen);
	if (err) {
		QUIC_INC_STATS(net, QUIC_MIB_RX_ERR_NOMEM);
		return QUIC_RX_KEEP;
	}
	/* The associated data is the unprotected header, in place */
	err = skb_store_bits(rx->skb, pkt->off, pkt->hdr, pkt->hdr_len);
	if (err)
		return err;
	return quic_crypt(&rx->crypt, rx->skb, pkt->off, pkt->hdr_len,
			  pkt->len - pkt->hdr_len - QUIC_TAG_LEN, pkt->gen,
			  dir->cipher, pkt->pn, false, quic_rx_crypt_done, rx);
}

/* Account an authenticated packet; rotate keys if it opened a new phase */
static u8 quic_rx_authenticated(struct quic_rx *rx)
{
	struct quic_rx_pkt *pkt = &rx->pkt;
	struct quic_conn *conn = pkt->conn;
	struct quic_gen *gen = pkt->gen;
	struct net *net = conn->net;
	struct quic_dir *dir = &conn->rx;
	bool derive = false;
	u8 flags = 0;

	if (pkt->hdr[0] & QUIC_HDR_KEY_PHASE)
		flags |= QUIC_RX_KEY_PHASE;

	spin_lock_bh(&dir->lock);
	if (pkt->choice == QUIC_KEY_NEXT && dir->next == gen) {
		quic_dir_rotate(dir);
		gen->first_pn = pkt->pn;
		flags |= QUIC_RX_KEY_UPDATE;
		derive = true;
		QUIC_INC_STATS(net, QUIC_MIB_RX_KEY_UPDATES);
	} else if (pkt->choice == QUIC_KEY_OLD) {
		flags |= QUIC_RX_OLD_KEY;
		dir->old_key_packets++;
		QUIC_INC_STATS(net, QUIC_MIB_RX_OLD_KEY);
	}
	gen->packets++;
	gen->first_pn = min(gen->first_pn, pkt->pn);
	if (!dir->have_pn || pkt->pn > dir->largest_pn) {
		dir->largest_pn = pkt->pn;
		dir->have_pn = true;
	}
	dir->packets++;
	dir->bytes += pkt->len;
	spin_unlock_bh(&dir->lock);

	if (derive)
		quic_conn_schedule_next(conn);
	QUIC_INC_STATS(net, QUIC_MIB_RX_PACKETS);
	QUIC_ADD_STATS(net, QUIC_MIB_RX_BYTES, pkt->len);
	return flags;
}

static void quic_rx_auth_failed(struct quic_rx *rx)
{
	struct quic_dir *dir = &rx->pkt.conn->rx;

	spin_lock_bh(&dir->lock);
	if (++dir->auth_failures >= dir->cipher->integrity_limit)
		dir->limit = true;
	spin_unlock_bh(&dir->lock);
	QUIC_INC_STATS(rx->pkt.conn->net, QUIC_MIB_RX_AUTH_FAILURES);
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
	struct quic_rx_info info = {};
	bool keep = true;

	if (!result) {
		info.pn = pkt->pn;
		info.conn = pkt->conn->handle;
		info.status = QUIC_RX_DECRYPTED;
		info.flags = quic_rx_authenticated(rx);
		if (skb_store_bits(rx->skb, pkt->off + pkt->len - QUIC_TAG_LEN,
				   &info, sizeof(info)))
			keep = false;
		else
			rx->decrypted |= BIT_ULL(rx->nkept);
	} else if (result != QUIC_RX_KEEP) {
		/* Failed authentication, or could not be processed after its
		 * header was rewritten: never delivered.
		 */
		if (result == -EBADMSG)
			quic_rx_auth_failed(rx);
		else
			QUIC_INC_STATS(sock_net(rx->sk), QUIC_MIB_RX_ERR_NOMEM);
		keep = false;
	}

	if (keep && rx->out != pkt->off &&
	    quic_rx_move(rx->skb, rx->out, pkt->off, pkt->len))
		keep = false;
	if (keep) {
		rx->out += pkt->len;
		rx->nkept++;
	}
	rx->in += pkt->len;
	quic_gen_put(pkt->gen);
	if (pkt->conn)
		quic_conn_put(pkt->conn);
	pkt->gen = NULL;
	pkt->conn = NULL;
}

static void quic_rx_free(struct quic_rx *rx)
{
	quic_crypt_free(&rx->crypt);
	quic_sock_put(rx->qs);
	sock_put(rx->sk);
	kfree(rx);
}

/* All packets done: trim what was dropped and queue the datagram */
static int quic_rx_finish(struct quic_rx *rx)
{
	struct sk_buff *skb = rx->skb;
	int ret = -1;

	if (!rx->out) {
		kfree_skb(skb);
		goto out;
	}
	if (rx->out < rx->len) {
		if (pskb_trim(skb, rx->out)) {
			kfree_skb(skb);
			goto out;
		}
		if (skb_is_gso(skb))
			skb_shinfo(skb)->gso_segs = rx->nkept;
	}
	UDP_ULP_SKB_CB(skb)->ulp = rx->decrypted;
	ret = rx->deliver(rx->sk, skb);
out:
	quic_rx_free(rx);
	return ret;
}

static int quic_rx_run(struct quic_rx *rx)
{
	int err;

	while (rx->in < rx->len) {
		err = quic_rx_start(rx);
		if (err == -EINPROGRESS || err == -EBUSY)
			return 0;
		quic_rx_end(rx, err);
	}
	return quic_rx_finish(rx);
}

static void quic_rx_resume(struct work_struct *work)
{
	struct quic_rx *rx = container_of(work, struct quic_rx, work);

	/* UDP queues datagrams with bottom halves off */
	local_bh_disable();
	quic_rx_end(rx, rx->async_err);
	quic_rx_run(rx);
	local_bh_enable();
}

/* The AEAD finished asynchronously; continue from process context */
static void quic_rx_crypt_done(void *data, int err)
{
	struct quic_rx *rx = data;

	if (err == -EINPROGRESS)
		return;
	rx->async_err = err;
	queue_work(quic_wq, &rx->work);
}

/* Is any segment a short-header packet, which we might have to handle? */
static bool quic_rx_worth_a_look(const struct sk_buff *skb,
				 unsigned int seg_size)
{
	unsigned int off;
	u8 first;

	for (off = 0; off < skb->len; off += seg_size)
		if (!skb_copy_bits(skb, off, &first, 1) &&
		    !(first & QUIC_HDR_LONG))
			return true;
	return false;
}

/**
 * quic_rcv_skb() - unprotect the 1-RTT packets of a received datagram
 * @sk: the socket
 * @skb: the datagram, checksum verified, payload at skb->data
 * @deliver: how UDP queues it
 *
 * Softirq context.
 *
 * Return: 0 when the datagram was queued (or will be), -1 when dropped.
 */
int quic_rcv_skb(struct sock *sk, struct sk_buff *skb,
		 udp_ulp_deliver_t deliver)
{
	unsigned int seg_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size :
						  skb->len;
	struct quic_sock *qs = rcu_dereference(udp_sk(sk)->ulp_data);
	struct quic_rx *rx;

	UDP_ULP_SKB_CB(skb)->ulp = 0;
	if (!qs || !READ_ONCE(qs->lens[QUIC_DIR_RX - 1]) || !skb->len ||
	    !seg_size || !quic_rx_worth_a_look(skb, seg_size))
		return deliver(sk, skb);

	rx = kzalloc(sizeof(*rx), GFP_ATOMIC);
	if (!rx)
		goto nomem;
	if (!refcount_inc_not_zero(&qs->refcnt)) {
		kfree(rx);
		return deliver(sk, skb);
	}
	sock_hold(sk);
	rx->sk = sk;
	rx->qs = qs;
	rx->skb = skb;
	rx->deliver = deliver;
	rx->len = skb->len;
	rx->seg_size = seg_size;
	INIT_WORK(&rx->work, quic_rx_resume);
	quic_rx_source(skb, &rx->saddr, &rx->sport);

	if (quic_skb_make_writable(skb, GFP_ATOMIC) ||
	    quic_crypt_init(&rx->crypt, skb, GFP_ATOMIC)) {
		quic_rx_free(rx);
		goto nomem;
	}
	return quic_rx_run(rx);

nomem:
	/* Without memory to decrypt it, the application still gets the
	 * datagram, untouched, and does the work itself.
	 */
	QUIC_INC_STATS(sock_net(sk), QUIC_MIB_RX_ERR_NOMEM);
	return deliver(sk, skb);
}

/**
 * quic_recv_cmsg() - report what was decrypted in a received datagram
 * @sk: the socket
 * @msg: the recvmsg() message
 * @skb: the datagram, payload at skb->data
 *
 * One struct quic_rx_info per segment in a QUIC_RX_INFO control message,
 * when at least one segment was decrypted.
 */
void quic_recv_cmsg(struct sock *sk, struct msghdr *msg, struct sk_buff *skb)
{
	u64 decrypted = UDP_ULP_SKB_CB(skb)->ulp;
	unsigned int seg_size, nseg, i, len;
	struct quic_rx_info *info;

	if (!decrypted)
		return;
	seg_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : skb->len;
	nseg = DIV_ROUND_UP(skb->len, seg_size);
	info = kcalloc(nseg, sizeof(*info), GFP_KERNEL);
	if (!info)
		return;
	for (i = 0; i < nseg; i++) {
		if (!(decrypted & BIT_ULL(i)))
			continue;
		len = min(seg_size, skb->len - i * seg_size);
		if (skb_copy_bits(skb, i * seg_size + len - QUIC_TAG_LEN,
				  &info[i], sizeof(info[i])))
			memset(&info[i], 0, sizeof(info[i]));
	}
	put_cmsg(msg, SOL_UDP, QUIC_RX_INFO, nseg * sizeof(*info), info);
	kfree(info);
}
