/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quic_ref: a small reference implementation of QUIC 1-RTT packet protection
 * (RFC 9001, section 5) on top of OpenSSL 3, independent of the kernel's,
 * for QUIC versions 1 and 2 (RFC 9369).
 *
 * The selftests, examples and benchmarks use it to check what the "quic"
 * UDP ULP does to packets, and to time the same work done in userspace the
 * way QUIC stacks do it today. It knows short-header packets only.
 *
 * Functions that can fail return 0 or a negative errno:
 *   -EINVAL      bad argument (unknown suite or version, wrong length, long
 *                header, ...)
 *   -EMSGSIZE    packet too short to carry a header protection sample
 *   -ERANGE      packet number out of range
 *   -EBADMSG     authentication failed
 *   -EOPNOTSUPP  this OpenSSL does not provide the suite's algorithms
 *   -ENOMEM, -EIO  OpenSSL failed
 *
 * A key state belongs to one thread at a time; there is no global state.
 */
#ifndef QUIC_REF_H
#define QUIC_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/types.h>

#define QUIC_REF_TAG_LEN		16
#define QUIC_REF_IV_LEN			12
#define QUIC_REF_SAMPLE_LEN		16
#define QUIC_REF_MASK_LEN		5
#define QUIC_REF_MAX_KEY_LEN		32
#define QUIC_REF_MAX_SECRET_LEN		48
#define QUIC_REF_MAX_CID_LEN		20
#define QUIC_REF_MAX_PN			((1ULL << 62) - 1)
/* "No packet number yet", as a largest acknowledged or received one. */
#define QUIC_REF_PN_NONE		UINT64_MAX

/* First byte of a short header (RFC 9000, section 17.3.1). */
#define QUIC_REF_LONG_HEADER		0x80
#define QUIC_REF_FIXED_BIT		0x40
#define QUIC_REF_KEY_PHASE		0x04
#define QUIC_REF_PN_LEN_MASK		0x03

/*
 * QUIC versions, as in the Version field of long headers. Version 2 (RFC
 * 9369, section 3.3) protects packets as version 1 does, but derives its
 * keys with other labels ("quicv2 key" for "quic key", and so on) and its
 * Initial secrets from another salt.
 */
#define QUIC_REF_VERSION_1		0x00000001U
#define QUIC_REF_VERSION_2		0x6b3343cfU

/* Cipher suites, by their TLS 1.3 code points. */
#define QUIC_REF_AES_128_GCM_SHA256		0x1301
#define QUIC_REF_AES_256_GCM_SHA384		0x1302
#define QUIC_REF_CHACHA20_POLY1305_SHA256	0x1303
#define QUIC_REF_AES_128_CCM_SHA256		0x1304

struct quic_ref_suite;
struct quic_ref_version;

/**
 * struct quic_ref_key - packet protection keys of one direction
 * @suite: the cipher suite (private)
 * @vers: the QUIC version's labels (private)
 * @version: the QUIC version, QUIC_REF_VERSION_1 or QUIC_REF_VERSION_2
 * @cipher: the suite's TLS code point
 * @secret_len: hash length of the suite: 32 or 48
 * @key_len: AEAD and header protection key length: 16 or 32
 * @generation: key updates applied to the secret given at init; the
 *	Key Phase bit of packets protected with these keys is its low bit
 * @secret: the traffic secret of this generation
 * @key: AEAD key ("quic key", or "quicv2 key" in version 2)
 * @iv: AEAD IV ("quic iv", "quicv2 iv")
 * @hp: header protection key ("quic hp", "quicv2 hp"); key updates keep it
 * @seal_ctx: OpenSSL context that encrypts with @key (private)
 * @open_ctx: OpenSSL context that decrypts with @key (private)
 * @hp_ctx: OpenSSL context keyed with @hp (private)
 *
 * Callers read the fields but change them only through the functions below.
 */
