/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC 1-RTT packet protection offload: internal interfaces.
 */
#ifndef _NET_QUIC_QUIC_H
#define _NET_QUIC_QUIC_H

#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <linux/crypto.h>
#include <linux/in6.h>
#include <linux/local_lock.h>
#include <linux/rbtree.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/u64_stats_sync.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/snmp.h>
#include <net/udp_ulp.h>
#include <uapi/linux/quic.h>

#include "packet.h"

struct crypto_aead;
struct crypto_shash;

#define QUIC_IV_LEN		12
#define QUIC_RESET_TOKEN_LEN	16
/* Generations a direction holds: previous, current and next */
#define QUIC_GENS		3

/**
 * struct quic_cipher - what a QUIC cipher suite is made of
 * @suite: QUIC_ULP_CIPHER_* code point
 * @aead: crypto API name of the AEAD
 * @secret_len: hash length, the length of traffic secrets
 * @key_len: AEAD and header protection key length
 * @chacha_hp: header protection with ChaCha20 (else AES-ECB)
 * @ccm: the AEAD takes a CCM counter block as IV
 * @confidentiality_limit: packets one key may protect (RFC 9001, 6.6)
 * @integrity_limit: forged packets a connection may receive (RFC 9001, 6.6)
 */
struct quic_cipher {
	u16		suite;
	const char	*aead;
	u8		secret_len;
	u8		key_len;
	bool		chacha_hp;
	bool		ccm;
	u64		confidentiality_limit;
	u64		integrity_limit;
};

/**
 * struct quic_labels - HKDF labels of a QUIC version (RFC 9001, RFC 9369)
 * @version: the version, QUIC_ULP_VERSION_*
 * @key: AEAD key
 * @iv: AEAD IV
 * @hp: header protection key
 * @ku: next generation's secret
 */
struct quic_labels {
	u32		version;
	const char	*key;
	const char	*iv;
	const char	*hp;
	const char	*ku;
};

/**
 * struct quic_hp_key - header protection key of one direction
 * @ecb: AES-ECB on AES-NI with the same key, for the masks of a run of
 *	packets in one call (quic_ulp_hp_masks()); NULL for ChaCha20, without
 *	AES-NI, and where the direction asked for none
 * @aes: AES key, prepared for encryption only
 * @chacha: ChaCha20 key
 */
struct quic_hp_key {
	struct crypto_sync_skcipher	*ecb;
	union {
		struct aes_enckey	aes;
		u32			chacha[CHACHA_KEY_SIZE / sizeof(u32)];
	};
};

struct quic_dir;

/**
 * struct quic_gen - one generation of 1-RTT keys, in one of a direction's
 * three slots
 * @aead: the slot's AEAD, allocated with the direction and keyed anew
 *	for each generation the slot holds
 * @iv: the IV the nonce is made from
 * @secret: traffic secret this generation was derived from, while the
 *	next generation may still have to be derived from it
 * @number: key updates before this generation; its Key Phase is the low bit
 * @first_pn: lowest packet number protected or authenticated with it
 * @largest_pn: largest packet number protected with it (Tx)
 * @used: @first_pn and @largest_pn hold packet numbers
 * @packets: packets protected or authenticated with it
 * @refcnt: one for being the direction's previous, current or next
 *	generation, one per packet using it; at zero the slot is free and
 *	may be keyed for another generation
 * @dir: the direction it belongs to
 * @key: the AEAD key, kept for a device only (QUIC_ULP_KEY_DEVICE)
 */
struct quic_gen {
	struct crypto_aead	*aead;
	u8			iv[QUIC_IV_LEN];
	u8			secret[QUIC_ULP_MAX_SECRET_LEN];
	u32			number;
	u64			first_pn;
	u64			largest_pn;
	bool			used;
	u64			packets;
	refcount_t		refcnt;
	struct quic_dir		*dir;
#if IS_ENABLED(CONFIG_QUIC_ULP_DEVICE)
	u8			key[32];
#endif
};

struct quic_ulp_dev_ctx;
struct quic_cid_key;

/**
 * struct quic_dev_live - what the data path may hand a direction's device
 * @rcu: freed a grace period after it is replaced
 * @dev: the device
 * @ctx_id: the context's id there
 * @number: the generations on it
 * @n: how many
 */
struct quic_dev_live {
	struct rcu_head		rcu;
	struct net_device	*dev;
	u64			ctx_id;
	u32			number[QUIC_GENS];
	unsigned int		n;
};

