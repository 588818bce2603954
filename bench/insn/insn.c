// SPDX-License-Identifier: GPL-2.0
/*
 * libinsn.so: a QEMU TCG plugin that counts the guest instructions every
 * translation block (TB) executes inside measurement windows, per vCPU,
 * for scripts/bench-insn.sh. No timing is involved: under TCG the number
 * of instructions a path executes is a property of the code, not of the
 * host's speed or load.
 *
 *   -plugin libinsn.so,out=DIR[,ctx=FILE]
 *
 * Windows. The guest opens and closes a window by executing a marker: the
 * 8-byte NOP "nopl disp32(%rax,%rax,1)" (0f 1f 84 00 + disp32) whose
 * displacement is 0x51 ('Q') in its top byte, the operation in the next
 * (1 opens, 2 closes) and a window id in the low 16 bits. quic_bench
 * executes them (bench/insn_mark.c). Marker NOPs are recognised when
 * translated, so nothing but their own execution is watched; the plugin
 * API of QEMU 7.2 has no system-mode syscall callback and no register
 * access, which rules out a marker system call.
 *
 * Counting. Every TB gets an execution callback whose user data is a
 * record of its own (start address, instruction count, flags); the
 * callback adds one to the record's counter for the executing vCPU and
 * the current context (below), while a window is open. Per-vCPU counters
 * make the count exact under multi-threaded TCG, where the non-atomic
 * inline adds of QEMU 7.2 could lose updates when two vCPUs run the same
 * block at once. Instructions = executions x instructions in the block.
 *
 * Copies. Under TCG each iteration of a REP string instruction (rep movs,
 * rep stos, ...) ends by jumping back to the instruction itself, so it is
 * executed as a one-instruction TB starting at that instruction: one
 * "instruction" per byte (movsb) or element. TBs starting with a REP
 * string instruction are flagged here (1: movs, 2: stos, 3: the others)
 * so that the report can put them apart.
 *
 * Spinning. A TB holding a PAUSE (cpu_relax(): the body of every kernel
 * spin-wait loop, the contended spinlock's above all) is flagged too
 * (INSN_SPIN): how often it runs depends on how long the other vCPU holds
 * what is waited for, and so on when the host deschedules that vCPU's
 * thread, not on the code.
 *
 * Context. The report splits crypto library code between AEAD and header
 * protection by who called it, which a symbol alone cannot tell (the
 * ChaCha20 block function serves both). FILE, read again whenever a window
 * opens, lists "START END CTX" lines (hex addresses, END exclusive, CTX
 * 0..INSN_NCTX-1): a TB starting in [START, END) sets its vCPU's context to
 * CTX, and every TB counts under the context its vCPU is in. The guest
 * script lists each function of the quic_ulp module, the header protection
 * function with context 1 and the others with 0, so library code counts
 * under 1 exactly when the module function it was last in is the header
 * protection one.
 *
 * Output: when a window closes, DIR/window-ID.txt with one line per TB
 * that ran in it:
 *   VADDR NINSNS FLAGS CTX COUNT_VCPU0 COUNT_VCPU1 ...
 * (VADDR hex, the rest decimal; FLAGS: REP kind | INSN_SPIN), after a
 * "# window ID vcpus N" line.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define INSN_NCTX		2
#define INSN_MARK_MAGIC		0x51u
#define INSN_MARK_OPEN		1u
#define INSN_MARK_CLOSE		2u

enum { REP_NONE, REP_MOVS, REP_STOS, REP_OTHER };
#define INSN_SPIN		0x4	/* flags: the TB holds a PAUSE */

/*
 * One per distinct (start address, instruction count, flags): a block
 * translated again (after a TB flush, or split differently) shares it.
 * count[] has nvcpus * INSN_NCTX slots, each written by one vCPU thread
 * only (relaxed atomics: plain loads and stores on x86, no lock prefix).
 */
struct rec {
	uint64_t vaddr;
	uint32_t ninsns;
	uint8_t flags;
	_Atomic int setctx;		/* -1: does not set the context */
	_Atomic uint64_t count[];
};

static char out_dir[4096];
static char ctx_file[4096];
static unsigned int nvcpus;
static _Atomic int active;
static _Atomic unsigned int *vcpu_ctx;	/* per vCPU */
static unsigned int window_id;		/* the open window's id */
static unsigned int windows;		/* windows written */

/* The record table, open addressing; and the context ranges */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct rec **table;
static size_t table_size, table_used;

struct range {
	uint64_t start, end;
	int ctx;
};
static struct range *ranges;
static size_t nranges;

static size_t rec_bytes(void)
{
	return sizeof(struct rec) + (size_t)nvcpus * INSN_NCTX *
	       sizeof(_Atomic uint64_t);
}

