/* A program that uses only the CUDA driver API (libcuda.so.1), as a statically linked runtime looks
 * from outside. It loads a PTX module (no CUDA toolchain needed: the driver compiles it), names
 * kernels three ways, allocates, copies both ways, launches twice, checks the result on the host,
 * maps memory through the VMM calls, and frees everything. Each probed call is printed as it was
 * made, for tests and the GPU check to compare with what SCOPE recorded:
 *   CALL <api> ret=<CUresult> key=value...
 *   REG <kind> handle=0x... name=...      (a name lookup that succeeded)
 *   VERIFY ok|failed|skipped
 * Without a GPU every call fails (CUDA_ERROR_NO_DEVICE, then NOT_INITIALIZED): the calls are still
 * made, with stand-in device addresses, so each one's arguments are known. */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef uint64_t CUdeviceptr;
typedef void *CUmodule, *CUfunction, *CUlibrary, *CUkernel, *CUcontext, *CUstream;
typedef uint64_t CUmemHandle;
typedef struct { int type, id; } CUmemLocation;
typedef struct {
	int type, requestedHandleTypes;
	CUmemLocation location;
	void *win32HandleMetaData;
	unsigned char allocFlags[8];
} CUmemAllocationProp;
typedef struct { CUmemLocation location; int flags; } CUmemAccessDesc;
typedef struct {
	unsigned gridDimX, gridDimY, gridDimZ, blockDimX, blockDimY, blockDimZ, sharedMemBytes;
	CUstream hStream;
	void *attrs;
	unsigned numAttrs;
} CUlaunchConfig;

static const char ptx[] =
	".version 7.0\n.target sm_75\n.address_size 64\n"
	".visible .entry scope_vec_add(.param .u64 pa, .param .u64 pb, .param .u64 pc, .param .u32 pn)\n"
	"{\n .reg .pred %p<2>;\n .reg .b32 %r<6>;\n .reg .f32 %f<4>;\n .reg .b64 %rd<11>;\n"
	" ld.param.u64 %rd1, [pa];\n ld.param.u64 %rd2, [pb];\n ld.param.u64 %rd3, [pc];\n ld.param.u32 %r1, [pn];\n"
	" mov.u32 %r2, %ctaid.x;\n mov.u32 %r3, %ntid.x;\n mov.u32 %r4, %tid.x;\n mad.lo.s32 %r5, %r2, %r3, %r4;\n"
	" setp.ge.s32 %p1, %r5, %r1;\n @%p1 bra DONE_ADD;\n"
	" cvta.to.global.u64 %rd4, %rd1;\n cvta.to.global.u64 %rd5, %rd2;\n cvta.to.global.u64 %rd6, %rd3;\n"
	" mul.wide.s32 %rd7, %r5, 4;\n add.s64 %rd8, %rd4, %rd7;\n add.s64 %rd9, %rd5, %rd7;\n add.s64 %rd10, %rd6, %rd7;\n"
	" ld.global.f32 %f1, [%rd8];\n ld.global.f32 %f2, [%rd9];\n add.f32 %f3, %f1, %f2;\n st.global.f32 [%rd10], %f3;\n"
	"DONE_ADD:\n ret;\n}\n"
	".visible .entry scope_vec_sub(.param .u64 pa, .param .u64 pb, .param .u64 pc, .param .u32 pn)\n"
	"{\n .reg .pred %p<2>;\n .reg .b32 %r<6>;\n .reg .f32 %f<4>;\n .reg .b64 %rd<11>;\n"
	" ld.param.u64 %rd1, [pa];\n ld.param.u64 %rd2, [pb];\n ld.param.u64 %rd3, [pc];\n ld.param.u32 %r1, [pn];\n"
	" mov.u32 %r2, %ctaid.x;\n mov.u32 %r3, %ntid.x;\n mov.u32 %r4, %tid.x;\n mad.lo.s32 %r5, %r2, %r3, %r4;\n"
	" setp.ge.s32 %p1, %r5, %r1;\n @%p1 bra DONE_SUB;\n"
	" cvta.to.global.u64 %rd4, %rd1;\n cvta.to.global.u64 %rd5, %rd2;\n cvta.to.global.u64 %rd6, %rd3;\n"
	" mul.wide.s32 %rd7, %r5, 4;\n add.s64 %rd8, %rd4, %rd7;\n add.s64 %rd9, %rd5, %rd7;\n add.s64 %rd10, %rd6, %rd7;\n"
	" ld.global.f32 %f1, [%rd8];\n ld.global.f32 %f2, [%rd9];\n sub.f32 %f3, %f1, %f2;\n st.global.f32 [%rd10], %f3;\n"
	"DONE_SUB:\n ret;\n}\n";

