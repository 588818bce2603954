// SPDX-License-Identifier: GPL-2.0
/*
 * Generations of 1-RTT keys (RFC 9001, section 6): each direction holds the
 * current generation, the next one, derived before a packet can need it,
 * and the previous one for packets reordered across an update.
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <linux/slab.h>

#include "quic.h"

/* Generations die wherever their last packet is done, softirq included;
 * freeing a crypto transform is left to process context.
 */
static void quic_gens_free_work(struct work_struct *work);
static LLIST_HEAD(quic_gens_to_free);
static DECLARE_WORK(quic_gens_free, quic_gens_free_work);

static void quic_gens_free_work(struct work_struct *work)
{
	struct llist_node *list = llist_del_all(&quic_gens_to_free);
	struct quic_gen *gen, *tmp;

	llist_for_each_entry_safe(gen, tmp, list, free_node) {
		crypto_free_aead(gen->aead);
		kfree_sensitive(gen);
	}
}

/**
 * quic_gen_put() - drop a reference to a generation
 * @gen: the generation, or NULL
 *
 * Any context.
 */
void quic_gen_put(struct quic_gen *gen)
{
	if (gen && refcount_dec_and_test(&gen->refcnt)) {
		llist_add(&gen->free_node, &quic_gens_to_free);
		queue_work(quic_wq, &quic_gens_free);
	}
}

/* Key and IV of a generation from its secret (RFC 9001, section 5.1) */
static int quic_gen_derive(struct quic_gen *gen, const struct quic_cipher *cipher,
			   const struct quic_labels *labels,
			   struct crypto_shash *hkdf)
{
	u8 key[32];
	int err;

	err = quic_hkdf_expand_label(hkdf, gen->secret, labels->key, key,
				     cipher->key_len);
	if (!err)
		err = crypto_aead_setkey(gen->aead, key, cipher->key_len);
	if (!err)
		err = quic_hkdf_expand_label(hkdf, gen->secret, labels->iv,
					     gen->iv, QUIC_IV_LEN);
	memzero_explicit(key, sizeof(key));
	return err;
}

static struct quic_gen *quic_gen_alloc(const struct quic_cipher *cipher,
				       const struct quic_labels *labels,
				       struct crypto_shash *hkdf,
				       const u8 *secret, u32 number)
{
	struct quic_gen *gen;
	int err;

	gen = kzalloc(sizeof(*gen), GFP_KERNEL_ACCOUNT);
	if (!gen)
		return ERR_PTR(-ENOMEM);
	gen->aead = crypto_alloc_aead(cipher->aead, 0, 0);
	if (IS_ERR(gen->aead)) {
		err = PTR_ERR(gen->aead);
		kfree(gen);
		return ERR_PTR(err);
	}
	memcpy(gen->secret, secret, cipher->secret_len);
	gen->number = number;
	gen->first_pn = U64_MAX;
	refcount_set(&gen->refcnt, 1);

	err = crypto_aead_setauthsize(gen->aead, QUIC_TAG_LEN);
	if (!err)
		err = quic_gen_derive(gen, cipher, labels, hkdf);
	if (err) {
		crypto_free_aead(gen->aead);
		kfree_sensitive(gen);
		return ERR_PTR(err);
	}
	return gen;
}

/**
 * quic_gen_next() - derive the generation after @gen ("quic ku")
 * @cipher: the suite
 * @labels: the QUIC version's labels
 * @gen: the generation
 *
 * Process context.
 *
 * Return: the new generation or an ERR_PTR().
 */
struct quic_gen *quic_gen_next(const struct quic_cipher *cipher,
			       const struct quic_labels *labels,
			       const struct quic_gen *gen)
{
	u8 secret[QUIC_MAX_SECRET_LEN];
	struct crypto_shash *hkdf;
	struct quic_gen *next;
	int err;

	hkdf = quic_hkdf_alloc(cipher);
	if (IS_ERR(hkdf))
		return ERR_CAST(hkdf);
	err = quic_hkdf_expand_label(hkdf, gen->secret, labels->ku, secret,
				     cipher->secret_len);
	next = err ? ERR_PTR(err) :
		quic_gen_alloc(cipher, labels, hkdf, secret, gen->number + 1);
	memzero_explicit(secret, sizeof(secret));
	crypto_free_shash(hkdf);
	return next;
}

/* Everything @key asks for, built before any of it replaces what is there */
struct quic_dir_keys {
	struct quic_hp_key	*hp;
	struct quic_gen		*old;
	struct quic_gen		*cur;
	struct quic_gen		*next;
};

static void quic_dir_keys_put(struct quic_dir_keys *keys)
{
	quic_gen_put(keys->old);
	quic_gen_put(keys->cur);
	quic_gen_put(keys->next);
	kfree_sensitive(keys->hp);
	memset(keys, 0, sizeof(*keys));
}

