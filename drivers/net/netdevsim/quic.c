// SPDX-License-Identifier: GPL-2.0
/*
 * A model of QUIC 1-RTT packet protection in a device (quic_ulp_dev_ops):
 * the port seals the short-header packets the quic ULP leaves in the clear
 * for it, and opens, on behalf of the peer port, the first packet of the
 * datagrams it forwards there, with the kernel crypto API (RFC 9001, 5).
 */

#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <linux/debugfs.h>
#include <linux/hashtable.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/rculist.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/udp.h>
#include <linux/unaligned.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/quic_ulp_device.h>
#include <net/udp.h>
#include <uapi/linux/quic.h>

#include "netdevsim.h"

#define NSIM_QUIC_DEF_MAX_CTX	16
#define NSIM_QUIC_MAX_GENS	3	/* Tx: current, next and one retiring */
#define NSIM_QUIC_MAX_CIDS	32
#define NSIM_QUIC_ALL_CIPHERS	(QUIC_ULP_DEV_AES_128_GCM |		\
				 QUIC_ULP_DEV_AES_256_GCM |		\
				 QUIC_ULP_DEV_CHACHA20_POLY1305 |	\
				 QUIC_ULP_DEV_AES_128_CCM)
#define NSIM_QUIC_ALL_DIRS	(QUIC_ULP_DIR_TX | QUIC_ULP_DIR_RX)
#define NSIM_QUIC_HASH_BITS	6

#define NSIM_QUIC_LONG		0x80	/* long header */
#define NSIM_QUIC_KEY_PHASE	0x04
#define NSIM_QUIC_PN_LEN	0x03
#define NSIM_QUIC_HP_BITS	0x1f	/* first byte bits a short header masks */
#define NSIM_QUIC_MASK_LEN	5
#define NSIM_QUIC_SAMPLE_OFF	4	/* from the packet number field */
#define NSIM_QUIC_SAMPLE_LEN	16
#define NSIM_QUIC_NONCE_MAX	16	/* CCM wants a whole counter block */

struct nsim_quic_suite {
	u16		cipher;
	u32		cap;
	const char	*aead;
	u8		key_len;
	bool		chacha;
	bool		ccm;
};

static const struct nsim_quic_suite nsim_quic_suites[] = {
	{ QUIC_ULP_CIPHER_AES_128_GCM_SHA256, QUIC_ULP_DEV_AES_128_GCM,
	  "gcm(aes)", 16, false, false },
	{ QUIC_ULP_CIPHER_AES_256_GCM_SHA384, QUIC_ULP_DEV_AES_256_GCM,
	  "gcm(aes)", 32, false, false },
	{ QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	  QUIC_ULP_DEV_CHACHA20_POLY1305, "rfc7539(chacha20,poly1305)", 32,
	  true, false },
	{ QUIC_ULP_CIPHER_AES_128_CCM_SHA256, QUIC_ULP_DEV_AES_128_CCM,
	  "ccm(aes)", 16, false, true },
};

struct nsim_quic {
	struct mutex		lock;	/* tables, ctx_count, fail_key_add */
	DECLARE_HASHTABLE(tx_ctxs, NSIM_QUIC_HASH_BITS);	/* by id */
	DECLARE_HASHTABLE(rx_ctxs, NSIM_QUIC_HASH_BITS);	/* by port */
	struct dentry		*ddir;
	u32			max_ctx;
	u32			ciphers;
	u8			dirs;
	u32			fail_key_add;
	u32			ctx_count;
	atomic64_t		tx_packets;
	atomic64_t		rx_packets;
	atomic64_t		tx_drops;
	atomic64_t		rx_passed;
};

struct nsim_quic_gen {
	struct crypto_aead	*aead;
	u32			number;
	u8			iv[QUIC_ULP_DEV_IV_LEN];
};

struct nsim_quic_cid {
	struct list_head	list;
	struct rcu_head		rcu;
	u8			len;
	u8			id[QUIC_ULP_DEV_CID_MAX];
};

/* The model's state of one context; the ULP's struct stays the same
 * between ctx_add and ctx_del, so the data path reads it through @ctx
 */
struct nsim_quic_ctx {
	struct hlist_node		node;
	struct quic_ulp_dev_ctx		*ctx;
	const struct nsim_quic_suite	*suite;
	union {
		struct aes_enckey	aes;
		u32			chacha[CHACHA_KEY_WORDS];
	} hp;
	struct nsim_quic_gen __rcu	*gens[NSIM_QUIC_MAX_GENS];
	struct list_head		cids;
	unsigned int			ncids;
	spinlock_t			pn_lock;	/* Rx: largest_pn, have_pn */
	u64				largest_pn;
	bool				have_pn;
};

/* What the Rx path learns of a received datagram's IP and UDP headers */
struct nsim_quic_dgram {
	struct in6_addr	saddr;		/* v4-mapped for IPv4 */
	struct in6_addr	daddr;
	unsigned int	uoff;		/* of the UDP header, from skb->data */
	unsigned int	ulen;		/* UDP length, its header included */
	__be16		dport;
	__sum16		check;
	bool		v6;
};

