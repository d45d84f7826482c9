/* Finding the CUDA runtime libraries a process uses or may load, so uprobes can be attached to
 * them (by path: a uprobe binds to the file and fires once the process maps it, even by dlopen).
 * Processes SCOPE did not start are attached to what they map, and stopped at each dlopen
 * (_dl_debug_state) to attach to what it maps: each library attached costs a detach later (an
 * RCU grace period), so only a command SCOPE starts, probed before ld.so runs, gets every runtime
 * it could load. */
#ifndef SCOPE_CUDA_LIBS_H
#define SCOPE_CUDA_LIBS_H
#include <stdbool.h>
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
 * Candidates for a process: what /proc/PID/maps shows mapped (pid > 0). With may_load (a command
 * SCOPE starts itself, attached before its first instruction), also the runtimes it may load: those in
 * the directories of lib_path (LD_LIBRARY_PATH syntax), the executable's RPATH/RUNPATH ($ORIGIN
 * expanded), its own directory and ../lib*, and the ld.so cache. *interp gets the dynamic
 * loader's path (from the executable, else from the maps), or NULL.
 */
int scope_cuda_candidates(pid_t pid, const char *exe, bool may_load, const char *lib_path,
			  struct scope_lib_set *out, char **interp);

/* Parses an ld.so.cache image; calls add for each library whose name starts with prefix. Returns
 * the number found, or -1 when the image is not a cache it understands. Exposed for tests/fuzzing. */
int scope_ld_cache_parse(const unsigned char *data, size_t len, const char *prefix,
			 void (*add)(void *ctx, const char *path), void *ctx);

/* Resolves a command the way execvp would (PATH search); malloc'd or NULL. */
char *scope_which(const char *cmd);
#endif
