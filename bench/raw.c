// SPDX-License-Identifier: GPL-2.0
/*
 * OpenSSL's raw cost per packet, no network: the AEAD alone (seal, open),
 * the header protection mask alone, and whole packet protection and
 * unprotection as quic_ref.c does them, on the packet sizes of the
 * benchmark. CPU time of this thread, pinned to the sender's CPU.
 *
 * Opening in place turns the packet into plaintext, so each open is
 * preceded by a memcpy() restoring the ciphertext; that memcpy() is timed
 * on its own and subtracted, and printed ("copy_ns") so that nothing is
 * subtracted silently.
 */
#define _GNU_SOURCE
#include <string.h>
#include <time.h>

#include "bench.h"

enum raw_op { OP_COPY, OP_SEAL, OP_OPEN, OP_HP, OP_PROTECT, OP_UNPROTECT, OP_N };

static const char *const op_names[OP_N] = {
	"copy_ns", "seal_ns", "open_ns", "hp_ns", "protect_ns", "unprotect_ns",
};

struct raw_ctx {
	struct quic_ref_key key;
	unsigned int size;
	uint8_t sealed[BENCH_MAX_PKT];		/* AEAD only */
	uint8_t protected_[BENCH_MAX_PKT];	/* AEAD + header protection */
	uint8_t work[BENCH_MAX_PKT];
	uint64_t pn;
};

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int raw_once(struct raw_ctx *r, enum raw_op op)
{
	unsigned int text = r->size - BENCH_HDR_LEN - QUIC_REF_TAG_LEN;
	uint8_t *w = r->work, mask[QUIC_REF_MASK_LEN];
	struct quic_ref_rx rx;

	switch (op) {
	case OP_COPY:
		memcpy(w, r->sealed, r->size);
		return 0;
	case OP_SEAL:
		return quic_ref_seal(&r->key, r->pn, w, BENCH_HDR_LEN,
				     w + BENCH_HDR_LEN, text, w + r->size - 16);
	case OP_OPEN:
		memcpy(w, r->sealed, r->size);
		return quic_ref_open(&r->key, r->pn, w, BENCH_HDR_LEN,
				     w + BENCH_HDR_LEN, text, w + r->size - 16);
	case OP_HP:
		return quic_ref_hp_mask(&r->key, w + 1 + BENCH_CID_LEN + 4, mask);
	case OP_PROTECT:
		w[0] = QUIC_REF_FIXED_BIT | (BENCH_PN_LEN - 1);
		bench_packet_set(w, 0, r->pn);
		return quic_ref_protect(&r->key, w, r->size, BENCH_CID_LEN, r->pn);
	case OP_UNPROTECT:
		memcpy(w, r->protected_, r->size);
		return quic_ref_unprotect(&r->key, w, r->size, BENCH_CID_LEN,
					  r->pn, &rx);
	default:
		return -1;
	}
}

/* Seconds of CPU per operation, over at least @seconds */
static double raw_time(struct raw_ctx *r, enum raw_op op, double seconds)
{
	unsigned long n, batch = 16, i;
	double t0, t;
	int err = 0;

	for (i = 0; i < 8; i++)
		err |= raw_once(r, op);
	t0 = cpu_now();
	for (n = 0; (t = cpu_now() - t0) < seconds; n += batch)
		for (i = 0; i < batch; i++)
			err |= raw_once(r, op);
	return err ? -1 : t / n;
}

static int raw_case(FILE *f, uint16_t cipher, unsigned int size,
		    double seconds)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN];
	double ns[OP_N];
	struct raw_ctx r = { .size = size, .pn = 12345 };
	unsigned int i;
	int err;

	bench_secret(cipher, secret);
	err = quic_ref_key_init(&r.key, cipher, secret,
				quic_ref_secret_len(cipher));
	if (err)
		return err;
	bench_packet(r.sealed, size, 0, r.pn);
	memcpy(r.work, r.sealed, size);
	memcpy(r.protected_, r.sealed, size);
	err = raw_once(&r, OP_SEAL) ||
	      quic_ref_protect(&r.key, r.protected_, size, BENCH_CID_LEN, r.pn);
	memcpy(r.sealed, r.work, size);
	for (i = 0; !err && i < OP_N; i++) {
		ns[i] = raw_time(&r, (enum raw_op)i, seconds) * 1e9;
		err = ns[i] < 0;
	}
	quic_ref_key_free(&r.key);
	if (err)
		return -1;
	/* the copy that restores the ciphertext is not part of opening */
	ns[OP_OPEN] -= ns[OP_COPY];
	ns[OP_UNPROTECT] -= ns[OP_COPY];
	fprintf(f, "{\"kind\":\"raw_openssl\",\"cipher\":\"%s\",\"size\":%u",
		bench_cipher_name(cipher), size);
	for (i = 0; i < OP_N; i++)
		fprintf(f, ",\"%s\":%.1f", op_names[i], ns[i]);
	fprintf(f, ",\"note\":\"open and unprotect exclude copy_ns\"}\n");
	fflush(f);
	return 0;
}

int bench_raw(FILE *f, double seconds)
{
	static const uint16_t ciphers[] = {
		QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
		QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	};
	static const unsigned int sizes[] = { 1200, 1452 };
	unsigned int i, j;
	int err = 0;

	pin_to_cpu(BENCH_SENDER_CPU);
	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			err |= raw_case(f, ciphers[i], sizes[j], seconds);
	return err;
}
