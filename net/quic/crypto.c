// SPDX-License-Identifier: GPL-2.0
/*
 * The cryptographic primitives of QUIC packet protection (RFC 9001,
 * section 5): the cipher suites, HKDF-Expand-Label, header protection
 * masks, nonces, and AEAD in place over one packet in an skb, with a
 * request block per CPU.
 */

#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <crypto/sha2.h>
#include <crypto/skcipher.h>
#include <kunit/visibility.h>
#include <linux/kernel.h>
#include <linux/local_lock.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "quic.h"

static const struct quic_cipher quic_ciphers[] = {
	{
		.suite			= QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
		.aead			= "gcm(aes)",
		.secret_len		= 32,
		.key_len		= 16,
		.confidentiality_limit	= 1ULL << 23,
		.integrity_limit	= 1ULL << 52,
	},
	{
		.suite			= QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
		.aead			= "gcm(aes)",
		.secret_len		= 48,
		.key_len		= 32,
		.confidentiality_limit	= 1ULL << 23,
		.integrity_limit	= 1ULL << 52,
	},
	{
		.suite			= QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
		.aead			= "rfc7539(chacha20,poly1305)",
		.secret_len		= 32,
		.key_len		= 32,
		.chacha_hp		= true,
		/* RFC 9001 puts it beyond 2^62 packets: no limit */
		.confidentiality_limit	= U64_MAX,
		.integrity_limit	= 1ULL << 36,
	},
	{
		.suite			= QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
		.aead			= "ccm(aes)",
		.secret_len		= 32,
		.key_len		= 16,
		.ccm			= true,
		/* 2^21.5, rounded down */
		.confidentiality_limit	= 2965820,
		.integrity_limit	= 2965820,
	},
};

static const struct quic_labels quic_v1_labels = {
	.version	= QUIC_ULP_VERSION_1,
	.key	= "quic key",
	.iv	= "quic iv",
	.hp	= "quic hp",
	.ku	= "quic ku",
};

static const struct quic_labels quic_v2_labels = {
	.version	= QUIC_ULP_VERSION_2,
	.key	= "quicv2 key",
	.iv	= "quicv2 iv",
	.hp	= "quicv2 hp",
	.ku	= "quicv2 ku",
};

/**
 * quic_ulp_labels_find() - the key derivation labels of a QUIC version
 * @version: QUIC_ULP_VERSION_1 or QUIC_ULP_VERSION_2
 *
 * Return: the labels, or NULL for another version.
 */
const struct quic_labels *quic_ulp_labels_find(u32 version)
{
	switch (version) {
	case QUIC_ULP_VERSION_1:
		return &quic_v1_labels;
	case QUIC_ULP_VERSION_2:
		return &quic_v2_labels;
	default:
		return NULL;
	}
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_labels_find);

/**
 * quic_ulp_cipher_find() - the cipher suite of a TLS code point
 * @suite: QUIC_ULP_CIPHER_* value
 *
 * Return: the suite, or NULL if QUIC does not use it.
 */
const struct quic_cipher *quic_ulp_cipher_find(u16 suite)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(quic_ciphers); i++)
		if (quic_ciphers[i].suite == suite)
			return &quic_ciphers[i];
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_cipher_find);

#define QUIC_LABEL_PREFIX	"tls13 "
#define QUIC_LABEL_MAX		32

/* One HMAC key, for the hash of the suite */
union quic_hmac_key {
	struct hmac_sha256_key	sha256;
	struct hmac_sha384_key	sha384;
};

/* T(i) = HMAC(secret, T(i - 1) | info | i), into @block (which holds
 * T(i - 1) for i > 1)
 */
static void quic_hkdf_sha256(const struct hmac_sha256_key *key,
			     const u8 *info, unsigned int info_len, u8 i,
			     u8 *block)
{
	struct hmac_sha256_ctx ctx;

	hmac_sha256_init(&ctx, key);
	if (i > 1)
		hmac_sha256_update(&ctx, block, SHA256_DIGEST_SIZE);
	hmac_sha256_update(&ctx, info, info_len);
	hmac_sha256_update(&ctx, &i, 1);
	hmac_sha256_final(&ctx, block);
}

