// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's raw cost of QUIC packet protection, per packet: the AEAD
 * through the crypto API as the quic ULP calls it (crypto_aead_encrypt()
 * and crypto_aead_decrypt() in place on one packet: 13-byte header as
 * associated data, payload, 16-byte tag) and the header protection mask
 * as the ULP computes it (the AES library's aes_encrypt(), ChaCha20's
 * chacha20_block()), plus AES through the crypto API's single-block
 * cipher for comparison, and the size of an AEAD request (what the ULP
 * allocates and wipes per datagram). A measuring tool for bench/, not part of the
 * series.
 *
 * Everything runs at module load, one JSON line per suite and packet size
 * in the kernel log, prefixed "quic_aead_bench: ". Decrypting in place
 * turns the packet into plaintext, so each decryption is preceded by a
 * memcpy() restoring the ciphertext; that memcpy() is timed on its own,
 * subtracted, and printed (copy_ns).
 */
#include <crypto/aead.h>
#include <crypto/aes.h>
#include <crypto/chacha.h>
#include <crypto/internal/cipher.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/version.h>

static unsigned int budget_ms = 300;
module_param(budget_ms, uint, 0444);
MODULE_PARM_DESC(budget_ms, "time spent on each measurement (ms)");

#define HDR_LEN		13	/* first byte, 8-byte DCID, 4-byte PN */
#define TAG_LEN		16
#define IV_LEN		12
#define MAX_SIZE	1500

struct suite {
	const char *name;
	const char *aead;
	unsigned int key_len;
	bool chacha_hp;
};

static const struct suite suites[] = {
	{ "AES-128-GCM", "gcm(aes)", 16, false },
	{ "ChaCha20-Poly1305", "rfc7539(chacha20,poly1305)", 32, true },
};

static const unsigned int sizes[] = { 1200, 1452 };

enum op { OP_COPY, OP_SEAL, OP_OPEN, OP_HP, OP_HP_CIPHER, OP_N };

struct ctx {
	const struct suite *s;
	unsigned int size;
	struct crypto_aead *aead;
	struct aead_request *req;
	struct crypto_wait wait;
	struct scatterlist sg;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
	struct aes_enckey aes;		/* 7.x: encryption round keys only */
#else
	struct crypto_aes_ctx aes;
#endif
	struct crypto_cipher *cipher;
	u32 chacha_key[CHACHA_KEY_SIZE / sizeof(u32)];
	u8 iv[IV_LEN];
	u8 *buf, *sealed;
};

static int aead_op(struct ctx *c, bool seal)
{
	unsigned int text = c->size - HDR_LEN - TAG_LEN;

	aead_request_set_ad(c->req, HDR_LEN);
	aead_request_set_crypt(c->req, &c->sg, &c->sg,
			       seal ? text : text + TAG_LEN, c->iv);
	return crypto_wait_req(seal ? crypto_aead_encrypt(c->req) :
			       crypto_aead_decrypt(c->req), &c->wait);
}

static int once(struct ctx *c, enum op op)
{
	u8 block[CHACHA_BLOCK_SIZE];
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
	struct chacha_state state;	/* the ChaCha library's since 6.17 */
#else
	u32 state[CHACHA_STATE_WORDS];
#endif
	const u8 *sample = c->buf + 1 + 8 + 4;

	switch (op) {
	case OP_COPY:
		memcpy(c->buf, c->sealed, c->size);
		return 0;
	case OP_SEAL:
		return aead_op(c, true);
	case OP_OPEN:
		memcpy(c->buf, c->sealed, c->size);
		return aead_op(c, false);
	case OP_HP:
		if (c->s->chacha_hp) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 17, 0)
			chacha_init(&state, c->chacha_key, sample);
			chacha20_block(&state, block);
#else
			chacha_init_generic(state, c->chacha_key, sample);
			chacha20_block(state, block);
#endif
		} else {
			aes_encrypt(&c->aes, block, sample);
		}
		return 0;
	case OP_HP_CIPHER:
		if (c->cipher)
			crypto_cipher_encrypt_one(c->cipher, block, sample);
		return 0;
	default:
		return -EINVAL;
	}
}

/* Nanoseconds per operation, over at least budget_ms */
static s64 time_op(struct ctx *c, enum op op)
{
	u64 t0, t, budget = (u64)budget_ms * NSEC_PER_MSEC;
	unsigned long n = 0, i;
	int err = 0;

	for (i = 0; i < 8; i++)
		err |= once(c, op);
	t0 = ktime_get_ns();
	do {
		for (i = 0; i < 16; i++)
			err |= once(c, op);
		n += 16;
		t = ktime_get_ns() - t0;
		cond_resched();
	} while (t < budget);
	return err ? -1 : div_u64(t, n);
}

