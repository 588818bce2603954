// SPDX-License-Identifier: GPL-2.0
/*
 * Generations of 1-RTT keys (RFC 9001, section 6). Each direction of a
 * connection has three slots, each with an AEAD transform: the previous
 * generation, the current one and the next one, derived ahead of the
 * update that will need it. A key update only changes which slot plays
 * which role; the slot that falls out is keyed for the generation after
 * the new current one, from a work item, once no packet uses it any more.
 * Transforms are allocated when the keys are installed, the third one at
 * the first key update: never on the data path.
 */

#include <crypto/aead.h>
#include <crypto/hash.h>
#include <kunit/visibility.h>
#include <linux/slab.h>

#include "quic.h"
#include <trace/events/quic_ulp.h>

/**
 * quic_ulp_dir_init() - set up a direction without keys
 * @dir: the direction
 * @conn: its connection
 */
void quic_ulp_dir_init(struct quic_dir *dir, struct quic_conn *conn)
{
	unsigned int i;

	spin_lock_init(&dir->lock);
	dir->conn = conn;
	for (i = 0; i < QUIC_GENS; i++) {
		dir->slot[i].dir = dir;
		refcount_set(&dir->slot[i].refcnt, 0);
	}
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_dir_init);

/**
 * quic_ulp_dir_free() - free the keys of a direction
 * @dir: the direction, which nothing uses any more
 *
 * Process context: crypto transforms are freed here.
 */
void quic_ulp_dir_free(struct quic_dir *dir)
{
	unsigned int i;

	for (i = 0; i < QUIC_GENS; i++)
		crypto_free_aead(dir->slot[i].aead);
	memzero_explicit(dir->slot, sizeof(dir->slot));
	quic_ulp_hp_key_free(&dir->hp);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_dir_free);

/**
 * quic_ulp_gen_released() - the last reference to a generation is gone
 * @gen: the generation, whose slot is free again
 *
 * If the direction is waiting for a slot to derive its next generation
 * into, that is scheduled. Any context.
 */
void quic_ulp_gen_released(struct quic_gen *gen)
{
	if (!READ_ONCE(gen->dir->next))
		quic_ulp_conn_schedule_keys(gen->dir->conn);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_gen_released);

/* Key a slot for a generation whose traffic secret is @secret */
static int quic_gen_key(struct quic_gen *gen, const struct quic_conn *conn,
			const u8 *secret, u32 number)
{
	const struct quic_cipher *cipher = conn->cipher;
	const struct quic_labels *labels = conn->labels;
	u8 key[32];
	int err;

	memcpy(gen->secret, secret, cipher->secret_len);
	gen->number = number;
	gen->first_pn = U64_MAX;
	gen->largest_pn = 0;
	gen->used = false;
	gen->packets = 0;

	err = quic_ulp_hkdf_expand_label(cipher, secret, labels->key, key,
					 cipher->key_len);
	if (!err)
		err = crypto_aead_setkey(gen->aead, key, cipher->key_len);
	if (!err)
		err = quic_ulp_hkdf_expand_label(cipher, secret, labels->iv,
						 gen->iv, QUIC_IV_LEN);
	if (!err)
		quic_ulp_dev_gen_keyed(gen, key);
	memzero_explicit(key, sizeof(key));
	return err;
}

/* The secret of the generation after the one of @secret ("quic ku") */
static int quic_secret_next(const struct quic_conn *conn, const u8 *secret,
			    u8 *next)
{
	return quic_ulp_hkdf_expand_label(conn->cipher, secret, conn->labels->ku,
					  next, conn->cipher->secret_len);
}

/* A slot's transform, shaped for the connection's suite */
static int quic_gen_alloc(struct quic_gen *gen)
{
	struct crypto_aead *aead;
	int err;

	/* A device's fallback at transmit cannot wait: synchronous only */
	aead = crypto_alloc_aead(gen->dir->conn->cipher->aead, 0,
				 quic_ulp_dev_allowed(gen->dir) ?
				 CRYPTO_ALG_ASYNC : 0);
	if (IS_ERR(aead))
		return PTR_ERR(aead);
	err = crypto_aead_setauthsize(aead, QUIC_ULP_TAG_LEN);
	if (err) {
		crypto_free_aead(aead);
		return err;
	}
	gen->aead = aead;
	return 0;
}

