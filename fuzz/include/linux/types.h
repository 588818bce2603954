/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/types.h>, so that the pure
 * files of net/quic (packet.c) build as they are for the fuzzers. Only the
 * types those files and the uAPI header use; anything more is a sign that
 * a file stopped being pure, and the fuzz build should fail rather than
 * paper over it.
 */
#ifndef _FUZZ_LINUX_TYPES_H
#define _FUZZ_LINUX_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* What include/uapi/linux/quic.h uses */
typedef uint8_t __u8;
typedef uint16_t __u16;
typedef uint32_t __u32;
typedef uint64_t __u64;

#endif /* _FUZZ_LINUX_TYPES_H */