static int quic_dir_keys_derive(struct quic_dir_keys *keys,
				const struct quic_cipher *cipher,
				const struct quic_labels *labels,
				const struct quic_key *key, bool need_next)
{
	u8 secret[QUIC_MAX_SECRET_LEN], prev[QUIC_MAX_SECRET_LEN];
	struct crypto_shash *hkdf;
	int err;
	u32 i;

	memset(keys, 0, sizeof(*keys));
	keys->hp = kzalloc(sizeof(*keys->hp), GFP_KERNEL_ACCOUNT);
	if (!keys->hp)
		return -ENOMEM;
	hkdf = quic_hkdf_alloc(cipher);
	if (IS_ERR(hkdf)) {
		kfree(keys->hp);
		return PTR_ERR(hkdf);
	}
	memcpy(secret, key->secret, cipher->secret_len);

	/* The header protection key comes from the first secret and stays */
	err = quic_hp_key_init(keys->hp, cipher, labels, hkdf, secret);
	for (i = 0; !err && i < key->key_updates; i++) {
		memcpy(prev, secret, cipher->secret_len);
		err = quic_hkdf_expand_label(hkdf, secret, labels->ku, secret,
					     cipher->secret_len);
		cond_resched();
	}
	if (!err && key->key_updates) {
		/* Packets of the previous phase may still be in flight */
		keys->old = quic_gen_alloc(cipher, labels, hkdf, prev,
					   key->key_updates - 1);
		if (IS_ERR(keys->old))
			err = PTR_ERR(keys->old);
	}
	if (!err) {
		keys->cur = quic_gen_alloc(cipher, labels, hkdf, secret,
					   key->key_updates);
		if (IS_ERR(keys->cur))
			err = PTR_ERR(keys->cur);
	}
	if (!err && need_next) {
		keys->next = quic_gen_next(cipher, labels, keys->cur);
		if (IS_ERR(keys->next))
			err = PTR_ERR(keys->next);
	}
	memzero_explicit(secret, sizeof(secret));
	memzero_explicit(prev, sizeof(prev));
	crypto_free_shash(hkdf);
	if (err) {
		if (IS_ERR(keys->old))
			keys->old = NULL;
		if (IS_ERR(keys->cur))
			keys->cur = NULL;
		if (IS_ERR(keys->next))
			keys->next = NULL;
		quic_dir_keys_put(keys);
		return err;
	}
	/* Below next_pn, the other Key Phase is the previous one */
	if (keys->old)
		keys->cur->first_pn = key->next_pn;
	return 0;
}

static void quic_hp_key_free(struct rcu_head *rcu)
{
	kfree_sensitive(container_of(rcu, struct quic_hp_key, rcu));
}

/**
 * quic_dir_install() - install the keys of one direction
 * @dir: the direction, its suite and labels set
 * @key: what the application passed
 * @need_next: derive the next generation now (receive side, where the
 *	data path cannot derive it itself)
 *
 * Replaces what @dir had, packet number state included; on failure @dir is
 * left as it was. Process context.
 *
 * Return: 0 or a negative errno.
 */
int quic_dir_install(struct quic_dir *dir, const struct quic_key *key,
		     bool need_next)
{
	struct quic_gen *old, *cur, *next;
	struct quic_dir_keys keys;
	struct quic_hp_key *hp;
	int err;

	err = quic_dir_keys_derive(&keys, dir->cipher, dir->labels, key,
				   need_next);
	if (err)
		return err;

	spin_lock_bh(&dir->lock);
	old = dir->old;
	cur = dir->cur;
	next = dir->next;
	hp = rcu_replace_pointer(dir->hp, keys.hp, lockdep_is_held(&dir->lock));
	dir->old = keys.old;
	dir->cur = keys.cur;
	dir->next = keys.next;
	dir->largest_pn = key->next_pn - 1;
	dir->have_pn = key->next_pn > 0;
	dir->limit = false;
	spin_unlock_bh(&dir->lock);

	/* Packets in flight hold references to the generations; the header
	 * protection key is read under RCU.
	 */
	quic_gen_put(old);
	quic_gen_put(cur);
	quic_gen_put(next);
	if (hp)
		call_rcu(&hp->rcu, quic_hp_key_free);
	return 0;
}

/**
 * quic_dir_clear() - drop all keys of a direction
 * @dir: the direction, no longer reachable by the data path: its
 *	connection has no reference left
 */
void quic_dir_clear(struct quic_dir *dir)
{
	quic_gen_put(dir->old);
	quic_gen_put(dir->cur);
	quic_gen_put(dir->next);
	dir->old = NULL;
	dir->cur = NULL;
	dir->next = NULL;
	kfree_sensitive(rcu_replace_pointer(dir->hp, NULL, true));
}

/**
 * quic_dir_discard_old() - drop the previous generation
 * @dir: the direction
 */
void quic_dir_discard_old(struct quic_dir *dir)
{
	struct quic_gen *old;

	spin_lock_bh(&dir->lock);
	old = dir->old;
	dir->old = NULL;
	spin_unlock_bh(&dir->lock);
	quic_gen_put(old);
}

/**
 * quic_dir_rotate() - make the next generation current (RFC 9001, 6.2)
 * @dir: the direction, locked, with a next generation
 *
 * The previous generation is dropped, the current one becomes previous.
 * The caller arranges for a new next generation.
 */
void quic_dir_rotate(struct quic_dir *dir)
{
	lockdep_assert_held(&dir->lock);
	quic_gen_put(dir->old);
	dir->old = dir->cur;
	dir->cur = dir->next;
	dir->next = NULL;
}

/**
 * quic_dir_prepare_next() - derive the next generation if it is missing
 * @dir: the direction
 *
 * Process context.
 *
 * Return: 0 or a negative errno.
 */
int quic_dir_prepare_next(struct quic_dir *dir)
{
	struct quic_gen *cur, *next;

	spin_lock_bh(&dir->lock);
	cur = dir->cur;
	if (!cur || dir->next) {
		spin_unlock_bh(&dir->lock);
		return 0;
	}
	refcount_inc(&cur->refcnt);
	spin_unlock_bh(&dir->lock);

	next = quic_gen_next(dir->cipher, dir->labels, cur);
	if (IS_ERR(next)) {
		quic_gen_put(cur);
		return PTR_ERR(next);
	}

	spin_lock_bh(&dir->lock);
	/* Keep it only if no update or reinstallation raced with us */
	if (dir->cur == cur && !dir->next) {
		dir->next = next;
		next = NULL;
	}
	spin_unlock_bh(&dir->lock);
	quic_gen_put(next);
	quic_gen_put(cur);
	return 0;
}
