// SPDX-License-Identifier: GPL-2.0
/*
 * The cryptographic primitives of QUIC packet protection (RFC 9001,
 * section 5): the cipher suites, HKDF-Expand-Label, header protection
 * masks, nonces, and AEAD in place over the payload of an skb.
 */

#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <crypto/hash.h>
#include <linux/kernel.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "quic.h"

static const struct quic_cipher quic_ciphers[] = {
	{
		.suite			= QUIC_CIPHER_AES_128_GCM_SHA256,
		.aead			= "gcm(aes)",
		.hmac			= "hmac(sha256)",
		.secret_len		= 32,
		.key_len		= 16,
		.confidentiality_limit	= 1ULL << 23,
		.integrity_limit	= 1ULL << 52,
	},
	{
		.suite			= QUIC_CIPHER_AES_256_GCM_SHA384,
		.aead			= "gcm(aes)",
		.hmac			= "hmac(sha384)",
		.secret_len		= 48,
		.key_len		= 32,
		.confidentiality_limit	= 1ULL << 23,
		.integrity_limit	= 1ULL << 52,
	},
	{
		.suite			= QUIC_CIPHER_CHACHA20_POLY1305_SHA256,
		.aead			= "rfc7539(chacha20,poly1305)",
		.hmac			= "hmac(sha256)",
		.secret_len		= 32,
		.key_len		= 32,
		.chacha_hp		= true,
		/* RFC 9001 puts it beyond 2^62 packets: no limit */
		.confidentiality_limit	= U64_MAX,
		.integrity_limit	= 1ULL << 36,
	},
	{
		.suite			= QUIC_CIPHER_AES_128_CCM_SHA256,
		.aead			= "ccm(aes)",
		.hmac			= "hmac(sha256)",
		.secret_len		= 32,
		.key_len		= 16,
		.ccm			= true,
		/* 2^21.5, rounded down */
		.confidentiality_limit	= 2965820,
		.integrity_limit	= 2965820,
	},
};

static const struct quic_labels quic_v1_labels = {
	.key	= "quic key",
	.iv	= "quic iv",
	.hp	= "quic hp",
	.ku	= "quic ku",
};

static const struct quic_labels quic_v2_labels = {
	.key	= "quicv2 key",
	.iv	= "quicv2 iv",
	.hp	= "quicv2 hp",
	.ku	= "quicv2 ku",
};

/**
 * quic_labels_find() - the key derivation labels of a QUIC version
 * @version: QUIC_VERSION_1 or QUIC_VERSION_2
 *
 * Return: the labels, or NULL for another version.
 */
const struct quic_labels *quic_labels_find(u32 version)
{
	switch (version) {
	case QUIC_VERSION_1:
		return &quic_v1_labels;
	case QUIC_VERSION_2:
		return &quic_v2_labels;
	default:
		return NULL;
	}
}

/**
 * quic_cipher_find() - the cipher suite of a TLS code point
 * @suite: QUIC_CIPHER_* value
 *
 * Return: the suite, or NULL if QUIC does not use it.
 */
const struct quic_cipher *quic_cipher_find(u16 suite)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(quic_ciphers); i++)
		if (quic_ciphers[i].suite == suite)
			return &quic_ciphers[i];
	return NULL;
}

#define QUIC_LABEL_PREFIX	"tls13 "
#define QUIC_LABEL_MAX		32
#define QUIC_HASH_MAX		64

/**
 * quic_hkdf_alloc() - an HMAC for quic_hkdf_expand_label()
 * @cipher: the suite, whose hash HKDF uses
 *
 * Return: the transform or an ERR_PTR().
 */
struct crypto_shash *quic_hkdf_alloc(const struct quic_cipher *cipher)
{
	return crypto_alloc_shash(cipher->hmac, 0, 0);
}

/**
 * quic_hkdf_expand_label() - HKDF-Expand-Label of TLS 1.3 (RFC 8446, 7.1)
 * @tfm: HMAC of the suite's hash, from quic_hkdf_alloc()
 * @secret: the secret, as long as the hash
 * @label: the label without its "tls13 " prefix, e.g. "quic key"
 *	(at most 32 bytes with the prefix)
 * @out: where the output goes; may be @secret
 * @len: output length, at most 255 hash lengths
 *
 * QUIC always uses an empty context.
 *
 * Return: 0 or a negative errno.
 */
