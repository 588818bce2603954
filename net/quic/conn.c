// SPDX-License-Identifier: GPL-2.0
/*
 * Connections and their connection IDs.
 *
 * The sender names a packet's connection by its handle, so only received
 * packets are matched by connection ID, and only against the IDs this
 * socket issued itself. A short header does not say how long its
 * Destination Connection ID is: a received packet is looked up once per
 * ID length registered on the socket (usually one), which is unambiguous
 * because no receive ID may be a prefix of another one (adding one checks
 * its prefixes in the hash table and the IDs it would prefix, which follow
 * it in a tree ordered by bytes). A zero-length ID is looked up by the
 * peer's address; a packet that matches both that and an ID of another
 * connection is left to the application rather than opened with a guess.
 * The peer's IDs are kept per connection, for their Stateless Reset Tokens
 * only: nothing on the socket depends on what a peer chooses.
 */

#include <crypto/algapi.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "quic.h"

static const struct rhashtable_params quic_cid_params = {
	.head_offset		= offsetof(struct quic_cid_entry, node),
	.key_offset		= offsetof(struct quic_cid_entry, key),
	.key_len		= sizeof(struct quic_cid_key),
	.automatic_shrinking	= true,
};

static atomic64_t quic_conn_cookies;

static struct quic_dir *quic_conn_dir(struct quic_conn *conn, u8 dir)
{
	return dir == QUIC_ULP_DIR_TX ? &conn->tx : &conn->rx;
}

static void quic_conn_key_work(struct work_struct *work)
{
	struct quic_conn *conn = container_of(work, struct quic_conn, key_work);

	quic_ulp_dir_derive_next(&conn->tx);
	quic_ulp_dir_derive_next(&conn->rx);
	quic_ulp_dev_sync(conn);
	quic_ulp_conn_put(conn);
}

/* Process context, a grace period after the last reference went */
static void quic_conn_free_work(struct work_struct *work)
{
	struct quic_conn *conn = container_of(to_rcu_work(work),
					      struct quic_conn, free_work);
	struct quic_sock *qs = conn->qs;

	quic_ulp_dev_conn_free(conn);
	quic_ulp_dir_free(&conn->tx);
	quic_ulp_dir_free(&conn->rx);
	kfree_sensitive(rcu_dereference_protected(conn->reset_tokens, true));
	kfree_sensitive(conn);
	quic_ulp_net_uncharge_conn(qs->net);
	quic_ulp_sock_put(qs);
}

/**
 * quic_ulp_conn_put() - drop a reference to a connection
 * @conn: the connection
 *
 * The last one frees it, keys and all, from the workqueue after an RCU
 * grace period. Any context.
 */
void quic_ulp_conn_put(struct quic_conn *conn)
{
	if (refcount_dec_and_test(&conn->refcnt))
		queue_rcu_work(quic_ulp_wq, &conn->free_work);
}

/**
 * quic_ulp_conn_schedule_keys() - derive missing next generations soon
 * @conn: the connection; nothing happens if it is being freed
 *
 * Any context.
 */
void quic_ulp_conn_schedule_keys(struct quic_conn *conn)
{
	if (!refcount_inc_not_zero(&conn->refcnt))
		return;
	if (!queue_work(quic_ulp_wq, &conn->key_work))
		quic_ulp_conn_put(conn);
}

/**
 * quic_ulp_conn_flush_keys() - wait for a scheduled derivation
 * @conn: the connection, held
 *
 * Process context.
 */
void quic_ulp_conn_flush_keys(struct quic_conn *conn)
{
	flush_work(&conn->key_work);
}

/**
 * quic_ulp_conn_lookup() - the connection of a handle
 * @qs: the socket, locked
 * @handle: the application's handle
 *
 * Return: the connection, or NULL.
 */
struct quic_conn *quic_ulp_conn_lookup(struct quic_sock *qs, u32 handle)
{
	return xa_load(&qs->conns, handle);
}

/**
 * quic_ulp_conn_get() - the connection of a handle, from the data path
 * @qs: the socket
 * @handle: the application's handle
 *
 * Called under rcu_read_lock().
 *
 * Return: the connection with a reference held, or NULL if there is none
 * or it is being removed.
 */
