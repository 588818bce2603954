// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of QUIC packet protection against the test vectors of
 * RFC 9001, Appendix A: key derivation (A.1), header protection masks
 * (A.2, A.5) and a ChaCha20-Poly1305 short-header packet, byte for byte
 * (A.5), with its next-generation secret.
 */

#include <crypto/aes.h>
#include <kunit/test.h>
#include <linux/hex.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <linux/unaligned.h>

#include "quic.h"

/* RFC 9001, A.1 */
#define A1_INITIAL	"7db5df06e7a69e432496adedb00851923595221596ae2ae9fb8115c1e9ed0a44"
#define A1_CLIENT	"c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"
#define A1_CLIENT_IV	"fa044b2f42a3fd3b46fb255c"
#define A1_CLIENT_HP	"9f50449e04a0e810283a1e9933adedd2"
#define A1_SERVER	"3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b"
#define A1_SERVER_IV	"0ac1493ca1905853b0bba03e"
#define A1_SERVER_HP	"c206b8d9b9f0f37644430b490eeaa314"

/* RFC 9001, A.2: the client Initial's sample and mask */
#define A2_SAMPLE	"d1b1c98dd7689fb8ec11d242b123dc9b"
#define A2_MASK		"437b9aec36"

/* RFC 9001, A.5 */
#define A5_SECRET	"9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b"
#define A5_IV		"e0459b3474bdd0e44a41c144"
#define A5_HP		"25a282b9e82f06f21f488917a4fc8f1b73573685608597d0efcb076b0ab7a7a4"
#define A5_KU		"1223504755036d556342ee9361d253421a826c9ecdf3c7148684b36b714881f9"
#define A5_PN		654360564
#define A5_PLAIN	"4200bff401"
#define A5_SAMPLE	"5e5cd55c41f69080575d7999c25a5bfb"
#define A5_MASK		"aefefe7d03"
#define A5_PACKET	"4cfe4189655e5cd55c41f69080575d7999c25a5bfb"

static void unhex(struct kunit *test, u8 *out, const char *hex)
{
	KUNIT_ASSERT_EQ(test, hex2bin(out, hex, strlen(hex) / 2), 0);
}

static void expect_hex(struct kunit *test, const u8 *got, const char *hex)
{
	u8 want[64];

	unhex(test, want, hex);
	KUNIT_EXPECT_MEMEQ(test, got, want, strlen(hex) / 2);
}

/* HKDF-Expand-Label with the SHA-256 of the v1 Initial keys */
static void expand(struct kunit *test, const u8 *secret, const char *label,
		   u8 *out, unsigned int len)
{
	const struct quic_cipher *cipher =
		quic_ulp_cipher_find(QUIC_ULP_CIPHER_AES_128_GCM_SHA256);

	KUNIT_ASSERT_EQ(test, quic_ulp_hkdf_expand_label(cipher, secret, label,
							 out, len), 0);
}

/* The v1 Initial secrets come out of HKDF-Expand-Label "client in" and
 * "server in"; their IVs and header protection keys are "quic iv" and
 * "quic hp" (A.1).
 */
static void quic_test_a1_derivation(struct kunit *test)
{
	u8 initial[32], secret[32], out[32];

	unhex(test, initial, A1_INITIAL);
	expand(test, initial, "client in", secret, 32);
	expect_hex(test, secret, A1_CLIENT);
	expand(test, secret, "quic iv", out, 12);
	expect_hex(test, out, A1_CLIENT_IV);
	expand(test, secret, "quic hp", out, 16);
	expect_hex(test, out, A1_CLIENT_HP);

	expand(test, initial, "server in", secret, 32);
	expect_hex(test, secret, A1_SERVER);
	expand(test, secret, "quic iv", out, 12);
	expect_hex(test, out, A1_SERVER_IV);
	expand(test, secret, "quic hp", out, 16);
	expect_hex(test, out, A1_SERVER_HP);
}

