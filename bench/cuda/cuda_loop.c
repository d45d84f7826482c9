// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A CUDA runtime call loop without a CUDA toolchain, for timing what probes on the runtime add to
 * each call. It dlopens the runtime (as cuda_calls in collector-native/tests/helpers does),
 * registers one kernel the way nvcc's module constructor would and makes the runtime's first
 * (initialising) calls, then waits for a go signal so that a tracer can attach first.
 *
 *   cuda_loop [-l LIBRARY] [-n N] [-b BATCH] [-w WARM] [-p USEC]
 *       prints "ready <pid> <cudaMalloc status> <cudaLaunchKernel status>" and waits for SIGUSR1;
 *       then makes WARM untimed calls of each function, and times N calls of cudaMalloc(&p, 4096)
 *       and N of cudaLaunchKernel(stub, grid, block, args, 0, 0) in batches of BATCH: a batch of
 *       each and one of the reference, cudaGetLastError(), in turn. With -p, each such trio comes
 *       after USEC microseconds of spinning and RESUME untimed calls of each function. Prints
 *       "malloc <p10> <median> launch <p10> <median> reference <p10> <median> calls <C>" (ns per
 *       call; C calls of each function were made after the go signal, untimed ones included).
 *   cuda_loop -l LIBRARY -H
 *       holds the runtime mapped and sleeps: prints "ready <pid> ..." and, at every SIGUSR1, makes
 *       one cudaMalloc call and prints "called" (a process a tracer can target that makes no calls
 *       of its own until asked to, to show that the tracer sees it).
 *
 * Two statistics of the batches' ns per call are printed: the 10th percentile and the median. On a
 * shared VM the same loop runs up to ~1.7x slower while a neighbour is busy, in phases of
 * milliseconds to tens of seconds; the 10th percentile batch is the loop's cost when the host let
 * it run, which is what a probe changes. The reference is a call that bench/cuda/run.sh does not
 * probe: timed alongside the others, it tells whether the host let the run go at its quiet speed.
 * Spinning (-p) spreads a run over more time, so that it sees short phases come and go, without
 * more calls, which matters to a tracer that must keep up with them (an untraced call takes ~15 ns
 * here, a traced one ~1 us); spinning rather than sleeping leaves the CPU, its caches and
 * predictors as the calls left them.
 * Statuses are the runtime's return codes (100 = cudaErrorNoDevice on a machine without a GPU: the
 * calls then fail quickly, after the same entry path a probe sees).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define RESUME 10 /* untimed calls of each function after a pause */

typedef struct {
	unsigned x, y, z;
} dim3;
typedef int (*malloc_fn)(void **, size_t);
typedef int (*launch_fn)(const void *, dim3, dim3, void **, size_t, void *);
typedef int (*error_fn)(void);

/* The host stub nvcc would generate: its address is what a launch passes as `func`. */
__attribute__((noinline)) void vecAdd_stub(float *a, float *b, float *c, int n)
{
	__asm__ volatile("" ::"r"(a), "r"(b), "r"(c), "r"(n));
}

/* A fat binary wrapper as nvcc emits it (the magic and version the runtime checks), with no code. */
static const unsigned long long fatbin_data[4] = { 0x00100001ba55ed50ull, 0, 0, 0 };
static struct {
	int magic, version;
	const void *data;
	void *unused;
} fatbin_wrapper = { 0x466243b1, 1, fatbin_data, NULL };

static malloc_fn cuda_malloc;
static launch_fn cuda_launch;
static error_fn cuda_get_last_error;
static const dim3 grid = { 64, 2, 1 }, block = { 256, 1, 1 };
static void *kargs[4];

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

/* Waits without sleeping: an idle CPU would leave caches and predictors cold for the next batch. */
static void spin(long us)
{
	double end = now_ns() + us * 1e3;

	while (now_ns() < end)
		;
}

static int call_malloc(void)
{
	void *p = NULL;

	return cuda_malloc(&p, 4096);
}

static int call_launch(void)
{
	return cuda_launch((const void *)vecAdd_stub, grid, block, kargs, 0, NULL);
}

/* A runtime call no tracer here probes: how fast the host let the loop run, batch by batch. */
static int call_reference(void)
{
	return cuda_get_last_error();
}

struct series {
	double *ns; /* ns per call of each batch */
	long len, cap;
};

static void add_batch(struct series *s, double ns)
{
	if (s->len == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->ns = realloc(s->ns, s->cap * sizeof(*s->ns));
		if (!s->ns) {
			perror("realloc");
			exit(1);
		}
	}
	s->ns[s->len++] = ns;
}