struct quic_conn *quic_ulp_conn_get(struct quic_sock *qs, u32 handle)
{
	struct quic_conn *conn = xa_load(&qs->conns, handle);

	if (!conn || !refcount_inc_not_zero(&conn->refcnt))
		return NULL;
	if (READ_ONCE(conn->dead)) {
		quic_ulp_conn_put(conn);
		return NULL;
	}
	return conn;
}

/**
 * quic_ulp_conn_create() - add a connection to the socket
 * @qs: the socket, locked
 * @handle: the application's handle, not yet in use
 * @cipher: its cipher suite, for both directions and its whole life
 * @labels: its QUIC version's labels, likewise
 *
 * Return: the connection or an ERR_PTR(): -ENOSPC past the network
 * namespace's limits, per socket or in all.
 */
struct quic_conn *quic_ulp_conn_create(struct quic_sock *qs, u32 handle,
				       const struct quic_cipher *cipher,
				   const struct quic_labels *labels)
{
	struct quic_conn *conn;
	int err;

	if (qs->nconns >= quic_ulp_max_conns(qs->net))
		return ERR_PTR(-ENOSPC);
	/* Counted until its memory is freed, not until it is removed */
	if (!quic_ulp_net_charge_conn(qs->net))
		return ERR_PTR(-ENOSPC);
	conn = kzalloc_obj(*conn, GFP_KERNEL_ACCOUNT);
	if (!conn) {
		quic_ulp_net_uncharge_conn(qs->net);
		return ERR_PTR(-ENOMEM);
	}
	conn->handle = handle;
	conn->cookie = atomic64_inc_return(&quic_conn_cookies);
	conn->qs = qs;
	conn->cipher = cipher;
	conn->labels = labels;
	refcount_set(&conn->refcnt, 1);
	quic_ulp_dir_init(&conn->tx, conn);
	quic_ulp_dir_init(&conn->rx, conn);
	INIT_LIST_HEAD(&conn->cid_list);
	INIT_WORK(&conn->key_work, quic_conn_key_work);
	INIT_RCU_WORK(&conn->free_work, quic_conn_free_work);

	err = xa_insert(&qs->conns, handle, conn, GFP_KERNEL_ACCOUNT);
	if (err) {
		kfree(conn);
		quic_ulp_net_uncharge_conn(qs->net);
		return ERR_PTR(err);
	}
	/* Freed after the socket state is gone: counters, limits, module */
	quic_ulp_sock_hold(qs);
	/* (read without the socket lock by sock_diag) */
	WRITE_ONCE(qs->nconns, qs->nconns + 1);
	QUIC_INC_STATS(qs->net, QUIC_MIB_CURR_CONNS);
	return conn;
}

static void quic_tokens_free(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct quic_tokens, rcu));
}

static void quic_cid_key_fill(struct quic_cid_key *key, u8 len, const u8 *id,
			      const struct in6_addr *addr, __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->len = len;
	if (len) {
		memcpy(key->id, id, len);
	} else {
		key->addr = *addr;
		key->port = port;
	}
}

static struct quic_cid_entry *
quic_cid_lookup(struct quic_sock *qs, const struct quic_cid_key *key)
{
	return rhashtable_lookup_fast(&qs->cids, key, quic_cid_params);
}

/* Byte order, a prefix before what it prefixes */
static int quic_cid_cmp(const struct quic_cid_key *a,
			const struct quic_cid_key *b)
{
	int c = memcmp(a->id, b->id, min(a->len, b->len));

	return c ?: a->len - b->len;
}

/* Does @key prefix a longer ID? The IDs it prefixes come right after it. */
static bool quic_cid_prefixes_another(struct quic_sock *qs,
				      const struct quic_cid_key *key)
{
	struct rb_node *node = qs->cid_tree.rb_node;
	struct quic_cid_entry *cid, *next = NULL;

	while (node) {
		cid = rb_entry(node, struct quic_cid_entry, tree_node);
		if (quic_cid_cmp(&cid->key, key) >= 0) {
			next = cid;
			node = node->rb_left;
		} else {
			node = node->rb_right;
		}
	}
	return next && next->key.len > key->len &&
	       !memcmp(next->key.id, key->id, key->len);
}

