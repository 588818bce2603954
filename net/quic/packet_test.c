// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of packet number recovery (RFC 9000, Appendix A) and of the
 * choice of keys by Key Phase and packet number (RFC 9001, section 6).
 */

#include <kunit/test.h>
#include <linux/limits.h>

#include "packet.h"

#define PN_MAX	((1ULL << 62) - 1)

struct pn_case {
	const char *name;
	u64 expected;	/* largest seen + 1 */
	u64 truncated;
	unsigned int len;
	u64 pn;
};

static const struct pn_case pn_cases[] = {
	/* RFC 9000, A.3: largest 0xa82f30ea, 16 bits 0x9b32 */
	{ "rfc9000_a3", 0xa82f30eb, 0x9b32, 2, 0xa82f9b32 },
	/* RFC 9000, A.2: the two packets encoded relative to 0xabe8b3 */
	{ "rfc9000_a2_16bit", 0xabe8b4, 0x5c02, 2, 0xac5c02 },
	{ "rfc9000_a2_24bit", 0xabe8b4, 0xace8fe, 3, 0xace8fe },
	{ "first_packet", 0, 0, 1, 0 },
	{ "same", 1000, 1000 & 0xff, 1, 1000 },
	/* Within half a window either way of the expected number */
	{ "1byte_ahead", 0x100, 0x7f, 1, 0x17f },
	{ "1byte_behind", 0x100, 0x81, 1, 0x81 },
	{ "1byte_wrap_up", 0x1f0, 0x10, 1, 0x210 },
	{ "1byte_wrap_down", 0x210, 0xf0, 1, 0x1f0 },
	{ "2byte_wrap_up", 0x1fff0, 0x0010, 2, 0x20010 },
	{ "3byte_wrap_down", 0x2000010, 0xfffff0, 3, 0x1fffff0 },
	{ "4byte_wrap_up", 0x1fffffff0ULL, 0x10, 4, 0x200000010ULL },
	/* Edges of the window: exactly half a window behind goes ahead */
	{ "hwin_behind", 0x180, 0x00, 1, 0x200 },
	{ "hwin_ahead", 0x180, 0x00 + 0x7f, 1, 0x17f },
	/* No packet number below 0 ... */
	{ "no_negative", 5, 0xf0, 1, 0xf0 },
	{ "no_negative_4byte", 1, 0xfffffff0, 4, 0xfffffff0 },
	/* ... nor above 2^62 - 1 */
	{ "top_of_space", PN_MAX, 0xff, 1, PN_MAX },
	{ "near_top", PN_MAX - 2, (PN_MAX - 0x80) & 0xffff, 2, PN_MAX - 0x80 },
	{ "no_overflow", PN_MAX, 0x01, 1, PN_MAX - 0xfe },
	/* Largest is PN_MAX itself: the candidate window starts at 2^62 */
	{ "past_top", PN_MAX + 1, 0x00, 1, PN_MAX - 0xff },
	{ "past_top_4byte", PN_MAX + 1, 0x10, 4, PN_MAX + 1 - 0x100000000ULL + 0x10 },
};

static void pn_case_desc(const struct pn_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pn, pn_cases, pn_case_desc);

static void quic_test_pn_decode(struct kunit *test)
{
	const struct pn_case *c = test->param_value;

	KUNIT_EXPECT_EQ(test, quic_ulp_pn_decode(c->expected, c->truncated, c->len),
			c->pn);
}

/* Whatever the sender skipped, a number encoded as RFC 9000, section 17.1
 * says (more than twice the distance to the largest acknowledged) decodes
 * against the largest one sent.
 */
static void quic_test_pn_skips(struct kunit *test)
{
	u64 largest = 0, acked = 0, pn = 1, step = 1;
	unsigned int len, i;

	for (i = 0; i < 4000; i++) {
		for (len = 1; len < 4; len++)
			if (2 * (pn - acked) < 1ULL << (8 * len))
				break;
		KUNIT_ASSERT_EQ(test, quic_ulp_pn_decode(largest + 1,
							 pn & ((1ULL << (8 * len)) - 1),
						     len), pn);
		largest = pn;
		if (i % 7 == 0)
			acked = pn;
		step = step * 3 % 5000 + 1;
		pn += step;
	}
}

static void quic_test_key_choice(struct kunit *test)
{
	/* The current phase: the current keys, whatever the number */
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(false, 100, true, false, 5),
			QUIC_KEY_CUR);
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(true, 100, false, true, 500),
			QUIC_KEY_CUR);
	/* The other phase below the current keys' first packet: late */
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(false, 100, true, true, 99),
			QUIC_KEY_OLD);
	/* ... above it: the peer's next update */
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(false, 100, true, true, 100),
			QUIC_KEY_NEXT);
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(false, 100, true, true, 101),
			QUIC_KEY_NEXT);
	/* Old keys discarded: only the next ones can be right */
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(false, 100, false, true, 99),
			QUIC_KEY_NEXT);
	/* No packet with the current keys yet: all of the other phase are
	 * late while old keys exist, an update otherwise
	 */
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(true, U64_MAX, true, false, 7),
			QUIC_KEY_OLD);
	KUNIT_EXPECT_EQ(test, quic_ulp_key_choose(true, U64_MAX, false, false, 7),
			QUIC_KEY_NEXT);
}

