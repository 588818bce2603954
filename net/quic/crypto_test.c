// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of QUIC packet protection against the test vectors of
 * RFC 9001, Appendix A: key derivation (A.1), header protection masks
 * (A.2, A.5) and a ChaCha20-Poly1305 short-header packet, byte for byte
 * (A.5), with its next-generation secret; and the skb and scatterlist
 * plumbing of the data path around them.
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
	struct quic_crypt *c = quic_ulp_crypt_alloc(GFP_KERNEL);
	int err;

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 0, skb->len, gen,
						     NULL), 0);
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

/* The nonce of @pn in both layouts: the IV with @want_hex, and for CCM
 * the counter block around it
 */
static void expect_nonce(struct kunit *test, const u8 *iv, u64 pn,
			 const char *want_hex)
{
	u8 nonce[16], want[QUIC_IV_LEN];

	unhex(test, want, want_hex);
	quic_ulp_nonce(nonce, iv, pn, false);
	KUNIT_EXPECT_MEMEQ(test, nonce, want, QUIC_IV_LEN);
	quic_ulp_nonce(nonce, iv, pn, true);
	KUNIT_EXPECT_EQ(test, nonce[0], 2);
	KUNIT_EXPECT_MEMEQ(test, nonce + 1, want, QUIC_IV_LEN);
	KUNIT_EXPECT_EQ(test, nonce[13] | nonce[14] | nonce[15], 0);
}

/* The AEAD nonce: the IV with the packet number XORed into its low bytes */
static void quic_test_nonce(struct kunit *test)
{
	u8 iv[QUIC_IV_LEN];

	unhex(test, iv, A5_IV);
	expect_nonce(test, iv, A5_PN, "e0459b3474bdd0e46d417eb0");
	/* The largest packet number reaches all eight low bytes of the IV,
	 * and only those
	 */
	expect_nonce(test, iv, QUIC_ULP_MAX_PN, "e0459b344b422f1bb5be3ebb");
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

/* Every suite QUIC allows */
static const u16 quic_test_suites[] = {
	QUIC_ULP_CIPHER_AES_128_GCM_SHA256, QUIC_ULP_CIPHER_AES_256_GCM_SHA384,
	QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	QUIC_ULP_CIPHER_AES_128_CCM_SHA256,
};

static void quic_test_ciphers(struct kunit *test)
{
	const u16 *suites = quic_test_suites;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(quic_test_suites); i++)
		KUNIT_EXPECT_NOT_NULL(test, quic_ulp_cipher_find(suites[i]));
	/* TLS_AES_128_CCM_8_SHA256 is not allowed in QUIC */
	KUNIT_EXPECT_NULL(test, quic_ulp_cipher_find(0x1305));
	KUNIT_EXPECT_NULL(test, quic_ulp_cipher_find(0));
	KUNIT_EXPECT_EQ(test, quic_ulp_cipher_find(suites[1])->secret_len, 48);
	KUNIT_EXPECT_EQ(test, quic_ulp_cipher_find(suites[3])->confidentiality_limit,
			2965820);
}

/* 8 bytes in the linear part, then 100 at offset 10 of a page and 100 at
 * offset 0 of another: bytes 0 to 207, byte i holding i
 */
static struct sk_buff *frag_skb(struct kunit *test)
{
	struct sk_buff *skb = alloc_skb(64, GFP_KERNEL);
	unsigned int i, f;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	p = skb_put(skb, 8);
	for (i = 0; i < 8; i++)
		p[i] = i;
	for (f = 0; f < 2; f++) {
		struct page *page = alloc_page(GFP_KERNEL);

		KUNIT_ASSERT_NOT_NULL(test, page);
		p = (u8 *)page_address(page) + (f ? 0 : 10);
		for (i = 0; i < 100; i++)
			p[i] = 8 + 100 * f + i;
		skb_fill_page_desc(skb, f, page, f ? 0 : 10, 100);
		skb->len += 100;
		skb->data_len += 100;
		skb->truesize += PAGE_SIZE;
	}
	return skb;
}

/* Append @len bytes, byte i of the skb holding i, in a new frag_list
 * member's linear part, after the other members
 */