static int setup(struct ctx *c)
{
	u8 key[32];
	unsigned int i;
	int err;

	for (i = 0; i < sizeof(key); i++)
		key[i] = 0x5a ^ (i * 29);
	for (i = 0; i < IV_LEN; i++)
		c->iv[i] = i * 17;
	c->aead = crypto_alloc_aead(c->s->aead, 0, 0);
	if (IS_ERR(c->aead))
		return PTR_ERR(c->aead);
	err = crypto_aead_setkey(c->aead, key, c->s->key_len);
	if (!err)
		err = crypto_aead_setauthsize(c->aead, TAG_LEN);
	if (err)
		return err;
	c->req = aead_request_alloc(c->aead, GFP_KERNEL);
	c->buf = kmalloc(MAX_SIZE, GFP_KERNEL);
	c->sealed = kmalloc(MAX_SIZE, GFP_KERNEL);
	if (!c->req || !c->buf || !c->sealed)
		return -ENOMEM;
	crypto_init_wait(&c->wait);
	aead_request_set_callback(c->req, CRYPTO_TFM_REQ_MAY_BACKLOG |
				  CRYPTO_TFM_REQ_MAY_SLEEP, crypto_req_done,
				  &c->wait);
	sg_init_one(&c->sg, c->buf, c->size);
	for (i = 0; i < c->size; i++)
		c->buf[i] = i * 7;
	err = aead_op(c, true);
	if (err)
		return err;
	memcpy(c->sealed, c->buf, c->size);

	if (c->s->chacha_hp) {
		for (i = 0; i < ARRAY_SIZE(c->chacha_key); i++)
			c->chacha_key[i] = get_unaligned_le32(key + 4 * i);
	} else {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 0, 0)
		err = aes_prepareenckey(&c->aes, key, c->s->key_len);
#else
		err = aes_expandkey(&c->aes, key, c->s->key_len);
#endif
		c->cipher = crypto_alloc_cipher("aes", 0, 0);
		if (IS_ERR(c->cipher))
			c->cipher = NULL;
		else
			err = err ?: crypto_cipher_setkey(c->cipher, key,
							  c->s->key_len);
	}
	return err;
}

static void teardown(struct ctx *c)
{
	if (c->cipher)
		crypto_free_cipher(c->cipher);
	kfree(c->buf);
	kfree(c->sealed);
	aead_request_free(c->req);
	if (!IS_ERR_OR_NULL(c->aead))
		crypto_free_aead(c->aead);
}

static void measure(const struct suite *s, unsigned int size)
{
	struct ctx c = { .s = s, .size = size };
	s64 ns[OP_N];
	int i, err;

	err = setup(&c);
	for (i = 0; !err && i < OP_N; i++) {
		ns[i] = time_op(&c, i);
		if (ns[i] < 0)
			err = -EIO;
	}
	if (err) {
		pr_info("quic_aead_bench: {\"kind\":\"raw_kernel\",\"cipher\":\"%s\",\"size\":%u,\"error\":%d}\n",
			s->name, size, err);
		teardown(&c);
		return;
	}
	pr_info("quic_aead_bench: {\"kind\":\"raw_kernel\",\"cipher\":\"%s\",\"driver\":\"%s\",\"size\":%u,\"copy_ns\":%lld,\"seal_ns\":%lld,\"open_ns\":%lld,\"hp_ns\":%lld,\"hp_cipher_ns\":%lld,\"hp_cipher_driver\":\"%s\",\"reqsize\":%u,\"note\":\"open excludes copy_ns; hp is what the ULP uses (AES library / chacha20_block), hp_cipher the crypto API single-block AES\"}\n",
		s->name, crypto_tfm_alg_driver_name(crypto_aead_tfm(c.aead)),
		size, ns[OP_COPY], ns[OP_SEAL], ns[OP_OPEN] - ns[OP_COPY],
		ns[OP_HP], c.cipher ? ns[OP_HP_CIPHER] : -1LL,
		c.cipher ? crypto_tfm_alg_driver_name(crypto_cipher_tfm(c.cipher)) :
			   "none",
		(unsigned int)(sizeof(struct aead_request) +
			       crypto_aead_reqsize(c.aead)));
	teardown(&c);
}

static int __init quic_aead_bench_init(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		for (j = 0; j < ARRAY_SIZE(sizes); j++)
			measure(&suites[i], sizes[j]);
	return 0;
}

static void __exit quic_aead_bench_exit(void)
{
}

module_init(quic_aead_bench_init);
module_exit(quic_aead_bench_exit);
MODULE_DESCRIPTION("Raw AEAD and header protection cost of QUIC packets");
MODULE_LICENSE("GPL");
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
MODULE_IMPORT_NS("CRYPTO_INTERNAL");
#else
MODULE_IMPORT_NS(CRYPTO_INTERNAL);
#endif
