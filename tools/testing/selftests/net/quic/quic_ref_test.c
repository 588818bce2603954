// SPDX-License-Identifier: GPL-2.0
/*
 * Checks quic_ref byte for byte against the sample values of RFC 9001
 * (appendix A) and RFC 9000 (appendices A.2 and A.3), against packets of
 * the AES-256-GCM and AES-128-CCM suites computed by a separate
 * implementation, then its round trips, rejections and key updates.
 *
 * Output is TAP; the exit code is kselftest's: 0 passed, 1 failed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quic_ref.h"

enum result { PASS, FAIL };

/* On failure: say where and why, then go to the test's cleanup. */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			printf("# %s:%d: %s\n", __func__, __LINE__, #cond); \
			goto out;					\
		}							\
	} while (0)

#define CHECK_HEX(buf, len, hex)	CHECK(same_hex(buf, len, hex))
#define CHECK_INT(expr, want)		CHECK(same_int(expr, want))

/*
 * Sample values are hex strings, one or more: HEX("0011", "2233") is four
 * bytes. Long ones are listed line by line, in arrays that end with NULL.
 */
#define HEX(...)	((const char *const []){ __VA_ARGS__, NULL })

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Returns the number of bytes, or 0 if they are not hex or do not fit. */
static size_t unhex(uint8_t *out, size_t max, const char *const *lines)
{
	const char *hex;
	size_t n = 0;
	int hi, lo;

	for (; *lines; lines++) {
		for (hex = *lines; *hex; hex += 2) {
			hi = nibble(hex[0]);
			lo = hi < 0 ? -1 : nibble(hex[1]);
			if (lo < 0 || n == max)
				return 0;
			out[n++] = hi << 4 | lo;
		}
	}
	return n;
}

static void print_hex(const char *what, const uint8_t *buf, size_t len)
{
	size_t i;

	printf("# %s:", what);
	for (i = 0; i < len; i++)
		printf("%s%02x", i % 32 ? "" : "\n#   ", buf[i]);
	printf("\n");
}

static bool same_hex(const uint8_t *buf, size_t len, const char *const *hex)
{
	static uint8_t want[2048];
	size_t want_len = unhex(want, sizeof(want), hex);

	if (want_len == len && !memcmp(buf, want, len))
		return true;
	print_hex("expected", want, want_len);
	print_hex("got", buf, len);
	return false;
}

static bool same_int(long long got, long long want)
{
	if (got == want)
		return true;
	printf("# expected %lld (%#llx), got %lld (%#llx)\n",
	       want, want, got, got);
	return false;
}

static const uint16_t all_suites[] = {
	QUIC_REF_AES_128_GCM_SHA256,
	QUIC_REF_AES_256_GCM_SHA384,
	QUIC_REF_CHACHA20_POLY1305_SHA256,
	QUIC_REF_AES_128_CCM_SHA256,
};

#define N_SUITES	ARRAY_SIZE(all_suites)

/* A secret for tests that need just any: a pattern that depends on @seed. */
static void fill_secret(uint8_t *secret, uint8_t seed)
{
	int i;

	for (i = 0; i < QUIC_REF_MAX_SECRET_LEN; i++)
		secret[i] = seed + 7 * i;
}

/* Two key states from the same secret: a sender and a receiver. */
static int key_pair(struct quic_ref_key *tx, struct quic_ref_key *rx,
		    uint16_t cipher, uint8_t seed)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	size_t len = quic_ref_secret_len(cipher);
	int err;

	fill_secret(secret, seed);
	err = quic_ref_key_init(tx, cipher, secret, len);
	if (!err)
		err = quic_ref_key_init(rx, cipher, secret, len);
	return err;
}

/*
 * Write a whole plaintext packet: header, then @payload_len bytes of a
 * pattern, then room for the tag. Returns the packet length.
 */
static size_t make_packet(uint8_t *pkt, size_t dcid_len, uint64_t pn,
			  unsigned int pn_len, bool key_phase,
			  size_t payload_len)
{
	static const uint8_t dcid[QUIC_REF_MAX_CID_LEN] = {
		0xc1, 0xd0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
	};
	size_t header_len, i;

	header_len = quic_ref_short_header(pkt, dcid, dcid_len, pn, pn_len,
					   key_phase);
	for (i = 0; i < payload_len; i++)
		pkt[header_len + i] = (i * 31 + pn) & 0xff;
	memset(pkt + header_len + payload_len, 0, QUIC_REF_TAG_LEN);
	return header_len + payload_len + QUIC_REF_TAG_LEN;
}

/* RFC 9001, A.2 and A.3: the sample Initial packets, and their payloads. */
static const char *const a2_crypto_frame[] = {
	"060040f1010000ed0303ebf8fa56f12939b9584a3896472ec40bb863cfd3e868",
	"04fe3a47f06a2b69484c00000413011302010000c000000010000e00000b6578",
	"616d706c652e636f6dff01000100000a00080006001d00170018001000070005",
	"04616c706e000500050100000000003300260024001d00209370b2c9caa47fba",
	"baf4559fedba753de171fa71f50f1ce15d43e994ec74d748002b000302030400",
	"0d0010000e0403050306030203080408050806002d00020101001c0002400100",
	"3900320408ffffffffffffffff05048000ffff07048000ffff08011001048000",
	"75300901100f088394c8f03e51570806048000ffff",
	NULL
};

