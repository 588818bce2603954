// SPDX-License-Identifier: GPL-2.0
/*
 * Send path: protect the 1-RTT packets of a datagram, or of each segment of
 * a UDP_SEGMENT batch, in place in the skb UDP has just filled, exactly as
 * the sender's QUIC_ULP_TX_INFO records say.
 *
 * Nothing is inferred from the packets: the record names the connection
 * (by handle, no lookup by connection ID), the full packet number the
 * nonce is made from and the key generation. The kernel only checks that
 * the packet agrees with its record and that sealing it keeps every nonce
 * fresh, then seals (AEAD, the header as associated data) and applies
 * header protection (RFC 9001, section 5). Every record and header is
 * checked before any packet is touched; whatever fails, the send fails
 * with an errno and the datagram is dropped, never sent as written.
 */

#include <crypto/aead.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/udp.h>

#include "quic.h"
#include <trace/events/quic_ulp.h>

/**
 * struct quic_tx - the state of one send
 * @skb: the datagram
 * @cmsg: the QUIC_ULP_TX_INFO message, in the kernel's copy of the control data
 * @nonblock: the sendmsg() may not sleep for the next keys
 * @sk: the socket
 * @net: the socket's network namespace
 * @qs: the socket's ULP state
 * @off: offset of the UDP payload
 * @len: its length
 * @seg_size: segment size (the whole payload without UDP_SEGMENT)
 * @nseg: number of segments, and of records
 * @owned: the request block an asynchronous AEAD took, kept to the end
 * @pos: where in @skb the last packet sealed was found
 * @pn_len: the packet number length of each packet, as quic_tx_check()
 *	read it from the packet's first byte
 */
struct quic_tx {
	struct sk_buff		*skb;
	const struct cmsghdr	*cmsg;
	bool			nonblock;
	struct sock		*sk;
	struct net		*net;
	struct quic_sock	*qs;
	unsigned int		off;
	unsigned int		len;
	unsigned int		seg_size;
	unsigned int		nseg;
	struct quic_crypt	*owned;
	struct quic_skb_pos	pos;
	u8			pn_len[UDP_MAX_SEGMENTS];
};

/* The record of segment @i, copied: control data is not aligned for it */
static void quic_tx_info(const struct quic_tx *tx, unsigned int i,
			 struct quic_ulp_tx_info *info)
{
	memcpy(info, (const u8 *)CMSG_DATA(tx->cmsg) + i * sizeof(*info),
	       sizeof(*info));
}

static unsigned int quic_tx_seg_off(const struct quic_tx *tx, unsigned int i)
{
	return tx->off + i * tx->seg_size;
}

static unsigned int quic_tx_seg_len(const struct quic_tx *tx, unsigned int i)
{
	return min(tx->seg_size, tx->len - i * tx->seg_size);
}

/* Every record well formed, every packet what its record says */
static int quic_tx_check(struct quic_tx *tx)
{
	u8 buf[1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN];
	struct quic_skb_pos pos = {};
	struct quic_ulp_tx_info info;
	unsigned int i, len;
	const u8 *hdr;
	int err;

	for (i = 0; i < tx->nseg; i++) {
		quic_tx_info(tx, i, &info);
		err = quic_ulp_tx_info_check(&info);
		if (err)
			return err;
		len = quic_tx_seg_len(tx, i);
		hdr = quic_ulp_skb_peek(tx->skb, quic_tx_seg_off(tx, i),
					min_t(unsigned int, len, sizeof(buf)),
					buf, &pos);
		if (!hdr)
			return -EBADMSG;
		err = quic_ulp_tx_hdr_check(hdr, len, &info);
		if (err)
			return err;
		tx->pn_len[i] = quic_ulp_hdr_pn_len(hdr[0]);
	}
	return 0;
}

/* The generation a packet goes out with, reserving its packet number */
static int quic_tx_choose(struct quic_dir *dir, struct net *net,
			  const struct quic_ulp_tx_info *info, unsigned int len,
			  struct quic_gen **genp)
{
	struct quic_gen_view cur, old;
	struct quic_gen *gen;
	int choice;