static struct nsim_quic_ctx **nsim_quic_priv(struct quic_ulp_dev_ctx *ctx)
{
	BUILD_BUG_ON(sizeof(struct nsim_quic_ctx *) > QUIC_ULP_DEV_PRIV_SIZE);
	return (struct nsim_quic_ctx **)ctx->drv_priv;
}

static struct nsim_quic *nsim_quic_of(struct net_device *dev)
{
	struct netdevsim *ns = netdev_priv(dev);

	return ns->quic;
}

static const struct nsim_quic_suite *nsim_quic_suite_find(u16 cipher)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(nsim_quic_suites); i++)
		if (nsim_quic_suites[i].cipher == cipher)
			return &nsim_quic_suites[i];
	return NULL;
}

/* RFC 9001, 5.4.3 and 5.4.4 */
static void nsim_quic_hp_mask(const struct nsim_quic_ctx *m, const u8 *sample,
			      u8 *mask)
{
	static const u8 zero[NSIM_QUIC_MASK_LEN];
	u8 block[AES_BLOCK_SIZE];
	struct chacha_state st;

	if (m->suite->chacha) {
		/* counter = sample[0..3] little endian, nonce = the rest:
		 * the layout of ChaCha's 16-byte IV
		 */
		chacha_init(&st, m->hp.chacha, sample);
		chacha20_crypt(&st, mask, zero, NSIM_QUIC_MASK_LEN);
		chacha_zeroize_state(&st);
		return;
	}
	aes_encrypt(&m->hp.aes, block, sample);
	memcpy(mask, block, NSIM_QUIC_MASK_LEN);
	memzero_explicit(block, sizeof(block));
}

static void nsim_quic_hp_pn(u8 *pn, unsigned int pn_len, const u8 *mask)
{
	unsigned int i;

	for (i = 0; i < pn_len; i++)
		pn[i] ^= mask[1 + i];
}

static u32 nsim_quic_read_pn(const u8 *pn, unsigned int pn_len)
{
	u32 v = 0;
	unsigned int i;

	for (i = 0; i < pn_len; i++)
		v = v << 8 | pn[i];
	return v;
}

/* RFC 9001, 5.3: the pn, left-padded, XORed into the IV's last 8 bytes */
static void nsim_quic_nonce(u8 *nonce, const u8 *iv, u64 pn, bool ccm)
{
	u8 *n = nonce;

	if (ccm) {
		/* The crypto API takes CCM's first counter block:
		 * flags L' = 15 - nonce length - 1, nonce, zero counter
		 */
		nonce[0] = 15 - QUIC_ULP_DEV_IV_LEN - 1;
		memset(nonce + 1 + QUIC_ULP_DEV_IV_LEN, 0,
		       NSIM_QUIC_NONCE_MAX - 1 - QUIC_ULP_DEV_IV_LEN);
		n++;
	}
	memcpy(n, iv, QUIC_ULP_DEV_IV_LEN - 8);
	put_unaligned_be64(get_unaligned_be64(iv + QUIC_ULP_DEV_IV_LEN - 8) ^ pn,
			   n + QUIC_ULP_DEV_IV_LEN - 8);
}

/* Seal or open @len bytes at @pkt in place: @hdr_len of header as the
 * associated data, the tag in the last QUIC_ULP_TAG_LEN bytes. The
 * transforms are synchronous, so any context will do.
 */
static int nsim_quic_crypt(const struct nsim_quic_ctx *m,
			   const struct nsim_quic_gen *gen, u8 *pkt,
			   unsigned int hdr_len, unsigned int len, u64 pn,
			   bool seal)
{
	u8 nonce[NSIM_QUIC_NONCE_MAX];
	struct aead_request *req;
	struct scatterlist sg;
	unsigned int text_len;
	int err;

	req = aead_request_alloc(gen->aead, GFP_ATOMIC);
	if (!req)
		return -ENOMEM;
	text_len = len - hdr_len - (seal ? QUIC_ULP_TAG_LEN : 0);
	nsim_quic_nonce(nonce, gen->iv, pn, m->suite->ccm);
	sg_init_one(&sg, pkt, len);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_ad(req, hdr_len);
	aead_request_set_crypt(req, &sg, &sg, text_len, nonce);
	err = seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	aead_request_free(req);
	return err;
}

/* --- Tx --- */

static struct nsim_quic_ctx *nsim_quic_tx_find(struct nsim_quic *q, u64 id)
{
	struct nsim_quic_ctx *m;

	hash_for_each_possible_rcu(q->tx_ctxs, m, node, id)
		if (m->ctx->id == id)
			return m;
	return NULL;
}

static struct nsim_quic_gen *nsim_quic_gen_find(struct nsim_quic_ctx *m,
						u32 number, u32 bits)
{
	struct nsim_quic_gen *gen;
	unsigned int i;

	for (i = 0; i < NSIM_QUIC_MAX_GENS; i++) {
		gen = rcu_dereference(m->gens[i]);
		if (gen && !((gen->number ^ number) & bits))
			return gen;
	}
	return NULL;
}

/* The one packet number of [ext->pn, ext->pn + npkts) whose low bits are
 * @trunc; none when two of the range have them
 */
