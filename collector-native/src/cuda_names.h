/* Kernel names: which host stub (the `func` a launch passes) names which device function, per
 * process. Filled from registrations; when a process registered before we attached, from the ELF
 * symbols of the module that holds the stub. */
#ifndef SCOPE_CUDA_NAMES_H
#define SCOPE_CUDA_NAMES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scope_cuda_names;

struct scope_cuda_names *scope_cuda_names_new(void);
void scope_cuda_names_free(struct scope_cuda_names *n);
/* Records a (mangled) name for a stub; kept demangled. */
void scope_cuda_names_add(struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun, const char *name);
/* The demangled name, or NULL. */
const char *scope_cuda_names_get(const struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun);
/* Remembers where the process's executable files are mapped, for the ELF fallback. */
void scope_cuda_names_snapshot(struct scope_cuda_names *n, pid_t pid);
/* Finds the stub among the process's ELF symbols (the last snapshot, refreshed when the address is
 * in none of its mappings); on success records the name, copies the mangled name to out, and
 * returns true. A failed search is remembered: the same address is not searched again. */
bool scope_cuda_names_from_elf(struct scope_cuda_names *n, uint32_t pid, uint64_t host_fun, char *out, size_t outlen);
void scope_cuda_names_forget(struct scope_cuda_names *n, uint32_t pid);

/* What a user-space address of a process is: the function (demangled) and module that hold it. */
struct scope_cuda_symbol_info {
	char name[256];   /* "" when no symbol holds it */
	char module[64];  /* the mapped file's base name; "" when in no file mapping */
	uint64_t offset;  /* from the function's start; else from the file's start */
	bool truncated;   /* name was cut */
};
/* Names a return address (the call before it is what is looked up); false when no symbol holds
 * it (module and offset may still be filled). Uses the same maps snapshot and ELF cache. */
bool scope_cuda_names_symbol(struct scope_cuda_names *n, uint32_t pid, uint64_t ret_addr,
			     struct scope_cuda_symbol_info *out);
/* nvcc's host stubs are named after their kernels: _Z30__device_stub__Z6vecAddPfS_S_iPfS_S_i (or
 * _ZL… for internal linkage) is the stub of _Z6vecAddPfS_S_i. Writes that kernel's mangled name;
 * false when stub is not such a name. */
bool scope_cuda_stub_device_name(const char *stub, char *out, size_t outlen);
#endif