/* The transforms the installation keys: the current and next generations,
 * and the previous one when it is kept. The third slot's comes with the
 * first key update, from the work item, so that a connection that never
 * updates its keys holds two per direction.
 */
static int quic_dir_alloc(struct quic_dir *dir, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		err = quic_gen_alloc(&dir->slot[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Key the slots for what @key describes, before anything can see them */
static int quic_dir_derive(struct quic_dir *dir, const struct quic_ulp_key *key,
			   bool rx)
{
	const struct quic_conn *conn = dir->conn;
	unsigned int len = conn->cipher->secret_len;
	u8 secret[QUIC_ULP_MAX_SECRET_LEN], prev[QUIC_ULP_MAX_SECRET_LEN];
	struct quic_gen *old = NULL, *cur, *next;
	int err;
	u32 i;

	memcpy(secret, key->secret, len);

	/* The header protection key comes from the first secret and stays;
	 * the send path makes the masks of a run of packets at once
	 */
	err = quic_ulp_hp_key_init(&dir->hp, conn->cipher, conn->labels,
				   secret, !rx);
	for (i = 0; !err && i < key->key_updates; i++) {
		memcpy(prev, secret, len);
		err = quic_secret_next(conn, secret, secret);
		cond_resched();
	}

	cur = &dir->slot[0];
	next = &dir->slot[1];
	/* Packets of the previous phase may still arrive; on Tx, nothing
	 * before the installation is the kernel's to send.
	 */
	if (!err && rx && key->key_updates) {
		old = &dir->slot[2];
		err = quic_gen_key(old, conn, prev, key->key_updates - 1);
		memzero_explicit(old->secret, sizeof(old->secret));
	}
	if (!err)
		err = quic_gen_key(cur, conn, secret, key->key_updates);
	if (!err)
		err = quic_secret_next(conn, secret, secret);
	if (!err)
		err = quic_gen_key(next, conn, secret, key->key_updates + 1);
	memzero_explicit(secret, sizeof(secret));
	memzero_explicit(prev, sizeof(prev));
	if (err)
		return err;

	if (rx) {
		/* Below next_pn, the other Key Phase is the previous one */
		if (old)
			cur->first_pn = key->next_pn;
	} else if (key->next_pn) {
		/* Userspace sealed every lower number with these keys */
		cur->first_pn = 0;
		cur->largest_pn = key->next_pn - 1;
		cur->used = true;
	}

	if (old)
		refcount_set(&old->refcnt, 1);
	refcount_set(&cur->refcnt, 1);
	refcount_set(&next->refcnt, 1);
	spin_lock_bh(&dir->lock);
	dir->old = old;
	dir->next = next;
	if (rx) {
		dir->largest_pn = key->next_pn - 1;
		dir->have_pn = key->next_pn > 0;
	} else {
		dir->largest_pn = cur->largest_pn;
		dir->have_pn = cur->used;
	}
	/* Last: the receive path reads the header protection key as soon
	 * as it sees a current generation, without the lock.
	 */
	smp_store_release(&dir->cur, cur);
	spin_unlock_bh(&dir->lock);
	return 0;
}

/**
 * quic_ulp_dir_install() - install the keys of one direction
 * @dir: the direction, without keys
 * @key: what the application passed, checked
 * @rx: the receive direction
 *
 * A direction is keyed once: its packet number state would otherwise
 * rewind. Process context, socket locked.
 *
 * Return: 0, -EEXIST if the direction has keys, or another negative errno,
 * in which case the direction is left without keys.
 */
int quic_ulp_dir_install(struct quic_dir *dir, const struct quic_ulp_key *key,
			 bool rx)
{
	unsigned int i;
	int err;

	if (dir->slot[0].aead)
		return -EEXIST;
	quic_ulp_dev_dir_init(dir, key);
	err = quic_dir_alloc(dir, rx && key->key_updates ? QUIC_GENS : 2);
	if (!err)
		err = quic_dir_derive(dir, key, rx);
	if (err) {
		/* Never published: no packet saw any of it */
		for (i = 0; i < QUIC_GENS; i++) {
			crypto_free_aead(dir->slot[i].aead);
			memzero_explicit(&dir->slot[i], sizeof(dir->slot[i]));
			dir->slot[i].dir = dir;
		}
		quic_ulp_hp_key_free(&dir->hp);
		quic_ulp_dev_dir_clear(dir);
	}
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_dir_install);

/**
 * quic_ulp_dir_discard_old() - drop the previous generation
 * @dir: the direction
 */
void quic_ulp_dir_discard_old(struct quic_dir *dir)
{
	struct quic_conn *conn = dir->conn;
	struct quic_gen *old;

	spin_lock_bh(&dir->lock);
	old = dir->old;
	dir->old = NULL;
	spin_unlock_bh(&dir->lock);
	if (old)
		trace_quic_ulp_old_keys_discarded(conn->qs->sk, conn->handle,
						  dir == &conn->tx ?
						  QUIC_ULP_DIR_TX :
						  QUIC_ULP_DIR_RX,
						  old->number);
	quic_ulp_gen_put(old);
}

/**
 * quic_ulp_dir_rotate() - make the next generation current (RFC 9001, 6.2)
 * @dir: the direction, locked, with a next generation
 *
 * The previous generation is dropped, the current one becomes previous
 * and forgets its secret, which only the derivation of its successor
 * needed. The next generation after the new current one is derived from
 * a work item once a slot is free.
 */
void quic_ulp_dir_rotate(struct quic_dir *dir)
{
	struct quic_gen *retired = dir->old;

	lockdep_assert_held(&dir->lock);
	dir->old = dir->cur;
	WRITE_ONCE(dir->cur, dir->next);
	WRITE_ONCE(dir->next, NULL);
	memzero_explicit(dir->old->secret, sizeof(dir->old->secret));
	quic_ulp_gen_put(retired);
	quic_ulp_conn_schedule_keys(dir->conn);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_dir_rotate);

/* A slot no generation role and no packet holds. Its count is a
 * refcount_t that means "free" at 0, and is set again to 1 when the slot
 * is claimed: never incremented from 0.
 */
static struct quic_gen *quic_dir_free_slot(struct quic_dir *dir)
{
	unsigned int i;

	for (i = 0; i < QUIC_GENS; i++) {
		if (refcount_read(&dir->slot[i].refcnt))
			continue;
		/* The last packet's use of the slot happened before the
		 * release in its refcount_dec_and_test(): see it done
		 * before keying the slot anew
		 */
		smp_acquire__after_ctrl_dep();
		return &dir->slot[i];
	}
	return NULL;
}

/**
 * quic_ulp_dir_derive_next() - derive the next generation if it is missing
 * @dir: the direction
 *
 * Process context. Does nothing without a free slot: the packet that
 * frees one schedules this again. The first time the third slot is used,
 * its transform is allocated here. A failure (out of memory) leaves the
 * direction without next keys until the data path asks again.
 */
void quic_ulp_dir_derive_next(struct quic_dir *dir)
{
	u8 secret[QUIC_ULP_MAX_SECRET_LEN];
	struct quic_gen *slot;
	u32 number;
	int err;

	spin_lock_bh(&dir->lock);
	if (!dir->cur || dir->next || dir->cur->number == U32_MAX) {
		spin_unlock_bh(&dir->lock);
		return;
	}
	slot = quic_dir_free_slot(dir);
	if (!slot) {
		spin_unlock_bh(&dir->lock);
		return;
	}
	/* Ours until published: no role, so no packet can take it */
	refcount_set(&slot->refcnt, 1);
	memcpy(secret, dir->cur->secret, sizeof(secret));
	number = dir->cur->number + 1;
	spin_unlock_bh(&dir->lock);

	err = slot->aead ? 0 : quic_gen_alloc(slot);
	if (!err)
		err = quic_secret_next(dir->conn, secret, secret);
	if (!err)
		err = quic_gen_key(slot, dir->conn, secret, number);
	memzero_explicit(secret, sizeof(secret));

	spin_lock_bh(&dir->lock);
	/* Only an update can change the current generation, and it needs
	 * the next one: nothing raced with us, but check it all the same.
	 */
	if (!err && dir->cur && !dir->next && dir->cur->number + 1 == number) {
		WRITE_ONCE(dir->next, slot);
		slot = NULL;
	}
	if (slot) {
		memzero_explicit(slot->secret, sizeof(slot->secret));
		refcount_set(&slot->refcnt, 0);
	}
	spin_unlock_bh(&dir->lock);
	if (err)
		QUIC_INC_STATS(dir->conn->qs->net, dir == &dir->conn->rx ?
			       QUIC_MIB_RX_ERR_NOMEM : QUIC_MIB_TX_ERR_NOMEM);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_dir_derive_next);
