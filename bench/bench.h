/* SPDX-License-Identifier: GPL-2.0 */
/*
 * quic_bench: throughput and CPU cost of sending and receiving QUIC 1-RTT
 * packets three ways, in one process, between two network namespaces
 * joined by veth:
 *
 *   plain   UDP, no packet protection at all: the ceiling
 *   user    OpenSSL AEAD + header protection in userspace (quic_ref.c),
 *           as QUIC stacks do it today; "userzc" adds MSG_ZEROCOPY on Tx
 *   ulp     the kernel's "quic" ULP protects (Tx) or unprotects (Rx)
 *
 * The sender thread runs on CPU 0, the receiver thread on CPU 1, and RPS
 * steers the receive softirq of the receiving veth to CPU 1 too, so that
 * each side's kernel work lands on its own CPU as on a real host where
 * the NIC interrupts the receiving CPU. A credit window between the two
 * threads keeps the sender from outrunning the receiver, so that no CPU
 * time goes into packets that are dropped.
 *
 * Every case prints one JSON object on a line of its own.
 */
#ifndef QUIC_BENCH_H
#define QUIC_BENCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "quic_common.h"

#define BENCH_CID_LEN		8
#define BENCH_PN_LEN		4
#define BENCH_HDR_LEN		(1 + BENCH_CID_LEN + BENCH_PN_LEN)
#define BENCH_MAX_BATCH		64
#define BENCH_MAX_PKT		1500
/* The largest UDP payload of one IPv4 datagram: a GSO batch cannot pass
 * it, so a batch of 64 becomes 54 packets of 1200 bytes, 45 of 1452.
 */
#define BENCH_MAX_DGRAM		65507
#define BENCH_MAX_CPUS		8
#define BENCH_SENDER_CPU	0
#define BENCH_RECEIVER_CPU	1

enum bench_dir { BENCH_TX, BENCH_RX };
enum bench_path { PATH_PLAIN, PATH_USER, PATH_USERZC, PATH_ULP };

/**
 * struct bench_case - what one measurement is
 * @dir: which side is measured: Tx (protect and send) or Rx (receive and
 *	unprotect)
 * @path: how packets are protected
 * @cipher: QUIC_ULP_CIPHER_* (ignored by PATH_PLAIN)
 * @size: bytes per QUIC packet, header and tag included (= UDP payload)
 * @batch: packets per sendmsg() (UDP_SEGMENT), capped by BENCH_MAX_DGRAM;
 *	1 sends plain datagrams
 * @conns: connections on the socket, packets spread round-robin
 * @per_dgram: with @conns > 1, a connection per datagram rather than per
 *	packet: every packet of a sendmsg() (Tx) or of a GRO datagram (Rx)
 *	belongs to one connection, as they do to one peer address on the wire
 * @seconds: measured time
 * @warmup: seconds run before measuring
 */
struct bench_case {
	enum bench_dir dir;
	enum bench_path path;
	uint16_t cipher;
	unsigned int size;
	unsigned int batch;
	unsigned int conns;
	bool per_dgram;
	double seconds;
	double warmup;
};

/* CPU time from /proc/stat, in seconds, per CPU and in all */
enum { CPU_USER, CPU_SYS, CPU_IRQ, CPU_SOFTIRQ, CPU_IDLE, CPU_NFIELDS };

struct cpu_snap {
	unsigned int ncpu;
	double cpu[BENCH_MAX_CPUS][CPU_NFIELDS];
};

int cpu_snap_read(struct cpu_snap *s);
/* @out = @b - @a */
void cpu_snap_diff(const struct cpu_snap *a, const struct cpu_snap *b,
		   struct cpu_snap *out);
double cpu_busy(const struct cpu_snap *d, int cpu);	/* -1: all CPUs */
double cpu_field(const struct cpu_snap *d, int cpu, int field);
int pin_to_cpu(int cpu);
double now_sec(void);