/* AES header protection (A.2) */
static void quic_test_aes_hp_mask(struct kunit *test)
{
	const struct quic_cipher *cipher =
		quic_ulp_cipher_find(QUIC_ULP_CIPHER_AES_128_GCM_SHA256);
	u8 key[16], sample[16], mask[QUIC_HP_MASK_LEN];
	struct quic_hp_key hp;

	unhex(test, key, A1_CLIENT_HP);
	KUNIT_ASSERT_EQ(test, aes_prepareenckey(&hp.aes, key, sizeof(key)), 0);
	unhex(test, sample, A2_SAMPLE);
	quic_ulp_hp_mask(&hp, cipher, sample, mask);
	expect_hex(test, mask, A2_MASK);
}

/* A connection as QUIC_ULP_TX_KEY or QUIC_ULP_RX_KEY would create it. Its
 * reference count stays 0: nothing schedules work for it, the tests call
 * what the work would.
 */
static struct quic_conn *test_conn(struct kunit *test, u16 suite,
				   u32 version)
{
	struct quic_conn *conn = kunit_kzalloc(test, sizeof(*conn), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, conn);
	conn->cipher = quic_ulp_cipher_find(suite);
	conn->labels = quic_ulp_labels_find(version);
	KUNIT_ASSERT_NOT_NULL(test, conn->cipher);
	KUNIT_ASSERT_NOT_NULL(test, conn->labels);
	quic_ulp_dir_init(&conn->tx, conn);
	quic_ulp_dir_init(&conn->rx, conn);
	return conn;
}

static void test_conn_free(struct quic_conn *conn)
{
	quic_ulp_dir_free(&conn->tx);
	quic_ulp_dir_free(&conn->rx);
}

/* A connection holding the A.5 secret in one direction */
static struct quic_conn *a5_conn(struct kunit *test, u32 version, bool rx,
				 u32 key_updates, u64 next_pn)
{
	struct quic_conn *conn = test_conn(test,
					   QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
					   version);
	struct quic_ulp_key key = {
		.cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
		.secret_len = 32,
		.version = version,
		.key_updates = key_updates,
		.next_pn = next_pn,
	};

	unhex(test, key.secret, A5_SECRET);
	KUNIT_ASSERT_EQ(test, quic_ulp_dir_install(rx ? &conn->rx : &conn->tx,
						   &key, rx), 0);
	/* Once only: the packet number state would rewind */
	KUNIT_EXPECT_EQ(test, quic_ulp_dir_install(rx ? &conn->rx : &conn->tx,
						   &key, rx), -EEXIST);
	return conn;
}

/* ChaCha20 header protection and the next generation (A.5) */
static void quic_test_a5_keys(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, true, 0, A5_PN);
	u8 hp[32], sample[16], mask[QUIC_HP_MASK_LEN];
	struct quic_dir *dir = &conn->rx;
	unsigned int i;

	expect_hex(test, dir->cur->iv, A5_IV);
	unhex(test, hp, A5_HP);
	for (i = 0; i < ARRAY_SIZE(dir->hp.chacha); i++)
		KUNIT_EXPECT_EQ(test, dir->hp.chacha[i],
				get_unaligned_le32(hp + 4 * i));
	unhex(test, sample, A5_SAMPLE);
	quic_ulp_hp_mask(&dir->hp, conn->cipher, sample, mask);
	expect_hex(test, mask, A5_MASK);

	/* "quic ku", derived ahead */
	KUNIT_ASSERT_NOT_NULL(test, dir->next);
	expect_hex(test, dir->next->secret, A5_KU);
	KUNIT_EXPECT_EQ(test, dir->next->number, 1);
	KUNIT_EXPECT_TRUE(test, quic_key_phase(dir->next));
	KUNIT_EXPECT_NULL(test, dir->old);
	test_conn_free(conn);
}