static void add_frag_list(struct kunit *test, struct sk_buff *skb,
			  unsigned int len)
{
	struct sk_buff *member = alloc_skb(len, GFP_KERNEL);
	struct sk_buff **tail = &skb_shinfo(skb)->frag_list;
	unsigned int i;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, member);
	p = skb_put(member, len);
	for (i = 0; i < len; i++)
		p[i] = skb->len + i;
	while (*tail)
		tail = &(*tail)->next;
	*tail = member;
	skb->len += len;
	skb->data_len += len;
	skb->truesize += member->truesize;
}

static void expect_bytes(struct kunit *test, const u8 *p, unsigned int from,
			 unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		KUNIT_EXPECT_EQ(test, p[i], (u8)(from + i));
}

/* @len bytes at @off read in place at @at, or copied when @at is NULL;
 * looked for from @pos if not NULL
 */
static void expect_peek_from(struct kunit *test, const struct sk_buff *skb,
			     unsigned int off, unsigned int len, const u8 *at,
			     struct quic_skb_pos *pos)
{
	u8 buf[16];
	const u8 *p = quic_ulp_skb_peek(skb, off, len, buf, pos);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, p, at ?: (const u8 *)buf);
	expect_bytes(test, p, off, len);
}

static void expect_peek(struct kunit *test, const struct sk_buff *skb,
			unsigned int off, unsigned int len, const u8 *at)
{
	expect_peek_from(test, skb, off, len, at, NULL);
}

/* Header and sample bytes are read in place when they are in one piece,
 * copied when they straddle two or are in the frag_list, and refused past
 * the end
 */
static void quic_test_skb_peek(struct kunit *test)
{
	struct sk_buff *skb = frag_skb(test);
	u8 *page0 = page_address(skb_frag_page(&skb_shinfo(skb)->frags[0]));
	u8 *page1 = page_address(skb_frag_page(&skb_shinfo(skb)->frags[1]));
	u8 buf[16];

	expect_peek(test, skb, 2, 4, skb->data + 2);
	expect_peek(test, skb, 20, 8, page0 + 10 + 12);
	/* linear part and first fragment; first and second fragment */
	expect_peek(test, skb, 6, 4, NULL);
	expect_peek(test, skb, 100, 16, NULL);
	expect_peek(test, skb, 200, 8, page1 + 92);
	KUNIT_EXPECT_NULL(test, quic_ulp_skb_peek(skb, 201, 8, buf, NULL));

	/* 40 more bytes in the frag_list: read, but copied */
	add_frag_list(test, skb, 40);
	expect_peek(test, skb, 210, 16, NULL);
	expect_peek(test, skb, 200, 16, NULL);
	KUNIT_EXPECT_NULL(test, quic_ulp_skb_peek(skb, 240, 16, buf, NULL));
	kfree_skb(skb);
}

/* A lookup from where the last one ended finds what a lookup from the
 * start finds: forward in the same fragment and in a later one, and back
 * before the fragment it ended in
 */
static void quic_test_skb_pos(struct kunit *test)
{
	struct sk_buff *skb = frag_skb(test);
	u8 *page0 = page_address(skb_frag_page(&skb_shinfo(skb)->frags[0]));
	u8 *page1 = page_address(skb_frag_page(&skb_shinfo(skb)->frags[1]));
	struct quic_skb_pos pos = {};
	u8 buf[16];

	expect_peek_from(test, skb, 2, 4, skb->data + 2, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 0);
	expect_peek_from(test, skb, 20, 8, page0 + 10 + 12, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 0);
	KUNIT_EXPECT_EQ(test, pos.start, 8);
	expect_peek_from(test, skb, 100, 16, NULL, &pos);
	expect_peek_from(test, skb, 200, 8, page1 + 92, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 1);
	KUNIT_EXPECT_EQ(test, pos.start, 108);
	/* back: into the first fragment, then the linear part */
	expect_peek_from(test, skb, 50, 8, page0 + 10 + 42, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 0);
	expect_peek_from(test, skb, 200, 8, page1 + 92, &pos);
	expect_peek_from(test, skb, 1, 4, skb->data + 1, &pos);
	expect_peek_from(test, skb, 6, 4, NULL, &pos);
	KUNIT_EXPECT_NULL(test, quic_ulp_skb_peek(skb, 201, 8, buf, &pos));
	/* a position past the fragments the skb has is not used */
	pos.frag = 7;
	pos.start = 150;
	expect_peek_from(test, skb, 160, 8, page1 + 52, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 1);
	KUNIT_EXPECT_EQ(test, pos.start, 108);
	kfree_skb(skb);
}