/* What a sender may name on transmit: the current generation above its
 * largest number, the next one above every current number (a key
 * update), the previous one while kept for a number below every current
 * one and above its own largest; anything else is refused, and a number
 * already used with its generation is never sealed again.
 */
static void quic_test_tx_key_choice(struct kunit *test)
{
	struct quic_gen_view cur = {
		.number = 4, .first_pn = 100, .largest_pn = 150, .used = true,
	};
	struct quic_gen_view old = {
		.number = 3, .first_pn = 10, .largest_pn = 90, .used = true,
	};
	struct quic_gen_view fresh = { .number = 7 };

	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 4, 151),
			QUIC_KEY_CUR);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 4, 150), -EEXIST);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 4, 12), -EEXIST);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 5, 151),
			QUIC_KEY_NEXT);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 5, 150),
			-EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 3, 95),
			QUIC_KEY_OLD);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 3, 90), -EEXIST);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 3, 100),
			-EKEYREJECTED);
	/* Discarded: a late packet cannot rotate anything */
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, NULL, 3, 95),
			-EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 2, 95),
			-EKEYREJECTED);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&cur, &old, 6, 1000),
			-EKEYREJECTED);
	/* Nothing sealed yet: any number, either generation */
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&fresh, NULL, 7, 0),
			QUIC_KEY_CUR);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&fresh, NULL, 8, 0),
			QUIC_KEY_NEXT);
	/* No generation after the last one */
	fresh.number = U32_MAX;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_key_choose(&fresh, NULL, 0, 5),
			-EKEYREJECTED);
}

/* The packet must be what its record says */
static void quic_test_tx_hdr_check(struct kunit *test)
{
	struct quic_ulp_tx_info info = { .pn = 0x12345678, .dcid_len = 8 };
	u8 hdr[1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN] = {};
	unsigned int len = 1 + 8 + 4 + 30 + QUIC_ULP_TAG_LEN;

	hdr[0] = 0x40 | 3;	/* 4-byte packet number, Key Phase 0 */
	hdr[9] = 0x12;
	hdr[10] = 0x34;
	hdr[11] = 0x56;
	hdr[12] = 0x78;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), 0);
	/* The header's number field holds other low bits */
	hdr[12] = 0x79;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), -EBADMSG);
	hdr[12] = 0x78;
	/* A 1-byte field holds the low byte */
	hdr[0] = 0x40;
	hdr[9] = 0x78;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), 0);
	/* Key Phase must be the generation's */
	info.key_gen = 1;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), -EBADMSG);
	hdr[0] |= QUIC_HDR_KEY_PHASE;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), 0);
	/* Long headers are not the kernel's */
	hdr[0] |= QUIC_HDR_LONG;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, len, &info), -EBADMSG);
	hdr[0] &= ~QUIC_HDR_LONG;
	/* Too short to sample for header protection */
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, 1 + 8 + 19, &info),
			-EBADMSG);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, 1 + 8 + 20, &info), 0);
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_hdr_check(hdr, 0, &info), -EBADMSG);
}

static void quic_test_tx_info_check(struct kunit *test)
{
	struct quic_ulp_tx_info info = { .pn = QUIC_ULP_MAX_PN, .dcid_len = 20 };

	KUNIT_EXPECT_EQ(test, quic_ulp_tx_info_check(&info), 0);
	info.pn++;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_info_check(&info), -EINVAL);
	info.pn = 0;
	info.dcid_len = 21;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_info_check(&info), -EINVAL);
	info.dcid_len = 0;
	info.reserved[6] = 1;
	KUNIT_EXPECT_EQ(test, quic_ulp_tx_info_check(&info), -EINVAL);
}

/* Transmit IDs carry tokens, never addresses; receive IDs of zero length
 * carry the peer's address
 */
static void quic_test_cid_check(struct kunit *test)
{
	struct quic_ulp_cid cid = { .dir = QUIC_ULP_DIR_TX, .len = 1,
				.flags = QUIC_ULP_CID_RESET_TOKEN };

	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), 0);
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, false), -EINVAL);
	cid.len = 0;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), 0);
	cid.peer.ss_family = 2;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), -EINVAL);
	cid.dir = QUIC_ULP_DIR_RX;
	cid.flags = 0;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), 0);
	cid.len = 4;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), -EINVAL);
	cid.peer.ss_family = 0;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), 0);
	cid.id[4] = 1;
	KUNIT_EXPECT_EQ(test, quic_ulp_cid_check(&cid, true), -EINVAL);
}

static struct kunit_case quic_packet_cases[] = {
	KUNIT_CASE_PARAM(quic_test_pn_decode, pn_gen_params),
	KUNIT_CASE(quic_test_pn_skips),
	KUNIT_CASE(quic_test_key_choice),
	KUNIT_CASE(quic_test_tx_key_choice),
	KUNIT_CASE(quic_test_tx_hdr_check),
	KUNIT_CASE(quic_test_tx_info_check),
	KUNIT_CASE(quic_test_cid_check),
	{}
};

static struct kunit_suite quic_packet_suite = {
	.name = "quic_packet",
	.test_cases = quic_packet_cases,
};

kunit_test_suite(quic_packet_suite);
