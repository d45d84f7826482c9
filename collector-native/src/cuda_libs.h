/* Finding the CUDA runtime libraries a process uses or may load, so uprobes can be attached to
 * them (by path: a uprobe binds to the file and fires once the process maps it, even by dlopen). */
#ifndef SCOPE_CUDA_LIBS_H
#define SCOPE_CUDA_LIBS_H
#include <stddef.h>
#include <sys/types.h>

struct scope_lib_set {
	char **paths;
	dev_t *devs;
	ino_t *inos;
	size_t n, cap;
};

void scope_lib_set_free(struct scope_lib_set *s);
/* Adds a file if it exists and is not already in the set (same device and inode). */
int scope_lib_set_add(struct scope_lib_set *s, const char *path);

/*
 * Candidates for a process: what /proc/PID/maps shows mapped (pid > 0), the runtimes in the
 * directories of lib_path (LD_LIBRARY_PATH syntax), the executable's RPATH/RUNPATH ($ORIGIN
 * expanded) and its own directory and ../lib*, and those the ld.so cache names. *interp gets the
 * dynamic loader's path (from the executable, else from the maps), or NULL.
 */
int scope_cuda_candidates(pid_t pid, const char *exe, const char *lib_path, struct scope_lib_set *out,
			  char **interp);

/* Parses an ld.so.cache image; calls add for each library whose name starts with prefix. Returns
 * the number found, or -1 when the image is not a cache it understands. Exposed for tests/fuzzing. */
int scope_ld_cache_parse(const unsigned char *data, size_t len, const char *prefix,
			 void (*add)(void *ctx, const char *path), void *ctx);

/* The value of a variable in a process's environment (/proc/PID/environ); malloc'd or NULL. */
char *scope_proc_getenv(pid_t pid, const char *name);
/* Resolves a command the way execvp would (PATH search); malloc'd or NULL. */
char *scope_which(const char *cmd);
#endif