static void quic_hkdf_sha384(const struct hmac_sha384_key *key,
			     const u8 *info, unsigned int info_len, u8 i,
			     u8 *block)
{
	struct hmac_sha384_ctx ctx;

	hmac_sha384_init(&ctx, key);
	if (i > 1)
		hmac_sha384_update(&ctx, block, SHA384_DIGEST_SIZE);
	hmac_sha384_update(&ctx, info, info_len);
	hmac_sha384_update(&ctx, &i, 1);
	hmac_sha384_final(&ctx, block);
}

/**
 * quic_ulp_hkdf_expand_label() - HKDF-Expand-Label of TLS 1.3 (RFC 8446, 7.1)
 * @cipher: the suite, whose hash HKDF uses
 * @secret: the secret, as long as the hash
 * @label: the label without its "tls13 " prefix, e.g. "quic key"
 *	(at most 32 bytes with the prefix)
 * @out: where the output goes; may be @secret
 * @len: output length, at most 255 hash lengths
 *
 * QUIC always uses an empty context. Any context: the HMAC library
 * neither allocates nor sleeps.
 *
 * Return: 0 or -EINVAL.
 */
int quic_ulp_hkdf_expand_label(const struct quic_cipher *cipher,
			       const u8 *secret, const char *label, u8 *out,
			       unsigned int len)
{
	u8 info[2 + 1 + QUIC_LABEL_MAX + 1], block[SHA384_DIGEST_SIZE];
	unsigned int hash_len = cipher->secret_len;
	size_t label_len = strlen(label);
	unsigned int info_len, done, n;
	union quic_hmac_key key;
	u8 counter;

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

	/* Keyed before any output is written: @out may be @secret */
	if (hash_len == SHA384_DIGEST_SIZE)
		hmac_sha384_preparekey(&key.sha384, secret, hash_len);
	else
		hmac_sha256_preparekey(&key.sha256, secret, hash_len);
	for (done = 0, counter = 1; done < len; done += n, counter++) {
		if (hash_len == SHA384_DIGEST_SIZE)
			quic_hkdf_sha384(&key.sha384, info, info_len, counter,
					 block);
		else
			quic_hkdf_sha256(&key.sha256, info, info_len, counter,
					 block);
		n = min(hash_len, len - done);
		memcpy(out + done, block, n);
	}
	memzero_explicit(&key, sizeof(key));
	memzero_explicit(block, sizeof(block));
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hkdf_expand_label);

/* AES-ECB on AES-NI, asked for by its driver name: one walk and one FPU
 * section for the masks of a whole run (quic_ulp_hp_masks()), where the
 * library takes an FPU section for every block. Without AES-NI, "ecb(aes)"
 * would be the ECB template over the single-block cipher, no better than
 * the library, which then serves alone. CRYPTO_NOLOAD: no module is
 * aliased "crypto-ecb-aes-aesni", and asking for one would only run
 * modprobe, for every key a user installs. Without it, for whatever
 * reason, the library makes the masks one at a time.
 */
static void quic_hp_key_ecb(struct quic_hp_key *hp, const u8 *key,
			    unsigned int len)
{
	struct crypto_sync_skcipher *tfm;

	tfm = crypto_alloc_sync_skcipher("ecb-aes-aesni", 0, CRYPTO_NOLOAD);
	if (IS_ERR(tfm))
		return;
	if (crypto_sync_skcipher_setkey(tfm, key, len)) {
		crypto_free_sync_skcipher(tfm);
		return;
	}
	hp->ecb = tfm;
}

/**
 * quic_ulp_hp_key_init() - derive the header protection key from a secret
 * @hp: where the key goes, zeroed
 * @cipher: the suite
 * @labels: the QUIC version's labels
 * @secret: the first 1-RTT secret of the direction
 * @batch: the direction makes the masks of several packets at once
 *	(quic_ulp_hp_masks()): with AES, set up AES-ECB for that too
 *
 * Process context: it may allocate a transform, which
 * quic_ulp_hp_key_free() frees, even when this fails.
 *
 * Return: 0 or a negative errno.
 */
