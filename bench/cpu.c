// SPDX-License-Identifier: GPL-2.0
/*
 * CPU time from /proc/stat, CPU pinning and clocks.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

int cpu_snap_read(struct cpu_snap *s)
{
	unsigned long long v[10];
	double hz = (double)sysconf(_SC_CLK_TCK);
	char line[512];
	unsigned int cpu;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/stat", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		memset(v, 0, sizeof(v));
		/* "cpuN user nice system idle iowait irq softirq steal ..." */
		if (sscanf(line, "cpu%u %llu %llu %llu %llu %llu %llu %llu %llu",
			   &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			   &v[6], &v[7]) < 8 || cpu >= BENCH_MAX_CPUS)
			continue;
		s->cpu[cpu][CPU_USER] = (v[0] + v[1]) / hz;
		s->cpu[cpu][CPU_SYS] = (v[2] + v[7]) / hz;
		s->cpu[cpu][CPU_IDLE] = (v[3] + v[4]) / hz;
		s->cpu[cpu][CPU_IRQ] = v[5] / hz;
		s->cpu[cpu][CPU_SOFTIRQ] = v[6] / hz;
		if (cpu + 1 > s->ncpu)
			s->ncpu = cpu + 1;
	}
	fclose(f);
	return s->ncpu ? 0 : -1;
}

void cpu_snap_diff(const struct cpu_snap *a, const struct cpu_snap *b,
		   struct cpu_snap *out)
{
	unsigned int i, j;

	memset(out, 0, sizeof(*out));
	out->ncpu = b->ncpu;
	for (i = 0; i < b->ncpu; i++)
		for (j = 0; j < CPU_NFIELDS; j++)
			out->cpu[i][j] = b->cpu[i][j] - a->cpu[i][j];
}

double cpu_field(const struct cpu_snap *d, int cpu, int field)
{
	double sum = 0;
	unsigned int i;

	if (cpu >= 0)
		return (unsigned int)cpu < d->ncpu ? d->cpu[cpu][field] : 0;
	for (i = 0; i < d->ncpu; i++)
		sum += d->cpu[i][field];
	return sum;
}

/* Busy: user + system (steal included, zero in a guest) + irq + softirq */
double cpu_busy(const struct cpu_snap *d, int cpu)
{
	return cpu_field(d, cpu, CPU_USER) + cpu_field(d, cpu, CPU_SYS) +
	       cpu_field(d, cpu, CPU_IRQ) + cpu_field(d, cpu, CPU_SOFTIRQ);
}

int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	if (cpu < 0 || cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		return 0;	/* one CPU: nothing to pin */
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