static uint64_t hash(uint64_t vaddr, uint32_t ninsns, uint8_t flags)
{
	uint64_t h = vaddr ^ ((uint64_t)ninsns << 48) ^ ((uint64_t)flags << 40);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The context a block starting at @vaddr sets, or -1; lock held */
static int ctx_of(uint64_t vaddr)
{
	size_t lo = 0, hi = nranges;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (vaddr < ranges[mid].start)
			hi = mid;
		else if (vaddr >= ranges[mid].end)
			lo = mid + 1;
		else
			return ranges[mid].ctx;
	}
	return -1;
}

static bool table_grow(void)
{
	size_t n = table_size ? table_size * 2 : 1 << 16, i, j;
	struct rec **t = calloc(n, sizeof(*t));

	if (!t)
		return false;
	for (i = 0; i < table_size; i++) {
		struct rec *r = table[i];

		if (!r)
			continue;
		j = hash(r->vaddr, r->ninsns, r->flags) & (n - 1);
		while (t[j])
			j = (j + 1) & (n - 1);
		t[j] = r;
	}
	free(table);
	table = t;
	table_size = n;
	return true;
}

/* The record of a block, created on first sight; NULL when out of memory */
static struct rec *rec_get(uint64_t vaddr, uint32_t ninsns, uint8_t flags)
{
	struct rec *r = NULL;
	size_t j;

	pthread_mutex_lock(&lock);
	if ((table_used + 1) * 2 > table_size && !table_grow())
		goto out;
	j = hash(vaddr, ninsns, flags) & (table_size - 1);
	for (; table[j]; j = (j + 1) & (table_size - 1)) {
		r = table[j];
		if (r->vaddr == vaddr && r->ninsns == ninsns && r->flags == flags)
			goto out;
	}
	r = calloc(1, rec_bytes());
	if (!r)
		goto out;
	r->vaddr = vaddr;
	r->ninsns = ninsns;
	r->flags = flags;
	atomic_store_explicit(&r->setctx, ctx_of(vaddr), memory_order_relaxed);
	table[j] = r;
	table_used++;
out:
	pthread_mutex_unlock(&lock);
	return r;
}

/*
 * The REP string kind of an instruction: legacy prefixes (a REP among
 * them), an optional REX prefix, then one of the string opcodes.
 */
static uint8_t rep_kind(const uint8_t *p, size_t len)
{
	bool rep = false;
	size_t i = 0;

	for (; i < len; i++) {
		if (p[i] == 0xf2 || p[i] == 0xf3)
			rep = true;
		else if (p[i] != 0x66 && p[i] != 0x67 && p[i] != 0xf0 &&
			 p[i] != 0x2e && p[i] != 0x36 && p[i] != 0x3e &&
			 p[i] != 0x26 && p[i] != 0x64 && p[i] != 0x65)
			break;
	}
	if (i < len && (p[i] & 0xf0) == 0x40)	/* REX */
		i++;
	if (!rep || i >= len)
		return REP_NONE;
	switch (p[i]) {
	case 0xa4: case 0xa5:
		return REP_MOVS;
	case 0xaa: case 0xab:
		return REP_STOS;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
	case 0xa6: case 0xa7: case 0xac: case 0xad: case 0xae: case 0xaf:
		return REP_OTHER;
	default:
		return REP_NONE;
	}
}

/* The marker's displacement, or 0 when @insn is no marker */
static uint32_t marker_of(struct qemu_plugin_insn *insn)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);
	uint32_t disp;

	if (qemu_plugin_insn_size(insn) != 8 || p[0] != 0x0f || p[1] != 0x1f ||
	    p[2] != 0x84 || p[3] != 0x00)
		return 0;
	disp = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
	       (uint32_t)p[7] << 24;
	if (disp >> 24 != INSN_MARK_MAGIC)
		return 0;
	if (((disp >> 16) & 0xff) != INSN_MARK_OPEN &&
	    ((disp >> 16) & 0xff) != INSN_MARK_CLOSE)
		return 0;
	return disp;
}

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct rec *r = udata;
	int set = atomic_load_explicit(&r->setctx, memory_order_relaxed);
	unsigned int ctx;
	_Atomic uint64_t *c;

	if (vcpu >= nvcpus)
		return;
	if (set >= 0)
		atomic_store_explicit(&vcpu_ctx[vcpu], (unsigned int)set,
				      memory_order_relaxed);
	if (!atomic_load_explicit(&active, memory_order_relaxed))
		return;
	ctx = atomic_load_explicit(&vcpu_ctx[vcpu], memory_order_relaxed);
	c = &r->count[vcpu * INSN_NCTX + ctx];
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Read the context ranges again and retag every record; lock held */
static void ranges_load(void)
{
	struct range *r = NULL, *t;
	size_t n = 0, cap = 0, i;
	uint64_t start, end;
	char line[256];
	FILE *f;
	int ctx;

	if (!ctx_file[0])
		return;
	f = fopen(ctx_file, "r");
	if (!f) {
		fprintf(stderr, "insn: cannot read %s: %s\n", ctx_file,
			strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %d", &start, &end,
			   &ctx) != 3 || ctx < 0 || ctx >= INSN_NCTX ||
		    end <= start)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			t = realloc(r, cap * sizeof(*r));
			if (!t)
				break;
			r = t;
		}
		r[n++] = (struct range){ start, end, ctx };
	}
	fclose(f);
	qsort(r, n, sizeof(*r), range_cmp);
	free(ranges);
	ranges = r;
	nranges = n;
	for (i = 0; i < table_size; i++)
		if (table[i])
			atomic_store_explicit(&table[i]->setctx,
					      ctx_of(table[i]->vaddr),
					      memory_order_relaxed);
}