static double time_batch(int (*call)(void), long batch)
{
	double t0 = now_ns();

	for (long i = 0; i < batch; i++)
		call();
	return (now_ns() - t0) / batch;
}

/* The 10th percentile and the median batch, ns per call. */
static void stats(struct series *s, double *p10, double *med)
{
	qsort(s->ns, s->len, sizeof(s->ns[0]), cmp_double);
	*p10 = s->ns[s->len / 10];
	*med = s->len % 2 ? s->ns[s->len / 2] : (s->ns[s->len / 2 - 1] + s->ns[s->len / 2]) / 2;
}

static void wait_usr1(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0 || sig != SIGUSR1)
		;
}

int main(int argc, char **argv)
{
	const char *lib = "libcudart.so.11.0";
	long n = 20000, batch = 100, warm = 1000;
	long pause_us = 0;
	int hold = 0, opt;

	while ((opt = getopt(argc, argv, "l:n:b:w:p:H")) != -1) {
		switch (opt) {
		case 'l': lib = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'b': batch = atol(optarg); break;
		case 'w': warm = atol(optarg); break;
		case 'p': pause_us = atol(optarg); break;
		case 'H': hold = 1; break;
		default:
			fprintf(stderr, "usage: %s [-l LIBRARY] [-n N] [-b BATCH] [-w WARM] [-p USEC] [-H]\n", argv[0]);
			return 2;
		}
	}
	if (batch < 1 || n / batch < 10 || warm < 0 || pause_us < 0) {
		fprintf(stderr, "cuda_loop: need N >= 10 batches of BATCH >= 1 calls\n");
		return 2;
	}
	/* Blocked before anything else, so that a go signal sent early waits for sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);

	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "cuda_loop: %s\n", dlerror());
		return 1;
	}
	cuda_malloc = (malloc_fn)dlsym(h, "cudaMalloc");
	cuda_launch = (launch_fn)dlsym(h, "cudaLaunchKernel");
	cuda_get_last_error = (error_fn)dlsym(h, "cudaGetLastError");
	void **(*reg_fat)(void *) = (void **(*)(void *))dlsym(h, "__cudaRegisterFatBinary");
	void (*reg_fun)(void **, const char *, char *, const char *, int, void *, void *, void *, void *, int *) =
		(void (*)(void **, const char *, char *, const char *, int, void *, void *, void *, void *, int *))
			dlsym(h, "__cudaRegisterFunction");
	void (*reg_end)(void **) = (void (*)(void **))dlsym(h, "__cudaRegisterFatBinaryEnd");
	if (!cuda_malloc || !cuda_launch || !cuda_get_last_error || !reg_fat || !reg_fun) {
		fprintf(stderr, "cuda_loop: %s lacks the runtime's symbols\n", lib);
		return 1;
	}
	void **module = reg_fat(&fatbin_wrapper);
	reg_fun(module, (const char *)vecAdd_stub, "_Z6vecAddPfS_S_i", "_Z6vecAddPfS_S_i", -1, NULL, NULL, NULL,
		NULL, NULL);
	if (reg_end)
		reg_end(module);
	/* The first calls initialise the runtime (or find there is no device): not what is timed. */
	int malloc_status = call_malloc(), launch_status = call_launch();
	printf("ready %d %d %d\n", (int)getpid(), malloc_status, launch_status);
	fflush(stdout);

	if (hold) {
		for (;;) {
			wait_usr1(&set);
			call_malloc();
			printf("called\n");
			fflush(stdout);
		}
	}

	wait_usr1(&set);
	for (long i = 0; i < warm; i++)
		call_malloc();
	for (long i = 0; i < warm; i++)
		call_launch();
	/* Batches take turns, so that all three see the same phases of the host. */
	struct series m = { 0 }, l = { 0 }, r = { 0 };
	double m10, mmed, l10, lmed, r10, rmed;
	long untimed = warm;
	while (m.len * batch < n) {
		if (pause_us) {
			spin(pause_us);
			for (int i = 0; i < RESUME; i++) {
				call_malloc();
				call_launch();
			}
			untimed += RESUME;
		}
		add_batch(&m, time_batch(call_malloc, batch));
		add_batch(&l, time_batch(call_launch, batch));
		add_batch(&r, time_batch(call_reference, batch));
	}
	stats(&m, &m10, &mmed);
	stats(&l, &l10, &lmed);
	stats(&r, &r10, &rmed);
	printf("malloc %.1f %.1f launch %.1f %.1f reference %.1f %.1f calls %ld\n", m10, mmed, l10, lmed, r10, rmed,
	       untimed + m.len * batch);
	return 0;
}