/* The scatterlist of @len bytes at @off, built from @pos, is
 * skb_to_sgvec()'s entry for entry
 */
static void expect_sg(struct kunit *test, struct quic_crypt *c,
		      struct sk_buff *skb, const struct quic_gen *gen,
		      unsigned int off, unsigned int len,
		      struct quic_skb_pos *pos)
{
	struct scatterlist want[6], *a, *b;
	int n, i;

	sg_init_table(want, ARRAY_SIZE(want));
	n = skb_to_sgvec(skb, want, off, len);
	KUNIT_ASSERT_GT(test, n, 0);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, off, len, gen, pos),
			0);
	KUNIT_ASSERT_EQ(test, sg_nents(c->sg), n);
	for (i = 0, a = want, b = c->sg; i < n;
	     i++, a = sg_next(a), b = sg_next(b)) {
		KUNIT_EXPECT_PTR_EQ(test, sg_page(b), sg_page(a));
		KUNIT_EXPECT_EQ(test, b->offset, a->offset);
		KUNIT_EXPECT_EQ(test, b->length, a->length);
	}
}

/* The scatterlist built from a position is skb_to_sgvec()'s at every
 * offset and length of the datagram, from a position before the bytes or
 * after them, and with bytes in the frag_list
 */
static void quic_test_sg_pos(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 0, 0);
	struct quic_crypt *c = quic_ulp_crypt_alloc(GFP_KERNEL);
	struct sk_buff *skb = frag_skb(test);
	const struct quic_gen *gen = conn->tx.cur;
	struct quic_skb_pos pos = {};
	unsigned int off, len;

	KUNIT_ASSERT_NOT_NULL(test, c);
	for (off = 0; off < skb->len; off += 3)
		for (len = 1; off + len <= skb->len; len += 7)
			expect_sg(test, c, skb, gen, off, len, &pos);
	/* from a position past the bytes: the first fragment again */
	pos.frag = 1;
	pos.start = 108;
	expect_sg(test, c, skb, gen, 20, 100, &pos);
	KUNIT_EXPECT_EQ(test, pos.frag, 0);
	KUNIT_EXPECT_EQ(test, pos.start, 8);
	/* bytes in the frag_list: skb_to_sgvec() builds the list */
	add_frag_list(test, skb, 40);
	expect_sg(test, c, skb, gen, 200, 40, &pos);
	expect_sg(test, c, skb, gen, 0, skb->len, &pos);
	expect_sg(test, c, skb, gen, 10, 30, &pos);
	quic_ulp_crypt_free(c);
	kfree_skb(skb);
	test_conn_free(conn);
}

/* The first and last bytes of a prepared packet, in place only when the
 * scatterlist's first or last entry holds them all
 */
static void quic_test_crypt_ends(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 0, 0);
	struct quic_crypt *c = quic_ulp_crypt_alloc(GFP_KERNEL);
	struct sk_buff *skb = frag_skb(test);
	const struct quic_gen *gen = conn->tx.cur;
	unsigned int i;
	u8 *p;

	KUNIT_ASSERT_NOT_NULL(test, c);
	/* nothing prepared yet */
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_head(c, 1));
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_tail(c, 1));

	/* the linear part alone */
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 0, 8, gen, NULL), 0);
	KUNIT_EXPECT_PTR_EQ(test, quic_ulp_crypt_head(c, 8), skb->data);
	KUNIT_EXPECT_PTR_EQ(test, quic_ulp_crypt_tail(c, 8), skb->data);
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_head(c, 9));

	/* bytes 20 to 119: 88 in the first fragment, 12 in the second */
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 20, 100, gen, NULL),
			0);
	p = quic_ulp_crypt_head(c, 88);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_bytes(test, p, 20, 88);
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_head(c, 89));
	p = quic_ulp_crypt_tail(c, 12);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_bytes(test, p, 108, 12);
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_tail(c, 13));

	/* a tail in the frag_list, from skb_to_sgvec()'s list */
	add_frag_list(test, skb, 40);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 200, 40, gen, NULL),
			0);
	p = quic_ulp_crypt_head(c, 8);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_bytes(test, p, 200, 8);
	p = quic_ulp_crypt_tail(c, 16);
	KUNIT_ASSERT_NOT_NULL(test, p);
	expect_bytes(test, p, 224, 16);

	/* a preparation that fails leaves nothing: here more pieces than
	 * the table holds, in the frag_list
	 */
	for (i = 0; i < QUIC_MAX_SG; i++)
		add_frag_list(test, skb, 1);
	KUNIT_EXPECT_EQ(test, quic_ulp_crypt_prepare(c, skb, 0, skb->len, gen,
						     NULL), -EMSGSIZE);
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_head(c, 1));
	KUNIT_EXPECT_NULL(test, quic_ulp_crypt_tail(c, 1));

	quic_ulp_crypt_free(c);
	kfree_skb(skb);
	test_conn_free(conn);
}

