/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC 1-RTT packet protection in network devices: what a driver
 * implements, and what it finds on the skbs it is given and sets on the
 * ones it receives. See Documentation/networking/quic-offload.rst.
 */
#ifndef _NET_QUIC_ULP_DEVICE_H
#define _NET_QUIC_ULP_DEVICE_H

#include <linux/in6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/types.h>

#define QUIC_ULP_DEV_KEY_MAX	32	/* AES-256 and ChaCha20 */
#define QUIC_ULP_DEV_IV_LEN	12
#define QUIC_ULP_DEV_CID_MAX	20	/* RFC 9000, section 17.2 */

/* Cipher suites a device may claim, bits of quic_ulp_dev_caps.ciphers */
#define QUIC_ULP_DEV_AES_128_GCM	BIT(0)
#define QUIC_ULP_DEV_AES_256_GCM	BIT(1)
#define QUIC_ULP_DEV_CHACHA20_POLY1305	BIT(2)
#define QUIC_ULP_DEV_AES_128_CCM	BIT(3)

/**
 * struct quic_ulp_dev_caps - what a device can do, at the moment it is asked
 * @ciphers: QUIC_ULP_DEV_* suites it protects packets with
 * @dirs: QUIC_ULP_DIR_TX and/or QUIC_ULP_DIR_RX
 */
struct quic_ulp_dev_caps {
	u32	ciphers;
	u8	dirs;
};

/**
 * struct quic_ulp_dev_ctx - one direction of one connection on a device
 * @id: never the same for two contexts in the life of the system: the
 *	id the skb metadata of both directions names the context by
 * @dir: QUIC_ULP_DIR_TX or QUIC_ULP_DIR_RX
 * @cipher: the suite, its TLS code point (QUIC_ULP_CIPHER_*)
 * @version: the QUIC version (QUIC_ULP_VERSION_*)
 * @key_len: length of the AEAD and header protection keys
 * @hp_key: the header protection key, which key updates never change
 * @local_addr: Rx: the address its packets arrive at, v4-mapped for IPv4
 * @local_port: Rx: the port they arrive at
 * @largest_pn: Rx: largest packet number authenticated when the context
 *	was added, the anchor of packet number recovery (RFC 9000, A.3);
 *	meaningful when @have_pn
 * @have_pn: Rx: @largest_pn holds a packet number
 * @drv_priv: the driver's, zeroed: QUIC_ULP_DEV_PRIV_SIZE bytes
 *
 * Allocated and freed by the ULP. Between quic_ulp_dev_ops.ctx_add() and
 * .ctx_del() the driver may keep a pointer to it; nothing in it changes in
 * that time but @drv_priv.
 */
struct quic_ulp_dev_ctx {
	u64		id;
	u8		dir;
	u16		cipher;
	u32		version;
	u8		key_len;
	u8		hp_key[QUIC_ULP_DEV_KEY_MAX];
	struct in6_addr	local_addr;
	__be16		local_port;
	u64		largest_pn;
	bool		have_pn;
#define QUIC_ULP_DEV_PRIV_SIZE	64
	u8		drv_priv[QUIC_ULP_DEV_PRIV_SIZE] __aligned(8);
};

/**
 * struct quic_ulp_dev_key - one generation of a context's keys
 * @number: key updates before it; its Key Phase is the low bit
 * @key: the AEAD key, quic_ulp_dev_ctx.key_len bytes
 * @iv: the IV the nonce of each packet is made from (RFC 9001, 5.3)
 */
struct quic_ulp_dev_key {
	u32	number;
	u8	key[QUIC_ULP_DEV_KEY_MAX];
	u8	iv[QUIC_ULP_DEV_IV_LEN];
};