static bool nsim_quic_tx_pn(const struct quic_ulp_skb_ext *ext, u32 trunc,
			    unsigned int pn_len, u64 *pn)
{
	u64 win = 1ULL << (8 * pn_len);
	u64 c = (ext->pn & ~(win - 1)) | trunc;

	if (c < ext->pn)
		c += win;
	if (c - ext->pn >= ext->npkts || c - ext->pn + win < ext->npkts ||
	    c > QUIC_ULP_MAX_PN)
		return false;
	*pn = c;
	return true;
}

static int nsim_quic_seal_one(const struct nsim_quic_ctx *m,
			      const struct nsim_quic_gen *gen,
			      const struct quic_ulp_skb_ext *ext, u8 *pkt,
			      unsigned int len)
{
	unsigned int pn_off = 1 + ext->dcid_len, pn_len;
	u8 mask[NSIM_QUIC_MASK_LEN];
	u64 pn;
	int err;

	/* The sample must be there; the tag is then after the header too.
	 * A short header may have its fixed bit greased (RFC 9287).
	 */
	if (len < pn_off + NSIM_QUIC_SAMPLE_OFF + NSIM_QUIC_SAMPLE_LEN ||
	    pkt[0] & NSIM_QUIC_LONG)
		return -EINVAL;
	pn_len = (pkt[0] & NSIM_QUIC_PN_LEN) + 1;
	if (!nsim_quic_tx_pn(ext, nsim_quic_read_pn(pkt + pn_off, pn_len),
			     pn_len, &pn))
		return -ERANGE;
	err = nsim_quic_crypt(m, gen, pkt, pn_off + pn_len, len, pn, true);
	if (err)
		return err;
	nsim_quic_hp_mask(m, pkt + pn_off + NSIM_QUIC_SAMPLE_OFF, mask);
	pkt[0] ^= mask[0] & NSIM_QUIC_HP_BITS;
	nsim_quic_hp_pn(pkt + pn_off, pn_len, mask);
	memzero_explicit(mask, sizeof(mask));
	return 0;
}

/* A datagram whose UDP checksum the stack did not leave to the device */
static void nsim_quic_tx_csum(struct sk_buff *skb, unsigned int uoff)
{
	struct udphdr *uh = udp_hdr(skb);
	int ulen = skb->len - uoff;
	__wsum csum;

	/* IPv4 may go without one (SO_NO_CHECK): it stays without */
	if (skb->ip_summed == CHECKSUM_PARTIAL ||
	    (skb->protocol == htons(ETH_P_IP) && !uh->check))
		return;
	uh->check = 0;
	csum = skb_checksum(skb, uoff, ulen, 0);
	if (skb->protocol == htons(ETH_P_IP))
		uh->check = udp_v4_check(ulen, ip_hdr(skb)->saddr,
					 ip_hdr(skb)->daddr, csum);
	else
		uh->check = udp_v6_check(ulen, &ipv6_hdr(skb)->saddr,
					 &ipv6_hdr(skb)->daddr, csum);
	uh->check = uh->check ?: CSUM_MANGLED_0;
}

/* Where the UDP payload starts, in a linear, writable @skb; 0 if it is
 * not a UDP datagram this model can seal
 */
static unsigned int nsim_quic_tx_payload(struct sk_buff *skb)
{
	unsigned int uoff;

	if (!skb_transport_header_was_set(skb) ||
	    (skb->protocol != htons(ETH_P_IP) &&
	     skb->protocol != htons(ETH_P_IPV6)))
		return 0;
	if (skb_linearize(skb) || skb_ensure_writable(skb, skb->len))
		return 0;
	if (skb->protocol == htons(ETH_P_IP) &&
	    ip_hdr(skb)->protocol != IPPROTO_UDP)
		return 0;
	uoff = skb_transport_offset(skb);
	if (uoff + sizeof(struct udphdr) >= skb->len)
		return 0;
	/* A GSO datagram's UDP length is that of its first segment */
	if (!skb_is_gso(skb) && ntohs(udp_hdr(skb)->len) != skb->len - uoff)
		return 0;
	return uoff + sizeof(struct udphdr);
}

/* Seal every packet of the datagram: one per gso_size segment, or the
 * whole payload when software GSO already split it
 */
static int nsim_quic_seal(struct nsim_quic *q, struct sk_buff *skb,
			  const struct quic_ulp_skb_ext *ext)
{
	unsigned int off, seg, len, n = 0;
	struct nsim_quic_gen *gen;
	struct nsim_quic_ctx *m;
	int err;

	m = q ? nsim_quic_tx_find(q, ext->ctx_id) : NULL;
	gen = m ? nsim_quic_gen_find(m, ext->number, U32_MAX) : NULL;
	if (!gen || ext->dcid_len > QUIC_ULP_DEV_CID_MAX)
		return -ENOKEY;
	off = nsim_quic_tx_payload(skb);
	if (!off)
		return -EINVAL;
	seg = skb_is_gso(skb) ? skb_shinfo(skb)->gso_size : skb->len - off;
	if (!seg)
		return -EINVAL;
	for (; off < skb->len; off += len, n++) {
		len = min(seg, skb->len - off);
		err = nsim_quic_seal_one(m, gen, ext, skb->data + off, len);
		if (err)
			return err;
	}
	nsim_quic_tx_csum(skb, skb_transport_offset(skb));
	atomic64_add(n, &q->tx_packets);
	return 0;
}

