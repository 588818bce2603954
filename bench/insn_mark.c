// SPDX-License-Identifier: GPL-2.0
/*
 * Window markers for the instruction-accounting plugin (bench/insn/insn.c):
 * an 8-byte NOP, "nopl disp32(%rax,%rax,1)", whose displacement carries
 * 0x51 ('Q'), the operation (1 open, 2 close) and a 16-bit window id. The
 * plugin recognises the NOP when QEMU translates it and acts when it runs;
 * outside the plugin it does nothing at all.
 *
 * The id has to be in the instruction bytes (the plugin API of QEMU 7.2
 * reads no registers or memory), so the markers are written once into an
 * executable page, one "NOP; ret" stub per (operation, id), and called.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

#define MARK_STUB	16		/* bytes per stub: NOP (8), ret, int3s */
#define MARK_IDS	2048
#define MARK_BYTES	(2 * MARK_IDS * MARK_STUB)

static uint8_t *stubs;

int insn_mark_init(void)
{
	uint8_t *p;
	unsigned int op, id;
	uint32_t disp;

	if (stubs)
		return 0;
	p = mmap(NULL, MARK_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0xcc, MARK_BYTES);
	for (op = 1; op <= 2; op++)
		for (id = 0; id < MARK_IDS; id++) {
			uint8_t *s = p + ((op - 1) * MARK_IDS + id) * MARK_STUB;

			disp = 0x51u << 24 | op << 16 | id;
			s[0] = 0x0f;
			s[1] = 0x1f;
			s[2] = 0x84;
			s[3] = 0x00;
			memcpy(s + 4, &disp, 4);	/* x86: little endian */
			s[8] = 0xc3;			/* ret */
		}
	if (mprotect(p, MARK_BYTES, PROT_READ | PROT_EXEC)) {
		munmap(p, MARK_BYTES);
		return -errno;
	}
	stubs = p;
	return 0;
}

void insn_mark(unsigned int op, unsigned int id)
{
	void (*stub)(void);

	if (!stubs || op < 1 || op > 2 || id >= MARK_IDS)
		return;
	/* POSIX guarantees that a data pointer converts to a function one */
	*(void **)&stub = stubs + ((op - 1) * MARK_IDS + id) * MARK_STUB;
	stub();
}

/*
 * A window whose userspace instruction count is known: @iterations of a
 * two-instruction loop (dec, jnz). The report compares the plugin's count
 * of window 0 with it, so that each run checks the counting itself.
 * Returns the loop's instruction count.
 */
uint64_t insn_calibrate(uint64_t iterations)
{
	uint64_t n = iterations;

	insn_mark(INSN_MARK_OPEN, 0);
	__asm__ volatile("1:\n\tdec %0\n\tjnz 1b" : "+r"(n) : : "cc");
	insn_mark(INSN_MARK_CLOSE, 0);
	return 2 * iterations;
}