/* The masks of a run, made in one call where the kernel can (AES-ECB on
 * AES-NI, from four samples on) or one at a time, are those of each
 * sample alone
 */
static void quic_test_hp_masks(struct kunit *test)
{
	static const unsigned int counts[] = { 1, 3, 4, 5, QUIC_TX_RUN };
	const struct quic_labels *labels = quic_ulp_labels_find(QUIC_ULP_VERSION_1);
	unsigned int size = QUIC_TX_RUN * QUIC_HP_SAMPLE_LEN, s, k, i;
	u8 secret[QUIC_ULP_MAX_SECRET_LEN], want[QUIC_HP_MASK_LEN];
	const struct quic_cipher *cipher;
	struct quic_hp_key hp;
	u8 *samples, *masks;
	int err;

	/* kmalloc'd: the ECB call's scatterlist points to the masks */
	samples = kunit_kmalloc(test, size, GFP_KERNEL);
	masks = kunit_kmalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, samples);
	KUNIT_ASSERT_NOT_NULL(test, masks);
	for (i = 0; i < size; i++)
		samples[i] = i * 37 + 11;
	for (i = 0; i < sizeof(secret); i++)
		secret[i] = i * 13 + 5;

	for (s = 0; s < ARRAY_SIZE(quic_test_suites); s++) {
		cipher = quic_ulp_cipher_find(quic_test_suites[s]);
		KUNIT_ASSERT_NOT_NULL(test, cipher);
		memset(&hp, 0, sizeof(hp));
		err = quic_ulp_hp_key_init(&hp, cipher, labels, secret, true);
		if (err)
			quic_ulp_hp_key_free(&hp);
		KUNIT_ASSERT_EQ(test, err, 0);
#ifdef CONFIG_X86
		/* The one call is there where it can be */
		if (!cipher->chacha_hp && IS_BUILTIN(CONFIG_CRYPTO_AES_NI_INTEL) &&
		    boot_cpu_has(X86_FEATURE_AES))
			KUNIT_EXPECT_NOT_NULL(test, hp.ecb);
#endif
		for (k = 0; k < ARRAY_SIZE(counts); k++) {
			/* made in place, from a copy of the samples */
			memcpy(masks, samples, size);
			KUNIT_EXPECT_EQ(test, quic_ulp_hp_masks(&hp, cipher, masks,
								counts[k]), 0);
			for (i = 0; i < counts[k]; i++) {
				quic_ulp_hp_mask(&hp, cipher,
						 samples + i * QUIC_HP_SAMPLE_LEN,
						 want);
				KUNIT_EXPECT_MEMEQ(test,
						   masks + i * QUIC_HP_SAMPLE_LEN,
						   want, sizeof(want));
			}
		}
		quic_ulp_hp_key_free(&hp);
		KUNIT_EXPECT_NULL(test, hp.ecb);
	}
}

/* A fragment of a compound page is contiguous across its page boundary */
static void quic_test_skb_peek_compound(struct kunit *test)
{
	struct sk_buff *skb = alloc_skb(0, GFP_KERNEL);
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_COMP, 1);
	unsigned int i;
	u8 *base;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_NOT_NULL(test, page);
	base = page_address(page);
	for (i = 0; i < 2 * PAGE_SIZE; i++)
		base[i] = i;
	skb_fill_page_desc(skb, 0, page, 0, 2 * PAGE_SIZE);
	skb->len = 2 * PAGE_SIZE;
	skb->data_len = 2 * PAGE_SIZE;
	skb->truesize += 2 * PAGE_SIZE;
	expect_peek(test, skb, PAGE_SIZE - 8, 16, base + PAGE_SIZE - 8);
	kfree_skb(skb);
}

