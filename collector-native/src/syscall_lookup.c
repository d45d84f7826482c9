#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scope_events.h"
#include "syscall_table.h"

static struct scope_syscall_info infos[SCOPE_SYSCALL_MAX];

int scope_parse_arg_specs(const char *spec, struct scope_arg_spec *out, int max)
{
	if (!spec || strcmp(spec, "-") == 0)
		return 0;
	int n = 0;
	const char *p = spec;
	while (*p) {
		if (n >= max)
			return -1;
		const char *eq = strchr(p, '=');
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end || eq == p || (size_t)(eq - p) >= sizeof(out[n].name))
			return -1;
		struct scope_arg_spec *a = &out[n];
		memset(a, 0, sizeof(*a));
		memcpy(a->name, p, eq - p);
		const char *v = eq + 1;
		size_t vlen = end - v;
		if (vlen == 3 && strncmp(v, "ret", 3) == 0) {
			a->src = SCOPE_ARG_RET;
			a->fmt = 'd';
		} else if (vlen == 4 && strncmp(v, "data", 4) == 0) {
			a->src = SCOPE_ARG_DATA;
		} else if (vlen == 3 && v[0] >= '0' && v[0] <= '5' && v[1] == ':' && strchr("duxo", v[2]) && v[2]) {
			a->src = v[0] - '0';
			a->fmt = v[2];
		} else {
			return -1;
		}
		n++;
		p = *end ? end + 1 : end;
	}
	return n;
}

int scope_syscalls_init(void)
{
	static int done;
	if (done)
		return 0;
	for (unsigned i = 0; i < scope_syscall_defs_len; i++) {
		const struct scope_syscall_def *d = &scope_syscall_defs[i];
		if (d->nr >= SCOPE_SYSCALL_MAX)
			continue;
		struct scope_syscall_info *info = &infos[d->nr];
		info->name = d->name;
		int n = scope_parse_arg_specs(d->args, info->args, SCOPE_MAX_ARG_SPECS);
		if (n < 0) {
			fprintf(stderr, "scope-collector: bad args spec for %s: %s\n", d->name, d->args);
			return -1;
		}
		info->nargs = n;
	}
	done = 1;
	return 0;
}

const struct scope_syscall_info *scope_syscall_info(unsigned nr)
{
	return nr < SCOPE_SYSCALL_MAX ? &infos[nr] : NULL;
}

int scope_syscall_nr(const char *name)
{
	for (unsigned i = 0; i < scope_syscall_defs_len; i++)
		if (strcmp(scope_syscall_defs[i].name, name) == 0)
			return scope_syscall_defs[i].nr;
	return -1;
}
