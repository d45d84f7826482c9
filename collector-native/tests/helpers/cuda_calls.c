/* A CUDA program without a CUDA toolchain: it dlopens a runtime (the real libcudart.so.11.0 by
 * default, or whatever LD_LIBRARY_PATH finds first) and calls every function SCOPE probes, with
 * arguments the tests know, after registering two kernels the way nvcc's module constructor does.
 *   cuda_calls [LIBRARY]   prints one line: "ok <calls>" (or why it could not start)
 *   cuda_calls --fork N    registers, then forks N children that each call cudaMalloc(4096 + i)
 *                          at once, without exec; prints "forked N"
 *   cuda_calls --late      registers, prints "registered", waits for a line on stdin, then
 *                          launches vecAdd once and prints "launched" (a process attached late) */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct { unsigned x, y, z; } dim3;
typedef struct {
	dim3 grid, block;
	size_t smem;
	void *stream;
	void *attrs;
	unsigned nattrs;
} launch_config;

/* The host stubs nvcc would generate: their addresses are what launches pass as `func`. The first
 * has the symbol nvcc gives a stub (after its kernel), for the ELF fallback to find. */
void vecAdd_stub(float *a, float *b, float *c, int n) __asm__("_Z30__device_stub__Z6vecAddPfS_S_iPfS_S_i");
__attribute__((noinline)) void vecAdd_stub(float *a, float *b, float *c, int n) { __asm__ volatile("" ::"r"(a), "r"(b), "r"(c), "r"(n)); }
__attribute__((noinline)) void scale_stub(float *a, float s) { __asm__ volatile("" ::"r"(a), "x"(s)); }
__attribute__((noinline)) void long_stub(float *a) { __asm__ volatile("" ::"r"(a)); }

/* A 300-character kernel name (k…k(float*)), longer than a record holds, in a page of a file
 * mapping nothing has touched yet: a uprobe cannot read it, as with a library being loaded. */
static const char *untouched_long_name(void)
{
	char name[400] = "_Z300";
	memset(name + 5, 'k', 300);
	strcpy(name + 305, "Pf");
	char path[] = "/tmp/cuda_calls_name_XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	ssize_t w = write(fd, name, strlen(name) + 1);
	void *m = w > 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
	close(fd);
	return m == MAP_FAILED ? NULL : m;
}

/* A fat binary wrapper as nvcc emits it (the magic and version the runtime checks), with no code. */
static const unsigned long long fatbin_data[4] = { 0x00100001ba55ed50ull, 0, 0, 0 };
static struct { int magic, version; const void *data; void *unused; } fatbin_wrapper = { 0x466243b1, 1, fatbin_data, NULL };

#define SYM(h, name) dlsym(h, name)
#define CALL(T, name, ...) (((T)SYM(h, name)) ? (calls++, ((T)SYM(h, name))(__VA_ARGS__)) : -1)