	lockdep_assert_held(&dir->lock);
	if (!dir->cur)
		return -ENOKEY;
	quic_gen_view(dir->cur, &cur);
	if (dir->old)
		quic_gen_view(dir->old, &old);
	choice = quic_ulp_tx_key_choose(&cur, dir->old ? &old : NULL,
					info->key_gen, info->pn);
	switch (choice) {
	case QUIC_KEY_CUR:
		gen = dir->cur;
		break;
	case QUIC_KEY_NEXT:
		/* The application updates its keys (RFC 9001, 6.1) */
		if (!dir->next)
			return -EBUSY;
		gen = dir->next;
		break;
	case QUIC_KEY_OLD:
		gen = dir->old;
		break;
	default:
		return choice;
	}
	if (gen->packets >= dir->conn->cipher->confidentiality_limit) {
		dir->limit = true;
		return -EKEYEXPIRED;
	}

	if (choice == QUIC_KEY_NEXT) {
		quic_ulp_dir_rotate(dir);
		dir->limit = false;
		QUIC_INC_STATS(net, QUIC_MIB_TX_KEY_UPDATES);
	} else if (choice == QUIC_KEY_OLD) {
		dir->old_key_packets++;
		QUIC_INC_STATS(net, QUIC_MIB_TX_OLD_KEY);
	}
	gen->packets++;
	gen->first_pn = min(gen->first_pn, info->pn);
	gen->largest_pn = info->pn;
	gen->used = true;
	if (!dir->have_pn || info->pn > dir->largest_pn) {
		dir->largest_pn = info->pn;
		dir->have_pn = true;
	}
	dir->packets++;
	dir->bytes += len;
	quic_ulp_gen_hold(gen);
	*genp = gen;
	return 0;
}

/* A send moved the connection to its next keys (generation @number): say
 * so, with the number of the first packet sealed with them, one of
 * segments @first + @from to @first + @to - 1
 */
static void quic_tx_key_updated(const struct quic_tx *tx,
				const struct quic_conn *conn, unsigned int first,
				unsigned int from, unsigned int to,
				struct quic_gen **gens, u32 number)
{
	struct quic_ulp_tx_info info = {};
	unsigned int i;

	for (i = from; i < to; i++) {
		if (gens[i]->number == number) {
			quic_tx_info(tx, first + i, &info);
			break;
		}
	}
	trace_quic_ulp_key_update(tx->sk, conn->handle, QUIC_ULP_DIR_TX, number,
				  info.pn);
	quic_ulp_nl_key_update(tx->sk, conn, QUIC_ULP_DIR_TX, number);
}

/* The generation record @info named has sealed all the packets it may */
static void quic_tx_limit_reached(const struct quic_tx *tx,
				  const struct quic_conn *conn,
				  const struct quic_ulp_tx_info *info)
{
	u64 limit = conn->cipher->confidentiality_limit;

	trace_quic_ulp_limit_reached(tx->sk, conn->handle, QUIC_ULP_DIR_TX,
				     info->key_gen, limit);
	quic_ulp_nl_limit(tx->sk, conn, QUIC_ULP_DIR_TX, info->key_gen, limit);
}

/* Choose the generations of segments @first to @first + @n - 1, all of
 * @conn. The next generation of a key update may still be being derived:
 * wait for it once, unless the send may not sleep.
 */
static int quic_tx_choose_run(const struct quic_tx *tx, struct quic_conn *conn,
			      unsigned int first, unsigned int n,
			      struct quic_gen **gens)
{
	struct quic_dir *dir = &conn->tx;
	struct quic_ulp_tx_info info;
	bool waited = false, limit, rotated;
	unsigned int i = 0, k;
	struct quic_gen *cur;
	u32 rotated_to = 0;
	int err = 0;

	while (i < n) {
		k = i;
		spin_lock_bh(&dir->lock);
		cur = dir->cur;
		limit = dir->limit;
		for (; i < n; i++) {
			quic_tx_info(tx, first + i, &info);
			err = quic_tx_choose(dir, tx->net, &info,
					     quic_tx_seg_len(tx, first + i),
					     &gens[i]);
			if (err)
				break;
		}
		rotated = dir->cur != cur;
		if (rotated)
			rotated_to = dir->cur->number;
		limit = !limit && dir->limit;
		spin_unlock_bh(&dir->lock);

		/* What changed, said outside the lock: at most one key
		 * update, since the next keys come from a work item
		 */
		if (rotated)
			quic_tx_key_updated(tx, conn, first, k, i, gens,
					    rotated_to);
		if (limit && err == -EKEYEXPIRED)
			quic_tx_limit_reached(tx, conn, &info);
		if (err != -EBUSY || waited)
			break;
		quic_ulp_conn_schedule_keys(conn);
		if (tx->nonblock)
			break;
		quic_ulp_conn_flush_keys(conn);
		waited = true;
		err = 0;
	}
	return err;
}