/**
 * struct quic_dev_dir - a direction's device offload (device.c)
 * @allowed: its first key had QUIC_ULP_KEY_DEVICE
 * @hp_key: the header protection key, for the device (when @allowed)
 * @want_ifindex: a device the data path found able to take it, 0 if none
 * @want_addr: Rx: the local address packets came to through it
 * @want_port: Rx: the local port
 * @retry_at: jiffies before which no new attempt is made after a failure
 * @resync: Rx: software authenticated packets the device did not
 * @resync_at: Rx: jiffies before which no resync is asked for (dir lock)
 * @live: published for the data path; NULL when not on a device
 * @ctx: the context on the device, NULL if none (device.c's lock)
 * @dev: that device, held
 * @nkeys: generations on it
 * @tracker: the hold's tracker
 * @node: entry in the list of directions on a device
 * @cids: Rx: connection IDs the device was given (device.c's lock)
 * @ncids: how many
 * @packets: packets the device protected or authenticated
 */
struct quic_dev_dir {
	bool			allowed;
	u8			hp_key[32];
	int			want_ifindex;
	struct in6_addr		want_addr;
	__be16			want_port;
	unsigned long		retry_at;
	bool			resync;
	unsigned long		resync_at;
	struct quic_dev_live __rcu *live;
	struct quic_ulp_dev_ctx	*ctx;
	struct net_device	*dev;
	unsigned int		nkeys;
	netdevice_tracker	tracker;
	struct list_head	node;
	struct quic_cid_key	*cids;
	unsigned int		ncids;
	u64			packets;
};

/**
 * struct quic_dir - packet protection state of one direction of a connection
 * @lock: protects the generations' roles, packet numbers and counters
 * @conn: the connection
 * @slot: the generations; @old, @cur and @next point into it
 * @old: previous generation, kept for packets reordered across an update
 * @cur: current generation; NULL until the keys are installed
 * @next: next generation, derived ahead of the update that needs it
 * @hp: header protection key, which key updates never change (RFC 9001,
 *	section 6); written once, before @cur is first set (with release
 *	semantics: a reader that sees @cur may read @hp without the lock)
 * @largest_pn: largest packet number authenticated so far, or the next
 *	packet number minus one given at installation (Rx)
 * @have_pn: @largest_pn holds a packet number
 * @limit: the AEAD limit of RFC 9001, section 6.6 was reached
 * @limit_reported: the application was told, on the error queue (Rx)
 * @packets: packets protected or authenticated
 * @bytes: their bytes
 * @auth_failures: packets that failed authentication (Rx)
 * @unreported: of those, the ones no struct quic_ulp_rx_info reported yet
 * @old_key_packets: packets that used @old
 * @refused: sends refused (Tx)
 * @cids: connection IDs of this direction
 * @dev: device offload
 */
struct quic_dir {
	spinlock_t		lock;	/* see above */
	struct quic_conn	*conn;
	struct quic_gen		slot[QUIC_GENS];
	struct quic_gen		*old;
	struct quic_gen		*cur;
	struct quic_gen		*next;
	struct quic_hp_key	hp;
	u64			largest_pn;
	bool			have_pn;
	bool			limit;
	bool			limit_reported;
	u64			packets;
	u64			bytes;
	u64			auth_failures;
	u32			unreported;
	u64			old_key_packets;
	u64			refused;
	u16			cids;
#if IS_ENABLED(CONFIG_QUIC_ULP_DEVICE)
	struct quic_dev_dir	dev;
#endif
};

/**
 * struct quic_conn - a connection whose 1-RTT packets the kernel protects
 * @handle: the application's handle for it
 * @cookie: never the same for two connections: what names it where the
 *	application may have reused @handle since (device.c)
 * @refcnt: references from the socket and from packets and work in flight
 * @qs: the socket's state, held
 * @cipher: its cipher suite, for both directions and its whole life
 * @labels: its QUIC version's labels, likewise
 * @tx: Tx state
 * @rx: Rx state
 * @peer_addr: source address of the largest-numbered packet that
 *	authenticated, v4-mapped for IPv4: the peer's address as RFC 9000,
 *	section 9.3 follows it (under @rx's lock)
 * @peer_port: its source port, 0 until a packet authenticated
 * @cid_list: its connection IDs, both directions (socket lock)
 * @reset_tokens: the peer's Stateless Reset Tokens, from its Tx IDs
 * @key_work: derives the next generation of a direction after an update,
 *	which the data path (softirq, or sendmsg() holding a spinlock)
 *	cannot do itself
 * @dead: removed from the socket
 * @free_work: frees it, a grace period after its last reference went
 */
