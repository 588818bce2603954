// SPDX-License-Identifier: GPL-2.0
/*
 * Pure packet logic, free of kernel state so that KUnit and userspace
 * fuzzers run the very code the data path runs: the checks of the socket
 * options' structures, the short header, packet number recovery and the
 * choice of key generation for a packet.
 */

#include <linux/errno.h>
#include <linux/string.h>

#include "packet.h"

/**
 * quic_zero() - are all bytes zero
 * @p: the bytes
 * @len: how many
 *
 * Return: true when they are (and when @len is 0).
 */
bool quic_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/**
 * quic_key_check() - check the fields of a struct quic_key from userspace
 * @key: the structure, copied from userspace
 * @secret_len: the traffic secret length of its suite, which the caller
 *	found from @key->cipher
 *
 * Everything that does not need a lookup: the secret's length and the zeros
 * after it, the flags, the counts and the packet number.
 *
 * Return: 0, or -EINVAL.
 */
int quic_key_check(const struct quic_key *key, unsigned int secret_len)
{
	if (key->secret_len != secret_len ||
	    key->secret_len > sizeof(key->secret) || key->flags ||
	    key->key_updates > QUIC_MAX_KEY_UPDATES ||
	    key->next_pn > QUIC_MAX_PN ||
	    !quic_zero(key->secret + key->secret_len,
		       sizeof(key->secret) - key->secret_len))
		return -EINVAL;
	return 0;
}

/**
 * quic_cid_check() - check the fields of a struct quic_cid from userspace
 * @cid: the structure, copied from userspace
 * @add: for QUIC_ADD_CID, else QUIC_DEL_CID
 *
 * Everything but the connection and, for a zero-length ID, the peer
 * address, which depend on the socket.
 *
 * Return: 0, or -EINVAL.
 */
int quic_cid_check(const struct quic_cid *cid, bool add)
{
	if ((cid->dir != QUIC_DIR_TX && cid->dir != QUIC_DIR_RX) ||
	    cid->len > QUIC_MAX_CID_LEN ||
	    cid->flags & ~QUIC_CID_RESET_TOKEN || cid->reserved ||
	    !quic_zero(cid->id + cid->len, sizeof(cid->id) - cid->len))
		return -EINVAL;
	/* A token belongs to an ID of the peer's, given when it is added */
	if (cid->flags & QUIC_CID_RESET_TOKEN) {
		if (cid->dir != QUIC_DIR_TX || !add)
			return -EINVAL;
	} else if (!quic_zero(cid->reset_token, sizeof(cid->reset_token))) {
		return -EINVAL;
	}
	if (cid->len && !quic_zero(&cid->peer, sizeof(cid->peer)))
		return -EINVAL;
	return 0;
}

/**
 * quic_hdr_fits() - is a short-header packet long enough to protect
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
bool quic_hdr_fits(unsigned int len, unsigned int cid_len)
{
	return cid_len <= QUIC_MAX_CID_LEN &&
	       len >= 1 + cid_len + QUIC_MIN_AFTER_PN_OFFSET;
}

/**
 * quic_hdr_read_pn() - the packet number field of an unprotected header
 * @hdr: the short header: first byte, Destination Connection ID and
 *	QUIC_PN_MAX_LEN bytes from the packet number field on
 * @pn_off: offset of the packet number field: 1 + DCID length
 * @truncated: the field's value
 *
 * Return: the field's length, 1 to 4, from the low bits of the first byte.
 */
unsigned int quic_hdr_read_pn(const u8 *hdr, unsigned int pn_off,
			      u64 *truncated)
{
	unsigned int pn_len = (hdr[0] & QUIC_HDR_PN_LEN) + 1, i;

	*truncated = 0;
	for (i = 0; i < pn_len; i++)
		*truncated = *truncated << 8 | hdr[pn_off + i];
	return pn_len;
}

/**
 * quic_hp_apply() - apply or remove header protection (RFC 9001, 5.4.1)
 * @hdr: the short header: first byte, DCID, packet number
 * @pn_off: offset of the packet number
 * @pn_len: its length, from the unprotected first byte
 * @mask: the mask of the packet's sample
 *
 * XOR is its own inverse: the same call protects and unprotects, once the
 * caller knows the packet number length.
 */
void quic_hp_apply(u8 *hdr, unsigned int pn_off, unsigned int pn_len,
		   const u8 *mask)
{
	unsigned int i;

	hdr[0] ^= mask[0] & QUIC_HDR_SHORT_PROTECTED;
	for (i = 0; i < pn_len; i++)
		hdr[pn_off + i] ^= mask[1 + i];
}

/**
 * quic_hdr_unprotect() - remove header protection from a received header
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
unsigned int quic_hdr_unprotect(u8 *hdr, unsigned int pn_off, const u8 *mask,
				u64 *truncated)
{
	/* The protected low bits of the first byte give the length */
	unsigned int pn_len = ((hdr[0] ^ mask[0]) & QUIC_HDR_PN_LEN) + 1;

	quic_hp_apply(hdr, pn_off, pn_len, mask);
	return quic_hdr_read_pn(hdr, pn_off, truncated);
}

/**
 * quic_pn_decode() - recover a full packet number (RFC 9000, A.3)
 * @expected: the packet number expected next: one more than the largest
 *	received (Rx), or than the largest sent (Tx)
 * @truncated: the packet number field's value
 * @pn_len: the field's length, 1 to 4 bytes
 *
 * Return: the packet number closest to @expected whose low bits are
 * @truncated, within the 62-bit packet number space.
 */
u64 quic_pn_decode(u64 expected, u64 truncated, unsigned int pn_len)
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

/**
 * quic_key_choose() - which generation protects a packet (RFC 9001, 6.3-6.5)
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
enum quic_key_choice quic_key_choose(bool cur_phase, u64 cur_first_pn,
				     bool have_old, bool phase, u64 pn)
{
	if (phase == cur_phase)
		return QUIC_KEY_CUR;
	if (have_old && pn < cur_first_pn)
		return QUIC_KEY_OLD;
	return QUIC_KEY_NEXT;
}
