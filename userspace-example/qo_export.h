/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * Put in front of quic_offload.c when the Makefile builds the library
 * (-include qo_export.h), never installed. The library is compiled with
 * -fvisibility=hidden, so that nothing but its API leaves the shared
 * object and calls inside it bind locally; this gives every function
 * quic_offload.h declares default visibility, before quic_offload.c's own
 * #include finds the header already read. The linker version script,
 * quic_offload.map, then exports exactly those, as QUIC_OFFLOAD_0.
 */
#pragma GCC visibility push(default)
#include "quic_offload.h"
#pragma GCC visibility pop
