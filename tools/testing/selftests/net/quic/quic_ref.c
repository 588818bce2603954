// SPDX-License-Identifier: GPL-2.0
/*
 * quic_ref: QUIC 1-RTT packet protection (RFC 9001, section 5, and RFC 9369
 * for version 2) with OpenSSL 3, as a reference to check the kernel's "quic"
 * UDP ULP against.
 *
 * It favours being obviously right over being fast, with one exception:
 * the per-packet path reuses the OpenSSL contexts held in the key state,
 * as a real QUIC stack would, so that benchmarks compare like with like.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "quic_ref.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/**
 * struct quic_ref_suite - what a TLS cipher suite means to QUIC
 * @cipher: TLS code point
 * @name: TLS name
 * @aead: OpenSSL name of the AEAD
 * @hp: OpenSSL name of the header protection cipher (RFC 9001, 5.4.3-4)
 * @digest: OpenSSL name of the HKDF hash
 * @key_len: AEAD key length, which is also the header protection key's
 * @secret_len: hash length
 * @ccm: the AEAD is CCM, which OpenSSL drives a little differently
 * @chacha: header protection is ChaCha20 rather than AES-ECB
 */
struct quic_ref_suite {
	uint16_t cipher;
	const char *name;
	const char *aead;
	const char *hp;
	const char *digest;
	uint8_t key_len;
	uint8_t secret_len;
	bool ccm;
	bool chacha;
};

static const struct quic_ref_suite suites[] = {
	{ QUIC_REF_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256",
	  "AES-128-GCM", "AES-128-ECB", "SHA256", 16, 32, false, false },
	{ QUIC_REF_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384",
	  "AES-256-GCM", "AES-256-ECB", "SHA384", 32, 48, false, false },
	{ QUIC_REF_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256",
	  "ChaCha20-Poly1305", "ChaCha20", "SHA256", 32, 32, false, true },
	{ QUIC_REF_AES_128_CCM_SHA256, "TLS_AES_128_CCM_SHA256",
	  "AES-128-CCM", "AES-128-ECB", "SHA256", 16, 32, true, false },
};

#define INITIAL_SALT_LEN	20

/**
 * struct quic_ref_version - what changes from one QUIC version to another
 * @version: the Version field of long headers
 * @name: a name to print
 * @salt: salt of the Initial secrets
 * @key: label of the AEAD key
 * @iv: label of the AEAD IV
 * @hp: label of the header protection key
 * @ku: label of the next generation's secret, at a key update
 */
struct quic_ref_version {
	uint32_t version;
	const char *name;
	uint8_t salt[INITIAL_SALT_LEN];
	const char *key;
	const char *iv;
	const char *hp;
	const char *ku;
};

static const struct quic_ref_version versions[] = {
	/* RFC 9001, sections 5.1, 5.2 and 6.1 */
	{ QUIC_REF_VERSION_1, "QUICv1",
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic key", "quic iv", "quic hp", "quic ku" },
	/* RFC 9369, sections 3.3.1 and 3.3.2 */
	{ QUIC_REF_VERSION_2, "QUICv2",
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku" },
};

static const struct quic_ref_suite *suite_find(uint16_t cipher)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(suites); i++)
		if (suites[i].cipher == cipher)
			return &suites[i];
	return NULL;
}

const char *quic_ref_cipher_name(uint16_t cipher)
{
	const struct quic_ref_suite *s = suite_find(cipher);

	return s ? s->name : NULL;
}

size_t quic_ref_secret_len(uint16_t cipher)
{
	const struct quic_ref_suite *s = suite_find(cipher);

	return s ? s->secret_len : 0;
}

static const struct quic_ref_version *version_find(uint32_t version)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(versions); i++)
		if (versions[i].version == version)
			return &versions[i];
	return NULL;
}

const char *quic_ref_version_name(uint32_t version)
{
	const struct quic_ref_version *v = version_find(version);

	return v ? v->name : NULL;
}

