/* The CUDA runtime and driver symbols SCOPE probes, and the names it shows for APIs and copy kinds. */
#ifndef SCOPE_CUDA_APIS_H
#define SCOPE_CUDA_APIS_H
#include <stdbool.h>
#include <stdint.h>

struct scope_cuda_symbol {
	const char *symbol;
	uint16_t api;     /* enum scope_cuda_api */
	uint16_t flags;   /* SCOPE_CUDA_PTSZ / _PTDS for a variant */
	bool optional;    /* variants and newer APIs: no warning when a library lacks them */
	bool driver;      /* in libcuda (the driver API), not libcudart */
};

enum scope_cuda_lib_kind {
	SCOPE_CUDA_LIB_NONE = 0,
	SCOPE_CUDA_LIB_RUNTIME = 1, /* libcudart.so*, or a bundled libcudart-*.so* */
	SCOPE_CUDA_LIB_DRIVER = 2,  /* libcuda.so* */
};

extern const struct scope_cuda_symbol scope_cuda_symbols[];
extern const unsigned scope_cuda_symbols_len;
#define SCOPE_CUDA_SYMBOLS_MAX 80 /* bound on scope_cuda_symbols_len, for arrays sized per symbol */

const char *scope_cuda_api_name(unsigned api);   /* "cudaMalloc"; NULL if unknown */
const char *scope_cuda_kind_name(int kind);      /* "H2D"; NULL if not a cudaMemcpyKind */
/* True when a file name looks like a CUDA runtime: libcudart.so*, or a bundled libcudart-*.so* */
bool scope_cuda_is_runtime_name(const char *basename);
/* Which CUDA library a file name is, by the names the runtime and the driver are installed under. */
enum scope_cuda_lib_kind scope_cuda_lib_kind(const char *basename);
#endif