/**
 * nsim_quic_tx() - seal a datagram the quic ULP left to this port
 * @ns: the sending port
 * @skb: the datagram
 *
 * Context: nsim_start_xmit(), RCU read side.
 * Return: 0, or why the datagram is to be dropped: one with the Tx
 * metadata is never forwarded in the clear.
 */
enum skb_drop_reason nsim_quic_tx(struct netdevsim *ns, struct sk_buff *skb)
{
	struct quic_ulp_skb_ext *p = quic_ulp_skb_ext(skb);
	struct quic_ulp_skb_ext ext;

	if (!p || p->flags & QUIC_ULP_SKB_DECRYPTED)
		return SKB_NOT_DROPPED_YET;
	ext = *p;
	if (nsim_quic_seal(ns->quic, skb, &ext)) {
		if (ns->quic)
			atomic64_inc(&ns->quic->tx_drops);
		return SKB_DROP_REASON_NOT_SPECIFIED;
	}
	skb_ext_del(skb, SKB_EXT_QUIC);
	skb->decrypted = 0;
	return SKB_NOT_DROPPED_YET;
}

/* --- Rx --- */

static bool nsim_quic_parse_v4(const struct sk_buff *skb,
			       struct nsim_quic_dgram *d, unsigned int *plen)
{
	const struct iphdr *iph;
	struct iphdr _iph;

	iph = skb_header_pointer(skb, 0, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl != 5 ||
	    iph->protocol != IPPROTO_UDP || ip_is_fragment(iph) ||
	    ntohs(iph->tot_len) < sizeof(*iph))
		return false;
	ipv6_addr_set_v4mapped(iph->saddr, &d->saddr);
	ipv6_addr_set_v4mapped(iph->daddr, &d->daddr);
	d->uoff = sizeof(*iph);
	d->v6 = false;
	*plen = ntohs(iph->tot_len) - sizeof(*iph);
	return true;
}

static bool nsim_quic_parse_v6(const struct sk_buff *skb,
			       struct nsim_quic_dgram *d, unsigned int *plen)
{
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;

	ip6h = skb_header_pointer(skb, 0, sizeof(_ip6h), &_ip6h);
	if (!ip6h || ip6h->version != 6 || ip6h->nexthdr != IPPROTO_UDP)
		return false;
	d->saddr = ip6h->saddr;
	d->daddr = ip6h->daddr;
	d->uoff = sizeof(*ip6h);
	d->v6 = true;
	*plen = ntohs(ip6h->payload_len);
	return true;
}

/* A UDP datagram straight over IPv4 or IPv6, skb->data at its IP header */
static bool nsim_quic_parse(const struct sk_buff *skb,
			    struct nsim_quic_dgram *d)
{
	const struct udphdr *uh;
	struct udphdr _uh;
	unsigned int plen;
	bool ok;

	if (skb->protocol == htons(ETH_P_IP))
		ok = nsim_quic_parse_v4(skb, d, &plen);
	else if (skb->protocol == htons(ETH_P_IPV6))
		ok = nsim_quic_parse_v6(skb, d, &plen);
	else
		ok = false;
	if (!ok)
		return false;
	uh = skb_header_pointer(skb, d->uoff, sizeof(_uh), &_uh);
	if (!uh)
		return false;
	d->ulen = ntohs(uh->len);
	d->dport = uh->dest;
	d->check = uh->check;
	return d->ulen > sizeof(*uh) && d->ulen <= plen &&
	       d->uoff + d->ulen <= skb->len;
}

static bool nsim_quic_cid_match(struct nsim_quic_ctx *m, const u8 *hdr,
				unsigned int len, u8 *dcid_len)
{
	struct nsim_quic_cid *c;

	list_for_each_entry_rcu(c, &m->cids, list) {
		if (1 + c->len <= len && !memcmp(hdr + 1, c->id, c->len)) {
			*dcid_len = c->len;
			return true;
		}
	}
	return false;
}

/* The context of a datagram: addressed to its local address and port,
 * with a short header carrying one of its connection IDs; none when two
 * contexts match (zero-length or shared IDs: which connection the packet
 * is of is then for software to find). @bound tells whether the address
 * and port were some context's.
 */
static struct nsim_quic_ctx *
nsim_quic_rx_find(struct nsim_quic *q, const struct sk_buff *skb,
		  const struct nsim_quic_dgram *d, bool *bound, u8 *dcid_len)
{
	struct nsim_quic_ctx *m, *found = NULL;
	u8 buf[1 + QUIC_ULP_DEV_CID_MAX];
	unsigned int len;
	const u8 *hdr;
	u8 cid_len;

	len = min_t(unsigned int, d->ulen - sizeof(struct udphdr), sizeof(buf));
	hdr = skb_header_pointer(skb, d->uoff + sizeof(struct udphdr), len,
				 buf);
	*bound = false;
	if (!hdr)
		return NULL;
	hash_for_each_possible_rcu(q->rx_ctxs, m, node, (__force u16)d->dport) {
		if (m->ctx->local_port != d->dport ||
		    !ipv6_addr_equal(&m->ctx->local_addr, &d->daddr))
			continue;
		*bound = true;
		/* A short header, its fixed bit possibly greased (RFC 9287) */
		if (hdr[0] & NSIM_QUIC_LONG)
			return NULL;
		if (!nsim_quic_cid_match(m, hdr, len, &cid_len))
			continue;
		if (found)
			return NULL;
		found = m;
		*dcid_len = cid_len;
	}
	return found;
}

