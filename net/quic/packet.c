// SPDX-License-Identifier: GPL-2.0
/*
 * Pure packet logic, free of kernel state so that KUnit and userspace
 * fuzzers run the very code the data path runs: the checks of the socket
 * options' and control messages' structures, the short header, packet
 * number recovery and the choice of key generation for a packet.
 */

#include <kunit/visibility.h>
#include <linux/build_bug.h>
#include <linux/errno.h>
#include <linux/limits.h>
#include <linux/string.h>
#include <linux/unaligned.h>

#include "packet.h"

/**
 * quic_ulp_key_check() - check the fields of a struct quic_ulp_key from userspace
 * @key: the structure, copied from userspace
 * @secret_len: the traffic secret length of its suite, which the caller
 *	found from @key->cipher
 *
 * Everything that does not need a lookup: the secret's length and the zeros
 * after it, the flags, the counts and the packet number.
 *
 * Return: 0, or -EINVAL.
 */
int quic_ulp_key_check(const struct quic_ulp_key *key, unsigned int secret_len)
{
	if (key->secret_len != secret_len ||
	    key->secret_len > sizeof(key->secret) ||
	    key->flags & ~QUIC_ULP_KEY_DEVICE ||
	    key->key_updates > QUIC_ULP_MAX_KEY_UPDATES ||
	    key->next_pn > QUIC_ULP_MAX_PN ||
	    !mem_is_zero(key->secret + key->secret_len,
		       sizeof(key->secret) - key->secret_len))
		return -EINVAL;
	return 0;
}

/**
 * quic_ulp_cid_check() - check the fields of a struct quic_ulp_cid from userspace
 * @cid: the structure, copied from userspace
 * @add: for QUIC_ULP_ADD_CID, else QUIC_ULP_DEL_CID
 *
 * Everything but the connection and, for a zero-length receive ID, the
 * peer address, which depend on the socket. Only a receive ID of zero
 * length has a peer address; only a transmit ID being added has a token.
 *
 * Return: 0, or -EINVAL.
 */
int quic_ulp_cid_check(const struct quic_ulp_cid *cid, bool add)
{
	if ((cid->dir != QUIC_ULP_DIR_TX && cid->dir != QUIC_ULP_DIR_RX) ||
	    cid->len > QUIC_ULP_MAX_CID_LEN ||
	    cid->flags & ~QUIC_ULP_CID_RESET_TOKEN || cid->reserved ||
	    !mem_is_zero(cid->id + cid->len, sizeof(cid->id) - cid->len))
		return -EINVAL;
	if (cid->flags & QUIC_ULP_CID_RESET_TOKEN) {
		if (cid->dir != QUIC_ULP_DIR_TX || !add)
			return -EINVAL;
	} else if (!mem_is_zero(cid->reset_token, sizeof(cid->reset_token))) {
		return -EINVAL;
	}
	if ((cid->dir == QUIC_ULP_DIR_TX || cid->len) &&
	    !mem_is_zero(&cid->peer, sizeof(cid->peer)))
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_cid_check);

/**
 * quic_ulp_tx_info_check() - check one record of a QUIC_ULP_TX_INFO message
 * @info: the record, from the sendmsg() control data
 *
 * Everything that does not need the packet or the connection.
 *
 * Return: 0, or -EINVAL.
 */
int quic_ulp_tx_info_check(const struct quic_ulp_tx_info *info)
{
	/* dcid_len and the seven reserved bytes in one load, rather than a
	 * mem_is_zero() call per packet
	 */
	u64 tail = get_unaligned_le64((const u8 *)info +
				      offsetof(struct quic_ulp_tx_info, dcid_len));

	BUILD_BUG_ON(offsetof(struct quic_ulp_tx_info, reserved) !=
		     offsetof(struct quic_ulp_tx_info, dcid_len) + 1 ||
		     sizeof(info->reserved) != 7 ||
		     sizeof(*info) != offsetof(struct quic_ulp_tx_info, dcid_len) + 8);
	if (info->pn > QUIC_ULP_MAX_PN || info->dcid_len > QUIC_ULP_MAX_CID_LEN ||
	    tail >> 8)
		return -EINVAL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_tx_info_check);

/**
 * quic_ulp_hdr_fits() - is a short-header packet long enough to protect
 * @len: the packet's length, AEAD tag included
 * @cid_len: the length of its Destination Connection ID
 *
 * Header protection samples 16 bytes starting 4 bytes after the packet
 * number field whatever its length (RFC 9001, section 5.4.2). A packet
 * with room for that has room for the 16-byte tag after any packet
 * number too.
 *
 * Return: true when it is.
 */