static struct sk_buff *a5_skb(struct kunit *test, const char *hex)
{
	unsigned int len = strlen(hex) / 2;
	struct sk_buff *skb = alloc_skb(len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	unhex(test, skb_put_zero(skb, len), hex);
	return skb;
}

/* One packet's AEAD, waited for if the transform is asynchronous */
static int a5_aead(struct kunit *test, struct sk_buff *skb,
		   const struct quic_conn *conn, const struct quic_gen *gen,
		   bool seal)
{
	struct quic_crypt *c = kzalloc(sizeof(*c), GFP_KERNEL);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 0, skb->len, gen), 0);
	crypto_init_wait(&c->wait);
	err = quic_ulp_crypt(c, 4, 1, gen, conn->cipher, A5_PN, seal,
			     CRYPTO_TFM_REQ_MAY_BACKLOG | CRYPTO_TFM_REQ_MAY_SLEEP,
			 crypto_req_done, &c->wait);
	err = crypto_wait_req(err, &c->wait);
	quic_ulp_crypt_free(c);
	return err;
}

/* The A.5 packet, sealed the way the send path does it: header 4200bff4,
 * a PING frame and the tag's space, AEAD then header protection
 */
static void quic_test_a5_seal(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 0, 0);
	u8 sample[16], mask[QUIC_HP_MASK_LEN];
	struct sk_buff *skb;

	skb = a5_skb(test, A5_PLAIN "00000000000000000000000000000000");
	KUNIT_ASSERT_EQ(test, a5_aead(test, skb, conn, conn->tx.cur, true), 0);
	memcpy(sample, skb->data + 1 + QUIC_PN_MAX_LEN, sizeof(sample));
	quic_ulp_hp_mask(&conn->tx.hp, conn->cipher, sample, mask);
	quic_ulp_hp_apply(skb->data, 1, 3, mask);
	KUNIT_ASSERT_EQ(test, skb->len, 21);
	expect_hex(test, skb->data, A5_PACKET);
	kfree_skb(skb);
	test_conn_free(conn);
}

/* And back: header protection off, packet number recovered, AEAD open */
static void quic_test_a5_open(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, true, 0, A5_PN);
	u8 sample[16], mask[QUIC_HP_MASK_LEN], *p;
	unsigned int pn_len;
	struct sk_buff *skb;
	u64 truncated;

	skb = a5_skb(test, A5_PACKET);
	p = skb->data;
	memcpy(sample, p + 1 + QUIC_PN_MAX_LEN, sizeof(sample));
	quic_ulp_hp_mask(&conn->rx.hp, conn->cipher, sample, mask);
	/* What the receive path does */
	pn_len = quic_ulp_hdr_unprotect(p, 1, mask, &truncated);
	KUNIT_ASSERT_EQ(test, pn_len, 3);
	KUNIT_EXPECT_EQ(test, quic_ulp_pn_decode(A5_PN - 1, truncated, pn_len),
			(u64)A5_PN);
	KUNIT_EXPECT_EQ(test, a5_aead(test, skb, conn, conn->rx.cur, false), 0);
	expect_hex(test, p, A5_PLAIN);
	kfree_skb(skb);

	/* One bit off in the tag: refused */
	skb = a5_skb(test, A5_PACKET);
	skb->data[20] ^= 1;
	quic_ulp_hp_apply(skb->data, 1, pn_len, mask);
	KUNIT_EXPECT_EQ(test, a5_aead(test, skb, conn, conn->rx.cur, false),
			-EBADMSG);
	kfree_skb(skb);
	test_conn_free(conn);
}

/* The AEAD nonce: the IV with the packet number XORed into its low bytes,
 * and for CCM, the counter block around it
 */
