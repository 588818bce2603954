// SPDX-License-Identifier: GPL-2.0
/*
 * Checks quic_ref byte for byte against the sample values of RFC 9001
 * (appendix A), RFC 9369 (appendix A, QUIC version 2) and RFC 9000
 * (appendices A.2 and A.3), against packets of the AES-256-GCM and
 * AES-128-CCM suites computed by a separate implementation, then its round
 * trips, rejections and key updates with every suite in both versions.
 */
#define _GNU_SOURCE	/* for the harness, whatever the C dialect */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kselftest_harness.h"
#include "quic_ref.h"

/*
 * Sample values are hex strings, one or more: HEX("0011", "2233") is four
 * bytes. Long ones are listed line by line, in arrays that end with NULL.
 */
#define HEX(...)	((const char *const []){ __VA_ARGS__, NULL })

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

static void log_hex(const char *what, const uint8_t *buf, size_t len)
{
	size_t i;

	fprintf(TH_LOG_STREAM, "# %s:", what);
	for (i = 0; i < len; i++)
		fprintf(TH_LOG_STREAM, "%s%02x", i % 32 ? "" : "\n#   ", buf[i]);
	fprintf(TH_LOG_STREAM, "\n");
}

/* Whether @buf is the bytes @hex spells; if not, both are logged. */
static bool same_hex(const uint8_t *buf, size_t len, const char *const *hex)
{
	static uint8_t want[2048];
	size_t want_len = unhex(want, sizeof(want), hex);

	if (want_len == len && !memcmp(buf, want, len))
		return true;
	log_hex("expected", want, want_len);
	log_hex("got", buf, len);
	return false;
}

/* A secret for tests that need just any: a pattern that depends on @seed. */
static void fill_secret(uint8_t *secret, uint8_t seed)
{
	int i;

	for (i = 0; i < QUIC_REF_MAX_SECRET_LEN; i++)
		secret[i] = seed + 7 * i;
}

/* Two key states from the same secret: a sender and a receiver. */
static int key_pair(struct quic_ref_key *tx, struct quic_ref_key *rx,
		    uint32_t version, uint16_t cipher, uint8_t seed)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	size_t len = quic_ref_secret_len(cipher);
	int err;

	fill_secret(secret, seed);
	err = quic_ref_key_init_version(tx, version, cipher, secret, len);
	if (!err)
		err = quic_ref_key_init_version(rx, version, cipher, secret, len);
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

/*
 * The sample Initial packets of RFC 9001, A.2 and A.3, and of RFC 9369,
 * A.2 and A.3, which carry the same payloads.
 */
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

static const char *const a3_payload[] = {
	"02000000000600405a020000560303eefce7f7b37ba1d1632e96677825ddf739",
	"88cfc79825df566dc5430b9a045a1200130100002e00330024001d00209d3c94",
	"0d89690b84d08a60993c144eca684d1081287c834d5311bcf32bb9da1a002b00",
	"020304",
	NULL
};