/**
 * struct quic_tx_pkt - the packet being sealed
 * @info: its record
 * @off: offset in the skb
 * @len: length, tag included
 * @pn_off: offset of the packet number field
 * @pn_len: its length
 */
struct quic_tx_pkt {
	struct quic_ulp_tx_info	info;
	unsigned int		off;
	unsigned int		len;
	unsigned int		pn_off;
	unsigned int		pn_len;
};

/* quic_tx_check() found the header as the record says, and its packet
 * number length
 */
static void quic_tx_pkt_read(const struct quic_tx *tx, unsigned int i,
			     struct quic_tx_pkt *pkt)
{
	quic_tx_info(tx, i, &pkt->info);
	pkt->off = quic_tx_seg_off(tx, i);
	pkt->len = quic_tx_seg_len(tx, i);
	pkt->pn_off = 1 + pkt->info.dcid_len;
	pkt->pn_len = tx->pn_len[i];
}

/* AEAD over the packet, the header as associated data */
static int quic_tx_aead(struct quic_tx *tx, struct quic_crypt *c,
			const struct quic_tx_pkt *pkt, struct quic_conn *conn,
			const struct quic_gen *gen)
{
	unsigned int hdr_len = pkt->pn_off + pkt->pn_len;
	int err;

	err = quic_ulp_crypt_prepare(c, tx->skb, pkt->off, pkt->len, gen,
				     &tx->pos);
	if (err)
		return err;
	return quic_ulp_crypt(c, hdr_len, pkt->len - hdr_len - QUIC_ULP_TAG_LEN, gen,
			  conn->cipher, pkt->info.pn, true,
			  CRYPTO_TFM_REQ_MAY_BACKLOG, crypto_req_done, &c->wait);
}

/* Header protection, from a sample of the ciphertext: the header and the
 * sample after it are read together, in place when they are in one piece.
 * @c is still prepared for this packet: where its scatterlist starts is
 * where the packet does.
 */
static int quic_tx_protect_header(struct quic_tx *tx,
				  struct quic_crypt *c,
				  const struct quic_tx_pkt *pkt,
				  const struct quic_conn *conn)
{
	u8 buf[1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN + QUIC_HP_SAMPLE_LEN];
	unsigned int sample_off = pkt->pn_off + QUIC_PN_MAX_LEN;
	unsigned int len = sample_off + QUIC_HP_SAMPLE_LEN;
	u8 mask[QUIC_HP_MASK_LEN];
	u8 *hdr;

	hdr = quic_ulp_crypt_head(c, len);
	if (!hdr)
		hdr = quic_ulp_skb_access(tx->skb, pkt->off, len, buf,
					  &tx->pos);
	if (!hdr)
		return -EFAULT;
	quic_ulp_hp_mask(&conn->tx.hp, conn->cipher, hdr + sample_off, mask);
	quic_ulp_hp_apply(hdr, pkt->pn_off, pkt->pn_len, mask);
	memzero_explicit(mask, sizeof(mask));
	if (hdr != buf)
		return 0;
	return skb_store_bits(tx->skb, pkt->off, hdr, pkt->pn_off + pkt->pn_len);
}

/**
 * struct quic_tx_hdrs - the sealed packets of a run waiting for header
 *	protection, their samples in the request block's @samples
 * @hdr: where each packet starts, in the skb
 * @pn_off: the offset of its packet number field
 * @pn_len: the field's length
 * @n: how many
 */
struct quic_tx_hdrs {
	u8		*hdr[QUIC_TX_RUN];
	u8		pn_off[QUIC_TX_RUN];
	u8		pn_len[QUIC_TX_RUN];
	unsigned int	n;
};