bool quic_ulp_hdr_fits(unsigned int len, unsigned int cid_len)
{
	return cid_len <= QUIC_ULP_MAX_CID_LEN &&
	       len >= 1 + cid_len + QUIC_MIN_AFTER_PN_OFFSET;
}

/**
 * quic_ulp_tx_hdr_check() - does a packet to send match its QUIC_ULP_TX_INFO record
 * @hdr: the start of the packet, unprotected: its first byte, Destination
 *	Connection ID and QUIC_PN_MAX_LEN bytes from the packet number field
 *	on, or as much of that as the packet has
 * @len: the packet's length, tag space included
 * @info: its record, checked with quic_ulp_tx_info_check()
 *
 * The kernel seals exactly what the record says: the packet must be a
 * short-header packet long enough to protect, its Key Phase bit must be
 * the named generation's and its packet number field must hold the low
 * bits of the named packet number, so that the peer recovers the number
 * the nonce was made from.
 *
 * Return: 0, or -EBADMSG.
 */
int quic_ulp_tx_hdr_check(const u8 *hdr, unsigned int len,
			  const struct quic_ulp_tx_info *info)
{
	unsigned int pn_off = 1 + info->dcid_len, pn_len;
	u64 truncated;

	if (!quic_ulp_hdr_fits(len, info->dcid_len) || hdr[0] & QUIC_HDR_LONG ||
	    !(hdr[0] & QUIC_HDR_KEY_PHASE) != !(info->key_gen & 1))
		return -EBADMSG;
	pn_len = quic_ulp_hdr_read_pn(hdr, pn_off, &truncated);
	if (truncated != (info->pn & (~0ULL >> (64 - 8 * pn_len))))
		return -EBADMSG;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_tx_hdr_check);

/**
 * quic_ulp_hdr_read_pn() - the packet number field of an unprotected header
 * @hdr: the short header: first byte, Destination Connection ID and
 *	QUIC_PN_MAX_LEN bytes from the packet number field on
 * @pn_off: offset of the packet number field: 1 + DCID length
 * @truncated: the field's value
 *
 * Return: the field's length, 1 to 4, from the low bits of the first byte.
 */
unsigned int quic_ulp_hdr_read_pn(const u8 *hdr, unsigned int pn_off,
				  u64 *truncated)
{
	unsigned int pn_len = quic_ulp_hdr_pn_len(hdr[0]);

	/* The four bytes are there whatever the length: one load */
	*truncated = get_unaligned_be32(hdr + pn_off) >> (8 * (4 - pn_len));
	return pn_len;
}

/**
 * quic_ulp_hp_apply() - apply or remove header protection (RFC 9001, 5.4.1)
 * @hdr: the short header: first byte, DCID and QUIC_PN_MAX_LEN bytes
 *	from the packet number field on, all writable
 * @pn_off: offset of the packet number
 * @pn_len: its length, from the unprotected first byte
 * @mask: the mask of the packet's sample
 *
 * XOR is its own inverse: the same call protects and unprotects, once the
 * caller knows the packet number length. The four bytes from @pn_off are
 * written back whatever @pn_len: those after the field unchanged.
 */
void quic_ulp_hp_apply(u8 *hdr, unsigned int pn_off, unsigned int pn_len,
		       const u8 *mask)
{
	/* The mask's bytes 1 to @pn_len over the field, high bytes first;
	 * the bytes after the field are XORed with zero
	 */
	u32 pn_mask = get_unaligned_be32(mask + 1) & (~0U << (8 * (4 - pn_len)));

	hdr[0] ^= mask[0] & QUIC_HDR_SHORT_PROTECTED;
	put_unaligned_be32(get_unaligned_be32(hdr + pn_off) ^ pn_mask,
			   hdr + pn_off);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hp_apply);

/**
 * quic_ulp_hdr_unprotect() - remove header protection from a received header
 * @hdr: the short header as received: first byte, Destination Connection
 *	ID and QUIC_PN_MAX_LEN bytes from the packet number field on
 * @pn_off: offset of the packet number field: 1 + DCID length
 * @mask: the mask of the packet's sample
 * @truncated: the packet number field's value
 *
 * Only the bytes of the packet number the unprotected first byte announces
 * are unmasked; the bytes after them belong to the payload.
 *
 * Return: the packet number field's length, 1 to 4.
 */