static const char *const a2_packet[] = {
	"c000000001088394c8f03e5157080000449e7b9aec34d1b1c98dd7689fb8ec11",
	"d242b123dc9bd8bab936b47d92ec356c0bab7df5976d27cd449f63300099f399",
	"1c260ec4c60d17b31f8429157bb35a1282a643a8d2262cad67500cadb8e7378c",
	"8eb7539ec4d4905fed1bee1fc8aafba17c750e2c7ace01e6005f80fcb7df6212",
	"30c83711b39343fa028cea7f7fb5ff89eac2308249a02252155e2347b63d58c5",
	"457afd84d05dfffdb20392844ae812154682e9cf012f9021a6f0be17ddd0c208",
	"4dce25ff9b06cde535d0f920a2db1bf362c23e596d11a4f5a6cf3948838a3aec",
	"4e15daf8500a6ef69ec4e3feb6b1d98e610ac8b7ec3faf6ad760b7bad1db4ba3",
	"485e8a94dc250ae3fdb41ed15fb6a8e5eba0fc3dd60bc8e30c5c4287e53805db",
	"059ae0648db2f64264ed5e39be2e20d82df566da8dd5998ccabdae053060ae6c",
	"7b4378e846d29f37ed7b4ea9ec5d82e7961b7f25a9323851f681d582363aa5f8",
	"9937f5a67258bf63ad6f1a0b1d96dbd4faddfcefc5266ba6611722395c906556",
	"be52afe3f565636ad1b17d508b73d8743eeb524be22b3dcbc2c7468d54119c74",
	"68449a13d8e3b95811a198f3491de3e7fe942b330407abf82a4ed7c1b311663a",
	"c69890f4157015853d91e923037c227a33cdd5ec281ca3f79c44546b9d90ca00",
	"f064c99e3dd97911d39fe9c5d0b23a229a234cb36186c4819e8b9c5927726632",
	"291d6a418211cc2962e20fe47feb3edf330f2c603a9d48c0fcb5699dbfe58964",
	"25c5bac4aee82e57a85aaf4e2513e4f05796b07ba2ee47d80506f8d2c25e50fd",
	"14de71e6c418559302f939b0e1abd576f279c4b2e0feb85c1f28ff18f58891ff",
	"ef132eef2fa09346aee33c28eb130ff28f5b766953334113211996d20011a198",
	"e3fc433f9f2541010ae17c1bf202580f6047472fb36857fe843b19f5984009dd",
	"c324044e847a4f4a0ab34f719595de37252d6235365e9b84392b061085349d73",
	"203a4a13e96f5432ec0fd4a1ee65accdd5e3904df54c1da510b0ff20dcc0c77f",
	"cb2c0e0eb605cb0504db87632cf3d8b4dae6e705769d1de354270123cb11450e",
	"fc60ac47683d7b8d0f811365565fd98c4c8eb936bcab8d069fc33bd801b03ade",
	"a2e1fbc5aa463d08ca19896d2bf59a071b851e6c239052172f296bfb5e724047",
	"90a2181014f3b94a4e97d117b438130368cc39dbb2d198065ae3986547926cd2",
	"162f40a29f0c3c8745c0f50fba3852e566d44575c29d39a03f0cda721984b6f4",
	"40591f355e12d439ff150aab7613499dbd49adabc8676eef023b15b65bfc5ca0",
	"6948109f23f350db82123535eb8a7433bdabcb909271a6ecbcb58b936a88cd4e",
	"8f2e6ff5800175f113253d8fa9ca8885c2f552e657dc603f252e1a8e308f76f0",
	"be79e2fb8f5d5fbbe2e30ecadd220723c8c0aea8078cdfcb3868263ff8f09400",
	"54da48781893a7e49ad5aff4af300cd804a6b6279ab3ff3afb64491c85194aab",
	"760d58a606654f9f4400e8b38591356fbf6425aca26dc85244259ff2b19c41b9",
	"f96f3ca9ec1dde434da7d2d392b905ddf3d1f9af93d1af5950bd493f5aa731b4",
	"056df31bd267b6b90a079831aaf579be0a39013137aac6d404f518cfd4684064",
	"7e78bfe706ca4cf5e9c5453e9f7cfd2b8b4c8d169a44e55c88d4a9a7f9474241",
	"e221af44860018ab0856972e194cd934",
	NULL
};

static const char *const a3_payload[] = {
	"02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739",
	"88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94",
	"0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00",
	"020304",
	NULL
};

static const char *const a3_packet[] = {
	"cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a",
	"5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3",
	"dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84",
	"022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4",
	"2158407dd074ee",
	NULL
};

/* RFC 9001, A.1: Initial secrets and keys from the DCID 0x8394c8f03e515708. */
static const uint8_t rfc_dcid[] = {
	0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
};

static enum result test_rfc9001_a1_keys(void)
{
	static const char salt[] = "38762cf7f55934b34d179ae6a4c80cadccbb7f0a";
	uint8_t prk[32], client[32], server[32], salt_bytes[20];
	struct quic_ref_key c = {0}, s = {0};
	enum result ret = FAIL;

	CHECK(unhex(salt_bytes, sizeof(salt_bytes), HEX(salt)) == 20);
	CHECK_INT(quic_ref_hkdf_extract(QUIC_REF_AES_128_GCM_SHA256, salt_bytes,
					sizeof(salt_bytes), rfc_dcid,
					sizeof(rfc_dcid), prk), 0);
	CHECK_HEX(prk, 32, HEX("7db5df06e7a69e432496adedb0085192",
			       "3595221596ae2ae9fb8115c1e9ed0a44"));
	CHECK_INT(quic_ref_initial_secrets(rfc_dcid, sizeof(rfc_dcid),
					   client, server), 0);
	CHECK_HEX(client, 32, HEX("c00cf151ca5be075ed0ebfb5c80323c4",
				  "2d6b7db67881289af4008f1f6c357aea"));
	CHECK_HEX(server, 32, HEX("3c199828fd139efd216c155ad844cc81",
				  "fb82fa8d7446fa7d78be803acdda951b"));

	CHECK_INT(quic_ref_key_init(&c, QUIC_REF_AES_128_GCM_SHA256, client,
				    sizeof(client)), 0);
	CHECK_INT(c.key_len, 16);
	CHECK_HEX(c.key, 16, HEX("1f369613dd76d5467730efcbe3b1a22d"));
	CHECK_HEX(c.iv, 12, HEX("fa044b2f42a3fd3b46fb255c"));
	CHECK_HEX(c.hp, 16, HEX("9f50449e04a0e810283a1e9933adedd2"));

	CHECK_INT(quic_ref_key_init(&s, QUIC_REF_AES_128_GCM_SHA256, server,
				    sizeof(server)), 0);
	CHECK_HEX(s.key, 16, HEX("cf3a5331653c364c88f0f379b6067e37"));
	CHECK_HEX(s.iv, 12, HEX("0ac1493ca1905853b0bba03e"));
	CHECK_HEX(s.hp, 16, HEX("c206b8d9b9f0f37644430b490eeaa314"));
	ret = PASS;
out:
	quic_ref_key_free(&c);
	quic_ref_key_free(&s);
	return ret;
}