/* A sealed packet whose header and sample are in one piece waits for the
 * run's masks, made in one call (quic_tx_mask_run()); any other gets its
 * header protection now, alone. @c is still prepared for the packet.
 * Only for runs whose masks quic_ulp_hp_batch() makes in one call.
 */
static int quic_tx_queue_header(struct quic_tx *tx, struct quic_crypt *c,
				const struct quic_tx_pkt *pkt,
				const struct quic_conn *conn,
				struct quic_tx_hdrs *h)
{
	unsigned int sample_off = pkt->pn_off + QUIC_PN_MAX_LEN;
	u8 *hdr = quic_ulp_crypt_head(c, sample_off + QUIC_HP_SAMPLE_LEN);

	if (!hdr)
		return quic_tx_protect_header(tx, c, pkt, conn);
	memcpy(c->samples[h->n], hdr + sample_off, QUIC_HP_SAMPLE_LEN);
	h->hdr[h->n] = hdr;
	h->pn_off[h->n] = pkt->pn_off;
	h->pn_len[h->n] = pkt->pn_len;
	h->n++;
	return 0;
}

/* Header protection for the packets quic_tx_queue_header() kept; if
 * the masks cannot be made, the send fails
 */
static int quic_tx_mask_run(struct quic_crypt *c, const struct quic_conn *conn,
			    const struct quic_tx_hdrs *h)
{
	unsigned int i;
	int err;

	err = quic_ulp_hp_masks(&conn->tx.hp, conn->cipher, c->samples[0],
				h->n);
	for (i = 0; !err && i < h->n; i++)
		quic_ulp_hp_apply(h->hdr[i], h->pn_off[i], h->pn_len[i],
				  c->samples[i]);
	memzero_explicit(c->samples, h->n * sizeof(c->samples[0]));
	return err;
}

/* Seal a run of segments with this CPU's request block, or with the one
 * an asynchronous AEAD took: that one is waited for, outside the bottom
 * half section, and kept for the rest of the send. Each packet's AEAD
 * first, then, where quic_ulp_hp_batch() says so, the header protection
 * of all of them: the masks of the run cost one call, the sample of each
 * being its ciphertext. Nothing leaves
 * before the whole send succeeded, so a failure part way through leaves
 * no half-protected packet on the wire.
 */
static int quic_tx_seal_run(struct quic_tx *tx, struct quic_conn *conn,
			    unsigned int first, unsigned int n,
			    struct quic_gen **gens)
{
	bool batch = quic_ulp_hp_batch(&conn->tx.hp, n);
	struct quic_crypt *c = tx->owned;
	struct quic_tx_hdrs hdrs;
	bool percpu = !c;
	struct quic_tx_pkt pkt;
	unsigned int i;
	int err = 0;

	hdrs.n = 0;
	if (percpu) {
		local_bh_disable();
		c = quic_ulp_crypt_get();
		if (!c) {
			local_bh_enable();
			return -ENOMEM;
		}
	}
	for (i = 0; i < n && !err; i++) {
		quic_tx_pkt_read(tx, first + i, &pkt);
		err = quic_tx_aead(tx, c, &pkt, conn, gens[i]);
		if (err == -EINPROGRESS || err == -EBUSY) {
			if (percpu) {
				quic_ulp_crypt_detach(c);
				quic_ulp_crypt_put();
				local_bh_enable();
				percpu = false;
				tx->owned = c;
			}
			err = crypto_wait_req(err, &c->wait);
		}
		if (err)
			break;
		if (batch)
			err = quic_tx_queue_header(tx, c, &pkt, conn, &hdrs);
		else
			err = quic_tx_protect_header(tx, c, &pkt, conn);
	}
	if (!err && hdrs.n)
		err = quic_tx_mask_run(c, conn, &hdrs);
	if (percpu) {
		quic_ulp_crypt_put();
		local_bh_enable();
	}
	return err;
}

/* How many segments from @first name the same connection, up to a run */
static unsigned int quic_tx_run_len(const struct quic_tx *tx,
				    unsigned int first, u32 handle)
{
	struct quic_ulp_tx_info info;
	unsigned int n = 1;

	while (n < QUIC_TX_RUN && first + n < tx->nseg) {
		quic_tx_info(tx, first + n, &info);
		if (info.conn != handle)
			break;
		n++;
	}
	return n;
}

