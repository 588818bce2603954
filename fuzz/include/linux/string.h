/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/string.h>: the C library's,
 * plus the kernel helpers packet.c uses: memchr_inv() (the first byte
 * that is not @c, or NULL) and mem_is_zero().
 */
#ifndef _FUZZ_LINUX_STRING_H
#define _FUZZ_LINUX_STRING_H

#include <stdbool.h>
#include <string.h>

static inline void *memchr_inv(const void *p, int c, size_t len)
{
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != (unsigned char)c)
			return (void *)(s + i);
	return NULL;
}

static inline bool mem_is_zero(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

#endif /* _FUZZ_LINUX_STRING_H */