static const char *const rfc9001_a2_packet[] = {
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

static const char *const rfc9001_a3_packet[] = {
	"cf000000010008f067a5502a4262b5004075c0d95a482cd0991cd25b0aac406a",
	"5816b6394100f37a1c69797554780bb38cc5a99f5ede4cf73c3ec2493a1839b3",
	"dbcba3f6ea46c5b7684df3548e7ddeb9c3bf9c73cc3f3bded74b562bfb19fb84",
	"022f8ef4cdd93795d77d06edbb7aaf2f58891850abbdca3d20398c276456cbc4",
	"2158407dd074ee",
	NULL
};

static const char *const rfc9369_a2_packet[] = {
	"d76b3343cf088394c8f03e5157080000449ea0c95e82ffe67b6abcdb4298b485",
	"dd04de806071bf03dceebfa162e75d6c96058bdbfb127cdfcbf903388e99ad04",
	"9f9a3dd4425ae4d0992cfff18ecf0fdb5a842d09747052f17ac2053d21f57c5d",
	"250f2c4f0e0202b70785b7946e992e58a59ac52dea6774d4f03b55545243cf1a",
	"12834e3f249a78d395e0d18f4d766004f1a2674802a747eaa901c3f10cda5500",
	"cb9122faa9f1df66c392079a1b40f0de1c6054196a11cbea40afb6ef5253cd68",
	"18f6625efce3b6def6ba7e4b37a40f7732e093daa7d52190935b8da58976ff33",
	"12ae50b187c1433c0f028edcc4c2838b6a9bfc226ca4b4530e7a4ccee1bfa2a3",
	"d396ae5a3fb512384b2fdd851f784a65e03f2c4fbe11a53c7777c023462239dd",
	"6f7521a3f6c7d5dd3ec9b3f233773d4b46d23cc375eb198c63301c21801f6520",
	"bcfb7966fc49b393f0061d974a2706df8c4a9449f11d7f3d2dcbb90c6b877045",
	"636e7c0c0fe4eb0f697545460c806910d2c355f1d253bc9d2452aaa549e27a1f",
	"ac7cf4ed77f322e8fa894b6a83810a34b361901751a6f5eb65a0326e07de7c12",
	"16ccce2d0193f958bb3850a833f7ae432b65bc5a53975c155aa4bcb4f7b2c4e5",
	"4df16efaf6ddea94e2c50b4cd1dfe06017e0e9d02900cffe1935e0491d77ffb4",
	"fdf85290fdd893d577b1131a610ef6a5c32b2ee0293617a37cbb08b847741c3b",
	"8017c25ca9052ca1079d8b78aebd47876d330a30f6a8c6d61dd1ab5589329de7",
	"14d19d61370f8149748c72f132f0fc99f34d766c6938597040d8f9e2bb522ff9",
	"9c63a344d6a2ae8aa8e51b7b90a4a806105fcbca31506c446151adfeceb51b91",
	"abfe43960977c87471cf9ad4074d30e10d6a7f03c63bd5d4317f68ff325ba3bd",
	"80bf4dc8b52a0ba031758022eb025cdd770b44d6d6cf0670f4e990b22347a7db",
	"848265e3e5eb72dfe8299ad7481a408322cac55786e52f633b2fb6b614eaed18",
	"d703dd84045a274ae8bfa73379661388d6991fe39b0d93debb41700b41f90a15",
	"c4d526250235ddcd6776fc77bc97e7a417ebcb31600d01e57f32162a8560cacc",
	"7e27a096d37a1a86952ec71bd89a3e9a30a2a26162984d7740f81193e8238e61",
	"f6b5b984d4d3dfa033c1bb7e4f0037febf406d91c0dccf32acf423cfa1e70710",
	"10d3f270121b493ce85054ef58bada42310138fe081adb04e2bd901f2f13458b",
	"3d6758158197107c14ebb193230cd1157380aa79cae1374a7c1e5bbcb80ee23e",
	"06ebfde206bfb0fcbc0edc4ebec309661bdd908d532eb0c6adc38b7ca7331dce",
	"8dfce39ab71e7c32d318d136b6100671a1ae6a6600e3899f31f0eed19e3417d1",
	"34b90c9058f8632c798d4490da4987307cba922d61c39805d072b589bd52fdf1",
	"e86215c2d54e6670e07383a27bbffb5addf47d66aa85a0c6f9f32e59d85a44dd",
	"5d3b22dc2be80919b490437ae4f36a0ae55edf1d0b5cb4e9a3ecabee93dfc6e3",
	"8d209d0fa6536d27a5d6fbb17641cde27525d61093f1b28072d111b2b4ae5f89",
	"d5974ee12e5cf7d5da4d6a31123041f33e61407e76cffcdcfd7e19ba58cf4b53",
	"6f4c4938ae79324dc402894b44faf8afbab35282ab659d13c93f70412e85cb19",
	"9a37ddec600545473cfb5a05e08d0b209973b2172b4d21fb69745a262ccde96b",
	"a18b2faa745b6fe189cf772a9f84cbfc",
	NULL
};

static const char *const rfc9369_a3_packet[] = {
	"dc6b3343cf0008f067a5502a4262b5004075d92faaf16f05d8a4398c47089698",
	"baeea26b91eb761d9b89237bbf87263017915358230035f7fd3945d88965cf17",
	"f9af6e16886c61bfc703106fbaf3cb4cfa52382dd16a393e42757507698075b2",
	"c984c707f0a0812d8cd5a6881eaf21ceda98f4bd23f6fe1a3e2c43edd9ce7ca8",
	"4bed8521e2e140",
	NULL
};

/* Appendix A of both RFCs: Initial secrets from the DCID 0x8394c8f03e515708. */
static const uint8_t rfc_dcid[] = {
	0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08,
};

/* A.1 of both RFCs: what the DCID makes of a version's Initial salt. */
struct initial_keys {
	uint32_t version;
	const char *const *salt, *const *initial;
	const char *const *client, *const *client_key, *const *client_iv;
	const char *const *client_hp;
	const char *const *server, *const *server_key, *const *server_iv;
	const char *const *server_hp;
};

static void check_initial_keys(struct __test_metadata *_metadata,
			       const struct initial_keys *t)
{
	uint8_t prk[32], client[32], server[32], salt[20];
	struct quic_ref_key c = {0}, s = {0};

	ASSERT_EQ(sizeof(salt), unhex(salt, sizeof(salt), t->salt));
	ASSERT_EQ(0, quic_ref_hkdf_extract(QUIC_REF_AES_128_GCM_SHA256, salt,
					   sizeof(salt), rfc_dcid,
					   sizeof(rfc_dcid), prk));
	ASSERT_TRUE(same_hex(prk, 32, t->initial));
	ASSERT_EQ(0, quic_ref_initial_secrets_version(t->version, rfc_dcid,
						      sizeof(rfc_dcid), client,
						      server));
	ASSERT_TRUE(same_hex(client, 32, t->client));
	ASSERT_TRUE(same_hex(server, 32, t->server));

	ASSERT_EQ(0, quic_ref_key_init_version(&c, t->version,
					       QUIC_REF_AES_128_GCM_SHA256,
					       client, sizeof(client)));
	ASSERT_EQ(t->version, c.version);
	ASSERT_EQ(16, c.key_len);
	ASSERT_TRUE(same_hex(c.key, 16, t->client_key));
	ASSERT_TRUE(same_hex(c.iv, 12, t->client_iv));
	ASSERT_TRUE(same_hex(c.hp, 16, t->client_hp));

	ASSERT_EQ(0, quic_ref_key_init_version(&s, t->version,
					       QUIC_REF_AES_128_GCM_SHA256,
					       server, sizeof(server)));
	ASSERT_TRUE(same_hex(s.key, 16, t->server_key));
	ASSERT_TRUE(same_hex(s.iv, 12, t->server_iv));
	ASSERT_TRUE(same_hex(s.hp, 16, t->server_hp));
	quic_ref_key_free(&c);
	quic_ref_key_free(&s);
}

static const struct initial_keys rfc9001_a1 = {
	.version = QUIC_REF_VERSION_1,
	.salt = HEX("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"),
	.initial = HEX("7db5df06e7a69e432496adedb0085192",
		       "3595221596ae2ae9fb8115c1e9ed0a44"),
	.client = HEX("c00cf151ca5be075ed0ebfb5c80323c4",
		      "2d6b7db67881289af4008f1f6c357aea"),
	.client_key = HEX("1f369613dd76d5467730efcbe3b1a22d"),
	.client_iv = HEX("fa044b2f42a3fd3b46fb255c"),
	.client_hp = HEX("9f50449e04a0e810283a1e9933adedd2"),
	.server = HEX("3c199828fd139efd216c155ad844cc81",
		      "fb82fa8d7446fa7d78be803acdda951b"),
	.server_key = HEX("cf3a5331653c364c88f0f379b6067e37"),
	.server_iv = HEX("0ac1493ca1905853b0bba03e"),
	.server_hp = HEX("c206b8d9b9f0f37644430b490eeaa314"),
};

TEST(rfc9001_a1_keys)
{
	uint8_t client[32], server[32], v1_client[32], v1_server[32];

	check_initial_keys(_metadata, &rfc9001_a1);
	/* quic_ref_initial_secrets() is version 1's. */
	ASSERT_EQ(0, quic_ref_initial_secrets(rfc_dcid, sizeof(rfc_dcid),
					      client, server));
	ASSERT_EQ(0, quic_ref_initial_secrets_version(QUIC_REF_VERSION_1,
						      rfc_dcid,
						      sizeof(rfc_dcid),
						      v1_client, v1_server));
	ASSERT_EQ(0, memcmp(client, v1_client, sizeof(client)));
	ASSERT_EQ(0, memcmp(server, v1_server, sizeof(server)));
}

static const struct initial_keys rfc9369_a1 = {
	.version = QUIC_REF_VERSION_2,
	.salt = HEX("0dede3def700a6db819381be6e269dcbf9bd2ed9"),
	.initial = HEX("2062e8b3cd8d52092614b8071d0aa1fb",
		       "7c2e3ac193f78b280e72d8f5751f6aba"),
	.client = HEX("14ec9d6eb9fd7af83bf5a668bc17a7e2",
		      "83766aade7ecd0891f70f9ff7f4bf47b"),
	.client_key = HEX("8b1a0bc121284290a29e0971b5cd045d"),
	.client_iv = HEX("91f73e2351d8fa91660e909f"),
	.client_hp = HEX("45b95e15235d6f45a6b19cbcb0294ba9"),
	.server = HEX("0263db1782731bf4588e7e4d93b74639",
		      "07cb8cd8200b5da55a8bd488eafc37c1"),
	.server_key = HEX("82db637861d55e1d011f19ea71d5d2a7"),
	.server_iv = HEX("dd13c276499c0249d3310652"),
	.server_hp = HEX("edf6d05c83121201b436e16877593c3a"),
};

TEST(rfc9369_a1_keys)
{
	check_initial_keys(_metadata, &rfc9369_a1);
}

/*
 * A.2 and A.3 of both RFCs protect long-header Initial packets, which
 * quic_ref_protect() does not do; the raw primitives do the AEAD and the
 * mask, and the test masks the header the long-header way (4 bits of the
 * first byte). That checks AES-128-GCM, the nonce and the AES header
 * protection mask on the two complete packets of each version.
 */
static void initial_packet(struct __test_metadata *_metadata,
			   uint32_t version, bool client,
			   const char *const *header_hex,
			   const char *const *frames_hex, size_t pad_to,
			   const char *const *sample_hex,
			   const char *const *mask_hex,
			   const char *const *packet_hex)
{
	uint8_t cs[32], ss[32], pkt[1200], plain[1200], mask[5];
	size_t header_len, payload_len, pn_off, len, i;
	struct quic_ref_key k = {0};
	uint64_t pn;

	memset(pkt, 0, sizeof(pkt));
	header_len = unhex(pkt, sizeof(pkt), header_hex);
	ASSERT_NE(0U, header_len);
	/* The packet number is the header's last 1-4 bytes. */
	pn_off = header_len - ((pkt[0] & 3) + 1);
	for (pn = 0, i = pn_off; i < header_len; i++)
		pn = pn << 8 | pkt[i];
	/* Frames, then PADDING (zeros) up to @pad_to bytes. */
	payload_len = unhex(pkt + header_len, sizeof(pkt) - header_len - 16,
			    frames_hex);
	ASSERT_NE(0U, payload_len);
	if (payload_len < pad_to)
		payload_len = pad_to;
	len = header_len + payload_len + QUIC_REF_TAG_LEN;
	memcpy(plain, pkt, len);

	ASSERT_EQ(0, quic_ref_initial_secrets_version(version, rfc_dcid,
						      sizeof(rfc_dcid), cs,
						      ss));
	ASSERT_EQ(0, quic_ref_key_init_version(&k, version,
					       QUIC_REF_AES_128_GCM_SHA256,
					       client ? cs : ss, 32));
	ASSERT_EQ(0, quic_ref_seal(&k, pn, pkt, header_len, pkt + header_len,
				   payload_len, pkt + header_len + payload_len));
	ASSERT_TRUE(same_hex(pkt + pn_off + 4, 16, sample_hex));
	ASSERT_EQ(0, quic_ref_hp_mask(&k, pkt + pn_off + 4, mask));
	ASSERT_TRUE(same_hex(mask, 5, mask_hex));
	pkt[0] ^= mask[0] & 0x0f;
	for (i = pn_off; i < header_len; i++)
		pkt[i] ^= mask[1 + i - pn_off];
	ASSERT_TRUE(same_hex(pkt, len, packet_hex));

	/* And back. */
	pkt[0] ^= mask[0] & 0x0f;
	for (i = pn_off; i < header_len; i++)
		pkt[i] ^= mask[1 + i - pn_off];
	ASSERT_EQ(0, quic_ref_open(&k, pn, pkt, header_len, pkt + header_len,
				   payload_len, pkt + header_len + payload_len));
	ASSERT_EQ(0, memcmp(pkt, plain, len - QUIC_REF_TAG_LEN));
	quic_ref_key_free(&k);
}

TEST(rfc9001_a2_client_initial)
{
	initial_packet(_metadata, QUIC_REF_VERSION_1, true,
		       HEX("c300000001088394c8f03e5157080000449e00000002"),
		       a2_crypto_frame, 1162,
		       HEX("d1b1c98dd7689fb8ec11d242b123dc9b"),
		       HEX("437b9aec36"), rfc9001_a2_packet);
}

TEST(rfc9001_a3_server_initial)
{
	initial_packet(_metadata, QUIC_REF_VERSION_1, false,
		       HEX("c1000000010008f067a5502a4262b50040750001"),
		       a3_payload, 0,
		       HEX("2cd0991cd25b0aac406a5816b6394100"),
		       HEX("2ec0d8356a"), rfc9001_a3_packet);
}

TEST(rfc9369_a2_client_initial)
{
	initial_packet(_metadata, QUIC_REF_VERSION_2, true,
		       HEX("d36b3343cf088394c8f03e5157080000449e00000002"),
		       a2_crypto_frame, 1162,
		       HEX("ffe67b6abcdb4298b485dd04de806071"),
		       HEX("94a0c95e80"), rfc9369_a2_packet);
}

TEST(rfc9369_a3_server_initial)
{
	initial_packet(_metadata, QUIC_REF_VERSION_2, false,
		       HEX("d16b3343cf0008f067a5502a4262b50040750001"),
		       a3_payload, 0,
		       HEX("6f05d8a4398c47089698baeea26b91eb"),
		       HEX("4dd92e91ea"), rfc9369_a3_packet);
}

/*
 * A.5 of both RFCs: a ChaCha20-Poly1305 short-header packet, from the same
 * secret and with the same packet number and payload (a PING frame).
 */
struct chacha20_packet {
	uint32_t version;
	const char *const *key, *const *iv, *const *hp, *const *ku;
	const char *const *sample, *const *mask, *const *packet;
};

static const char *const a5_secret[] = {
	"9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b", NULL
};

#define A5_PN		654360564ULL
#define A5_PN_LEN	3U

static const struct chacha20_packet rfc9001_a5 = {
	.version = QUIC_REF_VERSION_1,
	.key = HEX("c6d98ff3441c3fe1b2182094f69caa2e",
		   "d4b716b65488960a7a984979fb23e1c8"),
	.iv = HEX("e0459b3474bdd0e44a41c144"),
	.hp = HEX("25a282b9e82f06f21f488917a4fc8f1b",
		  "73573685608597d0efcb076b0ab7a7a4"),
	.ku = HEX("1223504755036d556342ee9361d25342",
		  "1a826c9ecdf3c7148684b36b714881f9"),
	.sample = HEX("5e5cd55c41f69080575d7999c25a5bfb"),
	.mask = HEX("aefefe7d03"),
	.packet = HEX("4cfe4189655e5cd55c41f69080575d7999c25a5bfb"),
};

static const struct chacha20_packet rfc9369_a5 = {
	.version = QUIC_REF_VERSION_2,
	.key = HEX("3bfcddd72bcf02541d7fa0dd1f5f9eee",
		   "a817e09a6963a0e6c7df0f9a1bab90f2"),
	.iv = HEX("a6b5bc6ab7dafce30ffff5dd"),
	.hp = HEX("d659760d2ba434a226fd37b35c69e2da",
		  "8211d10c4f12538787d65645d5d1b8e2"),
	.ku = HEX("c69374c49e3d2a9466fa689e49d476db",
		  "5d0dfbc87d32ceeaa6343fd0ae4c7d88"),
	.sample = HEX("e7b6b932bc27d786f4bc2bb20f2162ba"),
	.mask = HEX("97580e32bf"),
	.packet = HEX("5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba"),
};

static void chacha20_init(struct __test_metadata *_metadata,
			  struct quic_ref_key *k, uint32_t version)
{
	uint8_t secret[32];

	ASSERT_EQ(sizeof(secret), unhex(secret, sizeof(secret), a5_secret));
	ASSERT_EQ(0, quic_ref_key_init_version(k, version,
					       QUIC_REF_CHACHA20_POLY1305_SHA256,
					       secret, sizeof(secret)));
	ASSERT_EQ(version, k->version);
	ASSERT_EQ(32, k->key_len);
	ASSERT_EQ(0U, k->generation);
	ASSERT_FALSE(quic_ref_key_phase(k));
}

static void chacha20_keys(struct __test_metadata *_metadata,
			  const struct chacha20_packet *t)
{
	struct quic_ref_key k = {0}, next = {0};

	chacha20_init(_metadata, &k, t->version);
	ASSERT_TRUE(same_hex(k.key, 32, t->key));
	ASSERT_TRUE(same_hex(k.iv, 12, t->iv));
	ASSERT_TRUE(same_hex(k.hp, 32, t->hp));

	/* "ku" is the secret of the next generation, of the same version. */
	ASSERT_EQ(0, quic_ref_key_init_next(&next, &k));
	ASSERT_TRUE(same_hex(next.secret, 32, t->ku));
	ASSERT_EQ(t->version, next.version);
	ASSERT_EQ(1U, next.generation);
	ASSERT_TRUE(quic_ref_key_phase(&next));
	ASSERT_EQ(0, memcmp(next.hp, k.hp, 32));
	ASSERT_NE(0, memcmp(next.key, k.key, 32));
	quic_ref_key_free(&k);
	quic_ref_key_free(&next);
}

static void chacha20_protect(struct __test_metadata *_metadata,
			     const struct chacha20_packet *t)
{
	struct quic_ref_key k = {0};
	uint8_t pkt[21], mask[5];
	int round;

	chacha20_init(_metadata, &k, t->version);
	/* Twice: the contexts in the key state must be reusable. */
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(4U, quic_ref_short_header(pkt, NULL, 0, A5_PN,
						    A5_PN_LEN, false));
		ASSERT_TRUE(same_hex(pkt, 4, HEX("4200bff4")));
		pkt[4] = 0x01;	/* PING */
		memset(pkt + 5, 0, QUIC_REF_TAG_LEN);
		ASSERT_EQ(0, quic_ref_protect(&k, pkt, sizeof(pkt), 0, A5_PN));
		ASSERT_TRUE(same_hex(pkt, sizeof(pkt), t->packet));
	}
	ASSERT_TRUE(same_hex(pkt + 5, 16, t->sample));
	ASSERT_EQ(0, quic_ref_hp_mask(&k, pkt + 5, mask));
	ASSERT_TRUE(same_hex(mask, 5, t->mask));
	quic_ref_key_free(&k);
}

