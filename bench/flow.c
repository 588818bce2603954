// SPDX-License-Identifier: GPL-2.0
/*
 * The credit window: the sender may run at most flow->window packets
 * ahead of the receiver, and sleeps on a futex when it is that far ahead.
 * The receiver wakes it when half the window is free. A sender that has
 * waited 100 ms (packets lost, which the case reports) resets the window.
 *
 * For instruction accounting the sender also stops at a packet limit and
 * the receiver ends a phase at a target count (bench.h); a sender waiting
 * at its limit is not woken by the receiver, so that the last packets of
 * a window do not pay for wake-ups the steady state does not have.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define FLOW_STALL_NS	100000000L

static long futex(_Atomic uint32_t *word, int op, uint32_t val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

void flow_init(struct flow *f, uint64_t window)
{
	atomic_store(&f->sent, 0);
	atomic_store(&f->received, 0);
	atomic_store(&f->bytes, 0);
	atomic_store(&f->recv_calls, 0);
	atomic_store(&f->send_calls, 0);
	atomic_store(&f->resyncs, 0);
	atomic_store(&f->epoch, 0);
	atomic_store(&f->waiting, 0);
	atomic_store(&f->stop, 0);
	f->window = window;
	f->stall_ns = FLOW_STALL_NS;
	atomic_store(&f->limit, UINT64_MAX);
	atomic_store(&f->target, 0);
	atomic_store(&f->reached, 0);
	f->on_target = NULL;
	f->on_target_arg = NULL;
}

static int64_t in_flight(struct flow *f)
{
	return (int64_t)(atomic_load(&f->sent) - atomic_load(&f->received));
}

static bool no_credit(struct flow *f, unsigned int n)
{
	return in_flight(f) + n > (int64_t)f->window;
}

static bool at_limit(struct flow *f, unsigned int n)
{
	return atomic_load(&f->sent) + n > atomic_load(&f->limit);
}

bool flow_wait(struct flow *f, unsigned int n)
{
	struct timespec ts = {
		.tv_sec = f->stall_ns / 1000000000L,
		.tv_nsec = f->stall_ns % 1000000000L,
	};
	uint32_t epoch;

	while (!atomic_load(&f->stop) && (no_credit(f, n) || at_limit(f, n))) {
		atomic_store(&f->waiting, no_credit(f, n) ? 1 : 2);
		epoch = atomic_load(&f->epoch);
		/* The receiver may have made room since the check above */
		if ((!no_credit(f, n) && !at_limit(f, n)) || atomic_load(&f->stop))
			break;
		if (futex(&f->epoch, FUTEX_WAIT_PRIVATE, epoch, &ts) &&
		    errno == ETIMEDOUT && no_credit(f, n)) {
			/* Lost packets: count them as received */
			atomic_store(&f->sent, atomic_load(&f->received));
			atomic_fetch_add(&f->resyncs, 1);
		}
	}
	atomic_store(&f->waiting, 0);
	return !atomic_load(&f->stop);
}

void flow_sent(struct flow *f, unsigned int n)
{
	atomic_fetch_add(&f->sent, n);
	atomic_fetch_add(&f->send_calls, 1);
}

void flow_received(struct flow *f, unsigned int n, size_t bytes)
{
	uint64_t got = atomic_fetch_add(&f->received, n) + n;
	uint64_t target = atomic_load(&f->target);

	atomic_fetch_add(&f->bytes, bytes);
	atomic_fetch_add(&f->recv_calls, 1);
	if (atomic_load(&f->waiting) == 1 &&
	    in_flight(f) <= (int64_t)f->window / 2) {
		atomic_fetch_add(&f->epoch, 1);
		futex(&f->epoch, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
	/* The end of a phase: the hook first, so that it closes the window
	 * before anything else happens
	 */
	if (target && got >= target &&
	    atomic_compare_exchange_strong(&f->target, &target, 0)) {
		if (f->on_target)
			f->on_target(f->on_target_arg);
		atomic_fetch_add(&f->reached, 1);
		futex(&f->reached, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

void flow_stop(struct flow *f)
{
	atomic_store(&f->stop, 1);
	atomic_fetch_add(&f->epoch, 1);
	futex(&f->epoch, FUTEX_WAKE_PRIVATE, 1, NULL);
	atomic_fetch_add(&f->reached, 1);
	futex(&f->reached, FUTEX_WAKE_PRIVATE, 1, NULL);
}

void flow_release(struct flow *f, uint64_t limit)
{
	atomic_store(&f->limit, limit);
	atomic_fetch_add(&f->epoch, 1);
	futex(&f->epoch, FUTEX_WAKE_PRIVATE, 1, NULL);
}

int flow_run_to(struct flow *f, uint64_t limit, uint64_t target,
		void (*hook)(void *), void *arg, double idle_secs)
{
	struct timespec ts = { .tv_sec = 1 };
	uint32_t reached = atomic_load(&f->reached);
	uint64_t last = atomic_load(&f->received);
	double idle = 0;

	f->on_target = hook;
	f->on_target_arg = arg;
	/* seq_cst: the receiver that sees @target sees the hook too */
	atomic_store(&f->target, target);
	flow_release(f, limit);
	while (atomic_load(&f->reached) == reached) {
		if (atomic_load(&f->stop))
			return -ECANCELED;
		if (futex(&f->reached, FUTEX_WAIT_PRIVATE, reached, &ts) &&
		    errno == ETIMEDOUT) {
			uint64_t now = atomic_load(&f->received);

			idle = now == last ? idle + 1 : 0;
			last = now;
			if (idle >= idle_secs) {
				atomic_store(&f->target, 0);
				return -ETIMEDOUT;
			}
		}
	}
	return atomic_load(&f->stop) && atomic_load(&f->received) < target ?
	       -ECANCELED : 0;
}