/* What is changed through a pointer in place is in the skb at once; a
 * copy is what was there; writes land where skb_store_bits() would put them
 */
static void quic_test_skb_write(struct kunit *test)
{
	struct sk_buff *skb = frag_skb(test);
	u8 buf[16], src[16], out[18];
	unsigned int i;
	u8 *p;

	for (i = 0; i < sizeof(src); i++)
		src[i] = 0xa0 + i;
	/* in place, modified through the pointer */
	p = quic_ulp_skb_access(skb, 30, 4, buf, NULL);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_NE(test, p, (u8 *)buf);
	p[0] ^= 0xff;
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 29, out, 6), 0);
	KUNIT_EXPECT_EQ(test, out[0], 29);
	KUNIT_EXPECT_EQ(test, out[1], (u8)~30);
	expect_bytes(test, out + 2, 31, 4);
	/* copied out across the two fragments, changed, written back */
	p = quic_ulp_skb_access(skb, 100, 16, buf, NULL);
	KUNIT_EXPECT_PTR_EQ(test, p, (u8 *)buf);
	expect_bytes(test, p, 100, 16);
	KUNIT_EXPECT_EQ(test, quic_ulp_skb_write(skb, 100, src, 16, NULL), 0);
	/* and within the linear part */
	KUNIT_EXPECT_EQ(test, quic_ulp_skb_write(skb, 1, src, 4, NULL), 0);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 99, out, sizeof(out)), 0);
	KUNIT_EXPECT_EQ(test, out[0], 99);
	KUNIT_EXPECT_MEMEQ(test, out + 1, src, 16);
	KUNIT_EXPECT_EQ(test, out[17], 116);
	KUNIT_EXPECT_MEMEQ(test, skb->data + 1, src, 4);
	KUNIT_EXPECT_EQ(test, skb->data[5], 5);
	KUNIT_EXPECT_EQ(test, quic_ulp_skb_write(skb, 205, src, 4, NULL), -EFAULT);
	kfree_skb(skb);
}

/* A datagram in exactly @pieces pieces, QUIC_MAX_SG - 1 < @pieces: the
 * linear part, every page fragment, then frag_list members
 */
static struct sk_buff *pieces_skb(struct kunit *test, unsigned int pieces)
{
	struct sk_buff *skb = alloc_skb(16, GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	unsigned int f;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_NOT_NULL(test, page);
	skb_put_zero(skb, 16);
	for (f = 0; f < MAX_SKB_FRAGS; f++) {
		if (f)
			get_page(page);
		skb_fill_page_desc(skb, f, page, 16 * f, 16);
		skb->len += 16;
		skb->data_len += 16;
	}
	skb->truesize += PAGE_SIZE;
	for (pieces -= 1 + MAX_SKB_FRAGS; pieces; pieces--)
		add_frag_list(test, skb, 16);
	return skb;
}

/* The request block's scatterlist is initialised once: a packet in three
 * pieces after one in one piece still gets its three entries, and a packet
 * that fills the table does not lift its bound for the next one
 */
static void quic_test_sg_reuse(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, false, 0, 0);
	struct quic_crypt *c = quic_ulp_crypt_alloc(GFP_KERNEL);
	struct sk_buff *linear, *skb, *full, *over;
	u8 canary[sizeof(c->nonce)];