/*
 * RFC 9001, A.2 and A.3 protect long-header Initial packets, which
 * quic_ref_protect() does not do; the raw primitives do the AEAD and the
 * mask, and the test masks the header the long-header way (4 bits of the
 * first byte). That checks AES-128-GCM, the nonce and the AES header
 * protection mask on the two complete packets.
 */
static bool initial_packet(bool client, const char *const *header_hex,
			   const char *const *frames_hex, size_t pad_to,
			   const char *const *sample_hex,
			   const char *const *mask_hex,
			   const char *const *packet_hex)
{
	uint8_t cs[32], ss[32], pkt[1200], plain[1200], mask[5];
	struct quic_ref_key k = {0};
	size_t header_len, payload_len, pn_off, len, i;
	bool ok = false;
	uint64_t pn;

	memset(pkt, 0, sizeof(pkt));
	header_len = unhex(pkt, sizeof(pkt), header_hex);
	CHECK(header_len);
	/* The packet number is the header's last 1-4 bytes. */
	pn_off = header_len - ((pkt[0] & 3) + 1);
	for (pn = 0, i = pn_off; i < header_len; i++)
		pn = pn << 8 | pkt[i];
	/* Frames, then PADDING (zeros) up to @pad_to bytes. */
	payload_len = unhex(pkt + header_len, sizeof(pkt) - header_len - 16,
			    frames_hex);
	CHECK(payload_len);
	if (payload_len < pad_to)
		payload_len = pad_to;
	len = header_len + payload_len + QUIC_REF_TAG_LEN;
	memcpy(plain, pkt, len);

	CHECK_INT(quic_ref_initial_secrets(rfc_dcid, sizeof(rfc_dcid), cs, ss),
		  0);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_AES_128_GCM_SHA256,
				    client ? cs : ss, 32), 0);
	CHECK_INT(quic_ref_seal(&k, pn, pkt, header_len, pkt + header_len,
				payload_len, pkt + header_len + payload_len), 0);
	CHECK_HEX(pkt + pn_off + 4, 16, sample_hex);
	CHECK_INT(quic_ref_hp_mask(&k, pkt + pn_off + 4, mask), 0);
	CHECK_HEX(mask, 5, mask_hex);
	pkt[0] ^= mask[0] & 0x0f;
	for (i = pn_off; i < header_len; i++)
		pkt[i] ^= mask[1 + i - pn_off];
	CHECK_HEX(pkt, len, packet_hex);

	/* And back. */
	pkt[0] ^= mask[0] & 0x0f;
	for (i = pn_off; i < header_len; i++)
		pkt[i] ^= mask[1 + i - pn_off];
	CHECK_INT(quic_ref_open(&k, pn, pkt, header_len, pkt + header_len,
				payload_len, pkt + header_len + payload_len), 0);
	CHECK(!memcmp(pkt, plain, len - QUIC_REF_TAG_LEN));
	ok = true;
out:
	quic_ref_key_free(&k);
	return ok;
}

static enum result test_rfc9001_a2_client_initial(void)
{
	return initial_packet(true,
			      HEX("c300000001088394c8f03e5157080000449e00000002"),
			      a2_crypto_frame, 1162,
			      HEX("d1b1c98dd7689fb8ec11d242b123dc9b"),
			      HEX("437b9aec36"), a2_packet) ? PASS : FAIL;
}

static enum result test_rfc9001_a3_server_initial(void)
{
	return initial_packet(false,
			      HEX("c1000000010008f067a5502a4262b50040750001"),
			      a3_payload, 0,
			      HEX("2cd0991cd25b0aac406a5816b6394100"),
			      HEX("2ec0d8356a"), a3_packet) ? PASS : FAIL;
}

/* RFC 9001, A.5: a ChaCha20-Poly1305 short-header packet. */
static const char *const a5_secret[] = {
	"9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b", NULL
};

static const char *const a5_packet[] = {
	"4cfe4189655e5cd55c41f69080575d7999c25a5bfb", NULL
};

#define A5_PN		654360564

static enum result test_rfc9001_a5_chacha20_keys(void)
{
	struct quic_ref_key k = {0}, next = {0};
	enum result ret = FAIL;
	uint8_t secret[32];

	CHECK(unhex(secret, sizeof(secret), a5_secret) == 32);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_CHACHA20_POLY1305_SHA256,
				    secret, sizeof(secret)), 0);
	CHECK_INT(k.key_len, 32);
	CHECK_HEX(k.key, 32, HEX("c6d98ff3441c3fe1b2182094f69caa2e",
				 "d4b716b65488960a7a984979fb23e1c8"));
	CHECK_HEX(k.iv, 12, HEX("e0459b3474bdd0e44a41c144"));
	CHECK_HEX(k.hp, 32, HEX("25a282b9e82f06f21f488917a4fc8f1b",
				"73573685608597d0efcb076b0ab7a7a4"));
	CHECK(!quic_ref_key_phase(&k));

	/* "ku" is the secret of the next generation. */
	CHECK_INT(quic_ref_key_init_next(&next, &k), 0);
	CHECK_HEX(next.secret, 32, HEX("1223504755036d556342ee9361d25342",
				       "1a826c9ecdf3c7148684b36b714881f9"));
	CHECK_INT(next.generation, 1);
	CHECK(quic_ref_key_phase(&next));
	CHECK(!memcmp(next.hp, k.hp, 32));
	CHECK(memcmp(next.key, k.key, 32));
	ret = PASS;
out:
	quic_ref_key_free(&k);
	quic_ref_key_free(&next);
	return ret;
}

static enum result test_rfc9001_a5_chacha20_protect(void)
{
	uint8_t secret[32], pkt[21], mask[5];
	struct quic_ref_key k = {0};
	enum result ret = FAIL;
	int round;

