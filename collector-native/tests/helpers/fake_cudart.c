/* A STAND-IN for the CUDA runtime, for tests only: there is no GPU here to make the real one
 * succeed. Same exported ABI and SONAME as libcudart.so.11.0; every call succeeds, allocations
 * return fake device addresses, and nothing runs. Tests load it through LD_LIBRARY_PATH.
 * Like the real runtime, some calls go through the real driver (libcuda.so.1, loaded on first
 * use): those driver calls fail here, and are part of the runtime call, which SCOPE must count
 * once. scope_fake_driver_calls says how many were made. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct { unsigned x, y, z; } dim3;
static uintptr_t next_addr = 0x7f0000000000ull;
static void *module_handle[4];

static __attribute__((noinline)) int fake_alloc(void **p, size_t size)
{
	if (!p)
		return 1; /* cudaErrorInvalidValue */
	*p = (void *)next_addr;
	next_addr += (size + 0xfff) & ~(size_t)0xfff;
	return 0;
}

int scope_fake_driver_calls;

static void *driver(const char *name)
{
	static void *cu;
	if (!cu)
		cu = dlopen("libcuda.so.1", RTLD_NOW);
	void *f = cu ? dlsym(cu, name) : NULL;
	if (f)
		scope_fake_driver_calls++;
	return f;
}

int cudaMalloc(void **p, size_t size)
{
	int (*cu_alloc)(uint64_t *, size_t) = (int (*)(uint64_t *, size_t))driver("cuMemAlloc_v2");
	uint64_t d = 0;
	if (cu_alloc)
		cu_alloc(&d, size);
	return fake_alloc(p, size);
}
int cudaMallocHost(void **p, size_t size) { return fake_alloc(p, size); }
#ifndef SCOPE_PARTIAL /* the partial stand-in: a runtime of another version, without these two */
int cudaMallocManaged(void **p, size_t size, unsigned flags) { (void)flags; return fake_alloc(p, size); }
#endif
int cudaMallocAsync(void **p, size_t size, void *s) { (void)s; return fake_alloc(p, size); }
int cudaMallocAsync_ptsz(void **p, size_t size, void *s) { (void)s; return fake_alloc(p, size); }
int cudaFree(void *p)
{
	int (*cu_free)(uint64_t) = p ? (int (*)(uint64_t))driver("cuMemFree_v2") : NULL;
	if (cu_free)
		cu_free((uint64_t)(uintptr_t)p);
	return 0;
}
int cudaFreeHost(void *p) { (void)p; return 0; }
int cudaFreeAsync(void *p, void *s) { (void)p; (void)s; return 0; }
int cudaFreeAsync_ptsz(void *p, void *s) { (void)p; (void)s; return 0; }
/* Exported runtime functions never call each other (only the driver's). */
static __attribute__((noinline)) int copy_kind(int kind) { return kind >= 0 && kind <= 4 ? 0 : 21; /* cudaErrorInvalidMemcpyDirection */ }
int cudaMemcpy(void *d, const void *s, size_t n, int kind)
{
	int (*htod)(uint64_t, const void *, size_t) =
		kind == 1 ? (int (*)(uint64_t, const void *, size_t))driver("cuMemcpyHtoD_v2") : NULL;
	if (htod)
		htod((uint64_t)(uintptr_t)d, s, n);
	return copy_kind(kind);
}
int cudaMemcpy_ptds(void *d, const void *s, size_t n, int kind) { (void)d; (void)s; (void)n; return copy_kind(kind); }
int cudaMemcpyAsync(void *d, const void *s, size_t n, int kind, void *st) { (void)d; (void)s; (void)n; (void)st; return copy_kind(kind); }
int cudaMemcpyAsync_ptsz(void *d, const void *s, size_t n, int kind, void *st) { (void)d; (void)s; (void)n; (void)st; return copy_kind(kind); }
/* CUDA 12+: the handle nvcc's stubs launch with instead of their own address. */
struct fake_kernel { const void *stub; };
static __attribute__((noinline)) int get_kernel(void **handle, const void *stub)
{
	static struct fake_kernel kernels[64];
	static unsigned n;
	if (!handle || !stub || n == 64)
		return 1;
	kernels[n].stub = stub;
	*handle = &kernels[n++];
	return 0;
}
int __cudaGetKernel(void **handle, const void *stub) { return get_kernel(handle, stub); }
int cudaGetKernel(void **handle, const void *stub) { return get_kernel(handle, stub); }
int cudaLaunchKernel(const void *f, dim3 g, dim3 b, void **a, size_t sm, void *st) { (void)f; (void)g; (void)b; (void)a; (void)sm; (void)st; return 0; }
int cudaLaunchKernel_ptsz(const void *f, dim3 g, dim3 b, void **a, size_t sm, void *st) { (void)f; (void)g; (void)b; (void)a; (void)sm; (void)st; return 0; }
int cudaLaunchKernelExC(const void *cfg, const void *f, void **a) { (void)cfg; (void)f; (void)a; return 0; }
int cudaLaunchKernelExC_ptsz(const void *cfg, const void *f, void **a) { (void)cfg; (void)f; (void)a; return 0; }
#ifndef SCOPE_PARTIAL
int cudaGraphLaunch(void *g, void *s) { (void)g; (void)s; return 0; }
#endif
int cudaGraphLaunch_ptsz(void *g, void *s) { (void)g; (void)s; return 0; }
int cudaDeviceSynchronize(void) { return 0; }
int cudaSetDevice(int device) { return device >= 0 && device < 2 ? 0 : 101 /* cudaErrorInvalidDevice */; }
int cudaStreamSynchronize(void *s) { (void)s; return 0; }
int cudaStreamSynchronize_ptsz(void *s) { (void)s; return 0; }
void **__cudaRegisterFatBinary(void *fatbin) { (void)fatbin; return module_handle; }
void __cudaRegisterFatBinaryEnd(void **h) { (void)h; }
void __cudaRegisterFunction(void **h, const char *host, char *dev, const char *name, int lim, void *t, void *b, void *bd, void *gd, int *w)
{ (void)h; (void)host; (void)dev; (void)name; (void)lim; (void)t; (void)b; (void)bd; (void)gd; (void)w; }