#define N 1000
static void *cu;

static void *fn(const char *name)
{
	void *f = dlsym(cu, name);
	if (!f) {
		fprintf(stderr, "cuda_driver: libcuda.so.1 has no %s\n", name);
		exit(2);
	}
	return f;
}
#define CU(T, name) ((T)fn(name))

/* Where a failed allocation leaves nothing: distinct addresses the later calls can still name. */
static CUdeviceptr or_stand_in(CUresult r, CUdeviceptr p, int i)
{
	return r == 0 ? p : 0x7f00dead0000ull + (uint64_t)i * 0x100000;
}

/* Allocations in a function of their own: the stacks SCOPE records must name it. */
static __attribute__((noinline)) CUresult alloc_buffer(CUdeviceptr *p, size_t bytes)
{
	CUresult r = CU(CUresult (*)(CUdeviceptr *, size_t), "cuMemAlloc_v2")(p, bytes);
	printf("CALL cuMemAlloc_v2 ret=%d ptr=0x%llx bytes=%zu\n", r, (unsigned long long)*p, bytes);
	return r;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	cu = dlopen("libcuda.so.1", RTLD_NOW);
	if (!cu) {
		fprintf(stderr, "cuda_driver: %s\n", dlerror());
		return 2;
	}
	CUresult r = CU(CUresult (*)(unsigned), "cuInit")(0);
	int ok = r == 0;
	int dev = 0;
	CUcontext ctx = NULL;
	if (ok)
		ok = CU(CUresult (*)(int *, int), "cuDeviceGet")(&dev, 0) == 0 &&
		     CU(CUresult (*)(CUcontext *, int), "cuDevicePrimaryCtxRetain")(&ctx, dev) == 0 &&
		     CU(CUresult (*)(CUcontext), "cuCtxSetCurrent")(ctx) == 0;
	CUmodule mod = NULL;
	if (ok)
		ok = CU(CUresult (*)(CUmodule *, const void *), "cuModuleLoadData")(&mod, ptx) == 0;

	CUfunction add = NULL, sub = NULL;
	CUkernel subk = NULL;
	CUlibrary lib = NULL;
	r = CU(CUresult (*)(CUfunction *, CUmodule, const char *), "cuModuleGetFunction")(&add, mod, "scope_vec_add");
	printf("CALL cuModuleGetFunction ret=%d\n", r);
	if (r == 0)
		printf("REG module_function handle=0x%llx name=scope_vec_add\n", (unsigned long long)(uintptr_t)add);
	if (ok)
		CU(CUresult (*)(CUlibrary *, const void *, void *, void *, unsigned, void *, void *, unsigned),
		   "cuLibraryLoadData")(&lib, ptx, NULL, NULL, 0, NULL, NULL, 0);
	r = CU(CUresult (*)(CUkernel *, CUlibrary, const char *), "cuLibraryGetKernel")(&subk, lib, "scope_vec_sub");
	printf("CALL cuLibraryGetKernel ret=%d\n", r);
	if (r == 0)
		printf("REG library_kernel handle=0x%llx name=scope_vec_sub\n", (unsigned long long)(uintptr_t)subk);
	r = CU(CUresult (*)(CUfunction *, CUkernel), "cuKernelGetFunction")(&sub, subk);
	printf("CALL cuKernelGetFunction ret=%d\n", r);
	if (r == 0)
		printf("REG kernel_function handle=0x%llx name=scope_vec_sub\n", (unsigned long long)(uintptr_t)sub);

	size_t bytes = N * sizeof(float);
	CUdeviceptr buf[3] = { 0 };
	for (int i = 0; i < 3; i++) {
		r = alloc_buffer(&buf[i], bytes);
		buf[i] = or_stand_in(r, buf[i], i);
	}
	CUdeviceptr a = buf[0], b = buf[1], c = buf[2];

	static float ha[N], hb[N], hc[N], hd[N];
	for (int i = 0; i < N; i++) {
		ha[i] = (float)i;
		hb[i] = 2.0f * (float)i + 1.0f;
	}
	CUstream stream = NULL; /* without a GPU, the default stream */
	if (ok)
		CU(CUresult (*)(CUstream *, unsigned), "cuStreamCreate")(&stream, 0);
	r = CU(CUresult (*)(CUdeviceptr, const void *, size_t), "cuMemcpyHtoD_v2")(a, ha, bytes);
	printf("CALL cuMemcpyHtoD_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=1\n", r, (unsigned long long)a, (unsigned long long)(uintptr_t)ha, bytes);
	r = CU(CUresult (*)(CUdeviceptr, const void *, size_t, CUstream), "cuMemcpyHtoDAsync_v2")(b, hb, bytes, stream);
	printf("CALL cuMemcpyHtoDAsync_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=1 stream=0x%llx\n", r, (unsigned long long)b,
	       (unsigned long long)(uintptr_t)hb, bytes, (unsigned long long)(uintptr_t)stream);

	int n = N;
	void *params[] = { &a, &b, &c, &n };
	CUfunction f1 = add; /* NULL without a GPU: the driver dereferences any other handle */
	r = CU(CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void **, void **),
	       "cuLaunchKernel")(f1, 4, 1, 1, 256, 1, 1, 0, stream, params, NULL);
	printf("CALL cuLaunchKernel ret=%d func=0x%llx grid=4,1,1 block=256,1,1 shared_mem=0 stream=0x%llx\n", r, (unsigned long long)(uintptr_t)f1, (unsigned long long)(uintptr_t)stream);
	r = CU(CUresult (*)(void *, CUdeviceptr, size_t), "cuMemcpyDtoH_v2")(hc, c, bytes);
	printf("CALL cuMemcpyDtoH_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=2\n", r, (unsigned long long)(uintptr_t)hc, (unsigned long long)c, bytes);
	int verified = r == 0;
	for (int i = 0; verified && i < N; i++)
		verified = hc[i] == ha[i] + hb[i];

	/* c = a - b with the library's kernel, through cuLaunchKernelEx */
	CUlaunchConfig cfg = { 2, 1, 1, 128, 4, 1, 64, stream, NULL, 0 };
	void *params2[] = { &a, &b, &c, &n };
	CUfunction f2 = sub;
	r = CU(CUresult (*)(const CUlaunchConfig *, CUfunction, void **, void **), "cuLaunchKernelEx")(&cfg, f2, params2, NULL);
	printf("CALL cuLaunchKernelEx ret=%d func=0x%llx grid=2,1,1 block=128,4,1 shared_mem=64 stream=0x%llx\n", r, (unsigned long long)(uintptr_t)f2, (unsigned long long)(uintptr_t)stream);
	r = CU(CUresult (*)(void *, CUdeviceptr, size_t, CUstream), "cuMemcpyDtoHAsync_v2")(hd, c, bytes, stream);
	printf("CALL cuMemcpyDtoHAsync_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=2 stream=0x%llx\n", r, (unsigned long long)(uintptr_t)hd,
	       (unsigned long long)c, bytes, (unsigned long long)(uintptr_t)stream);
	if (ok)
		CU(CUresult (*)(void), "cuCtxSynchronize")();
	for (int i = 0; verified && i < N; i++)
		verified = hd[i] == ha[i] - hb[i];
	r = CU(CUresult (*)(CUdeviceptr, CUdeviceptr, size_t), "cuMemcpyDtoD_v2")(b, a, bytes / 2);
	printf("CALL cuMemcpyDtoD_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=3\n", r, (unsigned long long)b,
	       (unsigned long long)a, bytes / 2);
	r = CU(CUresult (*)(CUdeviceptr, CUdeviceptr, size_t), "cuMemcpyDtoD_v2_ptds")(c, b, bytes / 8);
	printf("CALL cuMemcpyDtoD_v2_ptds ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=3\n", r, (unsigned long long)c,
	       (unsigned long long)b, bytes / 8);
	r = CU(CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream), "cuMemcpyDtoDAsync_v2")(c, a, bytes / 4, stream);
	printf("CALL cuMemcpyDtoDAsync_v2 ret=%d ptr=0x%llx src=0x%llx bytes=%zu kind=3 stream=0x%llx\n", r,
	       (unsigned long long)c, (unsigned long long)a, bytes / 4, (unsigned long long)(uintptr_t)stream);

	/* VMM: physical memory on device 0, mapped at a reserved address, then taken apart again */
	CUmemAllocationProp prop = { 1 /* PINNED */, 0, { 1 /* DEVICE */, dev }, NULL, { 0 } };
	size_t gran = 2 << 20;
	if (ok)
		CU(CUresult (*)(size_t *, const CUmemAllocationProp *, int), "cuMemGetAllocationGranularity")(&gran, &prop, 0);
	CUmemHandle h = 0;
	r = CU(CUresult (*)(CUmemHandle *, size_t, const CUmemAllocationProp *, unsigned long long), "cuMemCreate")(&h, gran, &prop, 0);
	printf("CALL cuMemCreate ret=%d handle=0x%llx bytes=%zu device=%d\n", r, (unsigned long long)h, gran, dev);
	CUdeviceptr va = 0;
	if (ok)
		CU(CUresult (*)(CUdeviceptr *, size_t, size_t, CUdeviceptr, unsigned long long), "cuMemAddressReserve")(&va, gran, 0, 0, 0);
	va = va ? va : 0x7f00beef0000ull;
	CUmemHandle mh = h ? h : 0x1234;
	r = CU(CUresult (*)(CUdeviceptr, size_t, size_t, CUmemHandle, unsigned long long), "cuMemMap")(va, gran, 0, mh, 0);
	printf("CALL cuMemMap ret=%d ptr=0x%llx bytes=%zu handle=0x%llx offset=0\n", r, (unsigned long long)va, gran,
	       (unsigned long long)mh);
	if (r == 0) {
		CUmemAccessDesc access = { { 1, dev }, 3 /* READWRITE */ };
		CU(CUresult (*)(CUdeviceptr, size_t, const CUmemAccessDesc *, size_t), "cuMemSetAccess")(va, gran, &access, 1);
	}
	r = CU(CUresult (*)(CUdeviceptr, size_t), "cuMemUnmap")(va, gran);
	printf("CALL cuMemUnmap ret=%d ptr=0x%llx bytes=%zu\n", r, (unsigned long long)va, gran);
	if (ok)
		CU(CUresult (*)(CUdeviceptr, size_t), "cuMemAddressFree")(va, gran);
	r = CU(CUresult (*)(CUmemHandle), "cuMemRelease")(mh);
	printf("CALL cuMemRelease ret=%d handle=0x%llx\n", r, (unsigned long long)mh);

	for (int i = 0; i < 3; i++) {
		r = CU(CUresult (*)(CUdeviceptr), "cuMemFree_v2")(buf[i]);
		printf("CALL cuMemFree_v2 ret=%d ptr=0x%llx\n", r, (unsigned long long)buf[i]);
	}
	printf("VERIFY %s\n", !ok ? "skipped" : verified ? "ok" : "failed");
	return 0;
}
