// SPDX-License-Identifier: GPL-2.0
/*
 * Pure packet logic, free of kernel state so that KUnit and userspace
 * fuzzers run the very code the data path runs: packet number recovery
 * and the choice of key generation for a packet.
 */

#include "packet.h"

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
