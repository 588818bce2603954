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
#include <linux/llist.h>
#include <linux/refcount.h>
#include <linux/rbtree.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/snmp.h>
#include <net/udp_ulp.h>
#include <uapi/linux/quic.h>

#include "packet.h"

struct crypto_aead;
struct crypto_shash;
struct scatterlist;

#define QUIC_IV_LEN		12
#define QUIC_RESET_TOKEN_LEN	16

/**
 * struct quic_cipher - what a QUIC cipher suite is made of
 * @suite: QUIC_CIPHER_* code point
 * @aead: crypto API name of the AEAD
 * @hmac: crypto API name of the HMAC of the suite's hash
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
	const char	*hmac;
	u8		secret_len;
	u8		key_len;
	bool		chacha_hp;
	bool		ccm;
	u64		confidentiality_limit;
	u64		integrity_limit;
};

/**
 * struct quic_labels - HKDF labels of a QUIC version (RFC 9001, RFC 9369)
 * @key: AEAD key
 * @iv: AEAD IV
 * @hp: header protection key
 * @ku: next generation's secret
 */
struct quic_labels {
	const char	*key;
	const char	*iv;
	const char	*hp;
	const char	*ku;
};

/**
 * struct quic_hp_key - header protection key of one direction
 * @aes: expanded AES key
 * @chacha: ChaCha20 key
 * @rcu: to free it after readers are gone, when keys are reinstalled
 */
struct quic_hp_key {
	union {
		struct crypto_aes_ctx	aes;
		u32			chacha[CHACHA_KEY_SIZE / sizeof(u32)];
	};
	struct rcu_head		rcu;
};

/**
 * struct quic_gen - one generation of 1-RTT keys for one direction
 * @aead: the AEAD, keyed
 * @iv: the IV the nonce is made from
 * @secret: traffic secret this generation was derived from; the next
 *	generation is derived from it
 * @number: key updates before this generation; its Key Phase is the low bit
 * @first_pn: lowest packet number protected or authenticated with it
 * @packets: packets protected or authenticated with it
 * @refcnt: references from the key ring and from packets in flight
 * @free_node: entry on the list of generations to free
 */
struct quic_gen {
	struct crypto_aead	*aead;
	u8			iv[QUIC_IV_LEN];
	u8			secret[QUIC_MAX_SECRET_LEN];
	u32			number;
	u64			first_pn;
	u64			packets;
	refcount_t		refcnt;
	struct llist_node	free_node;
};

/**
 * struct quic_dir - packet protection state of one direction of a connection
 * @lock: protects the generations, packet numbers and counters
 * @cipher: the connection's cipher suite, fixed when it is created
 * @labels: the connection's QUIC version's labels, fixed likewise
 * @old: previous generation, kept for packets reordered across an update
 * @cur: current generation
 * @next: next generation, derived ahead of the update that needs it
 * @hp: header protection key, which key updates never change (RFC 9001,
 *	section 6); replaced, under RCU, only when the keys are reinstalled
 * @largest_pn: largest packet number protected or authenticated so far,
 *	or the next packet number minus one given at installation
 * @have_pn: @largest_pn holds a packet number
 * @limit: the AEAD limit of RFC 9001, section 6.6 was reached
 * @packets: packets protected or authenticated
 * @bytes: their bytes
 * @auth_failures: packets that failed authentication (Rx)
 * @old_key_packets: packets that used @old
 * @cids: connection IDs mapped to the connection in this direction
 */
struct quic_dir {
	spinlock_t		lock;	/* see above */
	const struct quic_cipher *cipher;
	const struct quic_labels *labels;
	struct quic_gen		*old;
	struct quic_gen		*cur;
	struct quic_gen		*next;
	struct quic_hp_key __rcu *hp;
	u64			largest_pn;
	bool			have_pn;
	bool			limit;
	u64			packets;
	u64			bytes;
	u64			auth_failures;
	u64			old_key_packets;
	u16			cids;
};

