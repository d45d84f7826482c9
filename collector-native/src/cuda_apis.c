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