/* As the stack would check it; what the checksum covers is about to
 * change, and the stack will then trust the device
 */
static bool nsim_quic_csum_ok(struct sk_buff *skb,
			      const struct nsim_quic_dgram *d)
{
	__wsum csum;

	if (skb->ip_summed == CHECKSUM_UNNECESSARY ||
	    skb->ip_summed == CHECKSUM_PARTIAL)
		return true;
	if (!d->check)
		return !d->v6;
	csum = skb_checksum(skb, d->uoff, d->ulen, 0);
	if (d->v6)
		return !csum_ipv6_magic(&d->saddr, &d->daddr, d->ulen,
					IPPROTO_UDP, csum);
	return !csum_tcpudp_magic(d->saddr.s6_addr32[3], d->daddr.s6_addr32[3],
				  d->ulen, IPPROTO_UDP, csum);
}

/* RFC 9000, A.3, from the largest packet number authenticated so far */
static u64 nsim_quic_pn_decode(struct nsim_quic_ctx *m, u32 trunc,
			       unsigned int pn_len)
{
	u64 win = 1ULL << (8 * pn_len), hwin = win / 2;
	u64 expected, c;

	spin_lock_bh(&m->pn_lock);
	expected = m->have_pn ? m->largest_pn + 1 : 0;
	spin_unlock_bh(&m->pn_lock);

	c = (expected & ~(win - 1)) | trunc;
	/* Written so that nothing wraps below zero */
	if (c + hwin <= expected && c < (1ULL << 62) - win)
		return c + win;
	if (c > expected + hwin && c >= win)
		return c - win;
	return c;
}

static void nsim_quic_pn_seen(struct nsim_quic_ctx *m, u64 pn)
{
	spin_lock_bh(&m->pn_lock);
	if (!m->have_pn || pn > m->largest_pn)
		m->largest_pn = pn;
	m->have_pn = true;
	spin_unlock_bh(&m->pn_lock);
}

/* Remove header protection and open the packet in @pkt, a copy of it */
static struct nsim_quic_gen *
nsim_quic_unprotect(struct nsim_quic_ctx *m, u8 *pkt, unsigned int len,
		    unsigned int pn_off, u64 *pn)
{
	u8 mask[NSIM_QUIC_MASK_LEN];
	struct nsim_quic_gen *gen;
	unsigned int pn_len;

	nsim_quic_hp_mask(m, pkt + pn_off + NSIM_QUIC_SAMPLE_OFF, mask);
	pkt[0] ^= mask[0] & NSIM_QUIC_HP_BITS;
	pn_len = (pkt[0] & NSIM_QUIC_PN_LEN) + 1;
	nsim_quic_hp_pn(pkt + pn_off, pn_len, mask);
	memzero_explicit(mask, sizeof(mask));
	*pn = nsim_quic_pn_decode(m, nsim_quic_read_pn(pkt + pn_off, pn_len),
				  pn_len);
	/* The generation of the Key Phase: number's low bit */
	gen = nsim_quic_gen_find(m, pkt[0] & NSIM_QUIC_KEY_PHASE ? 1 : 0, 1);
	if (!gen || nsim_quic_crypt(m, gen, pkt, pn_off + pn_len, len, *pn,
				    false))
		return NULL;
	return gen;
}

/* Open the datagram's first packet, which runs to the end of it: in a
 * bounce buffer, so that a packet that fails is left as it arrived
 */
static bool nsim_quic_open(struct nsim_quic_ctx *m, struct sk_buff *skb,
			   const struct nsim_quic_dgram *d, u8 dcid_len,
			   u64 *pn, u32 *number)
{
	unsigned int off = d->uoff + sizeof(struct udphdr);
	unsigned int len = d->ulen - sizeof(struct udphdr);
	unsigned int pn_off = 1 + dcid_len;
	struct nsim_quic_gen *gen;
	bool ok = false;
	u8 *buf;

	if (len < pn_off + NSIM_QUIC_SAMPLE_OFF + NSIM_QUIC_SAMPLE_LEN ||
	    !nsim_quic_csum_ok(skb, d))
		return false;
	buf = kmalloc(len, GFP_ATOMIC);
	if (!buf)
		return false;
	if (skb_copy_bits(skb, off, buf, len))
		goto out;
	gen = nsim_quic_unprotect(m, buf, len, pn_off, pn);
	if (!gen || skb_ensure_writable(skb, off + len))
		goto out;
	/* The tag's bytes stay as they were */
	memcpy(skb->data + off, buf, len - QUIC_ULP_TAG_LEN);
	*number = gen->number;
	nsim_quic_pn_seen(m, *pn);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->csum_level = 0;
	ok = true;
out:
	kfree_sensitive(buf);
	return ok;
}