static void chacha20_unprotect(struct __test_metadata *_metadata,
			       const struct chacha20_packet *t)
{
	static const uint64_t largest[] = {
		A5_PN - 1, A5_PN - 1000, A5_PN + 1000, A5_PN,
	};
	struct quic_ref_key k = {0};
	struct quic_ref_rx rx;
	uint8_t pkt[21];
	size_t i;

	chacha20_init(_metadata, &k, t->version);
	for (i = 0; i < ARRAY_SIZE(largest); i++) {
		ASSERT_EQ(sizeof(pkt), unhex(pkt, sizeof(pkt), t->packet));
		ASSERT_EQ(0, quic_ref_unprotect(&k, pkt, sizeof(pkt), 0,
						largest[i], &rx));
		ASSERT_EQ(A5_PN, rx.pn);
		ASSERT_EQ(A5_PN_LEN, rx.pn_len);
		ASSERT_FALSE(rx.key_phase);
		ASSERT_EQ(4U, rx.header_len);
		ASSERT_EQ(1U, rx.payload_len);
		ASSERT_TRUE(same_hex(pkt, 5, HEX("4200bff401")));
	}
	/* The full packet number is in the nonce: 49140 is not it. */
	ASSERT_EQ(sizeof(pkt), unhex(pkt, sizeof(pkt), t->packet));
	ASSERT_EQ(-EBADMSG, quic_ref_unprotect(&k, pkt, sizeof(pkt), 0,
					       QUIC_REF_PN_NONE, &rx));
	ASSERT_EQ(49140ULL, rx.pn);
	quic_ref_key_free(&k);
}