/* One HKDF step; @salt and @info are left out when NULL. */
static int hkdf(const struct quic_ref_suite *s, int mode,
		const uint8_t *salt, size_t salt_len,
		const uint8_t *key, size_t key_len,
		const uint8_t *info, size_t info_len,
		uint8_t *out, size_t out_len)
{
	OSSL_PARAM params[6], *p = params;
	EVP_KDF_CTX *ctx = NULL;
	EVP_KDF *kdf;
	int ok;

	*p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)s->digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, key_len);
	if (salt)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (kdf)
		ctx = EVP_KDF_CTX_new(kdf);
	ok = ctx && EVP_KDF_derive(ctx, out, out_len, params) == 1;
	/* Freeing the context wipes the key it was given. */
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

int quic_ref_hkdf_extract(uint16_t cipher, const uint8_t *salt, size_t salt_len,
			  const uint8_t *ikm, size_t ikm_len, uint8_t *prk)
{
	const struct quic_ref_suite *s = suite_find(cipher);

	if (!s)
		return -EINVAL;
	return hkdf(s, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, salt, salt_len,
		    ikm, ikm_len, NULL, 0, prk, s->secret_len);
}

/*
 * RFC 8446, section 7.1: the info of HKDF-Expand-Label is the HkdfLabel
 * structure, a 16-bit output length, then "tls13 " and the label with an
 * 8-bit length prefix, then the context, empty in QUIC, likewise prefixed.
 */
static int expand_label(const struct quic_ref_suite *s, const uint8_t *secret,
			const char *label, uint8_t *out, size_t out_len)
{
	static const char prefix[] = "tls13 ";
	size_t prefix_len = sizeof(prefix) - 1;
	size_t label_len = strlen(label);
	uint8_t info[2 + 1 + 255 + 1];
	uint8_t *p = info;

	if (prefix_len + label_len > 255 || out_len > UINT16_MAX)
		return -EINVAL;
	*p++ = out_len >> 8;
	*p++ = out_len & 0xff;
	*p++ = prefix_len + label_len;
	memcpy(p, prefix, prefix_len);
	p += prefix_len;
	memcpy(p, label, label_len);
	p += label_len;
	*p++ = 0;
	return hkdf(s, EVP_KDF_HKDF_MODE_EXPAND_ONLY, NULL, 0,
		    secret, s->secret_len, info, p - info, out, out_len);
}

int quic_ref_hkdf_expand_label(uint16_t cipher, const uint8_t *secret,
			       const char *label, uint8_t *out, size_t out_len)
{
	const struct quic_ref_suite *s = suite_find(cipher);

	return s ? expand_label(s, secret, label, out, out_len) : -EINVAL;
}

/* The Initial labels are the same in both versions: only the salt changes. */
int quic_ref_initial_secrets_version(uint32_t version, const uint8_t *dcid,
				     size_t dcid_len, uint8_t *client,
				     uint8_t *server)
{
	const struct quic_ref_suite *s = suite_find(QUIC_REF_AES_128_GCM_SHA256);
	const struct quic_ref_version *v = version_find(version);
	uint8_t initial[32];
	int err;

	if (!v)
		return -EINVAL;
	err = hkdf(s, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, v->salt, sizeof(v->salt),
		   dcid, dcid_len, NULL, 0, initial, sizeof(initial));
	if (!err)
		err = expand_label(s, initial, "client in", client, 32);
	if (!err)
		err = expand_label(s, initial, "server in", server, 32);
	OPENSSL_cleanse(initial, sizeof(initial));
	return err;
}

int quic_ref_initial_secrets(const uint8_t *dcid, size_t dcid_len,
			     uint8_t *client, uint8_t *server)
{
	return quic_ref_initial_secrets_version(QUIC_REF_VERSION_1, dcid,
						dcid_len, client, server);
}

/*
 * Make an OpenSSL cipher context keyed with @key for one direction (@enc),
 * ready to be given a nonce per packet. A context stays in the direction
 * it was keyed for: OpenSSL's CCM picks its code when given the key, and
 * takes the nonce and tag lengths then too. It defaults to a 12-byte tag
 * and a 7-byte nonce; QUIC wants 16 and 12.
 */
