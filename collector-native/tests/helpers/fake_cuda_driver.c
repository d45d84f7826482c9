/* A STAND-IN for the CUDA driver (libcuda.so.1), for tests only: there is no GPU here, and the real
 * driver fails every call without one. It has the real driver's SONAME and the ABI of the calls
 * cuda_driver makes; "device memory" is host memory, and a launch of scope_vec_add or
 * scope_vec_sub computes its result on the calling thread, so the program can check it. Tests load
 * it through LD_LIBRARY_PATH; everything else about the driver is tested against the real one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef uint64_t CUdeviceptr;
enum { ADD = 1, SUB = 2 };
struct fn { int op; };
struct kernel { int op; struct fn function; };
static struct fn module_fns[] = { { ADD }, { SUB } };
static struct kernel library_kernels[] = { { ADD, { ADD } }, { SUB, { SUB } } };
static int opaque[4];

static int op_of(const char *name)
{
	return !name ? 0 : strcmp(name, "scope_vec_add") == 0 ? ADD : strcmp(name, "scope_vec_sub") == 0 ? SUB : 0;
}

CUresult cuInit(unsigned flags) { return flags ? 1 : 0; }
CUresult cuDeviceGet(int *d, int ordinal) { *d = ordinal; return ordinal ? 101 : 0; }
CUresult cuDevicePrimaryCtxRetain(void **ctx, int dev) { (void)dev; *ctx = &opaque[0]; return 0; }
CUresult cuCtxSetCurrent(void *ctx) { (void)ctx; return 0; }
CUresult cuCtxSynchronize(void) { return 0; }
CUresult cuStreamCreate(void **s, unsigned flags) { (void)flags; *s = &opaque[1]; return 0; }
CUresult cuModuleLoadData(void **m, const void *image) { (void)image; *m = &opaque[2]; return 0; }
CUresult cuLibraryLoadData(void **lib, const void *code, void *a, void *b, unsigned c, void *d, void *e, unsigned f)
{
	(void)code; (void)a; (void)b; (void)c; (void)d; (void)e; (void)f;
	*lib = &opaque[3];
	return 0;
}

CUresult cuModuleGetFunction(void **f, void *mod, const char *name)
{
	int op = op_of(name);
	if (!mod || !op)
		return 500; /* CUDA_ERROR_NOT_FOUND */
	*f = &module_fns[op - 1];
	return 0;
}

CUresult cuLibraryGetKernel(void **k, void *lib, const char *name)
{
	int op = op_of(name);
	if (!lib || !op)
		return 500;
	*k = &library_kernels[op - 1];
	return 0;
}

CUresult cuKernelGetFunction(void **f, void *k)
{
	if (!k)
		return 400; /* CUDA_ERROR_INVALID_HANDLE */
	*f = &((struct kernel *)k)->function;
	return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes)
{
	void *m = bytes ? aligned_alloc(256, (bytes + 255) & ~(size_t)255) : NULL;
	if (!m)
		return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
	*p = (CUdeviceptr)(uintptr_t)m;
	return 0;
}

CUresult cuMemFree_v2(CUdeviceptr p) { free((void *)(uintptr_t)p); return 0; }

static CUresult copy(void *d, const void *s, size_t n) { memmove(d, s, n); return 0; }
CUresult cuMemcpyHtoD_v2(CUdeviceptr d, const void *s, size_t n) { return copy((void *)(uintptr_t)d, s, n); }
CUresult cuMemcpyDtoH_v2(void *d, CUdeviceptr s, size_t n) { return copy(d, (void *)(uintptr_t)s, n); }
CUresult cuMemcpyDtoD_v2(CUdeviceptr d, CUdeviceptr s, size_t n) { return copy((void *)(uintptr_t)d, (void *)(uintptr_t)s, n); }
/* The async entry points use the sync ones, as a driver's entry points may: one operation each. */
CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr d, const void *s, size_t n, void *st) { (void)st; return cuMemcpyHtoD_v2(d, s, n); }
CUresult cuMemcpyDtoHAsync_v2(void *d, CUdeviceptr s, size_t n, void *st) { (void)st; return cuMemcpyDtoH_v2(d, s, n); }
/* A per-thread-stream entry point through the plain one of the same API: still one operation. */
CUresult cuMemcpyDtoD_v2_ptds(CUdeviceptr d, CUdeviceptr s, size_t n) { return cuMemcpyDtoD_v2(d, s, n); }
CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr d, CUdeviceptr s, size_t n, void *st) { (void)st; return cuMemcpyDtoD_v2(d, s, n); }

/* (float *a, float *b, float *c, int n): c = a op b for every thread the grid has */
static CUresult run(const struct fn *f, uint64_t threads, void **params)
{
	if (!f || !params)
		return 400;
	float *a = *(float **)params[0], *b = *(float **)params[1], *c = *(float **)params[2];
	int n = *(int *)params[3];
	for (uint64_t i = 0; i < threads && i < (uint64_t)n; i++)
		c[i] = f->op == ADD ? a[i] + b[i] : a[i] - b[i];
	return 0;
}

CUresult cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
			unsigned smem, void *stream, void **params, void **extra)
{
	(void)smem; (void)stream; (void)extra;
	return run(f, (uint64_t)gx * gy * gz * bx * by * bz, params);
}

typedef struct {
	unsigned gx, gy, gz, bx, by, bz, smem;
	void *stream, *attrs;
	unsigned nattrs;
} launch_config;

CUresult cuLaunchKernelEx(const launch_config *c, void *f, void **params, void **extra)
{
	(void)extra;
	return c ? run(f, (uint64_t)c->gx * c->gy * c->gz * c->bx * c->by * c->bz, params) : 1;
}

static uint64_t next_handle = 0x11;
CUresult cuMemGetAllocationGranularity(size_t *g, const void *prop, int option) { (void)prop; (void)option; *g = 2 << 20; return 0; }
CUresult cuMemCreate(uint64_t *h, size_t size, const void *prop, unsigned long long flags)
{
	(void)size; (void)prop; (void)flags;
	*h = next_handle++;
	return 0;
}
CUresult cuMemAddressReserve(CUdeviceptr *p, size_t size, size_t align, CUdeviceptr addr, unsigned long long flags)
{
	(void)size; (void)align; (void)addr; (void)flags;
	*p = 0x7e0000000000ull;
	return 0;
}
CUresult cuMemMap(CUdeviceptr p, size_t size, size_t off, uint64_t h, unsigned long long flags) { (void)p; (void)size; (void)off; (void)flags; return h ? 0 : 400; }
CUresult cuMemSetAccess(CUdeviceptr p, size_t size, const void *desc, size_t count) { (void)p; (void)size; (void)desc; (void)count; return 0; }
CUresult cuMemUnmap(CUdeviceptr p, size_t size) { (void)p; (void)size; return 0; }
CUresult cuMemAddressFree(CUdeviceptr p, size_t size) { (void)p; (void)size; return 0; }
CUresult cuMemRelease(uint64_t h) { return h ? 0 : 400; }
