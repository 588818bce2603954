/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for the kernel's <kunit/visibility.h>: packet.c
 * exports its functions to the KUnit module; here there is nothing to
 * export to.
 */
#ifndef _FUZZ_KUNIT_VISIBILITY_H
#define _FUZZ_KUNIT_VISIBILITY_H

#define EXPORT_SYMBOL_IF_KUNIT(symbol)

#endif /* _FUZZ_KUNIT_VISIBILITY_H */