int quic_ulp_hp_key_init(struct quic_hp_key *hp,
			 const struct quic_cipher *cipher,
			 const struct quic_labels *labels, const u8 *secret,
			 bool batch)
{
	u8 key[CHACHA_KEY_SIZE];
	int err;

	err = quic_ulp_hkdf_expand_label(cipher, secret, labels->hp, key,
					 cipher->key_len);
	if (err)
		goto out;
	if (cipher->chacha_hp) {
		unsigned int i;

		for (i = 0; i < ARRAY_SIZE(hp->chacha); i++)
			hp->chacha[i] = get_unaligned_le32(key + 4 * i);
	} else {
		err = aes_prepareenckey(&hp->aes, key, cipher->key_len);
		if (!err && batch)
			quic_hp_key_ecb(hp, key, cipher->key_len);
	}
out:
	memzero_explicit(key, sizeof(key));
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hp_key_init);

/**
 * quic_ulp_hp_key_free() - free and forget a header protection key
 * @hp: the key, from quic_ulp_hp_key_init() (even a failed one) or zeroed
 *
 * Process context.
 */
void quic_ulp_hp_key_free(struct quic_hp_key *hp)
{
	crypto_free_sync_skcipher(hp->ecb);
	memzero_explicit(hp, sizeof(*hp));
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hp_key_free);

/* ChaCha20's mask: counter = sample[0..3] (little endian), nonce = the
 * rest, exactly ChaCha's 16-byte IV layout; the mask is the first five
 * bytes of that block's key stream. A block is the permuted state plus the
 * input state, and HChaCha20 is the permutation alone (its first four
 * output words are the permuted state's): so the mask is words 0 and 1 of
 * HChaCha20's output plus the constants they started from. On x86 the
 * library runs HChaCha20 with SSSE3, where chacha20_crypt() of five bytes
 * takes the generic block function: about 1,300 fewer instructions per
 * packet (BENCHMARKS.md), in an FPU section the AEAD takes on the same
 * paths anyway.
 */
static void quic_hp_mask_chacha(const struct quic_hp_key *hp, const u8 *sample,
				u8 *mask)
{
	u32 perm[HCHACHA_OUT_WORDS];
	struct chacha_state state;

	chacha_init(&state, hp->chacha, sample);
	hchacha_block(&state, perm, 20);
	put_unaligned_le32(perm[0] + state.x[0], mask);
	mask[4] = (perm[1] + state.x[1]) & 0xff;
	chacha_zeroize_state(&state);
	memzero_explicit(perm, sizeof(perm));
}

/**
 * quic_ulp_hp_mask() - the header protection mask of a sample (RFC 9001, 5.4)
 * @hp: header protection key
 * @cipher: the suite
 * @sample: 16 bytes of ciphertext
 * @mask: the 5-byte mask
 *
 * Context: process or softirq, not inside kernel_fpu_begin() and never
 * hardirq or NMI: the AES and ChaCha20 library code does not sleep, and on
 * x86 hchacha_block() takes the FPU without asking irq_fpu_usable().
 */
void quic_ulp_hp_mask(const struct quic_hp_key *hp, const struct quic_cipher *cipher,
		      const u8 *sample, u8 *mask)
{
	u8 block[AES_BLOCK_SIZE];

	if (cipher->chacha_hp) {
		quic_hp_mask_chacha(hp, sample, mask);
		return;
	}
	aes_encrypt(&hp->aes, block, sample);
	memcpy(mask, block, QUIC_HP_MASK_LEN);
	memzero_explicit(block, sizeof(block));
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hp_mask);

/* All @n masks in one AES-ECB call, in place */
static int quic_hp_masks_ecb(const struct quic_hp_key *hp, u8 *blocks,
			     unsigned int n)
{
	SYNC_SKCIPHER_REQUEST_ON_STACK(req, hp->ecb);
	unsigned int len = n * AES_BLOCK_SIZE;
	struct scatterlist sg;
	int err;

	sg_init_one(&sg, blocks, len);
	skcipher_request_set_sync_tfm(req, hp->ecb);
	skcipher_request_set_callback(req, 0, NULL, NULL);
	skcipher_request_set_crypt(req, &sg, &sg, len, NULL);
	err = crypto_skcipher_encrypt(req);
	skcipher_request_zero(req);
	return err;
}

/**
 * quic_ulp_hp_masks() - the header protection masks of several samples
 * @hp: header protection key
 * @cipher: the suite
 * @blocks: @n samples of QUIC_HP_SAMPLE_LEN bytes, one after the other,
 *	in memory a scatterlist may point to (not on the stack); each is
 *	replaced by its mask, in its first QUIC_HP_MASK_LEN bytes (the rest
 *	is scratch)
 * @n: how many
 *
 * When quic_ulp_hp_batch() says so, one AES-ECB call (the mask is the
 * first bytes of the sample's encryption), else one sample at a time.
 *
 * Context: as quic_ulp_hp_mask().
 * Return: 0, or the AES-ECB call's errno: the masks are then unusable,
 * and so are the samples.
 */
