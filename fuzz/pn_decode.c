// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for quic_ulp_pn_decode() (net/quic/packet.c, built as the
 * kernel builds it): packet number recovery, RFC 9000 Appendix A.3.
 *
 * Input: expected packet number (8 bytes), truncated value (4 bytes), the
 * field length (1 byte), and a distance (8 bytes) for the round trip.
 * The expected number is what the kernel can pass: one more than a
 * largest packet number, so 0 to 2^62. Properties, any violation aborts:
 *  - the result keeps the truncated bits: pn mod 2^(8 len) == truncated;
 *  - it is a packet number: pn <= 2^62 - 1;
 *  - it is the closest such number to the expected one: no other number
 *    with the same low bits within the packet number space is nearer
 *    (ties go up, as the RFC's "<=" does);
 *  - round trip: a packet number pn whose expected number lies in the
 *    window [pn - win/2, pn + win/2) decodes back to pn.
 */
#include <stdio.h>
#include <stdlib.h>

#include "packet.h"
#include "input.h"

#define PN_SPACE	(1ULL << 62)

static void fail(const char *what, u64 expected, u64 truncated,
		 unsigned int len, u64 got, u64 want)
{
	fprintf(stderr, "quic_ulp_pn_decode(%#llx, %#llx, %u) = %#llx: %s (want %#llx)\n",
		(unsigned long long)expected, (unsigned long long)truncated,
		len, (unsigned long long)got, what, (unsigned long long)want);
	abort();
}

/* |a - b| without wrapping */
static u64 dist(u64 a, u64 b)
{
	return a > b ? a - b : b - a;
}

static void check_closest(u64 expected, u64 truncated, unsigned int len)
{
	u64 win = 1ULL << (8 * len), got, c, base, best = 0;
	bool have = false;
	int k;

	got = quic_ulp_pn_decode(expected, truncated, len);
	if ((got & (win - 1)) != truncated)
		fail("low bits changed", expected, truncated, len, got, truncated);
	if (got >= PN_SPACE)
		fail("beyond 2^62 - 1", expected, truncated, len, got, PN_SPACE - 1);

	/* The candidates around the expected number, the best one by the
	 * RFC: nearest, and of two at the same distance the higher one
	 * (the RFC adds a window when candidate <= expected - win/2).
	 */
	base = (expected & ~(win - 1)) | truncated;
	for (k = -2; k <= 2; k++) {
		if (k < 0 && base < (u64)-k * win)
			continue;
		c = base + (u64)k * win;
		if (k > 0 && c < base)	/* wrapped */
			continue;
		if (c >= PN_SPACE)
			continue;
		if (!have || dist(c, expected) < dist(best, expected) ||
		    (dist(c, expected) == dist(best, expected) && c > best)) {
			best = c;
			have = true;
		}
	}
	if (have && got != best)
		fail("not the closest packet number", expected, truncated, len,
		     got, best);
}

static void check_round_trip(u64 pn, u64 delta, unsigned int len)
{
	u64 win = 1ULL << (8 * len), hwin = win / 2, expected, got;

	/* expected in [pn - hwin, pn + hwin), clamped to [0, 2^62] */
	delta %= win;
	if (delta >= hwin) {
		if (pn < delta - hwin)
			return;
		expected = pn - (delta - hwin);
	} else {
		expected = pn + delta;
	}
	if (expected > PN_SPACE)
		return;
	/* The RFC's window is (expected - hwin, expected + hwin]: pn equal to
	 * expected - hwin decodes a window up.
	 */
	if (expected >= hwin && pn == expected - hwin)
		return;
	got = quic_ulp_pn_decode(expected, pn & (win - 1), len);
	if (got != pn)
		fail("round trip", expected, pn & (win - 1), len, got, pn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	u64 expected = take(&in, 8) % (PN_SPACE + 1);
	u64 truncated = take(&in, 4);
	unsigned int len = take(&in, 1) % 4 + 1;
	u64 delta = take(&in, 8);

	truncated &= (1ULL << (8 * len)) - 1;
	check_closest(expected, truncated, len);
	/* The same bytes as a packet number and a distance */
	check_round_trip(expected % PN_SPACE, delta, len);
	return 0;
}