TEST(rfc9001_a5_chacha20_keys)
{
	chacha20_keys(_metadata, &rfc9001_a5);
}

TEST(rfc9001_a5_chacha20_protect)
{
	chacha20_protect(_metadata, &rfc9001_a5);
}

TEST(rfc9001_a5_chacha20_unprotect)
{
	chacha20_unprotect(_metadata, &rfc9001_a5);
}

TEST(rfc9369_a5_chacha20_keys)
{
	chacha20_keys(_metadata, &rfc9369_a5);
}

TEST(rfc9369_a5_chacha20_protect)
{
	chacha20_protect(_metadata, &rfc9369_a5);
}

TEST(rfc9369_a5_chacha20_unprotect)
{
	chacha20_unprotect(_metadata, &rfc9369_a5);
}

/*
 * The same secret gives other keys in the other version, all three of
 * them, and packets of one version do not open with the other's keys.
 */
TEST(versions_differ)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], pkt[100], copy[100];
	struct quic_ref_key v1 = {0}, v2 = {0};
	struct quic_ref_rx info;
	size_t len;

	ASSERT_STREQ("QUICv1", quic_ref_version_name(QUIC_REF_VERSION_1));
	ASSERT_STREQ("QUICv2", quic_ref_version_name(QUIC_REF_VERSION_2));
	ASSERT_NULL(quic_ref_version_name(0));
	ASSERT_NULL(quic_ref_version_name(2));

	fill_secret(secret, 0x22);
	/* quic_ref_key_init() is version 1's. */
	ASSERT_EQ(0, quic_ref_key_init(&v1, QUIC_REF_AES_128_GCM_SHA256,
				       secret, 32));
	ASSERT_EQ(QUIC_REF_VERSION_1, v1.version);
	ASSERT_EQ(0, quic_ref_key_init_version(&v2, QUIC_REF_VERSION_2,
					       QUIC_REF_AES_128_GCM_SHA256,
					       secret, 32));
	ASSERT_EQ(QUIC_REF_VERSION_2, v2.version);
	ASSERT_EQ(0, memcmp(v1.secret, v2.secret, 32));
	ASSERT_NE(0, memcmp(v1.key, v2.key, 16));
	ASSERT_NE(0, memcmp(v1.iv, v2.iv, 12));
	ASSERT_NE(0, memcmp(v1.hp, v2.hp, 16));

	len = make_packet(pkt, 8, 42, 1, false, 60);
	ASSERT_EQ(0, quic_ref_protect(&v1, pkt, len, 8, 42));
	memcpy(copy, pkt, len);
	ASSERT_EQ(-EBADMSG, quic_ref_unprotect(&v2, copy, len, 8, 41, &info));
	ASSERT_EQ(0, quic_ref_unprotect(&v1, pkt, len, 8, 41, &info));

	/* And the secrets of their next generations differ too. */
	ASSERT_EQ(0, quic_ref_key_update(&v1));
	ASSERT_EQ(0, quic_ref_key_update(&v2));
	ASSERT_EQ(QUIC_REF_VERSION_1, v1.version);
	ASSERT_EQ(QUIC_REF_VERSION_2, v2.version);
	ASSERT_NE(0, memcmp(v1.secret, v2.secret, 32));
	quic_ref_key_free(&v1);
	quic_ref_key_free(&v2);
}