int quic_ulp_hp_masks(const struct quic_hp_key *hp,
		      const struct quic_cipher *cipher, u8 *blocks,
		      unsigned int n)
{
	unsigned int i;

	if (quic_ulp_hp_batch(hp, n))
		return quic_hp_masks_ecb(hp, blocks, n);
	for (i = 0; i < n; i++)
		quic_ulp_hp_mask(hp, cipher, blocks + i * QUIC_HP_SAMPLE_LEN,
				 blocks + i * QUIC_HP_SAMPLE_LEN);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hp_masks);

/**
 * quic_ulp_nonce() - the AEAD nonce of a packet (RFC 9001, section 5.3)
 * @nonce: output, 16 bytes with @ccm, else QUIC_IV_LEN
 * @iv: the generation's IV
 * @pn: the full packet number
 * @ccm: lay the nonce out as the CCM counter block the crypto API expects
 */
void quic_ulp_nonce(u8 *nonce, const u8 *iv, u64 pn, bool ccm)
{
	u8 *n = nonce;

	BUILD_BUG_ON(QUIC_IV_LEN < 8);
	if (ccm) {
		/* flags byte: L' = 15 - nonce length - 1 */
		nonce[0] = 15 - QUIC_IV_LEN - 1;
		memset(nonce + 1 + QUIC_IV_LEN, 0, 16 - 1 - QUIC_IV_LEN);
		n = nonce + 1;
	}
	/* The packet number, left-padded to the IV's length, XORed in */
	memcpy(n, iv, QUIC_IV_LEN - 8);
	put_unaligned_be64(get_unaligned_be64(iv + QUIC_IV_LEN - 8) ^ pn,
			   n + QUIC_IV_LEN - 8);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_nonce);

/* One request block per CPU, taken with bottom halves disabled */
struct quic_pcpu {
	local_lock_t		bh_lock;
	struct quic_crypt	*crypt;
};

static DEFINE_PER_CPU(struct quic_pcpu, quic_pcpu) = {
	.bh_lock = INIT_LOCAL_LOCK(bh_lock),
};

/**
 * quic_ulp_crypt_alloc() - a new request block
 * @gfp: allocation flags
 *
 * Its scatterlist is initialised here, once: quic_ulp_crypt_prepare()
 * relies on it. So is its wait, which only an asynchronous AEAD uses:
 * crypto_wait_req() leaves it ready for the next one.
 *
 * Return: the block, or NULL.
 */
struct quic_crypt *quic_ulp_crypt_alloc(gfp_t gfp)
{
	struct quic_crypt *c = kzalloc_obj(*c, gfp);

	if (c) {
		sg_init_table(c->sg, ARRAY_SIZE(c->sg));
		crypto_init_wait(&c->wait);
	}
	return c;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_crypt_alloc);

/**
 * quic_ulp_crypt_get() - this CPU's AEAD request block
 *
 * Bottom halves disabled. On success the block is the caller's until
 * quic_ulp_crypt_put(); it is allocated on the CPU's first use, so the data
 * path allocates nothing per packet.
 *
 * Return: the block, or NULL (nothing to put) without memory.
 */
struct quic_crypt *quic_ulp_crypt_get(void)
{
	struct quic_crypt *c;

	local_lock_nested_bh(&quic_pcpu.bh_lock);
	c = __this_cpu_read(quic_pcpu.crypt);
	if (unlikely(!c)) {
		c = quic_ulp_crypt_alloc(GFP_ATOMIC);
		__this_cpu_write(quic_pcpu.crypt, c);
	}
	if (unlikely(!c))
		local_unlock_nested_bh(&quic_pcpu.bh_lock);
	return c;
}

/**
 * quic_ulp_crypt_put() - give this CPU's block back
 */
void quic_ulp_crypt_put(void)
{
	local_unlock_nested_bh(&quic_pcpu.bh_lock);
}

/**
 * quic_ulp_crypt_detach() - let a block go with its asynchronous request
 * @c: the block quic_ulp_crypt_get() returned; the caller still puts it
 *
 * The CPU gets a new block at its next use; @c belongs to the request,
 * whose completion frees it with quic_ulp_crypt_free().
 */