unsigned int quic_ulp_hdr_unprotect(u8 *hdr, unsigned int pn_off, const u8 *mask,
				    u64 *truncated)
{
	/* The protected low bits of the first byte give the length */
	unsigned int pn_len = quic_ulp_hdr_pn_len(hdr[0] ^ mask[0]);

	quic_ulp_hp_apply(hdr, pn_off, pn_len, mask);
	return quic_ulp_hdr_read_pn(hdr, pn_off, truncated);
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_hdr_unprotect);

/**
 * quic_ulp_pn_decode() - recover a full packet number (RFC 9000, A.3)
 * @expected: the packet number expected next: one more than the largest
 *	received (Rx), or than the largest sent (Tx)
 * @truncated: the packet number field's value
 * @pn_len: the field's length, 1 to 4 bytes
 *
 * Return: the packet number closest to @expected whose low bits are
 * @truncated, within the 62-bit packet number space.
 */
u64 quic_ulp_pn_decode(u64 expected, u64 truncated, unsigned int pn_len)
{
	u64 win = 1ULL << (pn_len * 8);
	u64 hwin = win / 2;
	u64 candidate = (expected & ~(win - 1)) | truncated;

	/*
	 * Written without subtractions that could wrap below zero. When the
	 * largest number is 2^62 - 1, the candidate can land past the space
	 * and the only number left is a window lower.
	 */
	if (candidate + hwin <= expected && candidate < (1ULL << 62) - win)
		return candidate + win;
	if ((candidate > expected + hwin || candidate >= 1ULL << 62) &&
	    candidate >= win)
		return candidate - win;
	return candidate;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_pn_decode);

/**
 * quic_ulp_key_choose() - which generation protects a packet (RFC 9001, 6.3-6.5)
 * @cur_phase: Key Phase bit of the current generation
 * @cur_first_pn: lowest packet number seen with the current generation
 * @have_old: the previous generation is still there
 * @phase: the packet's Key Phase bit
 * @pn: its full packet number
 *
 * A packet with the current phase uses the current keys. One with the other
 * phase is either late, from before the last update, when its number is
 * below every number seen with the current keys and the old keys are still
 * there; or it starts the next update.
 *
 * Return: QUIC_KEY_CUR, QUIC_KEY_OLD or QUIC_KEY_NEXT.
 */
enum quic_key_choice quic_ulp_key_choose(bool cur_phase, u64 cur_first_pn,
					 bool have_old, bool phase, u64 pn)
{
	if (phase == cur_phase)
		return QUIC_KEY_CUR;
	if (have_old && pn < cur_first_pn)
		return QUIC_KEY_OLD;
	return QUIC_KEY_NEXT;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_key_choose);

/**
 * quic_ulp_tx_key_choose() - the generation a packet to send names, if allowed
 * @cur: the current generation of the direction
 * @old: the previous one, or NULL when it is not kept
 * @key_gen: the generation the packet's record names
 * @pn: its packet number
 *
 * The sender names the generation; this only checks that sealing with it
 * keeps every nonce fresh and the generations' packet numbers apart, as
 * the receiver's choice of keys (RFC 9001, 6.3-6.5) relies on. The current
 * generation takes packet numbers above its largest. Naming the next one
 * is a key update: its first packet number must be above every number of
 * the current generation. The previous generation, while kept, takes a
 * packet built before the update but sent after it: below every number of
 * the current generation and above its own largest.
 *
 * Return: QUIC_KEY_CUR, QUIC_KEY_NEXT or QUIC_KEY_OLD; -EEXIST for a
 * packet number already used with the generation (or below one), or
 * -EKEYREJECTED for a generation that may not be used with @pn.
 */
int quic_ulp_tx_key_choose(const struct quic_gen_view *cur,
			   const struct quic_gen_view *old, u32 key_gen, u64 pn)
{
	if (key_gen == cur->number) {
		if (cur->used && pn <= cur->largest_pn)
			return -EEXIST;
		return QUIC_KEY_CUR;
	}
	if (cur->number != U32_MAX && key_gen == cur->number + 1) {
		if (cur->used && pn <= cur->largest_pn)
			return -EKEYREJECTED;
		return QUIC_KEY_NEXT;
	}
	if (old && key_gen == old->number) {
		if (cur->used && pn >= cur->first_pn)
			return -EKEYREJECTED;
		if (old->used && pn <= old->largest_pn)
			return -EEXIST;
		return QUIC_KEY_OLD;
	}
	return -EKEYREJECTED;
}
EXPORT_SYMBOL_IF_KUNIT(quic_ulp_tx_key_choose);