struct quic_conn {
	u32			handle;
	u64			cookie;
	refcount_t		refcnt;
	struct quic_sock	*qs;
	const struct quic_cipher *cipher;
	const struct quic_labels *labels;
	struct quic_dir		tx;
	struct quic_dir		rx;
	struct in6_addr		peer_addr;
	__be16			peer_port;
	struct list_head	cid_list;
	struct quic_tokens __rcu *reset_tokens;
	struct work_struct	key_work;
	bool			dead;
	struct rcu_work		free_work;
};

/**
 * struct quic_tokens - Stateless Reset Tokens of a connection
 * @rcu: to free it after readers are gone
 * @n: how many
 * @token: the tokens
 */
struct quic_tokens {
	struct rcu_head		rcu;
	unsigned int		n;
	u8			token[][QUIC_RESET_TOKEN_LEN];
};

/**
 * struct quic_cid_key - what a receive connection ID is found by
 * @addr: peer address (zero-length IDs only), v4-mapped for IPv4
 * @port: peer port (zero-length IDs only)
 * @len: ID length
 * @pad: zero: the whole structure is hashed and compared
 * @id: the ID, zero-padded
 */
struct quic_cid_key {
	struct in6_addr		addr;
	__be16			port;
	u8			len;
	u8			pad;
	u8			id[QUIC_ULP_MAX_CID_LEN];
};

/**
 * struct quic_cid_entry - a connection ID of a connection
 * @node: hash table linkage (Rx)
 * @tree_node: entry in the socket's ordered tree of receive IDs, which
 *	finds the IDs an ID is a prefix of (Rx)
 * @key: the ID
 * @dir: QUIC_ULP_DIR_RX, or QUIC_ULP_DIR_TX for a peer's ID kept for its token
 * @conn: its connection
 * @conn_node: entry in @conn's ID list
 * @has_token: @token holds the peer's Stateless Reset Token for the ID
 * @token: the token
 * @rcu: to free it after readers are gone
 */
struct quic_cid_entry {
	struct rhash_head	node;
	struct rb_node		tree_node;
	struct quic_cid_key	key;
	u8			dir;
	struct quic_conn	*conn;
	struct list_head	conn_node;
	bool			has_token;
	u8			token[QUIC_RESET_TOKEN_LEN];
	struct rcu_head		rcu;
};

/**
 * struct quic_sock - the ULP's state of one socket
 * @sk: the socket; not to be used once it is released
 * @net: its network namespace, held, for counters and limits
 * @refcnt: references from the socket, its connections and datagrams
 *	being received
 * @cids: receive connection IDs
 * @cid_tree: the receive IDs of non-zero length in byte order
 * @conns: connections by handle
 * @nconns: number of connections
 * @rx_lens: bit n set when receive IDs of length n are registered
 * @rx_cid_seq: changes whenever a receive ID is added or removed
 * @len_count: per length, how many receive IDs
 * @rx_async: bytes of received datagrams waiting for an asynchronous AEAD,
 *	counted against the socket's receive buffer
 * @id: its id among its namespace's sockets, until released, which a
 *	netlink dump resumes from
 * @free_work: frees the state after the socket is gone
 */
struct quic_sock {
	struct sock		*sk;
	struct net		*net;
	refcount_t		refcnt;
	struct rhashtable	cids;
	struct rb_root		cid_tree;
	struct xarray		conns;
	u32			nconns;
	u32			rx_lens;
	u32			rx_cid_seq;
	u32			len_count[QUIC_ULP_MAX_CID_LEN + 1];
	atomic_t		rx_async;
	u32			id;
	struct rcu_work		free_work;
};