static int cipher_ctx_new(EVP_CIPHER_CTX **ctxp, const char *name,
			  const uint8_t *key, int enc, bool aead, bool ccm)
{
	EVP_CIPHER_CTX *ctx;
	EVP_CIPHER *cipher;
	int ok;

	cipher = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!cipher)
		return -EOPNOTSUPP;
	ctx = EVP_CIPHER_CTX_new();
	ok = ctx && EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc);
	if (ok && aead)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
					 QUIC_REF_IV_LEN, NULL);
	if (ok && ccm)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					 QUIC_REF_TAG_LEN, NULL);
	if (ok)
		ok = EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc);
	/* AES-ECB on a single block: no padding, no state between packets. */
	if (ok && !aead)
		ok = EVP_CIPHER_CTX_set_padding(ctx, 0);
	EVP_CIPHER_free(cipher);
	if (!ok) {
		EVP_CIPHER_CTX_free(ctx);
		return ctx ? -EIO : -ENOMEM;
	}
	*ctxp = ctx;
	return 0;
}

/*
 * Set up @k for one generation: its secret, the header protection key
 * (which is derived from the first generation's secret only), and what
 * derives from the secret. On failure @k is wiped.
 */
static int key_setup(struct quic_ref_key *k, const struct quic_ref_suite *s,
		     const struct quic_ref_version *v, const uint8_t *secret,
		     const uint8_t *hp, uint32_t generation)
{
	int err;

	memset(k, 0, sizeof(*k));
	k->suite = s;
	k->vers = v;
	k->version = v->version;
	k->cipher = s->cipher;
	k->secret_len = s->secret_len;
	k->key_len = s->key_len;
	k->generation = generation;
	memcpy(k->secret, secret, s->secret_len);
	memcpy(k->hp, hp, s->key_len);

	err = expand_label(s, k->secret, v->key, k->key, s->key_len);
	if (!err)
		err = expand_label(s, k->secret, v->iv, k->iv, QUIC_REF_IV_LEN);
	if (!err)
		err = cipher_ctx_new(&k->seal_ctx, s->aead, k->key, 1, true,
				     s->ccm);
	if (!err)
		err = cipher_ctx_new(&k->open_ctx, s->aead, k->key, 0, true,
				     s->ccm);
	if (!err)
		err = cipher_ctx_new(&k->hp_ctx, s->hp, k->hp, 1, false, false);
	if (err)
		quic_ref_key_free(k);
	return err;
}

int quic_ref_key_init_version(struct quic_ref_key *k, uint32_t version,
			      uint16_t cipher, const uint8_t *secret,
			      size_t secret_len)
{
	const struct quic_ref_suite *s = suite_find(cipher);
	const struct quic_ref_version *v = version_find(version);
	uint8_t hp[QUIC_REF_MAX_KEY_LEN];
	int err;

	memset(k, 0, sizeof(*k));
	if (!s || !v || secret_len != s->secret_len)
		return -EINVAL;
	err = expand_label(s, secret, v->hp, hp, s->key_len);
	if (!err)
		err = key_setup(k, s, v, secret, hp, 0);
	OPENSSL_cleanse(hp, sizeof(hp));
	return err;
}

int quic_ref_key_init(struct quic_ref_key *k, uint16_t cipher,
		      const uint8_t *secret, size_t secret_len)
{
	return quic_ref_key_init_version(k, QUIC_REF_VERSION_1, cipher, secret,
					 secret_len);
}

/*
 * RFC 9001, section 6.1: the next secret is the current one's "quic ku"
 * ("quicv2 ku" in version 2, RFC 9369, section 3.3.2).
 */
int quic_ref_key_init_next(struct quic_ref_key *next,
			   const struct quic_ref_key *cur)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	int err;

	err = expand_label(cur->suite, cur->secret, cur->vers->ku, secret,
			   cur->secret_len);
	if (!err)
		err = key_setup(next, cur->suite, cur->vers, secret, cur->hp,
				cur->generation + 1);
	else
		memset(next, 0, sizeof(*next));
	OPENSSL_cleanse(secret, sizeof(secret));
	return err;
}

int quic_ref_key_update(struct quic_ref_key *k)
{
	struct quic_ref_key next;
	int err;

	err = quic_ref_key_init_next(&next, k);
	if (err)
		return err;
	quic_ref_key_free(k);
	*k = next;
	OPENSSL_cleanse(&next, sizeof(next));
	return 0;
}

