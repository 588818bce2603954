// SPDX-License-Identifier: GPL-2.0
/*
 * One JSON line per case. CPU figures are seconds from /proc/stat over
 * the measured interval: busy = user + system + irq + softirq, every CPU;
 * "cpu0" is the sender's CPU, "cpu1" the receiver's (and its softirq's).
 * Bytes are UDP payload bytes, i.e. QUIC packets, header and tag included,
 * as the receiving application read them; 1 GB is 1e9 bytes.
 */
#include <stdio.h>

#include "bench.h"

static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

void bench_print(FILE *f, const struct bench_case *c,
		 const struct bench_result *r)
{
	const struct cpu_snap *d = &r->cpu;
	double busy = cpu_busy(d, -1), gb = r->bytes / 1e9;

	fprintf(f, "{\"kind\":\"%s\",\"path\":\"%s\",\"cipher\":\"%s\","
		"\"size\":%u,\"batch\":%u,\"segs\":%u,\"conns\":%u,"
		"\"spread\":\"%s\",",
		c->dir == BENCH_TX ? "tx" : "rx", bench_path_name(c->path),
		c->path == PATH_PLAIN ? "none" : bench_cipher_name(c->cipher),
		c->size, c->batch, bench_batch(c), c->conns,
		c->per_dgram ? "datagram" : "packet");
	fprintf(f, "\"seconds\":%.3f,\"packets\":%llu,\"bytes\":%llu,"
		"\"pps\":%.0f,\"gbps\":%.4f,",
		r->secs, (unsigned long long)r->packets,
		(unsigned long long)r->bytes, per(r->packets, r->secs),
		per(r->bytes * 8 / 1e9, r->secs));
	fprintf(f, "\"cpu\":{\"busy\":%.3f,\"user\":%.3f,\"sys\":%.3f,"
		"\"irq\":%.3f,\"softirq\":%.3f,\"cpu0\":%.3f,\"cpu1\":%.3f,"
		"\"cpu0_softirq\":%.3f,\"cpu1_softirq\":%.3f,\"ncpu\":%u},",
		busy, cpu_field(d, -1, CPU_USER), cpu_field(d, -1, CPU_SYS),
		cpu_field(d, -1, CPU_IRQ), cpu_field(d, -1, CPU_SOFTIRQ),
		cpu_busy(d, 0), cpu_busy(d, 1), cpu_field(d, 0, CPU_SOFTIRQ),
		cpu_field(d, 1, CPU_SOFTIRQ), d->ncpu);
	fprintf(f, "\"cpu_s_per_gb\":%.4f,\"us_per_pkt\":%.3f,"
		"\"cpu0_us_per_pkt\":%.3f,\"cpu1_us_per_pkt\":%.3f,"
		"\"cpu0_util\":%.3f,\"cpu1_util\":%.3f,",
		per(busy, gb), per(busy * 1e6, r->packets),
		per(cpu_busy(d, 0) * 1e6, r->packets),
		per(cpu_busy(d, 1) * 1e6, r->packets),
		per(cpu_busy(d, 0), r->secs), per(cpu_busy(d, 1), r->secs));
	fprintf(f, "\"sent\":%llu,\"send_calls\":%llu,\"recv_calls\":%llu,"
		"\"pkts_per_recv\":%.2f,\"resyncs\":%llu,\"udp_drops\":%lld,",
		(unsigned long long)r->sent, (unsigned long long)r->send_calls,
		(unsigned long long)r->recv_calls,
		per(r->packets, r->recv_calls), (unsigned long long)r->resyncs,
		r->udp_drops);
	fprintf(f, "\"zc_sends\":%llu,\"zc_copied\":%llu,\"setup_secs\":%.3f,"
		"\"quic_packets\":%lld,\"quic_errors\":%lld,\"failures\":%llu,"
		"\"check\":\"%s\"}\n",
		(unsigned long long)r->zc_sends, (unsigned long long)r->zc_copied,
		r->setup_secs, r->quic_packets, r->quic_errors,
		(unsigned long long)r->failures, r->check);
	fflush(f);
}

/*
 * Instruction accounting: what the window held. The instructions
 * themselves are in the plugin's window file (bench/insn/insn.c); the
 * wall time is there for the record only.
 */
void bench_print_insn(FILE *f, const struct bench_case *c,
		      const struct bench_result *r)
{
	fprintf(f, "{\"kind\":\"%s\",\"path\":\"%s\",\"cipher\":\"%s\","
		"\"size\":%u,\"batch\":%u,\"segs\":%u,\"conns\":%u,"
		"\"spread\":\"%s\",",
		c->dir == BENCH_TX ? "tx" : "rx", bench_path_name(c->path),
		c->path == PATH_PLAIN ? "none" : bench_cipher_name(c->cipher),
		c->size, c->batch, bench_batch(c), c->conns,
		c->per_dgram ? "datagram" : "packet");
	fprintf(f, "\"window\":%u,\"packets\":%llu,\"bytes\":%llu,"
		"\"warmup_packets\":%llu,\"seconds\":%.3f,",
		r->window, (unsigned long long)r->packets,
		(unsigned long long)r->bytes,
		(unsigned long long)r->warmup_packets, r->secs);
	fprintf(f, "\"sent\":%llu,\"send_calls\":%llu,\"recv_calls\":%llu,"
		"\"resyncs\":%llu,\"udp_drops\":%lld,\"setup_secs\":%.3f,"
		"\"quic_packets\":%lld,\"quic_errors\":%lld,\"failures\":%llu,"
		"\"check\":\"%s\"}\n",
		(unsigned long long)r->sent, (unsigned long long)r->send_calls,
		(unsigned long long)r->recv_calls, (unsigned long long)r->resyncs,
		r->udp_drops, r->setup_secs, r->quic_packets, r->quic_errors,
		(unsigned long long)r->failures, r->check);
	fflush(f);
}
