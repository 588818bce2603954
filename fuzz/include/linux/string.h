/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/string.h>: the C library's,
 * plus the one kernel helper packet.c uses, memchr_inv() (the first byte
 * that is not @c, or NULL).
 */
#ifndef _FUZZ_LINUX_STRING_H
#define _FUZZ_LINUX_STRING_H

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

#endif /* _FUZZ_LINUX_STRING_H */