struct quic_ref_key {
	const struct quic_ref_suite *suite;
	const struct quic_ref_version *vers;
	uint32_t version;
	uint16_t cipher;
	uint8_t secret_len;
	uint8_t key_len;
	uint32_t generation;
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	uint8_t key[QUIC_REF_MAX_KEY_LEN];
	uint8_t iv[QUIC_REF_IV_LEN];
	uint8_t hp[QUIC_REF_MAX_KEY_LEN];
	EVP_CIPHER_CTX *seal_ctx;
	EVP_CIPHER_CTX *open_ctx;
	EVP_CIPHER_CTX *hp_ctx;
};

/**
 * struct quic_ref_rx - what unprotecting a packet found
 * @pn: the full packet number
 * @pn_len: length of the packet number field, 1 to 4
 * @header_len: first byte, DCID and packet number
 * @payload_len: plaintext length, after the header and before the tag
 * @key_phase: the Key Phase bit
 */
struct quic_ref_rx {
	uint64_t pn;
	unsigned int pn_len;
	size_t header_len;
	size_t payload_len;
	bool key_phase;
};

/* Cipher suites: name and secret length of a suite, NULL or 0 if unknown. */
const char *quic_ref_cipher_name(uint16_t cipher);
size_t quic_ref_secret_len(uint16_t cipher);
/* QUIC versions: "QUICv1" or "QUICv2", NULL if unknown. */
const char *quic_ref_version_name(uint32_t version);

/*
 * Key schedule, with the hash of @cipher. @secret and @prk are
 * quic_ref_secret_len(cipher) bytes long; the context is always empty.
 */
int quic_ref_hkdf_extract(uint16_t cipher, const uint8_t *salt, size_t salt_len,
			  const uint8_t *ikm, size_t ikm_len, uint8_t *prk);
int quic_ref_hkdf_expand_label(uint16_t cipher, const uint8_t *secret,
			       const char *label, uint8_t *out, size_t out_len);
/*
 * Initial secrets (RFC 9001, section 5.2): 32 bytes each, from the salt of
 * @version; quic_ref_initial_secrets() is for version 1.
 */
int quic_ref_initial_secrets(const uint8_t *dcid, size_t dcid_len,
			     uint8_t *client, uint8_t *server);
int quic_ref_initial_secrets_version(uint32_t version, const uint8_t *dcid,
				     size_t dcid_len, uint8_t *client,
				     uint8_t *server);

/*
 * Key state. quic_ref_key_init_version() derives generation 0 from a
 * traffic secret with the labels of @version; quic_ref_key_init() does it
 * for version 1. quic_ref_key_init_next() makes @next the generation after
 * @cur, of the same version, and leaves @cur as it is (@next must be
 * another structure); it is how a receiver prepares for the peer's key
 * update. quic_ref_key_update() moves @k itself to the next generation and
 * leaves it unchanged if it fails. quic_ref_key_init_gen() derives
 * generation @generation at once, the keys after that many updates of
 * @secret, which is how senders name keys by number (the quic ULP's
 * key_gen and key_updates). quic_ref_key_free() wipes all key material;
 * it is safe on a zeroed structure and after a failed init.
 */
int quic_ref_key_init(struct quic_ref_key *k, uint16_t cipher,
		      const uint8_t *secret, size_t secret_len);
int quic_ref_key_init_version(struct quic_ref_key *k, uint32_t version,
			      uint16_t cipher, const uint8_t *secret,
			      size_t secret_len);
int quic_ref_key_init_next(struct quic_ref_key *next,
			   const struct quic_ref_key *cur);
int quic_ref_key_init_gen(struct quic_ref_key *k, uint32_t version,
			  uint16_t cipher, const uint8_t *secret,
			  size_t secret_len, uint32_t generation);
int quic_ref_key_update(struct quic_ref_key *k);
void quic_ref_key_free(struct quic_ref_key *k);

static inline bool quic_ref_key_phase(const struct quic_ref_key *k)
{
	return k->generation & 1;
}