/* Is a shorter receive ID a prefix of @key? */
static bool quic_cid_has_prefix(struct quic_sock *qs,
				const struct quic_cid_key *key)
{
	unsigned long lens = qs->rx_lens;
	struct quic_cid_key prefix;
	unsigned int len;

	for_each_set_bit(len, &lens, key->len) {
		if (!len)
			continue;
		quic_cid_key_fill(&prefix, len, key->id, NULL, 0);
		if (quic_cid_lookup(qs, &prefix))
			return true;
	}
	return false;
}

static void quic_cid_tree_insert(struct quic_sock *qs,
				 struct quic_cid_entry *cid)
{
	struct rb_node **link = &qs->cid_tree.rb_node, *parent = NULL;
	struct quic_cid_entry *other;

	while (*link) {
		parent = *link;
		other = rb_entry(parent, struct quic_cid_entry, tree_node);
		if (quic_cid_cmp(&cid->key, &other->key) < 0)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&cid->tree_node, parent, link);
	rb_insert_color(&cid->tree_node, &qs->cid_tree);
}

/* Rebuild the connection's list of Stateless Reset Tokens */
static int quic_conn_set_tokens(struct quic_conn *conn)
{
	struct quic_tokens *tokens = NULL, *old;
	struct quic_cid_entry *cid;
	unsigned int n = 0;

	list_for_each_entry(cid, &conn->cid_list, conn_node)
		n += cid->has_token;
	if (n) {
		tokens = kmalloc(struct_size(tokens, token, n),
				 GFP_KERNEL_ACCOUNT);
		if (!tokens)
			return -ENOMEM;
		tokens->n = 0;
		list_for_each_entry(cid, &conn->cid_list, conn_node)
			if (cid->has_token)
				memcpy(tokens->token[tokens->n++], cid->token,
				       QUIC_RESET_TOKEN_LEN);
	}
	old = rcu_replace_pointer(conn->reset_tokens, tokens, true);
	if (old)
		call_rcu(&old->rcu, quic_tokens_free);
	return 0;
}

/* Forget all of the connection's tokens at once */
static void quic_conn_drop_tokens(struct quic_conn *conn)
{
	struct quic_tokens *old;

	old = rcu_replace_pointer(conn->reset_tokens, NULL, true);
	if (old)
		call_rcu(&old->rcu, quic_tokens_free);
}

/**
 * quic_ulp_conn_is_reset() - is a packet a Stateless Reset of the connection?
 * @conn: the connection
 * @tail: the last 16 bytes of the packet
 *
 * Compared in constant time (RFC 9000, section 10.3.1). Called under
 * rcu_read_lock().
 *
 * Return: true when @tail is one of the peer's tokens.
 */
bool quic_ulp_conn_is_reset(struct quic_conn *conn, const u8 *tail)
{
	struct quic_tokens *tokens = rcu_dereference(conn->reset_tokens);
	bool match = false;
	unsigned int i;

	for (i = 0; tokens && i < tokens->n; i++)
		match |= !crypto_memneq(tail, tokens->token[i],
					QUIC_RESET_TOKEN_LEN);
	return match;
}

/* A received datagram's later segments may reuse the answer of an earlier
 * lookup while this stays the same
 */
static void quic_rx_cid_changed(struct quic_sock *qs)
{
	/* Pairs with the receive path's acquire: a reader that sees the new
	 * value sees the change to the table too
	 */
	smp_store_release(&qs->rx_cid_seq, qs->rx_cid_seq + 1);
}

/* Remove an ID; @tokens: rebuild the connection's tokens without it */
static void quic_cid_unlink(struct quic_sock *qs, struct quic_cid_entry *cid,
			    bool tokens)
{
	u32 *count = &qs->len_count[cid->key.len];

	if (cid->dir == QUIC_ULP_DIR_RX) {
		rhashtable_remove_fast(&qs->cids, &cid->node, quic_cid_params);
		if (cid->key.len)
			rb_erase(&cid->tree_node, &qs->cid_tree);
		if (!--*count)
			WRITE_ONCE(qs->rx_lens,
				   qs->rx_lens & ~BIT(cid->key.len));
		quic_rx_cid_changed(qs);
	}
	/* (read under RCU by the device's work item) */
	list_del_rcu(&cid->conn_node);
	if (cid->dir == QUIC_ULP_DIR_RX && quic_ulp_dev_allowed(&cid->conn->rx))
		quic_ulp_conn_schedule_keys(cid->conn);
	/* Out of memory: forget all tokens rather than keep this one */
	if (tokens && cid->has_token && quic_conn_set_tokens(cid->conn))
		quic_conn_drop_tokens(cid->conn);
	quic_conn_dir(cid->conn, cid->dir)->cids--;
	kfree_rcu(cid, rcu);
}