static void quic_tx_refused(struct quic_tx *tx, struct quic_conn *conn,
			    u32 handle, int err)
{
	int field;

	switch (err) {
	case -EINVAL:
		field = QUIC_MIB_TX_ERR_REQUEST;
		break;
	case -EBADMSG:
		field = QUIC_MIB_TX_ERR_PACKET;
		break;
	case -ENOENT:
		field = QUIC_MIB_TX_ERR_NO_CONN;
		break;
	case -ENOKEY:
		field = QUIC_MIB_TX_ERR_NO_KEY;
		break;
	case -EKEYREJECTED:
		field = QUIC_MIB_TX_ERR_KEY_REJECTED;
		break;
	case -EEXIST:
		field = QUIC_MIB_TX_ERR_PN_REUSED;
		break;
	case -EKEYEXPIRED:
		field = QUIC_MIB_TX_ERR_KEY_EXPIRED;
		break;
	case -EBUSY:
		field = QUIC_MIB_TX_ERR_BUSY;
		break;
	case -EMSGSIZE:
	case -EOPNOTSUPP:
		field = QUIC_MIB_TX_ERR_UNSUPPORTED;
		break;
	case -ENOMEM:
		field = QUIC_MIB_TX_ERR_NOMEM;
		break;
	default:
		/* The crypto driver failed */
		field = QUIC_MIB_TX_ERR_CRYPTO;
		break;
	}
	QUIC_INC_STATS(tx->net, field);
	trace_quic_ulp_tx_refused(tx->sk, conn ? conn->handle : handle, !!conn,
				  err);
	if (conn) {
		spin_lock_bh(&conn->tx.lock);
		conn->tx.refused++;
		spin_unlock_bh(&conn->tx.lock);
	}
}

/* The records name one connection, generation and Destination
 * Connection ID length, and packet numbers one by one from @first's
 */
static bool quic_tx_uniform(const struct quic_tx *tx,
			    const struct quic_ulp_tx_info *first)
{
	struct quic_ulp_tx_info info;
	unsigned int i;

	for (i = 1; i < tx->nseg; i++) {
		quic_tx_info(tx, i, &info);
		if (info.conn != first->conn || info.key_gen != first->key_gen ||
		    info.dcid_len != first->dcid_len || info.pn != first->pn + i)
			return false;
	}
	return true;
}

/* Whether a device seals the datagram, which names @conn first */
static bool quic_tx_to_device(const struct quic_tx *tx, struct quic_conn *conn,
			      const struct quic_ulp_tx_info *first)
{
	if (!quic_ulp_dev_allowed(&conn->tx))
		return false;
	return quic_ulp_dev_tx_take(tx->skb, conn, first, tx->nseg,
				    quic_tx_uniform(tx, first));
}

/* Protect every segment, a run of one connection's segments at a time;
 * or, when a device seals them, choose their generations only
 */
static int quic_tx_protect(struct quic_tx *tx)
{
	struct quic_gen *gens[QUIC_TX_RUN];
	struct quic_conn *conn = NULL;
	struct quic_ulp_tx_info info;
	unsigned int i, n, k;
	bool device = false;
	int err = 0;

	for (i = 0; i < tx->nseg && !err; i += n) {
		quic_tx_info(tx, i, &info);
		n = quic_tx_run_len(tx, i, info.conn);
		if (!conn || conn->handle != info.conn) {
			if (conn)
				quic_ulp_conn_put(conn);
			rcu_read_lock();
			conn = quic_ulp_conn_get(tx->qs, info.conn);
			rcu_read_unlock();
			if (!conn) {
				err = -ENOENT;
				break;
			}
			if (!i)
				device = quic_tx_to_device(tx, conn, &info);
		}
		memset(gens, 0, sizeof(gens));
		err = quic_tx_choose_run(tx, conn, i, n, gens);
		if (!err && !device)
			err = quic_tx_seal_run(tx, conn, i, n, gens);
		for (k = 0; k < n; k++)
			quic_ulp_gen_put(gens[k]);
	}
	if (err)
		quic_tx_refused(tx, conn, info.conn, err);
	if (conn)
		quic_ulp_conn_put(conn);
	return err;
}

