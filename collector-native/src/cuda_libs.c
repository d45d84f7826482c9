#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cuda_apis.h"
#include "cuda_libs.h"
#include "elf_syms.h"

void scope_lib_set_free(struct scope_lib_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->paths[i]);
	free(s->paths);
	free(s->devs);
	free(s->inos);
	memset(s, 0, sizeof(*s));
}

int scope_lib_set_add(struct scope_lib_set *s, const char *path)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -ENOENT;
	for (size_t i = 0; i < s->n; i++)
		if (s->devs[i] == st.st_dev && s->inos[i] == st.st_ino)
			return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **p = realloc(s->paths, cap * sizeof(*p));
		if (p)
			s->paths = p;
		dev_t *d = realloc(s->devs, cap * sizeof(*d));
		if (d)
			s->devs = d;
		ino_t *in = realloc(s->inos, cap * sizeof(*in));
		if (in)
			s->inos = in;
		if (!p || !d || !in)
			return -ENOMEM;
		s->cap = cap;
	}
	char real[PATH_MAX];
	s->paths[s->n] = strdup(realpath(path, real) ? real : path);
	if (!s->paths[s->n])
		return -ENOMEM;
	s->devs[s->n] = st.st_dev;
	s->inos[s->n] = st.st_ino;
	s->n++;
	return 0;
}

static void scan_dir(struct scope_lib_set *out, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!scope_cuda_lib_kind(de->d_name))
			continue;
		char path[PATH_MAX];
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			scope_lib_set_add(out, path);
	}
	closedir(d);
}

/* Each directory of a colon-separated list; $ORIGIN (and ${ORIGIN}) become origin. */
static void scan_path_list(struct scope_lib_set *out, const char *list, const char *origin)
{
	if (!list)
		return;
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		return;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char expanded[PATH_MAX];
		const char *o = strstr(dir, "$ORIGIN") ? "$ORIGIN" : strstr(dir, "${ORIGIN}") ? "${ORIGIN}" : NULL;
		if (o && origin) {
			const char *at = strstr(dir, o);
			snprintf(expanded, sizeof(expanded), "%.*s%s%s", (int)(at - dir), dir, origin, at + strlen(o));
			scan_dir(out, expanded);
		} else if (!o) {
			scan_dir(out, dir);
		}
	}
	free(copy);
}

int scope_ld_cache_parse(const unsigned char *data, size_t len, const char *prefix,
			 void (*add)(void *ctx, const char *path), void *ctx)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	const size_t mlen = sizeof(magic) - 1;
	/* The new format may follow an old-format (libc5) block: look for its magic. */
	size_t start = (size_t)-1;
	for (size_t i = 0; i + mlen <= len && i < 1 << 20; i += 4)
		if (memcmp(data + i, magic, mlen) == 0) {
			start = i;
			break;
		}
	/* header: magic[20], u32 nlibs, u32 len_strings, u8 flags, u8 pad[3], u32 ext, u32 unused[3] */
	const size_t header = 48, entry = 24;
	if (start == (size_t)-1 || len - start < header)
		return -1;
	uint32_t nlibs;
	memcpy(&nlibs, data + start + 20, 4);
	if (nlibs > (len - start - header) / entry)
		return -1;
	int found = 0;
	size_t plen = strlen(prefix);
	for (uint32_t i = 0; i < nlibs; i++) {
		const unsigned char *e = data + start + header + (size_t)i * entry;
		uint32_t key, value;
		memcpy(&key, e + 4, 4);
		memcpy(&value, e + 8, 4);
		/* offsets are from the start of the new-format header */
		if (key >= len - start || value >= len - start)
			continue;
		const char *name = (const char *)data + start + key;
		const char *path = (const char *)data + start + value;
		size_t nmax = len - start - key, pmax = len - start - value;
		if (!memchr(name, 0, nmax) || !memchr(path, 0, pmax))
			continue;
		if (strncmp(name, prefix, plen) == 0) {
			add(ctx, path);
			found++;
		}
	}
	return found;
}

static void add_from_cache(void *ctx, const char *path)
{
	scope_lib_set_add(ctx, path);
}

static void scan_ld_cache(struct scope_lib_set *out)
{
	int fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size < (64 << 20)) {
		unsigned char *buf = malloc(st.st_size);
		if (buf && read(fd, buf, st.st_size) == st.st_size)
		{
			scope_ld_cache_parse(buf, st.st_size, "libcudart", add_from_cache, out);
			scope_ld_cache_parse(buf, st.st_size, "libcuda.so", add_from_cache, out);
		}
		free(buf);
	}
	close(fd);
}

/* Mapped files: the runtimes and the driver, and the dynamic loader when the executable did not name one. */
static void scan_maps(struct scope_lib_set *out, pid_t pid, char **interp)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[PATH_MAX + 128];
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');
		if (!file)
			continue;
		file[strcspn(file, "\n")] = 0;
		const char *base = strrchr(file, '/') + 1;
		if (scope_cuda_lib_kind(base))
			scope_lib_set_add(out, file);
		else if (!*interp && strncmp(base, "ld-linux", 8) == 0)
			*interp = strdup(file);
	}
	fclose(f);
}

int scope_cuda_candidates(pid_t pid, const char *exe, bool may_load, const char *lib_path,
			  struct scope_lib_set *out, char **interp)
{
	*interp = NULL;
	if (pid > 0)
		scan_maps(out, pid, interp);
	if (may_load)
		scan_path_list(out, lib_path, NULL);
	if (exe) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", exe);
		char *slash = strrchr(dir, '/');
		if (slash) {
			*slash = 0;
			struct scope_elf e;
			if (scope_elf_open(&e, exe) == 0) {
				/* DT_RUNPATH wins over DT_RPATH when both exist, as in ld.so */
				scan_path_list(out, e.runpath ? e.runpath : e.rpath, dir);
				if (e.interp && !*interp)
					*interp = strdup(e.interp);
				else if (e.interp) {
					free(*interp);
					*interp = strdup(e.interp);
				}
				scope_elf_free(&e);
			}
			if (!may_load)
				return 0;
			/* bundled copies next to the program (Ollama ships its own) */
			scan_dir(out, dir);
			char sub[PATH_MAX + 16];
			static const char *const rel[] = { "/../lib", "/../lib64", "/lib" };
			for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
				snprintf(sub, sizeof(sub), "%s%s", dir, rel[i]);
				scan_dir(out, sub);
			}
		}
	}
	if (may_load)
		scan_ld_cache(out);
	return 0;
}

char *scope_which(const char *cmd)
{
	if (strchr(cmd, '/'))
		return realpath(cmd, NULL);
	const char *path = getenv("PATH");
	char *copy = strdup(path ? path : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	char *found = NULL;
	for (char *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found; dir = strtok_r(NULL, ":", &save)) {
		char full[PATH_MAX];
		if (snprintf(full, sizeof(full), "%s/%s", dir, cmd) < (int)sizeof(full) && access(full, X_OK) == 0)
			found = realpath(full, NULL);
	}
	free(copy);
	return found;
}