	CHECK(unhex(secret, sizeof(secret), a5_secret) == 32);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_CHACHA20_POLY1305_SHA256,
				    secret, sizeof(secret)), 0);
	/* Twice: the contexts in the key state must be reusable. */
	for (round = 0; round < 2; round++) {
		CHECK_INT(quic_ref_short_header(pkt, NULL, 0, A5_PN, 3, false),
			  4);
		CHECK_HEX(pkt, 4, HEX("4200bff4"));
		pkt[4] = 0x01;	/* PING */
		memset(pkt + 5, 0, QUIC_REF_TAG_LEN);
		CHECK_INT(quic_ref_protect(&k, pkt, sizeof(pkt), 0, A5_PN), 0);
		CHECK_HEX(pkt, sizeof(pkt), a5_packet);
	}
	CHECK_HEX(pkt + 5, 16, HEX("5e5cd55c41f69080575d7999c25a5bfb"));
	CHECK_INT(quic_ref_hp_mask(&k, pkt + 5, mask), 0);
	CHECK_HEX(mask, 5, HEX("aefefe7d03"));
	ret = PASS;
out:
	quic_ref_key_free(&k);
	return ret;
}

static enum result test_rfc9001_a5_chacha20_unprotect(void)
{
	static const uint64_t largest[] = {
		A5_PN - 1, A5_PN - 1000, A5_PN + 1000, A5_PN,
	};
	struct quic_ref_key k = {0};
	enum result ret = FAIL;
	struct quic_ref_rx rx;
	uint8_t secret[32], pkt[21];
	size_t i;

	CHECK(unhex(secret, sizeof(secret), a5_secret) == 32);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_CHACHA20_POLY1305_SHA256,
				    secret, sizeof(secret)), 0);
	for (i = 0; i < ARRAY_SIZE(largest); i++) {
		CHECK(unhex(pkt, sizeof(pkt), a5_packet) == sizeof(pkt));
		CHECK_INT(quic_ref_unprotect(&k, pkt, sizeof(pkt), 0,
					     largest[i], &rx), 0);
		CHECK_INT(rx.pn, A5_PN);
		CHECK_INT(rx.pn_len, 3);
		CHECK_INT(rx.key_phase, 0);
		CHECK_INT(rx.header_len, 4);
		CHECK_INT(rx.payload_len, 1);
		CHECK_HEX(pkt, 5, HEX("4200bff401"));
	}
	/* The full packet number is in the nonce: 49140 is not it. */
	CHECK(unhex(pkt, sizeof(pkt), a5_packet) == sizeof(pkt));
	CHECK_INT(quic_ref_unprotect(&k, pkt, sizeof(pkt), 0, QUIC_REF_PN_NONE,
				     &rx), -EBADMSG);
	CHECK_INT(rx.pn, 49140);
	ret = PASS;
out:
	quic_ref_key_free(&k);
	return ret;
}

/*
 * The other two suites have no RFC sample packet. These were computed by a
 * separate implementation (HKDF over HMAC, GCM and CCM written out over
 * AES-ECB), for generation 0 and, after one key update, generation 1.
 */
struct kat {
	uint16_t cipher;
	uint8_t seed;
	uint32_t generation;
	uint64_t pn;
	unsigned int pn_len;
	const char *const *key, *const *iv, *const *hp, *const *packet;
};

static const struct kat kats[] = {
	{ QUIC_REF_AES_256_GCM_SHA384, 0x40, 0, 0x1234567, 2,
	  HEX("933ead778a57c8b8b4e30ae1a099abe7411627d77165ecd5e96edffeffeb3ca6"),
	  HEX("637076412b67690e6baa6de1"),
	  HEX("3b928e71274f87500fc99f1543ef5c5267609cef32b6249666b41ffe0d7b089e"),
	  HEX("480ddba11ca75eed01910df87b5ba4ea3e2219c517745ab3ec32adfc76ddd1c8",
	      "7ab4b1145032c05eb7f28b227ef2ec12dcd7b849b65178c433f1e54f6fb213ad",
	      "546e552c") },
	{ QUIC_REF_AES_256_GCM_SHA384, 0x40, 1, 0x1234568, 3,
	  HEX("5390ba156d9aac2ead660b97b348f6e74e43f5d870d3eff03cfe746a4569e96b"),
	  HEX("0fe3dea74e344030c8ff8d88"),
	  HEX("3b928e71274f87500fc99f1543ef5c5267609cef32b6249666b41ffe0d7b089e"),
	  HEX("450ddba11ca75eed01d4b1703780cd5e3ee7ef4b1be54997cd51e4fb0c1d45ab",
	      "35df2919c827a37f60de5f456c25d867eb2becc61b7ed65283ee2fa4b8c6f005",
	      "29b1e42671") },
	{ QUIC_REF_AES_128_CCM_SHA256, 0xa0, 0, 0xabcdef, 2,
	  HEX("45b2027eb02babdf90a859d59e8018b8"),
	  HEX("e600be6852b9593e213d411a"),
	  HEX("ecd463f1761ee202ae9f3a4bb07d409a"),
	  HEX("410ddba11ca75eed0126f388a69b7e85353f64a36a09bb0004bd336af01f5d7b",
	      "794f89248a9cdc9de1800125fa75fb57248f26fda939e92e7e84b50f9266ffca",
	      "4cc623fb") },
	{ QUIC_REF_AES_128_CCM_SHA256, 0xa0, 1, 0xabcdf0, 4,
	  HEX("8a0037be251c1d8fb27b1c720af12f05"),
	  HEX("44c892b64f42e5165396780d"),
	  HEX("ecd463f1761ee202ae9f3a4bb07d409a"),
	  HEX("5b0ddba11ca75eed01cc3a3914205a6934fd6bcc3c07ef8130c9129bcc6b9028",
	      "497ace27a377f8018c5f39d48b20c1158eb4884328cc9b5266fb208e052708b5",
	      "c140d76ea28e") },
};

