// SPDX-License-Identifier: GPL-2.0
/*
 * Send path: protect the 1-RTT packets of a datagram, or of each segment of
 * a UDP_SEGMENT batch, in place in the skb UDP has just filled.
 *
 * The application leaves each packet's 16-byte tag space at its end, so a
 * segment keeps its length: AEAD first (nonce from the IV and the packet
 * number, the header as associated data), then header protection over
 * the first byte and the packet number (RFC 9001, section 5).
 *
 * Every segment is checked before any is touched: a batch with a bad
 * packet fails whole and nothing is sent.
 */

#include <crypto/aead.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/udp.h>

#include "quic.h"

/**
 * struct quic_tx_seg - one segment of the datagram being sent
 * @conn: its connection, NULL if it is sent as it is
 * @off: offset of the packet in the skb
 * @len: length of the packet, tag included
 * @pn_off: offset of the packet number field: 1 + DCID length
 */
struct quic_tx_seg {
	struct quic_conn	*conn;
	unsigned int		off;
	unsigned int		len;
	unsigned int		pn_off;
};

/**
 * struct quic_tx - the state of one send
 * @crypt: AEAD request and scatterlist
 * @nseg: number of segments
 * @seg: the segments
 */
struct quic_tx {
	struct quic_crypt	crypt;
	unsigned int		nseg;
	struct quic_tx_seg	seg[] __counted_by(nseg);
};

/* Find the connection of one segment; 0 and no connection: sent as is */
static int quic_tx_classify(struct quic_sock *qs, struct sk_buff *skb,
			    struct quic_tx_seg *seg,
			    const struct in6_addr *daddr, __be16 dport)
{
	struct net *net = sock_net(qs->sk);
	u8 hdr[1 + QUIC_MAX_CID_LEN];
	unsigned int avail, cid_len;
	struct quic_conn *conn;

	avail = min_t(unsigned int, seg->len, sizeof(hdr));
	if (!avail || skb_copy_bits(skb, seg->off, hdr, avail))
		return 0;
	if (hdr[0] & QUIC_HDR_LONG)
		return 0;

	rcu_read_lock();
	conn = quic_cid_find(qs, QUIC_DIR_TX, hdr + 1, avail - 1, daddr, dport,
			     &cid_len, true);
	rcu_read_unlock();
	if (IS_ERR(conn)) {
		QUIC_INC_STATS(net, QUIC_MIB_TX_ERR_AMBIGUOUS);
		return PTR_ERR(conn);
	}
	if (!conn || !READ_ONCE(conn->tx.cur)) {
		if (conn)
			quic_conn_put(conn);
		QUIC_INC_STATS(net, QUIC_MIB_TX_PASSTHROUGH);
		return 0;
	}
	if (!quic_hdr_fits(seg->len, cid_len)) {
		quic_conn_put(conn);
		QUIC_INC_STATS(net, QUIC_MIB_TX_ERR_MALFORMED);
		return -EINVAL;
	}
	seg->conn = conn;
	seg->pn_off = 1 + cid_len;
	return 0;
}

/* The generation a packet goes out with, following its Key Phase bit */
static struct quic_gen *quic_tx_choose(struct quic_dir *dir, struct net *net,
				       u64 truncated, unsigned int pn_len,
				       bool phase, unsigned int len, u64 *pn)
{
	struct quic_gen *gen;
	int err;

retry:
	spin_lock_bh(&dir->lock);
	*pn = quic_pn_decode(quic_dir_expected_pn(dir), truncated, pn_len);
	switch (quic_key_choose(quic_key_phase(dir->cur), dir->cur->first_pn,
				dir->old, phase, *pn)) {
	case QUIC_KEY_CUR:
		gen = dir->cur;
		break;
	case QUIC_KEY_OLD:
		gen = dir->old;
		dir->old_key_packets++;
		QUIC_INC_STATS(net, QUIC_MIB_TX_OLD_KEY);
		break;
	default:
		if (!dir->next) {
			/* Only when the application updates keys twice
			 * in a row: derive the next keys here and now.
			 */
			spin_unlock_bh(&dir->lock);
			err = quic_dir_prepare_next(dir);
			if (err)
				return ERR_PTR(err);
			goto retry;
		}
		quic_dir_rotate(dir);
		gen = dir->cur;
		gen->first_pn = *pn;
		dir->limit = false;
		QUIC_INC_STATS(net, QUIC_MIB_TX_KEY_UPDATES);
		break;
	}

	if (gen->packets >= dir->cipher->confidentiality_limit) {
		dir->limit = true;
		QUIC_INC_STATS(net, QUIC_MIB_TX_ERR_KEY_EXPIRED);
		spin_unlock_bh(&dir->lock);
		return ERR_PTR(-EKEYEXPIRED);
	}
	gen->packets++;
	gen->first_pn = min(gen->first_pn, *pn);
	if (!dir->have_pn || *pn > dir->largest_pn) {
		dir->largest_pn = *pn;
		dir->have_pn = true;
	}
	dir->packets++;
	dir->bytes += len;
	refcount_inc(&gen->refcnt);
	spin_unlock_bh(&dir->lock);
	return gen;
}