/* The generation @number of a direction, held, or NULL */
static struct quic_gen *quic_tx_gen_find(struct quic_dir *dir, u32 number)
{
	struct quic_gen *gens[3], *gen = NULL;
	unsigned int i;

	spin_lock_bh(&dir->lock);
	gens[0] = dir->cur;
	gens[1] = dir->next;
	gens[2] = dir->old;
	for (i = 0; i < ARRAY_SIZE(gens); i++) {
		if (gens[i] && gens[i]->number == number) {
			gen = gens[i];
			quic_ulp_gen_hold(gen);
			break;
		}
	}
	spin_unlock_bh(&dir->lock);
	return gen;
}

/* The packet number of a packet the send numbered among @pn to
 * @pn + @npkts - 1: the one whose low bits its header carries (the send
 * checked they are there; fewer than 256 packets, so one matches)
 */
static int quic_tx_fallback_pn(const struct sk_buff *skb,
			       struct quic_tx_pkt *pkt, u64 pn,
			       unsigned int npkts)
{
	u8 hdr[1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN];
	u64 truncated = 0, mask;
	unsigned int i;

	BUILD_BUG_ON(UDP_MAX_SEGMENTS > 256);
	if (pkt->pn_off + QUIC_PN_MAX_LEN > pkt->len ||
	    skb_copy_bits(skb, pkt->off, hdr, pkt->pn_off + QUIC_PN_MAX_LEN))
		return -EINVAL;
	pkt->pn_len = quic_ulp_hdr_pn_len(hdr[0]);
	for (i = 0; i < pkt->pn_len; i++)
		truncated = truncated << 8 | hdr[pkt->pn_off + i];
	mask = BIT_ULL(8 * pkt->pn_len) - 1;
	for (i = 0; i < npkts; i++) {
		if (((pn + i) & mask) == truncated) {
			pkt->info.pn = pn + i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * quic_ulp_tx_seal_skb() - seal in software what a device was to seal
 * @skb: the datagram, writable, its packets as the send left them
 * @conn: their connection, held
 * @number: their generation
 * @pn: the send's first packet number, the next ones following one by one
 * @dcid_len: their Destination Connection ID length
 * @npkts: how many packets the send had, one per segment
 * @sealed: how many this skb had
 *
 * The send checked every packet against its record and chose its
 * generation; the device that was to seal them cannot. The skb holds all
 * of the send's segments, or some of them if the stack has segmented it
 * since: each packet's number is the one of @pn to @pn + @npkts - 1 with
 * the low bits its header carries, as for the device. Bottom halves
 * disabled (at transmit); the direction's AEADs are synchronous, since
 * it may have a device.
 *
 * Return: 0, or a negative errno: the datagram must not be sent.
 */
int quic_ulp_tx_seal_skb(struct sk_buff *skb, struct quic_conn *conn,
			 u32 number, u64 pn, unsigned int dcid_len,
			 unsigned int npkts, unsigned int *sealed)
{
	struct quic_tx tx = {
		.skb	= skb,
		.off	= skb_transport_offset(skb) + sizeof(struct udphdr),
	};
	struct quic_tx_pkt pkt = {};
	struct quic_crypt *c;
	struct quic_gen *gen;
	unsigned int i;
	int err = 0;

	tx.len = skb->len - tx.off;
	tx.seg_size = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : tx.len;
	tx.nseg = tx.len ? DIV_ROUND_UP(tx.len, tx.seg_size) : 0;
	if (!tx.nseg || tx.nseg > npkts)
		return -EINVAL;
	*sealed = tx.nseg;
	gen = quic_tx_gen_find(&conn->tx, number);
	if (!gen)
		return -ENOKEY;

	local_bh_disable();
	c = quic_ulp_crypt_get();
	if (!c)
		err = -ENOMEM;
	for (i = 0; i < tx.nseg && !err; i++) {
		pkt.info.dcid_len = dcid_len;
		pkt.off = quic_tx_seg_off(&tx, i);
		pkt.len = quic_tx_seg_len(&tx, i);
		pkt.pn_off = 1 + dcid_len;
		err = quic_tx_fallback_pn(skb, &pkt, pn, npkts);
		if (err)
			break;
		err = quic_tx_aead(&tx, c, &pkt, conn, gen);
		/* Synchronous: a request that would wait is a failure */
		if (err == -EINPROGRESS || err == -EBUSY)
			err = -EAGAIN;
		if (!err)
			err = quic_tx_protect_header(&tx, c, &pkt, conn);
	}
	if (c)
		quic_ulp_crypt_put();
	local_bh_enable();
	quic_ulp_gen_put(gen);
	return err;
}

/**
 * quic_ulp_sendmsg_skb() - protect the 1-RTT packets of a datagram being sent
 * @sk: the socket
 * @skb: the datagram, UDP header in place
 * @gso_size: UDP_SEGMENT size, 0 for a single packet
 * @req: the sendmsg()'s request: its QUIC_ULP_TX_INFO control message and
 *	flags
 *
 * Process context, socket not locked: senders run in parallel. Nothing is
 * sent unless every packet was protected. A send may sleep for an
 * asynchronous AEAD to complete and, unless MSG_DONTWAIT, for the next
 * keys of a key update.
 *
 * Return: 0, or the errno of the send (see Documentation/networking/quic.rst):
 * -EINVAL for a malformed request, -EBADMSG for a packet that does not
 * match its record, -ENOENT for an unknown connection, -ENOKEY for one
 * without keys, -EKEYREJECTED for a key generation that may not be used,
 * -EEXIST for a packet number already used with its generation,
 * -EKEYEXPIRED past the confidentiality limit, -EBUSY while the next keys
 * are not ready, -EMSGSIZE for a datagram UDP had to fragment,
 * -EOPNOTSUPP for MSG_ZEROCOPY data, -ENOMEM.
 */
int quic_ulp_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
			 unsigned int gso_size, const struct udp_ulp_req *req)
{
	const struct cmsghdr *cmsg = req->cmsg;
	unsigned int rec_len = cmsg->cmsg_len - CMSG_LEN(0);
	struct quic_tx tx = {
		.skb		= skb,
		.cmsg		= cmsg,
		.nonblock	= req->flags & MSG_DONTWAIT,
		.sk		= sk,
		.net		= sock_net(sk),
		.off	= skb_transport_offset(skb) + sizeof(struct udphdr),
	};
	int err;

	tx.len = skb->len - tx.off;
	tx.seg_size = gso_size ?: tx.len;
	tx.nseg = tx.len ? DIV_ROUND_UP(tx.len, tx.seg_size) : 0;
	err = -EINVAL;
	/* UDP checked the message fits, and that there are at most
	 * UDP_MAX_SEGMENTS segments; the type is ours to check
	 */
	if (cmsg->cmsg_type != QUIC_ULP_TX_INFO ||
	    rec_len % sizeof(struct quic_ulp_tx_info) ||
	    rec_len / sizeof(struct quic_ulp_tx_info) != tx.nseg || !tx.nseg ||
	    tx.nseg > ARRAY_SIZE(tx.pn_len))
		goto refused;
	/* QUIC packets fit the path MTU: a fragmented datagram is a bug */
	err = -EMSGSIZE;
	if (skb_has_frag_list(skb))
		goto refused;
	/* Rewriting in place needs pages that are the skb's own */
	err = -EOPNOTSUPP;
	if (skb_cloned(skb) || skb_zcopy(skb) || skb_has_shared_frag(skb))
		goto refused;
	err = quic_tx_check(&tx);
	if (err)
		goto refused;

	/* The caller's file reference keeps the socket and its ULP state */
	rcu_read_lock();
	tx.qs = udp_ulp_state(sk);
	rcu_read_unlock();
	err = quic_tx_protect(&tx);
	quic_ulp_crypt_free(tx.owned);
	if (err)
		return err;

	/* UDP summed the plaintext as it copied it; a datagram it does not
	 * segment is summed from skb->csum unless the device does it
	 */
	if ((!gso_size || tx.len <= gso_size) &&
	    skb->ip_summed != CHECKSUM_PARTIAL)
		skb->csum = skb_checksum(skb, tx.off, tx.len, 0);
	QUIC_ADD_STATS(tx.net, QUIC_MIB_TX_PACKETS, tx.nseg);
	QUIC_ADD_STATS(tx.net, QUIC_MIB_TX_BYTES, tx.len);
	return 0;

refused:
	quic_tx_refused(&tx, NULL, 0, err);
	return err;
}