static void quic_test_nonce(struct kunit *test)
{
	u8 iv[QUIC_IV_LEN], nonce[16], want[16];

	unhex(test, iv, A5_IV);
	quic_ulp_nonce(nonce, iv, A5_PN, false);
	unhex(test, want, "e0459b3474bdd0e46d417eb0");
	KUNIT_EXPECT_MEMEQ(test, nonce, want, QUIC_IV_LEN);

	quic_ulp_nonce(nonce, iv, A5_PN, true);
	KUNIT_EXPECT_EQ(test, nonce[0], 2);
	KUNIT_EXPECT_MEMEQ(test, nonce + 1, want, QUIC_IV_LEN);
	KUNIT_EXPECT_EQ(test, nonce[13] | nonce[14] | nonce[15], 0);
}

/* Key updates at installation, receive side: generation N from the first
 * secret, generation N - 1 kept for late packets, N + 1 ready, and the
 * header protection key of the first
 */
static void quic_test_install_updated(struct kunit *test)
{
	struct quic_conn *first = a5_conn(test, QUIC_ULP_VERSION_1, true, 0, 0);
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, true, 1, 1000);
	struct quic_dir *dir = &conn->rx;

	KUNIT_EXPECT_EQ(test, dir->cur->number, 1);
	expect_hex(test, dir->cur->secret, A5_KU);
	KUNIT_ASSERT_NOT_NULL(test, dir->old);
	KUNIT_EXPECT_EQ(test, dir->old->number, 0);
	KUNIT_EXPECT_MEMEQ(test, dir->old->iv, first->rx.cur->iv, QUIC_IV_LEN);
	/* Only the current generation keeps a secret: the next one's */
	KUNIT_EXPECT_TRUE(test, mem_is_zero(dir->old->secret,
					    sizeof(dir->old->secret)));
	KUNIT_EXPECT_MEMEQ(test, dir->hp.chacha, first->rx.hp.chacha,
			   sizeof(dir->hp.chacha));
	KUNIT_EXPECT_EQ(test, dir->cur->first_pn, 1000);
	KUNIT_ASSERT_NOT_NULL(test, dir->next);
	KUNIT_EXPECT_EQ(test, dir->next->number, 2);
	KUNIT_EXPECT_EQ(test, quic_dir_expected_pn(dir), 1000);
	test_conn_free(conn);
	test_conn_free(first);
}

/* Transmit side: no previous generation (nothing before the installation
 * is the kernel's to send), every number below next_pn counted as used
 */
static void quic_test_install_tx(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 3, 500);
	struct quic_dir *dir = &conn->tx;

	KUNIT_EXPECT_NULL(test, dir->old);
	KUNIT_EXPECT_EQ(test, dir->cur->number, 3);
	KUNIT_EXPECT_TRUE(test, dir->cur->used);
	KUNIT_EXPECT_EQ(test, dir->cur->largest_pn, 499);
	KUNIT_ASSERT_NOT_NULL(test, dir->next);
	KUNIT_EXPECT_EQ(test, dir->next->number, 4);
	test_conn_free(conn);
}

/* A key update only moves roles among the three slots; the slot that
 * falls out is keyed for the generation after the new current one, with
 * the secret chain of "quic ku"
 */