/* A peer's ID, unique within its connection only */
static struct quic_cid_entry *quic_tx_cid_find(struct quic_conn *conn,
					       const struct quic_cid_key *key)
{
	struct quic_cid_entry *cid;

	list_for_each_entry(cid, &conn->cid_list, conn_node)
		if (cid->dir == QUIC_ULP_DIR_TX && cid->key.len == key->len &&
		    !memcmp(cid->key.id, key->id, key->len))
			return cid;
	return NULL;
}

static int quic_rx_cid_insert(struct quic_sock *qs, struct quic_cid_entry *cid)
{
	const struct quic_cid_key *key = &cid->key;
	int err;

	if (key->len && (quic_cid_has_prefix(qs, key) ||
			 quic_cid_prefixes_another(qs, key)))
		return -EEXIST;
	err = rhashtable_lookup_insert_fast(&qs->cids, &cid->node,
					    quic_cid_params);
	if (err)
		return err;
	if (key->len)
		quic_cid_tree_insert(qs, cid);
	qs->len_count[key->len]++;
	WRITE_ONCE(qs->rx_lens, qs->rx_lens | BIT(key->len));
	quic_rx_cid_changed(qs);
	return 0;
}

/**
 * quic_ulp_cid_add() - add a connection ID to a connection
 * @qs: the socket, locked
 * @conn: the connection
 * @dir: QUIC_ULP_DIR_RX for an ID of ours, QUIC_ULP_DIR_TX for one of the peer's
 * @key: the ID (zero-length receive IDs: with the peer's address)
 * @token: the peer's Stateless Reset Token for a Tx ID, or NULL
 *
 * Return: 0; -EEXIST if the ID is there, or, for a receive ID, is a
 * prefix of another one or has one as prefix; -ENOSPC past the network
 * namespace's per-connection limit; -ENOMEM.
 */
int quic_ulp_cid_add(struct quic_sock *qs, struct quic_conn *conn, u8 dir,
		     const struct quic_cid_key *key, const u8 *token)
{
	struct quic_dir *d = quic_conn_dir(conn, dir);
	struct quic_cid_entry *cid;
	int err;

	if (d->cids >= quic_ulp_max_cids(qs->net))
		return -ENOSPC;
	if (dir == QUIC_ULP_DIR_TX && quic_tx_cid_find(conn, key))
		return -EEXIST;

	cid = kzalloc_obj(*cid, GFP_KERNEL_ACCOUNT);
	if (!cid)
		return -ENOMEM;
	cid->key = *key;
	cid->dir = dir;
	cid->conn = conn;
	if (token) {
		cid->has_token = true;
		memcpy(cid->token, token, QUIC_RESET_TOKEN_LEN);
	}
	if (dir == QUIC_ULP_DIR_RX) {
		err = quic_rx_cid_insert(qs, cid);
		if (err) {
			kfree(cid);
			return err;
		}
	}
	list_add_tail_rcu(&cid->conn_node, &conn->cid_list);
	d->cids++;
	if (dir == QUIC_ULP_DIR_RX && quic_ulp_dev_allowed(&conn->rx))
		quic_ulp_conn_schedule_keys(conn);
	if (token && quic_conn_set_tokens(conn)) {
		quic_cid_unlink(qs, cid, false);
		return -ENOMEM;
	}
	return 0;
}

/**
 * quic_ulp_cid_del() - remove a connection ID
 * @qs: the socket, locked
 * @conn: the connection it must belong to
 * @dir: its direction
 * @key: the ID
 *
 * Return: 0, or -ENOENT if @conn has no such ID.
 */