/* MIB counters, per network namespace: /proc/net/quic_ulp_stat */
enum {
	QUIC_MIB_NUM = 0,
	QUIC_MIB_CURR_CONNS,		/* QuicCurrConns */
	QUIC_MIB_TX_PACKETS,		/* QuicTxPackets */
	QUIC_MIB_TX_BYTES,		/* QuicTxBytes */
	QUIC_MIB_TX_KEY_UPDATES,	/* QuicTxKeyUpdates */
	QUIC_MIB_TX_OLD_KEY,		/* QuicTxOldKey */
	QUIC_MIB_TX_ERR_REQUEST,	/* QuicTxErrRequest */
	QUIC_MIB_TX_ERR_PACKET,		/* QuicTxErrPacket */
	QUIC_MIB_TX_ERR_NO_CONN,	/* QuicTxErrNoConn */
	QUIC_MIB_TX_ERR_NO_KEY,		/* QuicTxErrNoKey */
	QUIC_MIB_TX_ERR_KEY_REJECTED,	/* QuicTxErrKeyRejected */
	QUIC_MIB_TX_ERR_PN_REUSED,	/* QuicTxErrPnReused */
	QUIC_MIB_TX_ERR_KEY_EXPIRED,	/* QuicTxErrKeyExpired */
	QUIC_MIB_TX_ERR_BUSY,		/* QuicTxErrBusy */
	QUIC_MIB_TX_ERR_UNSUPPORTED,	/* QuicTxErrUnsupported */
	QUIC_MIB_TX_ERR_NOMEM,		/* QuicTxErrNoMem */
	QUIC_MIB_TX_ERR_CRYPTO,		/* QuicTxErrCrypto */
	QUIC_MIB_RX_PACKETS,		/* QuicRxPackets */
	QUIC_MIB_RX_BYTES,		/* QuicRxBytes */
	QUIC_MIB_RX_PASSTHROUGH,	/* QuicRxPassthrough */
	QUIC_MIB_RX_KEY_UPDATES,	/* QuicRxKeyUpdates */
	QUIC_MIB_RX_OLD_KEY,		/* QuicRxOldKey */
	QUIC_MIB_RX_AUTH_FAILURES,	/* QuicRxAuthFailures */
	QUIC_MIB_RX_MALFORMED,		/* QuicRxMalformed */
	QUIC_MIB_RX_RESET,		/* QuicRxStatelessReset */
	QUIC_MIB_RX_NO_NEXT_KEY,	/* QuicRxNoNextKey */
	QUIC_MIB_RX_LIMIT_DROPS,	/* QuicRxLimitDrops */
	QUIC_MIB_RX_LIMIT_REACHED,	/* QuicRxLimitReached */
	QUIC_MIB_RX_TOO_MANY_SEGS,	/* QuicRxTooManySegs */
	QUIC_MIB_RX_ASYNC_DROPS,	/* QuicRxAsyncDrops */
	QUIC_MIB_RX_ERR_NOMEM,		/* QuicRxErrNoMem */
	QUIC_MIB_RX_ERR_CRYPTO,		/* QuicRxErrCrypto */
	QUIC_MIB_TX_DEVICE,		/* QuicTxDevice */
	QUIC_MIB_TX_DEV_FALLBACK,	/* QuicTxDevFallback */
	QUIC_MIB_TX_DEV_DROPS,		/* QuicTxDevDrops */
	QUIC_MIB_TX_SW_NO_CTX,		/* QuicTxSwNoCtx */
	QUIC_MIB_TX_SW_ROUTE,		/* QuicTxSwRoute */
	QUIC_MIB_TX_SW_KEY,		/* QuicTxSwKey */
	QUIC_MIB_TX_SW_SHAPE,		/* QuicTxSwShape */
	QUIC_MIB_RX_DEVICE,		/* QuicRxDevice */
	QUIC_MIB_RX_DEV_MISMATCH,	/* QuicRxDevMismatch */
	QUIC_MIB_RX_SW_OFFLOADED,	/* QuicRxSwOffloaded */
	QUIC_MIB_DEV_CTX_ADDED,		/* QuicDevCtxAdded */
	QUIC_MIB_DEV_CTX_FAILED,	/* QuicDevCtxFailed */
	QUIC_MIB_DEV_CTX_REMOVED,	/* QuicDevCtxRemoved */
	QUIC_MIB_DEV_CTX_CURR,		/* QuicDevCtxCurr */
	QUIC_MIB_DEV_KEYS_ADDED,	/* QuicDevKeysAdded */
	QUIC_MIB_DEV_KEYS_FAILED,	/* QuicDevKeysFailed */
	QUIC_MIB_DEV_KEYS_REMOVED,	/* QuicDevKeysRemoved */
	QUIC_MIB_MAX
};

/* 64-bit counters, byte counts included, on 32-bit hosts too */
struct quic_mib {
	u64			mibs[QUIC_MIB_MAX];
	struct u64_stats_sync	syncp;
};

struct quic_mib __percpu *quic_ulp_net_mib(const struct net *net);

#define QUIC_INC_STATS(net, field) \
	SNMP_ADD_STATS64(quic_ulp_net_mib(net), field, 1)
#define QUIC_ADD_STATS(net, field, val) \
	SNMP_ADD_STATS64(quic_ulp_net_mib(net), field, val)
#define QUIC_DEC_STATS(net, field) \
	SNMP_ADD_STATS64(quic_ulp_net_mib(net), field, -1)

/* main.c: the per-network-namespace limits (sysctl net.quic_ulp.*) */
unsigned int quic_ulp_max_conns(const struct net *net);
unsigned int quic_ulp_max_cids(const struct net *net);
bool quic_ulp_net_charge_conn(struct net *net);
void quic_ulp_net_uncharge_conn(struct net *net);
void quic_ulp_net_stats(const struct net *net, u64 *stats);
struct quic_sock *quic_ulp_net_sock_get(struct net *net, u64 id);
void quic_ulp_net_sock_put(struct quic_sock *qs);