/*
 * The credit window between sender and receiver: the sender may be at
 * most @window packets ahead of what the receiver has read.
 *
 * The instruction-accounting mode moves an exact number of packets per
 * phase: the sender stops at @limit packets sent until flow_release()
 * raises it, and the receiver, on reaching @target packets read, runs
 * @on_target (a window marker) and wakes whoever waits in
 * flow_wait_target(). The timing mode leaves both unbounded.
 */
struct flow {
	_Atomic uint64_t sent;		/* packets handed to sendmsg() */
	_Atomic uint64_t received;	/* packets the receiver read */
	_Atomic uint64_t bytes;		/* bytes the receiver read */
	_Atomic uint64_t recv_calls;	/* recvmsg() calls that returned data */
	_Atomic uint64_t send_calls;	/* sendmsg() calls */
	_Atomic uint64_t resyncs;	/* window reset after a stall */
	_Atomic uint32_t epoch;		/* futex word: bumped to wake the sender */
	_Atomic int waiting;		/* the sender sleeps: 1 for credit, 2 at @limit */
	_Atomic int stop;
	uint64_t window;
	long stall_ns;			/* a credit wait this long is a loss */
	_Atomic uint64_t limit;		/* the sender sends no further */
	_Atomic uint64_t target;	/* 0, or the count that ends a phase */
	_Atomic uint32_t reached;	/* futex word: bumped at @target */
	void (*on_target)(void *arg);
	void *on_target_arg;
};

void flow_init(struct flow *f, uint64_t window);
/* The sender: wait for room for @n more packets; false once stopped */
bool flow_wait(struct flow *f, unsigned int n);
void flow_sent(struct flow *f, unsigned int n);
/* The receiver: account @n packets of @bytes */
void flow_received(struct flow *f, unsigned int n, size_t bytes);
void flow_stop(struct flow *f);
/* Let the sender go on up to @limit packets sent in all */
void flow_release(struct flow *f, uint64_t limit);
/* Arm @target (with @hook, may be NULL) and the sender's @limit, then
 * sleep until the receiver has read @target packets; -ETIMEDOUT when it
 * read nothing for @idle_secs, -ECANCELED when the flow stopped
 */
int flow_run_to(struct flow *f, uint64_t limit, uint64_t target,
		void (*hook)(void *), void *arg, double idle_secs);

/**
 * struct bench_net - the two sockets and their addresses
 * @tx: sending socket (local namespace)
 * @rx: receiving socket (peer namespace)
 * @tx_addr: @tx's address
 * @rx_addr: @rx's address, where @tx sends
 */
struct bench_net {
	int tx, rx;
	struct sockaddr_storage tx_addr, rx_addr;
	socklen_t tx_addr_len, rx_addr_len;
};

int bench_net_setup(void);
void bench_net_cleanup(void);
int bench_net_open(struct bench_net *n);
void bench_net_close(struct bench_net *n);
/* sendmsg() of @len bytes, in UDP_SEGMENT segments of @gso when longer;
 * with @nrec QUIC_ULP_TX_INFO records for the kernel to protect the packets
 */
ssize_t bench_send(int fd, const void *buf, size_t len, unsigned int gso,
		   const struct sockaddr_storage *to, socklen_t to_len,
		   int flags, const struct quic_ulp_tx_info *recs, unsigned int nrec);
/* Run @fn with the calling thread in the peer namespace */
int in_peer_ns(void (*fn)(void *), void *arg);
/* A counter of the peer namespace's /proc/net/snmp "Udp:" line, or -1 */
long long peer_udp_counter(const char *name);
/* Datagrams the peer namespace's UDP dropped (RcvbufErrors + InErrors) */
long long peer_udp_drops(void);
/* A counter of the peer namespace's /proc/net/quic_ulp_stat, or -1 */
long long peer_quic_counter(const char *name);

/*
 * Packets. Connection i's DCID is i in its first four bytes (little
 * endian) followed by fixed bytes, so that a packet names its connection.
 */