void quic_ulp_crypt_detach(struct quic_crypt *c)
{
	if (__this_cpu_read(quic_pcpu.crypt) == c)
		__this_cpu_write(quic_pcpu.crypt, NULL);
}

/**
 * quic_ulp_crypt_free() - free a block
 * @c: the block, or NULL
 */
void quic_ulp_crypt_free(struct quic_crypt *c)
{
	if (!c)
		return;
	kfree_sensitive(c->req);
	kfree_sensitive(c);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_crypt_free);

/**
 * quic_ulp_crypt_free_all() - free every CPU's block, when the module goes
 */
void quic_ulp_crypt_free_all(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		quic_ulp_crypt_free(per_cpu(quic_pcpu.crypt, cpu));
		per_cpu(quic_pcpu.crypt, cpu) = NULL;
	}
}

/**
 * quic_ulp_skb_make_writable() - make the payload of a received @skb safe to
 *	rewrite
 * @skb: the datagram
 *
 * Only data shared with a clone (a packet tap) or pages that are not the
 * skb's own are copied, and only then: the frag_list that UDP GRO builds
 * is written in place when its members are the skb's alone. Softirq.
 *
 * Return: 0 or a negative errno.
 */
int quic_ulp_skb_make_writable(struct sk_buff *skb)
{
	struct sk_buff *trailer, *frag;
	bool copy = skb_cloned(skb) || skb_has_shared_frag(skb) ||
		    skb_zcopy(skb);

	skb_walk_frags(skb, frag) {
		if (copy)
			break;
		copy = skb_shared(frag) || skb_cloned(frag) ||
		       skb_has_shared_frag(frag) || skb_zcopy(frag) ||
		       skb_has_frag_list(frag);
	}
	if (likely(!copy))
		return 0;
	return skb_cow_data(skb, 0, &trailer) < 0 ? -ENOMEM : 0;
}

/* The first page fragment to look in for bytes at @off: where the last
 * lookup ended, unless @off is before it. A zeroed position (start 0 in
 * an skb with a linear part) is no position: no fragment starts before
 * the linear part ends.
 */
static unsigned int quic_skb_first_frag(const struct sk_buff *skb,
					unsigned int off,
					const struct quic_skb_pos *pos,
					unsigned int *start)
{
	*start = skb_headlen(skb);
	if (!pos || pos->frag >= skb_shinfo(skb)->nr_frags ||
	    pos->start < *start || off < pos->start)
		return 0;
	*start = pos->start;
	return pos->frag;
}

/* Where @len bytes at @off of @skb lie contiguous and addressable in the
 * linear part or in one page fragment, else NULL. A highmem page may not
 * be mapped, and a fragment of several highmem pages is not contiguous in
 * any mapping: those bytes are copied instead. So are bytes in the
 * frag_list, which a sent packet never has and GRO rarely builds.
 */
static u8 *quic_skb_locate(const struct sk_buff *skb, unsigned int off,
			   unsigned int len, struct quic_skb_pos *pos)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int start, end, i;
	const skb_frag_t *frag;
	struct page *page;

	if (off + len <= skb_headlen(skb))
		return skb->data + off;
	if (off < skb_headlen(skb) || !skb_frags_readable(skb))
		return NULL;
	for (i = quic_skb_first_frag(skb, off, pos, &start);
	     i < shinfo->nr_frags; i++, start = end) {
		frag = &shinfo->frags[i];
		end = start + skb_frag_size(frag);
		if (off >= end)
			continue;
		if (pos) {
			pos->frag = i;
			pos->start = start;
		}
		if (off + len > end)
			return NULL;
		page = skb_frag_page(frag);
		if (!page || PageHighMem(page))
			return NULL;
		return (u8 *)page_address(page) + skb_frag_off(frag) +
		       (off - start);
	}
	return NULL;
}

/* @len bytes at @off: in place, or copied into @buf */
static u8 *quic_skb_get(const struct sk_buff *skb, unsigned int off,
			unsigned int len, u8 *buf, struct quic_skb_pos *pos)
{
	u8 *p = quic_skb_locate(skb, off, len, pos);

	if (p)
		return p;
	return skb_copy_bits(skb, off, buf, len) ? NULL : buf;
}