	KUNIT_ASSERT_NOT_NULL(test, c);
	linear = a5_skb(test, A5_PACKET);
	skb = frag_skb(test);
	full = pieces_skb(test, QUIC_MAX_SG);
	over = pieces_skb(test, QUIC_MAX_SG + 1);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, linear, 0, linear->len,
						     conn->tx.cur, NULL), 0);
	KUNIT_EXPECT_EQ(test, sg_nents(c->sg), 1);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 0, skb->len,
						     conn->tx.cur, NULL), 0);
	KUNIT_EXPECT_EQ(test, sg_nents(c->sg), 3);
	KUNIT_EXPECT_EQ(test, c->nsg, 3);
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, skb, 20, 16,
						     conn->tx.cur, NULL), 0);
	KUNIT_EXPECT_EQ(test, sg_nents(c->sg), 1);

	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, full, 0, full->len,
						     conn->tx.cur, NULL), 0);
	KUNIT_EXPECT_EQ(test, c->nsg, QUIC_MAX_SG);
	KUNIT_EXPECT_EQ(test, sg_nents(c->sg), QUIC_MAX_SG);
	/* what follows the table in the block must stay as it is */
	memset(c->nonce, 0xa5, sizeof(c->nonce));
	memcpy(canary, c->nonce, sizeof(canary));
	KUNIT_EXPECT_EQ(test, quic_ulp_crypt_prepare(c, over, 0, over->len,
						     conn->tx.cur, NULL), -EMSGSIZE);
	KUNIT_EXPECT_MEMEQ(test, c->nonce, canary, sizeof(canary));
	KUNIT_EXPECT_EQ(test, quic_ulp_crypt_prepare(c, over, 0, over->len,
						     conn->tx.cur, NULL), -EMSGSIZE);
	KUNIT_EXPECT_MEMEQ(test, c->nonce, canary, sizeof(canary));
	KUNIT_ASSERT_EQ(test, quic_ulp_crypt_prepare(c, full, 0, full->len,
						     conn->tx.cur, NULL), 0);
	KUNIT_EXPECT_EQ(test, sg_nents(c->sg), QUIC_MAX_SG);
	quic_ulp_crypt_free(c);
	kfree_skb(linear);
	kfree_skb(skb);
	kfree_skb(full);
	kfree_skb(over);
	test_conn_free(conn);
}

/* The ChaCha20 mask, taken from HChaCha20 plus the constants, is the first
 * five bytes of the block's key stream: edge counters (how the sample is
 * loaded), a sample of all ones, and random samples, whose additions to
 * words 0 and 1 carry about half the time. UML runs the generic HChaCha20;
 * the test VM's x86 kernel runs the SSSE3 one.
 */
static void quic_test_chacha_hp_stream(struct kunit *test)
{
	struct quic_conn *conn = a5_conn(test, QUIC_ULP_VERSION_1, true, 0, A5_PN);
	static const u32 counters[] = { 0, 1, 0x7fffffff, 0xfffffffe, 0xffffffff };
	u8 sample[16], mask[QUIC_HP_MASK_LEN], ref[QUIC_HP_MASK_LEN];
	static const u8 zero[QUIC_HP_MASK_LEN];
	struct chacha_state state;
	u32 x = 0x9e3779b9;
	unsigned int i, j;

	for (i = 0; i < 64; i++) {
		for (j = 0; j < sizeof(sample); j++) {
			x = x * 1664525 + 1013904223;
			sample[j] = i == 63 ? 0xff : x >> 24;
		}
		if (i < ARRAY_SIZE(counters))
			put_unaligned_le32(counters[i], sample);
		quic_ulp_hp_mask(&conn->rx.hp, conn->cipher, sample, mask);
		chacha_init(&state, conn->rx.hp.chacha, sample);
		chacha20_crypt(&state, ref, zero, sizeof(ref));
		KUNIT_EXPECT_MEMEQ(test, mask, ref, sizeof(ref));
	}
	chacha_zeroize_state(&state);
	test_conn_free(conn);
}

static struct kunit_case quic_crypto_cases[] = {
	KUNIT_CASE(quic_test_a1_derivation),
	KUNIT_CASE(quic_test_aes_hp_mask),
	KUNIT_CASE(quic_test_a5_keys),
	KUNIT_CASE(quic_test_chacha_hp_stream),
	KUNIT_CASE(quic_test_hp_masks),
	KUNIT_CASE(quic_test_a5_seal),
	KUNIT_CASE(quic_test_a5_open),
	KUNIT_CASE(quic_test_nonce),
	KUNIT_CASE(quic_test_install_updated),
	KUNIT_CASE(quic_test_install_tx),
	KUNIT_CASE(quic_test_rotate),
	KUNIT_CASE(quic_test_v2_labels),
	KUNIT_CASE(quic_test_ciphers),
	KUNIT_CASE(quic_test_skb_peek),
	KUNIT_CASE(quic_test_skb_pos),
	KUNIT_CASE(quic_test_skb_peek_compound),
	KUNIT_CASE(quic_test_skb_write),
	KUNIT_CASE(quic_test_sg_reuse),
	KUNIT_CASE(quic_test_sg_pos),
	KUNIT_CASE(quic_test_crypt_ends),
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