/**
 * nsim_quic_rx() - open a datagram on its way in, as the device would
 * @ns: the receiving port
 * @skb: the datagram, forwarded to @ns: skb->data at its IP header, and
 *	its extensions already scrubbed by __dev_forward_skb()
 *
 * Context: nsim_start_xmit() of the peer port, RCU read side.
 * Return: 0, or -ENOMEM when the decrypted datagram could not be marked
 * and is to be dropped.
 */
int nsim_quic_rx(struct netdevsim *ns, struct sk_buff *skb)
{
	struct nsim_quic *q = ns->quic;
	struct nsim_quic_dgram d;
	struct nsim_quic_ctx *m;
	u32 number;
	u8 dcid_len;
	bool bound;
	u64 pn;

	/* Only what is for this host: a device opens nothing it forwards */
	if (!q || !(READ_ONCE(ns->quic_dev.enabled) & QUIC_ULP_DIR_RX) ||
	    skb->pkt_type != PACKET_HOST || !nsim_quic_parse(skb, &d))
		return 0;
	m = nsim_quic_rx_find(q, skb, &d, &bound, &dcid_len);
	if (!m || !nsim_quic_open(m, skb, &d, dcid_len, &pn, &number)) {
		if (bound)
			atomic64_inc(&q->rx_passed);
		return 0;
	}
	if (quic_ulp_skb_set_decrypted(skb, m->ctx, pn, number))
		return -ENOMEM;
	atomic64_inc(&q->rx_packets);
	return 0;
}

/* --- quic_ulp_dev_ops --- */

static void nsim_quic_caps(struct net_device *dev,
			   struct quic_ulp_dev_caps *caps)
{
	struct nsim_quic *q = nsim_quic_of(dev);

	caps->ciphers = READ_ONCE(q->ciphers) & NSIM_QUIC_ALL_CIPHERS;
	caps->dirs = READ_ONCE(q->dirs) & NSIM_QUIC_ALL_DIRS;
}

static int nsim_quic_hp_init(struct nsim_quic_ctx *m,
			     const struct quic_ulp_dev_ctx *ctx)
{
	unsigned int i;

	if (!m->suite->chacha)
		return aes_prepareenckey(&m->hp.aes, ctx->hp_key, ctx->key_len);
	for (i = 0; i < CHACHA_KEY_WORDS; i++)
		m->hp.chacha[i] = get_unaligned_le32(ctx->hp_key + 4 * i);
	return 0;
}

static int nsim_quic_ctx_check(struct nsim_quic *q,
			       const struct quic_ulp_dev_ctx *ctx,
			       const struct nsim_quic_suite *suite)
{
	if (ctx->dir != QUIC_ULP_DIR_TX && ctx->dir != QUIC_ULP_DIR_RX)
		return -EINVAL;
	if (!suite || !(READ_ONCE(q->ciphers) & suite->cap) ||
	    !(READ_ONCE(q->dirs) & ctx->dir) ||
	    (ctx->version != QUIC_ULP_VERSION_1 &&
	     ctx->version != QUIC_ULP_VERSION_2))
		return -EOPNOTSUPP;
	if (ctx->key_len != suite->key_len)
		return -EINVAL;
	return 0;
}

static int nsim_quic_ctx_add(struct net_device *dev,
			     struct quic_ulp_dev_ctx *ctx)
{
	const struct nsim_quic_suite *suite = nsim_quic_suite_find(ctx->cipher);
	struct nsim_quic *q = nsim_quic_of(dev);
	struct nsim_quic_ctx *m;
	int err;

	err = nsim_quic_ctx_check(q, ctx, suite);
	if (err)
		return err;
	m = kzalloc_obj(*m, GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->ctx = ctx;
	m->suite = suite;
	INIT_LIST_HEAD(&m->cids);
	spin_lock_init(&m->pn_lock);
	m->largest_pn = ctx->largest_pn;
	m->have_pn = ctx->have_pn;
	err = nsim_quic_hp_init(m, ctx);
	if (err)
		goto err_free;

	mutex_lock(&q->lock);
	if (q->ctx_count >= READ_ONCE(q->max_ctx)) {
		mutex_unlock(&q->lock);
		err = -ENOSPC;
		goto err_free;
	}
	*nsim_quic_priv(ctx) = m;
	if (ctx->dir == QUIC_ULP_DIR_TX)
		hash_add_rcu(q->tx_ctxs, &m->node, ctx->id);
	else
		hash_add_rcu(q->rx_ctxs, &m->node, (__force u16)ctx->local_port);
	q->ctx_count++;
	mutex_unlock(&q->lock);
	return 0;

err_free:
	kfree_sensitive(m);
	return err;
}

static void nsim_quic_gen_free(struct nsim_quic_gen *gen)
{
	crypto_free_aead(gen->aead);
	kfree_sensitive(gen);
}

/* After an RCU grace period: the data path no longer sees @m */
static void nsim_quic_ctx_free(struct nsim_quic_ctx *m)
{
	struct nsim_quic_cid *c, *tmp;
	unsigned int i;

	for (i = 0; i < NSIM_QUIC_MAX_GENS; i++)
		if (rcu_access_pointer(m->gens[i]))
			nsim_quic_gen_free(rcu_dereference_protected(m->gens[i],
								     true));
	list_for_each_entry_safe(c, tmp, &m->cids, list)
		kfree(c);
	kfree_sensitive(m);
}

static void nsim_quic_ctx_del(struct net_device *dev,
			      struct quic_ulp_dev_ctx *ctx)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);
	struct nsim_quic *q = nsim_quic_of(dev);

	if (WARN_ON_ONCE(!m))
		return;
	mutex_lock(&q->lock);
	hash_del_rcu(&m->node);
	q->ctx_count--;
	mutex_unlock(&q->lock);
	*nsim_quic_priv(ctx) = NULL;
	/* A datagram in flight drops now rather than meet freed keys */
	synchronize_rcu();
	nsim_quic_ctx_free(m);
}

