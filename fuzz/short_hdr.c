// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for the short-header code of net/quic/packet.c, built
 * as the kernel builds it: quic_ulp_hdr_fits(), quic_ulp_hdr_unprotect(),
 * quic_ulp_hdr_read_pn() and quic_ulp_hp_apply(), the steps rx.c and tx.c take
 * before the AEAD.
 *
 * The input gives a DCID length (sometimes past the maximum), a packet
 * length, a header protection mask and the packet's first bytes. The
 * model is RFC 9001, section 5.4.1 written out on its own. Checked:
 *  - a packet is accepted exactly when the 16-byte sample 4 bytes after
 *    the packet number field lies inside it, and an accepted packet always
 *    has room for the 16-byte tag after its header;
 *  - unprotecting changes the 5 low bits of the first byte and the packet
 *    number bytes the unprotected first byte announces, as the model
 *    does, and nothing else: not the DCID, not the payload bytes after a
 *    short packet number;
 *  - the packet number length is 1 to 4 and the truncated number is the
 *    big-endian value of those bytes;
 *  - protecting the unprotected header gives back what arrived, and the
 *    send path reads the same packet number from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "input.h"

#define HDR_MAX	(1 + QUIC_ULP_MAX_CID_LEN + QUIC_PN_MAX_LEN)

static void fail(const char *what, unsigned int cid_len, unsigned int len)
{
	fprintf(stderr, "short_hdr: %s (cid_len %u, len %u)\n", what,
		cid_len, len);
	abort();
}

/* RFC 9001, 5.4.1, removal: returns the packet number length */
static unsigned int model_unprotect(u8 *hdr, unsigned int pn_off,
				    const u8 *mask)
{
	unsigned int pn_len, i;

	hdr[0] ^= mask[0] & 0x1f;	/* short header: 5 bits protected */
	pn_len = (hdr[0] & 0x03) + 1;
	for (i = 0; i < pn_len; i++)
		hdr[pn_off + i] ^= mask[1 + i];
	return pn_len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	u8 got[HDR_MAX], want[HDR_MAX], again[HDR_MAX], mask[QUIC_HP_MASK_LEN];
	unsigned int cid_len, len, pn_off, pn_len, want_len, i;
	u64 truncated, value, read;
	bool fits, want_fits;

	cid_len = take_below(&in, QUIC_ULP_MAX_CID_LEN + 4);
	len = take_below(&in, 96);
	if (take(&in, 1) & 1)
		len = take_below(&in, 65536);
	for (i = 0; i < sizeof(mask); i++)
		mask[i] = take(&in, 1);
	for (i = 0; i < sizeof(got); i++)
		got[i] = take(&in, 1);

	/* 1 + DCID + 4 bytes, then the 16-byte sample */
	want_fits = cid_len <= QUIC_ULP_MAX_CID_LEN &&
		    (u64)len >= 1 + cid_len + 4 + 16;
	fits = quic_ulp_hdr_fits(len, cid_len);
	if (fits != want_fits)
		fail(fits ? "too short a packet accepted" :
			    "a packet long enough refused", cid_len, len);
	if (!fits)
		return 0;

	pn_off = 1 + cid_len;
	memcpy(want, got, sizeof(want));
	memcpy(again, got, sizeof(again));
	want_len = model_unprotect(want, pn_off, mask);
	pn_len = quic_ulp_hdr_unprotect(got, pn_off, mask, &truncated);
	if (pn_len != want_len || pn_len < 1 || pn_len > QUIC_PN_MAX_LEN)
		fail("wrong packet number length", cid_len, len);
	if (memcmp(got, want, sizeof(got)))
		fail("unprotected header differs from RFC 9001, 5.4.1",
		     cid_len, len);
	value = 0;
	for (i = 0; i < pn_len; i++)
		value = value << 8 | want[pn_off + i];
	if (truncated != value)
		fail("wrong truncated packet number", cid_len, len);
	if (pn_off + pn_len + QUIC_ULP_TAG_LEN > len)
		fail("no room for the tag after the header", cid_len, len);

	/* The send path, from the unprotected header */
	if (quic_ulp_hdr_read_pn(got, pn_off, &read) != pn_len || read != value)
		fail("send path reads another packet number", cid_len, len);
	quic_ulp_hp_apply(got, pn_off, pn_len, mask);
	if (memcmp(got, again, sizeof(got)))
		fail("protecting again does not give the packet back",
		     cid_len, len);
	return 0;
}
