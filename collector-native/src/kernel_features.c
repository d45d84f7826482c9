#include <string.h>

#include <bpf/btf.h>

#include "kernel_features.h"

static struct btf *kernel_btf(const char *btf_path)
{
	return btf_path ? btf__parse(btf_path, NULL) : btf__load_vmlinux_btf();
}

int scope_kernel_uprobe_multi_type(const char *btf_path)
{
	struct btf *btf = kernel_btf(btf_path);
	if (!btf)
		return -1;
	int found = -1;
	int id = btf__find_by_name_kind(btf, "bpf_attach_type", BTF_KIND_ENUM);
	if (id > 0) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_enum *e = btf_enum(t);
		for (unsigned i = 0; i < btf_vlen(t) && found < 0; i++)
			if (strcmp(btf__name_by_offset(btf, e[i].name_off), "BPF_TRACE_UPROBE_MULTI") == 0)
				found = e[i].val;
	}
	btf__free(btf);
	return found;
}

bool scope_kernel_has_func(const char *btf_path, const char *name)
{
	struct btf *btf = kernel_btf(btf_path);
	if (!btf)
		return false;
	bool found = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return found;
}