int main(int argc, char **argv)
{
	int forks = argc > 2 && strcmp(argv[1], "--fork") == 0 ? atoi(argv[2]) : 0;
	bool late = argc > 1 && strcmp(argv[1], "--late") == 0;
	const char *lib = argc > 1 && !forks && !late ? argv[1] : "libcudart.so.11.0";
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("no runtime: %s\n", dlerror());
		return 2;
	}
	int calls = 0;
	void **(*reg_fat)(void *) = (void **(*)(void *))SYM(h, "__cudaRegisterFatBinary");
	void (*reg_fun)(void **, const char *, char *, const char *, int, void *, void *, void *, void *, int *) =
		(void (*)(void **, const char *, char *, const char *, int, void *, void *, void *, void *, int *))SYM(h, "__cudaRegisterFunction");
	void (*reg_end)(void **) = (void (*)(void **))SYM(h, "__cudaRegisterFatBinaryEnd");
	void **module = NULL;
	if (reg_fat && reg_fun) {
		module = reg_fat(&fatbin_wrapper);
		reg_fun(module, (const char *)vecAdd_stub, "_Z6vecAddPfS_S_i", "_Z6vecAddPfS_S_i", -1, NULL, NULL, NULL, NULL, NULL);
		reg_fun(module, (const char *)scale_stub, "_Z5scalePff", "_Z5scalePff", -1, NULL, NULL, NULL, NULL, NULL);
		const char *long_name = untouched_long_name();
		if (long_name) {
			reg_fun(module, (const char *)long_stub, (char *)long_name, long_name, -1, NULL, NULL, NULL, NULL, NULL);
			calls++;
		}
		if (reg_end)
			reg_end(module);
		calls += 3;
	}

	if (late) {
		printf("registered\n");
		fflush(stdout);
		char line[16];
		if (!fgets(line, sizeof(line), stdin))
			return 3;
		dim3 g = { 4, 1, 1 }, b = { 32, 1, 1 };
		void *none[4] = { 0 };
		CALL(int (*)(const void *, dim3, dim3, void **, size_t, void *), "cudaLaunchKernel", (const void *)vecAdd_stub, g, b, none, 0, (void *)0);
		printf("launched\n");
		return 0;
	}
	if (forks) {
		fflush(stdout);
		for (int i = 0; i < forks; i++) {
			pid_t child = fork();
			if (child == 0) {
				void *ptr = NULL;
				CALL(int (*)(void **, size_t), "cudaMalloc", &ptr, 4096 + i);
				_exit(0);
			}
			if (child > 0)
				waitpid(child, NULL, 0);
		}
		printf("forked %d\n", forks);
		return 0;
	}

	void *p[5] = { 0 };
	for (int i = 0; i < 5; i++)
		CALL(int (*)(void **, size_t), "cudaMalloc", &p[i], 1 << 20);
	void *host = NULL, *managed = NULL, *async = NULL;
	CALL(int (*)(void **, size_t), "cudaMallocHost", &host, 4096);
	CALL(int (*)(void **, size_t, unsigned), "cudaMallocManaged", &managed, 8192, 1);
	CALL(int (*)(void **, size_t, void *), "cudaMallocAsync", &async, 16384, (void *)0x5);
	CALL(int (*)(void **, size_t, void *), "cudaMallocAsync_ptsz", &async, 16385, (void *)0x6);

	CALL(int (*)(int), "cudaSetDevice", 1); /* later calls are on device 1 (where the runtime has one) */

	static char a[64], b[64];
	for (int kind = 0; kind <= 4; kind++)
		CALL(int (*)(void *, const void *, size_t, int), "cudaMemcpy", a, b, 100 + kind, kind);
	CALL(int (*)(void *, const void *, size_t, int), "cudaMemcpy_ptds", a, b, 200, 1);
	CALL(int (*)(void *, const void *, size_t, int, void *), "cudaMemcpyAsync", a, b, 300, 2, (void *)0x7);
	CALL(int (*)(void *, const void *, size_t, int, void *), "cudaMemcpyAsync_ptsz", a, b, 301, 3, (void *)0x8);

	dim3 grid = { 64, 2, 1 }, block = { 256, 1, 1 };
	void *args[4] = { 0 };
	CALL(int (*)(const void *, dim3, dim3, void **, size_t, void *), "cudaLaunchKernel", (const void *)vecAdd_stub, grid, block, args, 1024, (void *)0x9);
	CALL(int (*)(const void *, dim3, dim3, void **, size_t, void *), "cudaLaunchKernel_ptsz", (const void *)scale_stub, block, grid, args, 0, (void *)0xa);
	launch_config cfg = { { 8, 4, 2 }, { 32, 2, 1 }, 512, (void *)0xb, NULL, 0 };
	CALL(int (*)(const launch_config *, const void *, void **), "cudaLaunchKernelExC", &cfg, (const void *)vecAdd_stub, args);
	/* As nvcc 12+ stubs launch: with the handle __cudaGetKernel gives for the stub (runtimes that have it). */
	void *handle = NULL;
	dim3 one = { 1, 1, 1 };
	CALL(int (*)(const void *, dim3, dim3, void **, size_t, void *), "cudaLaunchKernel", (const void *)long_stub, one, one, args, 0, (void *)0x10);
	if (CALL(int (*)(void **, const void *), "__cudaGetKernel", &handle, (const void *)scale_stub) == 0) {
		dim3 g2 = { 2, 2, 2 };
		CALL(int (*)(const void *, dim3, dim3, void **, size_t, void *), "cudaLaunchKernel", handle, g2, block, args, 0, (void *)0xf);
	}
	CALL(int (*)(void *, void *), "cudaGraphLaunch", (void *)0xdead, (void *)0xc);
	CALL(int (*)(void), "cudaDeviceSynchronize");
	CALL(int (*)(void *), "cudaStreamSynchronize", (void *)0xd);
	CALL(int (*)(void *), "cudaStreamSynchronize_ptsz", (void *)0xe);

	for (int i = 0; i < 5; i++)
		CALL(int (*)(void *), "cudaFree", p[i]);
	CALL(int (*)(void *), "cudaFreeHost", host);
	CALL(int (*)(void *, void *), "cudaFreeAsync", async, (void *)0x5);
	CALL(int (*)(void *, void *), "cudaFreeAsync_ptsz", async, (void *)0x6);
	printf("ok %d\n", calls);
	return 0;
}