/* Secrets are bytes seed, seed + 1, ...; payloads PING then 0x20, 0x21... */
static bool check_kat(const struct kat *t)
{
	static const uint8_t dcid[] = {
		0x0d, 0xdb, 0xa1, 0x1c, 0xa7, 0x5e, 0xed, 0x01,
	};
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], pkt[128];
	struct quic_ref_key k = {0};
	size_t header_len, len, i;
	struct quic_ref_rx rx;
	bool ok = false;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = t->seed + i;
	CHECK_INT(quic_ref_key_init(&k, t->cipher, secret,
				    quic_ref_secret_len(t->cipher)), 0);
	for (i = 0; i < t->generation; i++)
		CHECK_INT(quic_ref_key_update(&k), 0);
	CHECK_HEX(k.key, k.key_len, t->key);
	CHECK_HEX(k.iv, 12, t->iv);
	CHECK_HEX(k.hp, k.key_len, t->hp);

	header_len = quic_ref_short_header(pkt, dcid, sizeof(dcid), t->pn,
					   t->pn_len, quic_ref_key_phase(&k));
	pkt[header_len] = 0x01;
	for (i = 0; i < 40; i++)
		pkt[header_len + 1 + i] = 0x20 + i;
	len = header_len + 41 + QUIC_REF_TAG_LEN;
	CHECK_INT(quic_ref_protect(&k, pkt, len, sizeof(dcid), t->pn), 0);
	CHECK_HEX(pkt, len, t->packet);
	CHECK_INT(quic_ref_unprotect(&k, pkt, len, sizeof(dcid), t->pn - 1, &rx),
		  0);
	CHECK_INT(rx.pn, t->pn);
	CHECK_INT(rx.key_phase, t->generation & 1);
	CHECK_INT(pkt[header_len + 40], 0x20 + 39);
	ok = true;
out:
	quic_ref_key_free(&k);
	return ok;
}

static enum result test_kat_aes256gcm_aes128ccm(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kats); i++)
		if (!check_kat(&kats[i])) {
			printf("# known answer %zu failed\n", i);
			return FAIL;
		}
	return PASS;
}

/* RFC 9000, A.2, and what its pseudocode gives at the edges. */
static enum result test_rfc9000_a2_pn_encode(void)
{
	enum result ret = FAIL;

	CHECK_INT(quic_ref_pn_len(0xac5c02, 0xabe8b3), 2);
	CHECK_INT(quic_ref_pn_len(0xace8fe, 0xabe8b3), 3);

	/* With no acknowledgment, the range is the packet number plus one. */
	CHECK_INT(quic_ref_pn_len(0, QUIC_REF_PN_NONE), 1);
	CHECK_INT(quic_ref_pn_len(127, QUIC_REF_PN_NONE), 1);
	CHECK_INT(quic_ref_pn_len(128, QUIC_REF_PN_NONE), 2);
	/* log2(n) + 1 <= 8 * len: up to 2^7, 2^15, 2^23, 2^31 unacked. */
	CHECK_INT(quic_ref_pn_len(1000 + 128, 1000), 1);
	CHECK_INT(quic_ref_pn_len(1000 + 129, 1000), 2);
	CHECK_INT(quic_ref_pn_len(1000 + (1 << 15), 1000), 2);
	CHECK_INT(quic_ref_pn_len(1000 + (1 << 15) + 1, 1000), 3);
	CHECK_INT(quic_ref_pn_len(1000 + (1 << 23), 1000), 3);
	CHECK_INT(quic_ref_pn_len(1000 + (1 << 23) + 1, 1000), 4);
	CHECK_INT(quic_ref_pn_len(1000 + (1ULL << 31), 1000), 4);
	CHECK_INT(quic_ref_pn_len(1000 + (1ULL << 31) + 1, 1000), -ERANGE);
	CHECK_INT(quic_ref_pn_len(QUIC_REF_MAX_PN, QUIC_REF_MAX_PN - 1), 1);

	/* Nothing to send at or below the largest acknowledged. */
	CHECK_INT(quic_ref_pn_len(1000, 1000), -EINVAL);
	CHECK_INT(quic_ref_pn_len(999, 1000), -EINVAL);
	CHECK_INT(quic_ref_pn_len(QUIC_REF_MAX_PN + 1, 0), -ERANGE);
	ret = PASS;
out:
	return ret;
}

/* A small deterministic generator, so that failures repeat. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

/* RFC 9000, A.3, the window's edges, the ends of the space, then sweeps. */
static enum result test_rfc9000_a3_pn_decode(void)
{
	enum result ret = FAIL;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL, la, lr, pn, mask;
	int i, len;

	CHECK_INT(quic_ref_pn_decode(0xa82f30ea, 0x9b32, 2), 0xa82f9b32);

	/* Nothing received yet: 0 is expected next. */
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_PN_NONE, 0, 1), 0);
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_PN_NONE, 0xff, 1), 0xff);
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_PN_NONE, 0x12345678, 4),
		  0x12345678);
	/* Never below 0. */
	CHECK_INT(quic_ref_pn_decode(0, 0xff, 1), 0xff);
	/* Closest to the expected 0x200 either way, up or down. */
	CHECK_INT(quic_ref_pn_decode(0x1ff, 0xff, 1), 0x1ff);
	CHECK_INT(quic_ref_pn_decode(0x1ff, 0x80, 1), 0x280);
	CHECK_INT(quic_ref_pn_decode(0x1ff, 0x81, 1), 0x181);
	CHECK_INT(quic_ref_pn_decode(0x2fe, 0x00, 1), 0x300);
	/* The window is (expected - hwin, expected + hwin]. */
	CHECK_INT(quic_ref_pn_decode(0x17f, 0x00, 1), 0x200);
	CHECK_INT(quic_ref_pn_decode(0x0ff, 0x80, 1), 0x180);
	CHECK_INT(quic_ref_pn_decode(0x0ff, 0x7f, 1), 0x17f);
	/* Never past 2^62 - 1. */
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0xff, 1),
		  QUIC_REF_MAX_PN);
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0x00, 1),
		  QUIC_REF_MAX_PN - 0xff);
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0x0000, 2),
		  QUIC_REF_MAX_PN - 0xffff);
	/* As the pseudocode: no number is expected past the last one. */
	CHECK_INT(quic_ref_pn_decode(QUIC_REF_MAX_PN, 0x0000, 2),
		  QUIC_REF_MAX_PN + 1);

	/*
	 * What is sent with quic_ref_pn_len() decodes right at any receiver
	 * that has seen at least what was acknowledged.
	 */
	for (i = 0; i < 100000; i++) {
		la = next_random(&rnd) >> (2 + next_random(&rnd) % 62);
		pn = la + 1 + next_random(&rnd) % (1ULL << (next_random(&rnd) % 32));
		if (pn > QUIC_REF_MAX_PN)
			continue;
		len = quic_ref_pn_len(pn, la);
		CHECK(len >= 1 && len <= 4);
		lr = la + next_random(&rnd) % (pn - la);
		mask = (1ULL << (8 * len)) - 1;
		if (quic_ref_pn_decode(lr, pn & mask, len) != pn) {
			printf("# la %#llx lr %#llx pn %#llx len %d\n",
			       (unsigned long long)la, (unsigned long long)lr,
			       (unsigned long long)pn, len);
			goto out;
		}
	}
	ret = PASS;