/*
 * Packet numbers (RFC 9000, appendices A.2 and A.3). quic_ref_pn_len()
 * returns how many bytes to send @pn in, 1 to 4, given the largest packet
 * number the peer acknowledged (QUIC_REF_PN_NONE if none).
 * quic_ref_pn_decode() recovers a full packet number from the @pn_len
 * (1 to 4) bytes received, given the largest packet number received so far
 * (QUIC_REF_PN_NONE if none); it returns QUIC_REF_PN_NONE if @pn_len is
 * invalid. Both follow the RFC's pseudocode to the letter, edges included.
 */
int quic_ref_pn_len(uint64_t pn, uint64_t largest_acked);
uint64_t quic_ref_pn_decode(uint64_t largest_pn, uint64_t truncated,
			    unsigned int pn_len);

/*
 * Raw primitives, as QUIC stacks use them. quic_ref_seal() encrypts @len
 * bytes at @data in place and writes the 16-byte tag at @tag;
 * quic_ref_open() checks @tag and decrypts in place (the data is garbage if
 * it returns -EBADMSG). The nonce is the IV xor the packet number.
 * quic_ref_hp_mask() computes the 5-byte header protection mask of a
 * 16-byte sample.
 */
int quic_ref_seal(struct quic_ref_key *k, uint64_t pn, const uint8_t *aad,
		  size_t aad_len, uint8_t *data, size_t len, uint8_t *tag);
int quic_ref_open(struct quic_ref_key *k, uint64_t pn, const uint8_t *aad,
		  size_t aad_len, uint8_t *data, size_t len, const uint8_t *tag);
int quic_ref_hp_mask(struct quic_ref_key *k, const uint8_t *sample,
		     uint8_t *mask);

/*
 * Short-header packets. A packet is laid out as
 *
 *	first byte | DCID (@dcid_len) | packet number (1-4) | payload | tag (16)
 *
 * and @len counts all of it, the tag included. The packet number length
 * is in the first byte; the Key Phase bit too, and protecting a packet
 * does not change it. Packets shorter than 1 + @dcid_len + 4 + 16 bytes
 * cannot be sampled: they get -EMSGSIZE and are left untouched.
 *
 * quic_ref_short_header() writes the header of a packet (fixed bit set,
 * spin and reserved bits clear) and returns its length, or 0 if an
 * argument is invalid.
 *
 * quic_ref_protect() encrypts the payload and protects the header in
 * place; the packet number field must hold the low bytes of @pn (else
 * -EINVAL). It changes nothing unless it succeeds or OpenSSL fails (-EIO).
 *
 * quic_ref_unprotect() removes header protection, recovers the packet
 * number against @largest_pn (the largest one received so far, or
 * QUIC_REF_PN_NONE), then authenticates and decrypts the payload with @k.
 * It does it in two steps that can also be called apart, to pick the key
 * by the Key Phase bit: quic_ref_unprotect_header() (any generation of the
 * direction's keys will do: they share the header protection key), then
 * quic_ref_open_payload(). After -EBADMSG the payload is garbage: to try
 * another key, keep a copy of the packet.
 */
size_t quic_ref_short_header(uint8_t *pkt, const uint8_t *dcid, size_t dcid_len,
			     uint64_t pn, unsigned int pn_len, bool key_phase);
int quic_ref_protect(struct quic_ref_key *k, uint8_t *pkt, size_t len,
		     size_t dcid_len, uint64_t pn);
int quic_ref_unprotect(struct quic_ref_key *k, uint8_t *pkt, size_t len,
		       size_t dcid_len, uint64_t largest_pn,
		       struct quic_ref_rx *rx);
int quic_ref_unprotect_header(struct quic_ref_key *k, uint8_t *pkt, size_t len,
			      size_t dcid_len, uint64_t largest_pn,
			      struct quic_ref_rx *rx);
int quic_ref_open_payload(struct quic_ref_key *k, uint8_t *pkt,
			  const struct quic_ref_rx *rx);

#endif /* QUIC_REF_H */
