// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * getppid_loop [N]: the cheapest real syscall in a tight loop, so that what a tracer adds to every
 * syscall is a large share of what is timed. Prints ns per call.
 *
 * The calls are timed in short batches and the 10th percentile batch is reported: on a shared VM
 * the same loop runs ~1.4x slower whenever the sibling vCPU or a neighbour is busy, in phases of
 * milliseconds to seconds, and a plain mean would measure the neighbours rather than the probes.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define BATCH 10000 /* a few ms: shorter than a noisy phase, far longer than the clock's cost */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 3000000;
	long batches = n / BATCH;
	double *ns;

	if (batches < 10) {
		fprintf(stderr, "usage: %s [N >= %d]\n", argv[0], 10 * BATCH);
		return 2;
	}
	ns = calloc(batches, sizeof(*ns));
	if (!ns)
		return 1;
	/* Warm caches and the branch predictors before anything is timed. */
	for (long i = 0; i < 10 * BATCH; i++)
		syscall(SYS_getppid);

	for (long b = 0; b < batches; b++) {
		double t0 = now_ns();
		/* syscall(2), not getppid(3): the kernel must be entered every time. */
		for (long i = 0; i < BATCH; i++)
			syscall(SYS_getppid);
		ns[b] = (now_ns() - t0) / BATCH;
	}
	qsort(ns, batches, sizeof(ns[0]), cmp_double);
	printf("%.2f\n", ns[batches / 10]);
	free(ns);
	return 0;
}
