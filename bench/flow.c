// SPDX-License-Identifier: GPL-2.0
/*
 * The credit window: the sender may run at most flow->window packets
 * ahead of the receiver, and sleeps on a futex when it is that far ahead.
 * The receiver wakes it when half the window is free. A sender that has
 * waited 100 ms (packets lost, which the case reports) resets the window.
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
}

static int64_t in_flight(struct flow *f)
{
	return (int64_t)(atomic_load(&f->sent) - atomic_load(&f->received));
}

bool flow_wait(struct flow *f, unsigned int n)
{
	struct timespec ts = { .tv_nsec = FLOW_STALL_NS };
	uint32_t epoch;

	while (!atomic_load(&f->stop) &&
	       in_flight(f) + n > (int64_t)f->window) {
		atomic_store(&f->waiting, 1);
		epoch = atomic_load(&f->epoch);
		/* The receiver may have made room since the check above */
		if (in_flight(f) + n <= (int64_t)f->window || atomic_load(&f->stop))
			break;
		if (futex(&f->epoch, FUTEX_WAIT_PRIVATE, epoch, &ts) &&
		    errno == ETIMEDOUT && in_flight(f) + n > (int64_t)f->window) {
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
	atomic_fetch_add(&f->received, n);
	atomic_fetch_add(&f->bytes, bytes);
	atomic_fetch_add(&f->recv_calls, 1);
	if (atomic_load(&f->waiting) && in_flight(f) <= (int64_t)f->window / 2) {
		atomic_fetch_add(&f->epoch, 1);
		futex(&f->epoch, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

void flow_stop(struct flow *f)
{
	atomic_store(&f->stop, 1);
	atomic_fetch_add(&f->epoch, 1);
	futex(&f->epoch, FUTEX_WAKE_PRIVATE, 1, NULL);
}