/* netlink.c: the quic-ulp generic netlink family */
int quic_ulp_nl_init(void);
void quic_ulp_nl_exit(void);
void quic_ulp_nl_key_update(struct sock *sk, const struct quic_conn *conn,
			    u8 dir, u32 key_updates);
void quic_ulp_nl_limit(struct sock *sk, const struct quic_conn *conn, u8 dir,
		       u32 key_updates, u64 packets);

extern struct workqueue_struct *quic_ulp_wq;

/* crypto.c: the primitives of RFC 9001, section 5 */
const struct quic_cipher *quic_ulp_cipher_find(u16 suite);
const struct quic_labels *quic_ulp_labels_find(u32 version);
int quic_ulp_hkdf_expand_label(const struct quic_cipher *cipher,
			       const u8 *secret, const char *label, u8 *out,
			       unsigned int len);
int quic_ulp_hp_key_init(struct quic_hp_key *hp,
			 const struct quic_cipher *cipher,
			 const struct quic_labels *labels, const u8 *secret,
			 bool batch);
void quic_ulp_hp_key_free(struct quic_hp_key *hp);
void quic_ulp_hp_mask(const struct quic_hp_key *hp, const struct quic_cipher *cipher,
		      const u8 *sample, u8 *mask);
int quic_ulp_hp_masks(const struct quic_hp_key *hp,
		      const struct quic_cipher *cipher, u8 *blocks,
		      unsigned int n);

/* The masks of a run take one AES-ECB call from this many packets on:
 * below, its walk and FPU section cost more than one library call each
 */
#define QUIC_HP_ECB_MIN		4

/* Whether the masks of @n packets take one call (quic_ulp_hp_masks()) */
static inline bool quic_ulp_hp_batch(const struct quic_hp_key *hp,
				     unsigned int n)
{
	return hp->ecb && n >= QUIC_HP_ECB_MIN;
}

void quic_ulp_nonce(u8 *nonce, const u8 *iv, u64 pn, bool ccm);

/* An skb entry for each frag of a packet spread over the most frags */
#define QUIC_MAX_SG		(MAX_SKB_FRAGS + 2)

/* Segments sent in one run: their generations chosen under one hold of
 * the direction's lock, their header protection masks made in one call
 */
#define QUIC_TX_RUN		16

/**
 * struct quic_rx_pkt - the received packet being unprotected
 * @conn: its connection, held
 * @gen: the generation trying it, held
 * @choice: which generation that is
 * @tag: where its tag is, when the scatterlist prepared for its AEAD has
 *	the tag in one addressable piece; NULL otherwise, or when no AEAD was
 *	prepared for it
 * @pn: full packet number
 * @off: offset in the skb
 * @len: length
 * @hdr: its header, unprotected
 * @hdr_len: header length
 * @device: a device authenticated and decrypted it
 */
struct quic_rx_pkt {
	struct quic_conn	*conn;
	struct quic_gen		*gen;
	enum quic_key_choice	choice;
	u8			*tag;
	u64			pn;
	unsigned int		off;
	unsigned int		len;
	u8			hdr[1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN];
	unsigned int		hdr_len;
	bool			device;
};

/**
 * struct quic_rx_last - the last connection a lookup found in a datagram
 * @conn: the connection, held until the datagram is done
 * @seq: the socket's @rx_cid_seq before that lookup
 * @n: how many bytes of the packet after the first the lookup read
 * @cid_len: the length of the ID it matched
 * @id: those @n bytes
 */
struct quic_rx_last {
	struct quic_conn	*conn;
	u32			seq;
	unsigned int		n;
	unsigned int		cid_len;
	u8			id[QUIC_ULP_MAX_CID_LEN];
};

/**
 * struct quic_skb_pos - where in an skb's page fragments a lookup ended
 * @frag: the fragment
 * @start: its offset in the skb
 *
 * The data path reads and writes the packets of a datagram in order: a
 * lookup that starts from where the last one ended, rather than from the
 * first fragment, finds each packet without walking the fragments of
 * those before it. Zeroed for each skb by the code that walks it, and
 * valid while that skb's fragments do not change; a lookup before @start
 * starts from the first fragment again.
 */
struct quic_skb_pos {
	unsigned int		frag;
	unsigned int		start;
};

