// SPDX-License-Identifier: GPL-2.0
/*
 * quic_bench mem: the kernel memory one ULP socket pins per connection.
 *
 * Installs CONNS connections on one socket in each of three shapes, and
 * reads /proc/meminfo before and after (SUnreclaim: the slab the ULP
 * allocates; MemFree: everything, pages included, noisier):
 *
 *   fresh    keys in both directions, generation 0: two AEAD transforms
 *            and one header protection transform per direction
 *   updated  the same with the receive keys installed after a key update
 *            (key_updates = 1): the receive side keeps the previous
 *            generation too, a third AEAD transform; the send side gets
 *            its third at its first key update, the same size
 *   ids      fresh connections, each with CIDS receive IDs and CIDS send
 *            IDs (with their Stateless Reset tokens)
 *
 * and then that closing the socket gives it back (the connections are
 * freed after an RCU grace period, hence the wait). The figures are per
 * connection, in bytes; "aead" is the updated shape less the fresh one,
 * the cost of one more transform, so the most a connection can hold is
 * fresh + 2 * aead + the IDs it is allowed (per_cid: the mean of a
 * receive and a send ID).
 *
 * This measures; it checks nothing but that the set-up worked.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/quic.h>
#include <linux/udp.h>

#include "bench.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif

struct mem_snap {
	long sunreclaim;	/* KiB */
	long memfree;		/* KiB */
};

static int mem_read(struct mem_snap *m)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	m->sunreclaim = -1;
	m->memfree = -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "SUnreclaim:", 11))
			m->sunreclaim = atol(line + 11);
		else if (!strncmp(line, "MemFree:", 8))
			m->memfree = atol(line + 8);
	}
	fclose(f);
	return m->sunreclaim < 0 || m->memfree < 0 ? -1 : 0;
}

/* Let deferred frees (RCU, work items) finish before a reading */
static void mem_settle(void)
{
	sync();
	usleep(300 * 1000);
}

static int mem_conn(int fd, uint32_t conn, uint16_t cipher,
		    uint32_t rx_updates, unsigned int cids)
{
	struct quic_ulp_key k = { .conn = conn, .cipher = cipher,
			      .version = QUIC_ULP_VERSION_1 };
	struct quic_ulp_cid c = { .conn = conn, .dir = QUIC_ULP_DIR_RX, .len = 8 };
	unsigned int i;

	k.secret_len = cipher == QUIC_ULP_CIPHER_AES_256_GCM_SHA384 ? 48 : 32;
	bench_secret(cipher, k.secret);
	if (setsockopt(fd, SOL_UDP, QUIC_ULP_TX_KEY, &k, sizeof(k)))
		return -errno;
	k.key_updates = rx_updates;
	if (setsockopt(fd, SOL_UDP, QUIC_ULP_RX_KEY, &k, sizeof(k)))
		return -errno;
	for (i = 0; i < cids; i++) {
		memcpy(c.id, &conn, sizeof(conn));
		memcpy(c.id + sizeof(conn), &i, sizeof(i));
		c.dir = QUIC_ULP_DIR_RX;
		c.flags = 0;
		memset(c.reset_token, 0, sizeof(c.reset_token));
		if (setsockopt(fd, SOL_UDP, QUIC_ULP_ADD_CID, &c, sizeof(c)))
			return -errno;
		/* A send ID holds its Stateless Reset token */
		c.dir = QUIC_ULP_DIR_TX;
		c.flags = QUIC_ULP_CID_RESET_TOKEN;
		memset(c.reset_token, i + 1, sizeof(c.reset_token));
		if (setsockopt(fd, SOL_UDP, QUIC_ULP_ADD_CID, &c, sizeof(c)))
			return -errno;
	}
	return 0;
}

/* One shape: bytes per connection of slab and of all memory */
static int mem_shape(const char *name, unsigned int conns, uint16_t cipher,
		     uint32_t rx_updates, unsigned int cids, double *slab)
{
	struct mem_snap a, b, c;
	double free_pc;
	unsigned int i;
	int fd, err;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_UDP, UDP_ULP, "quic", 5)) {
		fprintf(stderr, "mem: cannot attach the quic ULP: %s\n",
			strerror(errno));
		return -1;
	}
	mem_settle();
	if (mem_read(&a))
		return -1;
	for (i = 0; i < conns; i++) {
		err = mem_conn(fd, i + 1, cipher, rx_updates, cids);
		if (err) {
			fprintf(stderr, "mem: %s: connection %u: %s\n", name,
				i + 1, strerror(-err));
			return -1;
		}
	}
	mem_settle();
	if (mem_read(&b))
		return -1;
	close(fd);
	mem_settle();
	if (mem_read(&c))
		return -1;
	*slab = (b.sunreclaim - a.sunreclaim) * 1024.0 / conns;
	free_pc = (a.memfree - b.memfree) * 1024.0 / conns;
	printf("{\"shape\":\"%s\",\"cipher\":\"%s\",\"conns\":%u,\"cids_per_dir\":%u,"
	       "\"slab_per_conn\":%.0f,\"memfree_per_conn\":%.0f,"
	       "\"slab_kept_after_close_kib\":%ld}\n", name,
	       bench_cipher_name(cipher), conns, cids, *slab, free_pc,
	       c.sunreclaim - a.sunreclaim);
	return 0;
}

int mem_main(int argc, char **argv)
{
	static const uint16_t ciphers[] = {
		QUIC_ULP_CIPHER_AES_128_GCM_SHA256,
		QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256,
	};
	unsigned int conns = 4096, cids = 16, i;
	double fresh, updated, ids;
	int opt;

	optind = 2;
	while ((opt = getopt(argc, argv, "n:c:")) != -1) {
		if (opt == 'n')
			conns = strtoul(optarg, NULL, 0);
		else if (opt == 'c')
			cids = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!conns || !cids || cids > QUIC_ULP_MAX_CIDS)
		return 2;
	for (i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		if (mem_shape("fresh", conns, ciphers[i], 0, 0, &fresh) ||
		    mem_shape("updated", conns, ciphers[i], 1, 0, &updated) ||
		    mem_shape("ids", conns, ciphers[i], 0, cids, &ids))
			return 1;
		printf("{\"summary\":true,\"cipher\":\"%s\",\"fresh\":%.0f,"
		       "\"aead\":%.0f,\"per_cid\":%.0f,\"most\":%.0f}\n",
		       bench_cipher_name(ciphers[i]), fresh, updated - fresh,
		       (ids - fresh) / (2 * cids),
		       fresh + 2 * (updated - fresh) +
		       QUIC_ULP_MAX_CIDS * (ids - fresh) / cids);
	}
	return 0;
}