/**
 * quic_ulp_skb_peek() - read @len bytes of a datagram, in place when possible
 * @skb: the datagram
 * @off: where they start
 * @len: how many, at most the size of @buf
 * @buf: where they are copied when they are not contiguous in @skb
 * @pos: where the last lookup in @skb ended, updated; or NULL
 *
 * The data path reads a packet's header and sample this way: most packets
 * have them in one piece of the skb, and a pointer into it saves copying
 * them out. Like skb_header_pointer(), for fragments too.
 *
 * Context: any.
 * Return: a pointer into @skb or to @buf, or NULL when @skb is shorter or
 * the bytes are in memory the CPU may not read.
 */
const u8 *quic_ulp_skb_peek(const struct sk_buff *skb, unsigned int off,
			    unsigned int len, u8 *buf, struct quic_skb_pos *pos)
{
	return quic_skb_get(skb, off, len, buf, pos);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_skb_peek);

/**
 * quic_ulp_skb_access() - @len bytes of a datagram to rewrite, in place when
 *	possible
 * @skb: the datagram, whose data is its own to write: a sent one that
 *	quic_ulp_sendmsg_skb() checked (not cloned, no shared fragment, no
 *	zerocopy), a received one after quic_ulp_skb_make_writable()
 * @off: where they start
 * @len: how many, at most the size of @buf
 * @buf: where they are copied when they are not contiguous in @skb
 * @pos: as for quic_ulp_skb_peek()
 *
 * What the caller changes through a pointer into @skb is in the datagram;
 * when the pointer is @buf, the caller writes it back (quic_ulp_skb_write()).
 * No check of the shared-fragment flag here: the send path refuses such a
 * datagram with an errno before any of it is read, and skb_cow_data()
 * leaves the flag set on a received head whose fragments it made private.
 *
 * Context: any.
 * Return: a pointer into @skb or to @buf, or NULL as quic_ulp_skb_peek().
 */
u8 *quic_ulp_skb_access(struct sk_buff *skb, unsigned int off,
			unsigned int len, u8 *buf, struct quic_skb_pos *pos)
{
	return quic_skb_get(skb, off, len, buf, pos);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_skb_access);

/**
 * quic_ulp_skb_write() - write @len bytes into a datagram
 * @skb: the datagram, whose data is its own to write: a sent one the send
 *	path checked, a received one after quic_ulp_skb_make_writable()
 * @off: where they go
 * @src: the bytes
 * @len: how many
 * @pos: as for quic_ulp_skb_peek()
 *
 * Context: any.
 * Return: 0, or -EFAULT when @skb is shorter.
 */
int quic_ulp_skb_write(struct sk_buff *skb, unsigned int off, const u8 *src,
		       unsigned int len, struct quic_skb_pos *pos)
{
	u8 *p = quic_skb_locate(skb, off, len, pos);

	if (!p)
		return skb_store_bits(skb, off, src, len);
	memcpy(p, src, len);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_skb_write);

/* The scatterlist of @len bytes at @off, from the linear part and the
 * page fragments as skb_to_sgvec() would make it, the fragments searched
 * from @pos; @pos is left at the fragment the bytes start in, if they do
 * not start in the linear part.
 *
 * Return: the number of entries; -ENOENT when some of the bytes are in
 * the frag_list, left to skb_to_sgvec(); -EFAULT for fragments the CPU
 * may not read (which neither path sends here); -EMSGSIZE past @nsg
 * entries.
 */
static int quic_skb_to_sg(const struct sk_buff *skb, struct scatterlist *sg,
			  unsigned int nsg, unsigned int off, unsigned int len,
			  struct quic_skb_pos *pos)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int start, end, i, n = 0, chunk;
	const skb_frag_t *frag;

	if (!skb_frags_readable(skb))
		return -EFAULT;
	if (off < skb_headlen(skb)) {
		chunk = min(len, skb_headlen(skb) - off);
		sg_set_buf(&sg[n++], skb->data + off, chunk);
		off += chunk;
		len -= chunk;
	}
	for (i = quic_skb_first_frag(skb, off, pos, &start);
	     len && i < shinfo->nr_frags; i++, start = end) {
		frag = &shinfo->frags[i];
		end = start + skb_frag_size(frag);
		if (off >= end)
			continue;
		if (n == nsg)
			return -EMSGSIZE;
		chunk = min(len, end - off);
		/* The fragment the packet starts in: what the caller reads
		 * next is its header again, or a later packet
		 */
		if (pos && !n) {
			pos->frag = i;
			pos->start = start;
		}
		sg_set_page(&sg[n++], skb_frag_page(frag), chunk,
			    skb_frag_off(frag) + off - start);
		off += chunk;
		len -= chunk;
	}
	return len ? -ENOENT : n;
}

