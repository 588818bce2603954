/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure packet logic shared by the data path, KUnit and userspace fuzzers:
 * it depends on nothing but <linux/types.h>.
 */
#ifndef _NET_QUIC_PACKET_H
#define _NET_QUIC_PACKET_H

#include <linux/types.h>

enum quic_key_choice {
	QUIC_KEY_CUR,
	QUIC_KEY_OLD,
	QUIC_KEY_NEXT,
};

u64 quic_pn_decode(u64 expected, u64 truncated, unsigned int pn_len);
enum quic_key_choice quic_key_choose(bool cur_phase, u64 cur_first_pn,
				     bool have_old, bool phase, u64 pn);

#endif /* _NET_QUIC_PACKET_H */
