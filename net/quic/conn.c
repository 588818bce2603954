// SPDX-License-Identifier: GPL-2.0
/*
 * Connections and their connection IDs.
 *
 * A short header does not say how long its Destination Connection ID is,
 * so a packet is looked up once per ID length registered on the socket
 * (usually one). That is unambiguous because no ID may be a prefix of
 * another one of its direction: adding one checks its prefixes in the hash
 * table and the IDs it would prefix, which follow it in a tree ordered by
 * bytes. A zero-length ID is looked up by the peer's address; a packet that
 * matches both that and an ID of another connection is refused rather than
 * protected with a guess. The Tx path remembers the last ID it found so
 * that a run of packets of one connection, the common case, costs one
 * comparison and no lookup.
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

static struct quic_dir *quic_conn_dir(struct quic_conn *conn, u8 dir)
{
	return dir == QUIC_DIR_TX ? &conn->tx : &conn->rx;
}

static void quic_conn_next_work(struct work_struct *work)
{
	struct quic_conn *conn = container_of(work, struct quic_conn, next_work);

	if (quic_dir_prepare_next(&conn->rx))
		QUIC_INC_STATS(conn->net, QUIC_MIB_RX_ERR_NOMEM);
	quic_conn_put(conn);
}

static void quic_conn_free(struct rcu_head *rcu)
{
	struct quic_conn *conn = container_of(rcu, struct quic_conn, rcu);

	kfree(rcu_dereference_protected(conn->reset_tokens, true));
	kfree(conn);
}

/**
 * quic_conn_put() - drop a reference to a connection
 * @conn: the connection
 *
 * Any context.
 */
void quic_conn_put(struct quic_conn *conn)
{
	if (!refcount_dec_and_test(&conn->refcnt))
		return;
	quic_dir_clear(&conn->tx);
	quic_dir_clear(&conn->rx);
	call_rcu(&conn->rcu, quic_conn_free);
}

/**
 * quic_conn_schedule_next() - derive the next Rx generation in the background
 * @conn: the connection, which just rotated its Rx keys
 *
 * Any context.
 */
void quic_conn_schedule_next(struct quic_conn *conn)
{
	refcount_inc(&conn->refcnt);
	if (!queue_work(quic_wq, &conn->next_work))
		quic_conn_put(conn);
}

/**
 * quic_conn_lookup() - the connection of a handle
 * @qs: the socket, locked
 * @handle: the application's handle
 *
 * Return: the connection, or NULL.
 */
struct quic_conn *quic_conn_lookup(struct quic_sock *qs, u32 handle)
{
	return xa_load(&qs->conns, handle);
}

/**
 * quic_conn_create() - add a connection to the socket
 * @qs: the socket, locked
 * @handle: the application's handle, not yet in use
 * @cipher: its cipher suite, for both directions and its whole life
 * @labels: its QUIC version's labels, likewise
 *
 * Return: the connection or an ERR_PTR(): -ENOSPC past the per-socket limit.
 */
struct quic_conn *quic_conn_create(struct quic_sock *qs, u32 handle,
				   const struct quic_cipher *cipher,
				   const struct quic_labels *labels)
{
	struct net *net = sock_net(qs->sk);
	struct quic_conn *conn;
	int err;

	if (qs->nconns >= READ_ONCE(quic_max_conns))
		return ERR_PTR(-ENOSPC);
	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		return ERR_PTR(-ENOMEM);
	conn->handle = handle;
	conn->qs = qs;
	conn->net = net;
	refcount_set(&conn->refcnt, 1);
	spin_lock_init(&conn->tx.lock);
	spin_lock_init(&conn->rx.lock);
	conn->tx.cipher = cipher;
	conn->rx.cipher = cipher;
	conn->tx.labels = labels;
	conn->rx.labels = labels;
	INIT_LIST_HEAD(&conn->cid_list);
	INIT_WORK(&conn->next_work, quic_conn_next_work);

	err = xa_insert(&qs->conns, handle, conn, GFP_KERNEL_ACCOUNT);
	if (err) {
		kfree(conn);
		return ERR_PTR(err);
	}
	qs->nconns++;
	QUIC_INC_STATS(net, QUIC_MIB_CURR_CONNS);
	return conn;
}

static bool quic_cid_match(const struct quic_cid_entry *cid, const u8 *id,
			   const struct in6_addr *addr, __be16 port)
{
	if (!cid->key.len)
		return cid->key.port == port && ipv6_addr_equal(&cid->key.addr, addr);
	return !memcmp(cid->key.id, id, cid->key.len);
}