int quic_ref_key_init_gen(struct quic_ref_key *k, uint32_t version,
			  uint16_t cipher, const uint8_t *secret,
			  size_t secret_len, uint32_t generation)
{
	int err = quic_ref_key_init_version(k, version, cipher, secret,
					    secret_len);

	while (!err && k->generation < generation)
		err = quic_ref_key_update(k);
	if (err)
		quic_ref_key_free(k);
	return err;
}

void quic_ref_key_free(struct quic_ref_key *k)
{
	/* Freeing the contexts wipes their key schedules. */
	EVP_CIPHER_CTX_free(k->seal_ctx);
	EVP_CIPHER_CTX_free(k->open_ctx);
	EVP_CIPHER_CTX_free(k->hp_ctx);
	OPENSSL_cleanse(k, sizeof(*k));
}

int quic_ref_pn_len(uint64_t pn, uint64_t largest_acked)
{
	uint64_t unacked;
	unsigned int len;

	if (pn > QUIC_REF_MAX_PN)
		return -ERANGE;
	if (largest_acked == QUIC_REF_PN_NONE)
		unacked = pn + 1;
	else if (pn > largest_acked)
		unacked = pn - largest_acked;
	else
		return -EINVAL;

	/*
	 * RFC 9000, A.2 sends ceil((log2(unacked) + 1) / 8) bytes: the
	 * fewest whose half range, 2^(8 * len - 1), is at least unacked.
	 */
	for (len = 1; len <= 4; len++)
		if (unacked <= 1ULL << (8 * len - 1))
			return len;
	return -ERANGE;
}

uint64_t quic_ref_pn_decode(uint64_t largest_pn, uint64_t truncated,
			    unsigned int pn_len)
{
	/* QUIC_REF_PN_NONE is all ones: the next one expected is then 0. */
	uint64_t expected = largest_pn + 1;
	uint64_t win, hwin, mask, candidate;

	if (pn_len < 1 || pn_len > 4)
		return QUIC_REF_PN_NONE;
	win = 1ULL << (8 * pn_len);
	hwin = win / 2;
	mask = win - 1;
	candidate = (expected & ~mask) | (truncated & mask);

	/*
	 * RFC 9000, A.3, step by step. Its "candidate <= expected - hwin"
	 * is written "candidate + hwin <= expected" because expected - hwin
	 * can be negative, which unsigned arithmetic would turn huge.
	 */
	if (candidate + hwin <= expected && candidate < (1ULL << 62) - win)
		return candidate + win;
	if (candidate > expected + hwin && candidate >= win)
		return candidate - win;
	return candidate;
}

/* RFC 9001, section 5.3: left-pad the packet number and xor it in. */
static void make_nonce(const struct quic_ref_key *k, uint64_t pn,
		       uint8_t *nonce)
{
	int i;

	memcpy(nonce, k->iv, QUIC_REF_IV_LEN);
	for (i = 0; i < 8; i++)
		nonce[QUIC_REF_IV_LEN - 1 - i] ^= (pn >> (8 * i)) & 0xff;
}

/*
 * Start one AEAD operation on @ctx: nonce, then for a receiver the
 * expected tag, then for CCM the message length, then the associated data.
 * Returns 1 or 0, as OpenSSL does.
 */
static int aead_start(struct quic_ref_key *k, EVP_CIPHER_CTX *ctx,
		      uint64_t pn, const uint8_t *aad, size_t aad_len,
		      size_t len, const uint8_t *tag)
{
	uint8_t nonce[QUIC_REF_IV_LEN];
	int n;

	make_nonce(k, pn, nonce);
	if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, nonce, -1))
		return 0;
	/* CCM verifies as it decrypts, so the tag has to be there first. */
	if (tag && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG,
					QUIC_REF_TAG_LEN, (void *)tag))
		return 0;
	/* CCM's first block encodes the message length. */
	if (k->suite->ccm && !EVP_CipherUpdate(ctx, NULL, &n, NULL, (int)len))
		return 0;
	/* No call for empty data: to CCM, (NULL, 0) means "length 0". */
	if (aad_len && !EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aad_len))
		return 0;
	return 1;
}