/*
 * The other two suites have no RFC sample packet. These were computed by a
 * separate implementation (HKDF over HMAC, GCM and CCM written out over
 * AES-ECB), for generation 0 and, after one key update, generation 1, in
 * QUIC version 1.
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
static void check_kat(struct __test_metadata *_metadata, const struct kat *t)
{
	static const uint8_t dcid[] = {
		0x0d, 0xdb, 0xa1, 0x1c, 0xa7, 0x5e, 0xed, 0x01,
	};
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], pkt[128];
	const char *name = quic_ref_cipher_name(t->cipher);
	struct quic_ref_key k = {0};
	size_t header_len, len, i;
	struct quic_ref_rx rx;

	for (i = 0; i < sizeof(secret); i++)
		secret[i] = t->seed + i;
	ASSERT_EQ(0, quic_ref_key_init(&k, t->cipher, secret,
				       quic_ref_secret_len(t->cipher)));
	for (i = 0; i < t->generation; i++)
		ASSERT_EQ(0, quic_ref_key_update(&k));
	ASSERT_TRUE(same_hex(k.key, k.key_len, t->key))
		TH_LOG("%s, generation %u", name, t->generation);
	ASSERT_TRUE(same_hex(k.iv, 12, t->iv))
		TH_LOG("%s, generation %u", name, t->generation);
	ASSERT_TRUE(same_hex(k.hp, k.key_len, t->hp))
		TH_LOG("%s, generation %u", name, t->generation);

	header_len = quic_ref_short_header(pkt, dcid, sizeof(dcid), t->pn,
					   t->pn_len, quic_ref_key_phase(&k));
	pkt[header_len] = 0x01;
	for (i = 0; i < 40; i++)
		pkt[header_len + 1 + i] = 0x20 + i;
	len = header_len + 41 + QUIC_REF_TAG_LEN;
	ASSERT_EQ(0, quic_ref_protect(&k, pkt, len, sizeof(dcid), t->pn));
	ASSERT_TRUE(same_hex(pkt, len, t->packet))
		TH_LOG("%s, generation %u", name, t->generation);
	ASSERT_EQ(0, quic_ref_unprotect(&k, pkt, len, sizeof(dcid), t->pn - 1,
					&rx));
	ASSERT_EQ(t->pn, rx.pn);
	ASSERT_EQ(t->generation & 1, rx.key_phase);
	ASSERT_EQ(0x20 + 39, pkt[header_len + 40]);
	quic_ref_key_free(&k);
}

TEST(kat_aes256gcm_aes128ccm)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kats); i++)
		check_kat(_metadata, &kats[i]);
}

/* RFC 9000, A.2, and what its pseudocode gives at the edges. */
TEST(rfc9000_a2_pn_encode)
{
	ASSERT_EQ(2, quic_ref_pn_len(0xac5c02, 0xabe8b3));
	ASSERT_EQ(3, quic_ref_pn_len(0xace8fe, 0xabe8b3));

	/* With no acknowledgment, the range is the packet number plus one. */
	ASSERT_EQ(1, quic_ref_pn_len(0, QUIC_REF_PN_NONE));
	ASSERT_EQ(1, quic_ref_pn_len(127, QUIC_REF_PN_NONE));
	ASSERT_EQ(2, quic_ref_pn_len(128, QUIC_REF_PN_NONE));
	/* log2(n) + 1 <= 8 * len: up to 2^7, 2^15, 2^23, 2^31 unacked. */
	ASSERT_EQ(1, quic_ref_pn_len(1000 + 128, 1000));
	ASSERT_EQ(2, quic_ref_pn_len(1000 + 129, 1000));
	ASSERT_EQ(2, quic_ref_pn_len(1000 + (1 << 15), 1000));
	ASSERT_EQ(3, quic_ref_pn_len(1000 + (1 << 15) + 1, 1000));
	ASSERT_EQ(3, quic_ref_pn_len(1000 + (1 << 23), 1000));
	ASSERT_EQ(4, quic_ref_pn_len(1000 + (1 << 23) + 1, 1000));
	ASSERT_EQ(4, quic_ref_pn_len(1000 + (1ULL << 31), 1000));
	ASSERT_EQ(-ERANGE, quic_ref_pn_len(1000 + (1ULL << 31) + 1, 1000));
	ASSERT_EQ(1, quic_ref_pn_len(QUIC_REF_MAX_PN, QUIC_REF_MAX_PN - 1));

	/* Nothing to send at or below the largest acknowledged. */
	ASSERT_EQ(-EINVAL, quic_ref_pn_len(1000, 1000));
	ASSERT_EQ(-EINVAL, quic_ref_pn_len(999, 1000));
	ASSERT_EQ(-ERANGE, quic_ref_pn_len(QUIC_REF_MAX_PN + 1, 0));
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
TEST(rfc9000_a3_pn_decode)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ULL, la, lr, pn, mask;
	int i, len;

	ASSERT_EQ(0xa82f9b32ULL, quic_ref_pn_decode(0xa82f30ea, 0x9b32, 2));

	/* Nothing received yet: 0 is expected next. */
	ASSERT_EQ(0ULL, quic_ref_pn_decode(QUIC_REF_PN_NONE, 0, 1));
	ASSERT_EQ(0xffULL, quic_ref_pn_decode(QUIC_REF_PN_NONE, 0xff, 1));
	ASSERT_EQ(0x12345678ULL,
		  quic_ref_pn_decode(QUIC_REF_PN_NONE, 0x12345678, 4));
	/* Never below 0. */
	ASSERT_EQ(0xffULL, quic_ref_pn_decode(0, 0xff, 1));
	/* Closest to the expected 0x200 either way, up or down. */
	ASSERT_EQ(0x1ffULL, quic_ref_pn_decode(0x1ff, 0xff, 1));
	ASSERT_EQ(0x280ULL, quic_ref_pn_decode(0x1ff, 0x80, 1));
	ASSERT_EQ(0x181ULL, quic_ref_pn_decode(0x1ff, 0x81, 1));
	ASSERT_EQ(0x300ULL, quic_ref_pn_decode(0x2fe, 0x00, 1));
	/* The window is (expected - hwin, expected + hwin]. */
	ASSERT_EQ(0x200ULL, quic_ref_pn_decode(0x17f, 0x00, 1));
	ASSERT_EQ(0x180ULL, quic_ref_pn_decode(0x0ff, 0x80, 1));
	ASSERT_EQ(0x17fULL, quic_ref_pn_decode(0x0ff, 0x7f, 1));
	/* Never past 2^62 - 1. */
	ASSERT_EQ(QUIC_REF_MAX_PN,
		  quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0xff, 1));
	ASSERT_EQ(QUIC_REF_MAX_PN - 0xff,
		  quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0x00, 1));
	ASSERT_EQ(QUIC_REF_MAX_PN - 0xffff,
		  quic_ref_pn_decode(QUIC_REF_MAX_PN - 1, 0x0000, 2));
	/* As the pseudocode: no number is expected past the last one. */
	ASSERT_EQ(QUIC_REF_MAX_PN + 1,
		  quic_ref_pn_decode(QUIC_REF_MAX_PN, 0x0000, 2));
	/* An invalid length. */
	ASSERT_EQ(QUIC_REF_PN_NONE, quic_ref_pn_decode(0, 0, 0));
	ASSERT_EQ(QUIC_REF_PN_NONE, quic_ref_pn_decode(0, 0, 5));

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
		ASSERT_TRUE(len >= 1 && len <= 4);
		lr = la + next_random(&rnd) % (pn - la);
		mask = (1ULL << (8 * len)) - 1;
		ASSERT_EQ(pn, quic_ref_pn_decode(lr, pn & mask, len))
			TH_LOG("la %#llx lr %#llx pn %#llx len %d",
			       (unsigned long long)la, (unsigned long long)lr,
			       (unsigned long long)pn, len);
	}
}

