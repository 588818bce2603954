/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <linux/build_bug.h>: BUILD_BUG_ON()
 * as a C11 static assertion.
 */
#ifndef _FUZZ_LINUX_BUILD_BUG_H
#define _FUZZ_LINUX_BUILD_BUG_H

#include <assert.h>

#define BUILD_BUG_ON(cond)	static_assert(!(cond), #cond)

#endif /* _FUZZ_LINUX_BUILD_BUG_H */
