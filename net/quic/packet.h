/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure packet logic shared by the data path, KUnit and userspace fuzzers:
 * it depends on nothing but <linux/types.h>, <linux/string.h> and the uAPI.
 */
#ifndef _NET_QUIC_PACKET_H
#define _NET_QUIC_PACKET_H

#include <linux/types.h>
#include <uapi/linux/quic.h>

#define QUIC_HP_SAMPLE_LEN	16
#define QUIC_HP_MASK_LEN	5
#define QUIC_PN_MAX_LEN		4
/* Header protection samples 16 bytes starting 4 bytes after the packet
 * number field (RFC 9001, section 5.4.2): the shortest packet we accept.
 */
#define QUIC_MIN_AFTER_PN_OFFSET	(QUIC_PN_MAX_LEN + QUIC_HP_SAMPLE_LEN)

/* Short header bits (RFC 9000, section 17.3.1) */
#define QUIC_HDR_LONG		0x80
#define QUIC_HDR_KEY_PHASE	0x04
#define QUIC_HDR_PN_LEN		0x03
#define QUIC_HDR_SHORT_PROTECTED	0x1f

enum quic_key_choice {
	QUIC_KEY_CUR,
	QUIC_KEY_OLD,
	QUIC_KEY_NEXT,
};

/**
 * struct quic_gen_view - what choosing a generation needs to know of one
 * @number: its generation number (key updates before it)
 * @first_pn: lowest packet number used with it
 * @largest_pn: largest packet number used with it
 * @used: @first_pn and @largest_pn hold packet numbers
 */
struct quic_gen_view {
	u32	number;
	u64	first_pn;
	u64	largest_pn;
	bool	used;
};

int quic_ulp_key_check(const struct quic_ulp_key *key, unsigned int secret_len);
int quic_ulp_cid_check(const struct quic_ulp_cid *cid, bool add);
int quic_ulp_tx_info_check(const struct quic_ulp_tx_info *info);

/* The Packet Number Length field of a short header's unprotected first byte */
static inline unsigned int quic_ulp_hdr_pn_len(u8 first)
{
	return (first & QUIC_HDR_PN_LEN) + 1;
}

bool quic_ulp_hdr_fits(unsigned int len, unsigned int cid_len);
int quic_ulp_tx_hdr_check(const u8 *hdr, unsigned int len,
			  const struct quic_ulp_tx_info *info);
unsigned int quic_ulp_hdr_read_pn(const u8 *hdr, unsigned int pn_off,
				  u64 *truncated);
void quic_ulp_hp_apply(u8 *hdr, unsigned int pn_off, unsigned int pn_len,
		       const u8 *mask);
unsigned int quic_ulp_hdr_unprotect(u8 *hdr, unsigned int pn_off, const u8 *mask,
				    u64 *truncated);
u64 quic_ulp_pn_decode(u64 expected, u64 truncated, unsigned int pn_len);
enum quic_key_choice quic_ulp_key_choose(bool cur_phase, u64 cur_first_pn,
					 bool have_old, bool phase, u64 pn);
int quic_ulp_tx_key_choose(const struct quic_gen_view *cur,
			   const struct quic_gen_view *old, u32 key_gen, u64 pn);

#endif /* _NET_QUIC_PACKET_H */