/* Bad arguments get errors and leave the packet alone. */
TEST(bad_arguments)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], pkt[64] = {0}, copy[64];
	uint8_t client[32], server[32];
	struct quic_ref_key k = {0};
	struct quic_ref_rx info;
	size_t len;

	fill_secret(secret, 1);
	ASSERT_NULL(quic_ref_cipher_name(0x1305));
	ASSERT_EQ(0U, quic_ref_secret_len(0x1305));
	ASSERT_EQ(48U, quic_ref_secret_len(QUIC_REF_AES_256_GCM_SHA384));
	ASSERT_EQ(-EINVAL, quic_ref_key_init(&k, 0x1305, secret, 32));
	ASSERT_EQ(-EINVAL, quic_ref_key_init(&k, QUIC_REF_AES_256_GCM_SHA384,
					     secret, 32));
	/* Unknown versions: none, draft-29, and the v2 draft's number. */
	ASSERT_EQ(-EINVAL, quic_ref_key_init_version(&k, 0,
						     QUIC_REF_AES_128_GCM_SHA256,
						     secret, 32));
	ASSERT_EQ(-EINVAL, quic_ref_key_init_version(&k, 0xff00001d,
						     QUIC_REF_AES_128_GCM_SHA256,
						     secret, 32));
	ASSERT_EQ(-EINVAL, quic_ref_key_init_version(&k, 0x709a50c4,
						     QUIC_REF_AES_128_GCM_SHA256,
						     secret, 32));
	ASSERT_EQ(-EINVAL, quic_ref_key_init_version(&k, QUIC_REF_VERSION_2,
						     0x1305, secret, 32));
	ASSERT_EQ(-EINVAL, quic_ref_initial_secrets_version(2, rfc_dcid,
							    sizeof(rfc_dcid),
							    client, server));
	quic_ref_key_free(&k);
	ASSERT_EQ(0, quic_ref_key_init(&k, QUIC_REF_AES_128_GCM_SHA256, secret,
				       32));

	ASSERT_EQ(0U, quic_ref_short_header(pkt, NULL, 0, 1, 0, false));
	ASSERT_EQ(0U, quic_ref_short_header(pkt, NULL, 0, 1, 5, false));
	ASSERT_EQ(0U, quic_ref_short_header(pkt, secret, 21, 1, 1, false));

	len = make_packet(pkt, 8, 0x1234, 2, false, 20);
	memcpy(copy, pkt, sizeof(pkt));
	ASSERT_EQ(-EINVAL, quic_ref_protect(&k, pkt, len, 21, 0x1234));
	/* The packet number field must be the low bytes of the number. */
	ASSERT_EQ(-EINVAL, quic_ref_protect(&k, pkt, len, 8, 0x1235));
	ASSERT_EQ(-ERANGE, quic_ref_protect(&k, pkt, len, 8,
					    QUIC_REF_MAX_PN + 1));
	pkt[0] |= QUIC_REF_LONG_HEADER;
	ASSERT_EQ(-EINVAL, quic_ref_protect(&k, pkt, len, 8, 0x1234));
	ASSERT_EQ(-EINVAL, quic_ref_unprotect(&k, pkt, len, 8, 0x1233, &info));
	pkt[0] &= ~QUIC_REF_LONG_HEADER;
	ASSERT_EQ(-EINVAL, quic_ref_unprotect(&k, pkt, len, 21, 0x1233, &info));
	ASSERT_EQ(0, memcmp(pkt, copy, sizeof(pkt)));
	quic_ref_key_free(&k);
}