out:
	return ret;
}

/* Protect with @tx, unprotect with @rx, compare with the plaintext. */
static bool round_trip(struct quic_ref_key *tx, struct quic_ref_key *rx,
		       size_t dcid_len, uint64_t pn, unsigned int pn_len,
		       size_t payload_len)
{
	static uint8_t pkt[16384], plain[16384];
	struct quic_ref_rx info;
	size_t len;
	bool ok = false;

	len = make_packet(pkt, dcid_len, pn, pn_len, quic_ref_key_phase(tx),
			  payload_len);
	memcpy(plain, pkt, len);
	CHECK_INT(quic_ref_protect(tx, pkt, len, dcid_len, pn), 0);
	CHECK(memcmp(pkt, plain, len));
	CHECK_INT(quic_ref_unprotect(rx, pkt, len, dcid_len, pn - 1, &info), 0);
	CHECK_INT(info.pn, pn);
	CHECK_INT(info.pn_len, pn_len);
	CHECK_INT(info.key_phase, quic_ref_key_phase(tx));
	CHECK_INT(info.header_len, 1 + dcid_len + pn_len);
	CHECK_INT(info.payload_len, payload_len);
	CHECK(!memcmp(pkt, plain, len - QUIC_REF_TAG_LEN));
	ok = true;
out:
	if (!ok)
		printf("# dcid_len %zu pn %#llx pn_len %u payload_len %zu\n",
		       dcid_len, (unsigned long long)pn, pn_len, payload_len);
	return ok;
}

/* Every DCID length class, payload size and packet number length. */
static bool round_trips(struct quic_ref_key *tx, struct quic_ref_key *rx,
			uint64_t pn)
{
	static const size_t dcid_lens[] = { 0, 8, 20 };
	static const size_t sizes[] = { 3, 4, 16, 17, 100, 1200, 1452, 16000 };
	unsigned int pn_len;
	size_t d, z;

	for (d = 0; d < ARRAY_SIZE(dcid_lens); d++)
		for (z = 0; z < ARRAY_SIZE(sizes); z++)
			for (pn_len = 1; pn_len <= 4; pn_len++)
				if (!round_trip(tx, rx, dcid_lens[d], pn, pn_len,
						sizes[z]))
					return false;
	return true;
}

static enum result test_round_trips(void)
{
	static const uint64_t pns[] = { 1, 0x123456, QUIC_REF_MAX_PN };
	struct quic_ref_key tx = {0}, rx = {0};
	enum result ret = FAIL;
	size_t s, p;

	for (s = 0; s < N_SUITES; s++) {
		CHECK_INT(key_pair(&tx, &rx, all_suites[s], s), 0);
		for (p = 0; p < ARRAY_SIZE(pns); p++)
			CHECK(round_trips(&tx, &rx, pns[p]));
		quic_ref_key_free(&tx);
		quic_ref_key_free(&rx);
	}
	ret = PASS;
out:
	if (ret == FAIL)
		printf("# suite %s\n", quic_ref_cipher_name(all_suites[s]));
	quic_ref_key_free(&tx);
	quic_ref_key_free(&rx);
	return ret;
}

/* One state both protects and unprotects, failures in between. */
static enum result test_shared_state(void)
{
	uint8_t a[200], b[200], c[200];
	struct quic_ref_key k = {0}, fresh = {0};
	struct quic_ref_rx rx;
	enum result ret = FAIL;
	size_t s, len;
	int i;

	for (s = 0; s < N_SUITES; s++) {
		CHECK_INT(key_pair(&k, &fresh, all_suites[s], 0x33), 0);
		for (i = 0; i < 4; i++) {
			len = make_packet(a, 4, 500 + i, 2, false, 150);
			memcpy(b, a, len);
			CHECK_INT(quic_ref_protect(&fresh, b, len, 4, 500 + i), 0);
			CHECK_INT(quic_ref_protect(&k, a, len, 4, 500 + i), 0);
			CHECK(!memcmp(a, b, len));
			/* A failure must not disturb the next operation. */
			memcpy(c, a, len);
			c[len - 1] ^= 0x80;
			CHECK_INT(quic_ref_unprotect(&k, c, len, 4, 499 + i, &rx),
				  -EBADMSG);
			CHECK_INT(quic_ref_unprotect(&k, a, len, 4, 499 + i, &rx),
				  0);
		}
		quic_ref_key_free(&k);
		quic_ref_key_free(&fresh);
	}
	ret = PASS;
out:
	quic_ref_key_free(&k);
	quic_ref_key_free(&fresh);
	return ret;
}

/* Flipping any bit the AEAD covers, header or payload or tag, is caught. */
static enum result test_tampering(void)
{
	struct { size_t off; uint8_t bit; } flips[] = {
		{ 0, 0x01 },	/* packet number length, under protection */
		{ 0, 0x04 },	/* Key Phase, under protection */
		{ 0, 0x10 },	/* reserved bit, under protection */
		{ 0, 0x40 },	/* fixed bit, in the clear */
		{ 0, 0x20 },	/* spin bit, in the clear */
		{ 1, 0x01 },	/* DCID */
		{ 8, 0x80 },	/* DCID */
		{ 9, 0x01 },	/* packet number */
		{ 10, 0x80 },	/* packet number */
		{ 11, 0x01 },	/* payload, first byte */
		{ 11 + 59, 0x40 },	/* payload, last byte */
		{ 11 + 60, 0x01 },	/* tag, first byte */
		{ 11 + 75, 0x80 },	/* tag, last byte */
	};
	struct quic_ref_key tx = {0}, rx = {0};
	uint8_t pkt[128], copy[128];
	struct quic_ref_rx info;
	enum result ret = FAIL;
	size_t s, f, len = 0;

