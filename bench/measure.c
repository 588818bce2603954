// SPDX-License-Identifier: GPL-2.0
/*
 * One measurement: sender and receiver threads on their CPUs, a warm-up,
 * then CPU time (/proc/stat, every CPU) and packet counts over a fixed
 * wall time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* Room for four full batches in flight: the receiver always has work. */
#define BENCH_WINDOW	(4 * BENCH_MAX_BATCH)

static void sleep_sec(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	ts.tv_nsec = (long)((s - ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct snap {
	double t;
	struct cpu_snap cpu;
	uint64_t received, bytes, sent, send_calls, recv_calls, resyncs;
};

static void take(struct flow *f, struct snap *s)
{
	s->t = now_sec();
	cpu_snap_read(&s->cpu);
	s->received = atomic_load(&f->received);
	s->bytes = atomic_load(&f->bytes);
	s->sent = atomic_load(&f->sent);
	s->send_calls = atomic_load(&f->send_calls);
	s->recv_calls = atomic_load(&f->recv_calls);
	s->resyncs = atomic_load(&f->resyncs);
}

const char *bench_hook;

/* Start the hook command, e.g. a profiler, as the measurement starts */
static pid_t hook_start(void)
{
	pid_t pid;

	if (!bench_hook)
		return -1;
	pid = fork();
	if (!pid) {
		execl("/bin/sh", "sh", "-c", bench_hook, (char *)NULL);
		_exit(127);
	}
	return pid;
}

int bench_measure(struct bench_run *r, struct bench_result *res)
{
	pthread_t tx, rx;
	struct snap a, b;
	pid_t hook;
	int err;

	flow_init(&r->flow, BENCH_WINDOW);
	err = pthread_create(&rx, NULL, r->receiver, r);
	if (err)
		return -err;
	err = pthread_create(&tx, NULL, r->sender, r);
	if (err) {
		flow_stop(&r->flow);
		pthread_join(rx, NULL);
		return -err;
	}
	sleep_sec(r->c->warmup);
	take(&r->flow, &a);
	hook = hook_start();
	sleep_sec(r->c->seconds);
	take(&r->flow, &b);
	if (hook > 0)	/* the hook ends by itself; wait so it is whole */
		waitpid(hook, NULL, 0);
	flow_stop(&r->flow);
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);

	res->secs = b.t - a.t;
	cpu_snap_diff(&a.cpu, &b.cpu, &res->cpu);
	res->packets = b.received - a.received;
	res->bytes = b.bytes - a.bytes;
	res->sent = b.sent - a.sent;
	res->send_calls = b.send_calls - a.send_calls;
	res->recv_calls = b.recv_calls - a.recv_calls;
	res->resyncs = b.resyncs - a.resyncs;
	return 0;
}

/*
 * Instruction accounting: no clock. The sender moves @bench_insn_warmup
 * packets (at least one per connection, so that every connection's state
 * has been touched) and stops; once the receiver has read them all and
 * nothing is in flight, the window opens, the sender moves exactly
 * @bench_insn_packets more, and the receiver closes the window as it
 * reads the last of them. Both counts are whole batches.
 */
unsigned int bench_insn_packets, bench_insn_warmup;
static unsigned int insn_windows;

static void close_window(void *arg)
{
	insn_mark(INSN_MARK_CLOSE, *(unsigned int *)arg);
}

static uint64_t round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

int bench_measure_insn(struct bench_run *r, struct bench_result *res)
{
	uint64_t nb = bench_batch(r->c), warm, n;
	unsigned int id = ++insn_windows;
	/* Under the plugin a TCG guest may run 10 times slower than bare */
	const double idle = 60;
	pthread_t tx, rx;
	struct snap a, b;
	int err, i;

	warm = round_up(bench_insn_warmup > r->c->conns ? bench_insn_warmup :
			r->c->conns, nb);
	n = round_up(bench_insn_packets, nb);
	flow_init(&r->flow, BENCH_WINDOW);
	/* Losses are errors here: only a receiver stuck this long is one */
	r->flow.stall_ns = 5000000000L;
	atomic_store(&r->flow.limit, 0);
	err = pthread_create(&rx, NULL, r->receiver, r);
	if (err)
		return -err;
	err = pthread_create(&tx, NULL, r->sender, r);
	if (err) {
		flow_stop(&r->flow);
		pthread_join(rx, NULL);
		return -err;
	}
	err = flow_run_to(&r->flow, warm, warm, NULL, NULL, idle);
	/* The receiver has read the warm-up; let the sender finish its last
	 * sendmsg() and fall asleep at the limit, and the softirqs drain, so
	 * that no warm-up work is left to land in the window
	 */
	for (i = 0; !err && i < 5000 &&
	     (atomic_load(&r->flow.sent) != warm ||
	      atomic_load(&r->flow.waiting) != 2); i++)
		sleep_sec(0.001);
	if (!err) {
		sleep_sec(0.02);
		take(&r->flow, &a);
		insn_mark(INSN_MARK_OPEN, id);
		err = flow_run_to(&r->flow, warm + n, warm + n, close_window,
				  &id, idle);
		take(&r->flow, &b);
	}
	flow_stop(&r->flow);
	pthread_join(tx, NULL);
	pthread_join(rx, NULL);
	if (err)
		return err;
	/* the sender may count its last batch after the receiver read it */
	b.sent = atomic_load(&r->flow.sent);

	res->window = id;
	res->warmup_packets = warm;
	res->secs = b.t - a.t;
	cpu_snap_diff(&a.cpu, &b.cpu, &res->cpu);
	res->packets = b.received - a.received;
	res->bytes = b.bytes - a.bytes;
	res->sent = b.sent - a.sent;
	res->send_calls = b.send_calls - a.send_calls;
	res->recv_calls = b.recv_calls - a.recv_calls;
	res->resyncs = b.resyncs - a.resyncs;
	return 0;
}