/*
 * The tests below run with every suite in both versions: a sender's and a
 * receiver's key state from the same secret, and room for a third.
 */
#define SUITE_SEED	0x77

FIXTURE(suite) {
	struct quic_ref_key tx, rx, next;
};

FIXTURE_VARIANT(suite) {
	uint32_t version;
	uint16_t cipher;
	const char *ku;		/* the key update label, spelt out */
};

FIXTURE_VARIANT_ADD(suite, v1_aes_128_gcm) {
	.version = QUIC_REF_VERSION_1,
	.cipher = QUIC_REF_AES_128_GCM_SHA256,
	.ku = "quic ku",
};

FIXTURE_VARIANT_ADD(suite, v1_aes_256_gcm) {
	.version = QUIC_REF_VERSION_1,
	.cipher = QUIC_REF_AES_256_GCM_SHA384,
	.ku = "quic ku",
};

FIXTURE_VARIANT_ADD(suite, v1_chacha20_poly1305) {
	.version = QUIC_REF_VERSION_1,
	.cipher = QUIC_REF_CHACHA20_POLY1305_SHA256,
	.ku = "quic ku",
};

FIXTURE_VARIANT_ADD(suite, v1_aes_128_ccm) {
	.version = QUIC_REF_VERSION_1,
	.cipher = QUIC_REF_AES_128_CCM_SHA256,
	.ku = "quic ku",
};

FIXTURE_VARIANT_ADD(suite, v2_aes_128_gcm) {
	.version = QUIC_REF_VERSION_2,
	.cipher = QUIC_REF_AES_128_GCM_SHA256,
	.ku = "quicv2 ku",
};

FIXTURE_VARIANT_ADD(suite, v2_aes_256_gcm) {
	.version = QUIC_REF_VERSION_2,
	.cipher = QUIC_REF_AES_256_GCM_SHA384,
	.ku = "quicv2 ku",
};

FIXTURE_VARIANT_ADD(suite, v2_chacha20_poly1305) {
	.version = QUIC_REF_VERSION_2,
	.cipher = QUIC_REF_CHACHA20_POLY1305_SHA256,
	.ku = "quicv2 ku",
};

FIXTURE_VARIANT_ADD(suite, v2_aes_128_ccm) {
	.version = QUIC_REF_VERSION_2,
	.cipher = QUIC_REF_AES_128_CCM_SHA256,
	.ku = "quicv2 ku",
};

FIXTURE_SETUP(suite)
{
	ASSERT_EQ(0, key_pair(&self->tx, &self->rx, variant->version,
			      variant->cipher, SUITE_SEED));
	ASSERT_EQ(variant->version, self->tx.version);
	ASSERT_EQ(variant->cipher, self->tx.cipher);
}

FIXTURE_TEARDOWN(suite)
{
	quic_ref_key_free(&self->tx);
	quic_ref_key_free(&self->rx);
	quic_ref_key_free(&self->next);
}

/* Protect with @tx, unprotect with @rx, compare with the plaintext. */
static void round_trip(struct __test_metadata *_metadata,
		       struct quic_ref_key *tx, struct quic_ref_key *rx,
		       size_t dcid_len, uint64_t pn, unsigned int pn_len,
		       size_t payload_len)
{
	static uint8_t pkt[16384], plain[16384];
	struct quic_ref_rx info;
	char what[96];
	size_t len;

	snprintf(what, sizeof(what),
		 "dcid_len %zu pn %#llx pn_len %u payload_len %zu",
		 dcid_len, (unsigned long long)pn, pn_len, payload_len);
	len = make_packet(pkt, dcid_len, pn, pn_len, quic_ref_key_phase(tx),
			  payload_len);
	memcpy(plain, pkt, len);
	ASSERT_EQ(0, quic_ref_protect(tx, pkt, len, dcid_len, pn))
		TH_LOG("%s", what);
	ASSERT_NE(0, memcmp(pkt, plain, len))
		TH_LOG("%s", what);
	ASSERT_EQ(0, quic_ref_unprotect(rx, pkt, len, dcid_len, pn - 1, &info))
		TH_LOG("%s", what);
	ASSERT_EQ(pn, info.pn)
		TH_LOG("%s", what);
	ASSERT_EQ(pn_len, info.pn_len)
		TH_LOG("%s", what);
	ASSERT_EQ(quic_ref_key_phase(tx), info.key_phase)
		TH_LOG("%s", what);
	ASSERT_EQ(1 + dcid_len + pn_len, info.header_len)
		TH_LOG("%s", what);
	ASSERT_EQ(payload_len, info.payload_len)
		TH_LOG("%s", what);
	ASSERT_EQ(0, memcmp(pkt, plain, len - QUIC_REF_TAG_LEN))
		TH_LOG("%s", what);
}

/* Every DCID length class, payload size and packet number length. */
TEST_F(suite, round_trips)
{
	static const uint64_t pns[] = { 1, 0x123456, QUIC_REF_MAX_PN };
	static const size_t dcid_lens[] = { 0, 8, 20 };
	static const size_t sizes[] = { 3, 4, 16, 17, 100, 1200, 1452, 16000 };
	unsigned int pn_len;
	size_t p, d, z;

	for (p = 0; p < ARRAY_SIZE(pns); p++)
		for (d = 0; d < ARRAY_SIZE(dcid_lens); d++)
			for (z = 0; z < ARRAY_SIZE(sizes); z++)
				for (pn_len = 1; pn_len <= 4; pn_len++)
					round_trip(_metadata, &self->tx,
						   &self->rx, dcid_lens[d],
						   pns[p], pn_len, sizes[z]);
}

/* One state both protects and unprotects, failures in between. */
TEST_F(suite, shared_state)
{
	struct quic_ref_key *k = &self->tx, *fresh = &self->rx;
	uint8_t a[200], b[200], c[200];
	struct quic_ref_rx rx;
	size_t len;
	int i;

	for (i = 0; i < 4; i++) {
		len = make_packet(a, 4, 500 + i, 2, false, 150);
		memcpy(b, a, len);
		ASSERT_EQ(0, quic_ref_protect(fresh, b, len, 4, 500 + i));
		ASSERT_EQ(0, quic_ref_protect(k, a, len, 4, 500 + i));
		ASSERT_EQ(0, memcmp(a, b, len));
		/* A failure must not disturb the next operation. */
		memcpy(c, a, len);
		c[len - 1] ^= 0x80;
		ASSERT_EQ(-EBADMSG, quic_ref_unprotect(k, c, len, 4, 499 + i,
						       &rx));
		ASSERT_EQ(0, quic_ref_unprotect(k, a, len, 4, 499 + i, &rx));
	}
}