/**
 * struct quic_rx - the state of one received datagram
 * @sk: the socket; held only while an AEAD is asynchronous (@sk_held)
 * @qs: its ULP state; held likewise
 * @skb: the datagram, payload at skb->data
 * @deliver: how UDP queues it
 * @saddr: source address, v4-mapped for IPv4
 * @sport: source port
 * @len: payload length as received
 * @seg_size: segment size (the whole payload without GRO)
 * @in: offset of the next segment to read
 * @out: where the next kept segment goes
 * @nkept: segments kept
 * @dropped: segments dropped
 * @reason: why the last one was
 * @decrypted: bit n set when kept segment n was decrypted
 * @packets: packets authenticated, counted in the namespace's MIB when the
 *	datagram is done
 * @bytes: their bytes, likewise
 * @sk_held: an AEAD went asynchronous, and the socket was still alive
 *	then: it is held until the datagram is done
 * @charged: bytes counted in the socket's @rx_async meanwhile
 * @handoff: shares in handing the datagram to @work (quic_rx_handoff())
 * @async_err: result of the asynchronous AEAD
 * @pkt: the packet in flight
 * @last: the connection of the last packet matched, for the next ones
 * @pos: where in @skb the last packet was found
 * @work: continues the datagram after an asynchronous AEAD
 */
struct quic_rx {
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
	unsigned int		dropped;
	enum skb_drop_reason	reason;
	u64			decrypted;
	unsigned int		packets;
	unsigned int		bytes;
	bool			sk_held;
	unsigned int		charged;
	atomic_t		handoff;
	int			async_err;
	struct quic_rx_pkt	pkt;
	struct quic_rx_last	last;
	struct quic_skb_pos	pos;
	struct work_struct	work;
};

/**
 * struct quic_crypt - what an AEAD over one packet needs besides the keys
 * @req: the request, sized for the largest AEAD used so far
 * @req_size: its size
 * @sg: scatterlist over the packet
 * @nsg: entries of @sg the last packet used, its end marked
 * @nonce: the nonce (or CCM counter block) of the packet
 * @wait: for a send whose AEAD completes asynchronously
 * @rx: the datagram being received, when one is
 * @samples: on a send, the header protection samples of a run of
 *	packets, one block each, which become their masks (memory a
 *	scatterlist may point to: not on the stack). A block serves one
 *	datagram at a time, received or sent: this shares @rx's space.
 *
 * Each CPU has one (quic_ulp_crypt_get()), used with bottom halves disabled:
 * nothing is allocated per packet. A request that goes asynchronous takes
 * its block with it (quic_ulp_crypt_detach()) until it completes.
 */
struct quic_crypt {
	struct aead_request	*req;
	unsigned int		req_size;
	struct scatterlist	sg[QUIC_MAX_SG];
	unsigned int		nsg;
	u8			nonce[16];
	struct crypto_wait	wait;
	union {
		struct quic_rx	rx;
		u8		samples[QUIC_TX_RUN][QUIC_HP_SAMPLE_LEN];
	};
};

struct quic_crypt *quic_ulp_crypt_alloc(gfp_t gfp);
struct quic_crypt *quic_ulp_crypt_get(void);
void quic_ulp_crypt_put(void);
void quic_ulp_crypt_detach(struct quic_crypt *c);
void quic_ulp_crypt_free(struct quic_crypt *c);
void quic_ulp_crypt_free_all(void);
int quic_ulp_crypt_prepare(struct quic_crypt *c, struct sk_buff *skb,
			   unsigned int off, unsigned int len,
			   const struct quic_gen *gen, struct quic_skb_pos *pos);

/* Where the CPU can address @sg's bytes: not in a highmem page */
static inline u8 *quic_sg_virt(struct scatterlist *sg)
{
	if (PageHighMem(sg_page(sg)))
		return NULL;
	return sg_virt(sg);
}

/**
 * quic_ulp_crypt_head() - the first bytes of the prepared packet, in place
 * @c: the request block, prepared for the packet by quic_ulp_crypt_prepare()
 * @len: how many bytes are wanted in one piece
 *
 * The scatterlist already says where the packet lies: when its first
 * entry holds @len bytes the CPU can address, they are read and written
 * there, without walking the skb again. A failed preparation leaves no
 * entry.
 *
 * Return: a pointer to the packet's first byte, or NULL when the first
 * @len bytes are not in one addressable piece.
 */
static inline u8 *quic_ulp_crypt_head(struct quic_crypt *c, unsigned int len)
{
	if (!c->nsg || c->sg[0].length < len)
		return NULL;
	return quic_sg_virt(&c->sg[0]);
}

/**
 * quic_ulp_crypt_tail() - the last bytes of the prepared packet, in place
 * @c: the request block, prepared for the packet by quic_ulp_crypt_prepare()
 * @len: how many bytes are wanted in one piece
 *
 * As quic_ulp_crypt_head(), for the end of the packet (its tag).
 *
 * Return: a pointer to the first of the packet's last @len bytes, or NULL
 * when they are not in one addressable piece.
 */