int quic_hkdf_expand_label(struct crypto_shash *tfm, const u8 *secret,
			   const char *label, u8 *out, unsigned int len)
{
	unsigned int hash_len = crypto_shash_digestsize(tfm);
	u8 info[2 + 1 + QUIC_LABEL_MAX + 1], block[QUIC_HASH_MAX];
	size_t label_len = strlen(label);
	unsigned int info_len, done, n;
	u8 counter;
	int err;

	if (WARN_ON_ONCE(label_len + sizeof(QUIC_LABEL_PREFIX) - 1 >
			 QUIC_LABEL_MAX))
		return -EINVAL;
	if (len > 255 * hash_len || hash_len > sizeof(block))
		return -EINVAL;

	/* struct HkdfLabel: length, "tls13 " + label, empty context */
	put_unaligned_be16(len, info);
	info[2] = sizeof(QUIC_LABEL_PREFIX) - 1 + label_len;
	memcpy(info + 3, QUIC_LABEL_PREFIX, sizeof(QUIC_LABEL_PREFIX) - 1);
	memcpy(info + 3 + sizeof(QUIC_LABEL_PREFIX) - 1, label, label_len);
	info_len = 3 + info[2];
	info[info_len++] = 0;

	err = crypto_shash_setkey(tfm, secret, hash_len);
	if (err)
		return err;

	/* T(i) = HMAC(secret, T(i - 1) | info | i) */
	for (done = 0, counter = 1; done < len; done += n, counter++) {
		SHASH_DESC_ON_STACK(desc, tfm);

		desc->tfm = tfm;
		err = crypto_shash_init(desc);
		if (!err && counter > 1)
			err = crypto_shash_update(desc, block, hash_len);
		if (!err)
			err = crypto_shash_update(desc, info, info_len);
		if (!err)
			err = crypto_shash_finup(desc, &counter, 1, block);
		shash_desc_zero(desc);
		if (err)
			break;
		n = min(hash_len, len - done);
		memcpy(out + done, block, n);
	}
	memzero_explicit(block, sizeof(block));
	return err;
}

/**
 * quic_hp_key_init() - derive the header protection key from a secret
 * @hp: where the key goes
 * @cipher: the suite
 * @labels: the QUIC version's labels
 * @tfm: HMAC of the suite's hash
 * @secret: the first 1-RTT secret of the direction
 *
 * Return: 0 or a negative errno.
 */
int quic_hp_key_init(struct quic_hp_key *hp, const struct quic_cipher *cipher,
		     const struct quic_labels *labels, struct crypto_shash *tfm,
		     const u8 *secret)
{
	u8 key[CHACHA_KEY_SIZE];
	int err;

	err = quic_hkdf_expand_label(tfm, secret, labels->hp, key,
				     cipher->key_len);
	if (err)
		goto out;
	if (cipher->chacha_hp) {
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(hp->chacha); i++)
			hp->chacha[i] = get_unaligned_le32(key + 4 * i);
	} else {
		err = aes_expandkey(&hp->aes, key, cipher->key_len);
	}
out:
	memzero_explicit(key, sizeof(key));
	return err;
}

/**
 * quic_hp_mask() - the header protection mask of a sample (RFC 9001, 5.4)
 * @hp: header protection key
 * @cipher: the suite
 * @sample: 16 bytes of ciphertext
 * @mask: the 5-byte mask
 *
 * Any context: the AES and ChaCha20 library code neither sleeps nor
 * uses the FPU.
 */
