/* The CUDA ledger's test program: a known allocation history without a CUDA toolchain (it dlopens
 * libcudart.so.11.0: the stand-in from LD_LIBRARY_PATH, or the real runtime).
 *   allocates 1, 2 and 3 MiB with cudaMalloc (in alloc_three_free_two), frees the first two;
 *   copies host to device twice 4096 bytes, device to host 1000, device to device 512 (cudaMemcpy);
 *   prints "leak 0x<ptr> 3145728" (the allocation it never frees), and "driver_calls N" (how many
 *   driver calls the stand-in made inside those runtime calls; -1 for another runtime), exits 0.
 * Built with frame pointers, so the stacks SCOPE records reach back to main. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*malloc_fn)(void **, size_t);
typedef int (*free_fn)(void *);
typedef int (*memcpy_fn)(void *, const void *, size_t, int);

static void *rt;

static void *fn(const char *name)
{
	void *f = dlsym(rt, name);
	if (!f) {
		fprintf(stderr, "cuda_ledger: no %s in the CUDA runtime\n", name);
		exit(2);
	}
	return f;
}

static __attribute__((noinline)) void *alloc_three_free_two(void)
{
	void *p[3] = { 0 };
	for (int i = 0; i < 3; i++)
		((malloc_fn)fn("cudaMalloc"))(&p[i], (size_t)(i + 1) << 20);
	((free_fn)fn("cudaFree"))(p[0]);
	((free_fn)fn("cudaFree"))(p[1]);
	return p[2];
}

static __attribute__((noinline)) void copy_some(void *dev)
{
	static char host[4096];
	memcpy_fn copy = (memcpy_fn)fn("cudaMemcpy");
	copy(dev, host, 4096, 1 /* cudaMemcpyHostToDevice */);
	copy(dev, host, 4096, 1);
	copy(host, dev, 1000, 2 /* DeviceToHost */);
	copy((char *)dev + 1024, dev, 512, 3 /* DeviceToDevice */);
}

int main(void)
{
	rt = dlopen("libcudart.so.11.0", RTLD_NOW);
	if (!rt) {
		fprintf(stderr, "cuda_ledger: %s\n", dlerror());
		return 2;
	}
	void *leak = alloc_three_free_two();
	copy_some(leak);
	int *driver_calls = dlsym(rt, "scope_fake_driver_calls");
	printf("leak 0x%llx 3145728\ndriver_calls %d\n", (unsigned long long)(uintptr_t)leak, driver_calls ? *driver_calls : -1);
	return 0;
}
