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