/**
 * struct quic_conn - a connection whose 1-RTT packets the kernel protects
 * @handle: the application's handle for it
 * @refcnt: references from the socket and from packets in flight
 * @qs: the socket it belongs to
 * @net: network namespace, for counters
 * @tx: Tx state
 * @rx: Rx state
 * @cid_list: its connection IDs (socket lock)
 * @reset_tokens: the peer's Stateless Reset Tokens, from its Tx IDs
 * @next_work: derives the next Rx generation after an update, which the
 *	receive path, in softirq, cannot do itself
 * @dead: removed from the socket
 * @rcu: to free it after readers are gone
 */
struct quic_conn {
	u32			handle;
	refcount_t		refcnt;
	struct quic_sock	*qs;
	struct net		*net;
	struct quic_dir		tx;
	struct quic_dir		rx;
	struct list_head	cid_list;
	struct quic_tokens __rcu *reset_tokens;
	struct work_struct	next_work;
	bool			dead;
	struct rcu_head		rcu;
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
 * struct quic_cid_key - what a connection ID entry is found by
 * @addr: peer address (zero-length IDs only), v4-mapped for IPv4
 * @port: peer port (zero-length IDs only)
 * @dir: QUIC_DIR_TX or QUIC_DIR_RX
 * @len: ID length
 * @id: the ID, zero-padded
 */
struct quic_cid_key {
	struct in6_addr		addr;
	__be16			port;
	u8			dir;
	u8			len;
	u8			id[QUIC_MAX_CID_LEN];
};

/**
 * struct quic_cid_entry - a connection ID in the socket's table
 * @node: hash table linkage
 * @tree_node: entry in the socket's ordered tree of IDs, which finds the
 *	IDs an ID is a prefix of
 * @key: the ID
 * @conn: its connection
 * @conn_node: entry in @conn's ID list
 * @has_token: @token holds the peer's Stateless Reset Token for the ID
 * @token: the token
 * @checked: value of the socket's @cid_seq when the ID was last found to
 *	be the only match of its packets, for the Tx cache
 * @rcu: to free it after readers are gone
 */
struct quic_cid_entry {
	struct rhash_head	node;
	struct rb_node		tree_node;
	struct quic_cid_key	key;
	struct quic_conn	*conn;
	struct list_head	conn_node;
	bool			has_token;
	u8			token[QUIC_RESET_TOKEN_LEN];
	unsigned int		checked;
	struct rcu_head		rcu;
};

/**
 * struct quic_sock - the ULP's state of one socket
 * @sk: the socket
 * @cids: connection IDs of both directions
 * @cid_tree: per direction, the IDs of non-zero length in byte order
 * @conns: connections by handle
 * @nconns: number of connections
 * @lens: per direction, bit n set when IDs of length n are registered
 * @len_count: per direction and length, how many IDs
 * @cid_seq: changes whenever an ID is added or removed
 * @tx_cache: the ID the last packet sent used, when it was unambiguous
 * @refcnt: references from the socket and from datagrams being received
 * @free_work: frees the state after the socket is gone
 */
struct quic_sock {
	struct sock		*sk;
	refcount_t		refcnt;
	struct rhashtable	cids;
	struct rb_root		cid_tree[2];
	struct xarray		conns;
	u32			nconns;
	u32			lens[2];
	u32			len_count[2][QUIC_MAX_CID_LEN + 1];
	atomic_t		cid_seq;
	struct quic_cid_entry __rcu	*tx_cache;
	struct rcu_work		free_work;
};

/* MIB counters, per network namespace: /proc/net/quic_stat */
enum {
	QUIC_MIB_NUM = 0,
	QUIC_MIB_CURR_CONNS,		/* QuicCurrConns */
	QUIC_MIB_TX_PACKETS,		/* QuicTxPackets */
	QUIC_MIB_TX_BYTES,		/* QuicTxBytes */
	QUIC_MIB_TX_PASSTHROUGH,	/* QuicTxPassthrough */
	QUIC_MIB_TX_KEY_UPDATES,	/* QuicTxKeyUpdates */
	QUIC_MIB_TX_OLD_KEY,		/* QuicTxOldKey */
	QUIC_MIB_TX_ERR_MALFORMED,	/* QuicTxErrMalformed */
	QUIC_MIB_TX_ERR_AMBIGUOUS,	/* QuicTxErrAmbiguous */
	QUIC_MIB_TX_ERR_KEY_EXPIRED,	/* QuicTxErrKeyExpired */
	QUIC_MIB_TX_ERR_NOMEM,		/* QuicTxErrNoMem */
	QUIC_MIB_RX_PACKETS,		/* QuicRxPackets */
	QUIC_MIB_RX_BYTES,		/* QuicRxBytes */
	QUIC_MIB_RX_PASSTHROUGH,	/* QuicRxPassthrough */
	QUIC_MIB_RX_KEY_UPDATES,	/* QuicRxKeyUpdates */
	QUIC_MIB_RX_OLD_KEY,		/* QuicRxOldKey */
	QUIC_MIB_RX_AUTH_FAILURES,	/* QuicRxAuthFailures */
	QUIC_MIB_RX_MALFORMED,		/* QuicRxMalformed */
	QUIC_MIB_RX_RESET,		/* QuicRxStatelessReset */
	QUIC_MIB_RX_NO_NEXT_KEY,	/* QuicRxNoNextKey */
	QUIC_MIB_RX_LIMIT,		/* QuicRxLimit */
	QUIC_MIB_RX_ERR_NOMEM,		/* QuicRxErrNoMem */
	QUIC_MIB_MAX
};

struct quic_mib {
	unsigned long	mibs[QUIC_MIB_MAX];
};

struct quic_mib __percpu *quic_net_mib(const struct net *net);

#define QUIC_INC_STATS(net, field) \
	SNMP_INC_STATS(quic_net_mib(net), field)
#define QUIC_ADD_STATS(net, field, val) \
	SNMP_ADD_STATS(quic_net_mib(net), field, val)
#define QUIC_DEC_STATS(net, field) \
	SNMP_DEC_STATS(quic_net_mib(net), field)

extern struct workqueue_struct *quic_wq;
extern unsigned int quic_max_conns;

/* crypto.c: the primitives of RFC 9001, section 5 */
const struct quic_cipher *quic_cipher_find(u16 suite);
const struct quic_labels *quic_labels_find(u32 version);
struct crypto_shash *quic_hkdf_alloc(const struct quic_cipher *cipher);
int quic_hkdf_expand_label(struct crypto_shash *tfm, const u8 *secret,
			   const char *label, u8 *out, unsigned int len);
int quic_hp_key_init(struct quic_hp_key *hp, const struct quic_cipher *cipher,
		     const struct quic_labels *labels, struct crypto_shash *tfm,
		     const u8 *secret);
void quic_hp_mask(const struct quic_hp_key *hp, const struct quic_cipher *cipher,
		  const u8 *sample, u8 *mask);
void quic_nonce(u8 *nonce, const u8 *iv, u64 pn, bool ccm);

/**
 * struct quic_crypt - an AEAD request over packets of one skb
 * @req: the request, sized for the largest AEAD used so far
 * @req_size: its size
 * @sg: scatterlist, room for the whole skb
 * @nsg: its entries
 * @gfp: allocation flags
 * @nonce: the nonce (or CCM counter block) of the packet in flight
 * @wait: for synchronous use
 */
struct quic_crypt {
	struct aead_request	*req;
	unsigned int		req_size;
	struct scatterlist	*sg;
	unsigned int		nsg;
	gfp_t			gfp;
	u8			nonce[16];
	struct crypto_wait	wait;
};

int quic_skb_make_writable(struct sk_buff *skb, gfp_t gfp);
int quic_crypt_init(struct quic_crypt *c, struct sk_buff *skb, gfp_t gfp);
void quic_crypt_free(struct quic_crypt *c);
int quic_crypt_prepare(struct quic_crypt *c, const struct quic_gen *gen);
int quic_crypt(struct quic_crypt *c, struct sk_buff *skb, unsigned int off,
	       unsigned int hdr_len, unsigned int text_len,
	       const struct quic_gen *gen, const struct quic_cipher *cipher,
	       u64 pn, bool seal, crypto_completion_t done, void *data);
int quic_seal(struct quic_crypt *c, struct sk_buff *skb, unsigned int off,
	      unsigned int len, u8 *hdr, unsigned int pn_off,
	      const struct quic_gen *gen, struct quic_dir *dir, u64 pn);

/* keys.c: generations of keys, selection and rotation */
struct quic_gen *quic_gen_next(const struct quic_cipher *cipher,
			       const struct quic_labels *labels,
			       const struct quic_gen *gen);
void quic_gen_put(struct quic_gen *gen);
int quic_dir_install(struct quic_dir *dir, const struct quic_key *key,
		     bool need_next);
void quic_dir_clear(struct quic_dir *dir);
void quic_dir_discard_old(struct quic_dir *dir);

static inline bool quic_key_phase(const struct quic_gen *gen)
{
	return gen->number & 1;
}

void quic_dir_rotate(struct quic_dir *dir);
int quic_dir_prepare_next(struct quic_dir *dir);

/* The packet number a direction expects next, the anchor of recovery */
static inline u64 quic_dir_expected_pn(const struct quic_dir *dir)
{
	return dir->have_pn ? dir->largest_pn + 1 : 0;
}

/* conn.c: connections and their IDs */
int quic_sock_init(struct quic_sock *qs, struct sock *sk);
void quic_sock_destroy(struct quic_sock *qs);
void quic_sock_free(struct quic_sock *qs);
void quic_sock_put(struct quic_sock *qs);
struct quic_conn *quic_conn_create(struct quic_sock *qs, u32 handle,
				   const struct quic_cipher *cipher,
				   const struct quic_labels *labels);
struct quic_conn *quic_conn_lookup(struct quic_sock *qs, u32 handle);
void quic_conn_put(struct quic_conn *conn);
void quic_conn_schedule_next(struct quic_conn *conn);
void quic_conn_delete(struct quic_sock *qs, struct quic_conn *conn);
int quic_cid_add(struct quic_sock *qs, struct quic_conn *conn,
		 const struct quic_cid_key *key, const u8 *token);
int quic_cid_del(struct quic_sock *qs, struct quic_conn *conn,
		 const struct quic_cid_key *key);
bool quic_conn_is_reset(struct quic_conn *conn, const u8 *tail);
struct quic_conn *quic_cid_find(struct quic_sock *qs, u8 dir,
				const u8 *id, unsigned int avail,
				const struct in6_addr *addr, __be16 port,
				unsigned int *len, bool use_cache);

/* The ULP state of a socket, from process context: only the socket's
 * destruction clears it, and nothing else runs on the socket then.
 */
static inline struct quic_sock *quic_sk(const struct sock *sk)
{
	return rcu_dereference_protected(udp_sk(sk)->ulp_data, true);
}

/* sockopt.c */
int quic_setsockopt(struct sock *sk, int optname, sockptr_t optval,
		    unsigned int optlen);
int quic_getsockopt(struct sock *sk, int optname, char __user *optval,
		    int __user *optlen);

/* tx.c, rx.c: the data path */
int quic_sendmsg_skb(struct sock *sk, struct sk_buff *skb,
		     unsigned int gso_size, const struct in6_addr *daddr,
		     __be16 dport);
int quic_rcv_skb(struct sock *sk, struct sk_buff *skb,
		 udp_ulp_deliver_t deliver);
void quic_recv_cmsg(struct sock *sk, struct msghdr *msg, struct sk_buff *skb);

#endif /* _NET_QUIC_QUIC_H */