void quic_hp_mask(const struct quic_hp_key *hp, const struct quic_cipher *cipher,
		  const u8 *sample, u8 *mask)
{
	u8 block[CHACHA_BLOCK_SIZE];

	if (cipher->chacha_hp) {
		u32 state[CHACHA_STATE_WORDS];

		/* counter = sample[0..3] (little endian), nonce = the rest:
		 * exactly ChaCha's 16-byte IV layout
		 */
		chacha_init_generic(state, hp->chacha, sample);
		chacha20_block(state, block);
		memzero_explicit(state, sizeof(state));
	} else {
		aes_encrypt(&hp->aes, block, sample);
	}
	memcpy(mask, block, QUIC_HP_MASK_LEN);
	memzero_explicit(block, sizeof(block));
}

/**
 * quic_nonce() - the AEAD nonce of a packet (RFC 9001, section 5.3)
 * @nonce: output, 16 bytes with @ccm, else QUIC_IV_LEN
 * @iv: the generation's IV
 * @pn: the full packet number
 * @ccm: lay the nonce out as the CCM counter block the crypto API expects
 */
void quic_nonce(u8 *nonce, const u8 *iv, u64 pn, bool ccm)
{
	u8 *n = nonce;
	int i;

	if (ccm) {
		/* flags byte: L' = 15 - nonce length - 1 */
		nonce[0] = 15 - QUIC_IV_LEN - 1;
		memset(nonce + 1 + QUIC_IV_LEN, 0, 16 - 1 - QUIC_IV_LEN);
		n = nonce + 1;
	}
	memcpy(n, iv, QUIC_IV_LEN);
	for (i = 0; i < 8; i++)
		n[QUIC_IV_LEN - 1 - i] ^= pn >> (8 * i);
}

/* How many scatterlist entries the whole of @skb can take */
static unsigned int quic_skb_nsg(const struct sk_buff *skb)
{
	unsigned int n = 1 + skb_shinfo(skb)->nr_frags;
	struct sk_buff *frag;

	skb_walk_frags(skb, frag)
		n += quic_skb_nsg(frag);
	return n;
}

/**
 * quic_skb_make_writable() - make the payload of @skb safe to rewrite
 * @skb: the datagram
 * @gfp: allocation flags
 *
 * Pages that belong to userspace (MSG_ZEROCOPY) or to the page cache
 * (splice), and data shared with a clone (a packet tap), are copied;
 * the usual case, data UDP copied into its own pages, is left alone.
 *
 * Return: 0 or a negative errno.
 */
int quic_skb_make_writable(struct sk_buff *skb, gfp_t gfp)
{
	struct sk_buff *trailer;
	int err;

	if (skb_zcopy(skb)) {
		err = skb_orphan_frags(skb, gfp);
		if (err)
			return err;
	}
	if (skb_cloned(skb) || skb_has_shared_frag(skb) || skb_zcopy(skb) ||
	    skb_has_frag_list(skb)) {
		err = skb_cow_data(skb, 0, &trailer);
		if (err < 0)
			return err;
	}
	return 0;
}

/**
 * quic_crypt_init() - set up AEAD over the payload of @skb
 * @c: the state
 * @skb: the datagram, writable
 * @gfp: allocation flags for this and quic_crypt()
 *
 * Return: 0 or -ENOMEM.
 */
int quic_crypt_init(struct quic_crypt *c, struct sk_buff *skb, gfp_t gfp)
{
	c->gfp = gfp;
	c->nsg = quic_skb_nsg(skb);
	c->sg = kmalloc_array(c->nsg, sizeof(*c->sg), gfp);
	return c->sg ? 0 : -ENOMEM;
}

/**
 * quic_crypt_free() - release what quic_crypt_init() and quic_crypt() took
 * @c: the state
 */
void quic_crypt_free(struct quic_crypt *c)
{
	kfree(c->sg);
	kfree_sensitive(c->req);
	c->sg = NULL;
	c->req = NULL;
}

/**
 * quic_crypt_prepare() - make the request fit a generation's AEAD
 * @c: the state
 * @gen: the generation
 *
 * Return: 0 or -ENOMEM.
 */
int quic_crypt_prepare(struct quic_crypt *c, const struct quic_gen *gen)
{
	unsigned int size = sizeof(*c->req) + crypto_aead_reqsize(gen->aead);

	if (c->req && c->req_size >= size)
		return 0;
	kfree_sensitive(c->req);
	c->req = kmalloc(size, c->gfp);
	c->req_size = c->req ? size : 0;
	return c->req ? 0 : -ENOMEM;
}