/* A free slot for a generation, or an error: Rx holds one per Key Phase
 * and the ULP deletes the old one before it adds its replacement
 */
static int nsim_quic_gen_slot(struct nsim_quic_ctx *m, u32 number)
{
	bool rx = m->ctx->dir == QUIC_ULP_DIR_RX;
	struct nsim_quic_gen *gen;
	int i, slot = -ENOSPC;

	for (i = 0; i < NSIM_QUIC_MAX_GENS; i++) {
		gen = rcu_dereference_protected(m->gens[i], true);
		if (!gen) {
			if (slot < 0 && (!rx || i < 2))
				slot = i;
			continue;
		}
		if (gen->number == number)
			return -EEXIST;
		if (rx && !((gen->number ^ number) & 1))
			return -EBUSY;
	}
	return slot;
}

static struct nsim_quic_gen *
nsim_quic_gen_alloc(const struct nsim_quic_ctx *m,
		    const struct quic_ulp_dev_key *key)
{
	struct nsim_quic_gen *gen;
	int err;

	gen = kzalloc_obj(*gen, GFP_KERNEL);
	if (!gen)
		return ERR_PTR(-ENOMEM);
	/* Synchronous only: the data path cannot wait */
	gen->aead = crypto_alloc_aead(m->suite->aead, 0, CRYPTO_ALG_ASYNC);
	if (IS_ERR(gen->aead)) {
		err = PTR_ERR(gen->aead);
		kfree(gen);
		return ERR_PTR(err);
	}
	err = crypto_aead_setkey(gen->aead, key->key, m->ctx->key_len) ?:
	      crypto_aead_setauthsize(gen->aead, QUIC_ULP_TAG_LEN);
	if (err) {
		nsim_quic_gen_free(gen);
		return ERR_PTR(err);
	}
	gen->number = key->number;
	memcpy(gen->iv, key->iv, sizeof(gen->iv));
	return gen;
}

/* debugfs fail_key_add: the next N key_add calls fail */
static bool nsim_quic_fail_key(struct nsim_quic *q)
{
	bool fail;

	mutex_lock(&q->lock);
	fail = q->fail_key_add;
	if (fail)
		q->fail_key_add--;
	mutex_unlock(&q->lock);
	return fail;
}

static int nsim_quic_key_add(struct net_device *dev,
			     struct quic_ulp_dev_ctx *ctx,
			     const struct quic_ulp_dev_key *key)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);
	struct nsim_quic *q = nsim_quic_of(dev);
	struct nsim_quic_gen *gen;
	int slot;

	if (nsim_quic_fail_key(q))
		return -EIO;
	if (WARN_ON_ONCE(!m))
		return -EINVAL;
	/* The ULP never runs two ops of one context at once */
	slot = nsim_quic_gen_slot(m, key->number);
	if (slot < 0)
		return slot;
	gen = nsim_quic_gen_alloc(m, key);
	if (IS_ERR(gen))
		return PTR_ERR(gen);
	rcu_assign_pointer(m->gens[slot], gen);
	return 0;
}

static void nsim_quic_key_del(struct net_device *dev,
			      struct quic_ulp_dev_ctx *ctx, u32 number)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);
	struct nsim_quic_gen *gen;
	unsigned int i;

	if (WARN_ON_ONCE(!m))
		return;
	for (i = 0; i < NSIM_QUIC_MAX_GENS; i++) {
		gen = rcu_dereference_protected(m->gens[i], true);
		if (gen && gen->number == number)
			break;
	}
	if (i == NSIM_QUIC_MAX_GENS)
		return;
	RCU_INIT_POINTER(m->gens[i], NULL);
	synchronize_rcu();
	nsim_quic_gen_free(gen);
}

static struct nsim_quic_cid *nsim_quic_cid_find(struct nsim_quic_ctx *m,
						const u8 *id, u8 len)
{
	struct nsim_quic_cid *c;

	list_for_each_entry(c, &m->cids, list)
		if (c->len == len && !memcmp(c->id, id, len))
			return c;
	return NULL;
}

static int nsim_quic_cid_add(struct net_device *dev,
			     struct quic_ulp_dev_ctx *ctx, const u8 *id, u8 len)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);
	struct nsim_quic_cid *c;

	if (WARN_ON_ONCE(!m) || ctx->dir != QUIC_ULP_DIR_RX ||
	    len > QUIC_ULP_DEV_CID_MAX)
		return -EINVAL;
	if (nsim_quic_cid_find(m, id, len))
		return -EEXIST;
	if (m->ncids >= NSIM_QUIC_MAX_CIDS)
		return -ENOSPC;
	c = kzalloc_obj(*c, GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->len = len;
	memcpy(c->id, id, len);
	list_add_tail_rcu(&c->list, &m->cids);
	m->ncids++;
	return 0;
}

