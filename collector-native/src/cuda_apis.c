#include <string.h>

#include "cuda_apis.h"
#include "scope_events.h"

const struct scope_cuda_symbol scope_cuda_symbols[] = {
	{ "cudaMalloc", SCOPE_CUDA_MALLOC, 0, false },
	{ "cudaFree", SCOPE_CUDA_FREE, 0, false },
	{ "cudaMallocAsync", SCOPE_CUDA_MALLOC_ASYNC, 0, true }, /* CUDA 11.2 and later */
	{ "cudaMallocAsync_ptsz", SCOPE_CUDA_MALLOC_ASYNC, SCOPE_CUDA_PTSZ, true },
	{ "cudaFreeAsync", SCOPE_CUDA_FREE_ASYNC, 0, true },
	{ "cudaFreeAsync_ptsz", SCOPE_CUDA_FREE_ASYNC, SCOPE_CUDA_PTSZ, true },
	{ "cudaMallocManaged", SCOPE_CUDA_MALLOC_MANAGED, 0, false },
	{ "cudaMallocHost", SCOPE_CUDA_MALLOC_HOST, 0, false },
	{ "cudaFreeHost", SCOPE_CUDA_FREE_HOST, 0, false },
	{ "cudaMemcpy", SCOPE_CUDA_MEMCPY, 0, false },
	{ "cudaMemcpy_ptds", SCOPE_CUDA_MEMCPY, SCOPE_CUDA_PTDS, true },
	{ "cudaMemcpyAsync", SCOPE_CUDA_MEMCPY_ASYNC, 0, false },
	{ "cudaMemcpyAsync_ptsz", SCOPE_CUDA_MEMCPY_ASYNC, SCOPE_CUDA_PTSZ, true },
	{ "cudaLaunchKernel", SCOPE_CUDA_LAUNCH_KERNEL, 0, false },
	{ "cudaLaunchKernel_ptsz", SCOPE_CUDA_LAUNCH_KERNEL, SCOPE_CUDA_PTSZ, true },
	{ "cudaLaunchKernelExC", SCOPE_CUDA_LAUNCH_KERNEL_EXC, 0, true }, /* CUDA 11.8 and later */
	{ "cudaLaunchKernelExC_ptsz", SCOPE_CUDA_LAUNCH_KERNEL_EXC, SCOPE_CUDA_PTSZ, true },
	{ "cudaGraphLaunch", SCOPE_CUDA_GRAPH_LAUNCH, 0, false },
	{ "cudaGraphLaunch_ptsz", SCOPE_CUDA_GRAPH_LAUNCH, SCOPE_CUDA_PTSZ, true },
	{ "cudaDeviceSynchronize", SCOPE_CUDA_DEVICE_SYNCHRONIZE, 0, false },
	{ "cudaStreamSynchronize", SCOPE_CUDA_STREAM_SYNCHRONIZE, 0, false },
	{ "cudaStreamSynchronize_ptsz", SCOPE_CUDA_STREAM_SYNCHRONIZE, SCOPE_CUDA_PTSZ, true },
	{ "__cudaRegisterFatBinary", SCOPE_CUDA_REGISTER_FAT_BINARY, 0, false },
	{ "__cudaRegisterFunction", SCOPE_CUDA_REGISTER_FUNCTION, 0, false },
	{ "cudaSetDevice", SCOPE_CUDA_SET_DEVICE, 0, false },
	/* CUDA 12+: what nvcc's stubs call once to get the handle they launch with */
	{ "__cudaGetKernel", SCOPE_CUDA_GET_KERNEL, 0, true },
	{ "cudaGetKernel", SCOPE_CUDA_GET_KERNEL, 0, true },
	/* The driver, libcuda.so.1. The _v2 entry points are the ones cuda.h maps the plain names to. */
	{ "cuMemAlloc_v2", SCOPE_CU_MEM_ALLOC, 0, false, true },
	{ "cuMemFree_v2", SCOPE_CU_MEM_FREE, 0, false, true },
	{ "cuMemcpyHtoD_v2", SCOPE_CU_MEMCPY_HTOD, 0, false, true },
	{ "cuMemcpyHtoD_v2_ptds", SCOPE_CU_MEMCPY_HTOD, SCOPE_CUDA_PTDS, true, true },
	{ "cuMemcpyDtoH_v2", SCOPE_CU_MEMCPY_DTOH, 0, false, true },
	{ "cuMemcpyDtoH_v2_ptds", SCOPE_CU_MEMCPY_DTOH, SCOPE_CUDA_PTDS, true, true },
	{ "cuMemcpyDtoD_v2", SCOPE_CU_MEMCPY_DTOD, 0, false, true },
	{ "cuMemcpyDtoD_v2_ptds", SCOPE_CU_MEMCPY_DTOD, SCOPE_CUDA_PTDS, true, true },
	{ "cuMemcpyHtoDAsync_v2", SCOPE_CU_MEMCPY_HTOD_ASYNC, 0, false, true },
	{ "cuMemcpyHtoDAsync_v2_ptsz", SCOPE_CU_MEMCPY_HTOD_ASYNC, SCOPE_CUDA_PTSZ, true, true },
	{ "cuMemcpyDtoHAsync_v2", SCOPE_CU_MEMCPY_DTOH_ASYNC, 0, false, true },
	{ "cuMemcpyDtoHAsync_v2_ptsz", SCOPE_CU_MEMCPY_DTOH_ASYNC, SCOPE_CUDA_PTSZ, true, true },
	{ "cuMemcpyDtoDAsync_v2", SCOPE_CU_MEMCPY_DTOD_ASYNC, 0, false, true },
	{ "cuMemcpyDtoDAsync_v2_ptsz", SCOPE_CU_MEMCPY_DTOD_ASYNC, SCOPE_CUDA_PTSZ, true, true },
	{ "cuLaunchKernel", SCOPE_CU_LAUNCH_KERNEL, 0, false, true },
	{ "cuLaunchKernel_ptsz", SCOPE_CU_LAUNCH_KERNEL, SCOPE_CUDA_PTSZ, true, true },
	{ "cuLaunchKernelEx", SCOPE_CU_LAUNCH_KERNEL_EX, 0, true, true }, /* CUDA 12.0 and later */
	{ "cuLaunchKernelEx_ptsz", SCOPE_CU_LAUNCH_KERNEL_EX, SCOPE_CUDA_PTSZ, true, true },
	{ "cuModuleGetFunction", SCOPE_CU_MODULE_GET_FUNCTION, 0, false, true },
	{ "cuLibraryGetKernel", SCOPE_CU_LIBRARY_GET_KERNEL, 0, true, true }, /* CUDA 12.0 and later */
	{ "cuKernelGetFunction", SCOPE_CU_KERNEL_GET_FUNCTION, 0, true, true },
	{ "cuMemCreate", SCOPE_CU_MEM_CREATE, 0, false, true },
	{ "cuMemMap", SCOPE_CU_MEM_MAP, 0, false, true },
	{ "cuMemUnmap", SCOPE_CU_MEM_UNMAP, 0, false, true },
	{ "cuMemRelease", SCOPE_CU_MEM_RELEASE, 0, false, true },
};
const unsigned scope_cuda_symbols_len = sizeof(scope_cuda_symbols) / sizeof(scope_cuda_symbols[0]);
_Static_assert(sizeof(scope_cuda_symbols) / sizeof(scope_cuda_symbols[0]) <= SCOPE_CUDA_SYMBOLS_MAX,
	       "raise SCOPE_CUDA_SYMBOLS_MAX");