/**
 * struct quic_ulp_dev_ops - QUIC packet protection operations of a device
 * @caps: fill in what the device can do now, whatever the administrator
 *	enabled (the ULP checks quic_ulp_dev.enabled itself); must not
 *	sleep. Limits (contexts, IDs) show as -ENOSPC from the calls below.
 * @ctx_add: take a context; -ENOSPC when out of key slots, -EOPNOTSUPP
 *	for what the device cannot do. It has no keys yet.
 * @ctx_del: forget a context and every key of it. Called only after the
 *	ULP stopped handing the device packets that name it, and an RCU
 *	grace period later: a packet already in the device's queues must
 *	still be dropped, never sent with other keys or in the clear.
 * @key_add: add a generation of keys to a context. A Tx context is told
 *	of a generation before any packet names it; an Rx context uses the
 *	generation whose Key Phase a packet has, and the ULP never asks for
 *	two of one phase at once (a driver may refuse with -EBUSY).
 * @key_del: remove a generation, by number, with the ordering of @ctx_del
 * @cid_add: Rx: packets whose Destination Connection ID is @id, of @len
 *	bytes, belong to the context
 * @cid_del: Rx: they no longer do
 * @rx_resync: Rx: the ULP authenticated packets of the context in
 *	software, up to @largest_pn: recover packet numbers from there on
 *
 * All are called in process context and may sleep, never two at once for
 * one context, and never while the device is being unregistered. The ULP
 * adds nothing in a direction the administrator disabled, and removes
 * every context of a device when its direction is disabled or the device
 * goes down or away.
 */
struct quic_ulp_dev_ops {
	void	(*caps)(struct net_device *dev, struct quic_ulp_dev_caps *caps);
	int	(*ctx_add)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx);
	void	(*ctx_del)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx);
	int	(*key_add)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx,
			   const struct quic_ulp_dev_key *key);
	void	(*key_del)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx,
			   u32 number);
	int	(*cid_add)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx,
			   const u8 *id, u8 len);
	void	(*cid_del)(struct net_device *dev, struct quic_ulp_dev_ctx *ctx,
			   const u8 *id, u8 len);
	void	(*rx_resync)(struct net_device *dev,
			     struct quic_ulp_dev_ctx *ctx, u64 largest_pn);
};

/**
 * struct quic_ulp_dev - a device's QUIC packet protection
 * @ops: its operations
 * @enabled: the directions (QUIC_ULP_DIR_TX, QUIC_ULP_DIR_RX) the
 *	administrator lets the ULP use, through the quic-ulp netlink
 *	family's dev-set; a driver sets what it supports before it
 *	registers the device, and never writes it afterwards
 *
 * A driver that offers QUIC packet protection points net_device.quic_ulp
 * at one of its own for each net_device before registering it. It must
 * stay valid until the net_device is freed: the data path reads it
 * without a reference.
 * (Not a netdev feature bit: the 64 of netdev_features_t are all taken.)
 */
struct quic_ulp_dev {
	const struct quic_ulp_dev_ops	*ops;
	u8				enabled;
};

/**
 * struct quic_ulp_skb_ext - what a packet's device crypto is (SKB_EXT_QUIC)
 * @ctx_id: the context, quic_ulp_dev_ctx.id
 * @pn: Tx: packet number of the first segment, the next ones following
 *	one by one; Rx: the packet's full packet number
 * @number: the key generation
 * @cookie: Tx: the ULP's, for its software fallback; drivers ignore it
 * @handle: likewise
 * @npkts: Tx: how many packets, one per segment (gso_size) of the
 *	datagram; the device finds each one's packet number among @pn to
 *	@pn + @npkts - 1 by the low bits its header carries
 * @dcid_len: Tx: Destination Connection ID length of every packet
 * @flags: QUIC_ULP_SKB_*
 *
 * Tx: the ULP attaches it to a datagram whose short-header packets the
 * device is to seal: every header is in the clear, each packet ends with
 * room for its tag, and skb->decrypted is set, so that the datagram is
 * dropped if it ever reaches a device without its socket. A device that
 * does not hold @ctx_id with generation @number, or finds a packet
 * number outside the range, must drop the datagram.
 *
 * Rx: a driver attaches it, with QUIC_ULP_SKB_DECRYPTED, to a datagram
 * whose first packet it authenticated and decrypted in place, header
 * protection removed, tag left in place, and sets skb->decrypted, which
 * outlives the extension where a datagram is scrubbed: the core drops such
 * a datagram before it could leave the host, and UDP before a socket
 * without the ULP could read it. The ULP checks the metadata against its
 * own state before it believes it. A datagram the device did not
 * authenticate reaches the stack exactly as it arrived.
 */