int quic_ulp_cid_del(struct quic_sock *qs, struct quic_conn *conn, u8 dir,
		     const struct quic_cid_key *key)
{
	struct quic_cid_entry *cid;

	if (dir == QUIC_ULP_DIR_TX)
		cid = quic_tx_cid_find(conn, key);
	else
		cid = quic_cid_lookup(qs, key);
	if (!cid || cid->conn != conn)
		return -ENOENT;
	quic_cid_unlink(qs, cid, true);
	return 0;
}

/**
 * quic_ulp_cid_find() - the connection a received short-header packet is for
 * @qs: the socket
 * @id: the bytes after the packet's first byte
 * @avail: how many of them may belong to the ID
 * @addr: the peer's address, v4-mapped for IPv4
 * @port: the peer's port
 * @len: set to the ID's length
 *
 * Called under rcu_read_lock().
 *
 * Return: the connection with a reference held, NULL when there is none,
 * ERR_PTR(-ENOTUNIQ) when the packet matches IDs of two connections.
 */
struct quic_conn *quic_ulp_cid_find(struct quic_sock *qs, const u8 *id,
				    unsigned int avail, const struct in6_addr *addr,
				__be16 port, unsigned int *len)
{
	unsigned long lens = READ_ONCE(qs->rx_lens);
	struct quic_cid_entry *cid, *found = NULL;
	struct quic_cid_key key;
	struct quic_conn *conn;
	unsigned int l;

	for_each_set_bit(l, &lens, QUIC_ULP_MAX_CID_LEN + 1) {
		if (l > avail)
			break;
		quic_cid_key_fill(&key, l, id, addr, port);
		cid = quic_cid_lookup(qs, &key);
		if (!cid)
			continue;
		if (found && found->conn != cid->conn)
			return ERR_PTR(-ENOTUNIQ);
		found = cid;
	}
	if (!found)
		return NULL;
	conn = found->conn;
	if (!refcount_inc_not_zero(&conn->refcnt))
		return NULL;
	if (READ_ONCE(conn->dead)) {
		quic_ulp_conn_put(conn);
		return NULL;
	}
	*len = found->key.len;
	return conn;
}

/**
 * quic_ulp_conn_delete() - remove a connection and its IDs from the socket
 * @qs: the socket, locked
 * @conn: the connection
 *
 * Packets in flight hold their own references and finish; from now on
 * sends that name it fail and received packets are not matched to it.
 */
void quic_ulp_conn_delete(struct quic_sock *qs, struct quic_conn *conn)
{
	struct quic_cid_entry *cid, *tmp;

	WRITE_ONCE(conn->dead, true);
	/* Once, rather than once per ID */
	quic_conn_drop_tokens(conn);
	list_for_each_entry_safe(cid, tmp, &conn->cid_list, conn_node)
		quic_cid_unlink(qs, cid, false);
	xa_erase(&qs->conns, conn->handle);
	WRITE_ONCE(qs->nconns, qs->nconns - 1);
	QUIC_DEC_STATS(qs->net, QUIC_MIB_CURR_CONNS);
	quic_ulp_conn_put(conn);
}

/**
 * quic_ulp_sock_init() - set up the ULP state of a socket
 * @qs: the state, zeroed
 * @sk: the socket
 *
 * Return: 0 or a negative errno.
 */
int quic_ulp_sock_init(struct quic_sock *qs, struct sock *sk)
{
	qs->sk = sk;
	qs->cid_tree = RB_ROOT;
	xa_init_flags(&qs->conns, XA_FLAGS_ACCOUNT);
	return rhashtable_init(&qs->cids, &quic_cid_params);
}

/**
 * quic_ulp_sock_destroy() - remove every connection of a socket
 * @qs: the state, unreachable by new lookups
 */
void quic_ulp_sock_destroy(struct quic_sock *qs)
{
	struct quic_conn *conn;
	unsigned long handle;

	xa_for_each(&qs->conns, handle, conn) {
		quic_ulp_conn_delete(qs, conn);
		/* A socket may hold many: close() runs in process context */
		cond_resched();
	}
	xa_destroy(&qs->conns);
}

/**
 * quic_ulp_sock_free() - free what quic_ulp_sock_init() set up
 * @qs: the state, with no connection left and no reader
 */
void quic_ulp_sock_free(struct quic_sock *qs)
{
	rhashtable_destroy(&qs->cids);
}