/* Flipping any bit the AEAD covers, header or payload or tag, is caught. */
TEST_F(suite, tampering)
{
	static const struct { size_t off; uint8_t bit; } flips[] = {
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
	uint8_t pkt[128], copy[128];
	struct quic_ref_rx info;
	size_t f, len;

	len = make_packet(pkt, 8, 77, 2, false, 60);
	ASSERT_EQ(11U + 60 + 16, len);
	ASSERT_EQ(0, quic_ref_protect(&self->tx, pkt, len, 8, 77));
	for (f = 0; f < ARRAY_SIZE(flips); f++) {
		memcpy(copy, pkt, len);
		copy[flips[f].off] ^= flips[f].bit;
		ASSERT_EQ(-EBADMSG, quic_ref_unprotect(&self->rx, copy, len, 8,
						       76, &info))
			TH_LOG("flip %zu", f);
	}
	/* The header form bit makes it a long header: not ours. */
	memcpy(copy, pkt, len);
	copy[0] ^= QUIC_REF_LONG_HEADER;
	ASSERT_EQ(-EINVAL, quic_ref_unprotect(&self->rx, copy, len, 8, 76,
					      &info));
	/* And the untouched packet still goes through. */
	ASSERT_EQ(0, quic_ref_unprotect(&self->rx, pkt, len, 8, 76, &info));
}

/*
 * RFC 9001, section 6: the sender updates its keys and flips the Key Phase
 * bit. The receiver sees the new phase after removing header protection,
 * fails with its current keys, succeeds with the next generation, and
 * again once it has moved its own state forward. The next secret is
 * derived with the version's label, which the variant spells out.
 */
TEST_F(suite, key_update)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], ku[QUIC_REF_MAX_SECRET_LEN];
	uint8_t pkt[256], copy[256], plain[256];
	size_t len, secret_len = quic_ref_secret_len(variant->cipher);
	struct quic_ref_key *tx = &self->tx, *rx = &self->rx;
	struct quic_ref_rx info;
	uint64_t pn = 1000;
	uint32_t gen;

	fill_secret(secret, SUITE_SEED);
	for (gen = 1; gen <= 3; gen++, pn++) {
		ASSERT_EQ(0, quic_ref_hkdf_expand_label(variant->cipher, secret,
							variant->ku, ku,
							secret_len));
		memcpy(secret, ku, secret_len);
		ASSERT_EQ(0, quic_ref_key_update(tx));
		ASSERT_EQ(gen, tx->generation);
		ASSERT_EQ(variant->version, tx->version);
		ASSERT_EQ(gen & 1, quic_ref_key_phase(tx));
		ASSERT_EQ(0, memcmp(tx->secret, secret, secret_len));
		ASSERT_EQ(0, memcmp(tx->hp, rx->hp, tx->key_len));

		len = make_packet(pkt, 8, pn, 2, quic_ref_key_phase(tx), 100);
		memcpy(plain, pkt, len);
		ASSERT_EQ(0, quic_ref_protect(tx, pkt, len, 8, pn));

		/* The current keys fail; the phase says to try the next ones. */
		memcpy(copy, pkt, len);
		ASSERT_EQ(0, quic_ref_unprotect_header(rx, copy, len, 8, pn - 1,
						       &info));
		ASSERT_EQ(gen & 1, info.key_phase);
		ASSERT_NE(quic_ref_key_phase(rx), info.key_phase);
		ASSERT_EQ(-EBADMSG, quic_ref_open_payload(rx, copy, &info));

		memcpy(copy, pkt, len);
		ASSERT_EQ(0, quic_ref_unprotect_header(rx, copy, len, 8, pn - 1,
						       &info));
		ASSERT_EQ(0, quic_ref_key_init_next(&self->next, rx));
		ASSERT_EQ(variant->version, self->next.version);
		ASSERT_EQ(0, quic_ref_open_payload(&self->next, copy, &info));
		ASSERT_EQ(0, memcmp(copy, plain, len - QUIC_REF_TAG_LEN));
		quic_ref_key_free(&self->next);

		ASSERT_EQ(0, quic_ref_key_update(rx));
		ASSERT_EQ(0, quic_ref_unprotect(rx, pkt, len, 8, pn - 1, &info));
		ASSERT_EQ(0, memcmp(pkt, plain, len - QUIC_REF_TAG_LEN));
	}
}

/*
 * A packet must hold 4 bytes past the packet number's start plus a 16-byte
 * sample: shorter ones are refused and left as they were.
 */
TEST_F(suite, short_packets)
{
	static const size_t dcid_lens[] = { 0, 8, 20 };
	uint8_t pkt[64] = {0}, copy[64];
	struct quic_ref_rx info;
	size_t d, len, min;

	for (d = 0; d < ARRAY_SIZE(dcid_lens); d++) {
		min = 1 + dcid_lens[d] + 4 + 16;
		make_packet(pkt, dcid_lens[d], 9, 4, false, 0);
		memcpy(copy, pkt, sizeof(pkt));
		for (len = 0; len < min; len++) {
			ASSERT_EQ(-EMSGSIZE,
				  quic_ref_protect(&self->tx, pkt, len,
						   dcid_lens[d], 9))
				TH_LOG("dcid_len %zu len %zu", dcid_lens[d], len);
			ASSERT_EQ(-EMSGSIZE,
				  quic_ref_unprotect(&self->rx, pkt, len,
						     dcid_lens[d], 8, &info))
				TH_LOG("dcid_len %zu len %zu", dcid_lens[d], len);
			ASSERT_EQ(0, memcmp(pkt, copy, sizeof(pkt)));
		}
		/* The shortest: a 4-byte PN and no payload... */
		round_trip(_metadata, &self->tx, &self->rx, dcid_lens[d], 9, 4,
			   0);
		/* ...or a 1-byte PN and 3 bytes of payload. */
		round_trip(_metadata, &self->tx, &self->rx, dcid_lens[d], 9, 1,
			   3);
	}
}

/* The raw AEAD with nothing to encrypt and no associated data. */
TEST_F(suite, empty_aead)
{
	uint8_t tag[QUIC_REF_TAG_LEN];

	ASSERT_EQ(0, quic_ref_seal(&self->tx, 5, NULL, 0, NULL, 0, tag));
	ASSERT_EQ(0, quic_ref_open(&self->rx, 5, NULL, 0, NULL, 0, tag));
	ASSERT_EQ(-EBADMSG, quic_ref_open(&self->rx, 6, NULL, 0, NULL, 0, tag));
	tag[15] ^= 1;
	ASSERT_EQ(-EBADMSG, quic_ref_open(&self->rx, 5, NULL, 0, NULL, 0, tag));
}

TEST_HARNESS_MAIN