struct quic_ulp_skb_ext {
	u64	ctx_id;
	u64	pn;
	u64	cookie;
	u32	number;
	u32	handle;
	u16	npkts;
	u8	dcid_len;
	u8	flags;
};

#define QUIC_ULP_SKB_DECRYPTED	0x01

#if IS_ENABLED(CONFIG_QUIC_ULP_DEVICE)
static inline struct quic_ulp_skb_ext *quic_ulp_skb_ext(const struct sk_buff *skb)
{
	return skb_ext_find(skb, SKB_EXT_QUIC);
}

/**
 * quic_ulp_skb_set_decrypted() - mark a received datagram authenticated
 * @skb: the datagram, its first packet decrypted in place
 * @ctx: the context whose keys did it
 * @pn: the packet's full packet number
 * @number: the generation of the keys
 *
 * Return: 0, or -ENOMEM: the driver must then drop the datagram, whose
 * bytes are no longer what arrived.
 */
static inline int quic_ulp_skb_set_decrypted(struct sk_buff *skb,
					     const struct quic_ulp_dev_ctx *ctx,
					     u64 pn, u32 number)
{
	struct quic_ulp_skb_ext *ext = skb_ext_add(skb, SKB_EXT_QUIC);

	if (!ext)
		return -ENOMEM;
	memset(ext, 0, sizeof(*ext));
	ext->ctx_id = ctx->id;
	ext->pn = pn;
	ext->number = number;
	ext->flags = QUIC_ULP_SKB_DECRYPTED;
	skb->decrypted = 1;
	return 0;
}

/**
 * quic_ulp_skb_decrypted() - whether a device decrypted a received datagram
 * @skb: the datagram
 *
 * Only the quic ULP may deliver it: to any other socket its bytes are
 * neither what arrived nor authenticated by anyone it knows. A datagram
 * the ULP left in the clear for a device and that came back (a multicast
 * loop) counts too.
 *
 * Return: true if skb->decrypted is set or a driver marked it with
 * quic_ulp_skb_set_decrypted().
 */
static inline bool quic_ulp_skb_decrypted(const struct sk_buff *skb)
{
	const struct quic_ulp_skb_ext *ext = quic_ulp_skb_ext(skb);

	return skb_is_decrypted(skb) ||
	       (ext && ext->flags & QUIC_ULP_SKB_DECRYPTED);
}

static inline unsigned long
quic_ulp_skb_coalesce_diff(const struct sk_buff *one, const struct sk_buff *two,
			   unsigned long diffs)
{
	/* The metadata of a received datagram describes its first packet:
	 * datagrams a device decrypted are never merged
	 */
	return diffs | skb_ext_exist(one, SKB_EXT_QUIC) |
	       skb_ext_exist(two, SKB_EXT_QUIC);
}
#else
static inline struct quic_ulp_skb_ext *quic_ulp_skb_ext(const struct sk_buff *skb)
{
	return NULL;
}

static inline bool quic_ulp_skb_decrypted(const struct sk_buff *skb)
{
	return false;
}

static inline unsigned long
quic_ulp_skb_coalesce_diff(const struct sk_buff *one, const struct sk_buff *two,
			   unsigned long diffs)
{
	return diffs;
}
#endif

#endif /* _NET_QUIC_ULP_DEVICE_H */