static const char *const api_names[SCOPE_CUDA_API_MAX] = {
	[SCOPE_CUDA_MALLOC] = "cudaMalloc",
	[SCOPE_CUDA_FREE] = "cudaFree",
	[SCOPE_CUDA_MALLOC_ASYNC] = "cudaMallocAsync",
	[SCOPE_CUDA_FREE_ASYNC] = "cudaFreeAsync",
	[SCOPE_CUDA_MALLOC_MANAGED] = "cudaMallocManaged",
	[SCOPE_CUDA_MALLOC_HOST] = "cudaMallocHost",
	[SCOPE_CUDA_FREE_HOST] = "cudaFreeHost",
	[SCOPE_CUDA_MEMCPY] = "cudaMemcpy",
	[SCOPE_CUDA_MEMCPY_ASYNC] = "cudaMemcpyAsync",
	[SCOPE_CUDA_LAUNCH_KERNEL] = "cudaLaunchKernel",
	[SCOPE_CUDA_LAUNCH_KERNEL_EXC] = "cudaLaunchKernelExC",
	[SCOPE_CUDA_GRAPH_LAUNCH] = "cudaGraphLaunch",
	[SCOPE_CUDA_DEVICE_SYNCHRONIZE] = "cudaDeviceSynchronize",
	[SCOPE_CUDA_STREAM_SYNCHRONIZE] = "cudaStreamSynchronize",
	[SCOPE_CUDA_REGISTER_FAT_BINARY] = "__cudaRegisterFatBinary",
	[SCOPE_CUDA_REGISTER_FUNCTION] = "__cudaRegisterFunction",
	[SCOPE_CUDA_SET_DEVICE] = "cudaSetDevice",
	[SCOPE_CUDA_GET_KERNEL] = "cudaGetKernel",
	[SCOPE_CU_MEM_ALLOC] = "cuMemAlloc_v2",
	[SCOPE_CU_MEM_FREE] = "cuMemFree_v2",
	[SCOPE_CU_MEMCPY_HTOD] = "cuMemcpyHtoD_v2",
	[SCOPE_CU_MEMCPY_DTOH] = "cuMemcpyDtoH_v2",
	[SCOPE_CU_MEMCPY_DTOD] = "cuMemcpyDtoD_v2",
	[SCOPE_CU_MEMCPY_HTOD_ASYNC] = "cuMemcpyHtoDAsync_v2",
	[SCOPE_CU_MEMCPY_DTOH_ASYNC] = "cuMemcpyDtoHAsync_v2",
	[SCOPE_CU_MEMCPY_DTOD_ASYNC] = "cuMemcpyDtoDAsync_v2",
	[SCOPE_CU_LAUNCH_KERNEL] = "cuLaunchKernel",
	[SCOPE_CU_LAUNCH_KERNEL_EX] = "cuLaunchKernelEx",
	[SCOPE_CU_MODULE_GET_FUNCTION] = "cuModuleGetFunction",
	[SCOPE_CU_LIBRARY_GET_KERNEL] = "cuLibraryGetKernel",
	[SCOPE_CU_KERNEL_GET_FUNCTION] = "cuKernelGetFunction",
	[SCOPE_CU_MEM_CREATE] = "cuMemCreate",
	[SCOPE_CU_MEM_MAP] = "cuMemMap",
	[SCOPE_CU_MEM_UNMAP] = "cuMemUnmap",
	[SCOPE_CU_MEM_RELEASE] = "cuMemRelease",
};

const char *scope_cuda_api_name(unsigned api)
{
	return api < SCOPE_CUDA_API_MAX ? api_names[api] : NULL;
}

const char *scope_cuda_kind_name(int kind)
{
	static const char *const kinds[] = { "H2H", "H2D", "D2H", "D2D", "Default" };
	return kind >= 0 && kind < 5 ? kinds[kind] : NULL;
}

bool scope_cuda_is_runtime_name(const char *base)
{
	return strncmp(base, "libcudart", 9) == 0 && (base[9] == '.' || base[9] == '-') && strstr(base, ".so");
}

enum scope_cuda_lib_kind scope_cuda_lib_kind(const char *base)
{
	if (scope_cuda_is_runtime_name(base))
		return SCOPE_CUDA_LIB_RUNTIME;
	/* libcuda.so, libcuda.so.1, libcuda.so.535.183.01; not libcudart, libcudnn, libcuda_foo */
	if (strncmp(base, "libcuda.so", 10) == 0 && (base[10] == 0 || base[10] == '.'))
		return SCOPE_CUDA_LIB_DRIVER;
	return SCOPE_CUDA_LIB_NONE;
}