	for (s = 0; s < N_SUITES; s++) {
		CHECK_INT(key_pair(&tx, &rx, all_suites[s], 0x55), 0);
		len = make_packet(pkt, 8, 77, 2, false, 60);
		CHECK_INT(len, 11 + 60 + 16);
		CHECK_INT(quic_ref_protect(&tx, pkt, len, 8, 77), 0);
		for (f = 0; f < ARRAY_SIZE(flips); f++) {
			memcpy(copy, pkt, len);
			copy[flips[f].off] ^= flips[f].bit;
			CHECK_INT(quic_ref_unprotect(&rx, copy, len, 8, 76, &info),
				  -EBADMSG);
		}
		/* The header form bit makes it a long header: not ours. */
		memcpy(copy, pkt, len);
		copy[0] ^= QUIC_REF_LONG_HEADER;
		CHECK_INT(quic_ref_unprotect(&rx, copy, len, 8, 76, &info),
			  -EINVAL);
		/* And the untouched packet still goes through. */
		CHECK_INT(quic_ref_unprotect(&rx, pkt, len, 8, 76, &info), 0);
		quic_ref_key_free(&tx);
		quic_ref_key_free(&rx);
	}
	ret = PASS;
out:
	if (ret == FAIL)
		printf("# suite %s, flip %zu\n",
		       quic_ref_cipher_name(all_suites[s]), f);
	quic_ref_key_free(&tx);
	quic_ref_key_free(&rx);
	return ret;
}

/*
 * RFC 9001, section 6: the sender updates its keys and flips the Key Phase
 * bit. The receiver sees the new phase after removing header protection,
 * fails with its current keys, succeeds with the next generation, and
 * again once it has moved its own state forward.
 */
static bool key_update(uint16_t cipher)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], ku[QUIC_REF_MAX_SECRET_LEN];
	struct quic_ref_key tx = {0}, rx = {0}, next = {0};
	uint8_t pkt[256], copy[256], plain[256];
	size_t len, secret_len = quic_ref_secret_len(cipher);
	struct quic_ref_rx info;
	uint64_t pn = 1000;
	bool ok = false;
	int gen;

	CHECK_INT(key_pair(&tx, &rx, cipher, 0x77), 0);
	fill_secret(secret, 0x77);
	for (gen = 1; gen <= 3; gen++, pn++) {
		CHECK_INT(quic_ref_hkdf_expand_label(cipher, secret, "quic ku",
						     ku, secret_len), 0);
		memcpy(secret, ku, secret_len);
		CHECK_INT(quic_ref_key_update(&tx), 0);
		CHECK_INT(tx.generation, gen);
		CHECK_INT(quic_ref_key_phase(&tx), gen & 1);
		CHECK(!memcmp(tx.secret, secret, secret_len));
		CHECK(!memcmp(tx.hp, rx.hp, tx.key_len));

		len = make_packet(pkt, 8, pn, 2, quic_ref_key_phase(&tx), 100);
		memcpy(plain, pkt, len);
		CHECK_INT(quic_ref_protect(&tx, pkt, len, 8, pn), 0);

		/* The current keys fail; the phase says to try the next ones. */
		memcpy(copy, pkt, len);
		CHECK_INT(quic_ref_unprotect_header(&rx, copy, len, 8, pn - 1,
						    &info), 0);
		CHECK_INT(info.key_phase, gen & 1);
		CHECK(info.key_phase != quic_ref_key_phase(&rx));
		CHECK_INT(quic_ref_open_payload(&rx, copy, &info), -EBADMSG);

		memcpy(copy, pkt, len);
		CHECK_INT(quic_ref_unprotect_header(&rx, copy, len, 8, pn - 1,
						    &info), 0);
		CHECK_INT(quic_ref_key_init_next(&next, &rx), 0);
		CHECK_INT(quic_ref_open_payload(&next, copy, &info), 0);
		CHECK(!memcmp(copy, plain, len - QUIC_REF_TAG_LEN));
		quic_ref_key_free(&next);

		CHECK_INT(quic_ref_key_update(&rx), 0);
		CHECK_INT(quic_ref_unprotect(&rx, pkt, len, 8, pn - 1, &info), 0);
		CHECK(!memcmp(pkt, plain, len - QUIC_REF_TAG_LEN));
	}
	ok = true;
out:
	quic_ref_key_free(&tx);
	quic_ref_key_free(&rx);
	quic_ref_key_free(&next);
	return ok;
}

static enum result test_key_update(void)
{
	size_t s;

	for (s = 0; s < N_SUITES; s++)
		if (!key_update(all_suites[s])) {
			printf("# suite %s\n", quic_ref_cipher_name(all_suites[s]));
			return FAIL;
		}
	return PASS;
}

/*
 * A packet must hold 4 bytes past the packet number's start plus a 16-byte
 * sample: shorter ones are refused and left as they were.
 */
static enum result test_short_packets(void)
{
	static const size_t dcid_lens[] = { 0, 8, 20 };
	struct quic_ref_key tx = {0}, rx = {0};
	uint8_t pkt[64] = {0}, copy[64];
	struct quic_ref_rx info;
	enum result ret = FAIL;
	size_t s, d, len, min = 0;