static void quic_test_rotate(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 0, 0);
	struct quic_conn *later = a5_conn(test, QUIC_ULP_VERSION_1, true, 2, 0);
	struct quic_dir *dir = &conn->tx;
	struct quic_gen *gen0 = dir->cur, *gen1 = dir->next;
	unsigned int round;

	for (round = 1; round <= 4; round++) {
		spin_lock_bh(&dir->lock);
		quic_ulp_dir_rotate(dir);
		spin_unlock_bh(&dir->lock);
		KUNIT_EXPECT_EQ(test, dir->cur->number, round);
		KUNIT_EXPECT_NULL(test, dir->next);
		quic_ulp_dir_derive_next(dir);
		KUNIT_ASSERT_NOT_NULL(test, dir->next);
		KUNIT_EXPECT_EQ(test, dir->next->number, round + 1);
		KUNIT_EXPECT_PTR_NE(test, dir->next, dir->cur);
		KUNIT_EXPECT_PTR_NE(test, dir->next, dir->old);
		if (round == 1) {
			KUNIT_EXPECT_PTR_EQ(test, dir->old, gen0);
			KUNIT_EXPECT_PTR_EQ(test, dir->cur, gen1);
			/* Generation 2 is what an installation at 2 has */
			KUNIT_EXPECT_MEMEQ(test, dir->next->iv,
					   later->rx.cur->iv, QUIC_IV_LEN);
		}
	}
	/* A slot a packet still holds is not taken */
	spin_lock_bh(&dir->lock);
	quic_ulp_gen_hold(dir->old);
	quic_ulp_dir_rotate(dir);
	spin_unlock_bh(&dir->lock);
	quic_ulp_dir_derive_next(dir);
	KUNIT_EXPECT_NULL(test, dir->next);
	test_conn_free(conn);
	test_conn_free(later);
}

/* QUIC version 2 derives with its own labels: other keys, same secret */
static void quic_test_v2_labels(struct kunit *test)
{
	struct quic_conn *v1 = a5_conn(test, QUIC_ULP_VERSION_1, true, 0, 0);
	struct quic_conn *v2 = a5_conn(test, QUIC_ULP_VERSION_2, true, 0, 0);

	KUNIT_EXPECT_MEMNEQ(test, v1->rx.cur->iv, v2->rx.cur->iv, QUIC_IV_LEN);
	KUNIT_EXPECT_MEMNEQ(test, v1->rx.hp.chacha, v2->rx.hp.chacha,
			    sizeof(v1->rx.hp.chacha));
	KUNIT_EXPECT_MEMNEQ(test, v1->rx.next->secret, v2->rx.next->secret, 32);
	KUNIT_EXPECT_NULL(test, quic_ulp_labels_find(0));
	KUNIT_EXPECT_NULL(test, quic_ulp_labels_find(0xff00001d));
	test_conn_free(v1);
	test_conn_free(v2);
}

static void quic_test_ciphers(struct kunit *test)
{
	static const u16 suites[] = {
		QUIC_ULP_CIPHER_AES_128_GCM_SHA256, QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
		QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
		QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		KUNIT_EXPECT_NOT_NULL(test, quic_ulp_cipher_find(suites[i]));
	/* TLS_AES_128_CCM_8_SHA256 is not allowed in QUIC */
	KUNIT_EXPECT_NULL(test, quic_ulp_cipher_find(0x1305));
	KUNIT_EXPECT_NULL(test, quic_ulp_cipher_find(0));
	KUNIT_EXPECT_EQ(test, quic_ulp_cipher_find(suites[1])->secret_len, 48);
	KUNIT_EXPECT_EQ(test, quic_ulp_cipher_find(suites[3])->confidentiality_limit,
			2965820);
}

static struct kunit_case quic_crypto_cases[] = {
	KUNIT_CASE(quic_test_a1_derivation),
	KUNIT_CASE(quic_test_aes_hp_mask),
	KUNIT_CASE(quic_test_a5_keys),
	KUNIT_CASE(quic_test_a5_seal),
	KUNIT_CASE(quic_test_a5_open),
	KUNIT_CASE(quic_test_nonce),
	KUNIT_CASE(quic_test_install_updated),
	KUNIT_CASE(quic_test_install_tx),
	KUNIT_CASE(quic_test_rotate),
	KUNIT_CASE(quic_test_v2_labels),
	KUNIT_CASE(quic_test_ciphers),
	{}
};

static struct kunit_suite quic_crypto_suite = {
	.name = "quic_crypto",
	.test_cases = quic_crypto_cases,
};

kunit_test_suite(quic_crypto_suite);

MODULE_DESCRIPTION("KUnit tests for the quic UDP ULP");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
