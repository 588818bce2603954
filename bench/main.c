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
 *   quic_bench insn [-n PACKETS] [-w PACKETS] [-m FILE] CASE...
 *	Instruction accounting (scripts/bench-insn.sh): per case, after
 *	-w packets of warm-up (default 1024, at least one per connection),
 *	one window of exactly -n packets (default 4096; both rounded up to
 *	whole batches) bounded by the markers of the QEMU plugin
 *	bench/insn/insn.c; no clock. One JSON line per case, with its
 *	window id. -m writes /proc/self/maps to FILE first, so that the
 *	report can name the userspace code the plugin saw. Window 0, first,
 *	is a calibration loop of known length (insn_calibrate()).
 *   quic_bench mem [-n CONNS] [-c CIDS]
 *	Kernel memory per offloaded connection (bench/mem.c), one JSON
 *	line per shape and a summary per cipher suite.
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
	char dir[8], path[8], cipher[8], spread[8];
	int n;

	c->conns = 1;
	n = sscanf(spec, "%7[^:]:%7[^:]:%u:%u:%7[^:]:%u:%7s", dir, path,
		   &c->size, &c->batch, cipher, &c->conns, spread);
	if (n < 5 || c->size < 64 || c->size > BENCH_MAX_PKT || !c->batch ||
	    c->batch > BENCH_MAX_BATCH || !c->conns)
		return -1;
	if (n == 7) {
		if (strcmp(spread, "dgram"))
			return -1;
		c->per_dgram = true;
	}
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
		c->cipher = QUIC_ULP_CIPHER_AES_128_GCM_SHA256;
	else if (!strcmp(cipher, "chacha"))
		c->cipher = QUIC_ULP_CIPHER_CHACHA20_POLY1305_SHA256;
	else
		return -1;
	return 0;
}

static long slab_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "SUnreclaim:", 11))
			v = atol(line + 11);
	if (f)
		fclose(f);
	return v;
}

/*
 * Connections are freed after their socket closes, from RCU callbacks and
 * work items (transforms zeroed and released): thousands of them take
 * seconds under TCG. Wait for that to end before the next case, or its
 * window counts the previous case's teardown: until no connection is
 * left in either namespace (QuicCurrConns), then until the unreclaimable
 * slab stops shrinking (the frees that follow); 30 s at most for each.
 */
static void settle_conns(void)
{
	long prev = -1, now;
	int i, j, still = 0;

	for (i = 0; i < 3000; i++) {
		if (quic_counter("QuicCurrConns") <= 0 &&
		    peer_quic_counter("QuicCurrConns") <= 0)
			break;
		usleep(10000);
	}
	for (j = 0; j < 300 && still < 3; j++) {
		usleep(100000);
		now = slab_kib();
		still = prev >= 0 && now >= prev - 64 ? still + 1 : 0;
		prev = now;
	}
	if (i >= 3000 || still < 3)
		fprintf(stderr, "quic_bench: connections still held after 30 s\n");
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
		settle_conns();
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
		/* a window's count is per packet only if none was lost */
		if (bench_insn_packets && (res.resyncs || res.udp_drops))
			status = 1;
		if (bench_insn_packets)
			bench_print_insn(stdout, &c, &res);
		else
			bench_print(stdout, &c, &res);
	}
	bench_net_cleanup();
	return status;
}

static void usage(void)
{
	fprintf(stderr, "usage: quic_bench raw [SECONDS]\n"
			"       quic_bench run [-t SECONDS] [-w WARMUP] [-x CMD] CASE...\n"
			"       quic_bench insn [-n PACKETS] [-w PACKETS] [-m FILE] CASE...\n"
			"       quic_bench mem [-n CONNS] [-c CIDS]\n"
			"CASE: tx|rx:plain|user|userzc|ulp:SIZE:BATCH:aes|chacha"
			"[:CONNS[:dgram]]\n");
	exit(2);
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "r"), *out = fopen(to, "w");
	char buf[4096];
	size_t n;
	int err = !in || !out;

	while (!err && (n = fread(buf, 1, sizeof(buf), in)))
		err = fwrite(buf, 1, n, out) != n;
	if (in)
		fclose(in);
	if (out && fclose(out))
		err = 1;
	return err ? -1 : 0;
}

static int insn_main(int argc, char **argv)
{
	const char *maps = NULL;
	int opt, err;

	bench_insn_packets = 4096;
	bench_insn_warmup = 1024;
	optind = 2;
	while ((opt = getopt(argc, argv, "n:w:m:")) != -1) {
		if (opt == 'n')
			bench_insn_packets = (unsigned int)strtoul(optarg, NULL, 0);
		else if (opt == 'w')
			bench_insn_warmup = (unsigned int)strtoul(optarg, NULL, 0);
		else if (opt == 'm')
			maps = optarg;
		else
			usage();
	}
	if (optind >= argc || !bench_insn_packets)
		usage();
	err = insn_mark_init();
	if (err) {
		fprintf(stderr, "quic_bench: no executable page for the markers: %s\n",
			strerror(-err));
		return 1;
	}
	if (maps && copy_file("/proc/self/maps", maps)) {
		fprintf(stderr, "quic_bench: cannot write %s\n", maps);
		return 1;
	}
	/* window 0 checks the counting on a loop of known length */
	printf("{\"calibration\":true,\"window\":0,\"loop_insns\":%llu}\n",
	       (unsigned long long)insn_calibrate(1000000));
	return run_cases(argc - optind, argv + optind, 0, 0);
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
	if (!strcmp(argv[1], "insn"))
		return insn_main(argc, argv);
	if (!strcmp(argv[1], "mem")) {
		opt = mem_main(argc, argv);
		if (opt == 2)
			usage();
		return opt;
	}
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