static inline u8 *quic_ulp_crypt_tail(struct quic_crypt *c, unsigned int len)
{
	struct scatterlist *sg;
	u8 *p;

	if (!c->nsg)
		return NULL;
	sg = &c->sg[c->nsg - 1];
	if (sg->length < len)
		return NULL;
	p = quic_sg_virt(sg);
	return p ? p + sg->length - len : NULL;
}

int quic_ulp_crypt(struct quic_crypt *c, unsigned int hdr_len,
		   unsigned int text_len, const struct quic_gen *gen,
	       const struct quic_cipher *cipher, u64 pn, bool seal, u32 flags,
	       crypto_completion_t done, void *data);
int quic_ulp_skb_make_writable(struct sk_buff *skb);
const u8 *quic_ulp_skb_peek(const struct sk_buff *skb, unsigned int off,
			    unsigned int len, u8 *buf, struct quic_skb_pos *pos);
u8 *quic_ulp_skb_access(struct sk_buff *skb, unsigned int off,
			unsigned int len, u8 *buf, struct quic_skb_pos *pos);
int quic_ulp_skb_write(struct sk_buff *skb, unsigned int off, const u8 *src,
		       unsigned int len, struct quic_skb_pos *pos);

/* keys.c: generations of keys, installation, selection and rotation */
void quic_ulp_dir_init(struct quic_dir *dir, struct quic_conn *conn);
void quic_ulp_dir_free(struct quic_dir *dir);
int quic_ulp_dir_install(struct quic_dir *dir, const struct quic_ulp_key *key,
			 bool rx);
void quic_ulp_dir_discard_old(struct quic_dir *dir);
void quic_ulp_dir_rotate(struct quic_dir *dir);
void quic_ulp_dir_derive_next(struct quic_dir *dir);
void quic_ulp_gen_released(struct quic_gen *gen);

/* A reference to a generation for a packet: @gen is one of its
 * direction's roles, the direction's lock held. Inline: the data path
 * takes and drops one for every packet.
 */
static inline void quic_ulp_gen_hold(struct quic_gen *gen)
{
	refcount_inc(&gen->refcnt);
}

/* Drop a reference to @gen (or nothing for NULL); the last one frees its
 * slot. Any context.
 */
static inline void quic_ulp_gen_put(struct quic_gen *gen)
{
	if (gen && refcount_dec_and_test(&gen->refcnt))
		quic_ulp_gen_released(gen);
}

static inline bool quic_key_phase(const struct quic_gen *gen)
{
	return gen->number & 1;
}

static inline void quic_gen_view(const struct quic_gen *gen,
				 struct quic_gen_view *view)
{
	view->number = gen->number;
	view->first_pn = gen->first_pn;
	view->largest_pn = gen->largest_pn;
	view->used = gen->used;
}

/* The packet number a direction expects next, the anchor of recovery */
static inline u64 quic_dir_expected_pn(const struct quic_dir *dir)
{
	return dir->have_pn ? dir->largest_pn + 1 : 0;
}

/* conn.c: connections and their IDs */
int quic_ulp_sock_init(struct quic_sock *qs, struct sock *sk);
void quic_ulp_sock_destroy(struct quic_sock *qs);
void quic_ulp_sock_free(struct quic_sock *qs);
void quic_ulp_sock_hold(struct quic_sock *qs);
void quic_ulp_sock_put(struct quic_sock *qs);
struct quic_conn *quic_ulp_conn_create(struct quic_sock *qs, u32 handle,
				       const struct quic_cipher *cipher,
				   const struct quic_labels *labels);
struct quic_conn *quic_ulp_conn_lookup(struct quic_sock *qs, u32 handle);
struct quic_conn *quic_ulp_conn_get(struct quic_sock *qs, u32 handle);
void quic_ulp_conn_put(struct quic_conn *conn);
void quic_ulp_conn_schedule_keys(struct quic_conn *conn);
void quic_ulp_conn_flush_keys(struct quic_conn *conn);
void quic_ulp_conn_delete(struct quic_sock *qs, struct quic_conn *conn);
int quic_ulp_cid_add(struct quic_sock *qs, struct quic_conn *conn, u8 dir,
		     const struct quic_cid_key *key, const u8 *token);
int quic_ulp_cid_del(struct quic_sock *qs, struct quic_conn *conn, u8 dir,
		     const struct quic_cid_key *key);
bool quic_ulp_conn_is_reset(struct quic_conn *conn, const u8 *tail);
struct quic_conn *quic_ulp_cid_find(struct quic_sock *qs, const u8 *id,
				    unsigned int avail, const struct in6_addr *addr,
				__be16 port, unsigned int *len);

