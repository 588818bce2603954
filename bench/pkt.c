// SPDX-License-Identifier: GPL-2.0
/*
 * Packets, secrets and connections of the benchmark.
 */
#include <string.h>

#include "bench.h"

void bench_cid(uint8_t *cid, uint32_t conn)
{
	static const uint8_t tail[BENCH_CID_LEN - 4] = { 0xc1, 0xd2, 0xe3, 0xf4 };
	unsigned int i;

	for (i = 0; i < 4; i++)
		cid[i] = conn >> (8 * i);
	memcpy(cid + 4, tail, sizeof(tail));
}

void bench_packet(uint8_t *pkt, unsigned int size, uint32_t conn, uint64_t pn)
{
	uint8_t cid[BENCH_CID_LEN];

	bench_cid(cid, conn);
	quic_build(pkt, size, cid, BENCH_CID_LEN, pn, BENCH_PN_LEN, false,
		   (uint8_t)conn);
}

void bench_packet_set(uint8_t *pkt, uint32_t conn, uint64_t pn)
{
	unsigned int i;

	for (i = 0; i < 4; i++)
		pkt[1 + i] = conn >> (8 * i);
	for (i = 0; i < BENCH_PN_LEN; i++)
		pkt[1 + BENCH_CID_LEN + i] = pn >> (8 * (BENCH_PN_LEN - 1 - i));
}

void bench_secret(uint16_t cipher, uint8_t *secret)
{
	size_t i, len = quic_ref_secret_len(cipher);

	for (i = 0; i < len; i++)
		secret[i] = (uint8_t)(0x5a ^ (i * 29) ^ cipher);
}

unsigned int bench_batch(const struct bench_case *c)
{
	unsigned int max = BENCH_MAX_DGRAM / c->size;

	return c->batch < max ? c->batch : max;
}

/* The connection of datagram @k of a per-datagram case: one of
 * BENCH_DGRAM_CONNS in turn, spread evenly over all @c->conns installed,
 * so that each datagram's first packet misses the receive path's
 * last-connection shortcut and looks its connection up in the full table
 */
uint32_t bench_dgram_conn(const struct bench_case *c, unsigned int k)
{
	unsigned int n = c->conns < BENCH_DGRAM_CONNS ? c->conns :
						       BENCH_DGRAM_CONNS;

	return (uint32_t)((uint64_t)(k % n) * c->conns / n);
}

const char *bench_path_name(enum bench_path p)
{
	static const char *const names[] = {
		[PATH_PLAIN] = "plain", [PATH_USER] = "user",
		[PATH_USERZC] = "userzc", [PATH_ULP] = "ulp",
	};

	return names[p];
}

const char *bench_cipher_name(uint16_t cipher)
{
	switch (cipher) {
	case QUIC_ULP_CIPHER_AES_128_GCM_SHA256:
		return "AES-128-GCM";
	case QUIC_ULP_CIPHER_AES_256_GCM_SHA384:
		return "AES-256-GCM";
	case QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256:
		return "ChaCha20-Poly1305";
	case QUIC_ULP_CIPHER_AES_128_CCM_SHA256:
		return "AES-128-CCM";
	}
	return "?";
}

int bench_ulp_install(int fd, const struct bench_case *c, bool rx,
		      double *secs)
{
	uint8_t secret[QUIC_REF_MAX_SECRET_LEN], cid[BENCH_CID_LEN];
	double t0 = now_sec();
	uint32_t i;
	int err;

	bench_secret(c->cipher, secret);
	err = quic_attach(fd);
	for (i = 0; !err && i < c->conns; i++) {
		bench_cid(cid, i);
		err = quic_set_key(fd, rx, i, c->cipher, secret, 0, 0);
		/* Received packets are matched by our IDs; sent ones name
		 * their connection in their QUIC_ULP_TX_INFO record
		 */
		if (!err && rx)
			err = quic_cid(fd, true, i, QUIC_ULP_DIR_RX, cid,
				       BENCH_CID_LEN, NULL);
	}
	*secs = now_sec() - t0;
	return err;
}