int quic_ref_seal(struct quic_ref_key *k, uint64_t pn, const uint8_t *aad,
		  size_t aad_len, uint8_t *data, size_t len, uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = k->seal_ctx;
	uint8_t end[QUIC_REF_TAG_LEN];
	uint8_t *buf = len ? data : end;
	int n;

	if (len > INT_MAX || aad_len > INT_MAX)
		return -EINVAL;
	/*
	 * The data goes through even when empty, and never as NULL: CCM
	 * computes its tag in that call, and takes a NULL input for AAD.
	 */
	if (!aead_start(k, ctx, pn, aad, aad_len, len, NULL) ||
	    !EVP_EncryptUpdate(ctx, buf, &n, buf, (int)len) ||
	    !EVP_EncryptFinal_ex(ctx, end, &n) ||
	    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
				 QUIC_REF_TAG_LEN, tag))
		return -EIO;
	return 0;
}

int quic_ref_open(struct quic_ref_key *k, uint64_t pn, const uint8_t *aad,
		  size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag)
{
	EVP_CIPHER_CTX *ctx = k->open_ctx;
	uint8_t end[QUIC_REF_TAG_LEN];
	uint8_t *buf = len ? data : end;
	int n;

	if (len > INT_MAX || aad_len > INT_MAX)
		return -EINVAL;
	if (!aead_start(k, ctx, pn, aad, aad_len, len, tag))
		return -EIO;
	/* CCM fails the update, the others the final step. */
	if (!EVP_DecryptUpdate(ctx, buf, &n, buf, (int)len) ||
	    !EVP_DecryptFinal_ex(ctx, end, &n))
		return -EBADMSG;
	return 0;
}

int quic_ref_hp_mask(struct quic_ref_key *k, const uint8_t *sample,
		     uint8_t *mask)
{
	static const uint8_t zeros[QUIC_REF_MASK_LEN];
	EVP_CIPHER_CTX *ctx = k->hp_ctx;
	uint8_t block[2 * QUIC_REF_SAMPLE_LEN];
	int n;

	if (k->suite->chacha) {
		/*
		 * RFC 9001, 5.4.4: counter = sample[0..3] little endian,
		 * nonce = sample[4..15]. OpenSSL's 16-byte ChaCha20 IV is
		 * exactly that: the counter in little endian, then the nonce.
		 */
		if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, sample) ||
		    !EVP_EncryptUpdate(ctx, block, &n, zeros, sizeof(zeros)))
			return -EIO;
	} else if (!EVP_EncryptUpdate(ctx, block, &n, sample,
				      QUIC_REF_SAMPLE_LEN)) {
		return -EIO;
	}
	memcpy(mask, block, QUIC_REF_MASK_LEN);
	return 0;
}

size_t quic_ref_short_header(uint8_t *pkt, const uint8_t *dcid, size_t dcid_len,
			     uint64_t pn, unsigned int pn_len, bool key_phase)
{
	unsigned int i;

	if (dcid_len > QUIC_REF_MAX_CID_LEN || pn_len < 1 || pn_len > 4)
		return 0;
	pkt[0] = QUIC_REF_FIXED_BIT | (pn_len - 1);
	if (key_phase)
		pkt[0] |= QUIC_REF_KEY_PHASE;
	if (dcid_len)
		memcpy(pkt + 1, dcid, dcid_len);
	for (i = 0; i < pn_len; i++)
		pkt[1 + dcid_len + i] = (pn >> (8 * (pn_len - 1 - i))) & 0xff;
	return 1 + dcid_len + pn_len;
}

/* Checks common to both directions, before anything is touched. */
static int check_packet(const uint8_t *pkt, size_t len, size_t dcid_len)
{
	if (dcid_len > QUIC_REF_MAX_CID_LEN)
		return -EINVAL;
	/* RFC 9001, 5.4.2: the sample starts 4 bytes into the PN field. */
	if (len < 1 + dcid_len + 4 + QUIC_REF_SAMPLE_LEN)
		return -EMSGSIZE;
	if (pkt[0] & QUIC_REF_LONG_HEADER)
		return -EINVAL;
	return 0;
}