void bench_cid(uint8_t *cid, uint32_t conn);
/* A plaintext packet of @size bytes for @conn with packet number @pn */
void bench_packet(uint8_t *pkt, unsigned int size, uint32_t conn, uint64_t pn);
/* Rewrite the connection and packet number of a packet built above */
void bench_packet_set(uint8_t *pkt, uint32_t conn, uint64_t pn);
/* The traffic secret every connection of the benchmark uses */
void bench_secret(uint16_t cipher, uint8_t *secret);
unsigned int bench_batch(const struct bench_case *c);
/* Connections a per-datagram case sends to in turn, spread over all */
#define BENCH_DGRAM_CONNS	64
uint32_t bench_dgram_conn(const struct bench_case *c, unsigned int k);
const char *bench_path_name(enum bench_path p);
const char *bench_cipher_name(uint16_t cipher);

/* Install @c->conns connections with one direction's keys on @fd; returns
 * 0 or -errno and the seconds it took in @secs
 */
int bench_ulp_install(int fd, const struct bench_case *c, bool rx,
		      double *secs);

/**
 * struct bench_result - what a case measured
 * @packets: packets the receiving application read while measuring
 * @bytes: their bytes (UDP payload: QUIC packets, header and tag included)
 * @secs: wall time measured
 * @cpu: CPU time used while measuring, per CPU
 * @sent: packets handed to sendmsg() while measuring
 * @send_calls: sendmsg() calls while measuring
 * @recv_calls: recvmsg() calls that returned data while measuring
 * @resyncs: times the credit window stalled for 100 ms and was reset
 * @udp_drops: the peer namespace's UDP RcvbufErrors + InErrors, whole case
 * @zc_sends: MSG_ZEROCOPY completions, whole case
 * @zc_copied: of which the kernel reported it had to copy the data anyway
 * @setup_secs: installing the connections on the ULP socket
 * @quic_packets: the ULP's QuicTxPackets or QuicRxPackets, whole case
 * @quic_errors: the ULP's error and passthrough counters, whole case
 * @failures: packets that did not authenticate or were not decrypted
 * @check: what the pre-measurement check said: "ok" or why not
 * @window: instruction accounting: the marker id of the case's window
 * @warmup_packets: instruction accounting: packets moved before it
 */
struct bench_result {
	uint64_t packets, bytes;
	double secs;
	struct cpu_snap cpu;
	uint64_t sent, send_calls, recv_calls, resyncs;
	long long udp_drops;
	uint64_t zc_sends, zc_copied;
	double setup_secs;
	long long quic_packets, quic_errors;
	uint64_t failures;
	char check[128];
	unsigned int window;
	uint64_t warmup_packets;
};

/* Shared by tx.c and rx.c: run sender and receiver threads, measure */
struct bench_run {
	const struct bench_case *c;
	struct bench_net *net;
	struct flow flow;
	void *(*sender)(void *);
	void *(*receiver)(void *);
	void *ctx;
};

int bench_measure(struct bench_run *r, struct bench_result *res);
/* A shell command started when each measurement starts (quic_bench -x):
 * a profiler; the case waits for it to end before stopping
 */
extern const char *bench_hook;
/* Instruction accounting (quic_bench insn): packets in each window and
 * before it; 0 packets = the timing mode
 */
extern unsigned int bench_insn_packets, bench_insn_warmup;
int bench_measure_insn(struct bench_run *r, struct bench_result *res);
/* insn_mark.c: the window markers the plugin watches for */
#define INSN_MARK_OPEN		1
#define INSN_MARK_CLOSE		2
int insn_mark_init(void);
void insn_mark(unsigned int op, unsigned int id);
/* window 0: a loop of known length; returns its instruction count */
uint64_t insn_calibrate(uint64_t iterations);
int bench_tx(const struct bench_case *c, struct bench_result *res);
int bench_rx(const struct bench_case *c, struct bench_result *res);
void bench_print(FILE *f, const struct bench_case *c,
		 const struct bench_result *res);
void bench_print_insn(FILE *f, const struct bench_case *c,
		      const struct bench_result *res);

/* raw.c: OpenSSL's cost per packet, no network */
int bench_raw(FILE *f, double seconds);
/* quic_bench mem: see mem.c; 2 on a bad option */
int mem_main(int argc, char **argv);

#endif /* QUIC_BENCH_H */