static void nsim_quic_cid_del(struct net_device *dev,
			      struct quic_ulp_dev_ctx *ctx, const u8 *id, u8 len)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);
	struct nsim_quic_cid *c;

	if (WARN_ON_ONCE(!m))
		return;
	c = nsim_quic_cid_find(m, id, len);
	if (!c)
		return;
	list_del_rcu(&c->list);
	m->ncids--;
	kfree_rcu(c, rcu);
}

static void nsim_quic_rx_resync(struct net_device *dev,
				struct quic_ulp_dev_ctx *ctx, u64 largest_pn)
{
	struct nsim_quic_ctx *m = *nsim_quic_priv(ctx);

	if (WARN_ON_ONCE(!m))
		return;
	spin_lock_bh(&m->pn_lock);
	m->largest_pn = largest_pn;
	m->have_pn = true;
	spin_unlock_bh(&m->pn_lock);
}

static const struct quic_ulp_dev_ops nsim_quic_ops = {
	.caps		= nsim_quic_caps,
	.ctx_add	= nsim_quic_ctx_add,
	.ctx_del	= nsim_quic_ctx_del,
	.key_add	= nsim_quic_key_add,
	.key_del	= nsim_quic_key_del,
	.cid_add	= nsim_quic_cid_add,
	.cid_del	= nsim_quic_cid_del,
	.rx_resync	= nsim_quic_rx_resync,
};

/* --- setup --- */

static int nsim_quic_counter_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nsim_quic_counter_fops, nsim_quic_counter_get, NULL,
			 "%llu\n");

static void nsim_quic_debugfs_init(struct nsim_quic *q, struct dentry *parent)
{
	q->ddir = debugfs_create_dir("quic", parent);
	debugfs_create_u32("max_ctx", 0600, q->ddir, &q->max_ctx);
	debugfs_create_u32("ciphers", 0600, q->ddir, &q->ciphers);
	debugfs_create_u8("dirs", 0600, q->ddir, &q->dirs);
	debugfs_create_u32("fail_key_add", 0600, q->ddir, &q->fail_key_add);
	debugfs_create_u32("ctx_count", 0400, q->ddir, &q->ctx_count);
	debugfs_create_file_unsafe("tx_packets", 0400, q->ddir, &q->tx_packets,
				   &nsim_quic_counter_fops);
	debugfs_create_file_unsafe("rx_packets", 0400, q->ddir, &q->rx_packets,
				   &nsim_quic_counter_fops);
	debugfs_create_file_unsafe("tx_drops", 0400, q->ddir, &q->tx_drops,
				   &nsim_quic_counter_fops);
	debugfs_create_file_unsafe("rx_passed", 0400, q->ddir, &q->rx_passed,
				   &nsim_quic_counter_fops);
}

/**
 * nsim_quic_init() - give a port the QUIC offload, before it is registered
 * @ns: the port
 *
 * Return: 0 or -ENOMEM.
 */
int nsim_quic_init(struct netdevsim *ns)
{
	struct net_device *dev = ns->netdev;
	struct nsim_quic *q;

	q = kzalloc_obj(*q, GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	mutex_init(&q->lock);
	hash_init(q->tx_ctxs);
	hash_init(q->rx_ctxs);
	q->max_ctx = NSIM_QUIC_DEF_MAX_CTX;
	q->ciphers = NSIM_QUIC_ALL_CIPHERS;
	q->dirs = NSIM_QUIC_ALL_DIRS;
	nsim_quic_debugfs_init(q, ns->nsim_dev_port->ddir);
	ns->quic = q;

	/* Both directions enabled to start with: the ULP's dev-set can
	 * disable them; the debugfs dirs knob changes what caps reports
	 */
	ns->quic_dev.ops = &nsim_quic_ops;
	ns->quic_dev.enabled = NSIM_QUIC_ALL_DIRS;
	dev->quic_ulp = &ns->quic_dev;
	return 0;
}

/**
 * nsim_quic_uninit() - free the port's QUIC state
 * @ns: the port, unregistered (or never registered): neither its own
 *	nor its peer's transmit path can still look at the state
 */
void nsim_quic_uninit(struct netdevsim *ns)
{
	struct nsim_quic *q = ns->quic;
	struct nsim_quic_ctx *m;
	struct hlist_node *tmp;
	unsigned int bkt;

	if (!q)
		return;
	debugfs_remove(q->ddir);
	ns->quic = NULL;
	/* The ULP removes every context when the device goes away */
	hash_for_each_safe(q->tx_ctxs, bkt, tmp, m, node) {
		WARN_ON_ONCE(1);
		nsim_quic_ctx_free(m);
	}
	hash_for_each_safe(q->rx_ctxs, bkt, tmp, m, node) {
		WARN_ON_ONCE(1);
		nsim_quic_ctx_free(m);
	}
	mutex_destroy(&q->lock);
	kfree(q);
}
