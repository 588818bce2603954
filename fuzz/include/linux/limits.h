/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/limits.h>: the limits
 * net/quic/packet.c uses.
 */
#ifndef _FUZZ_LINUX_LIMITS_H
#define _FUZZ_LINUX_LIMITS_H

#include <stdint.h>

#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX

#endif /* _FUZZ_LINUX_LIMITS_H */
