// SPDX-License-Identifier: GPL-2.0
/*
 * quic_bench: see bench.h.
 *
 *   quic_bench raw [SECONDS]
 *	OpenSSL's cost per packet (no network), one JSON line per suite
 *	and size
 *   quic_bench run [-t SECONDS] [-w WARMUP] [-x CMD] CASE...
 *	CASE is DIR:PATH:SIZE:BATCH:CIPHER[:CONNS], e.g. tx:ulp:1200:64:aes
 *	DIR tx|rx, PATH plain|user|userzc|ulp, CIPHER aes|chacha
 *	One network set-up for all cases; one JSON line per case. CMD
 *	(sh -c) starts when each measurement starts, e.g. a profiler.
 *
 * Exit status: 0, or 1 when a case could not run or its packets were not
 * what they should be (a crash or a failed transfer, never a slow figure).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static int parse_case(const char *spec, struct bench_case *c)
{
	char dir[8], path[8], cipher[8];
	int n;

	c->conns = 1;
	n = sscanf(spec, "%7[^:]:%7[^:]:%u:%u:%7[^:]:%u", dir, path, &c->size,
		   &c->batch, cipher, &c->conns);
	if (n < 5 || c->size < 64 || c->size > BENCH_MAX_PKT || !c->batch ||
	    c->batch > BENCH_MAX_BATCH || !c->conns)
		return -1;
	if (!strcmp(dir, "tx"))
		c->dir = BENCH_TX;
	else if (!strcmp(dir, "rx"))
		c->dir = BENCH_RX;
	else
		return -1;
	if (!strcmp(path, "plain"))
		c->path = PATH_PLAIN;
	else if (!strcmp(path, "user"))
		c->path = PATH_USER;
	else if (!strcmp(path, "userzc") && c->dir == BENCH_TX)
		c->path = PATH_USERZC;
	else if (!strcmp(path, "ulp"))
		c->path = PATH_ULP;
	else
		return -1;
	if (!strcmp(cipher, "aes"))
		c->cipher = QUIC_CIPHER_AES_128_GCM_SHA256;
	else if (!strcmp(cipher, "chacha"))
		c->cipher = QUIC_CIPHER_CHACHA20_POLY1305_SHA256;
	else
		return -1;
	return 0;
}

static int run_cases(int argc, char **argv, double secs, double warmup)
{
	struct bench_result res;
	struct bench_case c;
	int i, err, status = 0;

	if (bench_net_setup()) {
		fprintf(stderr, "quic_bench: cannot set up namespaces and veth\n");
		return 1;
	}
	for (i = 0; i < argc; i++) {
		memset(&c, 0, sizeof(c));
		memset(&res, 0, sizeof(res));
		if (parse_case(argv[i], &c)) {
			fprintf(stderr, "quic_bench: bad case %s\n", argv[i]);
			status = 1;
			continue;
		}
		c.seconds = secs;
		c.warmup = warmup;
		err = c.dir == BENCH_TX ? bench_tx(&c, &res) : bench_rx(&c, &res);
		if (err) {
			fprintf(stderr, "quic_bench: %s: cannot run: %s\n",
				argv[i], strerror(-err));
			snprintf(res.check, sizeof(res.check), "cannot run: %s",
				 strerror(-err));
		}
		/* the ULP must have protected or decrypted every packet */
		if (err || strcmp(res.check, "ok") || res.failures ||
		    !res.packets || res.quic_errors > 0 ||
		    (c.path == PATH_ULP &&
		     res.quic_packets < (long long)res.packets))
			status = 1;
		bench_print(stdout, &c, &res);
	}
	bench_net_cleanup();
	return status;
}

static void usage(void)
{
	fprintf(stderr, "usage: quic_bench raw [SECONDS]\n"
			"       quic_bench run [-t SECONDS] [-w WARMUP] [-x CMD] CASE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	double secs = 2, warmup = 0.3;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "raw"))
		return bench_raw(stdout, argc > 2 ? atof(argv[2]) : 0.3) ? 1 : 0;
	if (strcmp(argv[1], "run"))
		usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "t:w:x:")) != -1) {
		if (opt == 'x')
			bench_hook = optarg;
		else if (opt == 't')
			secs = atof(optarg);
		else if (opt == 'w')
			warmup = atof(optarg);
		else
			usage();
	}
	if (optind >= argc)
		usage();
	return run_cases(argc - optind, argv + optind, secs, warmup);
}