	for (s = 0; s < N_SUITES; s++) {
		CHECK_INT(key_pair(&tx, &rx, all_suites[s], 0x99), 0);
		for (d = 0; d < 3; d++) {
			min = 1 + dcid_lens[d] + 4 + 16;
			make_packet(pkt, dcid_lens[d], 9, 4, false, 0);
			memcpy(copy, pkt, sizeof(pkt));
			for (len = 0; len < min; len++) {
				CHECK_INT(quic_ref_protect(&tx, pkt, len,
							   dcid_lens[d], 9),
					  -EMSGSIZE);
				CHECK_INT(quic_ref_unprotect(&rx, pkt, len,
							     dcid_lens[d], 8,
							     &info),
					  -EMSGSIZE);
				CHECK(!memcmp(pkt, copy, sizeof(pkt)));
			}
			/* The shortest: a 4-byte PN and no payload... */
			CHECK(round_trip(&tx, &rx, dcid_lens[d], 9, 4, 0));
			/* ...or a 1-byte PN and 3 bytes of payload. */
			CHECK(round_trip(&tx, &rx, dcid_lens[d], 9, 1, 3));
		}
		quic_ref_key_free(&tx);
		quic_ref_key_free(&rx);
	}
	ret = PASS;
out:
	if (ret == FAIL)
		printf("# suite %s, minimum %zu\n",
		       quic_ref_cipher_name(all_suites[s]), min);
	quic_ref_key_free(&tx);
	quic_ref_key_free(&rx);
	return ret;
}

/* Bad arguments get errors and leave the packet alone. */
static enum result test_bad_arguments(void)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], pkt[64] = {0}, copy[64];
	struct quic_ref_key k = {0};
	struct quic_ref_rx info;
	enum result ret = FAIL;
	size_t len;

	fill_secret(secret, 1);
	CHECK(!quic_ref_cipher_name(0x1305));
	CHECK_INT(quic_ref_secret_len(0x1305), 0);
	CHECK_INT(quic_ref_secret_len(QUIC_REF_AES_256_GCM_SHA384), 48);
	CHECK_INT(quic_ref_key_init(&k, 0x1305, secret, 32), -EINVAL);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_AES_256_GCM_SHA384, secret,
				    32), -EINVAL);
	quic_ref_key_free(&k);
	CHECK_INT(quic_ref_key_init(&k, QUIC_REF_AES_128_GCM_SHA256, secret,
				    32), 0);

	CHECK_INT(quic_ref_short_header(pkt, NULL, 0, 1, 0, false), 0);
	CHECK_INT(quic_ref_short_header(pkt, NULL, 0, 1, 5, false), 0);
	CHECK_INT(quic_ref_short_header(pkt, secret, 21, 1, 1, false), 0);

	len = make_packet(pkt, 8, 0x1234, 2, false, 20);
	memcpy(copy, pkt, sizeof(pkt));
	CHECK_INT(quic_ref_protect(&k, pkt, len, 21, 0x1234), -EINVAL);
	/* The packet number field must be the low bytes of the number. */
	CHECK_INT(quic_ref_protect(&k, pkt, len, 8, 0x1235), -EINVAL);
	CHECK_INT(quic_ref_protect(&k, pkt, len, 8, QUIC_REF_MAX_PN + 1),
		  -ERANGE);
	pkt[0] |= QUIC_REF_LONG_HEADER;
	CHECK_INT(quic_ref_protect(&k, pkt, len, 8, 0x1234), -EINVAL);
	CHECK_INT(quic_ref_unprotect(&k, pkt, len, 8, 0x1233, &info), -EINVAL);
	pkt[0] &= ~QUIC_REF_LONG_HEADER;
	CHECK_INT(quic_ref_unprotect(&k, pkt, len, 21, 0x1233, &info), -EINVAL);
	CHECK(!memcmp(pkt, copy, sizeof(pkt)));
	ret = PASS;
out:
	quic_ref_key_free(&k);
	return ret;
}

/* The raw AEAD with nothing to encrypt and no associated data. */
static enum result test_empty_aead(void)
{
	struct quic_ref_key tx = {0}, rx = {0};
	uint8_t tag[QUIC_REF_TAG_LEN];
	enum result ret = FAIL;
	size_t s;

	for (s = 0; s < N_SUITES; s++) {
		CHECK_INT(key_pair(&tx, &rx, all_suites[s], 0x11), 0);
		CHECK_INT(quic_ref_seal(&tx, 5, NULL, 0, NULL, 0, tag), 0);
		CHECK_INT(quic_ref_open(&rx, 5, NULL, 0, NULL, 0, tag), 0);
		CHECK_INT(quic_ref_open(&rx, 6, NULL, 0, NULL, 0, tag),
			  -EBADMSG);
		tag[15] ^= 1;
		CHECK_INT(quic_ref_open(&rx, 5, NULL, 0, NULL, 0, tag),
			  -EBADMSG);
		quic_ref_key_free(&tx);
		quic_ref_key_free(&rx);
	}
	ret = PASS;
out:
	quic_ref_key_free(&tx);
	quic_ref_key_free(&rx);
	return ret;
}

/* A test's name is its function's, from past "test_". */
#define TEST(fn)	{ &(#fn)[5], fn }

static const struct {
	const char *name;
	enum result (*fn)(void);
} tests[] = {
	TEST(test_rfc9001_a1_keys),
	TEST(test_rfc9001_a2_client_initial),
	TEST(test_rfc9001_a3_server_initial),
	TEST(test_rfc9001_a5_chacha20_keys),
	TEST(test_rfc9001_a5_chacha20_protect),
	TEST(test_rfc9001_a5_chacha20_unprotect),
	TEST(test_kat_aes256gcm_aes128ccm),
	TEST(test_rfc9000_a2_pn_encode),
	TEST(test_rfc9000_a3_pn_decode),
	TEST(test_round_trips),
	TEST(test_shared_state),
	TEST(test_tampering),
	TEST(test_key_update),
	TEST(test_short_packets),
	TEST(test_bad_arguments),
	TEST(test_empty_aead),
};

int main(void)
{
	size_t n = ARRAY_SIZE(tests), i;
	int pass = 0, fail = 0;

	printf("TAP version 13\n1..%zu\n", n);
	for (i = 0; i < n; i++) {
		if (tests[i].fn() == PASS) {
			printf("ok %zu %s\n", i + 1, tests[i].name);
			pass++;
		} else {
			printf("not ok %zu %s\n", i + 1, tests[i].name);
			fail++;
		}
		fflush(stdout);
	}
	printf("# Totals: pass:%d fail:%d xfail:0 xpass:0 skip:0 error:0\n",
	       pass, fail);
	return fail ? 1 : 0;
}