static void quic_cid_key_fill(struct quic_cid_key *key, u8 dir, u8 len,
			      const u8 *id, const struct in6_addr *addr,
			      __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->dir = dir;
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
	struct rb_node *node = qs->cid_tree[key->dir - 1].rb_node;
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

/* Is a shorter ID of the same direction a prefix of @key? */
static bool quic_cid_has_prefix(struct quic_sock *qs,
				const struct quic_cid_key *key)
{
	unsigned long lens = qs->lens[key->dir - 1];
	struct quic_cid_key prefix;
	unsigned int len;

	for_each_set_bit(len, &lens, key->len) {
		if (!len)
			continue;
		quic_cid_key_fill(&prefix, key->dir, len, key->id, NULL, 0);
		if (quic_cid_lookup(qs, &prefix))
			return true;
	}
	return false;
}

static void quic_cid_tree_insert(struct quic_sock *qs,
				 struct quic_cid_entry *cid)
{
	struct rb_root *root = &qs->cid_tree[cid->key.dir - 1];
	struct rb_node **link = &root->rb_node, *parent = NULL;
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
	rb_insert_color(&cid->tree_node, root);
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
		tokens = kmalloc(struct_size(tokens, token, n), GFP_KERNEL_ACCOUNT);
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
		kfree_rcu(old, rcu);
	return 0;
}

/**
 * quic_conn_is_reset() - is a packet a Stateless Reset of the connection?
 * @conn: the connection
 * @tail: the last 16 bytes of the packet
 *
 * Compared in constant time (RFC 9000, section 10.3.1). Called under
 * rcu_read_lock().
 *
 * Return: true when @tail is one of the peer's tokens.
 */
bool quic_conn_is_reset(struct quic_conn *conn, const u8 *tail)
{
	struct quic_tokens *tokens = rcu_dereference(conn->reset_tokens);
	bool match = false;
	unsigned int i;

	for (i = 0; tokens && i < tokens->n; i++)
		match |= !crypto_memneq(tail, tokens->token[i],
					QUIC_RESET_TOKEN_LEN);
	return match;
}

static void quic_cid_unlink(struct quic_sock *qs, struct quic_cid_entry *cid)
{
	struct quic_dir *dir = quic_conn_dir(cid->conn, cid->key.dir);
	u32 *count = &qs->len_count[cid->key.dir - 1][cid->key.len];

	rhashtable_remove_fast(&qs->cids, &cid->node, quic_cid_params);
	if (cid->key.len)
		rb_erase(&cid->tree_node, &qs->cid_tree[cid->key.dir - 1]);
	list_del(&cid->conn_node);
	if (cid->has_token && quic_conn_set_tokens(cid->conn)) {
		/* Out of memory: forget all tokens rather than keep this one */
		struct quic_tokens *old;

		old = rcu_replace_pointer(cid->conn->reset_tokens, NULL, true);
		kfree_rcu(old, rcu);
	}
	if (!--*count)
		WRITE_ONCE(qs->lens[cid->key.dir - 1],
			   qs->lens[cid->key.dir - 1] & ~BIT(cid->key.len));
	dir->cids--;
	atomic_inc(&qs->cid_seq);
	if (rcu_access_pointer(qs->tx_cache) == cid)
		RCU_INIT_POINTER(qs->tx_cache, NULL);
	kfree_rcu(cid, rcu);
}

/**
 * quic_cid_add() - map a connection ID to a connection
 * @qs: the socket, locked
 * @conn: the connection
 * @key: the ID, with its direction
 * @token: the peer's Stateless Reset Token for a Tx ID, or NULL
 *
 * Return: 0, or -EEXIST if the ID is there, is a prefix of another ID of
 * its direction or has one as prefix, -ENOSPC past the per-connection
 * limit, -ENOMEM.
 */
int quic_cid_add(struct quic_sock *qs, struct quic_conn *conn,
		 const struct quic_cid_key *key, const u8 *token)
{
	struct quic_dir *dir = quic_conn_dir(conn, key->dir);
	struct quic_cid_entry *cid;
	int err;

	if (dir->cids >= QUIC_MAX_CIDS)
		return -ENOSPC;
	if (key->len && (quic_cid_has_prefix(qs, key) ||
			 quic_cid_prefixes_another(qs, key)))
		return -EEXIST;

	cid = kzalloc(sizeof(*cid), GFP_KERNEL_ACCOUNT);
	if (!cid)
		return -ENOMEM;
	cid->key = *key;
	cid->conn = conn;
	if (token) {
		cid->has_token = true;
		memcpy(cid->token, token, QUIC_RESET_TOKEN_LEN);
	}
	err = rhashtable_lookup_insert_fast(&qs->cids, &cid->node,
					    quic_cid_params);
	if (err) {
		kfree(cid);
		return err;
	}
	list_add_tail(&cid->conn_node, &conn->cid_list);
	if (token && quic_conn_set_tokens(conn)) {
		rhashtable_remove_fast(&qs->cids, &cid->node, quic_cid_params);
		list_del(&cid->conn_node);
		kfree_rcu(cid, rcu);
		return -ENOMEM;
	}
	if (key->len)
		quic_cid_tree_insert(qs, cid);
	qs->len_count[key->dir - 1][key->len]++;
	WRITE_ONCE(qs->lens[key->dir - 1], qs->lens[key->dir - 1] | BIT(key->len));
	dir->cids++;
	atomic_inc(&qs->cid_seq);
	return 0;
}

/**
 * quic_cid_del() - remove a connection ID
 * @qs: the socket, locked
 * @conn: the connection it must belong to
 * @key: the ID, with its direction
 *
 * Return: 0, or -ENOENT if @conn has no such ID.
 */
int quic_cid_del(struct quic_sock *qs, struct quic_conn *conn,
		 const struct quic_cid_key *key)
{
	struct quic_cid_entry *cid = quic_cid_lookup(qs, key);

	if (!cid || cid->conn != conn)
		return -ENOENT;
	quic_cid_unlink(qs, cid);
	return 0;
}

/**
 * quic_cid_find() - the connection a short-header packet belongs to
 * @qs: the socket
 * @dir: QUIC_DIR_TX or QUIC_DIR_RX
 * @id: the bytes after the packet's first byte
 * @avail: how many of them may belong to the ID
 * @addr: the peer's address, v4-mapped for IPv4
 * @port: the peer's port
 * @len: set to the ID's length
 * @use_cache: read and refresh the Tx cache
 *
 * Called under rcu_read_lock().
 *
 * Return: the connection with a reference held, NULL when there is none,
 * ERR_PTR(-ENOTUNIQ) when the packet matches IDs of two connections.
 */
struct quic_conn *quic_cid_find(struct quic_sock *qs, u8 dir,
				const u8 *id, unsigned int avail,
				const struct in6_addr *addr, __be16 port,
				unsigned int *len, bool use_cache)
{
	unsigned long lens = READ_ONCE(qs->lens[dir - 1]);
	unsigned int seq = atomic_read(&qs->cid_seq);
	struct quic_cid_entry *cid, *found = NULL;
	struct quic_cid_key key;
	struct quic_conn *conn;
	unsigned int l;

	if (!lens)
		return NULL;

	if (use_cache) {
		cid = rcu_dereference(qs->tx_cache);
		if (cid && cid->key.dir == dir && cid->key.len <= avail &&
		    READ_ONCE(cid->checked) == seq &&
		    quic_cid_match(cid, id, addr, port)) {
			found = cid;
			goto found;
		}
	}

	for_each_set_bit(l, &lens, QUIC_MAX_CID_LEN + 1) {
		if (l > avail)
			break;
		quic_cid_key_fill(&key, dir, l, id, addr, port);
		cid = quic_cid_lookup(qs, &key);
		if (!cid)
			continue;
		if (found && found->conn != cid->conn)
			return ERR_PTR(-ENOTUNIQ);
		found = cid;
	}
	if (!found)
		return NULL;
	if (use_cache) {
		WRITE_ONCE(found->checked, seq);
		rcu_assign_pointer(qs->tx_cache, found);
	}
found:
	conn = found->conn;
	if (!refcount_inc_not_zero(&conn->refcnt))
		return NULL;
	if (READ_ONCE(conn->dead)) {
		quic_conn_put(conn);
		return NULL;
	}
	*len = found->key.len;
	return conn;
}

/**
 * quic_conn_delete() - remove a connection and its IDs from the socket
 * @qs: the socket, locked
 * @conn: the connection
 *
 * Packets in flight hold their own references and finish.
 */
void quic_conn_delete(struct quic_sock *qs, struct quic_conn *conn)
{
	struct quic_cid_entry *cid, *tmp;

	WRITE_ONCE(conn->dead, true);
	list_for_each_entry_safe(cid, tmp, &conn->cid_list, conn_node)
		quic_cid_unlink(qs, cid);
	xa_erase(&qs->conns, conn->handle);
	qs->nconns--;
	QUIC_DEC_STATS(conn->net, QUIC_MIB_CURR_CONNS);
	quic_conn_put(conn);
}

/**
 * quic_sock_init() - set up the ULP state of a socket
 * @qs: the state
 * @sk: the socket
 *
 * Return: 0 or a negative errno.
 */
int quic_sock_init(struct quic_sock *qs, struct sock *sk)
{
	qs->sk = sk;
	qs->cid_tree[0] = RB_ROOT;
	qs->cid_tree[1] = RB_ROOT;
	xa_init_flags(&qs->conns, XA_FLAGS_ACCOUNT);
	atomic_set(&qs->cid_seq, 0);
	return rhashtable_init(&qs->cids, &quic_cid_params);
}

/**
 * quic_sock_destroy() - remove every connection of a socket
 * @qs: the state, unreachable by new lookups
 */
void quic_sock_destroy(struct quic_sock *qs)
{
	struct quic_conn *conn;
	unsigned long handle;

	xa_for_each(&qs->conns, handle, conn)
		quic_conn_delete(qs, conn);
	xa_destroy(&qs->conns);
}

/**
 * quic_sock_free() - free what quic_sock_init() set up
 * @qs: the state, with no connection left and no reader
 */
void quic_sock_free(struct quic_sock *qs)
{
	rhashtable_destroy(&qs->cids);
}