/* Write the closed window and clear the counters; lock held */
static void window_dump(unsigned int id)
{
	char path[4200];
	size_t i;
	unsigned int v, k;
	FILE *f;

	snprintf(path, sizeof(path), "%s/window-%u.txt", out_dir, id);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "insn: cannot write %s: %s\n", path,
			strerror(errno));
		return;
	}
	fprintf(f, "# window %u vcpus %u\n", id, nvcpus);
	for (i = 0; i < table_size; i++) {
		struct rec *r = table[i];

		if (!r)
			continue;
		for (k = 0; k < INSN_NCTX; k++) {
			uint64_t sum = 0;

			for (v = 0; v < nvcpus; v++)
				sum += atomic_load_explicit(&r->count[v * INSN_NCTX + k],
							    memory_order_relaxed);
			if (!sum)
				continue;
			fprintf(f, "%" PRIx64 " %" PRIu32 " %u %u", r->vaddr,
				r->ninsns, r->flags, k);
			for (v = 0; v < nvcpus; v++) {
				_Atomic uint64_t *c = &r->count[v * INSN_NCTX + k];

				fprintf(f, " %" PRIu64,
					atomic_load_explicit(c, memory_order_relaxed));
				atomic_store_explicit(c, 0, memory_order_relaxed);
			}
			fputc('\n', f);
		}
	}
	fclose(f);
	windows++;
}

static void marker_exec(unsigned int vcpu, void *udata)
{
	uint32_t disp = (uint32_t)(uintptr_t)udata;
	unsigned int op = (disp >> 16) & 0xff, id = disp & 0xffff;

	(void)vcpu;
	pthread_mutex_lock(&lock);
	if (op == INSN_MARK_OPEN) {
		if (atomic_load(&active))
			fprintf(stderr, "insn: window %u opened inside window %u\n",
				id, window_id);
		ranges_load();
		window_id = id;
		atomic_store(&active, 1);
	} else if (atomic_load(&active)) {
		atomic_store(&active, 0);
		if (id != window_id)
			fprintf(stderr, "insn: window %u closed by the marker of %u\n",
				window_id, id);
		window_dump(window_id);
	}
	pthread_mutex_unlock(&lock);
}

/* PAUSE is F3 90, alone */
static bool is_pause(struct qemu_plugin_insn *insn)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);

	return qemu_plugin_insn_size(insn) == 2 && p[0] == 0xf3 && p[1] == 0x90;
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct qemu_plugin_insn *first;
	uint8_t flags = REP_NONE;
	struct rec *r;

	(void)id;
	if (!n)
		return;
	first = qemu_plugin_tb_get_insn(tb, 0);
	flags = rep_kind(qemu_plugin_insn_data(first),
			 qemu_plugin_insn_size(first));
	for (i = 0; i < n; i++)
		if (is_pause(qemu_plugin_tb_get_insn(tb, i)))
			flags |= INSN_SPIN;
	r = rec_get(qemu_plugin_tb_vaddr(tb), (uint32_t)n, flags);
	if (r)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec,
						     QEMU_PLUGIN_CB_NO_REGS, r);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		uint32_t disp = marker_of(insn);

		if (disp)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, marker_exec,
				QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)disp);
	}
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	if (atomic_load(&active))
		fprintf(stderr, "insn: window %u never closed\n", window_id);
	fprintf(stderr, "insn: %u windows written, %zu blocks seen\n", windows,
		table_used);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info, int argc,
					   char **argv)
{
	int i;

	if (!info->system_emulation) {
		fprintf(stderr, "insn: system emulation only\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			snprintf(out_dir, sizeof(out_dir), "%s", argv[i] + 4);
		else if (!strncmp(argv[i], "ctx=", 4))
			snprintf(ctx_file, sizeof(ctx_file), "%s", argv[i] + 4);
		else {
			fprintf(stderr, "insn: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!out_dir[0]) {
		fprintf(stderr, "insn: out=DIR is required\n");
		return -1;
	}
	nvcpus = (unsigned int)info->system.max_vcpus;
	vcpu_ctx = calloc(nvcpus, sizeof(*vcpu_ctx));
	if (!vcpu_ctx || !table_grow())
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