static int quic_tx_protect(struct quic_tx *tx, struct sk_buff *skb,
			   const struct quic_tx_seg *seg, struct net *net)
{
	u8 hdr[1 + QUIC_MAX_CID_LEN + QUIC_PN_MAX_LEN];
	struct quic_dir *dir = &seg->conn->tx;
	u64 truncated, pn;
	unsigned int pn_len;
	struct quic_gen *gen;
	int err;

	if (skb_copy_bits(skb, seg->off, hdr, seg->pn_off + QUIC_PN_MAX_LEN))
		return -EFAULT;
	pn_len = quic_hdr_read_pn(hdr, seg->pn_off, &truncated);

	gen = quic_tx_choose(dir, net, truncated, pn_len,
			     hdr[0] & QUIC_HDR_KEY_PHASE, seg->len, &pn);
	if (IS_ERR(gen))
		return PTR_ERR(gen);
	err = quic_seal(&tx->crypt, skb, seg->off, seg->len, hdr, seg->pn_off,
			gen, dir, pn);
	quic_gen_put(gen);
	return err;
}

/* UDP summed the plaintext as it copied it; without checksum offload the
 * sum has to cover what is sent.
 */
static void quic_tx_fix_csum(struct sk_buff *skb, unsigned int off)
{
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		skb->csum = skb_checksum(skb, off, skb->len - off, 0);
}

static void quic_tx_free(struct quic_tx *tx)
{
	unsigned int i;

	for (i = 0; i < tx->nseg; i++)
		if (tx->seg[i].conn)
			quic_conn_put(tx->seg[i].conn);
	quic_crypt_free(&tx->crypt);
	kfree(tx);
}

/**
 * quic_sendmsg_skb() - protect the 1-RTT packets of a datagram being sent
 * @sk: the socket
 * @skb: the datagram, UDP header in place
 * @gso_size: UDP_SEGMENT size, 0 for a single packet
 * @daddr: destination, v4-mapped for IPv4
 * @dport: destination port
 *
 * Return: 0, or the errno of the send: -EINVAL for a packet too short to
 * protect, -ENOTUNIQ for one whose ID matches two connections,
 * -EKEYEXPIRED when a key reached its confidentiality limit, -EMSGSIZE for
 * a datagram UDP had to fragment, -ENOMEM.
 */
int quic_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
		     unsigned int gso_size, const struct in6_addr *daddr,
		     __be16 dport)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	unsigned int len = skb->len - off, seg_size, nseg, i, done = 0;
	unsigned int bytes = 0;
	struct quic_sock *qs = quic_sk(sk);
	struct net *net = sock_net(sk);
	struct quic_tx *tx;
	int err = 0;

	if (!READ_ONCE(qs->lens[QUIC_DIR_TX - 1]) || !len)
		return 0;

	seg_size = gso_size ?: len;
	nseg = DIV_ROUND_UP(len, seg_size);
	tx = kzalloc(struct_size(tx, seg, nseg), GFP_KERNEL);
	if (!tx) {
		QUIC_INC_STATS(net, QUIC_MIB_TX_ERR_NOMEM);
		return -ENOMEM;
	}
	tx->nseg = nseg;

	for (i = 0; i < nseg && !err; i++) {
		tx->seg[i].off = off + i * seg_size;
		tx->seg[i].len = min(seg_size, len - i * seg_size);
		err = quic_tx_classify(qs, skb, &tx->seg[i], daddr, dport);
		if (!err && tx->seg[i].conn) {
			done++;
			bytes += tx->seg[i].len;
		}
	}
	if (err || !done)
		goto out;

	/* QUIC packets fit the path MTU: a fragmented datagram is a bug */
	err = -EMSGSIZE;
	if (skb_has_frag_list(skb))
		goto out;
	err = quic_skb_make_writable(skb, GFP_KERNEL);
	if (!err)
		err = quic_crypt_init(&tx->crypt, skb, GFP_KERNEL);
	for (i = 0; i < nseg && !err; i++) {
		if (tx->seg[i].conn)
			err = quic_tx_protect(tx, skb, &tx->seg[i], net);
	}
	if (err) {
		if (err == -ENOMEM)
			QUIC_INC_STATS(net, QUIC_MIB_TX_ERR_NOMEM);
		goto out;
	}
	quic_tx_fix_csum(skb, off);
	QUIC_ADD_STATS(net, QUIC_MIB_TX_PACKETS, done);
	QUIC_ADD_STATS(net, QUIC_MIB_TX_BYTES, bytes);
out:
	quic_tx_free(tx);
	return err;
}