/**
 * quic_ulp_crypt_prepare() - get a request and scatterlist ready for a packet
 * @c: the request block, from quic_ulp_crypt_alloc()
 * @skb: the datagram, writable
 * @off: offset of the packet
 * @len: its length, tag included
 * @gen: the generation of keys that will seal or open it
 * @pos: where the last lookup in @skb ended, updated; or NULL
 *
 * Everything that can fail for other reasons than the packet's own
 * authentication, so that a caller can give up before touching the
 * packet.
 *
 * Return: 0, -ENOMEM, -EMSGSIZE for a packet spread over more pieces of
 * the skb than the scatterlist holds, or -EFAULT for fragments the CPU may
 * not read.
 */
int quic_ulp_crypt_prepare(struct quic_crypt *c, struct sk_buff *skb,
			   unsigned int off, unsigned int len,
			   const struct quic_gen *gen, struct quic_skb_pos *pos)
{
	unsigned int size = sizeof(*c->req) + crypto_aead_reqsize(gen->aead);
	int n;

	/* Only the end mark of the last packet needs undoing, not the whole
	 * table: filling an entry keeps its marks, and that one would cut
	 * this packet's list short. Initialising all QUIC_MAX_SG entries for
	 * every packet cost more than the rest of this function. Undone
	 * first: whatever fails below, the table describes no packet.
	 */
	if (c->nsg)
		sg_unmark_end(&c->sg[c->nsg - 1]);
	c->nsg = 0;
	if (unlikely(c->req_size < size)) {
		kfree_sensitive(c->req);
		c->req = kmalloc(size, GFP_ATOMIC);
		c->req_size = c->req ? size : 0;
		if (!c->req)
			return -ENOMEM;
	}
	n = quic_skb_to_sg(skb, c->sg, ARRAY_SIZE(c->sg), off, len, pos);
	if (n == -ENOENT) {
		/* The mark on the table's last entry is skb_to_sgvec()'s
		 * only bound: put back whichever entry the last packet
		 * ended on
		 */
		sg_mark_end(&c->sg[ARRAY_SIZE(c->sg) - 1]);
		n = skb_to_sgvec(skb, c->sg, off, len);
	} else if (n > 0) {
		sg_mark_end(&c->sg[n - 1]);
	}
	c->nsg = max(n, 0);
	return n < 0 ? n : 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_crypt_prepare);

/**
 * quic_ulp_crypt() - seal or open one packet in place
 * @c: the request block, prepared for the packet with @gen
 * @hdr_len: length of its unprotected header, the associated data
 * @text_len: length of the plaintext; the 16-byte tag follows it
 * @gen: the generation of keys, held by the caller
 * @cipher: the suite
 * @pn: the full packet number
 * @seal: encrypt and tag, or verify and decrypt
 * @flags: CRYPTO_TFM_REQ_* flags of the request
 * @done: called when an AEAD that returned -EINPROGRESS (or -EBUSY with
 *	CRYPTO_TFM_REQ_MAY_BACKLOG) finishes
 * @data: passed to @done
 *
 * Return: 0, -EBADMSG when the packet does not authenticate, -EINPROGRESS
 * or -EBUSY as above, or another negative errno.
 */
int quic_ulp_crypt(struct quic_crypt *c, unsigned int hdr_len,
		   unsigned int text_len, const struct quic_gen *gen,
	       const struct quic_cipher *cipher, u64 pn, bool seal, u32 flags,
	       crypto_completion_t done, void *data)
{
	struct aead_request *req = c->req;

	quic_ulp_nonce(c->nonce, gen->iv, pn, cipher->ccm);
	aead_request_set_tfm(req, gen->aead);
	aead_request_set_ad(req, hdr_len);
	aead_request_set_crypt(req, c->sg, c->sg,
			       seal ? text_len : text_len + QUIC_ULP_TAG_LEN,
			       c->nonce);
	aead_request_set_callback(req, flags, done, data);
	return seal ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_crypt);