/* The ULP state of a socket the caller has locked: set when the ULP was
 * attached, under the lock, and cleared only when the socket is destroyed
 */
static inline struct quic_sock *quic_sk(struct sock *sk)
{
	void *data = rcu_dereference_protected(__sk_user_data(sk),
					       lockdep_sock_is_held(sk));

	/* (no flag is ever set: the ULP owns sk_user_data exclusively) */
	return (struct quic_sock *)((uintptr_t)data & SK_USER_DATA_PTRMASK);
}

/* device.c: packet protection in network devices */
#if IS_ENABLED(CONFIG_QUIC_ULP_DEVICE)
int quic_ulp_dev_init(void);
void quic_ulp_dev_exit(void);
void quic_ulp_dev_dir_init(struct quic_dir *dir, const struct quic_ulp_key *key);
void quic_ulp_dev_dir_clear(struct quic_dir *dir);
void quic_ulp_dev_gen_keyed(struct quic_gen *gen, const u8 *key);
void quic_ulp_dev_sync(struct quic_conn *conn);
void quic_ulp_dev_conn_free(struct quic_conn *conn);
void quic_ulp_dev_sock_init(struct sock *sk);
void quic_ulp_dev_sock_release(struct sock *sk);
bool quic_ulp_dev_tx_take(struct sk_buff *skb, struct quic_conn *conn,
			  const struct quic_ulp_tx_info *first,
			  unsigned int nseg, bool uniform);
int quic_ulp_dev_rx_check(struct sk_buff *skb, struct quic_conn *conn,
			  u64 pn, u32 number);
void quic_ulp_dev_rx_software(struct sk_buff *skb, struct quic_conn *conn);
bool quic_ulp_dev_dir_info(struct quic_dir *dir, u64 *packets, int *ifindex);

static inline bool quic_ulp_dev_allowed(const struct quic_dir *dir)
{
	return dir->dev.allowed;
}

/* A packet of @dir, locked, that its device authenticated */
static inline void quic_dev_count(struct quic_dir *dir)
{
	dir->dev.packets++;
}
#else
static inline int quic_ulp_dev_init(void) { return 0; }
static inline void quic_ulp_dev_exit(void) {}
static inline void quic_ulp_dev_dir_init(struct quic_dir *dir,
					 const struct quic_ulp_key *key) {}
static inline void quic_ulp_dev_dir_clear(struct quic_dir *dir) {}
static inline void quic_ulp_dev_gen_keyed(struct quic_gen *gen, const u8 *key) {}
static inline void quic_ulp_dev_sync(struct quic_conn *conn) {}
static inline void quic_ulp_dev_conn_free(struct quic_conn *conn) {}
static inline void quic_ulp_dev_sock_init(struct sock *sk) {}
static inline void quic_ulp_dev_sock_release(struct sock *sk) {}
static inline bool quic_ulp_dev_tx_take(struct sk_buff *skb,
					struct quic_conn *conn,
					const struct quic_ulp_tx_info *first,
					unsigned int nseg, bool uniform)
{
	return false;
}

static inline int quic_ulp_dev_rx_check(struct sk_buff *skb,
					struct quic_conn *conn, u64 pn,
					u32 number)
{
	return -EOPNOTSUPP;
}

static inline void quic_ulp_dev_rx_software(struct sk_buff *skb,
					    struct quic_conn *conn) {}
static inline bool quic_ulp_dev_dir_info(struct quic_dir *dir, u64 *packets,
					 int *ifindex)
{
	return false;
}

static inline bool quic_ulp_dev_allowed(const struct quic_dir *dir)
{
	return false;
}

static inline void quic_dev_count(struct quic_dir *dir) {}
#endif

/* sockopt.c */
int quic_ulp_setsockopt(struct sock *sk, int optname, sockptr_t optval,
			unsigned int optlen);
int quic_ulp_getsockopt(struct sock *sk, int optname, sockopt_t *opt);
void quic_ulp_dir_info(struct quic_dir *dir, struct quic_ulp_dir_info *info);

/* tx.c, rx.c: the data path */
int quic_ulp_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
			 unsigned int gso_size, const struct udp_ulp_req *req);
int quic_ulp_tx_seal_skb(struct sk_buff *skb, struct quic_conn *conn,
			 u32 number, u64 pn, unsigned int dcid_len,
			 unsigned int npkts, unsigned int *sealed);
int quic_ulp_rcv_skb(struct sock *sk, struct sk_buff *skb,
		     udp_ulp_deliver_t deliver);
void quic_ulp_recv_cmsg(struct sock *sk, struct msghdr *msg, struct sk_buff *skb);

#endif /* _NET_QUIC_QUIC_H */