/**
 * quic_crypt() - seal or open one packet in place
 * @c: the state, prepared for @gen
 * @skb: the datagram
 * @off: offset of the packet
 * @hdr_len: length of its unprotected header, the associated data
 * @text_len: length of the plaintext; the 16-byte tag follows it
 * @gen: the generation of keys
 * @cipher: the suite
 * @pn: the full packet number
 * @seal: encrypt and tag, or verify and decrypt
 * @done: for asynchronous use (softirq), called when an AEAD that
 *	returned -EINPROGRESS or -EBUSY finishes; NULL to wait instead
 *	(process context)
 * @data: passed to @done
 *
 * Return: 0, -EBADMSG when the packet does not authenticate, -EINPROGRESS
 * or -EBUSY when @done will be called, or another negative errno.
 */
int quic_crypt(struct quic_crypt *c, struct sk_buff *skb, unsigned int off,
	       unsigned int hdr_len, unsigned int text_len,
	       const struct quic_gen *gen, const struct quic_cipher *cipher,
	       u64 pn, bool seal, crypto_completion_t done, void *data)
{
	struct aead_request *req;
	int n, err;

	err = quic_crypt_prepare(c, gen);
	if (err)
		return err;
	req = c->req;
	sg_init_table(c->sg, c->nsg);
	n = skb_to_sgvec(skb, c->sg, off, hdr_len + text_len + QUIC_TAG_LEN);
	if (n < 0)
		return n;
	quic_nonce(c->nonce, gen->iv, pn, cipher->ccm);

	aead_request_set_tfm(req, gen->aead);
	aead_request_set_ad(req, hdr_len);
	aead_request_set_crypt(req, c->sg, c->sg,
			       seal ? text_len : text_len + QUIC_TAG_LEN,
			       c->nonce);
	if (done) {
		aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG,
					  done, data);
		return seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
	}
	crypto_init_wait(&c->wait);
	aead_request_set_callback(req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done,
				  &c->wait);
	return crypto_wait_req(seal ? crypto_aead_encrypt(req) :
			       crypto_aead_decrypt(req), &c->wait);
}

/**
 * quic_seal() - protect one short-header packet in place in an skb
 * @c: AEAD state of the skb
 * @skb: the datagram
 * @off: offset of the packet
 * @len: its length, 16-byte tag space included
 * @hdr: its header, as read from the skb, DCID and packet number included
 * @pn_off: offset of the packet number: 1 + DCID length
 * @gen: the generation of keys
 * @dir: the direction, for its suite and header protection key
 * @pn: the full packet number
 *
 * AEAD first, with the header as associated data, then header protection
 * from a sample of the ciphertext (RFC 9001, section 5). Process context.
 *
 * Return: 0 or a negative errno.
 */
int quic_seal(struct quic_crypt *c, struct sk_buff *skb, unsigned int off,
	      unsigned int len, u8 *hdr, unsigned int pn_off,
	      const struct quic_gen *gen, struct quic_dir *dir, u64 pn)
{
	unsigned int pn_len = (hdr[0] & QUIC_HDR_PN_LEN) + 1;
	unsigned int hdr_len = pn_off + pn_len;
	u8 sample[QUIC_HP_SAMPLE_LEN], mask[QUIC_HP_MASK_LEN];
	int err;

	err = quic_crypt(c, skb, off, hdr_len, len - hdr_len - QUIC_TAG_LEN,
			 gen, dir->cipher, pn, true, NULL, NULL);
	if (err)
		return err;
	if (skb_copy_bits(skb, off + pn_off + QUIC_PN_MAX_LEN, sample,
			  sizeof(sample)))
		return -EFAULT;
	rcu_read_lock();
	quic_hp_mask(rcu_dereference(dir->hp), dir->cipher, sample, mask);
	rcu_read_unlock();
	quic_hp_apply(hdr, pn_off, pn_len, mask);
	memzero_explicit(mask, sizeof(mask));
	return skb_store_bits(skb, off, hdr, hdr_len);
}