static uint64_t read_pn(const uint8_t *p, unsigned int pn_len)
{
	uint64_t pn = 0;
	unsigned int i;

	for (i = 0; i < pn_len; i++)
		pn = pn << 8 | p[i];
	return pn;
}

/*
 * Header protection covers the low 5 bits of a short header's first byte
 * (reserved bits, Key Phase, packet number length), then as many bytes of
 * packet number as that length says.
 */
#define SHORT_HEADER_PROTECTED_BITS	0x1f

static void mask_pn(uint8_t *pn, const uint8_t *mask, unsigned int pn_len)
{
	unsigned int i;

	for (i = 0; i < pn_len; i++)
		pn[i] ^= mask[1 + i];
}

int quic_ref_protect(struct quic_ref_key *k, uint8_t *pkt, size_t len,
		     size_t dcid_len, uint64_t pn)
{
	size_t pn_off = 1 + dcid_len, header_len;
	uint8_t mask[QUIC_REF_MASK_LEN];
	unsigned int pn_len;
	int err;

	err = check_packet(pkt, len, dcid_len);
	if (err)
		return err;
	if (pn > QUIC_REF_MAX_PN)
		return -ERANGE;
	pn_len = (pkt[0] & QUIC_REF_PN_LEN_MASK) + 1;
	if (read_pn(pkt + pn_off, pn_len) != (pn & ((1ULL << (8 * pn_len)) - 1)))
		return -EINVAL;

	/* AEAD first: the header protection sample is ciphertext. */
	header_len = pn_off + pn_len;
	err = quic_ref_seal(k, pn, pkt, header_len, pkt + header_len,
			    len - header_len - QUIC_REF_TAG_LEN,
			    pkt + len - QUIC_REF_TAG_LEN);
	if (!err)
		err = quic_ref_hp_mask(k, pkt + pn_off + 4, mask);
	if (err)
		return err;
	pkt[0] ^= mask[0] & SHORT_HEADER_PROTECTED_BITS;
	mask_pn(pkt + pn_off, mask, pn_len);
	return 0;
}

int quic_ref_unprotect_header(struct quic_ref_key *k, uint8_t *pkt, size_t len,
			      size_t dcid_len, uint64_t largest_pn,
			      struct quic_ref_rx *rx)
{
	size_t pn_off = 1 + dcid_len;
	uint8_t mask[QUIC_REF_MASK_LEN];
	int err;

	err = check_packet(pkt, len, dcid_len);
	if (!err)
		err = quic_ref_hp_mask(k, pkt + pn_off + 4, mask);
	if (err)
		return err;

	/* The packet number length is only readable once unmasked. */
	pkt[0] ^= mask[0] & SHORT_HEADER_PROTECTED_BITS;
	rx->pn_len = (pkt[0] & QUIC_REF_PN_LEN_MASK) + 1;
	mask_pn(pkt + pn_off, mask, rx->pn_len);
	rx->pn = quic_ref_pn_decode(largest_pn, read_pn(pkt + pn_off, rx->pn_len),
				    rx->pn_len);
	rx->key_phase = pkt[0] & QUIC_REF_KEY_PHASE;
	rx->header_len = pn_off + rx->pn_len;
	rx->payload_len = len - rx->header_len - QUIC_REF_TAG_LEN;
	return 0;
}

int quic_ref_open_payload(struct quic_ref_key *k, uint8_t *pkt,
			  const struct quic_ref_rx *rx)
{
	uint8_t *payload = pkt + rx->header_len;

	return quic_ref_open(k, rx->pn, pkt, rx->header_len, payload,
			     rx->payload_len, payload + rx->payload_len);
}

int quic_ref_unprotect(struct quic_ref_key *k, uint8_t *pkt, size_t len,
		       size_t dcid_len, uint64_t largest_pn,
		       struct quic_ref_rx *rx)
{
	int err;

	err = quic_ref_unprotect_header(k, pkt, len, dcid_len, largest_pn, rx);
	if (!err)
		err = quic_ref_open_payload(k, pkt, rx);
	return err;
}
